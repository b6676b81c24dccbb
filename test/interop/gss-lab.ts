/**
 * The realm the GSS interop suites share: a krbsim KDC on loopback (`krbsim
 * serve`'s startTopology) for GSS.TEST, with alice and the service
 * host/localhost, whose keytab MIT's and Heimdal's acceptors read. krbsim's
 * side of each test gets tickets from the same KDC over UDP.
 */

import { KerberosClient } from '@krbsim/client';
import { readKeytabFile } from '@krbsim/files';
import { KerberosService } from '@krbsim/service';
import { UdpTcpTransport } from '@krbsim/transport';
import {
  parseTopology,
  type RequestLogEntry,
  type RunningTopology,
  startTopology,
} from '../../packages/cli/src/index';
import { makeTempDir, type TempDir } from './helpers/processes';

export const REALM = 'GSS.TEST';
const ALICE = 'alice';
const ALICE_PASSWORD = 'Al1ce-Passw0rd';
/** The service, as a principal and as a GSS host-based name (TARGET). */
const SERVICE = 'host/localhost@GSS.TEST';
export const TARGET = 'host@localhost';

const TOPOLOGY = `
realms:
  - name: ${REALM}
    domains: [localhost]
    users:
      - { name: ${ALICE}, password: ${ALICE_PASSWORD} }
    services:
      - spn: host/localhost
`;

/** A running GSS.TEST. */
export interface GssLab {
  readonly dir: TempDir;
  readonly topo: RunningTopology;
  /** The generated krb5.conf (MIT syntax, which Heimdal reads too). */
  readonly krb5conf: string;
  /** The service's keytab file. */
  readonly keytab: string;
  /** The KDC's request log, one line per request, for failure messages. */
  diagnostics(): string;
  /** A krbsim service holding the keytab. */
  service(): Promise<KerberosService>;
  /** A krbsim client with alice's TGT, offering `encTypes` (default the client's own). */
  client(encTypes?: readonly number[]): Promise<KerberosClient>;
  close(): Promise<void>;
}

/** Starts GSS.TEST with its files in a fresh temp dir. */
export async function startGssLab(prefix: string): Promise<GssLab> {
  const dir = await makeTempDir(prefix);
  const log: RequestLogEntry[] = [];
  const topo = await startTopology(parseTopology(TOPOLOGY), { dir: dir.path, log: (e) => log.push(e) });
  const files = topo.files!;
  const server = topo.servers.get(REALM)!;
  return {
    dir,
    topo,
    krb5conf: files.krb5conf,
    keytab: files.keytabs[SERVICE]!,
    diagnostics: () => log.map((e) => `${e.realm} ${e.transport} ${e.line}`).join('\n'),
    async service() {
      return new KerberosService({
        keytab: await readKeytabFile(files.keytabs[SERVICE]!),
        principal: SERVICE,
      });
    },
    async client(encTypes) {
      const client = new KerberosClient({
        realm: REALM,
        ...(encTypes !== undefined && { encTypes }),
        transport: new UdpTcpTransport({ kdcs: { [REALM]: [{ host: server.host, port: server.udpPort }] } }),
      });
      await client.getInitialCredentials(ALICE, { password: ALICE_PASSWORD });
      return client;
    },
    async close() {
      await topo.close();
      await dir.remove();
    },
  };
}
