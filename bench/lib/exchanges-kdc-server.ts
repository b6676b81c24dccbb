/**
 * krbsim's KDC on loopback UDP, in a process of its own, for the kdc-udp
 * suite: `node [flags] --import tsx bench/lib/exchanges-kdc-server.ts`.
 *
 * Serves BENCH.TEST (bench/lib/exchanges-fixtures.ts: etype 18 only; alice
 * does not require pre-authentication, like the MIT principal the suite
 * creates; and the 1,000 users of `manyUserName`, as the MIT realm) with
 * `serveKdc` on 127.0.0.1, UDP only, an OS-chosen port, the system clock and
 * CSPRNG, no logging. Prints one JSON line,
 * `{"udpPort":N,"pid":P}`, once listening; exits when stdin closes or on
 * SIGTERM/SIGINT.
 */

import { systemClock } from '@krbsim/core';
import { Kdc } from '@krbsim/kdc';
import { serveKdc } from '@krbsim/transport';
import { benchRealm, REALM } from './exchanges-fixtures';

const kdc = new Kdc(benchRealm({ clock: systemClock, requiresPreauth: false, manyUsers: true }));
const server = await serveKdc((request) => kdc.handle(request), {
  host: '127.0.0.1',
  udpPort: 0,
  tcpPort: false,
  realm: REALM,
});

let closing = false;
const stop = (): void => {
  if (closing) return;
  closing = true;
  void server.close().then(() => process.exit(0));
};
process.on('SIGTERM', stop);
process.on('SIGINT', stop);
process.stdin.on('end', stop);
process.stdin.on('close', stop);
process.stdin.resume();
process.stdout.write(`${JSON.stringify({ udpPort: server.udpPort, pid: process.pid })}\n`);
