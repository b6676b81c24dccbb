import { decodeKrbError, encodeApReq, KdcOptions } from '@krbsim/asn1';
import { ErrorCode, SeededRandom } from '@krbsim/core';
import { Kdc, minimalKrbError, Realm } from '@krbsim/kdc';
import { describe, expect, it } from 'vitest';
import {
  asReq,
  encTimestamp,
  errorOf,
  login,
  makeRealm,
  parseReply,
  pwKeys,
  T0,
  tgsGet,
  tgsReq,
  userKey,
} from './helpers';

const REALM = 'CONTOSO.COM';

function lab() {
  const l = makeRealm(REALM);
  l.realm.addUser('alice', { keys: pwKeys(l.realm.name, 'alice', 'pw') });
  l.realm.addService('HTTP/web.contoso.com');
  return l;
}

describe('malformed input', () => {
  it('answers garbage with KRB_ERR_GENERIC and never throws', () => {
    const { kdc } = lab();
    for (const junk of [
      new Uint8Array(0),
      new Uint8Array([0]),
      new Uint8Array([0x30, 0x80]),
      new Uint8Array(100).fill(0xff),
    ]) {
      const err = errorOf(kdc.handle(junk));
      expect(err.errorCode).toBe(ErrorCode.KRB_ERR_GENERIC);
      expect(err.realm).toBe(REALM);
      expect(err.sname.nameString).toEqual(['krbtgt', REALM]);
    }
    expect(errorOf(kdc.handle(null as unknown as Uint8Array)).errorCode).toBe(ErrorCode.KRB_ERR_GENERIC);
  });

  it('answers a non-KDC message with KRB_AP_ERR_MSG_TYPE', () => {
    const l = lab();
    const tgt = login(l, 'alice', userKey(REALM, 'alice', 'pw'));
    const apReq = encodeApReq({
      pvno: 5,
      msgType: 14,
      apOptions: 0,
      ticket: tgt.ticket,
      authenticator: tgt.ticket.encPart,
    });
    expect(errorOf(l.kdc.handle(apReq)).errorCode).toBe(ErrorCode.KRB_AP_ERR_MSG_TYPE);
  });

  it('answers a bad protocol version with KDC_ERR_BAD_PVNO', () => {
    const { kdc } = lab();
    const req = asReq({ realm: REALM, cname: 'alice' });
    // pvno [1] INTEGER 5 sits right after the outer SEQUENCE header: find "a1 03 02 01 05".
    const i = req.findIndex(
      (_, j) =>
        req[j] === 0xa1 && req[j + 1] === 3 && req[j + 2] === 2 && req[j + 3] === 1 && req[j + 4] === 5,
    );
    const bad = req.slice();
    bad[i + 4] = 4;
    expect(errorOf(kdc.handle(bad)).errorCode).toBe(ErrorCode.KDC_ERR_BAD_PVNO);
  });

  it('refuses oversized requests with KRB_ERR_FIELD_TOOLONG', () => {
    const { kdc } = lab();
    const big = new Uint8Array((1 << 20) + 1);
    big[0] = 0x6a;
    expect(errorOf(kdc.handle(big)).errorCode).toBe(ErrorCode.KRB_ERR_FIELD_TOOLONG);
  });

  it('survives a throwing logger and a throwing clock', () => {
    const l = lab();
    const k = new Kdc(l.realm, {
      log: () => {
        throw new Error('log down');
      },
    });
    expect(errorOf(k.handle(asReq({ realm: REALM, cname: 'alice' }))).errorCode).toBe(
      ErrorCode.KDC_ERR_PREAUTH_REQUIRED,
    );
    let clockDown = false;
    const broken = new Realm({
      name: REALM,
      clock: {
        now: () => {
          if (clockDown) throw new Error('no time');
          return T0;
        },
      },
    });
    broken.addUser('alice', { keys: pwKeys(broken.name, 'alice', 'pw'), requiresPreauth: false });
    clockDown = true;
    const err = errorOf(new Kdc(broken).handle(asReq({ realm: REALM, cname: 'alice' })));
    expect(err.errorCode).toBe(ErrorCode.KRB_ERR_GENERIC);
    expect(err.eText).toBe('internal error');
  });

  it('has a hand-encoded last-resort KRB-ERROR that decodes', () => {
    const e = decodeKrbError(minimalKrbError(REALM, T0 + 1500));
    expect(e.errorCode).toBe(ErrorCode.KRB_ERR_GENERIC);
    expect(e.realm).toBe(REALM);
    expect(e.stime).toBe(T0 + 1000);
    expect(e.sname.nameString).toEqual(['krbtgt', REALM]);
  });

  it('fuzz: mutated valid requests always get a decodable reply, and state survives', () => {
    const l = lab();
    const key = userKey(REALM, 'alice', 'pw');
    const tgt = login(l, 'alice', key);
    const seeds = [
      asReq({ realm: REALM, cname: 'alice', etypes: [18, 17], padata: [encTimestamp(key, T0)] }),
      asReq({ realm: REALM, cname: 'alice', options: KdcOptions.forwardable }),
      tgsReq({ tgt, realm: REALM, sname: 'HTTP/web.contoso.com', now: T0 }),
    ];
    const rnd = new SeededRandom('fuzz');
    const byte = (): number => rnd.fill(new Uint8Array(1))[0]!;
    const kinds = new Map<string, number>();
    for (let n = 0; n < 1500; n++) {
      const base = seeds[n % seeds.length]!;
      let m = base.slice();
      const op = byte() % 4;
      if (op === 0) {
        for (let k = 1 + (byte() % 4); k > 0; k--)
          m[((byte() << 8) | byte()) % m.length]! ^= 1 << (byte() % 8);
      } else if (op === 1) {
        m = m.slice(0, ((byte() << 8) | byte()) % m.length);
      } else if (op === 2) {
        m[((byte() << 8) | byte()) % m.length] = byte();
      } else {
        const at = ((byte() << 8) | byte()) % m.length;
        m = Uint8Array.from([...m.slice(0, at), byte(), ...m.slice(at)]);
      }
      let out: Uint8Array;
      expect(() => {
        out = l.kdc.handle(m);
      }).not.toThrow();
      const r = parseReply(out!);
      kinds.set(r.kind, (kinds.get(r.kind) ?? 0) + 1);
    }
    expect(kinds.get('error')).toBeGreaterThan(0);
    // The realm still works after the storm.
    expect(tgsGet(l.kdc, { tgt, realm: REALM, sname: 'HTTP/web.contoso.com', now: T0 }).rep.msgType).toBe(13);
  });
});

describe('logging', () => {
  it('writes one line per request, naming the error, never keys or passwords', () => {
    const l = lab();
    l.kdc.handle(asReq({ realm: REALM, cname: 'alice' }));
    l.kdc.handle(asReq({ realm: REALM, cname: 'nobody' }));
    l.kdc.handle(new Uint8Array([1, 2, 3]));
    expect(l.log).toEqual([
      `AS-REQ alice@${REALM} for krbtgt/${REALM}@${REALM} -> KRB-ERROR KDC_ERR_PREAUTH_REQUIRED (25)`,
      `AS-REQ nobody@${REALM} for krbtgt/${REALM}@${REALM} -> KRB-ERROR KDC_ERR_C_PRINCIPAL_UNKNOWN (6)`,
      'REQ ? for ? -> KRB-ERROR KRB_ERR_GENERIC (60)',
    ]);
    expect(l.log.join('\n')).not.toContain('pw');
  });
});
