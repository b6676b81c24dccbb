import {
  AdType,
  decodeAuthorizationData,
  decodeChecksum,
  decodeEtypeInfo2,
  decodeMethodData,
  ENC_PA_REP,
  encodeAsReq,
  encodeEncryptedData,
  flagNames,
  KdcOptions,
  NameType,
  PaDataType,
  TicketFlags,
} from '@krbsim/asn1';
import { Duration, ErrorCode } from '@krbsim/core';
import { decrypt, encrypt, KeyUsage, stringToKey, verifyChecksum } from '@krbsim/crypto';
import { describe, expect, it } from 'vitest';
import {
  asReq,
  clientRandom,
  encTimestamp,
  errorOf,
  login,
  makeRealm,
  openRep,
  openTicket,
  pacRequest,
  pn,
  pwKeys,
  repOf,
  T0,
  testKey,
  tgsGet,
  userKey,
} from './helpers';

const REALM = 'CONTOSO.COM';

function lab(policy = {}) {
  const l = makeRealm(REALM, policy);
  l.realm.addUser('alice', { keys: pwKeys(l.realm.name, 'alice', 'correct horse') });
  return l;
}

const aliceKey = userKey(REALM, 'alice', 'correct horse');

describe('AS exchange: pre-authentication', () => {
  it('answers an AS-REQ without pre-auth with PREAUTH_REQUIRED and ETYPE-INFO2', () => {
    const { kdc } = lab();
    const err = errorOf(kdc.handle(asReq({ realm: REALM, cname: 'alice', etypes: [17, 18, 23, 20] })));
    expect(err.errorCode).toBe(ErrorCode.KDC_ERR_PREAUTH_REQUIRED);
    expect(err.realm).toBe(REALM);
    expect(err.sname).toEqual(pn(`krbtgt/${REALM}`));
    expect(err.cname?.nameString).toEqual(['alice']);
    expect(err.stime).toBe(T0);
    const md = decodeMethodData(err.eData!);
    // PA-FX-FAST and a PA-FX-COOKIE: the realm serves FAST (policy fast: 'supported', MIT's
    // default), and says so as MIT's KDC does, in its order (krb5kdc 1.20.1: [136, 19, 2, 133]).
    expect(md.map((p) => p.padataType)).toEqual([
      PaDataType.PA_FX_FAST,
      PaDataType.PA_ETYPE_INFO2,
      PaDataType.PA_ENC_TIMESTAMP,
      PaDataType.PA_FX_COOKIE,
    ]);
    expect(md[0]!.padataValue).toHaveLength(0);
    expect(md[2]!.padataValue).toHaveLength(0);
    expect(new TextDecoder().decode(md[3]!.padataValue)).toBe('krbsim');
    const info = decodeEtypeInfo2(md[1]!.padataValue);
    // One entry, the first etype the client asked for that it has a key for, as MIT's KDC answers.
    expect(info.map((e) => e.etype)).toEqual([17]);
    expect(info.every((e) => e.salt === 'CONTOSO.COMalice' && e.s2kparams === undefined)).toBe(true);
  });

  it('issues a TGT for a good PA-ENC-TIMESTAMP, readable with the user and krbtgt keys', () => {
    const l = lab();
    const creds = login(l, 'alice', aliceKey);
    const { rep, part } = creds;
    expect(rep.msgType).toBe(11);
    expect(rep.crealm).toBe(REALM);
    expect(rep.cname.nameString).toEqual(['alice']);
    expect(part.nonce).toBe(12345);
    expect(part.srealm).toBe(REALM);
    expect(part.sname).toEqual(pn(`krbtgt/${REALM}`));
    expect(part.key.keytype).toBe(18); // strongest of what the client asked for
    expect(part.authtime).toBe(T0);
    expect(part.starttime).toBeUndefined();
    expect(part.endtime).toBe(T0 + 10 * Duration.hour);
    expect(part.renewTill).toBe(T0 + 7 * Duration.day);
    // The ticket carries name-canonicalize; the reply part does not, where bit 15 would mean
    // enc-pa-rep and promise a checksum this client did not ask for (RFC 6806 section 11).
    expect(flagNames(TicketFlags, part.flags).sort()).toEqual(
      ['forwardable', 'initial', 'pre-authent', 'renewable'].sort(),
    );
    // ETYPE-INFO2 for the reply key rides in the AS-REP padata.
    const info = decodeEtypeInfo2(
      rep.padata!.find((p) => p.padataType === PaDataType.PA_ETYPE_INFO2)!.padataValue,
    );
    expect(info).toEqual([{ etype: 18, salt: 'CONTOSO.COMalice' }]);
    // The ticket: krbtgt key, same session key, same times and flags.
    const krbtgt = l.realm.keysFor(`krbtgt/${REALM}`).find((k) => k.etype === rep.ticket.encPart.etype)!;
    expect(rep.ticket.encPart.kvno).toBe(1);
    const etp = openTicket(rep.ticket, krbtgt);
    expect(etp.key).toEqual(part.key);
    expect(etp.crealm).toBe(REALM);
    expect(etp.cname.nameString).toEqual(['alice']);
    expect(etp.flags).toBe((part.flags | TicketFlags['name-canonicalize']) >>> 0);
    expect(etp.endtime).toBe(part.endtime);
    expect(etp.transited.contents).toHaveLength(0);
    expect(l.log).toEqual([`AS-REQ alice@${REALM} for krbtgt/${REALM}@${REALM} -> AS-REP`]);
  });

  it('uses EncASRepPart application tag 25', () => {
    const l = lab();
    const rep = repOf(
      l.kdc.handle(
        asReq({ realm: REALM, cname: 'alice', etypes: [18], padata: [encTimestamp(aliceKey, T0)] }),
      ),
    );
    expect(decrypt(aliceKey, KeyUsage.AS_REP_ENCPART, rep.encPart.cipher)[0]).toBe(0x79); // [APPLICATION 25]
  });

  it('fails a timestamp under the wrong key with PREAUTH_FAILED', () => {
    const { kdc } = lab();
    const wrong = stringToKey(18, 'wrong', 'CONTOSO.COMalice');
    const err = errorOf(
      kdc.handle(asReq({ realm: REALM, cname: 'alice', etypes: [18], padata: [encTimestamp(wrong, T0)] })),
    );
    expect(err.errorCode).toBe(ErrorCode.KDC_ERR_PREAUTH_FAILED);
    // The METHOD-DATA of PREAUTH_REQUIRED again, so that the client can retry (with the salt
    // ETYPE-INFO2 gives, say), as MIT's KDC answers.
    const md = decodeMethodData(err.eData!);
    expect(md.map((p) => p.padataType)).toEqual([
      PaDataType.PA_FX_FAST,
      PaDataType.PA_ETYPE_INFO2,
      PaDataType.PA_ENC_TIMESTAMP,
      PaDataType.PA_FX_COOKIE,
    ]);
    expect(decodeEtypeInfo2(md[1]!.padataValue)[0]!.salt).toBe('CONTOSO.COMalice');
  });

  it('fails a PA-ENC-TIMESTAMP that is not EncryptedData, or decrypts to no PA-ENC-TS-ENC, with PREAUTH_FAILED', () => {
    const { kdc } = lab();
    const notEncrypted = { padataType: PaDataType.PA_ENC_TIMESTAMP, padataValue: Uint8Array.of(0x04, 0x00) };
    const e1 = errorOf(
      kdc.handle(asReq({ realm: REALM, cname: 'alice', etypes: [18], padata: [notEncrypted] })),
    );
    expect(e1.errorCode).toBe(ErrorCode.KDC_ERR_PREAUTH_FAILED);
    expect(e1.eText).toContain('the PA-ENC-TIMESTAMP is not valid EncryptedData');
    // Under alice's key (usage 1), but an INTEGER where PA-ENC-TS-ENC should be.
    const cipher = encrypt(aliceKey, KeyUsage.AS_REQ_PA_ENC_TIMESTAMP, Uint8Array.of(0x02, 0x01, 0x05), {
      random: clientRandom,
    });
    const garbled = {
      padataType: PaDataType.PA_ENC_TIMESTAMP,
      padataValue: encodeEncryptedData({ etype: 18, cipher }),
    };
    const e2 = errorOf(kdc.handle(asReq({ realm: REALM, cname: 'alice', etypes: [18], padata: [garbled] })));
    expect(e2.errorCode).toBe(ErrorCode.KDC_ERR_PREAUTH_FAILED);
    expect(e2.eText).toContain('the timestamp does not decode');
  });

  it('fails a timestamp outside the skew with KRB_AP_ERR_SKEW', () => {
    const { kdc } = lab();
    const late = encTimestamp(aliceKey, T0 + 6 * Duration.minute);
    const err = errorOf(kdc.handle(asReq({ realm: REALM, cname: 'alice', etypes: [18], padata: [late] })));
    expect(err.errorCode).toBe(ErrorCode.KRB_AP_ERR_SKEW);
    // Within the skew is fine.
    const ok = encTimestamp(aliceKey, T0 - 4 * Duration.minute);
    expect(
      repOf(kdc.handle(asReq({ realm: REALM, cname: 'alice', etypes: [18], padata: [ok] }))).msgType,
    ).toBe(11);
  });

  it('issues without pre-auth for a user that does not require it', () => {
    const l = lab();
    const k = testKey(17, 'svc-user');
    l.realm.addUser('batch', { keys: [k], requiresPreauth: false });
    const rep = repOf(l.kdc.handle(asReq({ realm: REALM, cname: 'batch', etypes: [17] })));
    const c = openRep(rep, k, KeyUsage.AS_REP_ENCPART);
    expect(c.part.flags & TicketFlags['pre-authent']).toBe(0);
    expect(c.part.key.keytype).toBe(17);
  });
});

describe('AS exchange: errors', () => {
  it('C_PRINCIPAL_UNKNOWN for an unknown client', () => {
    const err = errorOf(lab().kdc.handle(asReq({ realm: REALM, cname: 'mallory' })));
    expect(err.errorCode).toBe(ErrorCode.KDC_ERR_C_PRINCIPAL_UNKNOWN);
  });

  it('S_PRINCIPAL_UNKNOWN for an unknown server', () => {
    const err = errorOf(
      lab().kdc.handle(asReq({ realm: REALM, cname: 'alice', sname: 'host/nowhere.contoso.com' })),
    );
    expect(err.errorCode).toBe(ErrorCode.KDC_ERR_S_PRINCIPAL_UNKNOWN);
    expect(err.sname).toEqual(pn('host/nowhere.contoso.com'));
  });

  it("serves an AD realm's name in any case (MS-KILE 3.1.5.7), an MIT realm's exactly", () => {
    for (const kind of ['active-directory', 'mit'] as const) {
      const l = makeRealm(REALM, {}, undefined, { kind });
      l.realm.addUser('alice', { keys: pwKeys(REALM, 'alice', 'correct horse') });
      l.realm.addService('HTTP/web.contoso.com', {
        keys: pwKeys(REALM, 'HTTP/web.contoso.com', 'web-Pw0rd'),
      });
      const lower = REALM.toLowerCase();
      const asLower = () =>
        l.kdc.handle(
          asReq({
            realm: lower,
            cname: 'alice',
            sname: `krbtgt/${lower}`,
            etypes: [18],
            padata: [encTimestamp(aliceKey, T0)],
          }),
        );
      if (kind === 'mit') {
        expect(errorOf(asLower()).errorCode).toBe(ErrorCode.KDC_ERR_WRONG_REALM);
        continue;
      }
      const tgt = openRep(repOf(asLower()), aliceKey, KeyUsage.AS_REP_ENCPART);
      // The TGT names the realm as the domain does, and serves: a TGS-REQ naming the realm in lower case too.
      expect(tgt.ticket.sname.nameString).toEqual(['krbtgt', REALM]);
      expect(tgt.ticket.realm).toBe(REALM);
      const st = tgsGet(l.kdc, { tgt, realm: lower, sname: 'HTTP/web.contoso.com', now: T0 });
      expect(st.ticket.realm).toBe(REALM);
      const tgt2 = tgsGet(l.kdc, { tgt, realm: REALM, sname: `krbtgt/${lower}`, now: T0 });
      expect(tgt2.ticket.sname.nameString).toEqual(['krbtgt', REALM]);
    }
  });

  it('BADOPTION for an AS-REQ carrying enc-authorization-data or additional-tickets (TGS-REQ fields)', () => {
    const l = lab();
    const tgt = login(l, 'alice', aliceKey);
    const body = {
      kdcOptions: 0,
      cname: pn('alice'),
      realm: REALM,
      sname: pn(`krbtgt/${REALM}`),
      till: T0 + Duration.hour,
      nonce: 1,
      etype: [18],
    };
    for (const [extra, field] of [
      [{ encAuthorizationData: { etype: 18, cipher: new Uint8Array(40) } }, 'enc-authorization-data'],
      [{ additionalTickets: [tgt.ticket] }, 'additional-tickets'],
    ] as const) {
      const e = errorOf(l.kdc.handle(encodeAsReq({ pvno: 5, msgType: 10, reqBody: { ...body, ...extra } })));
      expect([e.errorCode, e.eText]).toEqual([
        ErrorCode.KDC_ERR_BADOPTION,
        `an AS-REQ cannot carry ${field} (TGS-REQ fields only)`,
      ]);
    }
  });

  it('C_PRINCIPAL_UNKNOWN and S_PRINCIPAL_UNKNOWN for a request that names no client or no server', () => {
    const { kdc } = lab();
    const body = { kdcOptions: 0, realm: REALM, till: T0 + Duration.hour, nonce: 1, etype: [18] };
    const noClient = encodeAsReq({
      pvno: 5,
      msgType: 10,
      reqBody: { ...body, sname: pn(`krbtgt/${REALM}`) },
    });
    const e1 = errorOf(kdc.handle(noClient));
    expect(e1.errorCode).toBe(ErrorCode.KDC_ERR_C_PRINCIPAL_UNKNOWN);
    expect(e1.eText).toContain('the request names no client');
    const noServer = encodeAsReq({ pvno: 5, msgType: 10, reqBody: { ...body, cname: pn('alice') } });
    const e2 = errorOf(kdc.handle(noServer));
    expect(e2.errorCode).toBe(ErrorCode.KDC_ERR_S_PRINCIPAL_UNKNOWN);
    expect(e2.eText).toContain('the request names no server');
    expect(e2.cname?.nameString).toEqual(['alice']);
  });

  it('S_PRINCIPAL_UNKNOWN for an AS-REQ to a disabled service in an MIT realm, as MIT answers it', () => {
    const l = lab();
    l.realm.addService('HTTP/web.contoso.com', {});
    l.realm.lookup('HTTP/web.contoso.com')!.disabled = true;
    const err = errorOf(
      l.kdc.handle(
        asReq({
          realm: REALM,
          cname: 'alice',
          sname: 'HTTP/web.contoso.com',
          etypes: [18],
          padata: [encTimestamp(aliceKey, T0)],
        }),
      ),
    );
    expect(err.errorCode).toBe(ErrorCode.KDC_ERR_S_PRINCIPAL_UNKNOWN);
    expect(err.eText).toContain('the server account is disabled');
  });

  it('ETYPE_NOSUPP when the server has no etype for the session key, or no key of the forced ticket etype', () => {
    const l = lab({ ticketEncType: 18 });
    l.realm.addService('HTTP/old.contoso.com', { encTypes: [17] });
    const req = (etypes: number[]) =>
      asReq({
        realm: REALM,
        cname: 'alice',
        sname: 'HTTP/old.contoso.com',
        etypes,
        padata: [encTimestamp(aliceKey, T0)],
      });
    const e1 = errorOf(l.kdc.handle(req([18])));
    expect(e1.errorCode).toBe(ErrorCode.KDC_ERR_ETYPE_NOSUPP);
    expect(e1.eText).toContain('the session key');
    const e2 = errorOf(l.kdc.handle(req([18, 17])));
    expect(e2.errorCode).toBe(ErrorCode.KDC_ERR_ETYPE_NOSUPP);
    expect(e2.eText).toContain('the server key');
  });

  it('ETYPE_NOSUPP for an rc4-only request when weak crypto is not allowed', () => {
    const err = errorOf(lab().kdc.handle(asReq({ realm: REALM, cname: 'alice', etypes: [23] })));
    expect(err.errorCode).toBe(ErrorCode.KDC_ERR_ETYPE_NOSUPP);
  });

  it('never answers with a reply key of an etype the realm does not permit, though the client asks for it first and holds it', () => {
    // RFC 4120 section 3.1.3: the reply key is the client's key of an etype it asked for; the
    // realm's policy bounds which (rc4-hmac is off unless allowWeakCrypto). Without
    // pre-authentication nothing else picks the key: the first usable one of the request.
    const l = lab();
    l.realm.addUser('bob', {
      keys: [userKey(REALM, 'bob', 'pw', 18), userKey(REALM, 'bob', 'pw', 23)],
      requiresPreauth: false,
    });
    const rep = repOf(l.kdc.handle(asReq({ realm: REALM, cname: 'bob', etypes: [23, 18] })));
    expect(rep.encPart.etype).toBe(18);
  });

  it('allows rc4 when the realm allows weak crypto', () => {
    const l = makeRealm(REALM, { allowWeakCrypto: true });
    l.realm.addUser('old', { password: 'pw', encTypes: [23] });
    const k = stringToKey(23, 'pw', '');
    const c = login(l, 'old', k);
    expect(c.part.key.keytype).toBe(23);
  });

  it('CLIENT_REVOKED for a disabled account, NAME_EXP for an expired one, KEY_EXPIRED for an expired password', () => {
    const l = lab();
    l.realm.addUser('locked', { keys: pwKeys(l.realm.name, 'locked', 'pw'), disabled: true });
    l.realm.addUser('gone', { keys: pwKeys(l.realm.name, 'gone', 'pw'), accountExpires: T0 - 1000 });
    l.realm.addUser('stale', { keys: pwKeys(l.realm.name, 'stale', 'pw'), passwordExpires: T0 - 1000 });
    const req = (u: string) =>
      asReq({ realm: REALM, cname: u, etypes: [18], padata: [encTimestamp(userKey(REALM, u, 'pw'), T0)] });
    expect(errorOf(l.kdc.handle(req('locked'))).errorCode).toBe(ErrorCode.KDC_ERR_CLIENT_REVOKED);
    expect(errorOf(l.kdc.handle(req('gone'))).errorCode).toBe(ErrorCode.KDC_ERR_NAME_EXP);
    expect(errorOf(l.kdc.handle(req('stale'))).errorCode).toBe(ErrorCode.KDC_ERR_KEY_EXPIRED);
    // Flags are live: unlock and it works.
    l.realm.lookup('locked')!.disabled = false;
    expect(repOf(l.kdc.handle(req('locked'))).msgType).toBe(11);
  });

  it('reports key-expiration and last-req when the password will expire', () => {
    const l = lab();
    const exp = T0 + 3 * Duration.day;
    l.realm.addUser('soon', { keys: pwKeys(l.realm.name, 'soon', 'pw'), passwordExpires: exp });
    const c = login(l, 'soon', userKey(REALM, 'soon', 'pw'));
    expect(c.part.keyExpiration).toBe(exp);
    expect(c.part.lastReq).toContainEqual({ lrType: 6, lrValue: exp });
    // And the account's expiry (last-req type 7) when it has one.
    const end = T0 + 30 * Duration.day;
    l.realm.addUser('temp', { keys: pwKeys(l.realm.name, 'temp', 'pw'), accountExpires: end });
    expect(login(l, 'temp', userKey(REALM, 'temp', 'pw')).part.lastReq).toEqual([
      { lrType: 7, lrValue: end },
    ]);
  });

  it('sets ok-as-delegate on a service ticket got by AS for a service trusted for delegation', () => {
    const l = lab();
    l.realm.addService('cifs/fs.contoso.com', { okAsDelegate: true });
    const c = login(l, 'alice', aliceKey, { sname: 'cifs/fs.contoso.com' });
    expect(c.part.flags & TicketFlags['ok-as-delegate']).not.toBe(0);
  });

  it('BADOPTION for TGS-only options in an AS-REQ', () => {
    const err = errorOf(
      lab().kdc.handle(
        asReq({
          realm: REALM,
          cname: 'alice',
          options: KdcOptions.renew,
          padata: [encTimestamp(aliceKey, T0)],
        }),
      ),
    );
    expect(err.errorCode).toBe(ErrorCode.KDC_ERR_BADOPTION);
  });

  it('CANNOT_POSTDATE for a future start without POSTDATED, and when the realm forbids it', () => {
    const l = lab();
    const from = T0 + Duration.hour;
    const pad = [encTimestamp(aliceKey, T0)];
    const e1 = errorOf(
      l.kdc.handle(asReq({ realm: REALM, cname: 'alice', etypes: [18], from, padata: pad })),
    );
    expect(e1.errorCode).toBe(ErrorCode.KDC_ERR_CANNOT_POSTDATE);
    const strict = lab({ allowPostdate: false });
    const e2 = errorOf(
      strict.kdc.handle(
        asReq({
          realm: REALM,
          cname: 'alice',
          etypes: [18],
          from,
          options: KdcOptions.postdated,
          padata: pad,
        }),
      ),
    );
    expect(e2.errorCode).toBe(ErrorCode.KDC_ERR_CANNOT_POSTDATE);
    // ALLOW-POSTDATE too, though no start time is asked for.
    const e3 = errorOf(
      strict.kdc.handle(
        asReq({
          realm: REALM,
          cname: 'alice',
          etypes: [18],
          options: KdcOptions['allow-postdate'],
          padata: pad,
        }),
      ),
    );
    expect(e3.errorCode).toBe(ErrorCode.KDC_ERR_CANNOT_POSTDATE);
    expect(e3.eText).toContain('this realm does not issue postdatable tickets');
  });

  it('BADOPTION for POSTDATED without a start time (RFC 4120 section 5.4.1), rather than a ticket that is not postdated', () => {
    const err = errorOf(
      lab().kdc.handle(
        asReq({
          realm: REALM,
          cname: 'alice',
          etypes: [18],
          options: KdcOptions.postdated | KdcOptions['allow-postdate'],
          padata: [encTimestamp(aliceKey, T0)],
        }),
      ),
    );
    expect(err.errorCode).toBe(ErrorCode.KDC_ERR_BADOPTION);
    expect(err.eText).toContain('POSTDATED is set but the request has no start time (from)');
  });

  it('issues a postdated, invalid ticket with POSTDATED', () => {
    const l = lab();
    const from = T0 + Duration.hour;
    const c = login(l, 'alice', aliceKey, {
      from,
      till: from + 2 * Duration.hour,
      options: KdcOptions.postdated | KdcOptions['allow-postdate'],
    });
    expect(c.part.starttime).toBe(from);
    expect(c.part.endtime).toBe(from + 2 * Duration.hour);
    expect(flagNames(TicketFlags, c.part.flags)).toEqual(
      expect.arrayContaining(['postdated', 'invalid', 'may-postdate', 'initial']),
    );
  });

  it('postdates to a start time already past or within the skew, as MIT does, never dropping POSTDATED', () => {
    for (const from of [T0 - 2 * Duration.hour, T0 + Duration.minute]) {
      const c = login(lab(), 'alice', aliceKey, {
        from,
        till: T0 + 5 * Duration.hour,
        options: KdcOptions.postdated | KdcOptions['allow-postdate'],
      });
      expect(c.part.starttime).toBe(from);
      expect(flagNames(TicketFlags, c.part.flags)).toEqual(expect.arrayContaining(['postdated', 'invalid']));
    }
    // A realm that issues no postdated tickets says so, whatever the start time.
    const past = errorOf(
      lab({ allowPostdate: false }).kdc.handle(
        asReq({
          realm: REALM,
          cname: 'alice',
          etypes: [18],
          from: T0 - Duration.hour,
          options: KdcOptions.postdated,
          padata: [encTimestamp(aliceKey, T0)],
        }),
      ),
    );
    expect(past.errorCode).toBe(ErrorCode.KDC_ERR_CANNOT_POSTDATE);
    expect(past.eText).toContain('this realm does not issue postdated tickets');
  });

  it('a domain controller refuses POSTDATED and ALLOW-POSTDATE with KDC_ERR_POLICY, as Samba does', () => {
    const ad = makeRealm(REALM, {}, undefined, { kind: 'active-directory' });
    ad.realm.addUser('alice', { keys: pwKeys(REALM, 'alice', 'correct horse') });
    const postdated = errorOf(
      ad.kdc.handle(
        asReq({
          realm: REALM,
          cname: 'alice',
          etypes: [18],
          from: T0 + 2 * Duration.hour,
          options: KdcOptions.postdated | KdcOptions['allow-postdate'],
          padata: [encTimestamp(aliceKey, T0)],
        }),
      ),
    );
    expect(postdated.errorCode).toBe(ErrorCode.KDC_ERR_POLICY);
    const mayPostdate = errorOf(
      ad.kdc.handle(
        asReq({
          realm: REALM,
          cname: 'alice',
          etypes: [18],
          options: KdcOptions['allow-postdate'],
          padata: [encTimestamp(aliceKey, T0)],
        }),
      ),
    );
    expect(mayPostdate.errorCode).toBe(ErrorCode.KDC_ERR_POLICY);
  });

  it('NEVER_VALID when till is not after the start time', () => {
    const err = errorOf(
      lab().kdc.handle(
        asReq({
          realm: REALM,
          cname: 'alice',
          etypes: [18],
          till: T0 - Duration.hour,
          padata: [encTimestamp(aliceKey, T0)],
        }),
      ),
    );
    expect(err.errorCode).toBe(ErrorCode.KDC_ERR_NEVER_VALID);
  });

  it('WRONG_REALM when the request names another realm', () => {
    const err = errorOf(lab().kdc.handle(asReq({ realm: 'FABRIKAM.COM', cname: 'alice' })));
    expect(err.errorCode).toBe(ErrorCode.KDC_ERR_WRONG_REALM);
  });
});

describe('AS exchange: times and policy', () => {
  it('treats till=0 as infinite, capped by policy, and caps renew-till', () => {
    const l = lab({ maxTicketLifeMs: 4 * Duration.hour, maxRenewLifeMs: Duration.day });
    const c = login(l, 'alice', aliceKey, { till: 0, rtime: 0 });
    expect(c.part.endtime).toBe(T0 + 4 * Duration.hour);
    expect(c.part.renewTill).toBe(T0 + Duration.day);
  });

  it('does not make TGTs renewable when the realm forbids it (Azure AD)', () => {
    const l = lab({ renewableTgt: false });
    const c = login(l, 'alice', aliceKey);
    expect(c.part.flags & TicketFlags.renewable).toBe(0);
    expect(c.part.renewTill).toBeUndefined();
  });

  it('honours RENEWABLE-OK when the requested life is too long', () => {
    const l = lab();
    const c = login(l, 'alice', aliceKey, {
      options: KdcOptions['renewable-ok'],
      till: T0 + 2 * Duration.day,
    });
    expect(c.part.endtime).toBe(T0 + 10 * Duration.hour);
    expect(c.part.renewTill).toBe(T0 + 2 * Duration.day);
    expect(c.part.flags & TicketFlags.renewable).not.toBe(0);
    // A till of 0 (19700101000000Z) asks for the longest life allowed, granted in full: not renewable,
    // as MIT's KDC answers it (RFC 4120 section 5.4.1).
    const longest = login(l, 'alice', aliceKey, { options: KdcOptions['renewable-ok'], till: 0 });
    expect(longest.part.endtime).toBe(T0 + 10 * Duration.hour);
    expect(longest.part.flags & TicketFlags.renewable).toBe(0);
    expect(longest.part.renewTill).toBeUndefined();
  });

  it("picks the client's first session etype (an MIT realm, as MIT's KDC) and the reply key from the timestamp", () => {
    const l = lab();
    const k17 = userKey(REALM, 'alice', 'correct horse', 17);
    const as = (etypes: number[]) =>
      repOf(l.kdc.handle(asReq({ realm: REALM, cname: 'alice', etypes, padata: [encTimestamp(k17, T0)] })));
    const rep = as([17, 20, 18]);
    expect(rep.encPart.etype).toBe(17);
    expect(openRep(rep, k17, KeyUsage.AS_REP_ENCPART).part.key.keytype).toBe(17);
    // MIT's kinit asks [18, 17, 20, 19] by default: MIT's KDC answers 18, the first it permits.
    expect(openRep(as([18, 17, 20, 19]), k17, KeyUsage.AS_REP_ENCPART).part.key.keytype).toBe(18);
    expect(openRep(as([99, 19, 20, 17]), k17, KeyUsage.AS_REP_ENCPART).part.key.keytype).toBe(19);
  });

  it('finds a client by enterprise name (UPN) and canonicalizes it', () => {
    const l = lab();
    l.realm.addUser('bob', { keys: pwKeys(l.realm.name, 'bob', 'pw'), upn: 'bob@contoso.com' });
    const c = login(l, 'x', userKey(REALM, 'bob', 'pw'), {
      cname: { nameType: NameType.NT_ENTERPRISE, nameString: ['bob@contoso.com'] },
    });
    expect(c.cname).toEqual({ nameType: NameType.NT_PRINCIPAL, nameString: ['bob'] });
  });

  it("an enterprise name alice@REALM: C_PRINCIPAL_UNKNOWN in an MIT realm (krb5kdc 1.20.1, db2); the bare name or an AD realm's implicit UPN finds alice", () => {
    const enterprise = (name: string) => ({ nameType: NameType.NT_ENTERPRISE, nameString: [name] });
    const ask = (l: ReturnType<typeof lab>, name: string) =>
      l.kdc.handle(
        asReq({ realm: REALM, cname: enterprise(name), etypes: [18], padata: [encTimestamp(aliceKey, T0)] }),
      );
    const mit = lab();
    for (const name of [`alice@${REALM}`, 'alice@contoso.com']) {
      const e = errorOf(ask(mit, name));
      expect([e.errorCode, e.eText], name).toEqual([
        ErrorCode.KDC_ERR_C_PRINCIPAL_UNKNOWN,
        // The escaped @, as MIT's log names it (alice\@REALM@REALM).
        `client ${name.replace('@', '\\@')}@${REALM} not found in Kerberos database`,
      ]);
    }
    expect(repOf(ask(mit, 'alice')).cname.nameString).toEqual(['alice']);
    const ad = makeRealm(REALM, {}, undefined, { kind: 'active-directory' });
    ad.realm.addUser('alice', { keys: pwKeys(REALM, 'alice', 'correct horse') });
    for (const name of [`alice@${REALM}`, 'alice@contoso.com', 'alice']) {
      expect(repOf(ask(ad, name)).cname.nameString, name).toEqual(['alice']);
    }
  });

  it('puts the PAC from the builder in AD-IF-RELEVANT[AD-WIN2K-PAC], unless the client declines', () => {
    const l = lab();
    l.realm.pacBuilder = (ctx) => new TextEncoder().encode(`PAC:${ctx.client.name.nameString[0]}`);
    const krbtgt = l.realm.keysFor(`krbtgt/${REALM}`).find((k) => k.etype === 20)!;
    const withPac = login(l, 'alice', aliceKey, { padata: [encTimestamp(aliceKey, T0), pacRequest(true)] });
    const ad = openTicket(withPac.ticket, krbtgt).authorizationData!;
    expect(ad).toHaveLength(1);
    expect(ad[0]!.adType).toBe(AdType.AD_IF_RELEVANT);
    const inner = decodeAuthorizationData(ad[0]!.adData);
    expect(inner[0]!.adType).toBe(AdType.AD_WIN2K_PAC);
    expect(new TextDecoder().decode(inner[0]!.adData)).toBe('PAC:alice');
    const without = login(l, 'alice', aliceKey, { padata: [encTimestamp(aliceKey, T0), pacRequest(false)] });
    expect(openTicket(without.ticket, krbtgt).authorizationData).toBeUndefined();
  });

  it('forces the service ticket etype and caps service ticket life (Azure AD policy)', () => {
    const l = lab({ ticketEncType: 18, serviceTicketLifeMs: Duration.hour });
    l.realm.addService('HTTP/web.contoso.com');
    const c = login(l, 'alice', aliceKey, { sname: 'HTTP/web.contoso.com', etypes: [20, 18] });
    expect(c.ticket.encPart.etype).toBe(18);
    expect(c.part.endtime).toBe(T0 + Duration.hour);
    expect(c.part.key.keytype).toBe(20); // the session key: the client's first choice (an MIT realm)
  });
});

describe('AS exchange: PA-REQ-ENC-PA-REP (RFC 6806 section 11)', () => {
  const askEncPaRep = { padataType: PaDataType.PA_REQ_ENC_PA_REP, padataValue: new Uint8Array(0) };

  it('answers with a checksum over the AS-REQ as received, under the reply key, and sets enc-pa-rep', () => {
    const l = lab();
    const request = asReq({
      realm: REALM,
      cname: 'alice',
      options: KdcOptions.canonicalize,
      padata: [encTimestamp(aliceKey, T0), askEncPaRep],
    });
    const rep = repOf(l.kdc.handle(request));
    const part = openRep(rep, aliceKey, KeyUsage.AS_REP_ENCPART).part;
    expect(part.flags & ENC_PA_REP).not.toBe(0);
    // And PA-FX-FAST: FAST negotiation protected by the reply key (RFC 6806 section 11), as MIT sends it.
    expect(part.encryptedPaData?.map((p) => p.padataType)).toEqual([
      PaDataType.PA_REQ_ENC_PA_REP,
      PaDataType.PA_FX_FAST,
    ]);
    const ck = decodeChecksum(part.encryptedPaData![0]!.padataValue);
    expect(ck.cksumtype).toBe(16); // hmac-sha1-96-aes256, the reply key's
    expect(verifyChecksum(aliceKey, KeyUsage.KEY_USAGE_AS_REQ, request, ck.checksum)).toBe(true);
    // Over these bytes only: one bit of difference and it no longer verifies.
    const other = request.slice();
    other[other.length - 1]! ^= 1;
    expect(verifyChecksum(aliceKey, KeyUsage.KEY_USAGE_AS_REQ, other, ck.checksum)).toBe(false);
  });

  it('does not set enc-pa-rep in the reply part when the client did not ask, canonicalize or not', () => {
    const l = lab();
    for (const options of [0, KdcOptions.canonicalize]) {
      const rep = repOf(
        l.kdc.handle(asReq({ realm: REALM, cname: 'alice', options, padata: [encTimestamp(aliceKey, T0)] })),
      );
      const part = openRep(rep, aliceKey, KeyUsage.AS_REP_ENCPART).part;
      expect(part.flags & ENC_PA_REP).toBe(0);
      expect(part.encryptedPaData).toBeUndefined();
    }
  });
});
