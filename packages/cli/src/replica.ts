/**
 * Realms as deterministic data: a topology and a seed. Every process that
 * builds a topology from the same seed holds the same long-term keys, so
 * any of them can answer any request, exactly as the replicas of one realm
 * do (RFC 4120 section 7.2.3: a realm's KDCs share its database; a client
 * tries each `kdc =` line of krb5.conf in turn). `krbsim serve --workers`
 * and `krbsim serve --replica-of` both rest on this.
 *
 * - {@link SeededKeysRandom}: a realm's random source, seeded while the realm
 *   is built (krbtgt, random service and trust keys), the CSPRNG afterwards
 *   (session keys, nonces, confounders: never predictable, never shared).
 * - {@link replicaCheck}: a short check value that two processes compare to
 *   know they built the same realm, without revealing a key.
 * - {@link readReplicaOf}: the KDCs another `serve` lists in its `ports.json`.
 *
 * @module
 */

import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { type RandomSource, SeededRandom, systemRandom } from '@krbsim/core';
import type { Realm } from '@krbsim/kdc';
import { connectableHostPort } from './connect-address';
import type { RealmFileSpec, TopologyFile } from './topology';
import { TopologyError } from './topology';
import type { PortsJson } from './topology-files';

/**
 * A realm's random source in two phases. Until {@link endBuild}, the stream
 * `SeededRandom("<seed>:<realm>")`: the keys drawn while the realm is built
 * depend on the seed and the topology only. After it, `after` (default the
 * system CSPRNG). Security: session keys and nonces must stay unpredictable
 * even to someone who knows the seed's derivation, and must differ between
 * replicas, so they never come from the seed.
 */
export class SeededKeysRandom implements RandomSource {
  #source: RandomSource;
  readonly #after: RandomSource;

  constructor(seed: number | string, realm: string, after: RandomSource = systemRandom) {
    this.#source = new SeededRandom(`${seed}:${realm}`);
    this.#after = after;
  }

  fill(out: Uint8Array): Uint8Array {
    return this.#source.fill(out);
  }

  /** The realm is built: draw from `after` from now on. */
  endBuild(): void {
    this.#source = this.#after;
  }
}

/** A fresh seed of 256 bits from the CSPRNG (hex): random keys, shareable with workers. */
export function randomSeed(): string {
  return Buffer.from(systemRandom.fill(new Uint8Array(32))).toString('hex');
}

/**
 * A check value for one realm as built: 16 hex digits of SHA-256 over the
 * realm's krbtgt keys and its topology entry without passwords (names,
 * domains, policy, the trusts it is part of). Two processes with the same
 * check value issue tickets the other accepts. Security: a 64-bit truncated
 * hash of the krbtgt keys, which are random 128- or 256-bit keys, never
 * password-derived, but drawn from the seed: with a random seed (the
 * default, 256 bits) it reveals nothing usable; with a guessable `--seed`
 * (`42`) it confirms a guess of the seed, which derives every key. So
 * `ports.json`, which carries it, is written 0600 (`writePortsJson`), and a
 * seed is a secret. Passwords (users', computers', services', trusts') are
 * left out so the value cannot be used to test password guesses. (Two
 * replicas whose passwords differ are therefore not told apart.)
 */
export function replicaCheck(realm: Realm, topology: TopologyFile): string {
  const spec = topology.realms.find((r) => r.name === realm.name);
  const h = createHash('sha256').update('krbsim replica check v1\0');
  h.update(JSON.stringify(publicSpec(spec)));
  h.update(
    JSON.stringify(
      topology.trusts
        .filter((t) => t.trusting === realm.name || t.trusted === realm.name)
        .map(({ password: _p, ...t }) => t),
    ),
  );
  for (const k of realm.lookup(`krbtgt/${realm.name}`)?.keys ?? []) {
    h.update(`\0${k.kvno}:${k.key.etype}:`);
    h.update(k.key.bytes);
  }
  return h.digest('hex').slice(0, 16);
}

function publicSpec(spec: RealmFileSpec | undefined): unknown {
  if (spec === undefined) return null;
  // The port is where this process listens, not part of the realm.
  const { port: _port, ...rest } = spec;
  return {
    ...rest,
    users: spec.users.map(({ password: _p, ...u }) => u),
    computers: spec.computers.map(({ password: _p, ...c }) => c),
    services: spec.services.map(({ password: _p, ...s }) => s),
  };
}

/** The other replicas of each realm, as `host:port` in the order their krb5.conf lists them. */
export type ReplicaKdcs = ReadonlyMap<string, readonly string[]>;

/**
 * Read the `ports.json` of a running `krbsim serve` whose realms this
 * process will replicate: for each realm of `topology`, the KDCs it lists.
 * Throws a {@link TopologyError} when a realm is missing there or its
 * check value differs from `checks` (another topology or seed).
 */
export async function readReplicaOf(
  path: string,
  topology: TopologyFile,
  checks: ReadonlyMap<string, string>,
): Promise<ReplicaKdcs> {
  let ports: PortsJson;
  try {
    ports = JSON.parse(await readFile(path, 'utf8')) as PortsJson;
  } catch (e) {
    throw new TopologyError('--replica-of', `cannot read ${path}: ${(e as Error).message}`);
  }
  checkPortsShape(ports, path);
  const out = new Map<string, string[]>();
  for (const { name } of topology.realms) {
    const other = ports.realms?.[name];
    if (other === undefined) {
      throw new TopologyError('--replica-of', `${path} serves no realm ${name}`);
    }
    if (other.check !== checks.get(name)) {
      throw new TopologyError(
        '--replica-of',
        `${name} in ${path} has other keys (check ${other.check ?? 'missing'}, here ${checks.get(name)}): ` +
          'start every replica from the same topology file with the same --seed',
      );
    }
    out.set(name, [...(other.kdcs ?? [`${other.host}:${other.udp}`])]);
  }
  return out;
}

/**
 * Refuses a `ports.json` that is not the shape `krbsim serve` writes (`null`, a realm that is no
 * object), naming the field, as a topology's fields are: a TopologyError, not a TypeError.
 */
function checkPortsShape(ports: unknown, path: string): asserts ports is PortsJson {
  const isObject = (v: unknown) => typeof v === 'object' && v !== null && !Array.isArray(v);
  const bad = (field: string, what: string) =>
    new TopologyError(
      '--replica-of',
      `${path}: ${field}: expected ${what} (the ports.json krbsim serve writes)`,
    );
  if (!isObject(ports)) throw bad('the file', 'an object');
  const realms = (ports as { realms?: unknown }).realms;
  if (realms === undefined) return;
  if (!isObject(realms)) throw bad('realms', 'an object');
  for (const [name, r] of Object.entries(realms as Record<string, unknown>)) {
    if (!isObject(r)) throw bad(`realms.${name}`, 'an object');
    const { kdcs, host, udp, check } = r as Record<string, unknown>;
    if (kdcs !== undefined && !(Array.isArray(kdcs) && kdcs.every((k) => typeof k === 'string'))) {
      throw bad(`realms.${name}.kdcs`, 'a list of host:port');
    }
    if (kdcs === undefined && (typeof host !== 'string' || typeof udp !== 'number')) {
      throw bad(`realms.${name}`, 'kdcs, or host and udp');
    }
    if (check !== undefined && typeof check !== 'string') throw bad(`realms.${name}.check`, 'a string');
  }
}

/** What a replica follows of the process it replicates (see `password-feed.ts`). */
export interface ReplicaFeed {
  /** The primary's feed of password changes, when it writes one. */
  readonly passwordChanges?: string;
  /** The primary's password-change service per realm (`host:port`), for the replica's `krb5.conf`. */
  readonly kpasswd: ReadonlyMap<string, string>;
}

/**
 * Read from another `krbsim serve`'s `ports.json` where its password changes
 * are: its feed (`password-feed.ts`) and its password-change services. Call
 * it after {@link readReplicaOf}, which checks the realms.
 */
export async function readReplicaFeed(path: string): Promise<ReplicaFeed> {
  const ports = JSON.parse(await readFile(path, 'utf8')) as PortsJson;
  const kpasswd = new Map<string, string>();
  for (const [name, r] of Object.entries(ports.realms ?? {})) {
    // Its own service, or the one it names in turn (a replica of a replica reaches the first process).
    const server =
      r.kpasswdServer ?? (r.kpasswd === undefined ? undefined : connectableHostPort(r.host, r.kpasswd));
    if (server !== undefined) kpasswd.set(name, server);
  }
  return { ...(ports.passwordChanges !== undefined && { passwordChanges: ports.passwordChanges }), kpasswd };
}
