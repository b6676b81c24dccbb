/**
 * What the network targets share: a TCP connection to a server on
 * 127.0.0.1, and an inbox of what it delivers, read with a deadline.
 */

import { connect, type Socket } from 'node:net';
import { InvariantError } from './checks';

/** Where the network targets' servers listen: loopback only. */
export const HOST = '127.0.0.1';

/** A connection to 127.0.0.1:`port`; errors after it opened are left to its 'close'. */
export function connectLoopback(port: number, options: { noDelay?: boolean } = {}): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const s = connect({ port, host: HOST, noDelay: options.noDelay ?? false });
    s.once('error', reject);
    s.once('connect', () => {
      s.off('error', reject);
      s.on('error', () => {});
      resolve(s);
    });
  });
}

/** What a connection delivers, in order: `next` gives the next item, or 'closed', or 'timeout'. */
export class Inbox<T> {
  readonly #items: T[] = [];
  #closed = false;
  #broken: string | undefined;
  #wake: (() => void) | undefined;

  /** Items arrived. */
  push(...items: T[]): void {
    this.#items.push(...items);
    this.#wake?.();
  }

  /** The connection closed: once the items are read, `next` says so. */
  close(): void {
    this.#closed = true;
    this.#wake?.();
  }

  /** What arrived breaks an invariant: `next` throws it (the first reason given). */
  break(why: string): void {
    this.#broken ??= why;
    this.#wake?.();
  }

  get closed(): boolean {
    return this.#closed;
  }

  /** The next item, or 'closed', or 'timeout' after `ms`. */
  async next(ms: number): Promise<T | 'closed' | 'timeout'> {
    const deadline = performance.now() + ms;
    for (;;) {
      if (this.#broken !== undefined) throw new InvariantError(this.#broken);
      if (this.#items.length > 0) return this.#items.shift()!;
      if (this.#closed) return 'closed';
      const left = deadline - performance.now();
      if (left <= 0) return 'timeout';
      await new Promise<void>((resolve) => {
        const t = setTimeout(done, left);
        const self = this;
        function done() {
          clearTimeout(t);
          self.#wake = undefined;
          resolve();
        }
        this.#wake = done;
      });
    }
  }
}
