/**
 * The one AP-REQ check under its two rule sets: what a service and a TGS
 * share (RFC 4120 section 3.2.3) and the few places where they differ.
 */

import { ApOptions, type ApReq, encodeAuthenticator, TicketFlags } from '@krbsim/asn1';
import type { Credential } from '@krbsim/client';
import { Duration, ErrorCode, KerberosError } from '@krbsim/core';
import { encrypt, type Key, KeyUsage, stringToKey } from '@krbsim/crypto';
import {
  type ApReqCheck,
  ApReqError,
  ApReqFailure,
  type ApReqRules,
  checkApReq,
  SERVICE_AP_REQ,
  selectServiceKey,
  TGS_AP_REQ,
} from '@krbsim/service';
import { describe, expect, it } from 'vitest';
import { Lab, T0, thrown } from './helpers';

/** An AP-REQ for `cred` whose authenticator is sealed under `usage` (11: AP-REQ, 7: PA-TGS-REQ). */
function apReqFor(lab: Lab, cred: Credential, usage: number, apOptions = 0): ApReq {
  const now = lab.clock.now();
  const authenticator = encodeAuthenticator({
    authenticatorVno: 5,
    crealm: cred.client.realm,
    cname: cred.client.name,
    cusec: 0,
    ctime: now,
  });
  return {
    pvno: 5,
    msgType: 14,
    apOptions,
    ticket: cred.ticket,
    authenticator: {
      etype: cred.sessionKey.etype,
      cipher: encrypt(cred.sessionKey, usage, authenticator, { random: lab.random }),
    },
  };
}

function check(lab: Lab, rules: ApReqRules, more: Partial<ApReqCheck> = {}): ApReqCheck {
  return {
    rules,
    keyLookup: (t) => selectServiceKey(lab.keytab, t),
    clock: lab.serviceClock,
    clockSkewMs: 5 * Duration.minute,
    ...more,
  };
}

const usageOf = (rules: ApReqRules): number => rules.authenticatorUsage;

describe('checkApReq', () => {
  it('keeps one table of failure codes', () => {
    expect(ApReqFailure).toEqual({
      weakEncType: ErrorCode.KDC_ERR_ETYPE_NOSUPP,
      userToUser: ErrorCode.KRB_AP_ERR_METHOD,
      authenticatorIntegrity: ErrorCode.KRB_AP_ERR_BAD_INTEGRITY,
      clientMismatch: ErrorCode.KRB_AP_ERR_BADMATCH,
      badAddress: ErrorCode.KRB_AP_ERR_BADADDR,
      skew: ErrorCode.KRB_AP_ERR_SKEW,
      notYetValid: ErrorCode.KRB_AP_ERR_TKT_NYV,
      expired: ErrorCode.KRB_AP_ERR_TKT_EXPIRED,
      subkeyEncType: ErrorCode.KDC_ERR_ETYPE_NOSUPP,
      subkeyLength: ErrorCode.KRB_ERR_GENERIC,
      transitedPath: ErrorCode.KRB_AP_PATH_NOT_ACCEPTED,
    });
    expect(SERVICE_AP_REQ.authenticatorUsage).toBe(KeyUsage.AP_REQ_AUTH);
    expect(TGS_AP_REQ.authenticatorUsage).toBe(KeyUsage.TGS_REQ_AUTH);
  });

  for (const rules of [SERVICE_AP_REQ, TGS_AP_REQ]) {
    const label = rules === SERVICE_AP_REQ ? 'service' : 'TGS';

    it(`${label}: accepts a good AP-REQ and returns the decrypted parts`, () => {
      const lab = new Lab();
      const cred = lab.credential();
      const r = checkApReq(apReqFor(lab, cred, usageOf(rules)), check(lab, rules));
      expect(r.clientPrincipal).toBe('alice@CONTOSO.COM');
      expect(r.sessionKey).toEqual(cred.sessionKey);
      expect(r.serverKey.kvno).toBe(3);
      expect(r.authenticator.ctime).toBe(T0);
    });

    it(`${label}: refuses an authenticator sealed under the other key usage, naming the client`, () => {
      const lab = new Lab();
      const other = rules === SERVICE_AP_REQ ? KeyUsage.TGS_REQ_AUTH : KeyUsage.AP_REQ_AUTH;
      const e = thrown(() => checkApReq(apReqFor(lab, lab.credential(), other), check(lab, rules)));
      expect(e).toBeInstanceOf(ApReqError);
      expect(e.code).toBe(ErrorCode.KRB_AP_ERR_BAD_INTEGRITY);
      expect((e as ApReqError).client?.name.nameString).toEqual(['alice']);
    });

    it(`${label}: refuses a mismatched client, a skewed clock and an INVALID ticket`, () => {
      const lab = new Lab();
      const bob = { realm: 'CONTOSO.COM', name: { nameType: 1, nameString: ['bob'] } };
      const mismatch = lab.credential({ credClient: bob });
      expect(thrown(() => checkApReq(apReqFor(lab, mismatch, usageOf(rules)), check(lab, rules))).code).toBe(
        ErrorCode.KRB_AP_ERR_BADMATCH,
      );
      const invalid = lab.credential({ flags: TicketFlags.invalid });
      expect(thrown(() => checkApReq(apReqFor(lab, invalid, usageOf(rules)), check(lab, rules))).code).toBe(
        ErrorCode.KRB_AP_ERR_TKT_NYV,
      );
      const good = apReqFor(lab, lab.credential(), usageOf(rules));
      lab.serviceClock.advance(6 * Duration.minute);
      expect(thrown(() => checkApReq(good, check(lab, rules))).code).toBe(ErrorCode.KRB_AP_ERR_SKEW);
    });

    it(`${label}: refuses weak enctypes unless allowed`, () => {
      const lab = new Lab();
      const rc4: Key = stringToKey(23, 'web-Passw0rd', '');
      lab.keytab.push({ principal: lab.keytab[0]!.principal, kvno: 3, key: rc4 });
      const req = apReqFor(lab, lab.credential({ serviceKey: rc4 }), usageOf(rules));
      const e = thrown(() => checkApReq(req, check(lab, rules)));
      expect(e.code).toBe(ErrorCode.KDC_ERR_ETYPE_NOSUPP);
      expect(checkApReq(req, check(lab, rules, { allowWeakCrypto: true })).serverKey.key.etype).toBe(23);
    });

    it(`${label}: refuses a weak session key inside a strong ticket, and a weak authenticator etype`, () => {
      const lab = new Lab();
      // The ticket is sealed with the AES service key; only its session key is RC4 (the
      // authenticator's etype field says AES, so the ticket's own contents are what refuses it).
      const rc4Session = apReqFor(lab, lab.credential({ sessionKeyEtype: 23 }), usageOf(rules));
      const weakSession = { ...rc4Session, authenticator: { ...rc4Session.authenticator, etype: 18 } };
      const e = thrown(() => checkApReq(weakSession, check(lab, rules)));
      expect(e).toBeInstanceOf(ApReqError);
      expect(e.code).toBe(ErrorCode.KDC_ERR_ETYPE_NOSUPP);
      expect(e.message).toContain('the session key uses the weak enctype 23');
      expect(checkApReq(rc4Session, check(lab, rules, { allowWeakCrypto: true })).sessionKey.etype).toBe(23);
      // A strong ticket whose authenticator claims a weak etype: refused before any decryption.
      const good = apReqFor(lab, lab.credential(), usageOf(rules));
      const weakAuth = { ...good, authenticator: { ...good.authenticator, etype: 23 } };
      const a = thrown(() => checkApReq(weakAuth, check(lab, rules)));
      expect(a).toBeInstanceOf(ApReqError);
      expect(a.code).toBe(ErrorCode.KDC_ERR_ETYPE_NOSUPP);
      expect(a.message).toContain('authenticator');
    });

    it(`${label}: lets a bug in the key lookup surface as itself`, () => {
      const lab = new Lab();
      const req = apReqFor(lab, lab.credential(), usageOf(rules));
      const bug = new TypeError('lookup bug');
      const e = thrown(() =>
        checkApReq(
          req,
          check(lab, rules, {
            keyLookup: () => {
              throw bug;
            },
          }),
        ),
      );
      expect(e).toBe(bug);
      expect(e).not.toBeInstanceOf(KerberosError);
    });
  }

  it('differs where the rules say: the code for a ticket that does not decrypt', () => {
    const lab = new Lab();
    const wrong = stringToKey(18, 'another password', 'CONTOSO.COMHTTPweb.contoso.com');
    const cred = lab.credential({ serviceKey: wrong });
    const svc = thrown(() => checkApReq(apReqFor(lab, cred, 11), check(lab, SERVICE_AP_REQ)));
    expect(svc.code).toBe(ErrorCode.KRB_AP_ERR_BAD_INTEGRITY);
    expect((svc as ApReqError).client).toBeUndefined();
    const tgs = thrown(() => checkApReq(apReqFor(lab, cred, 7), check(lab, TGS_AP_REQ)));
    expect(tgs.code).toBe(ErrorCode.KRB_AP_ERR_MODIFIED);
  });

  it('differs where the rules say: expiry with or without the skew allowance', () => {
    const lab = new Lab();
    const justExpired = lab.credential({ endtime: T0 - Duration.minute });
    expect(checkApReq(apReqFor(lab, justExpired, 11), check(lab, SERVICE_AP_REQ)).clientPrincipal).toBe(
      'alice@CONTOSO.COM',
    );
    expect(thrown(() => checkApReq(apReqFor(lab, justExpired, 7), check(lab, TGS_AP_REQ))).code).toBe(
      ErrorCode.KRB_AP_ERR_TKT_EXPIRED,
    );
    const longExpired = lab.credential({ endtime: T0 - 10 * Duration.minute });
    expect(thrown(() => checkApReq(apReqFor(lab, longExpired, 11), check(lab, SERVICE_AP_REQ))).code).toBe(
      ErrorCode.KRB_AP_ERR_TKT_EXPIRED,
    );
  });

  it('differs where the rules say: user-to-user is refused by a service and left to a TGS', () => {
    const lab = new Lab();
    const u2u = ApOptions['use-session-key'];
    const cred = lab.credential();
    expect(thrown(() => checkApReq(apReqFor(lab, cred, 11, u2u), check(lab, SERVICE_AP_REQ))).code).toBe(
      ErrorCode.KRB_AP_ERR_METHOD,
    );
    expect(checkApReq(apReqFor(lab, cred, 7, u2u), check(lab, TGS_AP_REQ)).clientPrincipal).toBe(
      'alice@CONTOSO.COM',
    );
  });

  it('VALIDATE (section 3.3.3.1) accepts the INVALID flag once the start time has passed, with no skew', () => {
    const lab = new Lab();
    const postdated = lab.credential({ flags: TicketFlags.invalid, starttime: T0 + Duration.minute });
    const req = apReqFor(lab, postdated, 7);
    // Within the skew but not yet started: a plain use is refused for INVALID, VALIDATE for the time.
    expect(thrown(() => checkApReq(req, check(lab, TGS_AP_REQ))).message).toMatch(/INVALID/);
    expect(thrown(() => checkApReq(req, check(lab, TGS_AP_REQ, { validate: true }))).code).toBe(
      ErrorCode.KRB_AP_ERR_TKT_NYV,
    );
    lab.serviceClock.advance(Duration.minute);
    expect(
      checkApReq(req, check(lab, TGS_AP_REQ, { validate: true })).ticket.flags & TicketFlags.invalid,
    ).not.toBe(0);
  });
});
