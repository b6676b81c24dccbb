/**
 * A Samba Active Directory domain controller on loopback, as an oracle for
 * what a Windows DC's KDC puts in its answers (Samba's own tests hold it to
 * Windows): `samba-tool domain provision` in a temp dir, the domain's groups
 * and accounts added by samba-dc-setup.py through Samba's Python bindings,
 * and `samba` running only its KDC on ports the OS picked, configured through
 * the provisioned smb.conf: /etc is never read or written. `stop()` kills
 * samba (and waits for it) and removes the directory.
 */

import { readFileSync } from 'node:fs';
import { readFile, writeFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import type { Key } from '@krbsim/crypto';
import { readKeytabFile } from '@krbsim/files';
import { describe } from 'vitest';
import { describeUnavailable } from '../mit-tools';
import { freePort } from './mit-realm';
import {
  findTool,
  groupListensOn,
  makeTempDir,
  type RunningProcess,
  runOrThrow,
  startProcess,
  waitFor,
} from './processes';

/** The programs a Samba DC needs (Debian: samba-ad-dc, samba-ad-provision). */
const SAMBA_DC_TOOLS = ['samba', 'samba-tool'] as const;

/** A group of the domain, by scope (its groupType). */
export interface SambaGroup {
  readonly name: string;
  readonly scope: 'global' | 'domain-local' | 'universal';
}

/** An account of the domain and the attributes that set it apart. */
export interface SambaAccount {
  /** The sAMAccountName (`alice`, `SQL01$`). */
  readonly name: string;
  readonly kind: 'user' | 'computer';
  readonly password: string;
  /** The groups it is a direct member of. */
  readonly groups?: readonly string[];
  readonly spns?: readonly string[];
  /** msDS-SupportedEncryptionTypes. */
  readonly enctypes?: number;
  /** ACCOUNTDISABLE. */
  readonly disabled?: boolean;
  /** accountExpires in 2020. */
  readonly expired?: boolean;
  /** pwdLastSet 0: the password must be changed. */
  readonly mustChangePassword?: boolean;
  /** logonHours with no hour allowed. */
  readonly noLogonHours?: boolean;
  /** NOT_DELEGATED: "account is sensitive and cannot be delegated". */
  readonly notDelegated?: boolean;
  /** TRUSTED_TO_AUTHENTICATE_FOR_DELEGATION. */
  readonly trustedToAuthenticate?: boolean;
  /** msDS-AllowedToDelegateTo. */
  readonly allowedToDelegateTo?: readonly string[];
  /** DONT_REQUIRE_PREAUTH. */
  readonly noPreauth?: boolean;
  /** NO_AUTH_DATA_REQUIRED: no PAC in its service tickets. */
  readonly noAuthDataRequired?: boolean;
  /** userPrincipalName, when not `name@` the DNS domain (what samba-tool gives). */
  readonly upn?: string;
  /** msDS-AllowedToActOnBehalfOfOtherIdentity: the accounts that may delegate to this one (RBCD). */
  readonly allowedToActFrom?: readonly string[];
  /** displayName, whose parts AD's password complexity rule keeps out of the password. */
  readonly displayName?: string;
  /** A computer's userAccountControl as a whole (a domain controller's), instead of the flags above. */
  readonly userAccountControl?: number;
}

/** What the domain holds besides what provisioning creates. */
export interface SambaDomainSpec {
  /** The realm (`CORP.CONTOSO.COM`); the DNS domain is its lower case. */
  readonly realm: string;
  /** The NetBIOS domain name (`CORP`). */
  readonly netbiosDomain: string;
  /** The DC's host name (`dc1`). */
  readonly hostName: string;
  readonly groups: readonly SambaGroup[];
  readonly accounts: readonly SambaAccount[];
  /** Inbound forest trusts: realms that trust this domain, with no DC of their own here. */
  readonly forestTrusts?: readonly SambaForestTrust[];
  /** The domain's account lockout policy; none (AD's default) when absent. */
  readonly lockout?: {
    readonly threshold: number;
    readonly durationMinutes: number;
    readonly observationMinutes: number;
  };
  /** The domain's minimum password age (minPwdAge) in days; Samba's default, one day, when absent. */
  readonly minPasswordAgeDays?: number;
}

/**
 * An inbound forest trust (MS-ADTS 6.1.6.7): `partner` trusts the Samba domain, whose KDC refers
 * service names under `topLevelNames` to it with a referral TGT `krbtgt/PARTNER@REALM` sealed in
 * the key of `password` (that principal's usual salt, no kvno).
 */
interface SambaForestTrust {
  /** The trusting realm (`KERBEROS.MICROSOFTONLINE.COM`). */
  readonly partner: string;
  /** Its flat (NetBIOS) name. */
  readonly flatName: string;
  /** Its domain SID. */
  readonly sid: string;
  readonly password: string;
  /** DNS names routed to it; the partner's own DNS name must be among them (Samba's LSA rule). */
  readonly topLevelNames: readonly string[];
}

/** A running Samba DC. */
export interface SambaDc {
  readonly realm: string;
  /** The KDC's port on 127.0.0.1, UDP and TCP. */
  readonly port: number;
  /** Its password-change service's port (kpasswd, RFC 3244), UDP and TCP. */
  readonly kpasswdPort: number;
  /** The domain SID, `S-1-5-21-...`. */
  readonly domainSid: string;
  /** The RID of each group and account of the spec. */
  readonly rids: Readonly<Record<string, number>>;
  /** The keys of `principal` (`krbtgt`, `alice`, `SQL01$`), from `samba-tool domain exportkeytab`. */
  keys(principal: string): Key[];
  /** Stops samba and deletes the directory. */
  stop(): Promise<void>;
}

/** Why a Samba DC cannot run here, or undefined when it can. */
function sambaDcMissing(): string | undefined {
  const missing = SAMBA_DC_TOOLS.filter((t) => findTool(t) === undefined);
  if (missing.length > 0) {
    return `${missing.join(', ')} not found (Debian: apt-get install samba-ad-dc samba-ad-provision)`;
  }
  if (process.getuid?.() !== 0) return 'samba runs its DC as root only';
  return undefined;
}

/**
 * `describe(title, body)` when a Samba DC can run here; otherwise a skipped
 * suite with the reason (a failing one under KRBSIM_REQUIRE_MIT=1).
 */
export function describeWithSambaDc(title: string, body: () => void): void {
  const missing = sambaDcMissing();
  if (missing === undefined) describe(title, body);
  else describeUnavailable(title, missing, 'run scripts/setup.sh (Debian: samba-ad-dc, samba-ad-provision)');
}

/** The Python that runs samba-tool, whose dist-packages hold Samba's bindings (its `#!` line). */
function sambaPython(sambaTool: string): string {
  const first = readFileSync(sambaTool, 'utf8').split('\n', 1)[0] ?? '';
  const m = /^#!\s*(\S+)/.exec(first);
  return m?.[1] ?? 'python3';
}

const SETUP_SCRIPT = fileURLToPath(new URL('./samba-dc-setup.py', import.meta.url));

/**
 * Provisions the domain of `spec`, adds its groups and accounts, and starts
 * samba's KDC. Takes about ten seconds.
 */
export async function startSambaDc(spec: SambaDomainSpec): Promise<SambaDc> {
  const missing = sambaDcMissing();
  if (missing !== undefined) throw new Error(missing);
  const sambaTool = findTool('samba-tool')!;
  const dir = await makeTempDir('samba');
  const conf = dir.file('etc', 'smb.conf');
  const must = (cmd: string, args: readonly string[], input?: string): Promise<string> =>
    runOrThrow(cmd, args, { timeoutMs: 120_000, ...(input !== undefined && { input }) });
  let samba: RunningProcess | undefined;
  let output = '';
  const stopSamba = async (): Promise<void> => {
    const p = samba;
    samba = undefined;
    if (p !== undefined) {
      await p.stop();
      output = p.stdout() + p.stderr();
    }
  };
  const stop = async (): Promise<void> => {
    await stopSamba();
    await dir.remove();
  };
  try {
    await must(sambaTool, [
      'domain',
      'provision',
      `--targetdir=${dir.path}`,
      `--realm=${spec.realm}`,
      `--domain=${spec.netbiosDomain}`,
      `--host-name=${spec.hostName}`,
      '--server-role=dc',
      '--dns-backend=NONE',
      '--adminpass=krbsim-Adm1n-Passw0rd',
      '--option=interfaces = lo',
      '--option=bind interfaces only = yes',
      '--option=server services = kdc',
      `--option=log file = ${dir.file('log.%m')}`,
      `--option=pid directory = ${dir.path}`,
    ]);
    const setup = JSON.parse(
      await must(
        sambaPython(sambaTool),
        [SETUP_SCRIPT, conf, dir.file('private', 'sam.ldb')],
        JSON.stringify({
          groups: spec.groups,
          accounts: spec.accounts,
          lockout: spec.lockout,
          minPasswordAgeDays: spec.minPasswordAgeDays,
          forestTrusts: spec.forestTrusts ?? [],
        }),
      ),
    ) as { domainSid: string; rids: Record<string, number> };
    await must(sambaTool, ['domain', 'exportkeytab', dir.file('all.keytab'), '-s', conf]);
    const keytab = await readKeytabFile(dir.file('all.keytab'));
    const provisioned = await readFile(conf, 'utf8');
    // The ports are free when chosen, but the test files run side by side and another one's socket
    // can take one before samba binds it: a start that does not listen is tried again on others.
    let port = 0;
    let kpasswdPort = 0;
    for (let attempt = 1; ; attempt++) {
      port = await freePort();
      kpasswdPort = await freePort();
      await writeFile(
        conf,
        provisioned.replace(
          '[global]\n',
          `[global]\n\tkrb5 port = ${port}\n\tkpasswd port = ${kpasswdPort}\n`,
        ),
      );
      samba = startProcess(findTool('samba')!, ['-i', '-M', 'single', '-s', conf]);
      try {
        // Listening there, both ports, itself: a connection alone could be another file's server's.
        const child = samba.child;
        await waitFor(
          () => {
            if (child.exitCode !== null || child.signalCode !== null)
              throw new Error(`samba exited (${child.exitCode ?? child.signalCode}) before listening`);
            return groupListensOn(child.pid!, port) && groupListensOn(child.pid!, kpasswdPort);
          },
          `samba listening on ${port} and ${kpasswdPort}`,
          { timeoutMs: 30_000 },
        );
        break;
      } catch (e) {
        await stopSamba();
        if (attempt === 3) throw e;
      }
    }
    return {
      realm: spec.realm,
      port,
      kpasswdPort,
      domainSid: setup.domainSid,
      rids: setup.rids,
      keys: (principal) =>
        keytab.entries
          .filter((e) => e.principal.name.nameString.join('/').toLowerCase() === principal.toLowerCase())
          .map((e) => ({ etype: e.key.etype, bytes: e.key.bytes })),
      stop,
    };
  } catch (e) {
    await stop();
    throw new Error(`${e instanceof Error ? e.message : String(e)}\nsamba's output:\n${output}`);
  }
}
