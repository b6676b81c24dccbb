/**
 * A topology served by `startTopology` for the whole of a test file: a temp
 * dir, the KDCs on loopback, and the request log, started before the tests
 * and closed after them. `dir` and `topo` are set once `beforeAll` has run.
 */

import { readFileSync } from 'node:fs';
import { KerberosClient } from '@krbsim/client';
import { UdpTcpTransport } from '@krbsim/transport';
import { afterAll, beforeAll } from 'vitest';
import {
  type RequestLogEntry,
  type RunningTopology,
  type StartTopologyOptions,
  startTopology,
  type TopologyFile,
} from '../../../packages/cli/src/index';
import { makeTempDir, type TempDir } from './processes';

export interface ServedTopology {
  readonly dir: TempDir;
  readonly topo: RunningTopology;
  /** Every request the KDCs answered, in order. */
  readonly log: RequestLogEntry[];
}

/**
 * Serves `topology` (made when the tests start) in a temp dir named after `prefix`, for this file's
 * tests; `options` as `startTopology` takes them, but for the dir and the log.
 */
export function servedTopology(
  prefix: string,
  topology: () => Promise<TopologyFile> | TopologyFile,
  options: Omit<StartTopologyOptions, 'dir' | 'log'> = {},
): ServedTopology {
  const log: RequestLogEntry[] = [];
  let dir: TempDir | undefined;
  let topo: RunningTopology | undefined;
  beforeAll(async () => {
    dir = await makeTempDir(prefix);
    topo = await startTopology(await topology(), { ...options, dir: dir.path, log: (e) => log.push(e) });
  });
  afterAll(async () => {
    await topo?.close();
    await dir?.remove();
  });
  return {
    log,
    get dir() {
      return dir!;
    },
    get topo() {
      return topo!;
    },
  };
}

/**
 * The served `krb5-direct.conf`: every realm at its own UDP/TCP port, `realm`'s KDC proxy replaced
 * by its KDC's port (the served KDC listens there too), for clients without an MS-KKDCP client
 * (Heimdal 7.8, Java, gokrb5). Throws unless `realm` is served through a proxy.
 */
export function krb5ConfWithoutProxy(topo: RunningTopology, realm: string): string {
  const server = topo.servers.get(realm);
  if (server?.kdcProxyUrl === undefined) throw new Error(`${realm} is not served behind a KDC proxy`);
  const direct = readFileSync(topo.files!.krb5confDirect!, 'utf8');
  if (!direct.includes(`kdc = ${server.host}:${server.udpPort}\n`) || direct.includes('https:')) {
    throw new Error(`krb5-direct.conf does not name ${realm}'s own port:\n${direct}`);
  }
  return direct;
}

/**
 * The request log's lines from `from` on, each with its realm and transport, without sizes and
 * times. A TGS-REQ's transport is left out: whether a client's request fits its UDP limit depends
 * on the request's size, which a nonce's or a timestamp's encoding can move by a byte or two. An
 * AS-REQ's is kept, where a reply too big for UDP and asked again over TCP is the point.
 */
export function requestLines(log: readonly RequestLogEntry[], from: number): string[] {
  return log.slice(from).map((e) => {
    const line = e.line.replace(/ \(\d+ B, .*$/, '');
    return line.startsWith('TGS-REQ ') ? `${e.realm} ${line}` : `${e.realm} ${e.transport} ${line}`;
  });
}

/** A krbsim client of `realm` that reaches every served realm's KDC at its UDP port (TCP when too big). */
export function servedClient(topo: RunningTopology, realm: string): KerberosClient {
  return new KerberosClient({
    realm,
    transport: new UdpTcpTransport({
      kdcs: Object.fromEntries(
        [...topo.servers.values()].map((s) => [s.realm, [{ host: s.host, port: s.udpPort }]]),
      ),
    }),
  });
}
