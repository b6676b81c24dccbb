/** README.md's example as a module (see readme.test.ts). */

import type { KdcReqBody, PrincipalName, Ticket } from '@krbsim/asn1';
import {
  decodeAsRep,
  decodeEncKdcRepPart,
  decodeTgsRep,
  encodeApReq,
  encodeAsReq,
  encodeAuthenticator,
  encodeEncryptedData,
  encodeKdcReqBody,
  encodePaEncTsEnc,
  encodeTgsReq,
  KdcOptions,
  NameType,
  PaDataType,
} from '@krbsim/asn1';
import { Duration, ManualClock, SeededRandom } from '@krbsim/core';
import { checksum, decrypt, encrypt, type Key, KeyUsage, stringToKey } from '@krbsim/crypto';
import { createTrust, Kdc, Realm } from '@krbsim/kdc';

export function run(console: { log: (...a: unknown[]) => void }): void {
  // BEGIN
  const clock = new ManualClock(Date.UTC(2026, 0, 1));
  const random = new SeededRandom(42);

  // Two realms and their KDCs.
  const onPrem = new Realm({ name: 'CONTOSO.COM', clock, policy: { caseInsensitiveNames: true } });
  const azure = new Realm({
    name: 'KERBEROS.MICROSOFTONLINE.COM',
    clock,
    policy: { renewableTgt: false, ticketEncType: 18, serviceTicketLifeMs: Duration.hour },
  });
  const log: string[] = [];
  const onPremKdc = new Kdc(onPrem, { log: (l) => log.push(l) });
  const azureKdc = new Kdc(azure, { log: (l) => log.push(l) });

  // The one-way incoming trust: CONTOSO users may reach Azure AD resources under windows.net.
  createTrust({
    trusting: azure,
    trusted: onPrem,
    direction: 'one-way',
    kind: 'forest',
    topLevelNames: ['windows.net'],
  });
  onPrem.addUser('alice', { password: 'correct horse' });
  const spn = 'MSSQLSvc/mi1.abc123.database.windows.net:1433';
  azure.addService(spn);

  // 1. AS exchange at the on-prem KDC, with PA-ENC-TIMESTAMP.
  const aliceKey = stringToKey(18, 'correct horse', 'CONTOSO.COMalice');
  const name = (...s: string[]): PrincipalName => ({
    nameType: s.length > 1 ? NameType.NT_SRV_INST : NameType.NT_PRINCIPAL,
    nameString: s,
  });
  const now = clock.now();
  const ts = encrypt(
    aliceKey,
    KeyUsage.AS_REQ_PA_ENC_TIMESTAMP,
    encodePaEncTsEnc({ patimestamp: now, pausec: 0 }),
    { random },
  );
  const asRep = decodeAsRep(
    onPremKdc.handle(
      encodeAsReq({
        pvno: 5,
        msgType: 10,
        padata: [
          {
            padataType: PaDataType.PA_ENC_TIMESTAMP,
            padataValue: encodeEncryptedData({ etype: 18, cipher: ts }),
          },
        ],
        reqBody: {
          kdcOptions: KdcOptions.forwardable | KdcOptions.canonicalize,
          cname: name('alice'),
          realm: 'CONTOSO.COM',
          sname: name('krbtgt', 'CONTOSO.COM'),
          till: now + 10 * Duration.hour,
          nonce: 1,
          etype: [18],
        },
      }),
    ),
  );
  const tgtPart = decodeEncKdcRepPart(decrypt(aliceKey, KeyUsage.AS_REP_ENCPART, asRep.encPart.cipher));

  // 2. and 3. TGS exchanges: on-prem returns a referral, Azure AD returns the service ticket.
  function tgs(kdc: Kdc, realm: string, ticket: Ticket, sessionKey: Key) {
    const body: KdcReqBody = {
      kdcOptions: KdcOptions.forwardable | KdcOptions.canonicalize,
      realm,
      sname: name('MSSQLSvc', 'mi1.abc123.database.windows.net:1433'),
      till: now + 10 * Duration.hour,
      nonce: 2,
      etype: [18],
    };
    const authenticator = encodeAuthenticator({
      authenticatorVno: 5,
      crealm: 'CONTOSO.COM',
      cname: name('alice'),
      cusec: 0,
      ctime: clock.now(),
      cksum: {
        cksumtype: 16,
        checksum: checksum(sessionKey, KeyUsage.TGS_REQ_AUTH_CKSUM, encodeKdcReqBody(body)),
      },
    });
    const apReq = encodeApReq({
      pvno: 5,
      msgType: 14,
      apOptions: 0,
      ticket,
      authenticator: {
        etype: sessionKey.etype,
        cipher: encrypt(sessionKey, KeyUsage.TGS_REQ_AUTH, authenticator, { random }),
      },
    });
    const rep = decodeTgsRep(
      kdc.handle(
        encodeTgsReq({
          pvno: 5,
          msgType: 12,
          padata: [{ padataType: PaDataType.PA_TGS_REQ, padataValue: apReq }],
          reqBody: body,
        }),
      ),
    );
    const part = decodeEncKdcRepPart(
      decrypt(sessionKey, KeyUsage.TGS_REP_ENCPART_SESSKEY, rep.encPart.cipher),
    );
    return { rep, part, key: { etype: part.key.keytype, bytes: part.key.keyvalue } };
  }
  const referral = tgs(onPremKdc, 'CONTOSO.COM', asRep.ticket, {
    etype: tgtPart.key.keytype,
    bytes: tgtPart.key.keyvalue,
  });
  console.log(referral.part.sname.nameString.join('/')); // krbtgt/KERBEROS.MICROSOFTONLINE.COM
  const service = tgs(azureKdc, 'KERBEROS.MICROSOFTONLINE.COM', referral.rep.ticket, referral.key);
  console.log(service.rep.crealm, service.rep.ticket.realm, service.rep.ticket.encPart.etype);
  // CONTOSO.COM KERBEROS.MICROSOFTONLINE.COM 18
  console.log(log.join('\n'));
  // AS-REQ alice@CONTOSO.COM for krbtgt/CONTOSO.COM@CONTOSO.COM -> AS-REP
  // TGS-REQ alice@CONTOSO.COM for MSSQLSvc/mi1.abc123.database.windows.net:1433@CONTOSO.COM -> TGS-REP (referral to KERBEROS.MICROSOFTONLINE.COM)
  // TGS-REQ alice@CONTOSO.COM for MSSQLSvc/mi1.abc123.database.windows.net:1433@KERBEROS.MICROSOFTONLINE.COM -> TGS-REP
  // END
}
