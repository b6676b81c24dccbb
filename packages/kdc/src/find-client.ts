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
 * Find the client: by name, or for NT-ENTERPRISE by UPN, `name@REALM`, or a
 * bare account name (`alice`, as MIT's `kvno -U alice` sends it; AD and MIT
 * look it up in their own realm) (RFC 6806 section 5).
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
        : upn.slice(at + 1).toUpperCase() === realm.name.toUpperCase()
          ? upn.slice(0, at)
          : undefined;
    if (!entry && local !== undefined && local.length > 0) {
      entry = realm.db.get({ nameType: NameType.NT_PRINCIPAL, nameString: [local] }, realm.name);
    }
  } else {
    entry = realm.db.get(cname, realm.name);
  }
  return entry && entry.kind !== 'krbtgt' ? entry : undefined;
}
