/**
 * Building and driving gss-peer.c, the GSS-API peer compiled against MIT
 * krb5 or Heimdal: one line out per line in (see the C file's comment).
 */

import { type ChildProcess, spawn } from 'node:child_process';
import { join } from 'node:path';
import { runCommand } from './helpers/processes';

const SOURCE = join(import.meta.dirname, 'gss-peer.c');

/** Compiles gss-peer.c to `out`, against MIT (`-lgssapi_krb5`) or the Heimdal library directory given. */
export async function buildGssPeer(gcc: string, out: string, heimdalLibDir?: string): Promise<void> {
  const link =
    heimdalLibDir === undefined
      ? ['-lgssapi_krb5']
      : [join(heimdalLibDir, 'libgssapi.so.3'), `-Wl,-rpath,${heimdalLibDir}`];
  const r = await runCommand(gcc, ['-Wall', '-o', out, SOURCE, ...link], { timeoutMs: 120_000 });
  if (r.code !== 0) throw new Error(`gcc failed (${r.code}): ${r.stderr}`);
}

const hex = (b: Uint8Array): string => (b.length === 0 ? '-' : Buffer.from(b).toString('hex'));
const unhex = (s: string): Uint8Array =>
  s === '-' ? new Uint8Array(0) : new Uint8Array(Buffer.from(s, 'hex'));

/** A reply to UNWRAP: the major status (supplementary bits included), conf_state and the message. */
export interface PeerUnwrap {
  readonly major: number;
  readonly conf: boolean;
  readonly message: Uint8Array;
}

/** A reply to UNWRAP-STATUS or VERIFY-STATUS: the statuses as numbers, failed or not. */
export interface PeerStatus {
  /** The major status: calling error, routine error and supplementary bits. */
  readonly major: number;
  /** The mechanism's minor status (a com_err code for MIT). */
  readonly minor: number;
  /** UNWRAP-STATUS: conf_state and the message that came out (empty on failure). */
  readonly conf?: boolean;
  readonly message?: Uint8Array;
}

/** GSS major status bits (RFC 2744 section 3.9.1). */
export const GssMajor = {
  DUPLICATE_TOKEN: 1 << 1,
  OLD_TOKEN: 1 << 2,
  UNSEQ_TOKEN: 1 << 3,
  GAP_TOKEN: 1 << 4,
  DEFECTIVE_TOKEN: 9 << 16,
  BAD_SIG: 6 << 16,
} as const;

/** One running gss-peer. */
export class GssPeer {
  readonly #child: ChildProcess;
  readonly #lines: string[] = [];
  #waiter: ((l: string | undefined) => void) | undefined;
  #stderr = '';
  #closed = false;

  private constructor(child: ChildProcess) {
    this.#child = child;
    let buf = '';
    child.stdout!.setEncoding('utf8').on('data', (d: string) => {
      buf += d;
      for (let nl = buf.indexOf('\n'); nl >= 0; nl = buf.indexOf('\n')) {
        this.#push(buf.slice(0, nl));
        buf = buf.slice(nl + 1);
      }
    });
    child.stderr!.setEncoding('utf8').on('data', (d: string) => {
      this.#stderr += d;
    });
    child.on('close', () => {
      this.#closed = true;
      const w = this.#waiter;
      this.#waiter = undefined;
      w?.(undefined);
    });
    child.stdin!.on('error', () => {});
  }

  #push(line: string): void {
    const w = this.#waiter;
    this.#waiter = undefined;
    if (w) w(line);
    else this.#lines.push(line);
  }

  /** Starts `cmd args` with `env` added to this process's. */
  static start(cmd: string, args: readonly string[], env: Record<string, string>): GssPeer {
    return new GssPeer(spawn(cmd, args, { env: { ...process.env, LC_ALL: 'C', ...env }, stdio: 'pipe' }));
  }

  /** The next line the peer prints. */
  async line(): Promise<string> {
    const l = this.#lines.shift();
    if (l !== undefined) return l;
    if (this.#closed) throw new Error(`gss-peer exited; stderr: ${this.#stderr}`);
    const next = await new Promise<string | undefined>((r) => {
      this.#waiter = r;
    });
    if (next === undefined) throw new Error(`gss-peer exited; stderr: ${this.#stderr}`);
    return next;
  }

  /** Reads a `TOKEN <hex>` line (an empty token is `TOKEN -`). */
  async token(): Promise<Uint8Array> {
    const l = await this.line();
    if (!l.startsWith('TOKEN ')) throw new Error(`expected a TOKEN line, got: ${l}`);
    return unhex(l.slice(6));
  }

  /** Writes a `TOKEN <hex>` line. */
  sendToken(token: Uint8Array): void {
    this.#child.stdin!.write(`TOKEN ${hex(token)}\n`);
  }

  /** Reads the `READY <flags>` line and returns the context flags. */
  async ready(): Promise<number> {
    const l = await this.line();
    if (!l.startsWith('READY ')) throw new Error(`expected READY, got: ${l}`);
    return Number.parseInt(l.slice(6), 16);
  }

  /** Sends `cmd` and returns the words after OK of its reply; an ERR reply is thrown. */
  async ask(cmd: string): Promise<string[]> {
    this.#child.stdin!.write(`${cmd}\n`);
    const l = await this.line();
    if (l.startsWith('ERR ')) throw new Error(`gss-peer: ${l}`);
    return l.split(' ').slice(1);
  }

  /** gss_wrap. */
  async wrap(message: Uint8Array, conf: boolean): Promise<Uint8Array> {
    return unhex((await this.ask(`WRAP ${conf ? 1 : 0} ${hex(message)}`))[0]!);
  }

  /** gss_get_mic. */
  async mic(message: Uint8Array): Promise<Uint8Array> {
    return unhex((await this.ask(`MIC ${hex(message)}`))[0]!);
  }

  /** gss_unwrap; a GSS error is thrown with the library's messages. */
  async unwrap(token: Uint8Array): Promise<PeerUnwrap> {
    const [major, conf, msg] = await this.ask(`UNWRAP ${hex(token)}`);
    return { major: Number.parseInt(major!, 16), conf: conf === '1', message: unhex(msg!) };
  }

  /** gss_verify_mic: the major status (supplementary bits included). */
  async verify(message: Uint8Array, token: Uint8Array): Promise<number> {
    return Number.parseInt((await this.ask(`VERIFY ${hex(message)} ${hex(token)}`))[0]!, 16);
  }

  async #status(cmd: string): Promise<string[]> {
    this.#child.stdin!.write(`${cmd}\n`);
    const l = await this.line();
    if (!l.startsWith('STATUS ')) throw new Error(`gss-peer: expected STATUS, got: ${l}`);
    return l.split(' ').slice(1);
  }

  /** gss_unwrap, reporting the statuses whatever they are. */
  async unwrapStatus(token: Uint8Array): Promise<PeerStatus> {
    const [major, minor, conf, msg] = await this.#status(`UNWRAP-STATUS ${hex(token)}`);
    return {
      major: Number.parseInt(major!, 16),
      minor: Number.parseInt(minor!, 16),
      conf: conf === '1',
      message: unhex(msg!),
    };
  }

  /** gss_verify_mic, reporting the statuses whatever they are. */
  async verifyStatus(message: Uint8Array, token: Uint8Array): Promise<PeerStatus> {
    const [major, minor] = await this.#status(`VERIFY-STATUS ${hex(message)} ${hex(token)}`);
    return { major: Number.parseInt(major!, 16), minor: Number.parseInt(minor!, 16) };
  }

  /** Ends the peer: QUIT, and SIGKILL if it has not exited 10 s later (a stuck JVM, say). */
  async close(): Promise<void> {
    if (this.#closed) return;
    const exited = new Promise<void>((r) => this.#child.once('close', () => r()));
    this.#child.stdin!.end('QUIT\n');
    const kill = setTimeout(() => this.#child.kill('SIGKILL'), 10_000);
    try {
      await exited;
    } finally {
      clearTimeout(kill);
    }
  }
}
