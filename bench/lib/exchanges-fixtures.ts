/**
 * The realm, keys and messages the exchange benchmarks share
 * (bench/suites/exchanges.ts, bench/suites/kdc-udp.ts and the krbsim KDC
 * server child, bench/lib/exchanges-kdc-server.ts).
 *
 * One realm, BENCH.TEST, with etype 18 (aes256-cts-hmac-sha1-96) only: a
 * krbtgt key, the user `alice` and the service `host/bench.example`. The keys
 * come from a fixed seed, so the server child and the suite that drives it
 * derive the same ones without passing key material around, and the MIT
 * realm of the kdc-udp suite can be given the same principals and etypes.
 */

import { encodeAsReq, encodePaPacRequest, NameType, PaDataType, type PrincipalName } from '@krbsim/asn1';
import { type Credential, KerberosClient } from '@krbsim/client';
import { type Clock, ManualClock, type RandomSource, SeededRandom, systemRandom } from '@krbsim/core';
import { generateKey, type Key } from '@krbsim/crypto';
import { Kdc, Realm } from '@krbsim/kdc';
import type { KeytabEntryLike } from '@krbsim/service';
import { InProcessTransport, type KdcHandler } from '@krbsim/transport';

export const REALM = 'BENCH.TEST';
export const USER = 'alice';
export const SERVICE_SPN = 'host/bench.example';
export const SERVICE_PRINCIPAL = `${SERVICE_SPN}@${REALM}`;
/** aes256-cts-hmac-sha1-96: every key, ticket and session key of the benchmarks. */
export const ETYPE = 18;
export const SERVICE_NAME: PrincipalName = {
  nameType: NameType.NT_SRV_HST,
  nameString: ['host', 'bench.example'],
};

export interface BenchKeys {
  readonly user: Key;
  readonly service: Key;
  readonly krbtgt: Key;
}

/** The benchmark keys, the same in every process (fixed seed). */
export function benchKeys(): BenchKeys {
  const rng = new SeededRandom('krbsim-bench-exchanges-keys');
  return {
    user: generateKey(ETYPE, { random: rng }),
    service: generateKey(ETYPE, { random: rng }),
    krbtgt: generateKey(ETYPE, { random: rng }),
  };
}

export const hex = (b: Uint8Array): string =>
  Buffer.from(b.buffer, b.byteOffset, b.byteLength).toString('hex');

/**
 * BENCH.TEST with etype 18 only. `random` defaults to the system CSPRNG, as
 * for a realm served to real clients (session keys and confounders).
 */
export function benchRealm(opts: {
  clock: Clock;
  requiresPreauth: boolean;
  random?: RandomSource;
  /** Also the {@link MANY_USERS} users of {@link manyUserName}, without pre-authentication. */
  manyUsers?: boolean;
}): Realm {
  const keys = benchKeys();
  const realm = new Realm({
    name: REALM,
    clock: opts.clock,
    random: opts.random ?? systemRandom,
    policy: { permittedEncTypes: [ETYPE] },
    krbtgtKeys: [keys.krbtgt],
  });
  realm.addUser(USER, { keys: [keys.user], requiresPreauth: opts.requiresPreauth });
  realm.addService(SERVICE_SPN, { keys: [keys.service] });
  if (opts.manyUsers === true) {
    // Keys, not passwords: 1,000 string-to-keys would only slow the server's start.
    const rng = new SeededRandom('krbsim-bench-many-users');
    for (let i = 0; i < MANY_USERS; i++) {
      realm.addUser(manyUserName(i), { keys: [generateKey(ETYPE, { random: rng })], requiresPreauth: false });
    }
  }
  return realm;
}

/** How many users the kdc-udp suite's servers hold besides alice, each asked for in turn. */
export const MANY_USERS = 1000;

/** The `i`th of the {@link MANY_USERS} users: `user0000` to `user0999`, one length, so their AS-REQs have one. */
export function manyUserName(i: number): string {
  return `user${String(i).padStart(4, '0')}`;
}

/** The service's keytab: its one etype-18 key, kvno 1. */
export function serviceKeytab(): KeytabEntryLike[] {
  return [{ principal: { realm: REALM, name: SERVICE_NAME }, kvno: 1, key: benchKeys().service }];
}

/** Everything the in-process exchange cases need. */
export interface ExchangeFixture {
  /** The clock of the realm, the client and the service. */
  readonly clock: ManualClock;
  readonly realm: Realm;
  readonly kdc: Kdc;
  readonly client: KerberosClient;
  readonly keys: BenchKeys;
  /** A client's service ticket for host/bench.example (from a TGS exchange). */
  readonly serviceCred: Credential;
  /** The AS-REQ with PA-ENC-TIMESTAMP the client sent (its second AS-REQ). */
  readonly asReqPreauth: Uint8Array;
  /** The TGS-REQ the client sent for host/bench.example. */
  readonly tgsReq: Uint8Array;
}

/**
 * A realm, a KDC, and a client that went through AS (with pre-authentication)
 * and TGS in process, recording the requests it sent. The clock is a
 * ManualClock starting at `start` (default: now), so tickets and
 * authenticators carry real times that MIT accepts too. The realm and the
 * client draw from `random` (default: the system CSPRNG, as a served realm
 * and a client do by default).
 */
export async function exchangeFixture(
  start = Date.now(),
  random: RandomSource = systemRandom,
): Promise<ExchangeFixture> {
  const clock = new ManualClock(start);
  const keys = benchKeys();
  const realm = benchRealm({ clock, requiresPreauth: true, random });
  const kdc = new Kdc(realm);
  const sent: Uint8Array[] = [];
  const handler: KdcHandler = (request) => kdc.handle(request);
  const recording = new InProcessTransport().register(REALM, (request, info) => {
    sent.push(request.slice());
    return handler(request, info);
  });
  const transport = new InProcessTransport().register(REALM, handler);
  const recorder = new KerberosClient({
    realm: REALM,
    transport: recording,
    clock,
    random,
    encTypes: [ETYPE],
  });
  await recorder.getInitialCredentials(USER, { key: keys.user });
  const serviceCred = await recorder.getServiceTicket(SERVICE_SPN);
  // sent: AS-REQ (no pre-auth), AS-REQ with PA-ENC-TIMESTAMP, TGS-REQ.
  if (sent.length !== 3)
    throw new Error(`expected 3 requests (AS, AS with pre-auth, TGS), saw ${sent.length}`);
  const client = new KerberosClient({ realm: REALM, transport, clock, random, encTypes: [ETYPE] });
  await client.getInitialCredentials(USER, { key: keys.user });
  return {
    clock,
    realm,
    kdc,
    client,
    keys,
    serviceCred,
    asReqPreauth: sent[1]!,
    tgsReq: sent[2]!,
  };
}

/**
 * The AS-REQ of the kdc-udp load test: alice (or `user`) asks for krbtgt/BENCH.TEST with
 * no pre-authentication (the principal does not require it on either KDC),
 * offering etype 18 only, asking for no PAC. `nonceOffset` is where its
 * 4-byte nonce sits, so the load client can give every request its own
 * nonce: MIT's krb5kdc answers a byte-identical request from its lookaside
 * cache without processing it, which would not measure the KDC.
 */
export function loadAsReq(now = Date.now(), user = USER): { bytes: Uint8Array; nonceOffset: number } {
  const MARK = 0x5a_a5_5a_a5 >>> 1; // 0x2d52ad52: four DER bytes, a pattern found once
  const bytes = encodeAsReq({
    pvno: 5,
    msgType: 10,
    padata: [
      { padataType: PaDataType.PA_PAC_REQUEST, padataValue: encodePaPacRequest({ includePac: false }) },
    ],
    reqBody: {
      kdcOptions: 0,
      cname: { nameType: NameType.NT_PRINCIPAL, nameString: [user] },
      realm: REALM,
      sname: { nameType: NameType.NT_SRV_INST, nameString: ['krbtgt', REALM] },
      till: Math.floor((now + 86_400_000) / 1000) * 1000,
      nonce: MARK,
      etype: [ETYPE],
    },
  });
  const needle = [0x02, 0x04, 0x2d, 0x52, 0xad, 0x52];
  let offset = -1;
  for (let i = 0; i + needle.length <= bytes.length; i++) {
    if (needle.every((b, j) => bytes[i + j] === b)) {
      if (offset >= 0) throw new Error('the nonce marker occurs twice in the AS-REQ');
      offset = i + 2;
    }
  }
  if (offset < 0) throw new Error('nonce not found in the encoded AS-REQ');
  return { bytes, nonceOffset: offset };
}

/** Write `n` (kept within 0x40000000..0x7fffffff: always four DER octets) as the nonce at `offset`. */
export function setNonce(bytes: Uint8Array, offset: number, n: number): void {
  const v = 0x40000000 | (n & 0x3fffffff);
  bytes[offset] = v >>> 24;
  bytes[offset + 1] = (v >>> 16) & 0xff;
  bytes[offset + 2] = (v >>> 8) & 0xff;
  bytes[offset + 3] = v & 0xff;
}
