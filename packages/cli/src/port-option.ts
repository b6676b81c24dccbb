/**
 * `krbsim serve --port`: the KDC port of a realm, from the command line
 * rather than the topology file, so a tool that insists on port 88 can be
 * served in a network namespace or a container without editing the file.
 * `--port 88` sets the port of a single-realm topology; `--port REALM=88`
 * (repeatable) the port of the realm named.
 *
 * @module
 */

import type { TopologyFile } from './topology';

const PORT = /^\d{1,5}$/;

function portNumber(text: string): number | undefined {
  const n = PORT.test(text) ? Number(text) : Number.NaN;
  return n >= 1 && n <= 65535 ? n : undefined;
}

/**
 * `topology` with the ports `--port` gave (each `PORT` or `REALM=PORT`), or
 * the message of a usage error: a port outside 1..65535, a bare port with
 * several realms, a realm the file does not have, a realm given two ports
 * (`--port A=88 --port A=89`), or two realms on one port.
 */
export function applyPortOptions(topology: TopologyFile, options: readonly string[]): TopologyFile | string {
  const names = topology.realms.map((r) => r.name);
  const ports = new Map<string, number>();
  // Which option gave each realm its port: a second one for the same realm is a mistake, not an override.
  const given = new Map<string, string>();
  const set = (realm: string, port: number, option: string): string | undefined => {
    const earlier = given.get(realm);
    if (earlier !== undefined) {
      return `--port ${option}: the port of ${realm} is already given (--port ${earlier}); give it once`;
    }
    given.set(realm, option);
    ports.set(realm, port);
    return undefined;
  };
  for (const option of options) {
    const eq = option.lastIndexOf('=');
    const realm = eq < 0 ? undefined : option.slice(0, eq);
    const text = eq < 0 ? option : option.slice(eq + 1);
    const port = portNumber(text);
    if (port === undefined) return `--port ${option}: expected a port number 1..65535, got '${text}'`;
    if (realm === undefined) {
      if (names.length !== 1) {
        return `--port ${option}: the topology has ${names.length} realms (${names.join(', ')}); say which, e.g. --port ${names[0]}=${port}`;
      }
      const twice = set(names[0]!, port, option);
      if (twice !== undefined) return twice;
    } else {
      if (!names.includes(realm))
        return `--port ${option}: no realm ${realm} in the topology (${names.join(', ')})`;
      const twice = set(realm, port, option);
      if (twice !== undefined) return twice;
    }
  }
  const realms = topology.realms.map((r) => {
    const port = ports.get(r.name);
    return port === undefined ? r : { ...r, port };
  });
  const taken = new Map<number, string>();
  for (const r of realms) {
    if (r.port === undefined) continue;
    const other = taken.get(r.port);
    if (other !== undefined) return `--port: ${r.name} and ${other} would both listen on port ${r.port}`;
    taken.set(r.port, r.name);
  }
  return { ...topology, realms };
}
