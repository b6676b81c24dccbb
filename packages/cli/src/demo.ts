/**
 * `krbsim demo`: Windows authentication for Azure SQL Managed Instance, end
 * to end, in process: the incoming trust-based flow (an AD-joined client,
 * referral from the on-prem KDC to Azure AD) and the modern interactive flow
 * (an Azure AD-joined client with a cloud TGT from its PRT, through the KDC
 * proxy). Prints the setup, every message of each flow, the PAC of the
 * service ticket (user SID, group SIDs, what SID filtering at the trust
 * removed), the logins the instance granted, and the flows as Mermaid
 * sequence diagrams. With `--tds` the client logs in to the instance over
 * TDS on loopback (`mi.listen()`, krbsim's TDS client: PRELOGIN, TLS,
 * LOGIN7 with the token) instead of handing it over in process, so the
 * trace and the pcap show the SQL login on the wire.
 *
 * @module
 */

import { writeFileSync } from 'node:fs';
import { formatPrincipal, TokenIntegrityFlags, TokenIntegrityLevel } from '@krbsim/asn1';
import {
  type AzureSqlMiLab,
  createAzureSqlMiLab,
  loginOverTds,
  type ManagedInstance,
  type SecurityContext,
  type SecurityContextOptions,
  type SidFilterEvent,
  type SqlSession,
} from '@krbsim/azure';
import { writeKeytabFile } from '@krbsim/files';
import { parseCommand, usageError } from './args';
import { decodeToJson } from './decode';
import { type DemoJson, traceMessages } from './demo-json';
import type { CliIo } from './io';
import { ExitCode, unwritable } from './io';
import { realmKeytabEntries } from './topology-files';

const USAGE = `Usage: krbsim demo [--seed N] [--flow trust|modern|both] [--pcap FILE] [--keytab FILE] [--html FILE] [--tds] [--json] [--no-mermaid]

Runs both Azure SQL Managed Instance flows in process and prints every
Kerberos message, the PAC of each service ticket (user SID, groups, the SIDs
the trust filtered), the resulting SQL logins and the sequence diagrams.

  --seed N        seed for keys, nonces and confounders, a decimal integer (default
                  42): same seed, same bytes
  --flow F        trust, modern or both (default both)
  --pcap FILE     also write the messages as a pcap for Wireshark
  --keytab FILE   also write every key the lab's realms hold as an MIT keytab
                  (mode 0600): Wireshark (-K, or kerberos.file) and krbsim
                  decode --keytab open every ticket, authenticator and PAC of
                  the pcap with it; --json and --html show them decrypted
  --html FILE     also write the trace as one self-contained HTML page: the
                  sequence diagram (inline SVG), each arrow opening its message
                  decoded (as krbsim decode prints it) with its bytes, errors
                  with their meaning, the SIDs the trust filtered
  --tds           log in to the instance over TDS on loopback (PRELOGIN, TLS,
                  LOGIN7 with the token; mi.listen()) instead of in process: the
                  trace and the pcap show the SQL login (TDS on port 1433,
                  decrypted) beside the Kerberos exchanges
  --json          print the trace as JSON instead of text: each message with its
                  direction, parties, type, decoded tree (as krbsim decode prints
                  it) and hex, and the login each flow ended in
  --no-mermaid    leave out the Mermaid diagrams

Exit codes: 0 success, 1 a flow failed, 2 bad arguments or a --pcap,
--keytab or --html file that cannot be written.
`;

function etypeName(etype: number): string {
  return etype === 18 ? 'aes256-cts-hmac-sha1-96 (18)' : String(etype);
}

/** alice's SID in the domain she was migrated from: her sIDHistory, which the trust filters. */
const LEGACY_SID = 'S-1-5-21-2127521184-1604012920-1887927527-1106';

/** Names for the SIDs the demo's PACs hold, as `LookupAccountSid` would give them. */
function sidNames(lab: AzureSqlMiLab): Map<string, string> {
  const names = new Map<string, string>([
    ['S-1-18-1', 'authentication authority asserted identity'],
    [LEGACY_SID, 'LEGACY\\alice, sIDHistory'],
  ]);
  const d = lab.onPrem.realm.directory;
  for (const g of d.groups()) names.set(d.sidOf(g.rid), `${lab.onPrem.netbiosName}\\${g.name}`);
  for (const u of lab.onPrem.users) names.set(u.sid, `${u.netbiosDomain}\\${u.samAccountName}`);
  return names;
}

/** The service ticket's PAC as the instance verified it, and what the trust filtered. */
function pacLines(
  session: SqlSession,
  names: Map<string, string>,
  from: string,
  filtered?: SidFilterEvent,
): string[] {
  const pac = session.kerberos.pac;
  if (pac === undefined) return ['  service ticket PAC  none'];
  const named = (sid: string) => (names.has(sid) ? `${sid} (${names.get(sid)})` : sid);
  const checked = pac.verifiedSignatures.join(', ');
  const lines = [`  service ticket PAC  ${from}; the instance verified its signatures: ${checked}`];
  if (pac.sids !== undefined) {
    lines.push(`    user SID          ${named(pac.sids.user)}`);
    pac.sids.groups.forEach((g, i) => {
      lines.push(`    ${i === 0 ? 'group SIDs        ' : '                  '}${named(g)}`);
    });
  }
  if (filtered !== undefined) {
    const removed = filtered.removed.length === 0 ? 'none' : filtered.removed.map(named).join(', ');
    lines.push(`    filtered at trust ${removed}`);
  }
  return lines;
}

/** What the demo's clients are to {@link logIn}: Windows, asking SSPI for a context. */
interface DemoClient {
  readonly participant: string;
  initSecurityContext(spn: string, opts?: SecurityContextOptions): Promise<SecurityContext>;
}

/**
 * The client's login to the instance, and the session it got: in process
 * (`mi.accept`, no channel to bind to), or with `tds` over a TDS listener on
 * loopback, the whole session in TLS, as a Windows SQL driver logs in: it
 * asks SSPI for the token once TLS is up, bound to the channel, and the
 * listener holds it to the channel (Extended Protection `required`, which
 * an unbound token would not pass).
 */
async function logIn(
  lab: AzureSqlMiLab,
  mi: ManagedInstance,
  pc: DemoClient,
  tds: boolean,
): Promise<{ readonly ctx: SecurityContext; readonly session: SqlSession }> {
  if (!tds) {
    const ctx = await pc.initSecurityContext(mi.spn);
    return { ctx, session: mi.accept(ctx.token, pc.participant) };
  }
  let session: SqlSession | undefined;
  let ctx: SecurityContext | undefined;
  const listener = await mi.listen({ extendedProtection: 'required', onSession: (s) => (session = s) });
  try {
    const ca = (await lab.certificateAuthority()).certPem;
    await loginOverTds(listener, {
      token: async ({ channelBindings }) => {
        ctx = await pc.initSecurityContext(mi.spn, { channelBindings });
        return ctx.token;
      },
      ca,
      servername: mi.fqdn,
    });
  } finally {
    await listener.close();
  }
  return { ctx: ctx!, session: session! };
}

/** What `--tds` adds to a flow's summary: the login's token was bound to its TLS channel. */
const CHANNEL_BINDING_LINE =
  '  channel binding     the token bound to the TLS channel (tls-server-end-point), checked by the listener (Extended Protection required)';

function loginLine(session: SqlSession): string {
  const via = session.grantedBy.name === session.login ? '' : `, through the login ${session.grantedBy.name}`;
  return `  SQL login           ${session.login} (${session.loginSource}${via}), mutual authentication verified`;
}

/** What the client's authenticator said of its machine and token (MS-KILE 3.2.5.8), as the instance read it. */
function windowsClientLines(session: SqlSession): string[] {
  const w = session.kerberos.windows;
  const token = w?.tokenIntegrity;
  if (w === undefined || token === undefined) return [];
  const level = Object.entries(TokenIntegrityLevel)
    .find(([, v]) => v === token.tokenIL)?.[0]
    .toLowerCase();
  const kind = (token.flags & TokenIntegrityFlags.UAC_RESTRICTED) !== 0 ? 'UAC-restricted' : 'full';
  const id = Buffer.from(token.machineId.subarray(0, 4)).toString('hex');
  return [
    `  client's token      ${kind}, integrity ${level ?? `0x${token.tokenIL.toString(16)}`}, machine ID ${id}... (KERB_AUTH_DATA_TOKEN_RESTRICTIONS); ${w.local ? 'a local logon' : 'another machine than the instance: a network logon'}`,
  ];
}

/** Runs the demo; returns the exit code. */
export async function demoCommand(args: readonly string[], io: CliIo): Promise<number> {
  const parsed = parseCommand<{
    seed?: string;
    flow?: string;
    pcap?: string;
    keytab?: string;
    html?: string;
    json?: boolean;
    tds?: boolean;
    'no-mermaid'?: boolean;
  }>(
    'demo',
    args,
    {
      seed: { type: 'string' },
      flow: { type: 'string' },
      pcap: { type: 'string' },
      keytab: { type: 'string' },
      html: { type: 'string' },
      json: { type: 'boolean' },
      tds: { type: 'boolean' },
      'no-mermaid': { type: 'boolean' },
    },
    USAGE,
    io,
  );
  if (typeof parsed === 'number') return parsed;
  const { values, positionals } = parsed;
  if (positionals.length > 0) {
    io.stderr(usageError('demo', `unexpected argument '${positionals[0]}'`));
    return ExitCode.usage;
  }
  // A decimal integer, as the help says: Number() would take '' as 0 and 0x2a as 42.
  const seed =
    values.seed === undefined ? 42 : /^-?\d+$/.test(values.seed) ? Number(values.seed) : Number.NaN;
  const flow = values.flow ?? 'both';
  if (!Number.isSafeInteger(seed)) {
    io.stderr(usageError('demo', `--seed takes a decimal integer (at most 2^53 - 1), got '${values.seed}'`));
    return ExitCode.usage;
  }
  if (!['trust', 'modern', 'both'].includes(flow)) {
    io.stderr(usageError('demo', `--flow takes one of trust, modern, both, got '${flow}'`));
    return ExitCode.usage;
  }
  // Checked before the flows run, so a typo costs no output and no stack trace.
  for (const option of ['pcap', 'keytab', 'html'] as const) {
    const path = values[option];
    const problem = path === undefined ? undefined : unwritable(path);
    if (problem !== undefined) {
      io.stderr(usageError('demo', `--${option} ${path}: ${problem}`));
      return ExitCode.usage;
    }
  }
  const json = values.json === true;
  const tds = values.tds === true;
  const out = json ? () => {} : (line = '') => io.stdout(`${line}\n`);
  const logins: Record<string, string> = {};

  const lab = createAzureSqlMiLab({
    onPremRealm: 'CONTOSO.COM',
    seed,
    traceEntries: Number.POSITIVE_INFINITY,
  });
  const alice = lab.onPrem.addUser('alice', {
    password: 'correct horse battery staple',
    sidHistory: [LEGACY_SID],
  });
  lab.onPrem.addGroup('SqlAdmins');
  lab.onPrem.addGroup('DBAs');
  lab.onPrem.addGroupMember('DBAs', 'alice');
  lab.onPrem.addGroupMember('SqlAdmins', 'DBAs');
  const mi = lab.addManagedInstance({ name: 'mi1', dnsZone: 'abc123', subnet: '10.0.0.0/24' });
  mi.enableWindowsAuthenticationPrerequisites();
  mi.authenticationMetadata = 'Paired';
  mi.createLogin('CONTOSO\\SqlAdmins', 'WINDOWS');
  mi.createLogin('alice@contoso.com', 'EXTERNAL PROVIDER');
  const names = sidNames(lab);

  out(`krbsim demo: Windows authentication for Azure SQL Managed Instance (seed ${seed})`);
  out();
  out('Setup');
  out(`  on-prem AD realm    ${lab.onPrem.realm.name} (NetBIOS ${lab.onPrem.netbiosName}), user alice`);
  out(
    `  groups              alice in DBAs, DBAs in SqlAdmins (nested); alice's sIDHistory ${LEGACY_SID} (a migrated domain)`,
  );
  out('  logins              [CONTOSO\\SqlAdmins] FROM WINDOWS, [alice@contoso.com] FROM EXTERNAL PROVIDER');
  out(`  Azure AD tenant     ${lab.tenant.tenantId}, realm ${lab.tenant.realm.name}`);
  out(`  KDC proxy           ${lab.tenant.kdcProxyUrl}`);
  out(`  managed instance    ${mi.spn} (authentication metadata: ${mi.authenticationMetadata})`);

  const diagrams: { title: string; mermaid: string }[] = [];
  /** Notes for the HTML page, by trace sequence number: what the trust filtered. */
  const notes = new Map<number, string[]>();
  const marks: number[] = [];

  if (flow !== 'modern') {
    const trust = lab.setupCloudTrust();
    const info = trust.info();
    out(
      `  cloud trust         Set-AzureADKerberosServer -SetupCloudTrust: one-way, ${lab.onPrem.realm.name} users -> ${lab.tenant.realm.name}; ` +
        `top-level names ${info.topLevelNames.join(', ')}; KeyVersion ${info.keyVersion} = CloudKeyVersion ${info.cloudKeyVersion}`,
    );
    out();
    out('Flow 1: incoming trust-based (AD-joined Windows 10 client, line of sight to the DC)');
    const mark = lab.trace.nextSeq;
    marks.push(mark);
    const pc = lab.adJoinedClient(alice, { os: 'Windows 10 22H2' });
    const { ctx, session } = await logIn(lab, mi, pc, tds);
    ctx.complete(session.responseToken!);
    for (const l of lab.trace.toText({ since: mark }).trimEnd().split('\n')) out(`  ${l}`);
    const referral = pc.kerberos.cache
      .all()
      .find(
        (c) => c.server.name.nameString[0] === 'krbtgt' && c.server.name.nameString[1] !== c.server.realm,
      );
    if (referral) {
      out(`  referral TGT        krbtgt/${referral.server.name.nameString[1]} @ ${referral.server.realm}`);
    }
    out(
      `  service ticket      ${mi.spn} @ ${ctx.ticket.server.realm}, ticket etype ${etypeName(ctx.ticket.ticket.encPart.etype)}`,
    );
    const from = 'the on-prem PAC, SID-filtered and re-signed by Azure AD';
    const filtered = lab.tenant.lastSidFilter;
    for (const l of pacLines(session, names, from, filtered)) out(l);
    // The referral TGT's PAC is filtered by the Azure AD KDC that issues the service ticket.
    const atAzure = lab.trace.entries.find(
      (e) => e.seq >= mark && e.requestType === 'TGS-REQ' && e.to.startsWith(`KDC ${lab.tenant.realm.name}`),
    );
    if (atAzure !== undefined && filtered !== undefined) {
      const removed =
        filtered.removed.length === 0
          ? 'none'
          : filtered.removed.map((s) => (names.has(s) ? `${s} (${names.get(s)})` : s)).join(', ');
      notes.set(atAzure.seq, [
        `SIDs filtered at the trust (${filtered.client} for ${filtered.server}): ${removed}`,
      ]);
    }
    out(loginLine(session));
    for (const l of windowsClientLines(session)) out(l);
    if (tds) out(CHANNEL_BINDING_LINE);
    logins.trust = session.login;
    diagrams.push({ title: 'Incoming trust-based flow', mermaid: lab.trace.toMermaid({ since: mark }) });
  }

  if (flow !== 'trust') {
    out();
    out(
      'Flow 2: modern interactive (Azure AD-joined Windows 11 client, cloud TGT from the PRT, KDC proxy only)',
    );
    const mark = lab.trace.nextSeq;
    marks.push(mark);
    const pc = lab.azureAdJoinedClient(alice, { os: 'Windows 11' });
    await pc.signIn();
    const tgt = pc.cloudTgt!;
    const hours = (tgt.endtime - tgt.authtime) / 3_600_000;
    out(
      `  PRT refresh         cloud TGT krbtgt/${tgt.server.realm} for ${formatPrincipal(tgt.client.name)}, ` +
        `session key etype ${etypeName(tgt.sessionKey.etype)}, lifetime ${hours} h, not renewable by Azure AD`,
    );
    const { ctx, session } = await logIn(lab, mi, pc, tds);
    ctx.complete(session.responseToken!);
    for (const l of lab.trace.toText({ since: mark }).trimEnd().split('\n')) out(`  ${l}`);
    // Built by Azure AD from the synced directory: no trust, nothing filtered.
    for (const l of pacLines(session, names, 'built by Azure AD from the synced directory')) out(l);
    out(loginLine(session));
    for (const l of windowsClientLines(session)) out(l);
    if (tds) out(CHANNEL_BINDING_LINE);
    logins.modern = session.login;
    diagrams.push({ title: 'Modern interactive flow', mermaid: lab.trace.toMermaid({ since: mark }) });
  }

  // With --keytab, every key the realms hold: written out, and what --json and --html decode with.
  const keys =
    values.keytab === undefined
      ? []
      : realmKeytabEntries([lab.onPrem.realm, lab.tenant.realm], lab.clock.now());
  if (json) {
    const modernFrom = flow === 'both' ? marks[1]! : flow === 'modern' ? marks[0]! : Number.POSITIVE_INFINITY;
    const doc: DemoJson = {
      seed,
      logins,
      messages: traceMessages(lab.trace.entries, (seq) => (seq >= modernFrom ? 'modern' : 'trust'), keys),
    };
    io.stdout(`${JSON.stringify(doc, null, 2)}\n`);
  } else if (!values['no-mermaid']) {
    for (const d of diagrams) {
      out();
      out(`${d.title} (Mermaid)`);
      out('```mermaid');
      io.stdout(d.mermaid);
      out('```');
    }
  }
  if (values.pcap !== undefined) {
    try {
      writeFileSync(values.pcap, lab.trace.toPcap());
    } catch (e) {
      io.stderr(usageError('demo', `--pcap ${values.pcap}: ${(e as Error).message}`));
      return ExitCode.usage;
    }
    out();
    out(`wrote ${lab.trace.entries.length} exchanges to ${values.pcap}`);
  }
  if (values.keytab !== undefined) {
    try {
      await writeKeytabFile(values.keytab, { entries: keys });
    } catch (e) {
      io.stderr(usageError('demo', `--keytab ${values.keytab}: ${(e as Error).message}`));
      return ExitCode.usage;
    }
    out();
    out(
      `wrote ${keys.length} keys of ${lab.onPrem.realm.name} and ${lab.tenant.realm.name} to ${values.keytab} (mode 0600)`,
    );
  }
  if (values.html !== undefined) {
    const html = lab.trace.toHtml({
      title: `krbsim demo (seed ${seed})`,
      decode: (bytes, entry) => (entry.protocol === undefined ? decodeToJson(bytes, { keys }) : undefined),
      notes: (entry) => notes.get(entry.seq),
    });
    try {
      writeFileSync(values.html, html);
    } catch (e) {
      io.stderr(usageError('demo', `--html ${values.html}: ${(e as Error).message}`));
      return ExitCode.usage;
    }
    out();
    out(`wrote ${lab.trace.entries.length} exchanges to ${values.html}`);
  }
  return ExitCode.ok;
}

export { USAGE as DEMO_USAGE };
