/**
 * Password changes from one `krbsim serve` to its replicas (`--replica-of`),
 * as MIT's kpropd carries a primary KDC's database to its replicas: the
 * primary appends each change its password-change service makes to
 * `password-changes.jsonl` in its directory, one JSON line each, in order,
 * and names the file in `ports.json`; a replica applies what the file holds
 * before it listens, then follows it, each new line once and in order.
 *
 * Security: the lines hold passwords (as a topology file and the Azure lab's
 * `principals.json` do), so the file is created 0600 in the 0700 directory.
 *
 * @module
 */

import { appendFileSync, closeSync, fstatSync, openSync, readSync, writeFileSync } from 'node:fs';
import type { PasswordChange } from './start-topology';

/** The file's name in a served directory. */
export const PASSWORD_FEED_FILE = 'password-changes.jsonl';

/** Creates the feed, empty and 0600 (the primary, at start). */
export function createPasswordFeed(file: string): void {
  writeFileSync(file, '', { mode: 0o600 });
}

/** Appends one change (the primary's password-change service, once the realm holds it). */
export function appendPasswordChange(file: string, change: PasswordChange): void {
  const { realm, principal, password } = change;
  appendFileSync(file, `${JSON.stringify({ realm, principal, password })}\n`, { mode: 0o600 });
}

/**
 * Follows a feed: each {@link PasswordFeedReader.read} returns the changes
 * appended since the last one, whole lines only (a line still being written
 * waits for the next read). A line that is not a change is skipped and
 * counted in {@link PasswordFeedReader.skipped}.
 */
export class PasswordFeedReader {
  readonly #file: string;
  #offset = 0;
  #pending = '';
  skipped = 0;

  constructor(file: string) {
    this.#file = file;
  }

  /** The changes appended since the last read, in order. */
  read(): PasswordChange[] {
    const fd = openSync(this.#file, 'r');
    let text: string;
    try {
      const size = fstatSync(fd).size;
      if (size <= this.#offset) return [];
      const buf = Buffer.alloc(size - this.#offset);
      const n = readSync(fd, buf, 0, buf.length, this.#offset);
      this.#offset += n;
      text = this.#pending + buf.subarray(0, n).toString('utf8');
    } finally {
      closeSync(fd);
    }
    const lines = text.split('\n');
    this.#pending = lines.pop() ?? '';
    const changes: PasswordChange[] = [];
    for (const line of lines) {
      const change = parseChange(line);
      if (change === undefined) this.skipped++;
      else changes.push(change);
    }
    return changes;
  }
}

function parseChange(line: string): PasswordChange | undefined {
  try {
    const v = JSON.parse(line) as Record<string, unknown>;
    const { realm, principal, password } = v;
    if (typeof realm === 'string' && typeof principal === 'string' && typeof password === 'string') {
      return { realm, principal, password };
    }
  } catch {
    // not JSON: skipped
  }
  return undefined;
}
