/**
 * The session key a KDC reply hands the client (EncKDCRepPart `key`, RFC 4120
 * section 5.4.2). The KDC chooses its enctype (section 3.1.3), and the client
 * then seals every authenticator, AP-REQ subkey and, for a TGT, every TGS-REQ
 * with it: a weak one (rc4-hmac, DES: `WEAK_ENC_TYPES`, RFC 6649 and RFC 8429)
 * would undo the client's own refusal of weak enctypes, so it is refused
 * unless `allowWeakCrypto`, as the AP-REP subkey is (`ap-rep.ts`). MIT 1.20's
 * client takes it. Otherwise the enctype is left alone, as MIT leaves it:
 * neither whether it is one of the request's nor whether it is one krbsim
 * implements is checked here.
 *
 * @module
 */

import type { EncryptionKey } from '@krbsim/asn1';
import { ErrorCode, KerberosError } from '@krbsim/core';
import { WEAK_ENC_TYPES } from '@krbsim/crypto';
import type { ClientContext } from './context';

/**
 * Throws KDC_ERR_ETYPE_NOSUPP when `key`, the session key of an AS-REP or
 * TGS-REP from `realm`, is of a weak enctype and the client does not allow
 * weak crypto.
 */
export function checkSessionKey(
  ctx: ClientContext,
  key: EncryptionKey,
  reply: 'AS-REP' | 'TGS-REP',
  realm: string,
): void {
  const etype = key.keytype;
  if (ctx.allowWeakCrypto || !WEAK_ENC_TYPES.has(etype)) return;
  throw new KerberosError(
    ErrorCode.KDC_ERR_ETYPE_NOSUPP,
    `the ${reply} from ${realm} gives a session key of weak enctype ${etype}, refused without allowWeakCrypto (the KDC chose it for the ticket's service: give that account AES keys)`,
    { realm },
  );
}
