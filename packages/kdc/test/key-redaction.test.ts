/**
 * Secrets never in logs, errors or printed objects: the keys of the
 * principal database (krbtgt, users, services, trusts; random, given or from
 * a password) and the keys the KDC hands its hooks print and serialize as
 * `<redacted N bytes>`, under util.inspect at any depth and JSON.stringify,
 * and stay keys: tickets sealed with them open, the exchanges work.
 */

import { inspect } from 'node:util';
import { SeededRandom } from '@krbsim/core';
import { decrypt, encrypt, generateKey, type Key } from '@krbsim/crypto';
import { type AuthorizationDataContext, createTrust, type PacBuildContext, type Realm } from '@krbsim/kdc';
import { describe, expect, it } from 'vitest';
import { resetStats, stats } from '../../crypto/src/internal/stats';
import { asReq, login, makeRealm, openTicket, parseReply, T0, tgsGet, userKey } from './helpers';

const REALM = 'CONTOSO.COM';
const OTHER = 'FABRIKAM.COM';

/** Hex, and util.inspect's and JSON.stringify's forms of a Uint8Array (whitespace ignored). */
function renderings(bytes: Uint8Array): string[] {
  return [
    Buffer.from(bytes).toString('hex'),
    Buffer.from(bytes).toString('base64'),
    [...bytes.subarray(0, 8)].join(','), // util.inspect's decimal list, its line breaks taken out
    `"0":${bytes[0]},"1":${bytes[1]},"2":${bytes[2]}`, // JSON.stringify
  ];
}

/** util.inspect (depth unlimited) and JSON.stringify of `value`, whitespace taken out. */
function printed(value: unknown): string {
  return (inspect(value, { depth: Number.POSITIVE_INFINITY }) + JSON.stringify(value)).replace(/\s+/g, '');
}

/** Fails when `text` (from {@link printed}) shows any of `keys`' bytes. */
function expectNoKeyBytes(text: string, keys: readonly Uint8Array[]): void {
  expect(keys.length).toBeGreaterThan(0);
  for (const k of keys) for (const r of renderings(k)) expect(text).not.toContain(r);
}

function keyBytesOf(realm: Realm, name: string): Uint8Array[] {
  const entry = realm.lookup(name);
  expect(entry, name).toBeDefined();
  return entry!.keys.map((k) => k.key.bytes);
}

/** A realm whose principals have keys of every kind: random, given (plain objects), from a password. */
function lab() {
  const l = makeRealm(REALM);
  const given = new SeededRandom('given').fill(new Uint8Array(32));
  l.realm.addUser('alice', { password: 'pw' });
  l.realm.addUser('carol', { keys: [{ etype: 18, bytes: given }] });
  l.realm.addService('HTTP/web.contoso.com');
  return { ...l, given };
}

describe('the principal database', () => {
  it('the check sees a plain key print its bytes', () => {
    const key = { etype: 18, bytes: new SeededRandom('plain').fill(new Uint8Array(32)) };
    expect(() => expectNoKeyBytes(printed({ keys: [{ kvno: 1, key }] }), [key.bytes])).toThrow();
  });

  it('krbtgt, user, service keys (random, given, password) print redacted: entries, keysFor, lookup', () => {
    const { realm } = lab();
    const names = [`krbtgt/${REALM}`, 'alice', 'carol', 'HTTP/web.contoso.com'];
    for (const name of names) {
      const bytes = keyBytesOf(realm, name);
      expectNoKeyBytes(printed(realm.lookup(name)), bytes);
      expectNoKeyBytes(printed(realm.keysFor(name)), bytes);
      for (const key of realm.keysFor(name)) {
        expect(inspect(key)).toBe(`{ etype: ${key.etype}, bytes: '<redacted ${key.bytes.length} bytes>' }`);
        expect(JSON.stringify(key)).toBe(
          `{"etype":${key.etype},"bytes":"<redacted ${key.bytes.length} bytes>"}`,
        );
      }
    }
    expectNoKeyBytes(printed(realm.krbtgt.keys[0]), [realm.krbtgt.keys[0]!.key.bytes]);
    expectNoKeyBytes(printed(realm.krbtgt), keyBytesOf(realm, `krbtgt/${REALM}`));
    expectNoKeyBytes(
      printed(realm),
      names.flatMap((n) => keyBytesOf(realm, n)),
    );
  });

  it('keys kept after a krbtgt rotation and a key change print redacted', () => {
    const { realm } = lab();
    realm.rotateKrbtgt();
    realm.setPassword('carol', 'new password');
    expectNoKeyBytes(printed(realm.krbtgt), keyBytesOf(realm, `krbtgt/${REALM}`));
    expectNoKeyBytes(printed(realm.lookup('carol')), keyBytesOf(realm, 'carol'));
  });

  it.each([
    ['random', {}],
    ['given', { keys: [{ etype: 18, bytes: new SeededRandom('trust').fill(new Uint8Array(32)) }] }],
    ['password', { password: 'trust pw' }],
  ])('trust keys (%s) print redacted, both ways', (_, keyOpts) => {
    const a = makeRealm(REALM);
    const b = makeRealm(OTHER);
    createTrust({ trusting: a.realm, trusted: b.realm, direction: 'two-way', kind: 'forest', ...keyOpts });
    for (const [r, name] of [
      [a.realm, `krbtgt/${REALM}@${OTHER}`],
      [a.realm, `krbtgt/${OTHER}@${REALM}`],
      [b.realm, `krbtgt/${OTHER}@${REALM}`],
      [b.realm, `krbtgt/${REALM}@${OTHER}`],
    ] as const) {
      const bytes = keyBytesOf(r, name);
      expectNoKeyBytes(printed(r.lookup(name)), bytes);
      expectNoKeyBytes(printed(r.keysFor(name)), bytes);
    }
  });

  it('the keys still work: a given key logs on, the krbtgt key opens the TGT, the service key its ticket', () => {
    const { realm, kdc, clock, log, given } = lab();
    const carolKey: Key = { etype: 18, bytes: given };
    const tgt = login({ realm, kdc, clock, log }, 'carol', carolKey);
    const krbtgt = realm.keysFor(`krbtgt/${REALM}`).find((k) => k.etype === tgt.ticket.encPart.etype)!;
    expect(openTicket(tgt.ticket, krbtgt).cname.nameString).toEqual(['carol']);
    const st = tgsGet(kdc, { tgt, realm: REALM, sname: 'HTTP/web.contoso.com', now: T0 });
    const web = realm.keysFor('HTTP/web.contoso.com').find((k) => k.etype === st.ticket.encPart.etype)!;
    const part = openTicket(st.ticket, web);
    expect(part.key.keyvalue).toEqual(st.sessionKey.bytes);
    const pt = new Uint8Array(20).fill(3);
    for (const key of realm.keysFor('alice')) expect(decrypt(key, 1, encrypt(key, 1, pt))).toEqual(pt);
    expect(realm.keysFor('carol')[0]!.bytes).toBe(given); // shared, not copied
  });

  it('a given key is still retained: its derived state is not rebuilt however many keys come between', () => {
    const { realm, kdc } = makeRealm('RETAIN.TEST', { permittedEncTypes: [18] });
    const random = new SeededRandom('retain');
    const users = Array.from({ length: 40 }, (_, i) => `user${i}`);
    for (const user of users) {
      const k = generateKey(18, { random });
      realm.addUser(user, { keys: [{ etype: k.etype, bytes: k.bytes }], requiresPreauth: false });
    }
    const round = () => {
      for (const user of users) {
        expect(parseReply(kdc.handle(asReq({ realm: 'RETAIN.TEST', cname: user, etypes: [18] }))).kind).toBe(
          'as',
        );
      }
    };
    round();
    resetStats();
    round();
    expect(stats.derivations).toBe(0);
  });
});

describe('the keys the KDC hands its hooks', () => {
  it('pacBuilder: kdcKey, serverKey and sessionKey print redacted, and sign and seal as before', () => {
    const { realm, kdc, clock, log } = lab();
    const seen: PacBuildContext[] = [];
    realm.pacBuilder = (ctx) => {
      seen.push(ctx);
      return new TextEncoder().encode('PAC');
    };
    const tgt = login({ realm, kdc, clock, log }, 'alice', userKey(REALM, 'alice', 'pw'));
    expect(seen).toHaveLength(1);
    const ctx = seen[0]!;
    const secrets = [
      ctx.kdcKey.bytes,
      ctx.serverKey.bytes,
      ctx.sessionKey.keyvalue,
      ...keyBytesOf(realm, `krbtgt/${REALM}`),
      ...keyBytesOf(realm, 'alice'),
    ];
    expect(ctx.sessionKey.keyvalue).toEqual(tgt.sessionKey.bytes);
    expect(inspect(ctx.sessionKey)).toBe(`{ keytype: 18, keyvalue: '<redacted 32 bytes>' }`);
    expectNoKeyBytes(
      printed({ kdcKey: ctx.kdcKey, serverKey: ctx.serverKey, sessionKey: ctx.sessionKey }),
      secrets,
    );
    expectNoKeyBytes(printed(ctx), secrets);
    // The serverKey is the key that sealed the TGT.
    expect(openTicket(tgt.ticket, ctx.serverKey).key.keyvalue).toEqual(tgt.sessionKey.bytes);
  });

  it('authorizationData: the draft ticket’s session, server and evidence keys and kdcKey print redacted', () => {
    const { realm, kdc, clock, log } = lab();
    const seen: AuthorizationDataContext[] = [];
    realm.authorizationData = (ctx) => {
      seen.push(ctx);
      return ctx.proposed;
    };
    const tgt = login({ realm, kdc, clock, log }, 'alice', userKey(REALM, 'alice', 'pw'));
    const st = tgsGet(kdc, { tgt, realm: REALM, sname: 'HTTP/web.contoso.com', now: T0 });
    expect(seen.map((c) => c.ticket.exchange)).toEqual(['AS', 'TGS']);
    const [as, tgs] = seen as [AuthorizationDataContext, AuthorizationDataContext];
    expect(as.ticket.sessionKey.keyvalue).toEqual(tgt.sessionKey.bytes);
    expect(tgs.ticket.sessionKey.keyvalue).toEqual(st.sessionKey.bytes);
    expect(tgs.ticket.evidence?.key.keyvalue).toEqual(tgt.sessionKey.bytes);
    const secrets = [
      tgt.sessionKey.bytes,
      st.sessionKey.bytes,
      ...keyBytesOf(realm, `krbtgt/${REALM}`),
      ...keyBytesOf(realm, 'alice'),
      ...keyBytesOf(realm, 'HTTP/web.contoso.com'),
    ];
    for (const ctx of seen) {
      expectNoKeyBytes(printed(ctx.ticket), secrets);
      expectNoKeyBytes(printed(ctx), secrets);
    }
  });
});
