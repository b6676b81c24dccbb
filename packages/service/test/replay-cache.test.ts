import { createHash } from 'node:crypto';
import { Duration, ErrorCode, ManualClock } from '@krbsim/core';
import { ReplayCache, type ReplayEntry } from '@krbsim/service';
import { describe, expect, it } from 'vitest';
import { thrown } from './helpers';

/** A 32-byte tag standing for one authenticator's ciphertext. */
const tagOf = (s: string): Uint8Array => createHash('sha256').update(s).digest();
const T0 = Date.UTC(2026, 0, 1, 12, 0, 0);
const WINDOW = 5 * Duration.minute;

function entry(i: number, ctime = T0, client = 'alice@CONTOSO.COM'): ReplayEntry {
  return {
    client,
    server: 'HTTP/web.contoso.com@CONTOSO.COM',
    ctime,
    cusec: i,
    tag: tagOf(`${client}:${ctime}:${i}`),
  };
}

describe('ReplayCache', () => {
  it('refuses the same authenticator inside the window and accepts it after', () => {
    const clock = new ManualClock(T0);
    const rc = new ReplayCache({ clock, windowMs: WINDOW });
    rc.check(entry(1));
    expect(thrown(() => rc.check(entry(1))).code).toBe(ErrorCode.KRB_AP_ERR_REPEAT);
    // The skew check passes an authenticator while |ctime - now| <= skew: the window's last millisecond too.
    clock.advance(WINDOW);
    expect(thrown(() => rc.check(entry(1))).code).toBe(ErrorCode.KRB_AP_ERR_REPEAT);
    clock.advance(1);
    rc.check(entry(1));
    expect(rc.size).toBe(0);
  });

  it("remembers an authenticator until ctime plus its cusec's milliseconds plus the window", () => {
    // An authenticator at 12:00:00.5 passes the skew check until 12:05:00.5: its replay must be refused
    // until then, not from 12:05:00.0, the whole second's end of the window.
    const clock = new ManualClock(T0);
    const rc = new ReplayCache({ clock, windowMs: WINDOW });
    const half = { ...entry(0), cusec: 500_000 };
    rc.check(half);
    clock.set(T0 + WINDOW + 200);
    expect(thrown(() => rc.check(half)).code).toBe(ErrorCode.KRB_AP_ERR_REPEAT);
    clock.set(T0 + WINDOW + 500);
    expect(thrown(() => rc.check(half)).code).toBe(ErrorCode.KRB_AP_ERR_REPEAT);
    clock.set(T0 + WINDOW + 501);
    rc.check(half);
  });

  it('identifies an authenticator by its hash (tag) when given', () => {
    const rc = new ReplayCache({ clock: new ManualClock(T0), windowMs: WINDOW });
    rc.check(entry(1));
    rc.check(entry(2));
    rc.check({ ...entry(1), tag: tagOf('other') }); // another ciphertext, same times
    expect(rc.size).toBe(3);
    // The same ciphertext is the same authenticator, whatever the other fields claim.
    expect(thrown(() => rc.check({ ...entry(1), client: 'bob@CONTOSO.COM', ctime: T0 + 1000 })).code).toBe(
      ErrorCode.KRB_AP_ERR_REPEAT,
    );
  });

  it('tells apart tags that differ in any one of the 104 bits it keeps', () => {
    // The last 16 bytes of a tag, of which the cache keeps the top 52 bits of each half:
    // bytes 0-5 and the high nibble of 6, bytes 8-13 and the high nibble of 14.
    const kept: number[] = [];
    for (let byte = 0; byte < 16; byte++) {
      for (let bit = 0; bit < 8; bit++) {
        if (byte % 8 < 6 || (byte % 8 === 6 && bit < 4)) kept.push(byte * 8 + bit); // bit 0 is the MSB
      }
    }
    expect(kept.length).toBe(104);
    const rc = new ReplayCache({ clock: new ManualClock(T0), windowMs: WINDOW });
    const base = new Uint8Array(20).fill(0x5a);
    rc.check({ ...entry(0), tag: base });
    for (const k of kept) {
      const tag = base.slice();
      tag[4 + (k >> 3)]! ^= 0x80 >> (k & 7); // the last 16 of the 20 bytes
      rc.check({ ...entry(0), tag });
    }
    expect(rc.size).toBe(105);
    expect(() => rc.check({ ...entry(0), tag: base.slice() })).toThrow(/replay/);
  });

  it('without a hash, tells apart authenticators by client, server and time', () => {
    const rc = new ReplayCache({ clock: new ManualClock(T0), windowMs: WINDOW });
    const bare = (client: string, server: string, ctime: number, cusec: number): ReplayEntry => ({
      client,
      server,
      ctime,
      cusec,
    });
    rc.check(bare('alice@X', 'HTTP/a@X', T0, 1));
    rc.check(bare('bob@X', 'HTTP/a@X', T0, 1));
    rc.check(bare('alice@X', 'HTTP/b@X', T0, 1));
    rc.check(bare('alice@X', 'HTTP/a@X', T0 + 1000, 1));
    rc.check(bare('alice@X', 'HTTP/a@X', T0, 2));
    expect(rc.size).toBe(5);
    expect(thrown(() => rc.check(bare('alice@X', 'HTTP/a@X', T0, 1))).code).toBe(ErrorCode.KRB_AP_ERR_REPEAT);
  });

  it('a replay attempt changes nothing: every entry is still there and still detected', () => {
    const clock = new ManualClock(T0);
    const rc = new ReplayCache({ clock, windowMs: WINDOW, maxEntries: 10 });
    for (let i = 0; i < 10; i++) rc.check(entry(i));
    for (let k = 0; k < 100; k++)
      expect(thrown(() => rc.check(entry(k % 10))).code).toBe(ErrorCode.KRB_AP_ERR_REPEAT);
    expect(rc.size).toBe(10);
    for (let i = 0; i < 10; i++)
      expect(thrown(() => rc.check(entry(i))).code).toBe(ErrorCode.KRB_AP_ERR_REPEAT);
  });

  it('stays within maxEntries under a flood, evicting expired entries first', () => {
    const clock = new ManualClock(T0);
    const rc = new ReplayCache({ clock, windowMs: WINDOW, maxEntries: 1000 });
    for (let i = 0; i < 900; i++) rc.check(entry(i, T0));
    clock.advance(WINDOW + 1); // those 900 have expired
    const early = entry(0, clock.now() - 1000);
    rc.check(early);
    for (let i = 1; i < 1000; i++) rc.check(entry(i, clock.now()));
    expect(rc.size).toBeLessThanOrEqual(1000);
    // Only expired entries went: the live ones, the first included, are all still detected.
    expect(thrown(() => rc.check(early)).code).toBe(ErrorCode.KRB_AP_ERR_REPEAT);
    expect(thrown(() => rc.check(entry(999, clock.now()))).code).toBe(ErrorCode.KRB_AP_ERR_REPEAT);
  });

  it('does not let authenticators dated ahead, once evicted, refuse every fresh one; their replays stay refused', () => {
    // A flood of authenticators dated nearly a skew ahead fills the cache. Evicted, they once raised
    // the mark to their own time, and every authenticator made before it was refused for ten minutes.
    const clock = new ManualClock(T0);
    const rc = new ReplayCache({ clock, windowMs: WINDOW, maxEntries: 10 });
    const ahead = (i: number) => entry(i, T0 + WINDOW - 1000, `ahead${i}@X`);
    for (let i = 0; i < 30; i++) rc.check(ahead(i));
    clock.advance(Duration.second);
    rc.check(entry(0, clock.now(), 'fresh@CONTOSO.COM'));
    rc.check(entry(1, clock.now() - 500, 'fresh2@CONTOSO.COM'));
    // Every evicted one is still refused, until it would have expired.
    for (let i = 0; i < 20; i++)
      expect(thrown(() => rc.check(ahead(i))).code).toBe(ErrorCode.KRB_AP_ERR_REPEAT);
    clock.set(T0 + 2 * WINDOW + 1);
    rc.check(ahead(0));
  });

  it('under a flood of live entries, an evicted entry is still refused until it would have expired', () => {
    const clock = new ManualClock(T0);
    const rc = new ReplayCache({ clock, windowMs: WINDOW, maxEntries: 1000 });
    const victim = entry(0, T0, 'victim@CONTOSO.COM');
    rc.check(victim);
    clock.advance(Duration.second);
    for (let i = 0; i < 10_000; i++) rc.check(entry(i, clock.now(), `flood${i}@X`));
    expect(rc.size).toBeLessThanOrEqual(1000);
    // The victim was evicted (oldest first), yet its replay is refused...
    expect(thrown(() => rc.check(victim)).code).toBe(ErrorCode.KRB_AP_ERR_REPEAT);
    // ...and so is the replay of an evicted flood entry, while fresh authenticators pass.
    expect(thrown(() => rc.check(entry(5, clock.now(), 'flood5@X'))).code).toBe(ErrorCode.KRB_AP_ERR_REPEAT);
    rc.check(entry(0, clock.now() + 1000, 'fresh@X'));
    // Once it would have expired anyway, it is no longer refused.
    clock.set(T0 + WINDOW + 1);
    rc.check(victim);
  });

  it('refuses a tag too short to tell authenticators apart, and changes nothing', () => {
    const rc = new ReplayCache({ clock: new ManualClock(T0), windowMs: WINDOW });
    rc.check(entry(1));
    for (const tag of [new Uint8Array(0), new Uint8Array(7)]) {
      expect(() => rc.check({ ...entry(2), tag })).toThrow(RangeError);
    }
    expect(rc.size).toBe(1);
    rc.check({ ...entry(2), tag: new Uint8Array(8) });
    expect(rc.size).toBe(2);
  });

  it('validates its options', () => {
    const clock = new ManualClock(T0);
    expect(() => new ReplayCache({ clock, windowMs: -1 })).toThrow(RangeError);
    expect(() => new ReplayCache({ clock, windowMs: 1, maxEntries: 0 })).toThrow(RangeError);
  });
});

describe('ReplayCache under a flood of authenticators dated ahead', () => {
  it('refuses almost no fresh authenticator, however many evicted ones it must still refuse', () => {
    // 300 000 authenticators 15 s ahead (a tenth of clients' clocks, at a busy service's rate) through a
    // cache of 1 000: each is evicted while live, and must stay refused. A Bloom filter of 128 KiB
    // refused about a fifth of fresh authenticators by then; fingerprints refuse next to none.
    const clock = new ManualClock(T0);
    const cache = new ReplayCache({ clock, windowMs: WINDOW, maxEntries: 1_000 });
    // Half of them with tags that are counters, not MACs (a caller's own tags: any 8 bytes or more),
    // which differ only in their first bytes.
    const counter = (i: number) => {
      const tag = new Uint8Array(16);
      new DataView(tag.buffer).setUint32(0, i);
      return tag;
    };
    const ahead = (i: number) => ({
      ...entry(i, T0 + 15_000),
      tag: i % 2 === 0 ? tagOf(`ahead ${i}`) : counter(i),
    });
    const refusedOf = (entries: Iterable<ReplayEntry>) => {
      let refused = 0;
      for (const e of entries) {
        try {
          cache.check(e);
        } catch {
          refused++;
        }
      }
      return refused;
    };
    function* range(n: number, f: (i: number) => ReplayEntry) {
      for (let i = 0; i < n; i++) yield f(i);
    }
    // A new one shares a 32-bit fingerprint with one of those held now and then (n / 2^32).
    expect(refusedOf(range(300_000, ahead))).toBeLessThan(60);
    // Every one of them is still refused (sampled), and a fresh authenticator almost never is.
    for (let i = 0; i < 300_000; i += 997) {
      expect(() => cache.check(ahead(i)), `ahead ${i}`).toThrow(/replay|cannot be shown/);
    }
    expect(refusedOf(range(20_000, (i) => ({ ...entry(i), tag: tagOf(`fresh ${i}`) })))).toBeLessThan(20);
  });
});
