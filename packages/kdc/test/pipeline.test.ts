/**
 * The KDC's plug-in points: the PA-DATA registries (a padata type is one
 * handler plus one registry line), the authorization-data hook on both
 * exchanges, and bugs that surface as bugs.
 */

import { AdType, type AuthorizationData, decodeMethodData, type PaData, PaDataType } from '@krbsim/asn1';
import { Duration, ErrorCode, ManualClock } from '@krbsim/core';
import {
  AS_PADATA_HANDLERS,
  type AsPadataHandler,
  type AuthorizationDataContext,
  createTrust,
  Kdc,
  KdcError,
  TGS_PADATA_HANDLERS,
  type TgsPadataHandler,
} from '@krbsim/kdc';
import { describe, expect, it } from 'vitest';
import {
  asReq,
  encTimestamp,
  errorOf,
  login,
  makeRealm,
  openTicket,
  pwKeys,
  T0,
  tgsGet,
  tgsReq,
  userKey,
} from './helpers';

const REALM = 'CONTOSO.COM';
const WEB = 'HTTP/web.contoso.com';
/** An unassigned padata type, for the test-only handler. */
const PA_TEST = 4242;
const OPEN_SESAME = new TextEncoder().encode('open sesame');

/**
 * A test-only pre-authentication method, written as a real one would be: a
 * handler that authenticates the client when its padata says the password,
 * and that KDC_ERR_PREAUTH_REQUIRED offers.
 */
const testPreauth: AsPadataHandler = {
  padataType: PA_TEST,
  offer: () => ({ padataType: PA_TEST, padataValue: new Uint8Array(0) }),
  process(state, pa) {
    if (Buffer.compare(Buffer.from(pa.padataValue), Buffer.from(OPEN_SESAME)) !== 0) {
      throw new KdcError(ErrorCode.KDC_ERR_PREAUTH_FAILED, 'wrong magic word');
    }
    state.preauthenticated = true;
  },
};

const magic = (value = OPEN_SESAME): PaData => ({ padataType: PA_TEST, padataValue: value });

function lab() {
  const l = makeRealm(REALM);
  l.realm.addUser('alice', { keys: pwKeys(REALM, 'alice', 'pw') });
  l.realm.addService(WEB);
  return l;
}

describe('PA-DATA registries', () => {
  it('list the built-in handlers in processing order', () => {
    expect(AS_PADATA_HANDLERS.map((h) => h.padataType)).toEqual([
      PaDataType.PA_ENC_TIMESTAMP,
      PaDataType.PA_ENCRYPTED_CHALLENGE,
      PaDataType.PA_PK_AS_REQ,
      PaDataType.PA_AS_FRESHNESS,
      PaDataType.PA_FX_FAST,
      PaDataType.PA_PAC_REQUEST,
      PaDataType.PA_REQ_ENC_PA_REP,
    ]);
    expect(TGS_PADATA_HANDLERS.map((h) => h.padataType)).toEqual([
      PaDataType.PA_TGS_REQ,
      PaDataType.PA_FX_FAST,
      PaDataType.PA_FOR_X509_USER,
      PaDataType.PA_FOR_USER,
      PaDataType.PA_PAC_OPTIONS,
    ]);
    expect(Object.isFrozen(AS_PADATA_HANDLERS)).toBe(true);
  });

  it('take a new pre-authentication method as one handler and one registry line', () => {
    const l = lab();
    const kdc = new Kdc(l.realm, { padata: { as: [...AS_PADATA_HANDLERS, testPreauth] } });
    // Offered in METHOD-DATA after PA-FX-FAST (first in an MIT realm), ETYPE-INFO2 and
    // PA-ENC-TIMESTAMP, before the cookie.
    const required = errorOf(kdc.handle(asReq({ realm: REALM, cname: 'alice' })));
    expect(required.errorCode).toBe(ErrorCode.KDC_ERR_PREAUTH_REQUIRED);
    expect(decodeMethodData(required.eData!).map((p) => p.padataType)).toEqual([
      PaDataType.PA_FX_FAST,
      PaDataType.PA_ETYPE_INFO2,
      PaDataType.PA_ENC_TIMESTAMP,
      PA_TEST,
      PaDataType.PA_FX_COOKIE,
    ]);
    // Used: the client is pre-authenticated without a timestamp.
    const ok = kdc.handle(asReq({ realm: REALM, cname: 'alice', padata: [magic()] }));
    expect(ok[0]).toBe(0x6b); // AS-REP
    // Refused with its own code, the client named in the KRB-ERROR.
    const bad = errorOf(
      kdc.handle(asReq({ realm: REALM, cname: 'alice', padata: [magic(new Uint8Array(3))] })),
    );
    expect(bad.errorCode).toBe(ErrorCode.KDC_ERR_PREAUTH_FAILED);
    expect(bad.cname?.nameString).toEqual(['alice']);
    // Without the registry line the padata is ignored, as a KDC ignores what it does not know.
    const ignored = errorOf(l.kdc.handle(asReq({ realm: REALM, cname: 'alice', padata: [magic()] })));
    expect(ignored.errorCode).toBe(ErrorCode.KDC_ERR_PREAUTH_REQUIRED);
  });

  it('run TGS handlers after PA-TGS-REQ, with the verified header in hand', () => {
    const l = lab();
    const seen: string[] = [];
    const observer: TgsPadataHandler = {
      padataType: PA_TEST,
      process(state) {
        seen.push(`${state.header?.kind} ${state.header?.tgt.cname.nameString.join('/')}`);
      },
    };
    const kdc = new Kdc(l.realm, { padata: { tgs: [...TGS_PADATA_HANDLERS, observer] } });
    const tgt = login(l, 'alice', userKey(REALM, 'alice', 'pw'));
    tgsGet(kdc, { tgt, realm: REALM, sname: WEB, now: T0, extraPadata: [magic()] });
    expect(seen).toEqual(['local-tgt alice']);
  });

  it('refuse a TGS-REQ whose registry has no header handler to run', () => {
    const l = lab();
    const tgt = login(l, 'alice', userKey(REALM, 'alice', 'pw'));
    const kdc = new Kdc(l.realm, { padata: { tgs: [] } });
    const err = errorOf(kdc.handle(tgsReq({ tgt, realm: REALM, sname: WEB, now: T0 })));
    expect(err.errorCode).toBe(ErrorCode.KDC_ERR_PADATA_TYPE_NOSUPP);
  });
});

const marker = (text: string): AuthorizationData => [
  { adType: AdType.AD_IF_RELEVANT, adData: new TextEncoder().encode(text) },
];
const text = (ad: AuthorizationData | undefined): string[] =>
  (ad ?? []).map((e) => new TextDecoder().decode(e.adData));

describe('the authorization-data hook', () => {
  it('sees every ticket of both exchanges with what would go in, and decides what does', () => {
    const l = lab();
    const calls: AuthorizationDataContext[] = [];
    l.realm.authorizationData = (ctx) => {
      calls.push(ctx);
      return ctx.ticket.exchange === 'AS' ? marker('from AS') : [...ctx.proposed, ...marker('from TGS')];
    };
    const aliceKey = userKey(REALM, 'alice', 'pw');
    const tgt = login(l, 'alice', aliceKey);
    const krbtgt = l.realm.keysFor(`krbtgt/${REALM}`).find((k) => k.etype === tgt.ticket.encPart.etype)!;
    expect(text(openTicket(tgt.ticket, krbtgt).authorizationData)).toEqual(['from AS']);

    const st = tgsGet(l.kdc, { tgt, realm: REALM, sname: WEB, now: T0 });
    const webKey = l.realm.keysFor(WEB).find((k) => k.etype === st.ticket.encPart.etype)!;
    expect(text(openTicket(st.ticket, webKey).authorizationData)).toEqual(['from AS', 'from TGS']);

    expect(calls.map((c) => c.ticket.exchange)).toEqual(['AS', 'TGS']);
    const [as, tgs] = calls as [AuthorizationDataContext, AuthorizationDataContext];
    expect(as.proposed).toEqual([]);
    expect(as.ticket.evidence).toBeUndefined();
    expect(as.ticket.client?.name.nameString).toEqual(['alice']);
    expect(tgs.fromEvidence).toEqual(marker('from AS'));
    expect(tgs.proposed).toEqual(marker('from AS'));
    expect(tgs.ticket.evidence?.cname.nameString).toEqual(['alice']);
    expect(tgs.ticket.sname.nameString).toEqual(['HTTP', 'web.contoso.com']);
    expect(tgs.kdcKey.etype).toBe(tgs.ticket.serverKey.key.etype);
  });

  it('runs on referrals and at the far side of a trust, where it can filter what crossed', () => {
    const clock = new ManualClock(T0);
    const onprem = makeRealm(REALM, {}, clock);
    const azure = makeRealm('KERBEROS.MICROSOFTONLINE.COM', { ticketEncType: 18 }, clock);
    createTrust({
      trusting: azure.realm,
      trusted: onprem.realm,
      direction: 'one-way',
      kind: 'forest',
      topLevelNames: ['windows.net'],
    });
    const mi = 'MSSQLSvc/mi1.abc123.database.windows.net:1433';
    azure.realm.addService(mi);
    onprem.realm.addUser('alice', { keys: pwKeys(REALM, 'alice', 'pw') });
    const seen: string[] = [];
    onprem.realm.authorizationData = (ctx) => {
      seen.push(`${ctx.realm.name} ${ctx.ticket.exchange} ${ctx.ticket.sname.nameString.join('/')}`);
      return ctx.ticket.exchange === 'AS' ? marker('Domain Admins') : ctx.proposed;
    };
    azure.realm.authorizationData = (ctx) => {
      seen.push(`${ctx.realm.name} ${ctx.ticket.exchange} ${ctx.ticket.sname.nameString.join('/')}`);
      return ctx.proposed.filter((e) => new TextDecoder().decode(e.adData) !== 'Domain Admins');
    };
    const tgt = login(onprem, 'alice', userKey(REALM, 'alice', 'pw'));
    const referral = tgsGet(onprem.kdc, {
      tgt,
      realm: REALM,
      sname: mi,
      now: T0,
    });
    const st = tgsGet(azure.kdc, { tgt: referral, realm: azure.realm.name, sname: mi, now: T0 });
    expect(seen).toEqual([
      'CONTOSO.COM AS krbtgt/CONTOSO.COM',
      'CONTOSO.COM TGS krbtgt/KERBEROS.MICROSOFTONLINE.COM',
      'KERBEROS.MICROSOFTONLINE.COM TGS MSSQLSvc/mi1.abc123.database.windows.net:1433',
    ]);
    const miKey = azure.realm.keysFor(mi).find((k) => k.etype === st.ticket.encPart.etype)!;
    expect(openTicket(st.ticket, miKey).authorizationData).toBeUndefined();
  });
});

describe('bugs surface as bugs', () => {
  it('a TypeError in a hook goes out as KRB_ERR_GENERIC and reaches onInternalError', () => {
    const l = lab();
    const bugs: unknown[] = [];
    const log: string[] = [];
    const kdc = new Kdc(l.realm, { onInternalError: (e) => bugs.push(e), log: (x) => log.push(x) });
    l.realm.authorizationData = () => {
      throw new TypeError('hook bug');
    };
    const err = errorOf(
      kdc.handle(
        asReq({ realm: REALM, cname: 'alice', padata: [encTimestamp(userKey(REALM, 'alice', 'pw'), T0)] }),
      ),
    );
    expect(err.errorCode).toBe(ErrorCode.KRB_ERR_GENERIC);
    expect(err.eText).toBe('internal error');
    expect(bugs).toHaveLength(1);
    expect(bugs[0]).toBeInstanceOf(TypeError);
    expect(log.at(-1)).toMatch(/KRB_ERR_GENERIC \(60\) internal error$/);
  });

  it('a Kerberos refusal is not reported as a bug', () => {
    const l = lab();
    const bugs: unknown[] = [];
    const kdc = new Kdc(l.realm, { onInternalError: (e) => bugs.push(e) });
    l.clock.advance(Duration.minute);
    expect(errorOf(kdc.handle(asReq({ realm: REALM, cname: 'nobody' }))).errorCode).toBe(
      ErrorCode.KDC_ERR_C_PRINCIPAL_UNKNOWN,
    );
    expect(bugs).toEqual([]);
  });
});
