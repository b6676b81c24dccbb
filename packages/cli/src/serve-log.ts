/**
 * What `krbsim serve` writes to stdout: lifecycle lines (listening, ready,
 * stopped, workers), one line per request, the listeners' own lines and
 * internal errors, as text or as one JSON object per line (`--json-log`),
 * filtered by `--log-level`. Each line is one `write`, so the lines of
 * several worker processes sharing stdout never interleave within a line.
 *
 * @module
 */

import type { StartAzureLabOptions } from './azure-lab';
import { capLogLine, escapeLogText } from './log-text';
import {
  type LoginLogEntry,
  type LogLevel,
  loginJson,
  loginText,
  type RequestLogEntry,
  requestJson,
  requestText,
} from './request-log';
import type { StartTopologyOptions } from './start-topology';

/** Writes the log of one `serve` process (the primary, a worker, or the only process). */
export interface ServeLog {
  /** A lifecycle line: written at every level. */
  lifecycle(event: Record<string, unknown> & { event: string }, text: string): void;
  /** The `startTopology` options that route requests, listener lines and internal errors here. */
  readonly topologyOptions: Pick<
    StartTopologyOptions,
    'log' | 'logRequests' | 'transportLog' | 'onInternalError' | 'kpasswdLog'
  >;
  /**
   * The same for an Azure lab (`startAzureLab`), with its TDS logins: every
   * one at `info` and `debug`, the refused ones at `error`.
   */
  readonly labOptions: Pick<
    StartAzureLabOptions,
    'log' | 'logRequests' | 'transportLog' | 'onInternalError' | 'onLogin' | 'notice' | 'kpasswdLog'
  >;
}

/** Options for {@link serveLog}. */
export interface ServeLogOptions {
  readonly json: boolean;
  readonly level: LogLevel;
  /** The cluster worker id, added to every request and internal-error line. */
  readonly worker?: number;
}

/**
 * A kpasswd line that is no plain success (`kpasswd <client> -> SUCCESS`, or a reset's `SUCCESS: set the
 * password of <target>`): a refusal, or a change the serving process could not hand on.
 */
function isKpasswdFailure(line: string): boolean {
  return !/ -> SUCCESS(: set the password of \S+)?$/.test(line);
}

/** A {@link ServeLog} writing through `write` (one call per line). */
export function serveLog(write: (line: string) => void, options: ServeLogOptions): ServeLog {
  const { json, level } = options;
  const extra = options.worker === undefined ? undefined : { worker: options.worker };
  const emit = (event: Record<string, unknown>, text: string) =>
    write(json ? `${JSON.stringify(event)}\n` : `${text}\n`);
  const request = (e: RequestLogEntry) =>
    write(json ? `${JSON.stringify(requestJson(e, extra))}\n` : `${requestText(e, extra)}\n`);
  const topologyOptions: ServeLog['topologyOptions'] = {
    ...(level !== 'none' && {
      log: request,
      logRequests: level === 'error' ? ('errors' as const) : ('all' as const),
      onInternalError: (realm: string, error: unknown) => {
        // The message and stack of a bug in krbsim; never request bytes or keys.
        const message = error instanceof Error ? error.message : String(error);
        const stack = error instanceof Error ? error.stack : undefined;
        emit(
          { event: 'internal-error', realm, message, ...(stack !== undefined && { stack }), ...extra },
          `${realm}: internal error: ${stack ?? message}`,
        );
      },
    }),
    ...(level !== 'none' && {
      // The password-change service's line per request; at `error`, the refused ones and a change
      // that did not reach everyone (an onChange failure, a worker that did not acknowledge).
      kpasswdLog: (realm: string, line: string) => {
        if (level === 'error' && !isKpasswdFailure(line)) return;
        emit({ event: 'kpasswd', realm, line, ...extra }, capLogLine(`${realm}: ${escapeLogText(line)}`));
      },
    }),
    ...(level === 'debug' && {
      // A listener's line may quote the client (a peer's request line): escaped as a request's names.
      transportLog: (line: string) =>
        emit({ event: 'transport', line, ...extra }, capLogLine(`# ${escapeLogText(line)}`)),
    }),
  };
  const login = (e: LoginLogEntry) => {
    if (level === 'error' && e.outcome === 'accepted') return;
    write(json ? `${JSON.stringify(loginJson(e))}\n` : `${loginText(e)}\n`);
  };
  const labOptions: ServeLog['labOptions'] = {
    ...topologyOptions,
    ...(level !== 'none' && { onLogin: login }),
    notice: (line: string) => emit({ event: 'notice', line }, line),
  };
  return { lifecycle: emit, topologyOptions, labOptions };
}
