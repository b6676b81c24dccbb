/**
 * The password-change service (RFC 3244) against Heimdal 7.8's `kpasswd`
 * (Debian's, unpacked privately by scripts/setup.sh; see helpers/heimdal.ts)
 * on loopback, the second client beside MIT's (kpasswd-mit.test.ts):
 * - Heimdal changes a password with the "MS set password" protocol (version
 *   0xff80, a ChangePasswdData naming the user itself), over UDP, or over TCP
 *   when krb5.conf names the server `tcp/host:port`; its `kinit` then refuses
 *   the old password and takes the new one;
 * - a refusal reaches the user as Heimdal words it: after a set-password
 *   refusal Heimdal's `krb5_set_password` asks again with version 1 ("change
 *   password", UDP only), and its kpasswd prints the result code's name and
 *   the result string with `printf("%.*s")`. An Active Directory realm's
 *   string is AD_POLICY_INFO, whose first bytes are 0x0000: Heimdal shows
 *   `Soft error : ` and not a word of the policy, and exits 0 (it exits 1
 *   only when the exchange itself failed; lib/krb5/changepw.c and
 *   kpasswd/kpasswd.c). Then a password the policy allows is accepted;
 * - `--admin-principal`: a Domain Admin sets another user's password (set
 *   password naming the target), which an AD reset may do at once; a user who
 *   is no administrator is refused (ACCESSDENIED).
 *
 * Heimdal's kpasswd reads passwords from /dev/tty when it can open it, from
 * stdin otherwise (hcrypto's UI_UTIL_read_pw_string): `runCommand` starts it
 * in a session of its own, without a controlling terminal, so stdin it is,
 * and no pseudo-terminal is needed.
 *
 * Skipped with a printed reason when Heimdal is missing; failing instead under
 * KRBSIM_REQUIRE_MIT=1.
 */

import { readFile, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { decodeKpasswdMessage, KpasswdVersion } from '@krbsim/asn1';
import { systemClock } from '@krbsim/core';
import { Realm } from '@krbsim/kdc';
import type { KdcServer, TransportKind } from '@krbsim/transport';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { describeWithHeimdal, type Heimdal, HeimdalClient } from './helpers/heimdal';
import { kpasswdKrb5Conf, serveKpasswdRealm } from './helpers/kpasswd-realm';
import { type CommandResult, makeTempDir, runCommand, type TempDir } from './helpers/processes';

/** One request the password-change service answered: its protocol version and transport. */
interface KpasswdRequest {
  readonly version: number;
  readonly transport: TransportKind;
}

/** A realm served on loopback: its KDC and password-change service, what they saw, and krb5.conf for each transport. */
interface Served {
  readonly realm: Realm;
  /** krb5.conf naming the password-change server as `127.0.0.1:port` (Heimdal: UDP only) or `tcp/127.0.0.1:port`. */
  readonly conf: { readonly udp: string; readonly tcp: string };
  /** The service's log lines (`kpasswd alice@REALM -> SUCCESS`). */
  readonly log: string[];
  readonly requests: KpasswdRequest[];
  readonly servers: readonly KdcServer[];
}

async function serveRealm(realm: Realm, dir: TempDir): Promise<Served> {
  const log: string[] = [];
  const requests: KpasswdRequest[] = [];
  // One port for UDP and TCP each: Heimdal asks again over TCP when a reply is too big for UDP.
  const served = await serveKpasswdRealm(realm, {
    log: (l) => log.push(l),
    onRequest: (r, info) => {
      // Record what each request says before the service answers it (the header's version).
      let version = -1;
      try {
        version = decodeKpasswdMessage(r).version;
      } catch {
        // the service answers MALFORMED; -1 here says so
      }
      requests.push({ version, transport: info.transport });
    },
  });
  const name = realm.name.toLowerCase();
  const conf = { udp: dir.file(`${name}.conf`), tcp: dir.file(`${name}-tcp.conf`) };
  await writeFile(conf.udp, kpasswdKrb5Conf(realm.name, served.kdcPort, `127.0.0.1:${served.kpasswdPort}`));
  await writeFile(
    conf.tcp,
    kpasswdKrb5Conf(realm.name, served.kdcPort, `tcp/127.0.0.1:${served.kpasswdPort}`),
  );
  return { realm, conf, log, requests, servers: served.servers };
}

/** One run of Heimdal's kpasswd, with its library trace. */
interface KpasswdRun extends CommandResult {
  readonly trace: string;
}

let runs = 0;

/**
 * Heimdal's `kpasswd principal` with `input` on stdin (the current password,
 * the new one, the new one again), as {@link HeimdalClient.run} runs the other
 * tools: a private krb5.conf with a [logging] trace, LD_LIBRARY_PATH at the
 * unpacked libraries, the host's keytab out of reach.
 */
async function kpasswd(
  heimdal: Heimdal,
  dir: TempDir,
  krb5conf: string,
  args: string | readonly string[],
  input: string,
): Promise<KpasswdRun> {
  const n = ++runs;
  const trace = dir.file(`kpasswd-trace-${n}.log`);
  const conf = dir.file(`kpasswd-krb5-${n}.conf`);
  await writeFile(conf, `${await readFile(krb5conf, 'utf8')}\n[logging]\n    krb5 = 0-/FILE:${trace}\n`);
  // Debian names it kpasswd.heimdal, beside kinit.heimdal (in .tools/heimdal/usr/bin or /usr/bin).
  const r = await runCommand(
    join(dirname(heimdal.tools.kinit[0]!), 'kpasswd.heimdal'),
    typeof args === 'string' ? [args] : args,
    {
      env: {
        KRB5_CONFIG: conf,
        KRB5CCNAME: `FILE:${dir.file(`kpasswd-cc-${n}`)}`,
        KRB5_KTNAME: `FILE:${dir.file('no-such-keytab')}`,
        ...(heimdal.libDir !== undefined && { LD_LIBRARY_PATH: heimdal.libDir }),
      },
      input,
      timeoutMs: 15_000,
    },
  );
  return { ...r, trace: await readFile(trace, 'utf8').catch(() => '') };
}

describeWithHeimdal('Heimdal kpasswd against the password-change service', (heimdal) => {
  const REALM = 'KPASSWD.TEST';
  const AD_REALM = 'AD-KPASSWD.TEST';
  let dir: TempDir;
  let mit: Served;
  let ad: Served;

  beforeAll(async () => {
    dir = await makeTempDir('kpasswd-heimdal');
    // An MIT realm: no password rules in the way.
    const realm = new Realm({ name: REALM, clock: systemClock, kind: 'mit' });
    realm.addPasswordChangeService();
    realm.addUser('alice', { password: 'Old-Passw0rd' });
    mit = await serveRealm(realm, dir);
    // An AD realm (Default Domain Policy): frank must change his password, so its minimum age does not refuse him.
    const adRealm = new Realm({ name: AD_REALM, clock: systemClock, kind: 'active-directory' });
    adRealm.addPasswordChangeService();
    adRealm.addUser('frank', { password: 'Fr4nk-Old', mustChangePassword: true });
    // carl administers the domain; gina's password was set a moment ago.
    adRealm.addUser('carl', { password: 'C4rl-Adm1n-Pw' });
    adRealm.directory.addMember('Domain Admins', 'carl');
    adRealm.addUser('gina', { password: 'G1na-0ld-Pw' });
    adRealm.addUser('hank', { password: 'H4nk-Us3r-Pw' });
    ad = await serveRealm(adRealm, dir);
  });
  afterAll(async () => {
    for (const s of [...(mit?.servers ?? []), ...(ad?.servers ?? [])]) await s.close();
    await dir?.remove();
  });

  /** Everything to show when a check fails: Heimdal's output and trace, the service's log and requests. */
  const explain = (served: Served, r: KpasswdRun): string =>
    [
      `kpasswd.heimdal exited ${r.code}${r.signal ? ` (signal ${r.signal})` : ''}${r.timedOut ? ' (timed out)' : ''}`,
      `--- stdout\n${r.stdout}`,
      `--- stderr\n${r.stderr}`,
      `--- Heimdal trace\n${r.trace}`,
      `--- krbsim kpasswd\n${served.log.join('\n')}`,
      `--- requests\n${served.requests.map((q) => `${q.transport} version 0x${q.version.toString(16)}`).join('\n')}`,
    ].join('\n');

  /** Heimdal's kinit of `principal` with `password`: its exit code. */
  const kinit = async (served: Served, principal: string, password: string): Promise<number | null> => {
    const client = new HeimdalClient(heimdal, dir.path, served.conf.udp, dir.file(`cc-${principal}`), () =>
      served.log.join('\n'),
    );
    const r = await client.run('kinit', ['--password-file=STDIN', principal], {
      input: `${password}\n`,
      timeoutMs: 15_000,
    });
    return r.code;
  };

  it("kpasswd changes alice's password with set-password (0xff80) over UDP; kinit refuses the old one, takes the new", async () => {
    const before = mit.requests.length;
    const r = await kpasswd(
      heimdal,
      dir,
      mit.conf.udp,
      `alice@${REALM}`,
      'Old-Passw0rd\nNew-Passw0rd-1\nNew-Passw0rd-1\n',
    );
    const why = explain(mit, r);
    // The three prompts went to stderr and the answers came from stdin.
    expect(r.stderr, why).toContain(`Verify password - New password for alice@${REALM}: `);
    expect(r.stdout, why).toBe('Success\n');
    expect(r.code, why).toBe(0);
    // One request: RFC 3244's set password, ChangePasswdData naming alice herself, over UDP
    // (`kpasswd_server = host:port` is UDP to Heimdal).
    expect(mit.requests.slice(before), why).toEqual([
      { version: KpasswdVersion.SET_PASSWORD, transport: 'udp' },
    ]);
    expect(mit.log.at(-1), why).toBe(`kpasswd alice@${REALM} -> SUCCESS`);
    expect(await kinit(mit, `alice@${REALM}`, 'Old-Passw0rd'), why).not.toBe(0);
    expect(await kinit(mit, `alice@${REALM}`, 'New-Passw0rd-1'), why).toBe(0);
  });

  it('over TCP when krb5.conf says tcp/host:port (set password; change password is UDP only in Heimdal)', async () => {
    const before = mit.requests.length;
    const r = await kpasswd(
      heimdal,
      dir,
      mit.conf.tcp,
      `alice@${REALM}`,
      'New-Passw0rd-1\nNew-Passw0rd-2\nNew-Passw0rd-2\n',
    );
    const why = explain(mit, r);
    expect(r.stdout, why).toBe('Success\n');
    expect(r.code, why).toBe(0);
    expect(mit.requests.slice(before), why).toEqual([
      { version: KpasswdVersion.SET_PASSWORD, transport: 'tcp' },
    ]);
    expect(await kinit(mit, `alice@${REALM}`, 'New-Passw0rd-1'), why).not.toBe(0);
    expect(await kinit(mit, `alice@${REALM}`, 'New-Passw0rd-2'), why).toBe(0);
  });

  it("an AD realm's refusal (AD_POLICY_INFO) reaches the user as Heimdal shows it; then a good password is accepted", async () => {
    const frank = `frank@${AD_REALM}`;
    // Two kinds of character (lower case and symbols): the domain's complexity rule refuses it.
    let before = ad.requests.length;
    const weak = await kpasswd(
      heimdal,
      dir,
      ad.conf.udp,
      frank,
      'Fr4nk-Old\nlowercase-only\nlowercase-only\n',
    );
    let why = explain(ad, weak);
    // What Heimdal prints for SOFTERROR with AD_POLICY_INFO: "Soft error", " : ", then the result
    // string up to its first NUL, which is its first byte. Not a word of the policy; and exit 0,
    // as for any refusal the service answered (Heimdal's kpasswd exits 1 only when the exchange fails).
    expect(weak.stdout, why).toBe('Soft error : \n');
    expect(weak.code, why).toBe(0);
    // Refused as set password (0xff80), Heimdal asks again as change password (version 1), refused again.
    expect(ad.requests.slice(before), why).toEqual([
      { version: KpasswdVersion.SET_PASSWORD, transport: 'udp' },
      { version: KpasswdVersion.CHANGE_PASSWORD, transport: 'udp' },
    ]);
    expect(ad.log.slice(-2), why).toEqual([
      `kpasswd ${frank} -> SOFTERROR: Password does not meet complexity requirements`,
      `kpasswd ${frank} -> SOFTERROR: Password does not meet complexity requirements`,
    ]);

    // Three kinds of character and 7 or more of them: accepted, at the first request.
    before = ad.requests.length;
    const good = await kpasswd(heimdal, dir, ad.conf.udp, frank, 'Fr4nk-Old\nFr4nk-New-1\nFr4nk-New-1\n');
    why = explain(ad, good);
    expect(good.stdout, why).toBe('Success\n');
    expect(good.code, why).toBe(0);
    expect(ad.requests.slice(before), why).toEqual([
      { version: KpasswdVersion.SET_PASSWORD, transport: 'udp' },
    ]);
    expect(ad.log.at(-1), why).toBe(`kpasswd ${frank} -> SUCCESS`);
    expect(await kinit(ad, frank, 'Fr4nk-Old'), why).not.toBe(0);
    expect(await kinit(ad, frank, 'Fr4nk-New-1'), why).toBe(0);
  });

  it("--admin-principal: a Domain Admin sets another user's password (set password, the target named); no one else may", async () => {
    const gina = `gina@${AD_REALM}`;
    // carl's password, then gina's new one twice. Set a moment ago, gina's could not be changed by
    // herself today (the domain's minimum age); an administrator's reset is not held by it.
    let before = ad.requests.length;
    const r = await kpasswd(
      heimdal,
      dir,
      ad.conf.udp,
      [`--admin-principal=carl@${AD_REALM}`, gina],
      'C4rl-Adm1n-Pw\nG1na-By-Adm1n\nG1na-By-Adm1n\n',
    );
    let why = explain(ad, r);
    expect(r.stdout, why).toBe('Success\n');
    expect(ad.requests.slice(before), why).toEqual([
      { version: KpasswdVersion.SET_PASSWORD, transport: 'udp' },
    ]);
    expect(ad.log.at(-1), why).toBe(`kpasswd carl@${AD_REALM} -> SUCCESS: set the password of ${gina}`);
    expect(await kinit(ad, gina, 'G1na-0ld-Pw'), why).not.toBe(0);
    expect(await kinit(ad, gina, 'G1na-By-Adm1n'), why).toBe(0);

    // hank is no administrator: ACCESSDENIED, and gina's password stays.
    before = ad.requests.length;
    const denied = await kpasswd(
      heimdal,
      dir,
      ad.conf.udp,
      [`--admin-principal=hank@${AD_REALM}`, gina],
      'H4nk-Us3r-Pw\nG1na-By-H4nk\nG1na-By-H4nk\n',
    );
    why = explain(ad, denied);
    // Heimdal's kpasswd reports this refusal (ACCESSDENIED, the service's log says) as an error of the
    // call itself, "Operation not permitted", and exits 1.
    expect(denied.stderr, why).toContain('krb5_set_password_using_ccache: Operation not permitted');
    expect(denied.code, why).toBe(1);
    expect(ad.log.at(-1), why).toMatch(new RegExp(`^kpasswd hank@${AD_REALM} -> ACCESSDENIED: `));
    expect(await kinit(ad, gina, 'G1na-By-Adm1n'), why).toBe(0);
  });
});
