/**
 * The files `krbsim serve` writes so real Kerberos tools can use a served
 * topology: `krb5.conf` (MIT profile syntax), keytabs (MIT format 0x0502),
 * `ports.json`, which says where each KDC listens, and, when realms are
 * served through the HTTPS KDC proxy (`kdcProxy`), `ca.pem`, its CA, which
 * `krb5.conf` names by `http_anchors`.
 *
 * Security: keytabs hold long-term keys, so they are written 0600 (as MIT's
 * `kadmin ktadd` creates them) into a directory created 0700; `krb5.conf`
 * and `ca.pem` (a certificate, public) hold none and are 0644. `ports.json`
 * is 0600: its per-realm `check` is a 64-bit truncated hash over the krbtgt
 * keys, which a `--seed` derives, so with a guessable seed it would let
 * anyone who reads it confirm a guess (and then derive every key). Its
 * readers (a replica's `--replica-of`, scripts, the tests) run as the user
 * who serves.
 *
 * @module
 */

import { chmod, mkdir, rm, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import {
  type KeytabEntry,
  type Krb5ConfValue,
  serializeKeytab,
  writeKrb5Conf,
  writeOwnerOnlyFile,
} from '@krbsim/files';
import type { PrincipalEntry, Realm } from '@krbsim/kdc';
import { connectableHostPort } from './connect-address';
import { PASSWORD_FEED_FILE } from './password-feed';
import type { ReplicaKdcs } from './replica';
import type { TopologyFile, TrustFileSpec } from './topology';
import { type TopologyCertificates, writePkinitFiles } from './topology-pkinit';

/** @internal The KDCs' own keys' file (`--kdc-keytab`), in the serve directory. */
export const KDC_KEYTAB_FILE = 'kdc.keytab';

/** Where one realm's KDC listens (both protocols). */
export interface ServedRealm {
  readonly host: string;
  readonly udpPort: number;
  readonly tcpPort: number;
  /** Its password-change service's port (kpasswd), when this process serves one. */
  readonly kpasswdPort?: number;
  /**
   * The HTTPS KDC proxy (MS-KKDCP) that reaches the realm (`kdcProxy`): `krb5.conf` names it as the
   * realm's `kdc`, and as its `kpasswd_server` when `kpasswdPort` is set (the proxy relays both).
   */
  readonly kdcProxyUrl?: string;
}

/** Input to {@link writeTopologyFiles} and {@link topologyKrb5Conf}. */
export interface TopologyFilesInput {
  readonly topology: TopologyFile;
  readonly realms: ReadonlyMap<string, Realm>;
  readonly servers: ReadonlyMap<string, ServedRealm>;
  /** Extra `[libdefaults]` relations (`null` removes a default). */
  readonly libdefaults?: Readonly<Record<string, Krb5ConfValue | null>>;
  /** Keytab entry timestamps, ms since the epoch. Default: now. */
  readonly now?: number;
  /**
   * Other KDCs of each realm (replicas, `host:port`), listed in `krb5.conf`
   * before this process's own, in this order.
   */
  readonly replicaKdcs?: ReplicaKdcs;
  /** Each realm's check value (see `replicaCheck`), for `ports.json`. */
  readonly checks?: ReadonlyMap<string, string>;
  /** The worker processes serving the realms, when not this process. */
  readonly workerPids?: readonly number[];
  /** Also write `kdc.keytab`: the KDCs' own keys (see {@link kdcKeytabEntries}). Default false. */
  readonly kdcKeytab?: boolean;
  /** The PKINIT realms' certificates: written to `pkinit/`, the CA named by `pkinit_anchors`. */
  readonly certificates?: TopologyCertificates;
  /** Where `pkinit/ca.pem` is, for `krb5.conf` (set by {@link writeTopologyFiles}). */
  readonly pkinitAnchors?: string;
  /** The feed of password changes this process writes, for `ports.json`. */
  readonly passwordChanges?: string;
  /**
   * The password-change service of each realm in the process this one replicates (`host:port`),
   * named by `krb5.conf` where this process serves none.
   */
  readonly replicaKpasswd?: ReadonlyMap<string, string>;
  /** The KDC proxy's CA certificate (PEM), for the realms with a `kdcProxyUrl`: written to `ca.pem`. */
  readonly kdcProxyCa?: string;
  /**
   * Where the KDC proxy's CA is, for `krb5.conf`'s `http_anchors` in the realms with a `kdcProxyUrl`
   * (set by {@link writeTopologyFiles} to its `ca.pem`).
   */
  readonly httpAnchors?: string;
}

/** Where one realm of `ports.json` is served. */
export interface PortsJsonRealm {
  readonly host: string;
  readonly udp: number;
  readonly tcp: number;
  /** Every KDC of the realm `krb5.conf` lists, `host:port`, in its order (replicas, then this one). */
  readonly kdcs?: readonly string[];
  /** The realm's check value: equal in two processes that hold the same keys (see `replicaCheck`). */
  readonly check?: string;
  /** The password-change service's port (kpasswd, RFC 3244), UDP and TCP, when this process serves one. */
  readonly kpasswd?: number;
  /**
   * Where the realm's passwords are changed (`host:port`, the `kpasswd_server` of `krb5.conf`): this
   * process's service, or for a replica the one of the process it replicates.
   */
  readonly kpasswdServer?: string;
  /** With `kdcProxy`: the HTTPS KDC proxy's URL, which `krb5.conf` names instead of the port (and `kdcs` lists). */
  readonly kdcProxy?: string;
}

/** The content of `ports.json`. */
export interface PortsJson {
  readonly realms: Record<string, PortsJsonRealm>;
  /** Absolute path of the written `krb5.conf`. */
  readonly krb5conf: string;
  /**
   * With `kdcProxy` realms: absolute path of `krb5-direct.conf`, which names every realm's own
   * UDP/TCP port (those served through the proxy too), for clients without an MS-KKDCP client.
   */
  readonly krb5confDirect?: string;
  /**
   * Absolute keytab paths: by realm name (all the realm's service keys) and by
   * `spn@REALM` (one service's keys).
   */
  readonly keytabs: Record<string, string>;
  /** With `--kdc-keytab`: absolute path of the keytab of the KDCs' own keys. */
  readonly kdcKeytab?: string;
  /** With `kdcProxy` realms: absolute path of `ca.pem`, the KDC proxy's CA (`http_anchors`). */
  readonly ca?: string;
  /**
   * Absolute path of the feed of password changes (`password-feed.ts`, 0600): what the realms'
   * password-change services changed, which a replica (`--replica-of`) follows.
   */
  readonly passwordChanges?: string;
  /** The process serving the realms (with `--workers`, their primary). */
  readonly pid: number;
  /** With `--workers`: the worker processes. */
  readonly workers?: readonly number[];
}

/** What {@link writeTopologyFiles} wrote. */
export interface TopologyWriteResult {
  readonly dir: string;
  readonly krb5conf: string;
  /** `krb5-direct.conf`, when realms are served through the KDC proxy (see {@link PortsJson}). */
  readonly krb5confDirect?: string;
  readonly portsJson: string;
  readonly keytabs: Record<string, string>;
  /** The KDCs' keytab, when asked for. */
  readonly kdcKeytab?: string;
  /** `ca.pem`, the KDC proxy's CA, when realms are served through it (`kdcProxy`). */
  readonly ca?: string;
  readonly ports: PortsJson;
}

/**
 * `[capaths]` for the trust graph: for each client realm, every server realm
 * its users can reach, `.` when a trust links them directly, else the
 * intermediate realms of a shortest path through transitive (`forest`,
 * `realm`) trusts. Users of `trusted` reach `trusting`; two-way trusts both ways.
 */
export function capathsFor(
  realmNames: readonly string[],
  trusts: readonly TrustFileSpec[],
): Record<string, Record<string, '.' | string[]>> {
  const edges = new Map<string, { to: string; transitive: boolean }[]>();
  const add = (from: string, to: string, transitive: boolean) => {
    const list = edges.get(from) ?? [];
    list.push({ to, transitive });
    edges.set(from, list);
  };
  for (const t of trusts) {
    const transitive = t.kind !== 'external';
    add(t.trusted, t.trusting, transitive);
    if (t.direction === 'two-way') add(t.trusting, t.trusted, transitive);
  }
  const out: Record<string, Record<string, '.' | string[]>> = {};
  for (const client of realmNames) {
    const paths: Record<string, '.' | string[]> = {};
    // Direct trusts first, then breadth-first through transitive ones.
    for (const e of edges.get(client) ?? []) paths[e.to] = '.';
    const via = new Map<string, string[]>();
    const queue: string[] = [];
    for (const e of edges.get(client) ?? []) {
      if (e.transitive && !via.has(e.to)) {
        via.set(e.to, []);
        queue.push(e.to);
      }
    }
    while (queue.length > 0) {
      const at = queue.shift()!;
      for (const e of edges.get(at) ?? []) {
        if (!e.transitive || e.to === client || via.has(e.to)) continue;
        const hops = [...via.get(at)!, at];
        via.set(e.to, hops);
        queue.push(e.to);
        if (paths[e.to] === undefined) paths[e.to] = hops;
      }
    }
    if (Object.keys(paths).length > 0) out[client] = paths;
  }
  return out;
}

/**
 * Every KDC of `realm` for krb5.conf: the replicas first, then this process's own (no duplicates),
 * as addresses a client can connect to (a KDC bound to `0.0.0.0` is listed as `127.0.0.1`); for a
 * realm served through the KDC proxy, its URL instead of the UDP/TCP port.
 */
function kdcsOf(input: Omit<TopologyFilesInput, 'now'>, realm: string, direct = false): string[] {
  const s = input.servers.get(realm);
  const proxy = direct ? undefined : s?.kdcProxyUrl;
  const own = s === undefined ? [] : [proxy ?? connectableHostPort(s.host, s.udpPort)];
  return [...new Set([...(input.replicaKdcs?.get(realm) ?? []), ...own])];
}

/**
 * The realm's password-change service for `krb5.conf`, when this process serves one: through the
 * KDC proxy for a realm served by it (the proxy relays kpasswd requests), else its port.
 */
function kpasswdOf(
  input: Omit<TopologyFilesInput, 'now'>,
  realm: string,
  direct = false,
): { kpasswd?: string } {
  const s = input.servers.get(realm);
  if (s?.kpasswdPort === undefined) {
    // A replica serves none: password changes go to the process it replicates, as to MIT's primary.
    const primary = input.replicaKpasswd?.get(realm);
    return primary === undefined ? {} : { kpasswd: primary };
  }
  return { kpasswd: (direct ? undefined : s.kdcProxyUrl) ?? connectableHostPort(s.host, s.kpasswdPort) };
}

/** Where the realm's passwords are changed, for `ports.json` (a host and port; not a KDC proxy's URL). */
function kpasswdServerOf(input: Omit<TopologyFilesInput, 'now'>, realm: string): { kpasswdServer?: string } {
  const s = input.servers.get(realm);
  if (s?.kpasswdPort !== undefined) return { kpasswdServer: connectableHostPort(s.host, s.kpasswdPort) };
  const primary = input.replicaKpasswd?.get(realm);
  return primary === undefined ? {} : { kpasswdServer: primary };
}

/** `http_anchors` for a realm served through the KDC proxy, when its CA's file is known. */
function httpAnchorsOf(input: Omit<TopologyFilesInput, 'now'>, realm: string): { httpAnchors?: string[] } {
  const proxied = input.servers.get(realm)?.kdcProxyUrl !== undefined;
  return proxied && input.httpAnchors !== undefined ? { httpAnchors: [`FILE:${input.httpAnchors}`] } : {};
}

/**
 * The `krb5.conf` text for a served topology. The first realm is the default realm. `direct`:
 * every realm at its own UDP/TCP port, those served through the KDC proxy too (`krb5-direct.conf`,
 * for clients without an MS-KKDCP client).
 */
export function topologyKrb5Conf(input: Omit<TopologyFilesInput, 'now'>, direct = false): string {
  const { topology } = input;
  const domainRealm: Record<string, string> = {};
  for (const r of topology.realms) {
    for (const d of r.domains) {
      domainRealm[`.${d}`] = r.name;
      domainRealm[d] = r.name;
    }
  }
  const weak = topology.realms.some((r) => r.policy.allowWeakCrypto === true);
  return writeKrb5Conf({
    defaultRealm: topology.realms[0]!.name,
    realms: topology.realms.map((r) => ({
      name: r.name,
      kdcs: kdcsOf(input, r.name, direct),
      ...kpasswdOf(input, r.name, direct),
      ...(!direct && httpAnchorsOf(input, r.name)),
      ...(r.pkinit !== undefined &&
        input.pkinitAnchors !== undefined && { extra: { pkinit_anchors: `FILE:${input.pkinitAnchors}` } }),
    })),
    domainRealm,
    capaths: capathsFor(
      topology.realms.map((r) => r.name),
      topology.trusts,
    ),
    libdefaults: { ...(weak && { allow_weak_crypto: true }), ...input.libdefaults },
  });
}

/** `host/web.contoso.com:443` → `host_web.contoso.com_443`: a file name for an SPN. */
export function spnFileName(spn: string): string {
  return spn.replace(/[/:\\]/g, '_');
}

/**
 * Keytab entries for every service of `realm` the topology names: the current
 * keys under the SPN and under each alias.
 */
export function serviceKeytabEntries(realm: Realm, spn: string, aliases: readonly string[], now: number) {
  const entry = realm.lookup(spn);
  if (entry === undefined) return [];
  const kvno = Math.max(...entry.keys.map((k) => k.kvno));
  const keys = entry.keys.filter((k) => k.kvno === kvno);
  const out: KeytabEntry[] = [];
  for (const name of [spn, ...aliases]) {
    const nameString = name.split('/');
    for (const k of keys) {
      out.push({
        principal: { realm: realm.name, name: { nameType: NT_SRV_HST, nameString } },
        timestamp: now,
        kvno,
        key: { etype: k.key.etype, bytes: k.key.bytes },
      });
    }
  }
  return out;
}

/** KRB5_NT_SRV_HST: how MIT's kadmin ktadd writes service principals. */
const NT_SRV_HST = 1;

/** KRB5_NT_SRV_INST: how MIT's kadmin ktadd writes krbtgt principals. */
const NT_SRV_INST = 2;

/**
 * Keytab entries for the KDCs' own keys: every realm's `krbtgt/REALM@REALM`
 * and every inter-realm key `krbtgt/TRUSTING@TRUSTED`, each key version the
 * realms still hold, each once (both sides of a trust hold the same key).
 * With them Wireshark decrypts TGTs and referral TGTs, and MIT's tools
 * (`krb5_kdc_verify_ticket`) check the PAC's KDC and ticket signatures.
 */
export function kdcKeytabEntries(realms: Iterable<Realm>, now: number): KeytabEntry[] {
  return keytabEntriesOf(realms, now, (entry) => entry.kind === 'krbtgt');
}

/**
 * Keytab entries for every key the realms hold: users', services' and the
 * KDCs', each key version, each once. Everything a capture of the realms
 * encrypts opens with them (`krbsim demo --keytab`); every ticket can be forged
 * with them too.
 */
export function realmKeytabEntries(realms: Iterable<Realm>, now: number): KeytabEntry[] {
  return keytabEntriesOf(realms, now, () => true);
}

function keytabEntriesOf(
  realms: Iterable<Realm>,
  now: number,
  wanted: (entry: PrincipalEntry) => boolean,
): KeytabEntry[] {
  const out: KeytabEntry[] = [];
  const seen = new Set<string>();
  for (const realm of realms) {
    for (const entry of realm.db.entries()) {
      if (!wanted(entry)) continue;
      for (const k of entry.keys) {
        const id = `${entry.name.nameString.join('/')}@${entry.realm}:${k.kvno}:${k.key.etype}`;
        if (seen.has(id)) continue;
        seen.add(id);
        out.push({
          principal: {
            realm: entry.realm,
            // krbtgt as MIT's ktadd writes it (KRB5_NT_SRV_INST); others by their own name type.
            name: {
              nameType: entry.kind === 'krbtgt' ? NT_SRV_INST : entry.name.nameType,
              nameString: [...entry.name.nameString],
            },
          },
          timestamp: now,
          kvno: k.kvno,
          key: { etype: k.key.etype, bytes: k.key.bytes },
        });
      }
    }
  }
  return out;
}

/**
 * Write `krb5.conf`, `<REALM>.keytab` (every service key of the realm),
 * `<spn>.keytab` (one service; `<spn>@<REALM>.keytab` if two realms share an
 * SPN), `<account>@<REALM>.keytab` (a computer or service account: its name
 * and SPNs), with `kdcKeytab` also `kdc.keytab` (the KDCs' own keys, see
 * {@link kdcKeytabEntries}; without it, a `kdc.keytab` already there is removed), with `kdcProxyCa`
 * also `ca.pem`, and `ports.json` into `dir`. A `password-changes.jsonl` there that is not
 * `passwordChanges` (an earlier run's feed) is removed.
 */
export async function writeTopologyFiles(
  dir: string,
  input: TopologyFilesInput,
): Promise<TopologyWriteResult> {
  const abs = resolve(dir);
  // Only a directory created here is made 0700; an existing one keeps its mode.
  await mkdir(abs, { recursive: true, mode: 0o700 });
  const now = input.now ?? Date.now();
  const krb5conf = join(abs, 'krb5.conf');
  const pkinitAnchors = input.certificates && (await writePkinitFiles(abs, input.certificates));
  // The KDC proxy's CA: a certificate, public (0644 whatever the umask), for http_anchors.
  let ca: string | undefined;
  if (input.kdcProxyCa !== undefined) {
    ca = join(abs, 'ca.pem');
    await writeFile(ca, input.kdcProxyCa, { mode: 0o644 });
    await chmod(ca, 0o644);
  }
  const confInput = {
    ...input,
    ...(pkinitAnchors !== undefined && { pkinitAnchors }),
    ...(ca !== undefined && { httpAnchors: ca }),
  };
  await writeFile(krb5conf, topologyKrb5Conf(confInput));
  // Realms served through the KDC proxy listen on their own ports too: krb5-direct.conf names those,
  // for clients without an MS-KKDCP client (Heimdal 7.8, Java, gokrb5).
  let krb5confDirect: string | undefined;
  if ([...input.servers.values()].some((s) => s.kdcProxyUrl !== undefined)) {
    krb5confDirect = join(abs, 'krb5-direct.conf');
    await writeFile(krb5confDirect, topologyKrb5Conf(confInput, true));
  }

  const keytabs: Record<string, string> = {};
  const spnCount = new Map<string, number>();
  for (const r of input.topology.realms) {
    for (const s of r.services) spnCount.set(s.spn, (spnCount.get(s.spn) ?? 0) + 1);
  }
  for (const r of input.topology.realms) {
    const realm = input.realms.get(r.name);
    if (realm === undefined) continue;
    const all: KeytabEntry[] = [];
    for (const s of r.services) {
      const entries = serviceKeytabEntries(realm, s.spn, s.aliases ?? [], now);
      all.push(...entries);
      const base = spnCount.get(s.spn)! > 1 ? `${s.spn}@${r.name}` : s.spn;
      const path = join(abs, `${spnFileName(base)}.keytab`);
      await writeOwnerOnlyFile(path, serializeKeytab({ entries }));
      keytabs[`${s.spn}@${r.name}`] = path;
    }
    // Accounts that serve SPNs (computers, service users): `<account>.keytab`, as `ktpass` or
    // `adcli join` would write it, with the account name and each SPN.
    const accounts = [
      ...r.computers.map((c) => `${c.name.replace(/\$$/, '').toUpperCase()}$`),
      ...r.users.filter((u) => u.spns !== undefined && u.spns.length > 0).map((u) => u.name),
    ];
    for (const account of accounts) {
      const entry = realm.lookup(account);
      if (entry === undefined) continue;
      const spns = entry.aliases.map((a) => a.nameString.join('/'));
      const entries = serviceKeytabEntries(realm, account, spns, now);
      all.push(...entries);
      const path = join(abs, `${spnFileName(`${account}@${r.name}`)}.keytab`);
      await writeOwnerOnlyFile(path, serializeKeytab({ entries }));
      keytabs[`${account}@${r.name}`] = path;
    }
    const path = join(abs, `${r.name}.keytab`);
    await writeOwnerOnlyFile(path, serializeKeytab({ entries: all }));
    keytabs[r.name] = path;
  }
  // Security: the KDCs' keys forge any ticket of these realms; written only when asked for, 0600.
  // One an earlier run left in a reused directory is removed: it may hold live keys (same --seed).
  let kdcKeytab: string | undefined;
  if (input.kdcKeytab === true) {
    kdcKeytab = join(abs, KDC_KEYTAB_FILE);
    await writeOwnerOnlyFile(
      kdcKeytab,
      serializeKeytab({ entries: kdcKeytabEntries(input.realms.values(), now) }),
    );
  } else {
    await rm(join(abs, KDC_KEYTAB_FILE), { force: true });
  }

  // Security: a feed an earlier run left here (this directory's process wrote one then, a replica
  // writes none) holds that run's passwords in plain text: removed.
  const feedHere = join(abs, PASSWORD_FEED_FILE);
  if (input.passwordChanges === undefined || resolve(input.passwordChanges) !== feedHere) {
    await rm(feedHere, { force: true });
  }

  const ports: PortsJson = {
    realms: Object.fromEntries(
      [...input.servers].map(([name, s]) => {
        const check = input.checks?.get(name);
        const realm: PortsJsonRealm = {
          host: s.host,
          udp: s.udpPort,
          tcp: s.tcpPort,
          kdcs: kdcsOf(input, name),
          ...(check !== undefined && { check }),
          ...(s.kpasswdPort !== undefined && { kpasswd: s.kpasswdPort }),
          ...kpasswdServerOf(input, name),
          ...(s.kdcProxyUrl !== undefined && { kdcProxy: s.kdcProxyUrl }),
        };
        return [name, realm];
      }),
    ),
    krb5conf,
    ...(krb5confDirect !== undefined && { krb5confDirect }),
    keytabs,
    ...(kdcKeytab !== undefined && { kdcKeytab }),
    ...(ca !== undefined && { ca }),
    ...(input.passwordChanges !== undefined && { passwordChanges: input.passwordChanges }),
    pid: process.pid,
    ...(input.workerPids !== undefined && { workers: [...input.workerPids] }),
  };
  const portsJson = join(abs, 'ports.json');
  // Written last: a watcher that sees ports.json can rely on every other file.
  await writePortsJson(portsJson, ports);
  return {
    dir: abs,
    krb5conf,
    ...(krb5confDirect !== undefined && { krb5confDirect }),
    portsJson,
    keytabs,
    ...(kdcKeytab !== undefined && { kdcKeytab }),
    ...(ca !== undefined && { ca }),
    ports,
  };
}

/**
 * Write `ports` to `path` at once: into a new file beside it, then renamed over it, so a reader
 * finds the old file or the new one, never half of one (`--workers` rewrites it when its workers
 * change). Mode 0600 whatever was there (see the module comment: the check values).
 */
export async function writePortsJson(path: string, ports: PortsJson): Promise<void> {
  await writeOwnerOnlyFile(path, new TextEncoder().encode(`${JSON.stringify(ports, null, 2)}\n`));
}
