/**
 * Keys read from a keytab or a credential cache, or derived for one, never
 * print their bytes (util.inspect, console.log, JSON.stringify, a test's
 * diff), and are still keys: they encrypt and decrypt, and the files written
 * back hold them byte for byte.
 */

import { inspect } from 'node:util';
import { decrypt, encrypt, generateKey, type Key, KeyUsage } from '@krbsim/crypto';
import {
  type CcacheCredential,
  keytabEntriesFromPassword,
  parseCcache,
  parseKeytab,
  parsePrincipal,
  serializeCcache,
  serializeKeytab,
} from '@krbsim/files';
import { describe, expect, it } from 'vitest';

const T = Date.UTC(2026, 0, 1);
const alice = parsePrincipal('alice@CONTOSO.COM');
const krbtgt = parsePrincipal('krbtgt/CONTOSO.COM@CONTOSO.COM');

/** A key whose bytes are easy to spot in any rendering: 0xc0, 0xc1, ... */
function spotted(etype: 17 | 18): Key {
  const k = generateKey(etype);
  return { etype, bytes: k.bytes.map((_, i) => 0xc0 + i) };
}

/** Every form `bytes` takes in a printed or serialized object. */
function renderings(bytes: Uint8Array): string[] {
  const b = Buffer.from(bytes);
  return [
    b.toString('hex'),
    b.toString('base64'),
    [...bytes.subarray(0, 8)].join(', '), // util.inspect of a Uint8Array
    `"0":${bytes[0]},"1":${bytes[1]}`, // JSON.stringify of a Uint8Array
  ];
}

/** What printing `value` shows, every way a log or an error report would print it. */
function printed(value: unknown): string {
  return [inspect(value, { depth: 20 }), JSON.stringify(value)].join('\n');
}

/** The key still works: what it seals, a copy of the original opens, and the reverse. */
function expectSameKey(key: Key, original: Key): void {
  expect(key.etype).toBe(original.etype);
  expect(Buffer.from(key.bytes).equals(Buffer.from(original.bytes))).toBe(true);
  const plain = new TextEncoder().encode('still a key');
  expect(decrypt(original, KeyUsage.KDC_REP_TICKET, encrypt(key, KeyUsage.KDC_REP_TICKET, plain))).toEqual(
    plain,
  );
  expect(decrypt(key, KeyUsage.KDC_REP_TICKET, encrypt(original, KeyUsage.KDC_REP_TICKET, plain))).toEqual(
    plain,
  );
}

describe('key bytes never print', () => {
  it('parseCcache: the session keys show as <redacted N bytes>, and the cache writes back the same bytes', () => {
    const session = spotted(18);
    const credential: CcacheCredential = {
      client: alice,
      server: krbtgt,
      key: session,
      authtime: T,
      starttime: T,
      endtime: T + 36_000_000,
      renewTill: 0,
      isSkey: false,
      ticketFlags: 0x40e10000,
      addresses: [],
      authdata: [],
      ticket: Uint8Array.of(0x61, 0x03, 0x30, 0x01, 0x00),
      secondTicket: new Uint8Array(0),
    };
    const bytes = serializeCcache({ defaultPrincipal: alice, credentials: [credential] });
    const ccache = parseCcache(bytes);
    const out = printed(ccache);
    for (const r of renderings(session.bytes)) expect(out).not.toContain(r);
    expect(out).toContain('<redacted 32 bytes>');
    expect(inspect(ccache.credentials[0]!.key)).toBe("{ etype: 18, bytes: '<redacted 32 bytes>' }");
    expectSameKey(ccache.credentials[0]!.key, session);
    expect(serializeCcache(ccache)).toEqual(bytes);
  });

  it('parseKeytab: the keys show as <redacted N bytes>, and the keytab writes back the same bytes', () => {
    const keys = [spotted(18), spotted(17)];
    const entries = keys.map((key, i) => ({ principal: alice, timestamp: T, kvno: i + 1, key }));
    const bytes = serializeKeytab({ entries });
    const keytab = parseKeytab(bytes);
    const out = printed(keytab);
    for (const k of keys) for (const r of renderings(k.bytes)) expect(out).not.toContain(r);
    expect(out).toContain('<redacted 32 bytes>');
    expect(out).toContain('<redacted 16 bytes>');
    for (const [i, e] of keytab.entries.entries()) expectSameKey(e.key, keys[i]!);
    expect(serializeKeytab(keytab)).toEqual(bytes);
  });

  it('keytabEntriesFromPassword: the derived keys show as <redacted N bytes>', () => {
    const entries = keytabEntriesFromPassword({
      principal: alice,
      password: 'S3rvice!',
      etypes: [18, 17],
      kvno: 2,
      timestamp: T,
    });
    const out = printed(entries);
    for (const e of entries) for (const r of renderings(e.key.bytes)) expect(out).not.toContain(r);
    expect(out).toContain('<redacted 32 bytes>');
    expect(parseKeytab(serializeKeytab({ entries })).entries).toEqual(entries);
  });
});
