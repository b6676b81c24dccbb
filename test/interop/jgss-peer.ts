/**
 * Building and starting jgss/JgssPeer.java, the GSS-API peer on Java's own
 * Kerberos, which speaks gss-peer.c's line protocol (see the Java file's
 * comment), so that `GssPeer` drives it.
 */

import { join } from 'node:path';
import { GssPeer } from './gss-peer';
import { runCommand } from './helpers/processes';

const SOURCE = join(import.meta.dirname, 'jgss', 'JgssPeer.java');

/** Compiles JgssPeer.java into the directory `classes`. */
export async function buildJgssPeer(javac: string, classes: string): Promise<void> {
  const r = await runCommand(javac, ['-d', classes, SOURCE], { timeoutMs: 120_000 });
  if (r.code !== 0) throw new Error(`javac failed (${r.code}): ${r.stderr}`);
}

/** How to run the compiled peer. */
export interface Jgss {
  readonly java: string;
  /** The directory `buildJgssPeer` compiled into. */
  readonly classes: string;
  /** The krb5.conf Java reads (`java.security.krb5.conf`). */
  readonly krb5conf: string;
}

/** Starts `JgssPeer <args>`; `env` carries JGSS_USER and JGSS_PASSWORD for an initiator. */
export function startJgssPeer(
  jgss: Jgss,
  args: readonly string[],
  env: Record<string, string> = {},
): GssPeer {
  return GssPeer.start(
    jgss.java,
    [
      // A short-lived JVM: the client compiler only, for a quicker start.
      '-XX:TieredStopAtLevel=1',
      `-Djava.security.krb5.conf=${jgss.krb5conf}`,
      '-cp',
      jgss.classes,
      'JgssPeer',
      ...args,
    ],
    env,
  );
}
