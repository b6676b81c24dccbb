/**
 * Building and starting jgss/JgssPeer.java, the GSS-API peer on Java's own
 * Kerberos, which speaks gss-peer.c's line protocol (see the Java file's
 * comment), so that `GssPeer` drives it.
 */

import { join } from 'node:path';
import { describe } from 'vitest';
import { GssPeer } from './gss-peer';
import { findTool, runCommand } from './helpers/processes';
import { describeUnavailable } from './mit-tools';

const SOURCES = ['JgssPeer.java', 'JtdsLogin.java'].map((f) => join(import.meta.dirname, 'jgss', f));

/** jTDS, the JDBC driver Debian's libjtds-java installs. */
export const JTDS_JAR = '/usr/share/java/jtds.jar';

/** Compiles JgssPeer.java and JtdsLogin.java into the directory `classes`. */
export async function buildJgssPeer(javac: string, classes: string): Promise<void> {
  const r = await runCommand(javac, ['-d', classes, ...SOURCES], { timeoutMs: 120_000 });
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

/**
 * Runs JtdsLogin.java: jTDS connects to `url` as `user` (Java's Kerberos logs the user in) and runs
 * `sql`; `hostsFile` is the JVM's hosts file (`jdk.net.hosts.file`), so that the driver finds the
 * instance's name and builds its SPN from it. `manual`: out of autocommit, as the Java file says. The
 * rows' first columns (with `manual`, the COMMIT lines it printed too; with `types`, each result's
 * column types as the driver reports them, `<type name>(<precision>):<java.sql.Types code>`), or the
 * driver's error.
 */
export async function runJtdsLogin(
  jgss: Jgss,
  o: {
    url: string;
    sql: string;
    hostsFile: string;
    user: string;
    password: string;
    manual?: boolean;
    types?: boolean;
  },
): Promise<{ rows: string[]; commits?: string[]; types?: string[][] } | { error: string }> {
  const r = await runCommand(
    jgss.java,
    [
      '-XX:TieredStopAtLevel=1',
      `-Djava.security.krb5.conf=${jgss.krb5conf}`,
      `-Djdk.net.hosts.file=${o.hostsFile}`,
      '-cp',
      `${jgss.classes}:${JTDS_JAR}`,
      'JtdsLogin',
      o.url,
      o.sql,
      ...(o.manual === true ? ['manual'] : []),
    ],
    // Under the test's own timeout, so that the driver's output is reported.
    { env: { JGSS_USER: o.user, JGSS_PASSWORD: o.password }, timeoutMs: 50_000 },
  );
  const lines = r.stdout.split('\n').filter((l) => l !== '');
  if (r.code === 0) {
    const rows = lines.filter((l) => l.startsWith('ROW ')).map((l) => l.slice(4));
    const types = lines.filter((l) => l.startsWith('TYPES')).map((l) => l.split(' ').slice(1));
    return {
      rows,
      ...(o.manual === true && { commits: lines.filter((l) => l.startsWith('COMMIT')) }),
      ...(o.types === true && { types }),
    };
  }
  return { error: `exit ${r.code}: ${r.stdout}${r.stderr}` };
}

/**
 * `krb5conf` with `forwardable = true` in `[libdefaults]`, as a deployment that delegates has it:
 * Java asks for a forwardable TGT only then, and delegates (or asks S4U2Self) only with one.
 */
export function forwardableKrb5Conf(krb5conf: string): string {
  return withLibdefaults(krb5conf, ['forwardable = true']);
}

/** `krb5conf` with `settings` added at the top of its `[libdefaults]`, which must be there. */
export function withLibdefaults(krb5conf: string, settings: readonly string[]): string {
  if (!krb5conf.includes('[libdefaults]\n')) throw new Error(`krb5.conf has no [libdefaults]:\n${krb5conf}`);
  return krb5conf.replace('[libdefaults]\n', `[libdefaults]\n${settings.map((l) => `    ${l}\n`).join('')}`);
}

/**
 * `describe(title, ...)` with the JDK's `java` and `javac`; without them a skipped suite and a
 * printed reason, or, with `KRBSIM_REQUIRE_MIT=1` (CI), a failing one.
 */
export function describeWithJava(title: string, body: (jdk: { java: string; javac: string }) => void): void {
  const java = findTool('java');
  const javac = findTool('javac');
  if (java === undefined || javac === undefined) {
    describeUnavailable(
      title,
      `${java === undefined ? 'java' : 'javac'} not found on PATH`,
      'install openjdk-17-jdk-headless (scripts/setup.sh does)',
    );
    return;
  }
  describe(title, () => body({ java, javac }));
}
