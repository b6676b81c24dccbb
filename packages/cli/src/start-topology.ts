/**
 * Building and serving a topology file: one {@link Realm} and one {@link Kdc}
 * per realm, the trusts between them, and one UDP+TCP listener per KDC on
 * loopback (RFC 4120 section 7.2). `krbsim serve` is a thin shell around
 * {@link startTopology}; tests call it in process.
 *
 * Each KDC listens on one port for both UDP and TCP, because a `krb5.conf`
 * `kdc = host:port` line names one port for both.
 *
 * @module
 */

import { type Clock, type RandomSource, SeededRandom, systemClock, systemRandom } from '@krbsim/core';
import { createTrust, Kdc, Realm, type RealmPolicy } from '@krbsim/kdc';
import { type KdcRequestInfo, serveKdc } from '@krbsim/transport';
import type { RealmFileSpec, TopologyFile } from './topology';
import { type TopologyWriteResult, writeTopologyFiles } from './topology-files';

/** One request a KDC answered, as `krbsim serve` logs it. */
export interface RequestLogEntry {
  /** When the reply was sent (ISO 8601). */
  readonly time: string;
  readonly realm: string;
  readonly transport: KdcRequestInfo['transport'];
  /** `host:port` of the client. */
  readonly peer?: string;
  /** The KDC's own log line for the request. */
  readonly line: string;
}

/** Options for {@link startTopology}. */
export interface StartTopologyOptions {
  /** The address every KDC listens on. Default `127.0.0.1`. */
  readonly host?: string;
  /**
   * Seed for the realms' random sources (keys, nonces, session keys). Each
   * realm gets `SeededRandom("<seed>:<realm>")`. Default: the system's CSPRNG.
   */
  readonly seed?: number | string;
  /** Default: the system clock. */
  readonly clock?: Clock;
  /** Called once per request each KDC answers. */
  readonly log?: (entry: RequestLogEntry) => void;
  /** The listeners' own lines (transport, peer, sizes, RESPONSE_TOO_BIG, handler failures). */
  readonly transportLog?: (line: string) => void;
  /** Don't open sockets: build the realms and KDCs only (servers stays empty). */
  readonly listen?: boolean;
  /**
   * Write `krb5.conf`, keytabs and `ports.json` into this directory (created
   * if missing) once every KDC listens. See {@link writeTopologyFiles}.
   */
  readonly dir?: string;
  /** Extra `[libdefaults]` for the written `krb5.conf` (`null` removes a default). */
  readonly libdefaults?: Readonly<Record<string, string | number | boolean | readonly string[] | null>>;
}

/** Where one realm's KDC listens. */
export interface KdcServerInfo {
  readonly realm: string;
  readonly host: string;
  readonly udpPort: number;
  readonly tcpPort: number;
}

/** A topology that {@link startTopology} brought up. */
export interface RunningTopology {
  /** The realms, by name, in file order. */
  readonly realms: ReadonlyMap<string, Realm>;
  /** One KDC per realm, by realm name. */
  readonly kdcs: ReadonlyMap<string, Kdc>;
  /** One listener per realm, by realm name (empty with `listen: false`). */
  readonly servers: ReadonlyMap<string, KdcServerInfo>;
  /** The file the topology came from. */
  readonly topology: TopologyFile;
  /** What was written when `dir` was given. */
  readonly files?: TopologyWriteResult;
  /** Close every socket. Idempotent. */
  close(): Promise<void>;
}

/** Build the realms and trusts a topology file describes (no sockets). */
export function buildRealms(
  topology: TopologyFile,
  options: Pick<StartTopologyOptions, 'seed' | 'clock'> = {},
): Map<string, Realm> {
  const clock = options.clock ?? systemClock;
  const realms = new Map<string, Realm>();
  for (const spec of topology.realms) {
    const random: RandomSource =
      options.seed === undefined ? systemRandom : new SeededRandom(`${options.seed}:${spec.name}`);
    const realm = new Realm({ name: spec.name, clock, random, policy: policyOf(spec) });
    for (const u of spec.users) {
      realm.addUser(u.name, {
        password: u.password,
        ...(u.requiresPreauth !== undefined && { requiresPreauth: u.requiresPreauth }),
        ...(u.disabled !== undefined && { disabled: u.disabled }),
      });
    }
    for (const s of spec.services) {
      realm.addService(s.spn, {
        ...(s.password !== undefined && { password: s.password }),
        aliases: [...(s.aliases ?? [])],
      });
    }
    realms.set(spec.name, realm);
  }
  // Every realm knows every realm's DNS domains, as one shared [domain_realm] would.
  for (const spec of topology.realms) {
    for (const domain of spec.domains) {
      for (const realm of realms.values()) {
        realm.mapDomain(`.${domain}`, spec.name);
        realm.mapDomain(domain, spec.name);
      }
    }
  }
  for (const t of topology.trusts) {
    createTrust({
      trusting: realms.get(t.trusting)!,
      trusted: realms.get(t.trusted)!,
      direction: t.direction,
      kind: t.kind,
      topLevelNames: [...t.topLevelNames],
      ...(t.password !== undefined && { password: t.password }),
    });
  }
  return realms;
}

function policyOf(spec: RealmFileSpec): Partial<RealmPolicy> {
  const p = spec.policy;
  const out: Partial<RealmPolicy> = {};
  if (p.maxTicketLifeMs !== undefined) out.maxTicketLifeMs = p.maxTicketLifeMs;
  if (p.maxRenewLifeMs !== undefined) out.maxRenewLifeMs = p.maxRenewLifeMs;
  if (p.clockSkewMs !== undefined) out.clockSkewMs = p.clockSkewMs;
  if (p.allowWeakCrypto !== undefined) out.allowWeakCrypto = p.allowWeakCrypto;
  if (p.renewableTgt !== undefined) out.renewableTgt = p.renewableTgt;
  return out;
}

/**
 * Start every realm of `topology`: build the realms and trusts, one KDC per
 * realm, and (unless `listen: false`) one UDP+TCP listener per KDC on
 * `host`, on the realm's `port` or an OS-chosen one shared by UDP and TCP.
 * With `dir`, write `krb5.conf`, the keytabs and `ports.json` there.
 *
 * @example
 * ```ts
 * const topo = await startTopology(parseTopology(text), { dir: '/tmp/lab' });
 * // KRB5_CONFIG=/tmp/lab/krb5.conf kinit alice@CONTOSO.COM
 * await topo.close();
 * ```
 */
export async function startTopology(
  topology: TopologyFile,
  options: StartTopologyOptions = {},
): Promise<RunningTopology> {
  const host = options.host ?? '127.0.0.1';
  const realms = buildRealms(topology, options);
  const kdcs = new Map<string, Kdc>();
  const servers = new Map<string, KdcServerInfo>();
  const closers: (() => Promise<void> | void)[] = [];
  let closed = false;
  // A failing logger must not cost the client its reply.
  const emitLog = (entry: RequestLogEntry) => {
    try {
      options.log?.(entry);
    } catch {
      // ignored
    }
  };
  const close = async () => {
    if (closed) return;
    closed = true;
    await Promise.allSettled(closers.reverse().map((c) => c()));
  };

  try {
    for (const spec of topology.realms) {
      const realm = realms.get(spec.name)!;
      // The KDC's own log line for each request; the listener adds where it came from.
      let lastLine: string | undefined;
      const kdc = new Kdc(realm, {
        log: (line) => {
          lastLine = line;
        },
      });
      kdcs.set(spec.name, kdc);
      if (options.listen === false) continue;
      const handler = (request: Uint8Array, info: KdcRequestInfo): Uint8Array => {
        lastLine = undefined;
        const reply = kdc.handle(request);
        emitLog({
          time: new Date(realm.clock.now()).toISOString(),
          realm: spec.name,
          transport: info.transport,
          ...(info.peer !== undefined && { peer: info.peer }),
          line: lastLine ?? `${spec.name}: ${request.length}-byte request, ${reply.length}-byte reply`,
        });
        return reply;
      };
      // Port 0 for both: transport binds UDP and TCP to one OS-chosen port.
      const server = await serveKdc(handler, {
        host,
        udpPort: spec.port ?? 0,
        tcpPort: spec.port ?? 0,
        realm: spec.name,
        clock: realm.clock,
        log: (line) => options.transportLog?.(`${spec.name} ${line}`),
      });
      closers.push(() => server.close());
      servers.set(spec.name, { realm: spec.name, host, udpPort: server.udpPort!, tcpPort: server.tcpPort! });
    }
    const files =
      options.dir === undefined
        ? undefined
        : await writeTopologyFiles(options.dir, {
            topology,
            realms,
            servers,
            ...(options.libdefaults !== undefined && { libdefaults: options.libdefaults }),
            now: (options.clock ?? systemClock).now(),
          });
    return { realms, kdcs, servers, topology, ...(files !== undefined && { files }), close };
  } catch (e) {
    await close();
    throw e;
  }
}
