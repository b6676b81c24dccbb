/**
 * ok-as-delegate across trusts (MS-KILE 3.3.5.7.5): a referral TGT carries
 * it where its trust allows TGT delegation (within a forest by default;
 * across forests with `tgtDelegation`; never when quarantined), and a service
 * ticket issued from a referral TGT carries it only when the referral did.
 */

import { KdcOptions, TicketFlags } from '@krbsim/asn1';
import { ErrorCode, ManualClock } from '@krbsim/core';
import { createTrust, type TrustOptions } from '@krbsim/kdc';
import { describe, expect, it } from 'vitest';
import {
  type Creds,
  type Lab,
  login,
  makeRealm,
  openTicket,
  pn,
  reseal,
  T0,
  tgsGet,
  userKey,
} from './helpers';

const OK = TicketFlags['ok-as-delegate'];
const INTRANET = 'HTTP/intranet.contoso.com';
const PLAIN = 'HTTP/plain.contoso.com';
const PORTAL = 'HTTP/portal.fabrikam.com';

type Knobs = Pick<TrustOptions, 'quarantine' | 'tgtDelegation'>;

/**
 * The forest CONTOSO.COM, its child EMEA.CONTOSO.COM (a two-way realm trust,
 * `child`'s knobs), and FABRIKAM.COM trusting CONTOSO.COM by a forest trust
 * (`forest`'s knobs). erin is a user of EMEA; INTRANET and PORTAL are trusted
 * for delegation, PLAIN is not.
 */
function lab(child: Knobs = {}, forest: Knobs = {}, kind: 'active-directory' | 'mit' = 'active-directory') {
  const clock = new ManualClock(T0);
  const realm = (name: string, forestName: string, domainSid: string): Lab =>
    makeRealm(name, { krbErrorStyle: 'mit' }, clock, {
      kind,
      ...(kind === 'active-directory' && { forest: forestName, domainSid }),
    });
  const contoso = realm('CONTOSO.COM', 'CONTOSO.COM', 'S-1-5-21-100-200-300');
  const emea = realm('EMEA.CONTOSO.COM', 'CONTOSO.COM', 'S-1-5-21-101-201-301');
  const fabrikam = realm('FABRIKAM.COM', 'FABRIKAM.COM', 'S-1-5-21-400-500-600');
  createTrust({
    trusting: contoso.realm,
    trusted: emea.realm,
    direction: 'two-way',
    kind: 'realm',
    topLevelNames: ['contoso.com'],
    ...child,
  });
  createTrust({
    trusting: fabrikam.realm,
    trusted: contoso.realm,
    direction: 'one-way',
    kind: kind === 'mit' ? 'realm' : 'forest',
    topLevelNames: ['fabrikam.com'],
    ...forest,
  });
  emea.realm.addUser('erin', { password: 'pw' });
  contoso.realm.addService(INTRANET, { password: 'x', okAsDelegate: true });
  contoso.realm.addService(PLAIN, { password: 'y' });
  fabrikam.realm.addService(PORTAL, { password: 'z', okAsDelegate: true });
  const erin = login(emea, 'erin', userKey(emea.realm.name, 'erin', 'pw'));
  const ask = (l: Lab, tgt: Creds, sname: string) =>
    tgsGet(l.kdc, { tgt, realm: l.realm.name, sname, now: T0, options: KdcOptions.canonicalize });
  return { contoso, emea, fabrikam, erin, ask };
}

/** Whether `c`'s reply part and ticket both carry ok-as-delegate (they must agree). */
function okAsDelegate(c: Creds, ticketKey: Parameters<typeof openTicket>[1]): boolean {
  const inTicket = (openTicket(c.ticket, ticketKey).flags & OK) !== 0;
  expect((c.part.flags & OK) !== 0).toBe(inTicket);
  return inTicket;
}

function interRealmKey(l: Lab, service: string, issuer: string, etype: number) {
  return l.realm.keysFor(`krbtgt/${service}@${issuer}`).find((k) => k.etype === etype)!;
}

function serviceKey(l: Lab, spn: string, etype: number) {
  return l.realm.keysFor(spn).find((k) => k.etype === etype)!;
}

describe('ok-as-delegate across trusts (MS-KILE 3.3.5.7.5)', () => {
  it('crosses a trust within a forest: the referral TGT and the service ticket from it carry it', () => {
    const t = lab();
    const referral = t.ask(t.emea, t.erin, INTRANET);
    expect(referral.part.sname).toEqual(pn('krbtgt/CONTOSO.COM'));
    const e = referral.ticket.encPart.etype;
    expect(okAsDelegate(referral, interRealmKey(t.contoso, 'CONTOSO.COM', 'EMEA.CONTOSO.COM', e))).toBe(true);
    const st = t.ask(t.contoso, referral, INTRANET);
    expect(okAsDelegate(st, serviceKey(t.contoso, INTRANET, st.ticket.encPart.etype))).toBe(true);
    // A service not trusted for delegation does not get it from the referral.
    const plain = t.ask(t.contoso, referral, PLAIN);
    expect(okAsDelegate(plain, serviceKey(t.contoso, PLAIN, plain.ticket.encPart.etype))).toBe(false);
    // The TGT of the AS exchange never carries it.
    expect(t.erin.part.flags & OK).toBe(0);
  });

  it('does not cross a trust within a forest that is quarantined or says tgtDelegation: false', () => {
    for (const knobs of [{ quarantine: true }, { tgtDelegation: false }]) {
      const t = lab(knobs);
      const referral = t.ask(t.emea, t.erin, INTRANET);
      const e = referral.ticket.encPart.etype;
      expect(okAsDelegate(referral, interRealmKey(t.contoso, 'CONTOSO.COM', 'EMEA.CONTOSO.COM', e))).toBe(
        false,
      );
      const st = t.ask(t.contoso, referral, INTRANET);
      expect(okAsDelegate(st, serviceKey(t.contoso, INTRANET, st.ticket.encPart.etype))).toBe(false);
    }
  });

  it('does not cross a forest trust unless it has tgtDelegation, and then along the whole path', () => {
    for (const [forest, crosses] of [
      [{}, false],
      [{ tgtDelegation: false }, false],
      [{ tgtDelegation: true }, true],
    ] as const) {
      const t = lab({}, forest);
      const toRoot = t.ask(t.emea, t.erin, PORTAL);
      expect(toRoot.part.sname).toEqual(pn('krbtgt/CONTOSO.COM'));
      expect(toRoot.part.flags & OK).toBe(OK); // the first hop is within the forest
      const toFabrikam = t.ask(t.contoso, toRoot, PORTAL);
      expect(toFabrikam.part.sname).toEqual(pn('krbtgt/FABRIKAM.COM'));
      const e = toFabrikam.ticket.encPart.etype;
      expect(okAsDelegate(toFabrikam, interRealmKey(t.fabrikam, 'FABRIKAM.COM', 'CONTOSO.COM', e))).toBe(
        crosses,
      );
      const st = t.ask(t.fabrikam, toFabrikam, PORTAL);
      expect(okAsDelegate(st, serviceKey(t.fabrikam, PORTAL, st.ticket.encPart.etype))).toBe(crosses);
    }
  });

  it('takes the source ticket into account: a referral without the flag passes none on', () => {
    const t = lab({}, { tgtDelegation: true });
    const toRoot = t.ask(t.emea, t.erin, PORTAL);
    const e = toRoot.ticket.encPart.etype;
    const key = interRealmKey(t.contoso, 'CONTOSO.COM', 'EMEA.CONTOSO.COM', e);
    const stripped = reseal(toRoot, key, (etp) => ({ ...etp, flags: (etp.flags & ~OK) >>> 0 }));
    // A service ticket, and the next referral, from the referral without the flag: none.
    const st = t.ask(t.contoso, stripped, INTRANET);
    expect(okAsDelegate(st, serviceKey(t.contoso, INTRANET, st.ticket.encPart.etype))).toBe(false);
    const onward = t.ask(t.contoso, stripped, PORTAL);
    expect(onward.part.sname).toEqual(pn('krbtgt/FABRIKAM.COM'));
    expect(onward.part.flags & OK).toBe(0);
  });

  it('checks the trust the referral came through too: a flag the other side set over a trust without it is not honoured', () => {
    const t = lab({}, {});
    const toRoot = t.ask(t.emea, t.erin, PORTAL);
    const toFabrikam = t.ask(t.contoso, toRoot, PORTAL);
    const e = toFabrikam.ticket.encPart.etype;
    const key = interRealmKey(t.fabrikam, 'FABRIKAM.COM', 'CONTOSO.COM', e);
    const flagged = reseal(toFabrikam, key, (etp) => ({ ...etp, flags: (etp.flags | OK) >>> 0 }));
    const st = t.ask(t.fabrikam, flagged, PORTAL);
    expect(okAsDelegate(st, serviceKey(t.fabrikam, PORTAL, st.ticket.encPart.etype))).toBe(false);
  });

  it("holds a client from across a trust to its path when it shows this realm's own TGT, issued from its referral", () => {
    for (const [forest, crosses] of [
      [{}, false],
      [{ tgtDelegation: true }, true],
    ] as const) {
      const t = lab({}, forest);
      const toRoot = t.ask(t.emea, t.erin, PORTAL);
      const toFabrikam = t.ask(t.contoso, toRoot, PORTAL);
      // FABRIKAM's own TGT for erin, from the referral, then the service ticket with it.
      const own = tgsGet(t.fabrikam.kdc, {
        tgt: toFabrikam,
        realm: t.fabrikam.realm.name,
        sname: 'krbtgt/FABRIKAM.COM',
        now: T0,
        options: 0,
      });
      expect(own.part.sname).toEqual(pn('krbtgt/FABRIKAM.COM'));
      expect((own.part.flags & OK) !== 0).toBe(crosses);
      const st = t.ask(t.fabrikam, own, PORTAL);
      expect(okAsDelegate(st, serviceKey(t.fabrikam, PORTAL, st.ticket.encPart.etype))).toBe(crosses);
    }
    // A local client's own TGT never carries it, and its tickets follow the service alone.
    const t = lab();
    t.contoso.realm.addUser('carl', { password: 'pw' });
    const carl = login(t.contoso, 'carl', userKey(t.contoso.realm.name, 'carl', 'pw'));
    const again = tgsGet(t.contoso.kdc, {
      tgt: carl,
      realm: t.contoso.realm.name,
      sname: 'krbtgt/CONTOSO.COM',
      now: T0,
      options: 0,
    });
    expect(again.part.flags & OK).toBe(0);
    expect(t.ask(t.contoso, again, INTRANET).part.flags & OK).toBe(OK);
  });

  it('answers an explicit request for a cross-realm TGT by the same rule', () => {
    const t = lab();
    const direct = tgsGet(t.emea.kdc, {
      tgt: t.erin,
      realm: t.emea.realm.name,
      sname: 'krbtgt/CONTOSO.COM',
      now: T0,
    });
    expect(direct.part.sname).toEqual(pn('krbtgt/CONTOSO.COM'));
    expect(direct.part.flags & OK).toBe(OK);
    const quarantined = lab({ quarantine: true });
    const refused = tgsGet(quarantined.emea.kdc, {
      tgt: quarantined.erin,
      realm: quarantined.emea.realm.name,
      sname: 'krbtgt/CONTOSO.COM',
      now: T0,
    });
    expect(refused.part.flags & OK).toBe(0);
  });

  it('refuses tgtDelegation on a quarantined trust, which MS-KILE disables whatever else says', () => {
    const clock = new ManualClock(T0);
    const a = makeRealm('A.TEST', {}, clock, { kind: 'active-directory' });
    const b = makeRealm('B.TEST', {}, clock, { kind: 'active-directory' });
    const create = (more: Knobs) =>
      createTrust({ trusting: a.realm, trusted: b.realm, direction: 'one-way', kind: 'external', ...more });
    expect(() => create({ tgtDelegation: true })).toThrow(
      expect.objectContaining({
        code: ErrorCode.KRB_ERR_GENERIC,
        message: expect.stringMatching(/quarantined/),
      }),
    );
    // Nothing was created: the same trust, without the contradiction, can still be made.
    const trust = create({ quarantine: false, tgtDelegation: true });
    expect(trust.tgtDelegation).toBe(true);
    expect(trust.quarantine).toBe(false);
  });

  it("takes the trust for delegation of a computer or a service account, as AD's TRUSTED_FOR_DELEGATION", () => {
    const t = lab();
    t.contoso.realm.addComputer('WEB01', { spns: ['HTTP/web01.contoso.com'], okAsDelegate: true });
    t.contoso.realm.addUser('svc_app', {
      password: 'svc',
      spns: ['HTTP/app.contoso.com'],
      okAsDelegate: true,
    });
    t.contoso.realm.addComputer('WEB02', { spns: ['HTTP/web02.contoso.com'] });
    const referral = t.ask(t.emea, t.erin, 'HTTP/web01.contoso.com');
    for (const [spn, trusted] of [
      ['HTTP/web01.contoso.com', true],
      ['HTTP/app.contoso.com', true],
      ['HTTP/web02.contoso.com', false],
    ] as const) {
      expect(t.ask(t.contoso, referral, spn).part.flags & OK, spn).toBe(trusted ? OK : 0);
    }
  });

  it('leaves an mit realm as MIT leaves it: the flag comes from the server principal alone', () => {
    const t = lab({}, {}, 'mit');
    const referral = t.ask(t.emea, t.erin, INTRANET);
    expect(referral.part.flags & OK).toBe(0);
    // The referral lacks it, and MIT sets it from the service's attribute anyway.
    const st = t.ask(t.contoso, referral, INTRANET);
    expect(st.part.flags & OK).toBe(OK);
  });
});
