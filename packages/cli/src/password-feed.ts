/**
 * Password changes from one `krbsim serve` to its replicas (`--replica-of`),
 * as MIT's kpropd carries a primary KDC's database to its replicas: the
 * primary appends each change its password-change service makes to
 * `password-changes.jsonl` in its directory, one JSON line each, in order,
 * and names the file in `ports.json`; a replica applies what the file holds
 * before it listens, then follows it, each new line once and in order.
 *
 * The first line names the feed (`{"feed":"<random id>"}`), new at each
 * start of the serving process: a replica that finds another id knows the
 * process started again and reads the new feed from its start.
 *
 * Security: the lines hold passwords (as a topology file and the Azure lab's
 * `principals.json` do), so the file is created 0600 in the 0700 directory.
 *
 * @module
 */

import { randomUUID } from 'node:crypto';
import {
  appendFileSync,
  closeSync,
  fstatSync,
  openSync,
  readSync,
  renameSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import type { PasswordChange } from './start-topology';

/** The file's name in a served directory. */
export const PASSWORD_FEED_FILE = 'password-changes.jsonl';

/**
 * Begins a feed: its naming line only, 0600 (the serving process, at start).
 * Security: a new file replaces whatever was there (created exclusively,
 * then renamed over it), so an older file's wider mode is not kept for
 * lines that will hold passwords.
 */
export function createPasswordFeed(file: string): void {
  const tmp = `${file}.${process.pid}.tmp`;
  rmSync(tmp, { force: true });
  writeFileSync(tmp, `${JSON.stringify({ feed: randomUUID() })}\n`, { mode: 0o600, flag: 'wx' });
  renameSync(tmp, file);
}

/** Appends one change (the password-change service, once the realm holds it). */
export function appendPasswordChange(file: string, change: PasswordChange): void {
  const { realm, principal, password } = change;
  appendFileSync(file, `${JSON.stringify({ realm, principal, password })}\n`, { mode: 0o600 });
}

/**
 * Follows a feed: each {@link PasswordFeedReader.read} returns the changes
 * appended since the last one, whole lines only (a line still being written
 * waits for the next read). A line that is not a change is skipped and
 * counted in {@link PasswordFeedReader.skipped}; a feed begun again (another
 * id on its first line) is read from its start ({@link PasswordFeedReader.restarts}).
 */
export class PasswordFeedReader {
  readonly #file: string;
  #offset = 0;
  #pending = '';
  #id: string | undefined;
  /** Lines that were no change. */
  skipped = 0;
  /** How often the feed was found begun again (its process restarted). */
  restarts = 0;

  constructor(file: string) {
    this.#file = file;
  }

  /**
   * True once a read found the file gone (its primary stopped and removed its
   * directory): the replica serves on with what it has; a feed that comes back
   * is read again.
   */
  missing = false;

  /** The changes appended since the last read, in order; none while the file is missing. */
  read(): PasswordChange[] {
    let fd: number;
    try {
      fd = openSync(this.#file, 'r');
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw e;
      this.missing = true;
      return [];
    }
    this.missing = false;
    let text: string;
    try {
      const size = fstatSync(fd).size;
      const id = feedId(fd, size);
      if (this.#id !== undefined && id !== this.#id) {
        this.#offset = 0;
        this.#pending = '';
        this.restarts++;
      }
      this.#id = id;
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
      if (parseId(line) !== undefined) continue; // the naming line
      const change = parseChange(line);
      if (change === undefined) this.skipped++;
      else changes.push(change);
    }
    return changes;
  }
}

/** The id on the feed's first line (undefined while it is not there whole). */
function feedId(fd: number, size: number): string | undefined {
  const head = Buffer.alloc(Math.min(size, 128));
  const n = readSync(fd, head, 0, head.length, 0);
  const line = head.subarray(0, n).toString('utf8');
  const end = line.indexOf('\n');
  return end < 0 ? undefined : parseId(line.slice(0, end));
}

function parseId(line: string): string | undefined {
  try {
    const v = JSON.parse(line) as Record<string, unknown>;
    return typeof v.feed === 'string' ? v.feed : undefined;
  } catch {
    return undefined;
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
