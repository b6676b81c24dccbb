/**
 * krbsim's KDC against MIT krb5kdc 1.20 for S4U2Self (MS-SFU section
 * 3.2.5.1): one realm on each side, set up as in kdc-differential-mit.test.ts
 * (the same principals and passwords, krbsim's `mit` realm given MIT's
 * krbtgt keys, PACs on). Two services log in with their passwords: websvc,
 * trusted to authenticate for delegation (MIT's `ok_to_auth_as_delegate`,
 * AD's TrustedToAuthForDelegation), and plainsvc, not, and without classic
 * delegation targets: both KDCs make its tickets forwardable as asked
 * (MS-SFU 3.2.5.1.2 forbids the flag only to a service not trusted that has
 * targets; MIT's s4u2self_forwardable clears it only then, and its DB2 back
 * end keeps no targets, so it never does here). Each asks its KDC for
 * a ticket to itself in a user's name, with PA-FOR-USER (its HMAC-MD5
 * checksum keyed with the TGT session key), PA-S4U-X509-USER (checksummed
 * with the same key, usage 26, echoed in the reply), or both as MIT's
 * `kvno -U` sends them; and each is changed one way: a checksum that does
 * not match, a user who is not there or may not log in, another realm,
 * another auth-package, a nonce that is not the request's, another server.
 *
 * Answers are compared as helpers/kdc-oracle.ts writes them (the ticket
 * decrypted with the service's key included: whose name it is in, and
 * whether it is forwardable), with the reply's padata types first. Both must
 * agree, except in the cases listed in KNOWN_DIFFERENCES, where each side's
 * answer is pinned and the reason given.
 *
 * Skipped with a printed reason when MIT krb5's KDC is missing; failing
 * instead under KRBSIM_REQUIRE_MIT=1.
 */

import {
  decodePaS4uX509User,
  decodeTgsReq,
  encodePaS4uX509User,
  encodeTgsReq,
  KdcOptions,
  NameType,
  type PaData,
  PaDataType,
  type PrincipalName,
  type S4uUserId,
} from '@krbsim/asn1';
import { Duration } from '@krbsim/core';
import { generateKey, type Key, KeyUsage, verifyChecksum } from '@krbsim/crypto';
import { afterAll, beforeAll } from 'vitest';
import {
  type Creds,
  clientRandom,
  openRep,
  paForUser,
  parseReply,
  paS4uX509User,
  pn,
  s4uUserIdDer,
  tgsReq,
  userKey,
} from '../../packages/kdc/test/helpers';
import {
  asLogin,
  describeKdcReply,
  type KnownDifference,
  type OracleCase,
  type OracleSide,
  oracleTests,
  serverKeyOf,
  startMitOracle,
} from './helpers/kdc-oracle';
import type { MitRealm } from './helpers/mit-realm';
import { describeWithTools } from './mit-tools';

const REALM = 'S4U.TEST';
const PASSWORDS: Record<string, string> = {
  alice: 'alice-Passw0rd',
  bob: 'bob-Passw0rd',
  websvc: 'websvc-Passw0rd',
  plainsvc: 'plainsvc-Passw0rd',
  'host/other.s4u.test': 'other-Passw0rd',
};
const NONCE = 31337;
const hours = (n: number) => n * Duration.hour;
const alice = pn('alice', NameType.NT_PRINCIPAL);

/** One KDC and the services' TGTs. */
interface Side extends OracleSide {
  tgts?: Record<'websvc' | 'plainsvc', Creds>;
}

/** Where krbsim answers otherwise on purpose: each side's answer, pinned, and why. */
const KNOWN_DIFFERENCES: Record<string, KnownDifference> = {
  'PA-FOR-USER with another auth-package': {
    oracle: /^pa=\[\] REP cname=alice forwardable,/,
    krbsim: 'KDC_ERR_PADATA_TYPE_NOSUPP',
    why: 'MS-SFU 2.2.1 names "Kerberos" the one auth-package; krbsim refuses what it cannot serve, MIT does not read the field',
  },
  'PA-FOR-USER, asking for another server': {
    oracle: /^KRB_AP_ERR_BADMATCH$/,
    krbsim: 'KDC_ERR_BADOPTION',
    why: 'an S4U2Self ticket is for the service itself (MS-SFU 3.2.5.1.2); krbsim answers as Windows does',
  },
  'PA-S4U-X509-USER with the unknown checksum type RSA-MD5': {
    oracle: /^KRB_AP_ERR_INAPP_CKSUM$/,
    krbsim: 'KDC_ERR_SUMTYPE_NOSUPP',
    why: 'krbsim implements no RSA-MD5 (RFC 6649), so the type is unknown to it; MIT knows it as unkeyed (as sha1 is in krbsim: the case below)',
  },
};

let krbtgtKeys: readonly Key[] = [];

/** What a case sends besides the TGS-REQ for the service itself. */
interface S4uVariant {
  /** The service asking (default websvc). */
  service?: 'websvc' | 'plainsvc';
  /** The S4U padata, given the TGT and the authenticator's subkey (when `subkey`). */
  padata: (tgt: Creds, subkey: Key | undefined) => PaData[];
  /** The authenticator carries a subkey, as MIT's client always sends one. */
  subkey?: boolean;
  /** The server asked for (default the service itself). */
  sname?: string | PrincipalName;
}

const cases: OracleCase<Side>[] = [];

/**
 * Which key and usage checksum the reply's PA-S4U-X509-USER echo (MS-SFU 3.2.5.1.2): `echo=subkey/27`,
 * `echo=session/26`; empty without an echo.
 */
function echoKey(padata: readonly PaData[] | undefined, sessionKey: Key, subkey: Key | undefined): string {
  const echo = padata?.find((p) => p.padataType === PaDataType.PA_FOR_X509_USER);
  if (echo === undefined) return '';
  const { checksum } = decodePaS4uX509User(echo.padataValue);
  const data = s4uUserIdDer(echo.padataValue);
  for (const [name, key] of [
    ['subkey', subkey],
    ['session', sessionKey],
  ] as const) {
    for (const usage of [KeyUsage.PA_S4U_X509_USER_REQUEST, KeyUsage.PA_S4U_X509_USER_REPLY]) {
      if (key === undefined) continue;
      try {
        if (verifyChecksum(key, usage, data, checksum.checksum, { cksumtype: checksum.cksumtype }))
          return `echo=${name}/${usage} `;
      } catch {
        // another checksum type than the key's: not this key
      }
    }
  }
  return 'echo=none ';
}

function s4uCase(label: string, v: S4uVariant): void {
  const service = v.service ?? 'websvc';
  // Each side's subkey, to open its reply.
  const subkeys = new Map<string, Key>();
  cases.push({
    label,
    realm: REALM,
    build: (side, now) => {
      const tgt = side.tgts![service];
      const subkey = v.subkey ? generateKey(18, { random: clientRandom }) : undefined;
      if (subkey !== undefined) subkeys.set(side.name, subkey);
      const plain = decodeTgsReq(
        tgsReq({
          tgt,
          now,
          realm: REALM,
          sname: v.sname ?? service,
          till: now + hours(5),
          nonce: NONCE,
          etypes: [18],
          options: KdcOptions.forwardable | KdcOptions.canonicalize,
          ...(subkey !== undefined && { subkey }),
        }),
      );
      return encodeTgsReq({ ...plain, padata: [...plain.padata!, ...v.padata(tgt, subkey)] });
    },
    outcome: (side, reply) => {
      const r = parseReply(reply);
      const subkey = subkeys.get(side.name);
      const pa =
        r.kind === 'error'
          ? ''
          : `pa=[${(r.rep.padata ?? []).map((p) => p.padataType).join(',')}] ${echoKey(r.rep.padata, side.tgts![service].sessionKey, subkey)}`;
      return (
        pa +
        describeKdcReply(
          reply,
          (rep) =>
            subkey === undefined
              ? openRep(rep, side.tgts![service].sessionKey, KeyUsage.TGS_REP_ENCPART_SESSKEY)
              : openRep(rep, subkey, KeyUsage.TGS_REP_ENCPART_SUBKEY),
          (t) => serverKeyOf(t, { [REALM]: krbtgtKeys }, { [REALM]: PASSWORDS }),
        ).replace(/^REP /, `REP cname=${r.kind === 'error' ? '' : r.rep.cname.nameString.join('/')} `)
      );
    },
  });
}

const userId = (over: Partial<S4uUserId> = {}): S4uUserId => ({
  nonce: NONCE,
  cname: alice,
  crealm: REALM,
  ...over,
});
const x509 = (tgt: Creds, over: Partial<S4uUserId> = {}) => paS4uX509User(tgt, userId(over));

s4uCase('PA-FOR-USER, a trusted service', { padata: (t) => [paForUser(t, alice, REALM)] });
s4uCase('PA-FOR-USER, a service not trusted to authenticate for delegation', {
  service: 'plainsvc',
  padata: (t) => [paForUser(t, alice, REALM)],
});
s4uCase('PA-FOR-USER whose checksum does not match', {
  padata: (t) => [paForUser(t, alice, REALM, 'Kerberos', true)],
});
s4uCase('PA-FOR-USER for a user who is not there', {
  padata: (t) => [paForUser(t, pn('nobody', NameType.NT_PRINCIPAL), REALM)],
});
s4uCase('PA-FOR-USER for a user who may not log in', {
  padata: (t) => [paForUser(t, pn('bob', NameType.NT_PRINCIPAL), REALM)],
});
s4uCase('PA-FOR-USER for a user of another realm', {
  padata: (t) => [paForUser(t, alice, 'OTHER.TEST')],
});
s4uCase('PA-FOR-USER naming the realm in lower case', {
  padata: (t) => [paForUser(t, alice, REALM.toLowerCase())],
});
s4uCase('PA-FOR-USER with another auth-package', {
  padata: (t) => [paForUser(t, alice, REALM, 'NTLM')],
});
s4uCase('PA-FOR-USER for an enterprise name', {
  padata: (t) => [paForUser(t, { nameType: NameType.NT_ENTERPRISE, nameString: [`alice@${REALM}`] }, REALM)],
});
s4uCase('PA-FOR-USER for an enterprise name, the bare account name', {
  padata: (t) => [paForUser(t, { nameType: NameType.NT_ENTERPRISE, nameString: ['alice'] }, REALM)],
});
s4uCase('PA-FOR-USER for the service itself', {
  padata: (t) => [paForUser(t, pn('websvc', NameType.NT_PRINCIPAL), REALM)],
});
s4uCase('PA-FOR-USER, asking for another server', {
  sname: 'host/other.s4u.test',
  padata: (t) => [paForUser(t, alice, REALM)],
});
s4uCase('PA-S4U-X509-USER by name', { padata: (t) => [x509(t)] });
s4uCase('PA-S4U-X509-USER and PA-FOR-USER, as MIT sends them', {
  padata: (t) => [x509(t), paForUser(t, alice, REALM)],
});
s4uCase('PA-S4U-X509-USER, a service not trusted to authenticate for delegation', {
  service: 'plainsvc',
  padata: (t) => [x509(t)],
});
s4uCase('PA-S4U-X509-USER whose checksum does not match', {
  padata: (t) => {
    const pa = x509(t);
    const bytes = pa.padataValue.slice();
    bytes[bytes.length - 1]! ^= 1;
    return [{ padataType: PaDataType.PA_FOR_X509_USER, padataValue: bytes }];
  },
});
s4uCase("PA-S4U-X509-USER whose nonce is not the request's", {
  padata: (t) => [x509(t, { nonce: NONCE + 1 })],
});
s4uCase('PA-S4U-X509-USER for a user who is not there', {
  padata: (t) => [x509(t, { cname: pn('nobody', NameType.NT_PRINCIPAL) })],
});
s4uCase('PA-S4U-X509-USER for a user of another realm', {
  padata: (t) => [x509(t, { crealm: 'OTHER.TEST' })],
});
s4uCase('PA-S4U-X509-USER with neither a name nor a certificate', {
  padata: (t) => [x509(t, { cname: undefined })],
});
s4uCase('PA-S4U-X509-USER with the unknown checksum type RSA-MD5', {
  padata: () => [
    {
      padataType: PaDataType.PA_FOR_X509_USER,
      padataValue: encodePaS4uX509User({
        userId: userId(),
        checksum: { cksumtype: 7, checksum: new Uint8Array(16) },
      }),
    },
  ],
});
s4uCase('PA-S4U-X509-USER with the unkeyed checksum type sha1', {
  padata: () => [
    {
      padataType: PaDataType.PA_FOR_X509_USER,
      padataValue: encodePaS4uX509User({
        userId: userId(),
        checksum: { cksumtype: 14, checksum: new Uint8Array(20) },
      }),
    },
  ],
});
// The key of the checksum (MIT's kdc_process_s4u_x509_user): the authenticator's subkey when there is
// one, else the TGT session key; nothing else.
s4uCase("PA-S4U-X509-USER keyed with the authenticator's subkey, as MIT's client keys it", {
  subkey: true,
  padata: (_t, subkey) => [paS4uX509User({ sessionKey: subkey! }, userId())],
});
s4uCase('PA-S4U-X509-USER keyed with the TGT session key beside a subkey', {
  subkey: true,
  padata: (t) => [x509(t)],
});
s4uCase('PA-S4U-X509-USER keyed with the subkey, the echo at the reply usage (use-reply-key-usage)', {
  subkey: true,
  padata: (_t, subkey) => [paS4uX509User({ sessionKey: subkey! }, userId({ options: 0x20000000 }))],
});
s4uCase('PA-S4U-X509-USER and PA-FOR-USER naming different users', {
  padata: (t) => [x509(t), paForUser(t, pn('bob', NameType.NT_PRINCIPAL), REALM)],
});

describeWithTools(
  'krbsim KDC against MIT krb5kdc for S4U2Self: the same requests, the same answers',
  ['kdb5_util', 'kadmin.local', 'krb5kdc'],
  (tools) => {
    let mit: MitRealm;
    const sides: Side[] = [];

    beforeAll(async () => {
      const oracle = await startMitOracle(
        REALM,
        [
          { name: 'alice', password: PASSWORDS.alice!, kind: 'user' },
          {
            name: 'bob',
            password: PASSWORDS.bob!,
            kind: 'user',
            mitFlags: '-allow_tix',
            krbsim: { disabled: true },
          },
          {
            name: 'websvc',
            password: PASSWORDS.websvc!,
            kind: 'user',
            mitFlags: '+ok_to_auth_as_delegate',
            krbsim: { delegation: { trustedToAuthenticate: true } },
          },
          { name: 'plainsvc', password: PASSWORDS.plainsvc!, kind: 'user' },
          { name: 'host/other.s4u.test', password: PASSWORDS['host/other.s4u.test']!, kind: 'service' },
        ],
        tools,
      );
      ({ mit, krbtgtKeys } = oracle);
      sides.push(...oracle.sides);
      const login = (side: Side, user: 'websvc' | 'plainsvc') =>
        asLogin(side, REALM, user, userKey(REALM, user, PASSWORDS[user]!, 18));
      for (const side of sides) {
        side.tgts = { websvc: await login(side, 'websvc'), plainsvc: await login(side, 'plainsvc') };
      }
    }, 60_000);
    afterAll(async () => mit?.stop());

    oracleTests(cases, sides, KNOWN_DIFFERENCES);
  },
);
