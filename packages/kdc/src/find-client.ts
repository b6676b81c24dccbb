/**
 * Finding a client principal in a realm's database (RFC 4120 section 3.1.2;
 * RFC 6806 section 5 for enterprise names), as the AS exchange and
 * S4U2Self look users up.
 *
 * @module
 */

import { NameType, type PrincipalName } from '@krbsim/asn1';
import type { PrincipalEntry } from './principal-db';
import type { Realm } from './realm';

/**
 * Find the client: by name, or for NT-ENTERPRISE (RFC 6806 section 5) by a
 * UPN the realm holds (`AddUserOptions.upn`), or a bare account name
 * (`alice`, as MIT's `kvno -U alice` sends it: MIT's KDC looks its one
 * component up as a principal name, as AD does), or, in a realm with AD's
 * `accountNameFallbacks`, the implicit UPN `name@REALM`. MIT's KDC (1.20, its
 * db2 database) finds no `alice@REALM`: the enterprise name's one component
 * is no principal's name (krb5kdc 1.20.1: KDC_ERR_C_PRINCIPAL_UNKNOWN).
 */
export function findClient(realm: Realm, cname: PrincipalName): PrincipalEntry | undefined {
  let entry: PrincipalEntry | undefined;
  if (cname.nameType === NameType.NT_ENTERPRISE && cname.nameString.length === 1) {
    const upn = cname.nameString[0]!;
    entry = realm.db.getByUpn(upn);
    const at = upn.lastIndexOf('@');
    const local =
      at < 0
        ? upn
        : realm.policy.accountNameFallbacks && upn.slice(at + 1).toUpperCase() === realm.name.toUpperCase()
          ? upn.slice(0, at)
          : undefined;
    if (!entry && local !== undefined && local.length > 0) {
      entry = realm.db.get({ nameType: NameType.NT_PRINCIPAL, nameString: [local] }, realm.name);
    }
  } else {
    entry = realm.db.get(cname, realm.name) ?? adFallback(realm, cname);
  }
  return entry && entry.kind !== 'krbtgt' ? entry : undefined;
}

/**
 * MS-KILE 3.3.5.6.1 (`accountNameFallbacks`): a one-part NT-PRINCIPAL name
 * that names no account is looked up as AD looks it up, as `name$` (a
 * computer's sAMAccountName: `SQL01` finds `SQL01$`), then as the UPN
 * `name@REALM`.
 */
function adFallback(realm: Realm, cname: PrincipalName): PrincipalEntry | undefined {
  if (!realm.policy.accountNameFallbacks) return undefined;
  if (cname.nameType !== NameType.NT_PRINCIPAL || cname.nameString.length !== 1) return undefined;
  const name = cname.nameString[0]!;
  if (name.length === 0) return undefined;
  const computer = name.endsWith('$')
    ? undefined
    : realm.db.get({ nameType: NameType.NT_PRINCIPAL, nameString: [`${name}$`] }, realm.name);
  return computer ?? realm.db.getByUpn(`${name}@${realm.name}`);
}
