/**
 * The process helpers the interop suites lean on to stay deterministic when
 * test files run side by side: a stopped server's ports held closed, and
 * who listens on a port.
 */

import { createSocket } from 'node:dgram';
import { connect, createServer, type Server } from 'node:net';
import { afterAll, expect, it } from 'vitest';
import { freePort } from './helpers/mit-realm';
import { groupListensOn, holdClosed, startProcess, stopAllProcesses } from './helpers/processes';

afterAll(stopAllProcesses);

const listen = (server: Server) =>
  new Promise<number>((ok) =>
    server.listen(0, '127.0.0.1', () => ok((server.address() as { port: number }).port)),
  );

// Both helpers rely on Linux: a connected UDP socket's port unreachable, and /proc.
const linux = process.platform === 'linux';

it.runIf(linux)('holdClosed keeps a freed port refusing: UDP port unreachable, TCP reset', async () => {
  const port = await freePort(); // free for TCP and for UDP
  await holdClosed('127.0.0.1', port, port);

  const udpError = await new Promise<NodeJS.ErrnoException>((ok) => {
    const s = createSocket('udp4');
    s.once('error', (e) => {
      s.close();
      ok(e);
    });
    s.connect(port, '127.0.0.1', () => s.send(Buffer.from('AS-REQ')));
  });
  expect(udpError.code).toBe('ECONNREFUSED');

  const tcpError = await new Promise<NodeJS.ErrnoException | 'data' | 'end'>((ok) => {
    const c = connect(port, '127.0.0.1');
    c.once('error', ok);
    c.once('data', () => ok('data'));
    c.once('end', () => ok('end'));
  });
  expect(tcpError).toMatchObject({ code: 'ECONNRESET' });

  // Another server cannot take it while it is held.
  const other = createServer();
  await expect(
    new Promise((ok, fail) => {
      other.once('error', fail);
      other.listen(port, '127.0.0.1', () => ok(undefined));
    }),
  ).rejects.toMatchObject({ code: 'EADDRINUSE' });
});

it.runIf(linux)("groupListensOn tells a started process's listener from another process's", async () => {
  const child = startProcess(process.execPath, [
    '-e',
    "require('net').createServer().listen(0, '127.0.0.1', function () { console.log(this.address().port) })",
  ]);
  const port = Number((await child.waitForOutput((o) => o.includes('\n'), 10_000)).trim());
  expect(port).toBeGreaterThan(0);
  expect(groupListensOn(child.child.pid!, port)).toBe(true);

  const ours = createServer();
  const ourPort = await listen(ours);
  expect(groupListensOn(child.child.pid!, ourPort)).toBe(false); // listening, but not the group's
  await new Promise((r) => ours.close(r));
  await child.stop();
  expect(groupListensOn(child.child.pid!, port)).toBe(false);
});
