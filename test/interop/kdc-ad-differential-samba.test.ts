/**
 * krbsim's `active-directory` realm against a Samba AD domain controller
 * (Samba 4.17's KDC, held to Windows by Samba's own tests), the oracle for
 * what MIT cannot decide: the PAC a DC writes, and how it answers accounts
 * that may not log on. One domain on each side with the same realm, domain
 * SID, RIDs, groups, passwords and krbtgt key (Samba's, exported): samba-dc.ts
 * provisions Samba's, `mirror()` builds krbsim's. The same AS and TGS
 * requests go to both; each answer is reduced to a line both must agree on:
 * the reply as kdc-oracle.ts writes it, the reply's padata, the e-data
 * (METHOD-DATA with its ETYPE-INFO2 entries, or the NTSTATUS), and the
 * ticket's PAC: its buffers in order, the logon's names, SIDs, groups, flags
 * and which times are set, PAC_CLIENT_INFO, UPN_DNS_INFO, the attributes, the
 * requestor and the signature types. Left out: LogonCount (krbsim keeps no
 * logon statistics) and LogonTime (see describeLogon).
 *
 * Samba is not Windows everywhere: where krbsim answers otherwise on purpose,
 * KNOWN_DIFFERENCES pins both answers and gives the evidence for krbsim's
 * (Windows' PACs in test/fixtures/pac, MS-KILE, MS-SFU, Wireshark's
 * dissector, MIT's KDC for what AD leaves open).
 *
 * Skipped with a printed reason when Samba's DC is missing or the test does
 * not run as root; failing instead under KRBSIM_REQUIRE_MIT=1.
 */

import {
  AdType,
  ApOptions,
  type AuthorizationData,
  decodeAuthorizationData,
  decodeEtypeInfo2,
  decodeKerbErrorData,
  decodeKerbExtError,
  decodeMethodData,
  decodeTgsRep,
  decodeTgsReq,
  type EncTicketPart,
  encodeAsReq,
  encodeAuthorizationData,
  encodeKdcReqBody,
  encodePaFxFastRequest,
  encodePaPacOptions,
  encodeTgsReq,
  KdcOptions,
  type KdcReqBody,
  KERB_ERR_TYPE_EXTENDED,
  type KrbFastArmoredReq,
  NameType,
  PacOptions,
  PaDataType,
  type PrincipalName,
  type Ticket,
} from '@krbsim/asn1';
import { Duration, errorCodeName, systemClock, systemRandom } from '@krbsim/core';
import { cf2, generateKey, type Key, KeyUsage, stringToKey } from '@krbsim/crypto';
import { Kdc, Realm } from '@krbsim/kdc';
import {
  decodePac,
  encodePac,
  fileTimeFromMillis,
  formatSid,
  type KerbValidationInfo,
  type Pac,
  type PacBuffer,
  PacBufferType,
  parseSid,
  type Sid,
  signPac,
  unwrapPac,
  withoutPac,
  withPac,
} from '@krbsim/pac';
import { tcpExchange } from '@krbsim/transport';
import { afterAll, beforeAll } from 'vitest';
import {
  apArmor,
  armoredReq,
  armorKeyOf,
  encryptedChallenge,
  paEncTsEnc,
} from '../../packages/kdc/test/fast-helpers';
import {
  asReq,
  type Creds,
  clientRandom,
  encTimestamp,
  openRep,
  openTicket,
  pacRequest,
  paForUser,
  paPacOptionsRbcd,
  parseReply,
  paS4uX509User,
  pn,
  reseal,
  tgsReq,
  userKey,
} from '../../packages/kdc/test/helpers';
import {
  describeFastReply,
  describeKdcReply,
  type KnownDifference,
  type OracleCase,
  type OracleSide,
  oracleTests,
} from './helpers/kdc-oracle';
import {
  describeWithSambaDc,
  type SambaAccount,
  type SambaDc,
  type SambaGroup,
  startSambaDc,
} from './helpers/samba-dc';

const REALM = 'CORP.CONTOSO.COM';
const DNS_DOMAIN = REALM.toLowerCase();
const SQL_SPN = `MSSQLSvc/sql01.${DNS_DOMAIN}:1433`;
const AES = 0x18;

const GROUPS: readonly SambaGroup[] = [
  { name: 'Analysts', scope: 'global' },
  { name: 'Data Readers', scope: 'universal' },
  { name: 'SQL Logins', scope: 'domain-local' },
];

const ACCOUNTS: readonly SambaAccount[] = [
  {
    name: 'alice',
    kind: 'user',
    password: 'Al1ce-Passw0rd!',
    groups: ['Analysts', 'Data Readers'],
  },
  { name: 'carol', kind: 'user', password: 'C4rol-Passw0rd!', groups: ['Analysts', 'SQL Logins'] },
  { name: 'bob', kind: 'user', password: 'B0b-Passw0rd!' },
  { name: 'sqlsvc', kind: 'user', password: 'Sq1svc-Passw0rd!', spns: [SQL_SPN], enctypes: AES },
  {
    name: 'websvc',
    kind: 'user',
    password: 'W3bsvc-Passw0rd!',
    spns: [`HTTP/web.${DNS_DOMAIN}`],
    enctypes: AES,
    trustedToAuthenticate: true,
    allowedToDelegateTo: [SQL_SPN],
  },
  {
    name: 'plainsvc',
    kind: 'user',
    password: 'Pl4insvc-Passw0rd!',
    spns: [`HTTP/plain.${DNS_DOMAIN}`],
    enctypes: AES,
  },
  {
    name: 'SQL02$',
    kind: 'computer',
    password: 'Sq1-02-machine-Passw0rd!',
    spns: [`MSSQLSvc/sql02.${DNS_DOMAIN}:1433`],
    enctypes: AES,
  },
  {
    // A domain controller: SERVER_TRUST_ACCOUNT | TRUSTED_FOR_DELEGATION, as dcpromo makes it.
    name: 'DC2$',
    kind: 'computer',
    password: 'Dc2-machine-Passw0rd!',
    spns: [`ldap/dc2.${DNS_DOMAIN}`],
    enctypes: AES,
    userAccountControl: 0x82000,
  },
  {
    // A read-only DC: WORKSTATION_TRUST_ACCOUNT | TRUSTED_TO_AUTH_FOR_DELEGATION | PARTIAL_SECRETS_ACCOUNT.
    name: 'RODC2$',
    kind: 'computer',
    password: 'Rodc2-machine-Passw0rd!',
    enctypes: AES,
    userAccountControl: 0x5001000,
  },
  {
    name: 'nasvc',
    kind: 'user',
    password: 'N4svc-Passw0rd!',
    spns: [`HTTP/na.${DNS_DOMAIN}`],
    enctypes: AES,
    noAuthDataRequired: true,
  },
  {
    name: 'rbcdsvc',
    kind: 'user',
    password: 'Rbcdsvc-Passw0rd!',
    spns: [`HTTP/rbcd.${DNS_DOMAIN}`],
    enctypes: AES,
    allowedToActFrom: ['websvc'],
  },
  { name: 'dana', kind: 'user', password: 'D4na-Passw0rd!', upn: 'dana.scully@contoso-corp.com' },
  { name: 'dave', kind: 'user', password: 'D4ve-Passw0rd!', disabled: true },
  { name: 'lena', kind: 'user', password: 'L3na-Passw0rd!' },
  { name: 'erin', kind: 'user', password: 'Er1n-Passw0rd!', expired: true },
  { name: 'frank', kind: 'user', password: 'Fr4nk-Passw0rd!', mustChangePassword: true },
  { name: 'grace', kind: 'user', password: 'Gr4ce-Passw0rd!', noLogonHours: true },
  { name: 'heidi', kind: 'user', password: 'He1di-Passw0rd!', notDelegated: true },
  { name: 'ivan', kind: 'user', password: '1van-Passw0rd!', noPreauth: true },
];

/** The kind of domain controller a computer's whole userAccountControl makes it, as dcpromo sets it. */
const DOMAIN_CONTROLLERS: Readonly<Record<number, 'writable' | 'read-only'>> = {
  532480: 'writable',
  83890176: 'read-only',
};

/** The domain's lockout policy, on both sides: three wrong passwords lock an account for 30 minutes. */
const LOCKOUT = { threshold: 3, durationMinutes: 30, observationMinutes: 30 } as const;

const account = (name: string): SambaAccount => ACCOUNTS.find((a) => a.name === name)!;
/**
 * An account's key: a computer's salted as AD salts machine accounts (MS-KILE 3.1.1.2), a user's with
 * a UPN by the UPN (the realm and the UPN before its `@`, as Windows and Samba's DC salt it).
 */
function keyOf(name: string, etype = 18): Key {
  const a = account(name);
  if (a.kind === 'user' && a.upn !== undefined)
    return stringToKey(etype, a.password, `${REALM}${a.upn.slice(0, a.upn.lastIndexOf('@'))}`);
  if (a.kind === 'user') return userKey(REALM, name, a.password, etype);
  return stringToKey(etype, a.password, `${REALM}host${name.replace(/\$$/, '').toLowerCase()}.${DNS_DOMAIN}`);
}

/** krbsim's mirror of the Samba domain: the same SID, RIDs, groups, passwords and krbtgt key. */
function mirror(samba: SambaDc): Realm {
  const realm = new Realm({
    name: REALM,
    kind: 'active-directory',
    domainSid: samba.domainSid,
    krbtgtKeys: samba.keys('krbtgt'),
    clock: systemClock,
    random: systemRandom,
    // Samba's DC serves FAST; a Windows DC does at "KDC support for ... Kerberos armoring: Supported".
    // And both lock an account out as the domain's policy says.
    policy: {
      fast: 'supported',
      lockoutThreshold: LOCKOUT.threshold,
      lockoutDurationMs: LOCKOUT.durationMinutes * Duration.minute,
      lockoutObservationWindowMs: LOCKOUT.observationMinutes * Duration.minute,
    },
  });
  for (const g of GROUPS) realm.directory.addGroup(g.name, { scope: g.scope, rid: samba.rids[g.name]! });
  for (const a of ACCOUNTS) {
    if (a.kind === 'computer') {
      const controller = DOMAIN_CONTROLLERS[a.userAccountControl ?? 0];
      realm.addComputer(a.name, {
        password: a.password,
        rid: samba.rids[a.name]!,
        ...(a.spns !== undefined && { spns: [...a.spns] }),
        ...(controller !== undefined && { domainController: controller }),
      });
      continue;
    }
    realm.addUser(a.name, {
      password: a.password,
      rid: samba.rids[a.name]!,
      upn: a.upn ?? `${a.name}@${DNS_DOMAIN}`,
      ...(a.noAuthDataRequired === true && { authDataNotRequired: true }),
      ...(a.spns !== undefined && { spns: [...a.spns] }),
      ...(a.disabled === true && { disabled: true }),
      ...(a.expired === true && { accountExpires: Date.UTC(2020, 0, 1) }),
      ...(a.mustChangePassword === true && { mustChangePassword: true }),
      ...(a.noLogonHours === true && { logonHours: new Uint8Array(21) }),
      ...(a.notDelegated === true && { sensitive: true }),
      ...(a.noPreauth === true && { requiresPreauth: false }),
      delegation: {
        ...(a.trustedToAuthenticate === true && { trustedToAuthenticate: true }),
        ...(a.allowedToDelegateTo !== undefined && { allowedTo: [...a.allowedToDelegateTo] }),
        ...(a.allowedToActFrom !== undefined && { allowedFrom: [...a.allowedToActFrom] }),
      },
    });
    for (const g of a.groups ?? []) realm.directory.addMember(g, a.name);
  }
  // A DC's kadmin/changepw: a name of its krbtgt account, with its keys.
  realm.addPasswordChangeService({ keys: samba.keys('krbtgt') });
  return realm;
}

/** The METHOD-DATA Samba 4.17 sends with a pre-authentication error. */
const SAMBA_METHODS = /^KDC_ERR_PREAUTH_REQUIRED e-data=16,15,147,2,136,655,19\(18:CORP\.CONTOSO\.COM\w+\)$/;
const WHY_METHODS =
  "Samba 4.17's KDC offers PKINIT (16, 15, 147) without a KDC certificate, FAST (136) and Heimdal's PA-GSS (655), and puts ETYPE-INFO2 last; a Windows DC, as Samba's own strict tests expect of it, sends ETYPE-INFO2, PA-ENC-TIMESTAMP, PA-PK-AS-REQ and PA-PK-AS-REP-19, and krbsim offers PKINIT only in a realm that serves it (a DC offers FAST only when its policy fails unarmored requests: fastOfferedInErrors)";
const WHY_DOMAIN_LOCAL =
  "Samba 4.17 puts a domain-local group in the TGT's GroupIds; a Windows DC adds it at the TGS, to the service ticket's ResourceGroupIds with SE_GROUP_RESOURCE (0x20000007) and LOGON_RESOURCE_GROUPS, as the Windows Server 2022 ticket of test/fixtures/pac/windows.json carries Denied RODC Password Replication Group (572)";

const WHY_NTSTATUS =
  "the same NTSTATUS in another container: Samba 4.17 adds it as PA-PW-SALT to a METHOD-DATA with ETYPE-INFO2, which Wireshark's dissector (written against Windows DCs) reports as malformed; krbsim sends the KERB-ERROR-DATA alone, MS-KILE 2.2.2's form, wire-identical to the single PA-PW-SALT PA-DATA that dissector and Samba's own client read (pcap-pac-tshark.test.ts reads it)";

const WHY_CNAME =
  "a Windows DC's KRB-ERROR names no client (krbErrorStyle 'active-directory'; Samba's strict tests expect no cname of Windows), where Samba 4.17's names it";

/** A refusal of `user` with `status` (8 hex digits) as Samba sends it and as krbsim does. */
function ntStatusDifference(code: string, user: string, status: string): KnownDifference {
  const le = status.match(/../g)!.reverse().join('');
  return {
    oracle: new RegExp(
      `^${code} e-data=19\\(18:CORP\\.CONTOSO\\.COM${user}\\),3\\(${le}0000000001000000\\)$`,
    ),
    krbsim: `${code} e-data=ntstatus=0x${status}`,
    why: WHY_NTSTATUS,
  };
}

/** A wrong password of `user`: Samba 4.17 answers with ETYPE-INFO2 alone. */
function wrongPassword(user: string): KnownDifference {
  return {
    oracle: new RegExp(`^KDC_ERR_PREAUTH_FAILED e-data=19\\(18:CORP\\.CONTOSO\\.COM${user}\\)$`),
    krbsim: `KDC_ERR_PREAUTH_FAILED e-data=19(18:CORP.CONTOSO.COM${user}),2`,
    why: "Samba 4.17 sends ETYPE-INFO2 alone with PREAUTH_FAILED; a Windows DC sends the METHOD-DATA of PREAUTH_REQUIRED again (Samba's strict tests check both errors alike), as MIT's KDC and krbsim do",
  };
}

/** Where krbsim answers otherwise on purpose: Samba's answer (a pattern), krbsim's, and why. */
const KNOWN_DIFFERENCES: Record<string, KnownDifference> = {
  'AS-REQ for a disabled user': ntStatusDifference('KDC_ERR_CLIENT_REVOKED', 'dave', 'c0000072'),
  'AS-REQ for an expired account': ntStatusDifference('KDC_ERR_CLIENT_REVOKED', 'erin', 'c0000193'),
  'AS-REQ for a user who must change the password': ntStatusDifference(
    'KDC_ERR_KEY_EXPIRED',
    'frank',
    'c0000224',
  ),
  'AS-REQ outside the logon hours': ntStatusDifference('KDC_ERR_CLIENT_REVOKED', 'grace', 'c000006f'),
  'AS-REQ without pre-authentication': {
    oracle: SAMBA_METHODS,
    krbsim: 'KDC_ERR_PREAUTH_REQUIRED e-data=19(18:CORP.CONTOSO.COMalice),2',
    why: WHY_METHODS,
  },
  'AS-REQ without pre-authentication for a user who needs none': {
    oracle: SAMBA_METHODS,
    krbsim:
      "REP forwardable,renewable,initial life=600m renew=10080m sk=18 tkt=18 s=krbtgt/CORP.CONTOSO.COM | ticket forwardable,renewable,initial ad=1[128] caddr=- tr= | pa=[19] encpa=[165] | pac=[1,10,12,17,18,6,7] | logon ivan full='' server=DC1 domain=CORP/D user=ivan primary=513 groups=513:0x7 extra=S-1-18-1:0x7 resource=- flags=0x20 uac=0x10210 bad=0 times logoff=never kickoff=never pwset=set pwcan=set pwmust=never | client ivan id=authtime | upn ivan@corp.contoso.com dns=CORP.CONTOSO.COM flags=2 sam=ivan sid=D-ivan | attributes=2 | requestor=D-ivan | sig6=16 | sig7=16",
    why: "Samba 4.17's KDC asks for pre-authentication even of an account with DONT_REQ_PREAUTH (MIT's kinit sees the same); a Windows DC answers such an account without it (the exposure AS-REP roasting uses), as krbsim does, and writes USER_DONT_REQUIRE_PREAUTH in its PAC",
  },
  'S4U2Self by PA-FOR-USER, a service not trusted to authenticate': {
    oracle:
      /^REP pre-authent,transited-policy-checked life=600m renew=- sk=18 tkt=18 s=plainsvc \| ticket pre-authent,transited-policy-checked /,
    krbsim:
      "REP forwardable,pre-authent,transited-policy-checked life=600m renew=- sk=18 tkt=18 s=plainsvc | ticket forwardable,pre-authent,transited-policy-checked ad=1[128] caddr=- tr= | pa=[] encpa=[165(18000000)] | pac=[1,10,12,6,7,16,19] | logon alice full='' server=DC1 domain=CORP/D user=alice primary=513 groups=513:0x7,Analysts:0x7,Data Readers:0x7 extra=S-1-18-2:0x7 resource=- flags=0x20 uac=0x210 bad=0 times logoff=never kickoff=never pwset=set pwcan=set pwmust=never | client alice id=authtime | upn alice@corp.contoso.com dns=CORP.CONTOSO.COM flags=2 sam=alice sid=D-alice | sig6=16 | sig7=16 | sig16=16 | sig19=16 | cname=1:alice",
    why: "MS-SFU 3.2.5.1.2 withholds FORWARDABLE from S4U2Self only when the service is not trusted to authenticate for delegation AND has classic delegation targets; plainsvc has none, so a Windows DC sets it as asked (Samba's s4u_tests.py, run against Windows: test_s4u2self_not_trusted_empty_allowed), as MIT's s4u2self_forwardable does; Samba 4.17's KDC withholds it",
  },
  'AS-REQ with a wrong password': wrongPassword('alice'),
  // Both verify the first timestamp only (Heimdal's rule; MIT tries each).
  'AS-REQ with a wrong timestamp, then the right one': wrongPassword('carol'),
  'AS-REQ, RENEWABLE without an rtime': {
    // bad=1: the PAC reports alice's wrong password of the case before, as Samba's does.
    oracle: /^REP forwardable,initial,pre-authent life=600m renew=- .* bad=1 times /,
    krbsim:
      "REP forwardable,renewable,initial,pre-authent life=600m renew=10080m sk=18 tkt=18 s=krbtgt/CORP.CONTOSO.COM | ticket forwardable,renewable,initial,pre-authent ad=1[128] caddr=- tr= | pa=[19] encpa=[165] | pac=[1,10,12,17,18,6,7] | logon alice full='' server=DC1 domain=CORP/D user=alice primary=513 groups=513:0x7,Analysts:0x7,Data Readers:0x7 extra=S-1-18-1:0x7 resource=- flags=0x20 uac=0x210 bad=1 times logoff=never kickoff=never pwset=set pwcan=set pwmust=never | client alice id=authtime | upn alice@corp.contoso.com dns=CORP.CONTOSO.COM flags=2 sam=alice sid=D-alice | attributes=2 | requestor=D-alice | sig6=16 | sig7=16",
    why: "RFC 4120 leaves a RENEWABLE request without rtime open: Samba's Heimdal KDC issues no renewable ticket, MIT's KDC one renewable for as long as policy allows (kdc-differential-mit.test.ts holds krbsim to MIT); Windows clients always send an rtime",
  },
  'AS-REQ with the right timestamp, then a wrong one': {
    oracle: /groups=513:0x7,Analysts:0x7,SQL Logins:0x7 .* bad=1 times /,
    krbsim:
      "REP forwardable,renewable,initial,pre-authent life=600m renew=10080m sk=18 tkt=18 s=krbtgt/CORP.CONTOSO.COM | ticket forwardable,renewable,initial,pre-authent ad=1[128] caddr=- tr= | pa=[19] encpa=[165] | pac=[1,10,12,17,18,6,7] | logon carol full='' server=DC1 domain=CORP/D user=carol primary=513 groups=513:0x7,Analysts:0x7 extra=S-1-18-1:0x7 resource=- flags=0x20 uac=0x210 bad=1 times logoff=never kickoff=never pwset=set pwcan=set pwmust=never | client carol id=authtime | upn carol@corp.contoso.com dns=CORP.CONTOSO.COM flags=2 sam=carol sid=D-carol | attributes=2 | requestor=D-carol | sig6=16 | sig7=16",
    why: `both take the first timestamp and ignore the second; bad=1, the wrong one of the case before, in both PACs. ${WHY_DOMAIN_LOCAL}`,
  },
  'AS-REQ POSTDATED, to start in two hours': {
    oracle: /^KDC_ERR_POLICY e-data=19\(18:CORP\.CONTOSO\.COMalice\)$/,
    krbsim: 'KDC_ERR_POLICY',
    why: 'the same refusal; Samba 4.17 attaches its ETYPE-INFO2 to the error, krbsim no e-data',
  },
  'AS-REQ ALLOW-POSTDATE': {
    oracle: /^KDC_ERR_POLICY e-data=19\(18:CORP\.CONTOSO\.COMalice\)$/,
    krbsim: 'KDC_ERR_POLICY',
    why: 'as above',
  },
  'AS-REQ to start in two hours, without POSTDATED': {
    oracle: /^REP forwardable,renewable,initial,pre-authent life=600m /,
    krbsim: 'KDC_ERR_CANNOT_POSTDATE',
    why: 'RFC 4120 3.1.3 names this error; Samba, like MIT, starts the ticket now instead (kdc-differential-mit.test.ts pins the same)',
  },
  'AS-REQ with an end time in the past': {
    oracle: /^REP forwardable,renewable,initial,pre-authent life=-60m /,
    krbsim: 'KDC_ERR_NEVER_VALID',
    why: 'RFC 4120 3.1.3: an end time before the start time is KDC_ERR_NEVER_VALID; Samba, like MIT, issues an expired ticket',
  },
  'AS-REQ for kadmin/changepw': {
    oracle: /^REP forwardable,renewable,initial,pre-authent life=2m .* encpa=\[165\(1f000100\)\] /,
    krbsim:
      "REP forwardable,renewable,initial,pre-authent life=2m renew=10080m sk=18 tkt=18 s=kadmin/changepw | ticket forwardable,renewable,initial,pre-authent ad=1[128] caddr=- tr= | pa=[19] encpa=[165(10000000)] | pac=[1,10,12,6,7] | logon alice full='' server=DC1 domain=CORP/D user=alice primary=513 groups=513:0x7,Analysts:0x7,Data Readers:0x7 extra=S-1-18-1:0x7 resource=- flags=0x20 uac=0x210 bad=0 times logoff=never kickoff=never pwset=set pwcan=set pwmust=never | client alice id=authtime | upn alice@corp.contoso.com dns=CORP.CONTOSO.COM flags=2 sam=alice sid=D-alice | sig6=16 | sig7=16",
    why: "the same 2-minute ticket, sealed with the krbtgt keys; PA-SUPPORTED-ENCTYPES: Samba reports its krbtgt account's attribute (0x1f) with FAST-supported, krbsim the keys the mirror's kadmin/changepw holds (Samba exports one krbtgt key, aes256)",
  },
  'TGS-REQ for kadmin/changepw': {
    oracle:
      /^REP forwardable,pre-authent,transited-policy-checked,ok-as-delegate life=2m .* sig16=16 \| sig19=16$/,
    krbsim:
      "REP forwardable,pre-authent,transited-policy-checked life=2m renew=- sk=18 tkt=18 s=kadmin/changepw | ticket forwardable,pre-authent,transited-policy-checked ad=1[128] caddr=- tr= | pa=[] encpa=[165(10000000)] | pac=[1,10,12,6,7] | logon alice full='' server=DC1 domain=CORP/D user=alice primary=513 groups=513:0x7,Analysts:0x7,Data Readers:0x7 extra=S-1-18-1:0x7 resource=- flags=0x20 uac=0x210 bad=0 times logoff=never kickoff=never pwset=set pwcan=set pwmust=never | client alice id=authtime | upn alice@corp.contoso.com dns=CORP.CONTOSO.COM flags=2 sam=alice sid=D-alice | sig6=16 | sig7=16",
    why: "MS-PAC 2.8.2 and 2.8.3: the ticket and extended KDC signatures go in tickets not encrypted to the krbtgt account, 'including the change password service', which Samba 4.17 signs anyway; and Samba's kadmin/changepw is ok-as-delegate, which a Windows krbtgt account is not trusted for; PA-SUPPORTED-ENCTYPES as above",
  },
  'S4U2Self by PA-FOR-USER naming the realm in lower case': {
    oracle:
      /^REP forwardable,pre-authent,transited-policy-checked life=600m renew=- sk=18 tkt=18 s=websvc@CORP\.CONTOSO\.COM \| /,
    krbsim:
      "REP forwardable,pre-authent,transited-policy-checked life=600m renew=- sk=18 tkt=18 s=websvc | ticket forwardable,pre-authent,transited-policy-checked ad=1[128] caddr=- tr= | pa=[] encpa=[165(18000000)] | pac=[1,10,12,6,7,16,19] | logon alice full='' server=DC1 domain=CORP/D user=alice primary=513 groups=513:0x7,Analysts:0x7,Data Readers:0x7 extra=S-1-18-2:0x7 resource=- flags=0x20 uac=0x210 bad=0 times logoff=never kickoff=never pwset=set pwcan=set pwmust=never | client alice id=authtime | upn alice@corp.contoso.com dns=CORP.CONTOSO.COM flags=2 sam=alice sid=D-alice | sig6=16 | sig7=16 | sig16=16 | sig19=16 | cname=1:alice",
    why: "both serve a domain's realm in any case (an MIT realm refuses another case, as MIT does); Samba's reply names the client realm as the request cased it, krbsim's as the domain names its realm (the tickets alike)",
  },
  'AS-REQ for a member of a domain-local group': {
    oracle: /groups=513:0x7,Analysts:0x7,SQL Logins:0x7 /,
    krbsim:
      "REP forwardable,renewable,initial,pre-authent life=600m renew=10080m sk=18 tkt=18 s=krbtgt/CORP.CONTOSO.COM | ticket forwardable,renewable,initial,pre-authent ad=1[128] caddr=- tr= | pa=[19] encpa=[165] | pac=[1,10,12,17,18,6,7] | logon carol full='' server=DC1 domain=CORP/D user=carol primary=513 groups=513:0x7,Analysts:0x7 extra=S-1-18-1:0x7 resource=- flags=0x20 uac=0x210 bad=0 times logoff=never kickoff=never pwset=set pwcan=set pwmust=never | client carol id=authtime | upn carol@corp.contoso.com dns=CORP.CONTOSO.COM flags=2 sam=carol sid=D-carol | attributes=2 | requestor=D-carol | sig6=16 | sig7=16",
    why: WHY_DOMAIN_LOCAL,
  },
  'TGS-REQ for the SQL service, a member of a domain-local group': {
    oracle: /groups=513:0x7,Analysts:0x7,SQL Logins:0x7 extra=S-1-18-1:0x7 resource=- flags=0x20 /,
    krbsim:
      "REP forwardable,pre-authent,transited-policy-checked life=600m renew=- sk=18 tkt=18 s=MSSQLSvc/sql01.corp.contoso.com:1433 | ticket forwardable,pre-authent,transited-policy-checked ad=1[128] caddr=- tr= | pa=[] encpa=[165(18000000)] | pac=[1,10,12,6,7,16,19] | logon carol full='' server=DC1 domain=CORP/D user=carol primary=513 groups=513:0x7,Analysts:0x7 extra=S-1-18-1:0x7 resource=D[SQL Logins:0x20000007] flags=0x220 uac=0x210 bad=0 times logoff=never kickoff=never pwset=set pwcan=set pwmust=never | client carol id=authtime | upn carol@corp.contoso.com dns=CORP.CONTOSO.COM flags=2 sam=carol sid=D-carol | sig6=16 | sig7=16 | sig16=16 | sig19=16",
    why: WHY_DOMAIN_LOCAL,
  },
  'AS-REQ of a domain controller': {
    oracle:
      /primary=516 groups=516:0x7,572:0x7 extra=S-1-5-9:0x7,S-1-18-1:0x7 resource=- flags=0x20 uac=0x2100 /,
    krbsim:
      "REP forwardable,renewable,initial,pre-authent life=600m renew=10080m sk=18 tkt=18 s=krbtgt/CORP.CONTOSO.COM | ticket forwardable,renewable,initial,pre-authent ad=1[128] caddr=- tr= | pa=[19] encpa=[165] | pac=[1,10,12,17,18,6,7] | logon DC2$ full='' server=DC1 domain=CORP/D user=DC2$ primary=516 groups=516:0x7 extra=S-1-5-9:0x7,S-1-18-1:0x7 resource=- flags=0x20 uac=0x2100 bad=0 times logoff=never kickoff=never pwset=set pwcan=set pwmust=never | client DC2$ id=authtime | upn DC2$@corp.contoso.com dns=CORP.CONTOSO.COM flags=3 sam=DC2$ sid=D-DC2$ | attributes=2 | requestor=D-DC2$ | sig6=16 | sig7=16",
    why: `${WHY_DOMAIN_LOCAL}; the DC's account is in Denied RODC Password Replication Group (572) through Domain Controllers. Otherwise alike: primary group 516, S-1-5-9 added (MS-PAC 4.1.2.1), SERVER_TRUST_ACCOUNT and TRUSTED_FOR_DELEGATION`,
  },
  'AS-REQ of a read-only domain controller': {
    oracle:
      /primary=521 groups=521:0x7,572:0x7,498:0x7 extra=S-1-18-1:0x7 resource=- flags=0x20 uac=0x140080 /,
    krbsim:
      "REP forwardable,renewable,initial,pre-authent life=600m renew=10080m sk=18 tkt=18 s=krbtgt/CORP.CONTOSO.COM | ticket forwardable,renewable,initial,pre-authent ad=1[128] caddr=- tr= | pa=[19] encpa=[165] | pac=[1,10,12,17,18,6,7] | logon RODC2$ full='' server=DC1 domain=CORP/D user=RODC2$ primary=521 groups=521:0x7,498:0x7 extra=S-1-18-1:0x7 resource=- flags=0x20 uac=0x140080 bad=0 times logoff=never kickoff=never pwset=set pwcan=set pwmust=never | client RODC2$ id=authtime | upn RODC2$@corp.contoso.com dns=CORP.CONTOSO.COM flags=3 sam=RODC2$ sid=D-RODC2$ | attributes=2 | requestor=D-RODC2$ | sig6=16 | sig7=16",
    why: `${WHY_DOMAIN_LOCAL}; the RODC's account is in Denied RODC Password Replication Group (572) through Read-only Domain Controllers. Otherwise alike: primary group 521, the forest root's Enterprise Read-only Domain Controllers (498) added (MS-PAC 4.1.2.1), PARTIAL_SECRETS_ACCOUNT and TRUSTED_TO_AUTHENTICATE_FOR_DELEGATION`,
  },
  "TGS-REQ for a domain controller's SPN": {
    oracle:
      /^REP forwardable,pre-authent,transited-policy-checked,ok-as-delegate life=600m .* encpa=\[165\(1f000000\)\] /,
    krbsim:
      "REP forwardable,pre-authent,transited-policy-checked,ok-as-delegate life=600m renew=- sk=18 tkt=18 s=ldap/dc2.corp.contoso.com | ticket forwardable,pre-authent,transited-policy-checked,ok-as-delegate ad=1[128] caddr=- tr= | pa=[] encpa=[165(18000000)] | pac=[1,10,12,6,7,16,19] | logon alice full='' server=DC1 domain=CORP/D user=alice primary=513 groups=513:0x7,Analysts:0x7,Data Readers:0x7 extra=S-1-18-1:0x7 resource=- flags=0x20 uac=0x210 bad=0 times logoff=never kickoff=never pwset=set pwcan=set pwmust=never | client alice id=authtime | upn alice@corp.contoso.com dns=CORP.CONTOSO.COM flags=2 sam=alice sid=D-alice | sig6=16 | sig7=16 | sig16=16 | sig19=16",
    why: "both set ok-as-delegate (a DC is trusted for delegation); Samba 4.17 states every enctype (0x1f, DES included) in PA-SUPPORTED-ENCTYPES for a DC's account whatever its msDS-SupportedEncryptionTypes, krbsim the account's (AES, 0x18), as for any other service",
  },
  'TGS-REQ of a domain controller for a service': {
    oracle: /primary=516 groups=516:0x7,572:0x7 extra=S-1-5-9:0x7,S-1-18-1:0x7 resource=- flags=0x20 /,
    krbsim:
      "REP forwardable,pre-authent,transited-policy-checked life=600m renew=- sk=18 tkt=18 s=HTTP/plain.corp.contoso.com | ticket forwardable,pre-authent,transited-policy-checked ad=1[128] caddr=- tr= | pa=[] encpa=[165(18000000)] | pac=[1,10,12,6,7,16,19] | logon DC2$ full='' server=DC1 domain=CORP/D user=DC2$ primary=516 groups=516:0x7 extra=S-1-5-9:0x7,S-1-18-1:0x7 resource=D[572:0x20000007] flags=0x220 uac=0x2100 bad=0 times logoff=never kickoff=never pwset=set pwcan=set pwmust=never | client DC2$ id=authtime | upn DC2$@corp.contoso.com dns=CORP.CONTOSO.COM flags=3 sam=DC2$ sid=D-DC2$ | sig6=16 | sig7=16 | sig16=16 | sig19=16",
    why: WHY_DOMAIN_LOCAL,
  },
  'AS-REQ for rc4-hmac only': {
    oracle: /^REP forwardable,renewable,initial,pre-authent life=600m renew=10080m sk=23 tkt=18 /,
    krbsim: 'KDC_ERR_ETYPE_NOSUPP',
    why: 'krbsim keeps rc4-hmac off unless a realm allows weak crypto (allowWeakCrypto), as current Windows guidance has it; Samba 4.17, like a DC of its time, still issues rc4-hmac session keys by default',
  },
  'AS-REQ for aes128 only': {
    oracle: /^REP forwardable,renewable,initial,pre-authent life=600m renew=10080m sk=17 tkt=18 /,
    krbsim: 'KDC_ERR_ETYPE_NOSUPP',
    why: "krbsim, like MIT's KDC, gives a ticket a session key only of an etype its server has a key for, and the mirror's krbtgt has only the aes256 key Samba exports; a DC's krbtgt has an aes128 key too, as krbsim's own krbtgt has when the realm makes it",
  },
  'AS-REQ, aes128 first': {
    oracle: /^REP forwardable,renewable,initial,pre-authent life=600m renew=10080m sk=17 tkt=18 /,
    krbsim:
      "REP forwardable,renewable,initial,pre-authent life=600m renew=10080m sk=18 tkt=18 s=krbtgt/CORP.CONTOSO.COM | ticket forwardable,renewable,initial,pre-authent ad=1[128] caddr=- tr= | pa=[19] encpa=[165] | pac=[1,10,12,17,18,6,7] | logon alice full='' server=DC1 domain=CORP/D user=alice primary=513 groups=513:0x7,Analysts:0x7,Data Readers:0x7 extra=S-1-18-1:0x7 resource=- flags=0x20 uac=0x210 bad=0 times logoff=never kickoff=never pwset=set pwcan=set pwmust=never | client alice id=authtime | upn alice@corp.contoso.com dns=CORP.CONTOSO.COM flags=2 sam=alice sid=D-alice | attributes=2 | requestor=D-alice | sig6=16 | sig7=16",
    why: "the session key as in the TGS-REQ below: the strongest both sides support, where Samba takes the client's first",
  },
  'TGS-REQ for the SQL service, aes128 first': {
    oracle: /^REP forwardable,pre-authent,transited-policy-checked life=600m renew=- sk=17 tkt=18 /,
    krbsim:
      "REP forwardable,pre-authent,transited-policy-checked life=600m renew=- sk=18 tkt=18 s=MSSQLSvc/sql01.corp.contoso.com:1433 | ticket forwardable,pre-authent,transited-policy-checked ad=1[128] caddr=- tr= | pa=[] encpa=[165(18000000)] | pac=[1,10,12,6,7,16,19] | logon alice full='' server=DC1 domain=CORP/D user=alice primary=513 groups=513:0x7,Analysts:0x7,Data Readers:0x7 extra=S-1-18-1:0x7 resource=- flags=0x20 uac=0x210 bad=0 times logoff=never kickoff=never pwset=set pwcan=set pwmust=never | client alice id=authtime | upn alice@corp.contoso.com dns=CORP.CONTOSO.COM flags=2 sam=alice sid=D-alice | sig6=16 | sig7=16 | sig16=16 | sig19=16",
    why: "an active-directory realm gives the session key the strongest etype the client, the server and policy allow (keys.ts's sessionKeyEtype; MS-KILE 3.1.5.2 orders them by strength); Samba 4.17's Heimdal KDC takes the client's first choice, as MIT's KDC and an mit realm of krbsim's do. Which a Windows DC takes is not settled here; Windows clients list the strongest first, so for them the two agree",
  },
  'S4U2Self by PA-FOR-USER for a disabled user': {
    oracle: /^KDC_ERR_POLICY$/,
    krbsim: 'KDC_ERR_CLIENT_REVOKED e-data=ntstatus=0xc0000072',
    why: "krbsim refuses the impersonated account as its own logon would be refused (CLIENT_REVOKED with STATUS_ACCOUNT_DISABLED), as MIT's KDC refuses it too (kdc-s4u-differential-mit.test.ts); Samba 4.17 answers KDC_ERR_POLICY",
  },
  'S4U2Proxy to a service the list names': {
    oracle:
      /^REP forwardable,pre-authent,transited-policy-checked life=600m renew=- sk=18 tkt=18 s=MSSQLSvc\/sql01\.corp\.contoso\.com:1433 \| .* \| pac=\[1,11,10,12,6,7,16,19\] \| .* \| delegation to=MSSQLSvc\/sql01\.corp\.contoso\.com:1433 via=websvc@CORP\.CONTOSO\.COM \| client alice /,
    krbsim:
      "REP forwardable,pre-authent,transited-policy-checked life=600m renew=- sk=18 tkt=18 s=MSSQLSvc/sql01.corp.contoso.com:1433 | ticket forwardable,pre-authent,transited-policy-checked ad=1[128] caddr=- tr= | pa=[] encpa=[165(18000000)] | pac=[1,10,12,6,7,16,19,11] | logon alice full='' server=DC1 domain=CORP/D user=alice primary=513 groups=513:0x7,Analysts:0x7,Data Readers:0x7 extra=S-1-18-2:0x7 resource=- flags=0x20 uac=0x210 bad=0 times logoff=never kickoff=never pwset=set pwcan=set pwmust=never | client alice id=authtime | upn alice@corp.contoso.com dns=CORP.CONTOSO.COM flags=2 sam=alice sid=D-alice | sig6=16 | sig7=16 | sig16=16 | sig19=16 | delegation to=MSSQLSvc/sql01.corp.contoso.com:1433 via=websvc@CORP.CONTOSO.COM",
    why: "the same buffers with the same contents, in another order: Samba puts S4U_DELEGATION_INFO after LOGON_INFO, krbsim after the others (as MIT's krb5_pac_add_buffer appends); MS-PAC 2.4 sets no order, and Windows' own (test/fixtures/pac/windows.json: the signatures right after LOGON_INFO) is neither's",
  },
  'S4U2Proxy to a service the list does not name': {
    oracle: /^KDC_ERR_BADOPTION$/,
    krbsim: 'KDC_ERR_BADOPTION e-data=ntstatus=0xc0000272',
    why: 'MS-SFU 3.2.5.2.1: a DC refuses with STATUS_NO_MATCH in KERB-EXT-ERROR when Service 1 may not delegate to the target; Samba 4.17 sends the code alone',
  },
  'AS-REQ for a service ticket': {
    oracle: /^REP forwardable,renewable,initial,pre-authent .* s=sqlsvc \| .* pac=\[1,10,12,6,7\] \|/,
    krbsim:
      "REP forwardable,renewable,initial,pre-authent life=600m renew=10080m sk=18 tkt=18 s=sqlsvc | ticket forwardable,renewable,initial,pre-authent ad=1[128] caddr=- tr= | pa=[19] encpa=[165(18000000)] | pac=[1,10,12,6,7,16,19] | logon alice full='' server=DC1 domain=CORP/D user=alice primary=513 groups=513:0x7,Analysts:0x7,Data Readers:0x7 extra=S-1-18-1:0x7 resource=- flags=0x20 uac=0x210 bad=0 times logoff=never kickoff=never pwset=set pwcan=set pwmust=never | client alice id=authtime | upn alice@corp.contoso.com dns=CORP.CONTOSO.COM flags=2 sam=alice sid=D-alice | sig6=16 | sig7=16 | sig16=16 | sig19=16",
    why: "krbsim signs every service ticket's PAC alike, with the ticket and extended KDC signatures (MS-PAC 2.8.3, 2.8.5), whether AS or TGS issued it, as MIT's KDC does; Samba 4.17 leaves them out of a service ticket issued in an AS exchange",
  },
  'S4U2Self by PA-S4U-X509-USER, a service trusted to authenticate': {
    oracle: /^REP .* s=websvc \| .* pa=\[\] encpa=\[[^\]]*\] \| .* logon websvc .* cname=1:websvc$/,
    krbsim:
      "REP forwardable,pre-authent,transited-policy-checked life=600m renew=- sk=18 tkt=18 s=websvc | ticket forwardable,pre-authent,transited-policy-checked ad=1[128] caddr=- tr= | pa=[130] encpa=[165(18000000)] | pac=[1,10,12,6,7,16,19] | logon alice full='' server=DC1 domain=CORP/D user=alice primary=513 groups=513:0x7,Analysts:0x7,Data Readers:0x7 extra=S-1-18-2:0x7 resource=- flags=0x20 uac=0x210 bad=0 times logoff=never kickoff=never pwset=set pwcan=set pwmust=never | client alice id=authtime | upn alice@corp.contoso.com dns=CORP.CONTOSO.COM flags=2 sam=alice sid=D-alice | sig6=16 | sig7=16 | sig16=16 | sig19=16 | cname=1:alice",
    why: "Samba 4.17's KDC ignores PA-S4U-X509-USER (MS-SFU 2.2.2) and issues the service a ticket in its own name; krbsim serves it, as Windows and MIT's KDC do (kdc-s4u-differential-mit.test.ts), echoing it in the reply (130)",
  },
  'S4U2Proxy resource-based, with the PA-PAC-OPTIONS bit': {
    oracle: /^KDC_ERR_BADOPTION$/,
    krbsim:
      "REP forwardable,pre-authent,transited-policy-checked life=600m renew=- sk=18 tkt=18 s=HTTP/rbcd.corp.contoso.com | ticket forwardable,pre-authent,transited-policy-checked ad=1[128] caddr=- tr= | pa=[] encpa=[167,165(18000000)] | pac=[1,10,12,6,7,16,19,11] | logon alice full='' server=DC1 domain=CORP/D user=alice primary=513 groups=513:0x7,Analysts:0x7,Data Readers:0x7 extra=S-1-18-2:0x7 resource=- flags=0x20 uac=0x210 bad=0 times logoff=never kickoff=never pwset=set pwcan=set pwmust=never | client alice id=authtime | upn alice@corp.contoso.com dns=CORP.CONTOSO.COM flags=2 sam=alice sid=D-alice | sig6=16 | sig7=16 | sig16=16 | sig19=16 | delegation to=HTTP/rbcd.corp.contoso.com via=websvc@CORP.CONTOSO.COM",
    why: "Samba 4.17's KDC (Heimdal's) does not serve resource-based constrained delegation; krbsim does as MS-SFU 3.2.5.2.3 has it, when the request sets PA-PAC-OPTIONS' bit",
  },
  'S4U2Proxy resource-based, without the PA-PAC-OPTIONS bit': {
    oracle: /^KDC_ERR_BADOPTION$/,
    krbsim: 'KDC_ERR_BADOPTION e-data=ntstatus=0xc0000272',
    why: 'refused by both (MS-SFU 3.2.5.2.1: no resource-based delegation without the bit); krbsim says STATUS_NO_MATCH, as for the classic list below',
  },
  'TGS-REQ for its own krbtgt with enc-authorization-data': {
    oracle:
      /^REP forwardable,pre-authent,transited-policy-checked,ok-as-delegate life=600m renew=- sk=18 tkt=18 s=krbtgt\/CORP\.CONTOSO\.COM \| ticket forwardable,pre-authent,transited-policy-checked,ok-as-delegate ad=1\[128\],1\[142\] /,
    krbsim:
      "REP forwardable,pre-authent,transited-policy-checked life=600m renew=- sk=18 tkt=18 s=krbtgt/CORP.CONTOSO.COM | ticket forwardable,pre-authent,transited-policy-checked ad=1[128],1[142] caddr=- tr= | pa=[] encpa=[165] | pac=[1,10,12,17,18,6,7] | logon alice full='' server=DC1 domain=CORP/D user=alice primary=513 groups=513:0x7,Analysts:0x7,Data Readers:0x7 extra=S-1-18-1:0x7 resource=- flags=0x20 uac=0x210 bad=0 times logoff=never kickoff=never pwset=set pwcan=set pwmust=never | client alice id=authtime | upn alice@corp.contoso.com dns=CORP.CONTOSO.COM flags=2 sam=alice sid=D-alice | attributes=2 | requestor=D-alice | sig6=16 | sig7=16",
    why: "both append the request's authorization data to the TGT as to a service ticket (RFC 4120 section 3.3.3); Samba 4.17's TGTs from a TGS-REQ are ok-as-delegate, which a Windows krbtgt account is not trusted for (as for kadmin/changepw above)",
  },
  'TGS-REQ renewing the TGT': {
    oracle:
      /^REP pre-authent,transited-policy-checked,ok-as-delegate life=600m renew=- .* s=krbtgt\/CORP\.CONTOSO\.COM /,
    krbsim:
      "REP forwardable,renewable,initial,pre-authent,transited-policy-checked life=600m renew=10080m sk=18 tkt=18 s=krbtgt/CORP.CONTOSO.COM | ticket forwardable,renewable,initial,pre-authent,transited-policy-checked ad=1[128] caddr=- tr= | pa=[] encpa=[] | pac=[1,10,12,17,18,6,7] | logon alice full='' server=DC1 domain=CORP/D user=alice primary=513 groups=513:0x7,Analysts:0x7,Data Readers:0x7 extra=S-1-18-1:0x7 resource=- flags=0x20 uac=0x210 bad=0 times logoff=never kickoff=never pwset=set pwcan=set pwmust=never | client alice id=authtime | upn alice@corp.contoso.com dns=CORP.CONTOSO.COM flags=2 sam=alice sid=D-alice | attributes=2 | requestor=D-alice | sig6=16 | sig7=16",
    why: "RFC 4120 section 3.3.3.1: a renewed ticket is the presented one with new times, so krbsim keeps its flags and renew-till, as MIT's KDC does (kdc-differential-mit.test.ts); Samba 4.17 issues a new TGT without FORWARDABLE, RENEWABLE or a renew-till",
  },
  'User-to-user: a ticket to a user without SPNs, sealed in its TGT session key': {
    oracle: /^KDC_ERR_S_PRINCIPAL_UNKNOWN$/,
    krbsim:
      "REP pre-authent,transited-policy-checked life=600m renew=- sk=18 tkt=18 s=bob | ticket pre-authent,transited-policy-checked ad=1[128] caddr=- tr= | pa=[] encpa=[165(18000000)] | pac=[1,10,12,6,7,16,19] | logon alice full='' server=DC1 domain=CORP/D user=alice primary=513 groups=513:0x7,Analysts:0x7,Data Readers:0x7 extra=S-1-18-1:0x7 resource=- flags=0x20 uac=0x210 bad=0 times logoff=never kickoff=never pwset=set pwcan=set pwmust=never | client alice id=authtime | upn alice@corp.contoso.com dns=CORP.CONTOSO.COM flags=2 sam=alice sid=D-alice | sig6=16 | sig7=16 | sig16=16 | sig19=16",
    why: 'user-to-user is how a Windows DC lets a user account without SPNs be the server (the "User2User was required" refusal of the case above; RFC 4120 section 3.3.3); Samba 4.17 finds no server by a plain user name',
  },
  'FAST: an armored AS-REQ without pre-authentication': {
    oracle:
      /^KDC_ERR_PREAUTH_REQUIRED cname=alice \| armored KDC_ERR_PREAUTH_REQUIRED offers=\[15,16,19,133,136,138,147,655\]$/,
    krbsim: 'KDC_ERR_PREAUTH_REQUIRED cname=- | armored KDC_ERR_PREAUTH_REQUIRED offers=[19,133,138]',
    why: `${WHY_CNAME}; and in the armor, ${WHY_METHODS}`,
  },
  'FAST: an encrypted challenge under another password': {
    oracle: /^KDC_ERR_PREAUTH_FAILED cname=alice \| armored KDC_ERR_PREAUTH_FAILED offers=\[19,133\]$/,
    krbsim: 'KDC_ERR_PREAUTH_FAILED cname=- | armored KDC_ERR_PREAUTH_FAILED offers=[19,133,138]',
    why: `${WHY_CNAME}; and krbsim offers the encrypted challenge again with the failure, as MIT's KDC does (kdc-fast-differential-mit.test.ts)`,
  },
  'FAST: an encrypted challenge of a disabled user': {
    oracle: /^KDC_ERR_CLIENT_REVOKED cname=dave \| armored KDC_ERR_CLIENT_REVOKED offers=\[3,19,133,138\]$/,
    krbsim:
      'KDC_ERR_CLIENT_REVOKED cname=- | armored KDC_ERR_CLIENT_REVOKED e-data=ntstatus=0xc0000072 offers=[]',
    why: `${WHY_CNAME}; and the NTSTATUS is the armored error's own e-data, where Samba adds it as PA-PW-SALT to the armor's padata: ${WHY_NTSTATUS}`,
  },
  'A forged TGT: Domain Admins added to its PAC, the signatures left as they were': {
    oracle: /^KRB_AP_ERR_BAD_INTEGRITY$/,
    krbsim: 'KRB_AP_ERR_MODIFIED',
    why: 'refused by both; a PAC whose signatures fail is KRB_AP_ERR_MODIFIED to a DC (MS-SFU 3.2.5.2.2: "If verification fails, the KDC MUST return KRB-AP-ERR-MODIFIED"), where Samba 4.17 says KRB_AP_ERR_BAD_INTEGRITY',
  },
  "lena's first wrong password": wrongPassword('lena'),
  "lena's second wrong password": wrongPassword('lena'),
  "lena's third wrong password": wrongPassword('lena'),
  'lena, locked out, with the right password': {
    oracle: /^KDC_ERR_CLIENT_REVOKED e-data=19\(18:CORP\.CONTOSO\.COMlena\)$/,
    krbsim: 'KDC_ERR_CLIENT_REVOKED e-data=ntstatus=0xc0000234',
    why: 'both lock lena out at the third wrong password and refuse the right one; a Windows DC says why with STATUS_ACCOUNT_LOCKED_OUT, which a Windows client reads to report the lockout, where Samba 4.17 sends ETYPE-INFO2 alone',
  },
  'TGS-REQ for a user without SPNs': {
    oracle: /^KDC_ERR_S_PRINCIPAL_UNKNOWN$/,
    krbsim: 'KDC_ERR_MUST_USE_USER2USER',
    why: 'a Windows DC refuses a service ticket for a user principal unless the request is user-to-user ("rejected because User2User was required", the KDC\'s event; userToUserForPlainUsers); Samba 4.17 finds no such server',
  },
  'FAST: PA-ENC-TIMESTAMP inside the armor': {
    oracle: /^KDC_ERR_POLICY cname=alice \| armored KDC_ERR_POLICY offers=\[19,133\]$/,
    krbsim: 'KDC_ERR_POLICY cname=- | armored KDC_ERR_POLICY offers=[]',
    why: `both refuse the timestamp under FAST with KDC_ERR_POLICY, unread (a Windows DC answers KDC_ERR_PREAUTH_REQUIRED: Samba's test_fast_enc_timestamp; an MIT realm accepts it, as MIT's KDC does); ${WHY_CNAME}; and Samba puts ETYPE-INFO2 and a cookie beside any armored AS refusal (as the disabled user's above), krbsim beside a pre-authentication error's only`,
  },
  "FAST: enc-fast-req naming etype 17, the armor key's being 18": {
    oracle: /^fast=\[19,138\] strengthened finished \| REP /,
    krbsim: 'KRB_ERR_GENERIC cname=- | armored KRB_ERR_GENERIC offers=[]',
    why: "an EncryptedData names its key's etype (RFC 4120 section 5.2.9): krbsim refuses one that names another, as MIT's KDC does (krb5_c_decrypt's KRB5_BAD_ENCTYPE, kdc-fast-differential-mit.test.ts); Samba's Heimdal decrypts with the armor key whatever the field says",
  },
  'FAST: a TGS-REQ with explicit armor besides the implicit (compound identity)': {
    oracle: /^fast=\[\] strengthened finished \| REP .* s=MSSQLSvc\/sql01\.corp\.contoso\.com:1433 /,
    krbsim: 'KDC_ERR_PREAUTH_FAILED cname=-',
    why: "a DC serves explicit armor in a TGS-REQ as compound identity (MS-KILE 3.3.5.7.4: the armor key KRB-FX-CF2 of the explicit armor's and the subkey, the device's groups and claims in the ticket), as Samba does; krbsim does not serve compound identity and refuses it with KDC_ERR_PREAUTH_FAILED (MIT's code for AP-REQ armor in a TGS-REQ) rather than answer it as plain implicit armor",
  },
  'FAST: a TGS-REQ whose authenticator carries AD-fx-fast-armor': {
    oracle: /^KRB_AP_ERR_BAD_INTEGRITY cname=alice$/,
    krbsim: 'KRB_AP_ERR_BAD_INTEGRITY cname=-',
    why: `both refuse it, with the same code, before the armor is opened; ${WHY_CNAME}`,
  },
  'TGS-REQ with enc-authorization-data holding AD-fx-fast-armor': {
    oracle: /^REP .* s=krbtgt\/CORP\.CONTOSO\.COM \| ticket .* ad=1\[128\],71 /,
    krbsim: 'KDC_ERR_POLICY',
    why: "RFC 6113's FAST marks say how a ticket may be used (AD-fx-fast-armor: as FAST armor only), which the KDC, not the client, vouches for: krbsim refuses them in enc-authorization-data as it refuses KDC-issued types there; Samba 4.17 (as MIT's KDC: kdc-fast-differential-mit.test.ts) copies them into the ticket, a TGT then refused as a TGS header (the cases above)",
  },
  'TGS-REQ with enc-authorization-data holding AD-fx-fast-used': {
    oracle: /^REP .* ad=1\[128\],72 /,
    krbsim: 'KDC_ERR_POLICY',
    why: 'as for AD-fx-fast-armor: the KDC does not put AD-fx-fast-used into a ticket for the client (a TGT so marked makes every unarmored TGS-REQ KRB_AP_ERR_MODIFIED, the cases above); Samba 4.17 copies it',
  },
  'S4U2Self by PA-FOR-USER, a user account without SPNs, with user-to-user': {
    oracle: /^KDC_ERR_S_PRINCIPAL_UNKNOWN$/,
    krbsim:
      "REP forwardable,pre-authent,transited-policy-checked life=600m renew=- sk=18 tkt=18 s=bob | ticket forwardable,pre-authent,transited-policy-checked ad=1[128] caddr=- tr= | pa=[] encpa=[165(18000000)] | pac=[1,10,12,6,7,16,19] | logon alice full='' server=DC1 domain=CORP/D user=alice primary=513 groups=513:0x7,Analysts:0x7,Data Readers:0x7 extra=S-1-18-2:0x7 resource=- flags=0x20 uac=0x210 bad=0 times logoff=never kickoff=never pwset=set pwcan=set pwmust=never | client alice id=authtime | upn alice@corp.contoso.com dns=CORP.CONTOSO.COM flags=2 sam=alice sid=D-alice | sig6=16 | sig7=16 | sig16=16 | sig19=16 | cname=1:alice",
    why: "both refuse S4U2Self by an account without SPNs (the case above); with user-to-user a Windows DC serves it (what Impacket's getST -self -u2u asks, the ticket sealed in the account's TGT session key), as krbsim's AD realm serves user-to-user to such an account (the user-to-user case above); Samba 4.17 finds no server by a plain user name, user-to-user or not",
  },
  'S4U2Self by PA-S4U-X509-USER keyed with the TGT session key beside a subkey': {
    oracle: /^REP .* s=websvc \| .* pa=\[\] encpa=\[[^\]]*\] \| .* logon websvc .* cname=1:websvc$/,
    krbsim:
      "REP forwardable,pre-authent,transited-policy-checked life=600m renew=- sk=18 tkt=18 s=websvc | ticket forwardable,pre-authent,transited-policy-checked ad=1[128] caddr=- tr= | pa=[130] encpa=[165(18000000)] | pac=[1,10,12,6,7,16,19] | logon alice full='' server=DC1 domain=CORP/D user=alice primary=513 groups=513:0x7,Analysts:0x7,Data Readers:0x7 extra=S-1-18-2:0x7 resource=- flags=0x20 uac=0x210 bad=0 times logoff=never kickoff=never pwset=set pwcan=set pwmust=never | client alice id=authtime | upn alice@corp.contoso.com dns=CORP.CONTOSO.COM flags=2 sam=alice sid=D-alice | sig6=16 | sig7=16 | sig16=16 | sig19=16 | cname=1:alice",
    why: "Samba 4.17 ignores PA-S4U-X509-USER (the case above), so it says nothing of the key; an AD realm takes the TGT session key MS-SFU 2.2.2 names, beside a subkey too, and the subkey MIT's client keys it with, which Windows DCs serve (an MIT realm takes the subkey only, as MIT's KDC: kdc-s4u-differential-mit.test.ts)",
  },
};

/** One KDC, and the TGTs the TGS cases present. */
interface Side extends OracleSide {
  tgts?: Record<string, Creds>;
  /** websvc's S4U2Self ticket for alice: S4U2Proxy's evidence. */
  evidence?: Creds;
}

let domainSid = '';
/** The names of the RIDs Samba gave the spec's groups and accounts: lines name them, not numbers. */
let ridNames = new Map<number, string>();
/** The RID Samba gave `name`. */
const ridOf = (name: string) => [...ridNames].find(([, n]) => n === name)![0];
/** A RID as the lines write it: the account's or group's name when it is one of the spec's. */
const ridText = (rid: number) => ridNames.get(rid) ?? `${rid}`;
let krbtgtKeys: readonly Key[] = [];

const hex32 = (n: number) => `0x${(n >>> 0).toString(16)}`;
/** A SID with the domain's written `D`. */
function sidText(sid: Sid | undefined): string {
  if (sid === undefined) return '-';
  const text = formatSid(sid);
  if (!text.startsWith(`${domainSid}-`)) return text.replace(domainSid, 'D');
  return `D-${ridText(Number(text.slice(domainSid.length + 1)))}`;
}

/** A FILETIME as the comparison needs it: never, zero, or set. */
function fileTime(t: bigint): string {
  if (t === 0x7fffffffffffffffn) return 'never';
  return t === 0n ? '0' : 'set';
}

function describeLogon(v: KerbValidationInfo): string {
  const groups = v.groupIds.map((g) => `${ridText(g.relativeId)}:${hex32(g.attributes)}`).join(',');
  const extra = v.extraSids.map((s) => `${sidText(s.sid)}:${hex32(s.attributes)}`).join(',');
  const resource =
    v.resourceGroupDomainSid === undefined
      ? '-'
      : `${sidText(v.resourceGroupDomainSid)}[${v.resourceGroupIds.map((g) => `${ridText(g.relativeId)}:${hex32(g.attributes)}`).join(',')}]`;
  // LogonTime left out: Samba 4.17 writes 0 in a service ticket and the logon's time in an S4U2Self
  // ticket, the reverse of Windows' PACs (test/fixtures/pac/windows.json), whose values
  // packages/kdc/test/ms-kile-conformance.test.ts pins for krbsim.
  return [
    `logon ${v.effectiveName} full='${v.fullName}' server=${v.logonServer} domain=${v.logonDomainName}/${sidText(v.logonDomainId)}`,
    `user=${ridText(v.userId)} primary=${v.primaryGroupId} groups=${groups} extra=${extra || '-'} resource=${resource}`,
    // LogonCount left out: a DC counts an account's logons, krbsim keeps no logon statistics.
    `flags=${hex32(v.userFlags)} uac=${hex32(v.userAccountControl)} bad=${v.badPasswordCount}`,
    `times logoff=${fileTime(v.logoffTime)} kickoff=${fileTime(v.kickOffTime)} pwset=${fileTime(v.passwordLastSet)} pwcan=${fileTime(v.passwordCanChange)} pwmust=${fileTime(v.passwordMustChange)}`,
  ].join(' ');
}

/** The PAC as both must write it, `authtime` the ticket's (PAC_CLIENT_INFO's ClientId names it). */
function describePac(pac: Pac, authtime: number): string {
  const parts = [`pac=[${pac.buffers.map((b) => b.type).join(',')}]`];
  for (const b of pac.buffers) {
    if ('data' in b) {
      parts.push(`buffer${b.type}`);
      continue;
    }
    switch (b.type) {
      case PacBufferType.LOGON_INFO:
        parts.push(describeLogon(b.value));
        break;
      case PacBufferType.CLIENT_INFO:
        parts.push(
          `client ${b.value.name} id=${b.value.clientId === fileTimeFromMillis(authtime) ? 'authtime' : 'other'}`,
        );
        break;
      case PacBufferType.UPN_DNS_INFO: {
        const u = b.value;
        const ext = u.samName === undefined ? '' : ` sam=${u.samName} sid=${sidText(u.sid)}`;
        parts.push(`upn ${u.upn} dns=${u.dnsDomainName} flags=${u.flags}${ext}`);
        break;
      }
      case PacBufferType.ATTRIBUTES_INFO:
        parts.push(`attributes=${b.value.flags.join(',')}`);
        break;
      case PacBufferType.REQUESTOR:
        parts.push(`requestor=${sidText(b.value.sid)}`);
        break;
      case PacBufferType.DELEGATION_INFO:
        parts.push(`delegation to=${b.value.s4u2proxyTarget} via=${b.value.s4uTransitedServices.join(',')}`);
        break;
      default:
        parts.push(`sig${b.type}=${b.value.signatureType}`);
    }
  }
  return parts.join(' | ');
}

/** The PAC in a ticket's authorization data, if any. */
function pacOf(ad: AuthorizationData | undefined): Uint8Array | undefined {
  for (const e of ad ?? []) {
    if (e.adType === AdType.AD_WIN2K_PAC) return e.adData;
    if (e.adType === AdType.AD_IF_RELEVANT) {
      const inner = pacOf(decodeAuthorizationData(e.adData));
      if (inner !== undefined) return inner;
    }
  }
  return undefined;
}

/** The key that opens a ticket of this realm: the krbtgt's, or the account's of its server. */
function ticketKey(t: Ticket): Key {
  const server = t.sname.nameString.join('/');
  const etype = t.encPart.etype;
  // A DC's kadmin/changepw is a name of its krbtgt account, with its keys.
  if (server === `krbtgt/${REALM}` || server === 'kadmin/changepw')
    return krbtgtKeys.find((k) => k.etype === etype)!;
  const name = server.toLowerCase();
  const owner =
    ACCOUNTS.find((a) => [name, `${name}$`].includes(a.name.toLowerCase())) ??
    ACCOUNTS.find((a) => a.spns?.some((s) => s.toLowerCase() === name));
  if (owner === undefined) throw new Error(`no account serves ${server}`);
  return keyOf(owner.name, etype);
}

/** An error's e-data: METHOD-DATA's types and ETYPE-INFO2, or KERB-ERROR-DATA's NTSTATUS. */
function describeEData(eData: Uint8Array): string {
  try {
    const methods = decodeMethodData(eData);
    return methods
      .map((p) => {
        if (p.padataType === PaDataType.PA_PW_SALT)
          return `${p.padataType}(${Buffer.from(p.padataValue).toString('hex')})`;
        if (p.padataType !== PaDataType.PA_ETYPE_INFO2) return `${p.padataType}`;
        const info = decodeEtypeInfo2(p.padataValue)
          .map((e) => `${e.etype}${e.salt === undefined ? '' : `:${e.salt}`}`)
          .join(',');
        return `${p.padataType}(${info})`;
      })
      .join(',');
  } catch {
    // not METHOD-DATA
  }
  const data = decodeKerbErrorData(eData);
  if (data.dataType === KERB_ERR_TYPE_EXTENDED && data.dataValue !== undefined) {
    return `ntstatus=${hex32(decodeKerbExtError(data.dataValue).ntStatus)}`;
  }
  return `kerb-error-data type ${data.dataType}`;
}

/**
 * A KDC's answer as both must give it: the error and its e-data, or the
 * reply (kdc-oracle.ts's line), its padata types, and its ticket's PAC.
 */
function answerOf(
  reply: Uint8Array,
  open: (rep: Parameters<typeof openRep>[0]) => Creds,
  keyOfTicket: (t: Ticket) => Key = ticketKey,
): string {
  const r = parseReply(reply);
  if (r.kind === 'error') {
    const name = errorCodeName(r.error.errorCode);
    return r.error.eData === undefined ? name : `${name} e-data=${describeEData(r.error.eData)}`;
  }
  const line = describeKdcReply(reply, open, keyOfTicket);
  const creds = open(r.rep);
  const etp = openTicket(creds.ticket, keyOfTicket(creds.ticket));
  const pac = pacOf(etp.authorizationData);
  const pa = (r.rep.padata ?? []).map((p) => p.padataType).join(',');
  // The encrypted part's padata (RFC 6806's encrypted-pa-data), with PA-SUPPORTED-ENCTYPES' value for
  // a service: its msDS-SupportedEncryptionTypes. For krbtgt the value is each DC's configuration
  // (Samba 4.17: every etype it knows, DES too, and FAST; krbsim: the krbtgt's keys, and FAST when
  // served, which pcap-pac-tshark.test.ts reads), so a TGT's line says only that it is there.
  const isTgt = creds.ticket.sname.nameString[0] === 'krbtgt';
  const encPa = (creds.part.encryptedPaData ?? [])
    .map((p) =>
      p.padataType === PaDataType.PA_SUPPORTED_ETYPES && !isTgt
        ? `${p.padataType}(${Buffer.from(p.padataValue).toString('hex')})`
        : `${p.padataType}`,
    )
    .join(',');
  const pacText = pac === undefined ? 'no PAC' : describePac(decodePac(pac), etp.authtime);
  return `${line} | pa=[${pa}] encpa=[${encPa}] | ${pacText}`;
}

const now = () => Math.floor(Date.now() / 1000) * 1000;
/** The nonce of every TGS-REQ (PA-S4U-X509-USER repeats it). */
const NONCE = 31337;
/** [APPLICATION 13]: a TGS-REP. */
const TAG_TGS_REP = 0x6d;

const cases: OracleCase<Side>[] = [];

/** An AS exchange for `user`, pre-authenticated with its password unless `preauth` is false. */
function asCase(
  label: string,
  user: string,
  more: {
    preauth?: false;
    password?: string;
    pac?: boolean;
    options?: number;
    noRtime?: true;
    /** The name sent, when not `user` as NT-PRINCIPAL. */
    cname?: PrincipalName;
    sname?: string;
    etypes?: number[];
    /** The lifetime and renewable life asked for (default 10 hours, 7 days). */
    till?: number;
    rtime?: number;
    /** A second PA-ENC-TIMESTAMP under a wrong password, before or after the right one. */
    wrongTimestamp?: 'first' | 'second';
    /** The start time asked for, this far from the KDCs' time. */
    from?: number;
  } = {},
): void {
  cases.push({
    label,
    realm: REALM,
    build: (_side, t) => {
      const wrong = encTimestamp(userKey(REALM, user, `not-${user}`), t);
      const padata = [
        ...(more.wrongTimestamp === 'first' ? [wrong] : []),
        ...(more.preauth === false
          ? []
          : [
              encTimestamp(
                more.password === undefined ? keyOf(user) : userKey(REALM, user, more.password),
                t,
              ),
            ]),
        ...(more.wrongTimestamp === 'second' ? [wrong] : []),
        ...(more.pac === undefined ? [] : [pacRequest(more.pac)]),
      ];
      return asReq({
        realm: REALM,
        cname: more.cname ?? pn(user, NameType.NT_PRINCIPAL),
        ...(more.sname !== undefined && { sname: more.sname }),
        till: t + (more.till ?? 10 * Duration.hour),
        ...(more.noRtime === undefined && { rtime: t + (more.rtime ?? 7 * Duration.day) }),
        ...(more.from !== undefined && { from: t + more.from }),
        etypes: more.etypes ?? [18, 17],
        ...(more.options !== undefined && { options: more.options }),
        padata,
      });
    },
    outcome: (_side, reply) => answerOf(reply, (rep) => openRep(rep, keyOf(user), KeyUsage.AS_REP_ENCPART)),
  });
}

/** `tgt`, or a forgery of it: its EncTicketPart changed by `forge` and sealed again with the krbtgt key. */
function presented(
  tgt: Creds,
  forge: ((etp: EncTicketPart, krbtgtKey: Key) => EncTicketPart) | undefined,
): Creds {
  if (forge === undefined) return tgt;
  const key = krbtgtKeys.find((k) => k.etype === tgt.ticket.encPart.etype)!;
  return reseal(tgt, key, (etp) => forge(etp, key));
}

/** The TGT's PAC changed by `edit`, signed again with the krbtgt key (`resign`) or left as signed. */
function editPac(
  etp: EncTicketPart,
  krbtgtKey: Key,
  edit: (pac: Pac) => Pac,
  resign: boolean,
): EncTicketPart {
  const pac = edit(decodePac(unwrapPac(etp.authorizationData)!));
  const bytes = resign
    ? signPac(pac, { serverKey: krbtgtKey, kdcKey: krbtgtKey }).bytes.slice()
    : encodePac(pac);
  return { ...etp, authorizationData: withPac(etp.authorizationData, bytes) };
}

/** `pac` with its `type` buffer changed by `f`, or removed when `f` gives undefined. */
function editBuffer<T extends PacBuffer>(pac: Pac, type: number, f: (b: T) => PacBuffer | undefined): Pac {
  return {
    buffers: pac.buffers.flatMap((b) => (b.type === type ? [f(b as T)].filter((x) => x !== undefined) : [b])),
  };
}

/** A TGS exchange presenting `tgt`'s TGT (one the side got in beforeAll) for `sname`. */
function tgsCase(
  label: string,
  tgt: string,
  sname: string,
  more: {
    options?: number;
    s4uFor?: string;
    /** S4U2Proxy: the service's S4U2Self ticket for alice (got in beforeAll) as evidence. */
    proxy?: true;
    /** S4U2Proxy with PA-PAC-OPTIONS' resource-based-constrained-delegation bit. */
    rbcd?: true;
    /** PA-FOR-USER's realm, when not the realm's name as it is. */
    s4uRealm?: string;
    /** S4U2Self by PA-S4U-X509-USER for this user. */
    x509For?: string;
    /** User-to-user: this account's TGT as the second ticket, whose session key seals the ticket. */
    u2u?: string;
    /** RENEW the presented TGT. */
    renew?: true;
    /** Present the TGT changed this way and sealed again with the krbtgt key (a forgery). */
    forge?: (etp: EncTicketPart, krbtgtKey: Key) => EncTicketPart;
    /** The authenticator's clock, this far from the KDCs'. */
    skewMs?: number;
    /** The request's etypes (default aes256, aes128). */
    etypes?: number[];
    /** The end time asked for, this long after the case's time (default 10 hours, the TGT's own life). */
    tillMs?: number;
    /** enc-authorization-data (RFC 4120 5.4.1), sealed with the TGT's session key. */
    authorizationData?: AuthorizationData;
    /** PA-PAC-OPTIONS with these flags (MS-KILE 2.2.10), as a Windows client sends it. */
    pacOptions?: number;
    /** The authenticator's authorization-data (RFC 6113's FAST marks). */
    authenticatorAd?: AuthorizationData;
    /** The authenticator carries a subkey (the reply is sealed with it). */
    subkey?: true;
  } = {},
): void {
  // Each side's subkey, to open its reply.
  const subkeys = new Map<string, Key>();
  cases.push({
    label,
    realm: REALM,
    build: (side, t) => {
      const subkey = more.subkey === true ? generateKey(18, { random: clientRandom }) : undefined;
      if (subkey !== undefined) subkeys.set(side.name, subkey);
      return tgsReq({
        tgt: presented(side.tgts![tgt]!, more.forge),
        ...(subkey !== undefined && { subkey }),
        ...(more.authenticatorAd !== undefined && { authenticatorAuthorizationData: more.authenticatorAd }),
        now: t + (more.skewMs ?? 0),
        realm: REALM,
        sname: pn(sname, sname.includes('/') ? NameType.NT_SRV_INST : NameType.NT_PRINCIPAL),
        till: t + (more.tillMs ?? 10 * Duration.hour),
        ...(more.authorizationData !== undefined && { authorizationData: more.authorizationData }),
        nonce: NONCE,
        etypes: more.etypes ?? [18, 17],
        options: more.options ?? KdcOptions.forwardable | KdcOptions.canonicalize,
        ...(more.proxy === true && { additionalTickets: [side.evidence!.ticket] }),
        ...(more.u2u !== undefined && { additionalTickets: [side.tgts![more.u2u]!.ticket] }),
        extraPadata: [
          ...(more.s4uFor === undefined
            ? []
            : [
                paForUser(
                  side.tgts![tgt]!,
                  // A UPN is an enterprise name (RFC 6806 section 5), as a service names a user by it.
                  pn(more.s4uFor, more.s4uFor.includes('@') ? NameType.NT_ENTERPRISE : NameType.NT_PRINCIPAL),
                  more.s4uRealm ?? REALM,
                ),
              ]),
          ...(more.x509For === undefined
            ? []
            : [
                paS4uX509User(side.tgts![tgt]!, {
                  nonce: NONCE,
                  cname: pn(more.x509For, NameType.NT_PRINCIPAL),
                  crealm: REALM,
                }),
              ]),
          ...(more.rbcd === true ? [paPacOptionsRbcd] : []),
          ...(more.pacOptions === undefined
            ? []
            : [
                {
                  padataType: PaDataType.PA_PAC_OPTIONS,
                  padataValue: encodePaPacOptions({ flags: more.pacOptions }),
                },
              ]),
        ],
      });
    },
    outcome: (side, reply) => {
      const subkey = subkeys.get(side.name);
      const answer = answerOf(
        reply,
        (rep) =>
          subkey === undefined
            ? openRep(rep, side.tgts![tgt]!.sessionKey, KeyUsage.TGS_REP_ENCPART_SESSKEY)
            : openRep(rep, subkey, KeyUsage.TGS_REP_ENCPART_SUBKEY),
        more.u2u === undefined ? ticketKey : () => side.tgts![more.u2u!]!.sessionKey,
      );
      if ((more.s4uFor === undefined && more.x509For === undefined) || reply[0] !== TAG_TGS_REP)
        return answer;
      // S4U2Self: whose ticket it is, as the reply names the client (its type and name).
      const { cname } = decodeTgsRep(reply);
      return `${answer} | cname=${cname.nameType}:${cname.nameString.join('/')}`;
    },
  });
}

asCase('AS-REQ without pre-authentication', 'alice', { preauth: false });
asCase('AS-REQ with PA-ENC-TIMESTAMP', 'alice');
asCase('AS-REQ with PA-ENC-TIMESTAMP and PA-PAC-REQUEST false', 'alice', { pac: false });
asCase('AS-REQ with PA-ENC-TIMESTAMP and PA-PAC-REQUEST true', 'alice', { pac: true });
asCase('AS-REQ with a wrong password', 'alice', { password: 'not-alice' });
asCase('AS-REQ, RENEWABLE without an rtime', 'alice', { noRtime: true });
asCase('AS-REQ for a user who is not there', 'nobody', { preauth: false });
asCase('AS-REQ for a disabled user', 'dave');
asCase('AS-REQ for an expired account', 'erin');
asCase('AS-REQ for a user who must change the password', 'frank');
asCase('AS-REQ outside the logon hours', 'grace');
asCase('AS-REQ for a sensitive user, forwardable', 'heidi');
asCase('AS-REQ for a member of a domain-local group', 'carol');
asCase('AS-REQ by an enterprise name (the UPN)', 'alice', {
  cname: { nameType: NameType.NT_ENTERPRISE, nameString: [`alice@${DNS_DOMAIN}`] },
});
asCase('AS-REQ naming the user in upper case', 'alice', { cname: pn('ALICE', NameType.NT_PRINCIPAL) });
asCase('AS-REQ of a computer account', 'SQL02$');
asCase('AS-REQ of a domain controller', 'DC2$');
asCase('AS-REQ of a read-only domain controller', 'RODC2$');
asCase('AS-REQ for a server nobody has', 'alice', { sname: `HTTP/nowhere.${DNS_DOMAIN}` });
asCase('AS-REQ for rc4-hmac only', 'alice', { etypes: [23] });
asCase('AS-REQ by an enterprise name of another UPN suffix', 'dana', {
  cname: { nameType: NameType.NT_ENTERPRISE, nameString: ['dana.scully@contoso-corp.com'] },
});
asCase('AS-REQ for a service ticket', 'alice', { sname: SQL_SPN });
// lena's lockout: the cases run in order, on both sides alike (the threshold is 3).
asCase("lena's first wrong password", 'lena', { password: 'not-lena' });
asCase("lena's second wrong password", 'lena', { password: 'not-lena' });
asCase("lena's third wrong password", 'lena', { password: 'not-lena' });
asCase('lena, locked out, with the right password', 'lena');
asCase('AS-REQ for a week, renewable for a month', 'alice', {
  till: 7 * Duration.day,
  rtime: 30 * Duration.day,
});
asCase('AS-REQ for aes128 only', 'alice', { etypes: [17] });
// Two timestamps (carol: two wrong passwords in all, under the threshold of 3).
asCase('AS-REQ with a wrong timestamp, then the right one', 'carol', { wrongTimestamp: 'first' });
asCase('AS-REQ with the right timestamp, then a wrong one', 'carol', { wrongTimestamp: 'second' });
asCase('AS-REQ without pre-authentication for a user who needs none', 'ivan', { preauth: false });
// Times and options a Windows client never sends, as a DC answers them.
asCase('AS-REQ POSTDATED, to start in two hours', 'alice', {
  options: KdcOptions.postdated | KdcOptions['allow-postdate'],
  from: 2 * Duration.hour,
});
asCase('AS-REQ ALLOW-POSTDATE', 'alice', { options: KdcOptions['allow-postdate'] });
asCase('AS-REQ to start in two hours, without POSTDATED', 'alice', { from: 2 * Duration.hour });
asCase('AS-REQ with a start time two hours ago', 'alice', { from: -2 * Duration.hour });
asCase('AS-REQ PROXIABLE', 'alice', { options: KdcOptions.proxiable });
asCase('AS-REQ with an end time in the past', 'alice', { till: -Duration.hour });
asCase('AS-REQ listing an unknown etype first', 'alice', { etypes: [99, 18] });
asCase('AS-REQ for kadmin/changepw', 'alice', { sname: 'kadmin/changepw' });
asCase('AS-REQ, aes128 first', 'alice', { etypes: [17, 18] });
asCase('AS-REQ without CANONICALIZE', 'alice', { options: KdcOptions.forwardable | KdcOptions.renewable });
asCase('AS-REQ naming the user as NT-ENTERPRISE by her account name', 'alice', {
  cname: { nameType: NameType.NT_ENTERPRISE, nameString: ['alice'] },
});
tgsCase('TGS-REQ for the SQL service', 'alice', SQL_SPN);
tgsCase('TGS-REQ for the SQL service from a TGT without a PAC requested', 'alice-nopac', SQL_SPN);
// KDC options a Windows client rarely sends, as a DC answers them.
tgsCase('TGS-REQ for the SQL service, PROXIABLE', 'alice', SQL_SPN, {
  options: KdcOptions.proxiable | KdcOptions.canonicalize,
});
tgsCase('TGS-REQ for the SQL service, FORWARDED', 'alice', SQL_SPN, { options: KdcOptions.forwarded });
tgsCase(
  'TGS-REQ for the SQL service, FORWARDABLE, from a TGT that is not forwardable',
  'alice-unforwardable',
  SQL_SPN,
);
tgsCase(
  'TGS-REQ for the TGT, FORWARDED, from a TGT that is not forwardable',
  'alice-unforwardable',
  `krbtgt/${REALM}`,
  {
    options: KdcOptions.forwarded | KdcOptions.forwardable,
  },
);
// RENEWABLE-OK: a till within the TGT's life is granted as asked (not renewable); one beyond it is cut to the
// TGT's end, and made renewable when the TGT is (the TGTs were got at most minutes before the cases, each for 10
// hours: a till of 9 and of 11 hours lies on either side of their end whenever the case runs).
tgsCase('TGS-REQ for the SQL service, RENEWABLE-OK, till within the TGT', 'alice', SQL_SPN, {
  options: KdcOptions['renewable-ok'] | KdcOptions.canonicalize,
  tillMs: 9 * Duration.hour,
});
tgsCase(
  'TGS-REQ for the SQL service, RENEWABLE-OK, till beyond a TGT that is not renewable',
  'alice',
  SQL_SPN,
  {
    options: KdcOptions['renewable-ok'] | KdcOptions.canonicalize,
    tillMs: 11 * Duration.hour,
  },
);
tgsCase(
  'TGS-REQ for the SQL service, RENEWABLE-OK, till beyond a renewable TGT',
  'alice-unforwardable',
  SQL_SPN,
  {
    options: KdcOptions['renewable-ok'] | KdcOptions.canonicalize,
    tillMs: 11 * Duration.hour,
  },
);
// enc-authorization-data: a Windows client's KERB-LOCAL in AD-IF-RELEVANT (MS-KILE 3.2.5.7), which an AD KDC
// appends to the service ticket (3.3.5.7); and the same in a request for a TGT.
const kerbLocal = (): AuthorizationData => [
  {
    adType: AdType.AD_IF_RELEVANT,
    adData: encodeAuthorizationData([
      { adType: AdType.KERB_LOCAL, adData: new Uint8Array(16).fill(0x42) },
    ]).slice(),
  },
];
tgsCase(
  "TGS-REQ for the SQL service with enc-authorization-data (a Windows client's KERB-LOCAL)",
  'alice',
  SQL_SPN,
  {
    authorizationData: kerbLocal(),
  },
);
tgsCase('TGS-REQ for its own krbtgt with enc-authorization-data', 'alice', `krbtgt/${REALM}`, {
  authorizationData: kerbLocal(),
});
tgsCase('TGS-REQ for the SQL service, ALLOW-POSTDATE', 'alice', SQL_SPN, {
  options: KdcOptions['allow-postdate'] | KdcOptions.canonicalize,
});
tgsCase('TGS-REQ for the SQL service, VALIDATE', 'alice', SQL_SPN, { options: KdcOptions.validate });
tgsCase('TGS-REQ for the SQL service, RENEW', 'alice', SQL_SPN, { options: KdcOptions.renew });
tgsCase('TGS-REQ VALIDATE of the TGT, which is not invalid', 'alice', `krbtgt/${REALM}`, {
  options: KdcOptions.validate,
});
tgsCase('TGS-REQ for the SQL service, ENC-TKT-IN-SKEY without a second ticket', 'alice', SQL_SPN, {
  options: KdcOptions['enc-tkt-in-skey'],
});
tgsCase('TGS-REQ for the SQL service, aes128 only', 'alice', SQL_SPN, { etypes: [17] });
tgsCase('TGS-REQ for the SQL service, aes128 first', 'alice', SQL_SPN, { etypes: [17, 18] });
tgsCase('TGS-REQ for the SQL service, rc4-hmac only', 'alice', SQL_SPN, { etypes: [23] });
tgsCase('TGS-REQ for the SQL service, an unknown etype only', 'alice', SQL_SPN, { etypes: [99] });
tgsCase('TGS-REQ for the SQL service without CANONICALIZE', 'alice', SQL_SPN, {
  options: KdcOptions.forwardable,
});
tgsCase('TGS-REQ for the TGT of a realm nobody trusts', 'alice', 'krbtgt/OTHER.TEST');
tgsCase('TGS-REQ for kadmin/changepw', 'alice', 'kadmin/changepw');
tgsCase('TGS-REQ for an SPN nobody has', 'alice', `MSSQLSvc/nowhere.${DNS_DOMAIN}:1433`);
tgsCase('TGS-REQ for a service account by its name', 'alice', 'sqlsvc');
tgsCase('TGS-REQ for a user without SPNs', 'alice', 'bob');
tgsCase('TGS-REQ for the SQL service, a sensitive user', 'heidi', SQL_SPN);
tgsCase('TGS-REQ for the SQL service, a member of a domain-local group', 'carol', SQL_SPN);
tgsCase('S4U2Self by PA-FOR-USER, a service trusted to authenticate', 'websvc', 'websvc', {
  s4uFor: 'alice',
});
tgsCase('S4U2Self by PA-FOR-USER, a service not trusted to authenticate', 'plainsvc', 'plainsvc', {
  s4uFor: 'alice',
});
tgsCase('S4U2Self by PA-FOR-USER for a disabled user', 'websvc', 'websvc', { s4uFor: 'dave' });
tgsCase('S4U2Self by PA-FOR-USER naming the realm in lower case', 'websvc', 'websvc', {
  s4uFor: 'alice',
  s4uRealm: REALM.toLowerCase(),
});
tgsCase('S4U2Self by PA-FOR-USER for a user named by her UPN', 'websvc', 'websvc', {
  s4uFor: `alice@${DNS_DOMAIN}`,
});
tgsCase('S4U2Proxy to a service the list names', 'websvc', SQL_SPN, {
  proxy: true,
  options: KdcOptions.forwardable | KdcOptions['constrained-delegation'] | KdcOptions.canonicalize,
});
tgsCase('S4U2Proxy to a service the list does not name', 'websvc', `MSSQLSvc/sql02.${DNS_DOMAIN}:1433`, {
  proxy: true,
  options: KdcOptions.forwardable | KdcOptions['constrained-delegation'] | KdcOptions.canonicalize,
});
tgsCase('S4U2Self by PA-S4U-X509-USER, a service trusted to authenticate', 'websvc', 'websvc', {
  x509For: 'alice',
});
tgsCase('S4U2Proxy resource-based, with the PA-PAC-OPTIONS bit', 'websvc', `HTTP/rbcd.${DNS_DOMAIN}`, {
  proxy: true,
  rbcd: true,
  options: KdcOptions.forwardable | KdcOptions['constrained-delegation'] | KdcOptions.canonicalize,
});
tgsCase('S4U2Proxy resource-based, without the PA-PAC-OPTIONS bit', 'websvc', `HTTP/rbcd.${DNS_DOMAIN}`, {
  proxy: true,
  options: KdcOptions.forwardable | KdcOptions['constrained-delegation'] | KdcOptions.canonicalize,
});
tgsCase('TGS-REQ for a service that needs no PAC', 'alice', `HTTP/na.${DNS_DOMAIN}`);
// A Windows client's TGS-REQ carries PA-PAC-OPTIONS with branch-aware (MS-KILE 3.2.5.7), and claims
// when it is claims aware: what a full DC answers (no RODC here, no claims configured).
tgsCase('TGS-REQ with PA-PAC-OPTIONS branch-aware, as Windows sends it', 'alice', `HTTP/web.${DNS_DOMAIN}`, {
  pacOptions: PacOptions['branch-aware'],
});
tgsCase('TGS-REQ with PA-PAC-OPTIONS claims and branch-aware', 'alice', `HTTP/web.${DNS_DOMAIN}`, {
  pacOptions: PacOptions.claims | PacOptions['branch-aware'],
});
tgsCase('TGS-REQ with PA-PAC-OPTIONS forward-to-full-dc', 'alice', `HTTP/web.${DNS_DOMAIN}`, {
  pacOptions: PacOptions['forward-to-full-dc'],
});
tgsCase('TGS-REQ renewing the TGT', 'alice', `krbtgt/${REALM}`, {
  renew: true,
  options: KdcOptions.renew,
});
// Options beside RENEW held to the TGT's flags (Heimdal's check_tgs_flags), and RENEWABLE from a TGT
// that is not renewable.
tgsCase('TGS-REQ renewing the TGT, PROXY asked, the TGT not proxiable', 'alice', `krbtgt/${REALM}`, {
  renew: true,
  options: KdcOptions.renew | KdcOptions.proxy,
});
tgsCase(
  'TGS-REQ renewing the TGT, FORWARDED asked, the TGT not forwardable',
  'alice-unforwardable',
  `krbtgt/${REALM}`,
  {
    renew: true,
    options: KdcOptions.renew | KdcOptions.forwarded,
  },
);
tgsCase('TGS-REQ renewing the TGT, POSTDATED asked, the TGT not postdatable', 'alice', `krbtgt/${REALM}`, {
  renew: true,
  options: KdcOptions.renew | KdcOptions.postdated,
});
tgsCase('TGS-REQ for the SQL service, RENEWABLE, the TGT not renewable', 'alice-unrenewable', SQL_SPN, {
  options: KdcOptions.renewable | KdcOptions.forwardable | KdcOptions.canonicalize,
});
tgsCase('User-to-user: a ticket to a user without SPNs, sealed in its TGT session key', 'alice', 'bob', {
  u2u: 'bob',
  options: KdcOptions['enc-tkt-in-skey'] | KdcOptions.canonicalize,
});
tgsCase('A forged TGT: its PAC removed', 'alice', SQL_SPN, {
  forge: (etp) => ({ ...etp, authorizationData: withoutPac(etp.authorizationData) }),
});
tgsCase('A forged TGT: Domain Admins added to its PAC, the signatures left as they were', 'alice', SQL_SPN, {
  forge: (etp, k) =>
    editPac(
      etp,
      k,
      (pac) =>
        editBuffer<{ type: 1; value: KerbValidationInfo }>(pac, PacBufferType.LOGON_INFO, (b) => ({
          type: 1,
          value: { ...b.value, groupIds: [...b.value.groupIds, { relativeId: 512, attributes: 7 }] },
        })),
      false,
    ),
});
tgsCase(
  'A forged TGT: its PAC_REQUESTOR naming another user, signed again with the krbtgt key',
  'alice',
  SQL_SPN,
  {
    forge: (etp, k) =>
      editPac(
        etp,
        k,
        (pac) =>
          editBuffer<{ type: 18; value: { sid: Sid } }>(pac, PacBufferType.REQUESTOR, () => ({
            type: 18,
            value: { sid: parseSid(`${domainSid}-${ridOf('bob')}`) },
          })),
        true,
      ),
  },
);
tgsCase('A forged TGT: its PAC_REQUESTOR removed, signed again with the krbtgt key', 'alice', SQL_SPN, {
  forge: (etp, k) =>
    editPac(etp, k, (pac) => editBuffer(pac, PacBufferType.REQUESTOR, () => undefined), true),
});
tgsCase("A forged TGT: bob's name on alice's PAC", 'alice', SQL_SPN, {
  forge: (etp) => ({ ...etp, cname: pn('bob', NameType.NT_PRINCIPAL) }),
});
tgsCase('A forged TGT: expired an hour ago', 'alice', SQL_SPN, {
  forge: (etp) => ({ ...etp, endtime: now() - Duration.hour, renewTill: undefined }),
});
tgsCase('A forged TGT: valid only from an hour on', 'alice', SQL_SPN, {
  forge: (etp) => ({ ...etp, starttime: now() + Duration.hour }),
});
tgsCase('TGS-REQ whose authenticator is 10 minutes late', 'alice', SQL_SPN, {
  skewMs: -10 * Duration.minute,
});
tgsCase('TGS-REQ for a computer by its NetBIOS name', 'alice', 'SQL02');
tgsCase("TGS-REQ for a domain controller's SPN", 'alice', `ldap/dc2.${DNS_DOMAIN}`);
tgsCase('TGS-REQ of a domain controller for a service', 'DC2$', `HTTP/plain.${DNS_DOMAIN}`);
tgsCase("TGS-REQ for a computer's SPN", 'alice', `MSSQLSvc/sql02.${DNS_DOMAIN}:1433`);

/** Sends `request` to `side` and opens the reply with `key` (`usage`); throws on a refusal. */
async function exchange(
  side: Side,
  request: Uint8Array,
  key: Key,
  usage: number,
  what: string,
): Promise<Creds> {
  const reply = parseReply(await side.send(REALM, request));
  if (reply.kind === 'error')
    throw new Error(`${side.name} refused ${what}: ${errorCodeName(reply.error.errorCode)}`);
  return openRep(reply.rep, key, usage);
}

/** `user`'s TGT from `side` (PA-PAC-REQUEST as `pac` says, absent when undefined; `options` the KDC options). */
function logon(side: Side, user: string, pac?: boolean, options?: number): Promise<Creds> {
  const t = now();
  const request = asReq({
    ...(options !== undefined && { options }),
    realm: REALM,
    cname: pn(user, NameType.NT_PRINCIPAL),
    till: t + 10 * Duration.hour,
    rtime: t + 7 * Duration.day,
    etypes: [18],
    padata: [encTimestamp(keyOf(user), t), ...(pac === undefined ? [] : [pacRequest(pac)])],
  });
  return exchange(side, request, keyOf(user), KeyUsage.AS_REP_ENCPART, `${user}'s logon`);
}

/** A forwardable S4U2Self ticket to the service of `tgt` in `user`'s name. */
function s4uSelf(side: Side, tgt: Creds, user: string): Promise<Creds> {
  const t = now();
  const request = tgsReq({
    tgt,
    now: t,
    realm: REALM,
    sname: pn(tgt.cname.nameString.join('/'), NameType.NT_PRINCIPAL),
    till: t + 10 * Duration.hour,
    etypes: [18],
    options: KdcOptions.forwardable,
    extraPadata: [paForUser(tgt, pn(user, NameType.NT_PRINCIPAL), REALM)],
  });
  return exchange(side, request, tgt.sessionKey, KeyUsage.TGS_REP_ENCPART_SESSKEY, `S4U2Self for ${user}`);
}

/** The AS-REQ body of `user`'s logon (ten hours, renewable for a week, aes256), at `t`. */
function asBody(user: string, t: number): KdcReqBody {
  return {
    kdcOptions: KdcOptions.forwardable | KdcOptions.renewable | KdcOptions.canonicalize,
    cname: pn(user, NameType.NT_PRINCIPAL),
    realm: REALM,
    sname: pn(`krbtgt/${REALM}`),
    till: t + 10 * Duration.hour,
    rtime: t + 7 * Duration.day,
    nonce: NONCE,
    etype: [18],
  };
}

/**
 * `user`'s AS-REQ armored with plainsvc's TGT (RFC 6113 section 5.4.2), with
 * the encrypted challenge of `password` (none when undefined) inside; `more`
 * sets the armor AP-REQ's ap-options, puts PA-ENC-TIMESTAMP inside instead
 * of the challenge, or rewrites the KrbFastArmoredReq.
 */
function fastAsCase(
  label: string,
  user: string,
  password: string | undefined,
  more: {
    apOptions?: number;
    encTimestamp?: true;
    edit?: (fx: KrbFastArmoredReq) => KrbFastArmoredReq;
  } = {},
): void {
  const armorKeys = new Map<string, Key>();
  cases.push({
    label,
    realm: REALM,
    build: (side, t) => {
      const a = apArmor(side.tgts!.plainsvc!, t, false, clientRandom, {
        ...(more.apOptions !== undefined && { apOptions: more.apOptions }),
      });
      armorKeys.set(side.name, a.armorKey);
      const body = asBody(user, t);
      const key = password === undefined ? undefined : userKey(REALM, user, password);
      const inner =
        key === undefined
          ? []
          : more.encTimestamp
            ? [encTimestamp(key, t)]
            : [encryptedChallenge(a.armorKey, key, paEncTsEnc(t))];
      const fx = armoredReq(a.armorKey, { padata: inner, body }, encodeKdcReqBody(body), a.armor);
      return encodeAsReq({
        pvno: 5,
        msgType: 10,
        padata: [
          {
            padataType: PaDataType.PA_FX_FAST,
            padataValue: encodePaFxFastRequest({ armoredData: more.edit?.(fx) ?? fx }),
          },
        ],
        reqBody: body,
      });
    },
    outcome: (side, reply) =>
      describeFastReply(
        reply,
        armorKeys.get(side.name)!,
        keyOf(user),
        KeyUsage.AS_REP_ENCPART,
        (open) => answerOf(reply, open),
        describeEData,
      ),
  });
}

/**
 * alice's TGS-REQ for the SQL service under implicit armor (section 5.4.1.1:
 * the TGT and a subkey); `more` puts authorization-data in its authenticator,
 * or adds explicit armor with plainsvc's TGT: compound identity (MS-KILE
 * 3.3.5.7.4), the armor key KRB-FX-CF2(explicit armor key, subkey,
 * "explicitarmor", "tgsarmor").
 */
function fastTgsCase(
  label: string,
  more: { authenticatorAd?: AuthorizationData; explicitArmor?: true } = {},
): void {
  const keys = new Map<string, { armorKey: Key; subkey: Key }>();
  cases.push({
    label,
    realm: REALM,
    build: (side, t) => {
      const tgt = side.tgts!.alice!;
      const subkey = generateKey(18, { random: clientRandom });
      const plain = decodeTgsReq(
        tgsReq({
          tgt,
          now: t,
          realm: REALM,
          sname: SQL_SPN,
          till: t + 10 * Duration.hour,
          nonce: NONCE,
          etypes: [18],
          subkey,
          ...(more.authenticatorAd !== undefined && { authenticatorAuthorizationData: more.authenticatorAd }),
        }),
      );
      const paTgsReq = plain.padata!.find((p) => p.padataType === PaDataType.PA_TGS_REQ)!;
      const explicit = more.explicitArmor ? apArmor(side.tgts!.plainsvc!, t) : undefined;
      const armorKey =
        explicit === undefined
          ? armorKeyOf(subkey, tgt.sessionKey)
          : cf2(explicit.armorKey, subkey, 'explicitarmor', 'tgsarmor');
      keys.set(side.name, { armorKey, subkey });
      const fx = armoredReq(
        armorKey,
        { padata: [], body: plain.reqBody },
        paTgsReq.padataValue,
        explicit?.armor,
      );
      return encodeTgsReq({
        pvno: 5,
        msgType: 12,
        padata: [
          paTgsReq,
          { padataType: PaDataType.PA_FX_FAST, padataValue: encodePaFxFastRequest({ armoredData: fx }) },
        ],
        reqBody: plain.reqBody,
      });
    },
    outcome: (side, reply) => {
      const k = keys.get(side.name)!;
      return describeFastReply(reply, k.armorKey, k.subkey, KeyUsage.TGS_REP_ENCPART_SUBKEY, (open) =>
        answerOf(reply, open),
      );
    },
  });
}

fastAsCase('FAST: an armored AS-REQ without pre-authentication', 'alice', undefined);
fastAsCase('FAST: an armored AS-REQ with the encrypted challenge', 'alice', account('alice').password);
fastAsCase('FAST: an encrypted challenge under another password', 'alice', 'not-alice');
fastAsCase('FAST: an encrypted challenge of a disabled user', 'dave', account('dave').password);
fastTgsCase('FAST: a TGS-REQ under implicit armor');
// What RFC 6113 leaves to a KDC, and MS-KILE decides for AD.
fastAsCase('FAST: PA-ENC-TIMESTAMP inside the armor', 'alice', account('alice').password, {
  encTimestamp: true,
});
fastAsCase('FAST: an armor AP-REQ with ap-options use-session-key', 'alice', account('alice').password, {
  apOptions: ApOptions['use-session-key'],
});
fastAsCase(
  "FAST: enc-fast-req naming etype 17, the armor key's being 18",
  'alice',
  account('alice').password,
  {
    edit: (fx) => ({ ...fx, encFastReq: { ...fx.encFastReq, etype: 17 } }),
  },
);
fastTgsCase('FAST: a TGS-REQ with explicit armor besides the implicit (compound identity)', {
  explicitArmor: true,
});
// RFC 6113's FAST marks in the PA-TGS-REQ (sections 5.4.1.1, 5.4.2): a DC refuses AD-fx-fast-armor in
// the authenticator or the TGT, and AD-fx-fast-used in an unarmored request.
const fxMark = (adType: number): AuthorizationData => [{ adType, adData: new Uint8Array(0) }];
const inIfRelevant = (inner: AuthorizationData): AuthorizationData => [
  { adType: AdType.AD_IF_RELEVANT, adData: encodeAuthorizationData(inner).slice() },
];
fastTgsCase('FAST: a TGS-REQ whose authenticator carries AD-fx-fast-armor', {
  authenticatorAd: fxMark(AdType.AD_FX_FAST_ARMOR),
});
fastTgsCase('FAST: a TGS-REQ whose authenticator carries AD-fx-fast-used', {
  authenticatorAd: fxMark(AdType.AD_FX_FAST_USED),
});
tgsCase('TGS-REQ whose authenticator carries AD-fx-fast-armor', 'alice', SQL_SPN, {
  authenticatorAd: fxMark(AdType.AD_FX_FAST_ARMOR),
});
tgsCase('TGS-REQ whose authenticator carries AD-fx-fast-armor inside AD-IF-RELEVANT', 'alice', SQL_SPN, {
  authenticatorAd: inIfRelevant(fxMark(AdType.AD_FX_FAST_ARMOR)),
});
tgsCase('TGS-REQ whose TGT carries AD-fx-fast-armor', 'alice', SQL_SPN, {
  forge: (etp) => ({
    ...etp,
    authorizationData: [...(etp.authorizationData ?? []), ...fxMark(AdType.AD_FX_FAST_ARMOR)],
  }),
});
tgsCase('TGS-REQ, unarmored, whose authenticator carries AD-fx-fast-used', 'alice', SQL_SPN, {
  authenticatorAd: fxMark(AdType.AD_FX_FAST_USED),
});
tgsCase(
  'TGS-REQ, unarmored, whose authenticator carries AD-fx-fast-used inside AD-IF-RELEVANT',
  'alice',
  SQL_SPN,
  {
    authenticatorAd: inIfRelevant(fxMark(AdType.AD_FX_FAST_USED)),
  },
);
tgsCase('TGS-REQ, unarmored, whose TGT carries AD-fx-fast-used', 'alice', SQL_SPN, {
  forge: (etp) => ({
    ...etp,
    authorizationData: [...(etp.authorizationData ?? []), ...fxMark(AdType.AD_FX_FAST_USED)],
  }),
});
tgsCase('TGS-REQ with enc-authorization-data holding AD-fx-fast-armor', 'alice', `krbtgt/${REALM}`, {
  authorizationData: fxMark(AdType.AD_FX_FAST_ARMOR),
});
tgsCase('TGS-REQ with enc-authorization-data holding AD-fx-fast-used', 'alice', SQL_SPN, {
  authorizationData: fxMark(AdType.AD_FX_FAST_USED),
});
// S4U2Self by a user account without SPNs (MS-KILE's user-to-user rule), and PA-S4U-X509-USER's key.
tgsCase('S4U2Self by PA-FOR-USER, a user account without SPNs', 'bob', 'bob', { s4uFor: 'alice' });
tgsCase('S4U2Self by PA-FOR-USER, a user account without SPNs, with user-to-user', 'bob', 'bob', {
  s4uFor: 'alice',
  u2u: 'bob',
  options: KdcOptions.forwardable | KdcOptions.canonicalize | KdcOptions['enc-tkt-in-skey'],
});
tgsCase('S4U2Self by PA-S4U-X509-USER keyed with the TGT session key beside a subkey', 'websvc', 'websvc', {
  x509For: 'alice',
  subkey: true,
});

const TITLE = 'krbsim KDC against a Samba AD DC: the same requests, the same answers';
describeWithSambaDc(TITLE, () => {
  let samba: SambaDc | undefined;
  const sides: Side[] = [];
  beforeAll(async () => {
    samba = await startSambaDc({
      realm: REALM,
      netbiosDomain: 'CORP',
      hostName: 'dc1',
      groups: GROUPS,
      accounts: ACCOUNTS,
      lockout: LOCKOUT,
    });
    domainSid = samba.domainSid;
    ridNames = new Map(Object.entries(samba.rids).map(([name, rid]) => [rid, name]));
    krbtgtKeys = samba.keys('krbtgt');
    const kdc = new Kdc(mirror(samba));
    const port = samba.port;
    sides.push({
      name: 'samba',
      send: (_realm, b) => tcpExchange('127.0.0.1', port, b, { timeoutMs: 5000, maxReplyBytes: 65_535 }),
    });
    sides.push({ name: 'krbsim', send: async (_realm, b) => kdc.handle(b) });
    for (const side of sides) {
      const login = (user: string, pac?: boolean, options?: number) => logon(side, user, pac, options);
      side.tgts = {
        alice: await login('alice'),
        'alice-nopac': await login('alice', false),
        'alice-unforwardable': await login(
          'alice',
          undefined,
          KdcOptions.renewable | KdcOptions.canonicalize,
        ),
        'alice-unrenewable': await login(
          'alice',
          undefined,
          KdcOptions.forwardable | KdcOptions.canonicalize,
        ),
        heidi: await login('heidi'),
        carol: await login('carol'),
        websvc: await login('websvc'),
        plainsvc: await login('plainsvc'),
        bob: await login('bob'),
        DC2$: await login('DC2$'),
      };
      side.evidence = await s4uSelf(side, side.tgts.websvc!, 'alice');
    }
  }, 120_000);
  afterAll(async () => samba?.stop());

  oracleTests(cases, sides, KNOWN_DIFFERENCES);
});
