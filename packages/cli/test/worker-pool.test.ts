/**
 * The primary's side of `krbsim serve --workers` (worker-pool.ts), with
 * stand-in workers that speak the IPC messages the real ones do:
 * - a password change is answered only once every worker acknowledged it;
 * - a change reaches the workers (and is counted for a replacement) even
 *   when the feed cannot be written, and the kpasswd log says what it did
 *   not reach;
 * - a resync (the feed a replica follows began again) has every worker
 *   build its realms again and take the new run's changes, and only those;
 * - a dead worker is replaced, and every change of the pool is told (for
 *   ports.json), a replacement that fails to start loudly.
 */

import { EventEmitter } from 'node:events';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { KerberosClient } from '@krbsim/client';
import { Kdc } from '@krbsim/kdc';
import { InProcessTransport } from '@krbsim/transport';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { serveLog } from '../src/serve-log';
import { distributeChange } from '../src/serve-workers';
import { buildRealms, type PasswordChange } from '../src/start-topology';
import { parseTopology } from '../src/topology';
import {
  PasswordChangeRelay,
  type PoolWorker,
  type PrimaryMessage,
  passwordChangeHandler,
  WorkerPasswordChanges,
  WorkerPool,
  type WorkerReport,
} from '../src/worker-pool';

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'krbsim-worker-pool-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

/** A few turns of the event loop: what was going to settle without a worker's word has settled. */
async function turns(n = 10): Promise<void> {
  for (let i = 0; i < n; i++) await new Promise<void>((r) => setImmediate(r));
}

let nextId = 1;

/**
 * A worker as the primary sees one: it takes the IPC messages, and its realms' passwords are the
 * changes it applied (`passwords`), a resync clearing them, as `WorkerPasswordChanges` does in a real
 * worker; its acknowledgments arrive on the next turn (at once with `prompt`), or when `release` is
 * called while `hold` is set. Told to stop, it exits on the next turn.
 */
class StandInWorker extends EventEmitter implements PoolWorker {
  readonly id = nextId++;
  readonly process = { pid: 40_000 + this.id };
  readonly inbox: PrimaryMessage[] = [];
  readonly passwords: PasswordChange[] = [];
  rebuilds = 0;
  hold = false;
  prompt = false;
  readonly #held: (() => void)[] = [];
  #connected = true;
  readonly changes: WorkerPasswordChanges;

  constructor(
    start: { epoch: number; passwordChanges: readonly PasswordChange[] } = { epoch: 0, passwordChanges: [] },
  ) {
    super();
    this.passwords.push(...start.passwordChanges);
    this.changes = new WorkerPasswordChanges(start, {
      apply: (c) => this.passwords.push(c),
      rebuild: () => {
        this.rebuilds++;
        this.passwords.length = 0;
      },
      report: (r: WorkerReport) => {
        const deliver = () => this.emit('message', r);
        if (this.hold) this.#held.push(deliver);
        else if (this.prompt) deliver();
        else setImmediate(deliver);
      },
    });
  }

  send(message: PrimaryMessage, callback?: (error: Error | null) => void): boolean {
    this.inbox.push(message);
    this.emit('received', message);
    if (message.type === 'password' || message.type === 'resync') this.changes.handle(message);
    if (message.type === 'stop') setImmediate(() => this.die(0, null));
    callback?.(null);
    return true;
  }

  /** The acknowledgments held back, delivered. */
  release(): void {
    this.hold = false;
    for (const deliver of this.#held.splice(0)) deliver();
  }

  /** Resolves once a message of `type` has come. */
  received(type: PrimaryMessage['type']): Promise<void> {
    if (this.inbox.some((m) => m.type === type)) return Promise.resolve();
    return new Promise((resolve) => {
      const on = (m: PrimaryMessage) => {
        if (m.type !== type) return;
        this.off('received', on);
        resolve();
      };
      this.on('received', on);
    });
  }

  isConnected(): boolean {
    return this.#connected;
  }
  isDead(): boolean {
    return !this.#connected;
  }
  kill(signal = 'SIGTERM'): void {
    this.die(null, signal);
  }
  die(code: number | null, signal: string | null): void {
    if (!this.#connected) return;
    this.#connected = false;
    this.emit('exit', code, signal);
  }
}

const TOPOLOGY = parseTopology(
  'realms:\n  - name: W.TEST\n    policy: { minPasswordAge: 0 }\n    users: [{ name: alice, password: Al1ce-Passw0rd }]\n',
);

/** W.TEST as the primary holds it, its KDC in process, and a client of it. */
function primaryRealm() {
  const realm = buildRealms(TOPOLOGY, { seed: 'w' }).get('W.TEST')!;
  const kdc = new Kdc(realm);
  const client = new KerberosClient({
    realm: 'W.TEST',
    transport: new InProcessTransport().register('W.TEST', (r) => kdc.handle(r)),
  });
  const logsOn = (password: string) =>
    client.getInitialCredentials('alice', { password }).then(
      () => true,
      () => false,
    );
  return { realm, client, logsOn };
}

const change = (password: string): PasswordChange => ({
  realm: 'W.TEST',
  principal: 'alice@W.TEST',
  password,
});

/** The kpasswd handler of `realm`, handing each change to `workers` (and `feed`), its log lines into `lines`. */
function kpasswdTo(
  realm: Parameters<typeof passwordChangeHandler>[0],
  relay: PasswordChangeRelay,
  workers: readonly StandInWorker[],
  feed: string | undefined,
  lines: string[],
) {
  return passwordChangeHandler(
    realm,
    (c) =>
      distributeChange(
        relay,
        () => workers,
        () => feed,
        c,
      ),
    (l) => lines.push(l),
  );
}

describe("the primary's password-change service with --workers", () => {
  it('answers only once every worker acknowledged the change', async () => {
    const { realm, client, logsOn } = primaryRealm();
    const relay = new PasswordChangeRelay();
    const [a, b] = [new StandInWorker(), new StandInWorker()];
    b.hold = true; // b applies the change, but its word is late
    const lines: string[] = [];
    const handle = kpasswdTo(realm, relay, [a, b], undefined, lines);
    const kpasswd = new InProcessTransport().register('W.TEST', handle);
    let answered = false;
    const done = client
      .changePassword('alice', 'Al1ce-Passw0rd', 'N3w-Passw0rd-1', { transport: kpasswd })
      .then(() => {
        answered = true;
      });
    await b.received('password');
    await turns();
    // a acknowledged; b holds the change but has not said so: the client waits.
    expect(a.passwords).toEqual([change('N3w-Passw0rd-1')]);
    expect(b.passwords).toEqual([change('N3w-Passw0rd-1')]);
    expect(answered).toBe(false);
    b.release();
    await done;
    expect(answered).toBe(true);
    expect(lines).toEqual(['kpasswd alice@W.TEST -> SUCCESS']);
    expect(await logsOn('N3w-Passw0rd-1')).toBe(true);
  });

  it('answers after the wait without a worker that never acknowledges, and the kpasswd log names it', async () => {
    const { realm, client } = primaryRealm();
    const relay = new PasswordChangeRelay(0); // no wait at all: a's word comes at once, b's never
    const [a, b] = [new StandInWorker(), new StandInWorker()];
    a.prompt = true;
    b.hold = true;
    const lines: string[] = [];
    const handle = kpasswdTo(realm, relay, [a, b], undefined, lines);
    await client.changePassword('alice', 'Al1ce-Passw0rd', 'N3w-Passw0rd-2', {
      transport: new InProcessTransport().register('W.TEST', handle),
    });
    expect(lines).toEqual([
      'kpasswd alice@W.TEST -> SUCCESS',
      `kpasswd alice@W.TEST: worker ${b.id} did not acknowledge it in time; answered without it`,
    ]);
  });

  it('sends a change to every worker even when the feed cannot be written, and the kpasswd log says so', async () => {
    const { realm, client, logsOn } = primaryRealm();
    const relay = new PasswordChangeRelay();
    const [a, b] = [new StandInWorker(), new StandInWorker()];
    const feed = dir; // a directory: appending to it fails, as a full disk or a removed file would
    const lines: string[] = [];
    const handle = kpasswdTo(realm, relay, [a, b], feed, lines);
    // The client hears SUCCESS (the realm holds the new password); the log says what it did not reach.
    await client.changePassword('alice', 'Al1ce-Passw0rd', 'N3w-Passw0rd-3', {
      transport: new InProcessTransport().register('W.TEST', handle),
    });
    expect(lines).toEqual([
      `kpasswd alice@W.TEST -> SUCCESS: onChange failed: not written to ${feed}, so no replica gets it: EISDIR: illegal operation on a directory, open '${feed}'`,
    ]);
    for (const w of [a, b]) {
      expect(w.inbox).toEqual([{ type: 'password', epoch: 0, seq: 1, change: change('N3w-Passw0rd-3') }]);
      expect(w.passwords).toEqual([change('N3w-Passw0rd-3')]);
    }
    // Counted: a worker that starts now starts with it.
    expect(relay.start).toEqual({ epoch: 0, passwordChanges: [change('N3w-Passw0rd-3')] });
    expect(await logsOn('N3w-Passw0rd-3')).toBe(true);
  });

  it('says when a change reached no worker (none serving): counted for the one that starts', () => {
    const relay = new PasswordChangeRelay();
    const gone = new StandInWorker();
    gone.die(null, 'SIGKILL');
    const d = distributeChange(
      relay,
      () => [gone],
      () => undefined,
      change('N3w-Passw0rd-4'),
    );
    expect(d.failure).toBe('sent to no worker: none serves now (one that starts will hold it)');
    expect(d.relayed.sent).toBe(0);
    expect(relay.start.passwordChanges).toEqual([change('N3w-Passw0rd-4')]);
  });
});

describe('a resync: the feed a replica follows began again', () => {
  it("has every worker build its realms again and hold the new run's changes only, a late starter too", async () => {
    const relay = new PasswordChangeRelay();
    const a = new StandInWorker();
    relay.add(change('old-1'), [a]);
    relay.add(change('old-2'), [a]);
    // A worker starting now (before the resync) is given the old run.
    const late = new StandInWorker(relay.start);
    expect(late.passwords).toEqual([change('old-1'), change('old-2')]);
    relay.resync([a]);
    const { missed } = relay.add(change('new-1'), [a]);
    expect(await missed).toEqual([]);
    expect(a.rebuilds).toBe(1);
    expect(a.passwords).toEqual([change('new-1')]);
    // An acknowledgment of the old run does not count for the new one's change of the same number.
    a.emit('message', { type: 'password-applied', epoch: 0, seq: 5 } satisfies WorkerReport);
    // The late one joins: it rebuilds, and holds the new run.
    relay.catchUp(late);
    expect(late.rebuilds).toBe(1);
    expect(late.passwords).toEqual([change('new-1')]);
    expect(late.changes.applied).toBe(1);
    // A stale change of the old run reaching it now is ignored.
    late.send({ type: 'password', epoch: 0, seq: 2, change: change('old-2') });
    expect(late.passwords).toEqual([change('new-1')]);
    expect(relay.start).toEqual({ epoch: 1, passwordChanges: [change('new-1')] });
  });
});

describe('the worker pool', () => {
  function pool(start: () => Promise<PoolWorker>) {
    const out: string[] = [];
    const changes: (readonly number[])[] = [];
    const p = new WorkerPool({
      size: 2,
      start,
      log: serveLog((l) => out.push(l), { json: true, level: 'none' }),
      onChange: (pids) => {
        changes.push(pids);
      },
    });
    const events = () => out.map((l) => JSON.parse(l) as Record<string, unknown>);
    return { p, changes, events };
  }

  it('replaces a worker that exits, and tells each change of its pids (ports.json follows)', async () => {
    const [a, b, c] = [new StandInWorker(), new StandInWorker(), new StandInWorker()];
    let started!: () => void;
    const replaced = new Promise<void>((r) => {
      started = r;
    });
    const { p, changes, events } = pool(async () => {
      queueMicrotask(started);
      return c;
    });
    p.add(a);
    p.add(b);
    expect(p.pids()).toEqual([a.process.pid, b.process.pid]);
    a.die(null, 'SIGKILL');
    // At once: the dead one's pid leaves ports.json.
    expect(changes).toEqual([[b.process.pid]]);
    await replaced;
    await turns(1);
    expect(changes).toEqual([[b.process.pid], [b.process.pid, c.process.pid]]);
    expect(events()).toEqual([
      { event: 'worker-exit', worker: a.id, pid: a.process.pid, code: null, signal: 'SIGKILL' },
      { event: 'worker-started', worker: c.id, pid: c.process.pid },
    ]);
    await p.stop();
  });

  it('says loudly when a replacement fails to start, and how many workers serve then', async () => {
    const [a, b] = [new StandInWorker(), new StandInWorker()];
    const { p, changes, events } = pool(() =>
      Promise.reject(new Error('worker 3 exited (code 1) before listening')),
    );
    p.add(a);
    p.add(b);
    a.die(1, null);
    await turns(1);
    expect(changes).toEqual([[b.process.pid]]);
    expect(events()).toEqual([
      { event: 'worker-exit', worker: a.id, pid: a.process.pid, code: 1, signal: null },
      {
        event: 'worker-failed',
        message: 'worker 3 exited (code 1) before listening',
        serving: 1,
        workers: 2,
      },
    ]);
    const text: string[] = [];
    const loud = new WorkerPool({
      size: 1,
      start: () => Promise.reject(new Error('no')),
      log: serveLog((l) => text.push(l), { json: false, level: 'none' }),
    });
    const only = new StandInWorker();
    loud.add(only);
    only.die(1, null);
    await turns(1);
    expect(text.at(-1)).toBe(
      'a replacement worker failed: no; 0 of 1 workers serve now: NONE, no request is answered (none replaces it: restart krbsim serve)\n',
    );
    await p.stop();
  });
});
