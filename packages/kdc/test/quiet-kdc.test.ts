/**
 * The KDC's most common answer costs little (issue 14): with no `log` and
 * no `onRequest`, `Kdc.handle` formats no principal name (a spy on
 * `formatPrincipal` counts the calls made inside it), and
 * KDC_ERR_PREAUTH_REQUIRED is built without capturing a stack trace, while
 * its reply still carries the ETYPE-INFO2 e-data.
 */

import { decodeEtypeInfo2, decodeMethodData, PaDataType } from '@krbsim/asn1';
import { ErrorCode } from '@krbsim/core';
import { describe, expect, it, vi } from 'vitest';
import { Kdc, type KdcRequestEvent } from '../src/kdc';
import { KdcError, routineKdcError } from '../src/krb-error';
import { asReq, encTimestamp, errorOf, makeRealm, pwKeys, T0, userKey } from './helpers';

const calls = vi.hoisted(() => ({ n: 0, counting: false }));
vi.mock('@krbsim/asn1', async (importOriginal) => {
  const asn1 = await importOriginal<typeof import('@krbsim/asn1')>();
  return {
    ...asn1,
    formatPrincipal: (...args: Parameters<typeof asn1.formatPrincipal>) => {
      if (calls.counting) calls.n++;
      return asn1.formatPrincipal(...args);
    },
  };
});

const REALM = 'CONTOSO.COM';

function handleCounting(kdc: Kdc, req: Uint8Array): { reply: Uint8Array; formatted: number } {
  calls.n = 0;
  calls.counting = true;
  try {
    return { reply: kdc.handle(req), formatted: calls.n };
  } finally {
    calls.counting = false;
  }
}

function setup(opts: ConstructorParameters<typeof Kdc>[1] = {}) {
  const { realm } = makeRealm(REALM);
  realm.addUser('alice', { keys: pwKeys(REALM, 'alice', 'correct horse') });
  return new Kdc(realm, opts);
}

const first = () => asReq({ realm: REALM, cname: 'alice', etypes: [18, 17] });
const second = () =>
  asReq({
    realm: REALM,
    cname: 'alice',
    etypes: [18, 17],
    padata: [encTimestamp(userKey(REALM, 'alice', 'correct horse'), T0)],
  });

describe('Kdc.handle with nothing listening', () => {
  it('formats no name for PREAUTH_REQUIRED, and its e-data is ETYPE-INFO2', () => {
    const { reply, formatted } = handleCounting(setup(), first());
    expect(formatted).toBe(0);
    const err = errorOf(reply);
    expect(err.errorCode).toBe(ErrorCode.KDC_ERR_PREAUTH_REQUIRED);
    const info2 = decodeMethodData(err.eData!).find((p) => p.padataType === PaDataType.PA_ETYPE_INFO2)!;
    expect(decodeEtypeInfo2(info2.padataValue).map((e) => [e.etype, e.salt])).toEqual([
      [18, 'CONTOSO.COMalice'],
    ]);
  });

  it('formats no name for the AS-REP either', () => {
    const { reply, formatted } = handleCounting(setup(), second());
    expect(reply[0]).toBe(0x6b); // AS-REP
    expect(formatted).toBe(0);
  });

  it('with onRequest, the event names the client and the service', () => {
    const events: KdcRequestEvent[] = [];
    const kdc = setup({ onRequest: (e) => events.push(e) });
    expect(handleCounting(kdc, first()).formatted).toBeGreaterThan(0);
    expect(events[0]).toMatchObject({
      client: `alice@${REALM}`,
      server: `krbtgt/${REALM}@${REALM}`,
      outcome: 'KRB-ERROR',
      errorCode: ErrorCode.KDC_ERR_PREAUTH_REQUIRED,
    });
  });
});

describe('routineKdcError', () => {
  it('is a KdcError with its code and details, and no stack frames', () => {
    const limit = Error.stackTraceLimit;
    const eData = Uint8Array.of(0x30, 0x00);
    const e = routineKdcError(ErrorCode.KDC_ERR_PREAUTH_REQUIRED, 'additional pre-authentication required', {
      eData,
    });
    expect(e).toBeInstanceOf(KdcError);
    expect(e.code).toBe(ErrorCode.KDC_ERR_PREAUTH_REQUIRED);
    expect(e.details.eData).toBe(eData);
    expect(e.stack ?? '').not.toMatch(/\n\s+at /);
    expect(Error.stackTraceLimit).toBe(limit); // restored
    expect(new Error('x').stack).toMatch(/\n\s+at /);
  });
});
