/**
 * The primary's side of `krbsim serve --workers N` (serve-workers.ts), without
 * `node:cluster`, so tests drive it with stand-in workers:
 *
 * - the messages the primary and a worker exchange over the IPC channel;
 * - {@link WorkerPool}: the workers that serve, each dead one reported and
 *   replaced, the pids (`ports.json`'s `workers`) told whenever they change;
 * - {@link PasswordChangeRelay}: the password changes every worker must hold,
 *   numbered, sent to each and acknowledged, started over (a resync) when
 *   the feed a replica follows begins again;
 * - {@link passwordChangeHandler}: the password-change service (kpasswd), whose
 *   answer waits until every worker acknowledged the change;
 * - {@link WorkerPasswordChanges}: the worker's side of the changes.
 *
 * @module
 */

import type { EventEmitter } from 'node:events';
import { KpasswdService, type Realm } from '@krbsim/kdc';
import type { LogLevel } from './request-log';
import type { ServeLog } from './serve-log';
import type { KdcServerInfo, PasswordChange } from './start-topology';
import type { TopologyFile } from './topology';

/** What the primary sends a worker once, right after forking it. */
export interface WorkerStart {
  readonly type: 'start';
  readonly topology: TopologyFile;
  readonly seed: number | string;
  readonly host?: string;
  readonly json: boolean;
  readonly level: LogLevel;
  /** The run of password changes the worker starts in: 0, then one more at each resync. */
  readonly epoch: number;
  /** The passwords changed so far in that run (a replacement worker starts with them). */
  readonly passwordChanges: readonly PasswordChange[];
}

/**
 * A password changed (by the primary's password-change service, or at the
 * process a replica follows): number `seq` of run `epoch`, applied by each
 * worker once and in order, then acknowledged (`password-applied`), and only
 * then answered to the client, so that the next logon with the new password
 * finds it whichever worker serves it.
 */
export interface WorkerPasswordChange {
  readonly type: 'password';
  readonly epoch: number;
  readonly seq: number;
  readonly change: PasswordChange;
}

/**
 * The feed a replica follows began again (its process restarted): the worker
 * builds its realms again from the topology and seed, without the changes of
 * earlier runs, and takes run `epoch`'s from number 1. A worker already in
 * that run ignores it.
 */
export interface WorkerResync {
  readonly type: 'resync';
  readonly epoch: number;
}

/** What the primary sends a worker. */
export type PrimaryMessage = WorkerStart | WorkerPasswordChange | WorkerResync | { readonly type: 'stop' };

/**
 * What a worker says: `hello` once it listens for the start message (a
 * message sent earlier, while its modules load, would be lost), then
 * `listening` once its KDCs listen, or `failed`; `password-applied` for each
 * change its realms hold.
 */
export type WorkerReport =
  | { readonly type: 'hello' }
  | {
      readonly type: 'listening';
      readonly servers: readonly KdcServerInfo[];
      readonly checks: Readonly<Record<string, string>>;
    }
  | { readonly type: 'failed'; readonly message: string }
  | { readonly type: 'password-applied'; readonly epoch: number; readonly seq: number };

/** What the pool needs of a worker: a cluster `Worker`, or a stand-in in tests. */
export interface PoolWorker extends Pick<EventEmitter, 'on' | 'once' | 'off'> {
  readonly id: number;
  readonly process: { readonly pid?: number | undefined };
  send(message: PrimaryMessage, callback?: (error: Error | null) => void): boolean;
  isConnected(): boolean;
  isDead(): boolean;
  kill(signal?: string): void;
}

/**
 * A send's callback that ignores its error: without a callback, a send that fails (the worker's
 * channel just closed) is an 'error' event on the worker, which ends the primary unless handled;
 * the worker's exit is handled (replaced) already.
 */
const ignore = (): void => {};

/** How long the primary waits for a worker to apply a password change before answering without it. */
const APPLY_TIMEOUT_MS = 5_000;

/** How a change sent to one worker ended. */
type ChangeOutcome = 'applied' | 'exited' | 'timeout' | 'unsent';

/**
 * Send `msg` to `w`; resolves once `w` acknowledged it (`applied`), exited
 * (its replacement starts with the change), or not within `timeoutMs`, or
 * the message could not be sent.
 */
function sendChange(w: PoolWorker, msg: WorkerPasswordChange, timeoutMs: number): Promise<ChangeOutcome> {
  return new Promise((resolve) => {
    let timer: ReturnType<typeof setTimeout> | undefined;
    const done = (outcome: ChangeOutcome) => {
      clearTimeout(timer);
      w.off('message', onMessage);
      w.off('exit', onExit);
      resolve(outcome);
    };
    const onMessage = (m: WorkerReport) => {
      if (m?.type === 'password-applied' && m.epoch === msg.epoch && m.seq >= msg.seq) done('applied');
    };
    const onExit = () => done('exited');
    if (!w.isConnected()) return done('unsent');
    timer = setTimeout(() => done('timeout'), timeoutMs);
    timer.unref?.();
    w.on('message', onMessage);
    w.once('exit', onExit);
    w.send(msg, (error) => {
      if (error !== null) done('unsent');
    });
  });
}

/** One change handed to the workers: how many it was sent to, and, once each answered, those that did not apply it. */
export interface Relayed {
  readonly sent: number;
  readonly missed: Promise<readonly { readonly worker: number; readonly outcome: ChangeOutcome }[]>;
}

/**
 * The password changes every worker must hold, in order (see
 * {@link WorkerPasswordChange}): a change is counted first, so a worker that
 * starts later starts with it, then sent to every worker serving.
 */
export class PasswordChangeRelay {
  #epoch = 0;
  readonly #changes: PasswordChange[] = [];
  readonly #timeoutMs: number;

  constructor(timeoutMs: number = APPLY_TIMEOUT_MS) {
    this.#timeoutMs = timeoutMs;
  }

  /** What a worker starting now starts with. */
  get start(): Pick<WorkerStart, 'epoch' | 'passwordChanges'> {
    return { epoch: this.#epoch, passwordChanges: [...this.#changes] };
  }

  /** A worker that started (with an earlier {@link start}): what changed meanwhile; it ignores what it holds. */
  catchUp(w: PoolWorker): void {
    if (!w.isConnected()) return;
    w.send({ type: 'resync', epoch: this.#epoch }, ignore);
    // No one waits on these: a plain send, not sendChange's listeners and timer for each change.
    for (const [i, change] of this.#changes.entries()) {
      w.send({ type: 'password', epoch: this.#epoch, seq: i + 1, change }, ignore);
    }
  }

  /** Count `change`, then send it to each of `workers`. */
  add(change: PasswordChange, workers: Iterable<PoolWorker>): Relayed {
    const msg: WorkerPasswordChange = {
      type: 'password',
      epoch: this.#epoch,
      seq: this.#changes.push(change),
      change,
    };
    let sent = 0;
    const outcomes: Promise<{ worker: number; outcome: ChangeOutcome }>[] = [];
    for (const w of workers) {
      if (w.isConnected()) sent++;
      outcomes.push(sendChange(w, msg, this.#timeoutMs).then((outcome) => ({ worker: w.id, outcome })));
    }
    return {
      sent,
      missed: Promise.all(outcomes).then((all) =>
        all.filter((o) => o.outcome === 'timeout' || o.outcome === 'unsent'),
      ),
    };
  }

  /** The feed began again: no change counted any more, and every worker builds its realms again. */
  resync(workers: Iterable<PoolWorker>): void {
    this.#epoch++;
    this.#changes.length = 0;
    for (const w of workers) if (w.isConnected()) w.send({ type: 'resync', epoch: this.#epoch }, ignore);
  }
}

/** What {@link passwordChangeHandler}'s `distribute` did with a change. */
export interface Distributed {
  readonly relayed: Relayed;
  /** Why the change did not reach everything it should (a worker, the feed): the kpasswd log says it. */
  readonly failure?: string;
}

/**
 * The password-change service (kpasswd, RFC 3244) of `realm`, which the
 * primary holds too: a change is answered once `distribute` had every
 * worker hold it (or {@link APPLY_TIMEOUT_MS} passed). The service's log
 * lines go to `log`, with `onChange failed: <why>` when `distribute` says the
 * change did not reach everything (the client is told SUCCESS all the same:
 * the realm holds the change), and a line naming the workers that did not
 * acknowledge it in time.
 */
export function passwordChangeHandler(
  realm: Realm,
  distribute: (change: PasswordChange) => Distributed,
  log?: (line: string) => void,
): (request: Uint8Array) => Promise<Uint8Array> {
  let pending: { principal: string; relayed: Relayed } | undefined;
  const service = new KpasswdService(realm, {
    ...(log !== undefined && { log }),
    onChange: (principal, password) => {
      const d = distribute({ realm: realm.name, principal, password });
      pending = { principal, relayed: d.relayed };
      if (d.failure !== undefined) throw new Error(d.failure);
    },
  });
  return async (request) => {
    const reply = service.handle(request);
    const changed = pending;
    pending = undefined;
    if (changed !== undefined) {
      const missed = await changed.relayed.missed;
      if (missed.length > 0) {
        log?.(
          `kpasswd ${changed.principal}: ${missed
            .map(
              (m) =>
                `worker ${m.worker} ${m.outcome === 'timeout' ? 'did not acknowledge it in time' : 'could not be sent it'}`,
            )
            .join(', ')}; answered without it`,
        );
      }
    }
    return reply;
  };
}

/** Options for {@link WorkerPool}. */
export interface WorkerPoolOptions {
  /** The workers it keeps serving. */
  readonly size: number;
  /** Fork a worker and resolve once it listens (reject if it fails or exits first). */
  readonly start: () => Promise<PoolWorker>;
  readonly log: ServeLog;
  /** A worker joined (a replacement, once it listens): hand it what changed while it started. */
  readonly onJoin?: (w: PoolWorker) => void;
  /**
   * The serving workers' pids changed (one exited, a replacement serves): `ports.json` follows. The
   * `worker-exit` and `worker-started` lines wait for it, so that a reader who sees one finds
   * `ports.json` saying so.
   */
  readonly onChange?: (pids: readonly number[]) => Promise<void> | void;
}

/**
 * The workers serving: a worker that exits is reported (`worker-exit`) and
 * replaced (`worker-started`), a replacement that fails to start reported
 * loudly (`worker-failed`, with how many serve now), and each change of the
 * pool told to `onChange`.
 */
export class WorkerPool {
  readonly #live = new Set<PoolWorker>();
  readonly #opts: WorkerPoolOptions;
  #stopping = false;

  constructor(opts: WorkerPoolOptions) {
    this.#opts = opts;
  }

  /** The workers serving now, oldest first. */
  get workers(): readonly PoolWorker[] {
    return [...this.#live];
  }

  /** Their pids, oldest first. */
  pids(): number[] {
    return this.workers.map((w) => w.process.pid!);
  }

  /** Keep `w` (listening already) serving: replaced when it exits. */
  add(w: PoolWorker): void {
    this.#live.add(w);
    this.#opts.onJoin?.(w);
    w.once('exit', (code: number | null, signal: string | null) => this.#exited(w, code, signal));
  }

  #exited(w: PoolWorker, code: number | null, signal: string | null): void {
    this.#live.delete(w);
    if (this.#stopping) return;
    const { log, size } = this.#opts;
    // A worker died: say so, and replace it (the others keep serving meanwhile).
    void Promise.resolve(this.#opts.onChange?.(this.pids())).then(() =>
      log.lifecycle(
        { event: 'worker-exit', worker: w.id, pid: w.process.pid, code, signal },
        `worker ${w.id} (pid ${w.process.pid}) exited (${signal ?? `code ${code}`}); starting another`,
      ),
    );
    this.#opts.start().then(
      async (worker) => {
        if (this.#stopping) {
          worker.kill();
          return;
        }
        this.add(worker);
        await this.#opts.onChange?.(this.pids());
        log.lifecycle(
          { event: 'worker-started', worker: worker.id, pid: worker.process.pid },
          `worker ${worker.id} (pid ${worker.process.pid}) serving`,
        );
      },
      (e: Error) => {
        if (this.#stopping) return;
        const serving = this.#live.size;
        log.lifecycle(
          { event: 'worker-failed', message: e.message, serving, workers: size },
          `a replacement worker failed: ${e.message}; ${serving} of ${size} workers serve now` +
            (serving === 0 ? ': NONE, no request is answered' : '') +
            ' (none replaces it: restart krbsim serve)',
        );
      },
    );
  }

  /** Stop every worker (a worker that does not stop within 5 s is killed); none is replaced any more. */
  async stop(): Promise<void> {
    this.#stopping = true;
    await Promise.all(
      [...this.#live].map(
        (w) =>
          new Promise<void>((resolve) => {
            if (w.isDead()) return resolve();
            const timer = setTimeout(() => w.kill('SIGKILL'), 5_000);
            w.once('exit', () => {
              clearTimeout(timer);
              resolve();
            });
            if (w.isConnected()) w.send({ type: 'stop' }, ignore);
            else w.kill('SIGTERM');
          }),
      ),
    );
  }
}

/**
 * A worker's side of the password changes: applies each once and in order,
 * acknowledges it, and on a resync builds its realms again (`rebuild`) and
 * takes the new run's changes from number 1. A message of another run is
 * ignored (a resync always comes first).
 */
export class WorkerPasswordChanges {
  #epoch: number;
  #applied: number;
  readonly #apply: (change: PasswordChange) => void;
  readonly #rebuild: () => void;
  readonly #report: (r: WorkerReport) => void;

  /** `start`: the run and the changes the worker was built with (applied already). */
  constructor(
    start: Pick<WorkerStart, 'epoch' | 'passwordChanges'>,
    hooks: {
      apply: (change: PasswordChange) => void;
      rebuild: () => void;
      report: (r: WorkerReport) => void;
    },
  ) {
    this.#epoch = start.epoch;
    this.#applied = start.passwordChanges.length;
    this.#apply = hooks.apply;
    this.#rebuild = hooks.rebuild;
    this.#report = hooks.report;
  }

  /** How many changes of the current run its realms hold. */
  get applied(): number {
    return this.#applied;
  }

  handle(msg: WorkerPasswordChange | WorkerResync): void {
    if (msg.type === 'resync') {
      if (msg.epoch === this.#epoch) return;
      this.#rebuild();
      this.#epoch = msg.epoch;
      this.#applied = 0;
      return;
    }
    if (msg.epoch !== this.#epoch) return;
    if (msg.seq === this.#applied + 1) {
      this.#apply(msg.change);
      this.#applied = msg.seq;
    }
    if (msg.seq <= this.#applied) this.#report({ type: 'password-applied', epoch: msg.epoch, seq: msg.seq });
  }
}
