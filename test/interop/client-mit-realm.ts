/**
 * The compiled MIT helpers of the client and service interop tests
 * (test/fixtures/mit/krbtool.c), run line by line. The MIT realm they talk
 * to comes from helpers/mit-realm.ts.
 */

import { spawn } from 'node:child_process';

/** One run of the compiled helper: its first output line, and a way to answer it and read the last line. */
export interface HelperRun {
  /** The first line the helper printed (a token in hex, or `ERR ...`). */
  readonly first: string;
  /** Writes `line` to the helper's stdin, then resolves with its next line and waits for it to exit. */
  answer(line: string): Promise<string>;
  /** Ends the helper without answering. */
  kill(): Promise<void>;
}

/** Starts `cmd` and resolves when it has printed its first line. */
export function startHelper(
  cmd: string,
  args: readonly string[],
  env: Record<string, string>,
): Promise<HelperRun> {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, {
      env: { ...process.env, LC_ALL: 'C', ...env },
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    let buf = '';
    let stderr = '';
    const waiters: Array<(l: string) => void> = [];
    const lines: string[] = [];
    const exited = new Promise<void>((r) => child.once('close', () => r()));
    child.stderr.setEncoding('utf8').on('data', (d: string) => {
      stderr += d;
    });
    child.stdout.setEncoding('utf8').on('data', (d: string) => {
      buf += d;
      for (let nl = buf.indexOf('\n'); nl >= 0; nl = buf.indexOf('\n')) {
        const line = buf.slice(0, nl);
        buf = buf.slice(nl + 1);
        const w = waiters.shift();
        if (w) w(line);
        else lines.push(line);
      }
    });
    child.once('error', reject);
    child.stdin.on('error', () => {}); // the helper may exit before reading its input
    const next = (): Promise<string> =>
      new Promise((res, rej) => {
        const l = lines.shift();
        if (l !== undefined) return res(l);
        waiters.push(res);
        exited.then(() => rej(new Error(`helper exited without output; stderr: ${stderr}`)));
      });
    next().then(
      (first) =>
        resolve({
          first,
          async answer(line: string): Promise<string> {
            child.stdin.write(`${line}\n`);
            child.stdin.end();
            const last = await next();
            await exited;
            return last;
          },
          async kill(): Promise<void> {
            child.stdin.end();
            if (child.exitCode === null) child.kill();
            await exited;
          },
        }),
      (e) => {
        child.kill();
        reject(e);
      },
    );
  });
}
