/**
 * `krbsim serve` run in process for tests, with `--json-log --quiet`: until
 * its ready line ({@link serveUntilReady}) or to its exit ({@link serveExit}).
 */

import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { runCli } from '../src/cli';
import type { PortsJson } from '../src/topology-files';

/** A serve that is ready: its ready line, the files it wrote, and a way to stop it. */
export interface ReadyServe {
  readonly ready: { readonly dir: string; readonly temporary?: string };
  readonly ports: PortsJson;
  readonly krb5conf: string;
  /** Aborts the serve; resolves with its exit code and everything it printed. */
  stop(): Promise<{ code: number; out: string }>;
}

/** Runs `krbsim serve argv` until its ready line; throws with its output if it exits first. */
export async function serveUntilReady(argv: readonly string[]): Promise<ReadyServe> {
  const controller = new AbortController();
  let out = '';
  let onOut: () => void = () => {};
  const ready = new Promise<void>((resolve) => {
    onOut = () => {
      if (out.includes('"event":"ready"')) resolve();
    };
  });
  const write = (t: string) => {
    out += t;
    onOut();
  };
  const done = runCli(['serve', ...argv, '--json-log', '--quiet'], {
    stdout: write,
    stderr: write,
    signal: controller.signal,
  });
  const exited = await Promise.race([ready.then(() => undefined), done]);
  if (exited !== undefined) throw new Error(`krbsim serve exited ${exited} before it was ready:\n${out}`);
  const readyLine = JSON.parse(out.split('\n').find((l) => l.includes('"event":"ready"'))!) as {
    dir: string;
    temporary?: string;
  };
  return {
    ready: readyLine,
    ports: JSON.parse(await readFile(join(readyLine.dir, 'ports.json'), 'utf8')) as PortsJson,
    krb5conf: await readFile(join(readyLine.dir, 'krb5.conf'), 'utf8'),
    async stop() {
      controller.abort();
      return { code: await done, out };
    },
  };
}

/** Runs `krbsim serve argv` that is expected to exit by itself (a refusal): its code and output. */
export async function serveExit(argv: readonly string[]): Promise<{ code: number; out: string }> {
  let out = '';
  const write = (t: string) => {
    out += t;
  };
  const code = await runCli(['serve', ...argv, '--json-log', '--quiet'], { stdout: write, stderr: write });
  return { code, out };
}
