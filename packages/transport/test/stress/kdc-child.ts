/**
 * A krbsim KDC behind serveKdc, in a process of its own, for the stress
 * runs (run.ts). `node --expose-gc --import tsx kdc-child.ts '<options JSON>'`
 * serves STRESS.TEST (alice, no pre-authentication: an AS-REQ gets an
 * AS-REP) on 127.0.0.1 and prints one JSON line once listening. Each line
 * "stats" on stdin is answered with one JSON line: the server's stats and
 * the process's memory after a garbage collection. Exits when stdin ends.
 */

import { createInterface } from 'node:readline';
import { systemClock, systemRandom } from '@krbsim/core';
import { Kdc, Realm } from '@krbsim/kdc';
import { type ServeKdcOptions, serveKdc } from '@krbsim/transport';

const options = JSON.parse(process.argv[2] ?? '{}') as ServeKdcOptions;
const realm = new Realm({ name: 'STRESS.TEST', clock: systemClock, random: systemRandom });
realm.addUser('alice', { password: 'stress-Passw0rd', requiresPreauth: false });
const kdc = new Kdc(realm);
const server = await serveKdc((request) => kdc.handle(request), { ...options, realm: 'STRESS.TEST' });

const gc = (globalThis as { gc?: () => void }).gc;
const print = (value: unknown) => process.stdout.write(`${JSON.stringify(value)}\n`);
print({ udpPort: server.udpPort, tcpPort: server.tcpPort, pid: process.pid, stats: server.stats() });
createInterface({ input: process.stdin }).on('line', (line) => {
  if (line.trim() !== 'stats') return;
  gc?.();
  const m = process.memoryUsage();
  print({ stats: server.stats(), rss: m.rss, arrayBuffers: m.arrayBuffers, heapUsed: m.heapUsed });
});
process.stdin.on('end', () => void server.close().then(() => process.exit(0)));
