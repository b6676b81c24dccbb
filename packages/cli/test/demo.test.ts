import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { formatPrincipal } from '@krbsim/asn1';
import { parseKeytab } from '@krbsim/files';
import { describe, expect, it } from 'vitest';
import { runCaptured } from './run-cli';

const run = runCaptured;

describe('krbsim demo', () => {
  it('runs both flows and prints every message, the logins and the diagrams', async () => {
    const { code, stdout } = await run(['demo', '--seed', '7']);
    expect(code).toBe(0);
    const flow1 = stdout.slice(stdout.indexOf('Flow 1'), stdout.indexOf('Flow 2'));
    for (const step of [
      'CONTOSO\\alice -> KDC CONTOSO.COM [inproc] AS-REQ',
      'KDC CONTOSO.COM -> CONTOSO\\alice [inproc] KRB-ERROR KDC_ERR_PREAUTH_REQUIRED',
      'KDC CONTOSO.COM -> CONTOSO\\alice [inproc] AS-REP',
      'CONTOSO\\alice -> KDC CONTOSO.COM [inproc] TGS-REQ',
      'CONTOSO\\alice -> KDC KERBEROS.MICROSOFTONLINE.COM (via KDC proxy) [kkdcp] TGS-REQ',
      'CONTOSO\\alice -> mi1 [inproc] AP-REQ (SPNEGO)',
      'mi1 -> CONTOSO\\alice [inproc] AP-REP (SPNEGO)',
      'referral TGT        krbtgt/KERBEROS.MICROSOFTONLINE.COM @ CONTOSO.COM',
      'ticket etype aes256-cts-hmac-sha1-96 (18)',
      'SQL login           CONTOSO\\alice (WINDOWS, through the login CONTOSO\\SqlAdmins), mutual authentication verified',
    ]) {
      expect(flow1).toContain(step);
    }
    // What the client's authenticator said of its token and machine (MS-KILE 3.2.5.8), as the instance read it.
    expect(flow1).toMatch(
      /client's token {6}full, integrity medium, machine ID [0-9a-f]{8}\.\.\. \(KERB_AUTH_DATA_TOKEN_RESTRICTIONS\); another machine than the instance: a network logon\n/,
    );
    // The service ticket's PAC: alice, her groups (SqlAdmins through DBAs), and the sIDHistory the trust removed.
    expect(flow1).toMatch(/service ticket PAC .+ the instance verified its signatures: server\n/);
    expect(flow1).toMatch(/user SID {10}S-1-5-21-\d+-\d+-\d+-\d+ \(CONTOSO\\alice\)/);
    expect(flow1).toMatch(/group SIDs {8}S-1-5-21-[\d-]+-513 \(CONTOSO\\Domain Users\)/);
    expect(flow1).toMatch(/S-1-5-21-[\d-]+ \(CONTOSO\\SqlAdmins\)/);
    expect(flow1).toMatch(/filtered at trust S-1-5-21-[\d-]+ \(LEGACY\\alice, sIDHistory\)/);
    const flow2 = stdout.slice(stdout.indexOf('Flow 2'), stdout.indexOf('(Mermaid)'));
    expect(flow2).toContain('lifetime 10 h');
    expect(flow2).toContain(
      'alice@contoso.com -> KDC KERBEROS.MICROSOFTONLINE.COM (via KDC proxy) [kkdcp] TGS-REQ',
    );
    expect(flow2).not.toContain('KDC CONTOSO.COM');
    expect(flow2).toContain('built by Azure AD from the synced directory');
    expect(flow2).toMatch(/\(CONTOSO\\SqlAdmins\)/);
    expect(flow2).not.toContain('filtered at trust');
    expect(flow2).toContain('(WINDOWS, through the login CONTOSO\\SqlAdmins)');
    expect(stdout.match(/```mermaid\nsequenceDiagram/g)).toHaveLength(2);
  });

  it('prints the diagrams docs/flows.md shows (seed 42), so the page stays what the demo does', async () => {
    const page = readFileSync(new URL('../../../docs/flows.md', import.meta.url), 'utf8');
    const mermaid = (text: string) => text.match(/```mermaid\n[\s\S]*?```/g) ?? [];
    const shown = mermaid(page);
    expect(shown).toHaveLength(2);
    expect(mermaid((await run(['demo', '--flow', 'trust'])).stdout)).toEqual([shown[0]]);
    expect(mermaid((await run(['demo', '--flow', 'modern'])).stdout)).toEqual([shown[1]]);
  });

  it('is reproducible per seed', async () => {
    const a = await run(['demo', '--seed', '3', '--flow', 'trust', '--no-mermaid']);
    const b = await run(['demo', '--seed', '3', '--flow', 'trust', '--no-mermaid']);
    expect(a.stdout).toBe(b.stdout);
    expect(a.stdout).not.toContain('Flow 2');
    expect(a.stdout).not.toContain('mermaid');
  });

  it('rejects bad options and stray arguments with a usage error', async () => {
    for (const argv of [
      ['demo', '--flow', 'sideways'],
      ['demo', '--nope'],
      ['demo', 'extra'],
    ]) {
      const { code, stderr } = await run(argv);
      expect(code).toBe(2);
      expect(stderr).toMatch(/^krbsim demo: .+\nTry 'krbsim demo --help'\.\n$/);
    }
  });

  it('takes --seed as a decimal integer only: empty, hexadecimal or past 2^53 is a usage error', async () => {
    for (const seed of ['', '0x2a', '4.2', '1e3', ' 42', '9007199254740993']) {
      const { code, stdout, stderr } = await run(['demo', '--seed', seed]);
      expect(code, seed).toBe(2);
      expect(stdout, seed).toBe('');
      expect(stderr, seed).toBe(
        `krbsim demo: --seed takes a decimal integer (at most 2^53 - 1), got '${seed}'\nTry 'krbsim demo --help'.\n`,
      );
    }
  });
});

describe('krbsim demo --pcap and --json', () => {
  it('a --pcap in a directory that does not exist is a one-line usage error, before any flow runs', async () => {
    const { code, stdout, stderr } = await run(['demo', '--pcap', '/missing/dir/x.pcap']);
    expect(code).toBe(2);
    expect(stdout).toBe('');
    expect(stderr).toBe(
      "krbsim demo: --pcap /missing/dir/x.pcap: the directory /missing/dir does not exist\nTry 'krbsim demo --help'.\n",
    );
    expect(stderr).not.toMatch(/\n\s+at /);
  });

  it('a --pcap, --keytab or --html path that is a directory is a usage error naming it, before any flow runs', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'krbsim-demo-'));
    try {
      for (const flag of ['--pcap', '--keytab', '--html']) {
        const { code, stdout, stderr } = await run(['demo', '--seed', '7', flag, dir]);
        expect(code, flag).toBe(2);
        expect(stdout, flag).toBe('');
        expect(stderr).toBe(
          `krbsim demo: ${flag} ${dir}: ${dir} is a directory\nTry 'krbsim demo --help'.\n`,
        );
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('a --pcap, --keytab or --html path the system refuses at writing is a usage error naming it, after the flows', async () => {
    for (const flag of ['--pcap', '--keytab', '--html']) {
      // /proc/version's directory exists and it is no directory: only the write fails (EACCES, root too).
      const { code, stderr } = await run(['demo', '--seed', '7', flag, '/proc/version']);
      expect(code, flag).toBe(2);
      expect(stderr).toMatch(new RegExp(`^krbsim demo: ${flag} /proc/version: E[A-Z]+`));
      expect(stderr).toContain("Try 'krbsim demo --help'.");
      expect(stderr).not.toMatch(/\n\s+at /);
    }
  });

  it('--keytab writes every key of both realms (mode 0600); --json then shows each ticket and PAC opened, the signatures verified', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'krbsim-demo-'));
    try {
      const keytab = join(dir, 'flows.keytab');
      const text = await run(['demo', '--seed', '7', '--keytab', keytab, '--no-mermaid']);
      expect(text.code).toBe(0);
      expect(text.stdout).toMatch(
        new RegExp(
          `\nwrote \\d+ keys of CONTOSO.COM and KERBEROS.MICROSOFTONLINE.COM to ${keytab} \\(mode 0600\\)\n$`,
        ),
      );
      expect(statSync(keytab).mode & 0o777).toBe(0o600);
      const principals = parseKeytab(readFileSync(keytab)).entries.map((e) =>
        formatPrincipal(e.principal.name, e.principal.realm),
      );
      for (const p of [
        'alice@CONTOSO.COM',
        'krbtgt/CONTOSO.COM@CONTOSO.COM',
        'krbtgt/KERBEROS.MICROSOFTONLINE.COM@CONTOSO.COM',
        'krbtgt/KERBEROS.MICROSOFTONLINE.COM@KERBEROS.MICROSOFTONLINE.COM',
        'MSSQLSvc/mi1.abc123.database.windows.net:1433@KERBEROS.MICROSOFTONLINE.COM',
      ]) {
        expect(principals).toContain(p);
      }
      const { code, stdout } = await run(['demo', '--seed', '7', '--json', '--keytab', keytab]);
      expect(code).toBe(0);
      interface Opened {
        ticket: { type: string };
        authenticator: { type: string };
        pac: { serverSignature: string; kdcSignatures: { result: string } };
      }
      const doc = JSON.parse(stdout) as {
        messages: {
          direction: string;
          type: string;
          decoded?: { mechToken?: { message: { decrypted: Opened } }; decrypted?: Opened };
        }[];
      };
      const logins = doc.messages.filter((m) => m.direction === 'request' && m.type.startsWith('AP-REQ'));
      expect(logins).toHaveLength(2);
      for (const m of logins) {
        const d = m.decoded!.mechToken!.message.decrypted;
        expect(d.pac.serverSignature).toBe('verified');
        expect(d.pac.kdcSignatures.result).toBe('verified');
        expect(d.authenticator.type).toBe('Authenticator');
      }
      // Every TGS-REQ's TGT opened too, and no message left with a part no key opens.
      const tgsReqs = doc.messages.filter((m) => m.type === 'TGS-REQ');
      expect(tgsReqs.length).toBeGreaterThan(0);
      for (const m of tgsReqs) expect(m.decoded!.decrypted!.ticket.type).toBe('EncTicketPart');
      expect(stdout).not.toMatch(/no key in the keytab opens/);
      // Without --keytab nothing is decrypted.
      expect((await run(['demo', '--seed', '7', '--json'])).stdout).not.toContain('"decrypted"');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('--json prints the trace as JSON: each message with direction, parties, type, decoded tree and hex', async () => {
    const { code, stdout, stderr } = await run(['demo', '--json', '--seed', '7']);
    expect(code).toBe(0);
    expect(stderr).toBe('');
    const doc = JSON.parse(stdout) as {
      seed: number;
      logins: Record<string, string>;
      messages: {
        seq: number;
        flow: string;
        direction: string;
        from: string;
        to: string;
        type: string;
        hex: string;
        length: number;
        decoded: { type?: string; value?: unknown };
      }[];
    };
    expect(doc.seed).toBe(7);
    expect(doc.logins).toEqual({ trust: 'CONTOSO\\alice', modern: 'CONTOSO\\alice' });
    const first = doc.messages[0]!;
    expect(first).toMatchObject({
      seq: 1,
      flow: 'trust',
      direction: 'request',
      from: 'CONTOSO\\alice',
      to: 'KDC CONTOSO.COM',
      type: 'AS-REQ',
    });
    expect(first.decoded.type).toBe('AS-REQ');
    expect(first.hex.length).toBe(first.length * 2);
    expect(doc.messages[1]).toMatchObject({
      seq: 1,
      direction: 'reply',
      from: 'KDC CONTOSO.COM',
      to: 'CONTOSO\\alice',
      type: 'KRB-ERROR KDC_ERR_PREAUTH_REQUIRED',
    });
    const apReq = doc.messages.find((m) => m.type === 'AP-REQ (SPNEGO)' && m.flow === 'modern');
    expect(apReq?.to).toBe('mi1');
    expect(apReq?.decoded.type).toBe('SPNEGO NegTokenInit');
    // The modern flow starts with the PRT request (HTTP, named by the trace, not decoded).
    const prt = doc.messages.filter((m) => m.type.startsWith('PRT '));
    expect(prt.map((m) => [m.flow, m.direction, m.type])).toEqual([
      ['modern', 'request', 'PRT request'],
      ['modern', 'reply', 'PRT response'],
    ]);
    expect(Buffer.from(prt[0]!.hex, 'hex').toString()).toContain('tgt=true');
    // Every Kerberos message decodes, and every hex is its bytes.
    for (const m of doc.messages) {
      if (!m.type.startsWith('PRT ')) expect(m.decoded).not.toHaveProperty('error');
      expect(m.hex).toMatch(/^([0-9a-f]{2})+$/);
    }
    expect(new Set(doc.messages.map((m) => m.flow))).toEqual(new Set(['trust', 'modern']));
  });
});

describe('krbsim demo --tds', () => {
  it('logs in over TDS on loopback: the trace shows PRELOGIN, LOGIN7 with the token bound to the TLS channel, LOGINACK with the AP-REP, and the same logins', async () => {
    const { code, stdout, stderr } = await run(['demo', '--tds', '--seed', '7', '--no-mermaid']);
    expect(code, stderr).toBe(0);
    for (const flow of [
      stdout.slice(stdout.indexOf('Flow 1'), stdout.indexOf('Flow 2')),
      stdout.slice(stdout.indexOf('Flow 2')),
    ]) {
      expect(flow).toMatch(/SQL client 127\.0\.0\.1:\d+ -> mi1 \[tds\] PRELOGIN \d+ bytes\n/);
      expect(flow).toMatch(/-> mi1 \[tds\] LOGIN7 \d+ bytes sspi=AP-REQ \(SPNEGO\) \(in TLS\)/);
      expect(flow).toMatch(
        /mi1 -> SQL client .* \[tds\] LOGINACK \d+ bytes sspi=AP-REP \(SPNEGO\) \(in TLS\)/,
      );
      expect(flow).not.toContain('[inproc] AP-REQ');
      expect(flow).toContain('mutual authentication verified');
      // The token is asked for once TLS is up, as a Windows driver asks SSPI: the service ticket's
      // TGS-REQ comes after PRELOGIN, and the listener, under Extended Protection required, took the
      // token's bindings (an unbound token is refused there).
      expect(flow.indexOf('[tds] PRELOGIN')).toBeLessThan(flow.lastIndexOf('TGS-REQ'));
      expect(flow).toContain(
        'channel binding     the token bound to the TLS channel (tls-server-end-point), checked by the listener (Extended Protection required)',
      );
    }
    expect(stdout).toContain(
      'SQL login           CONTOSO\\alice (WINDOWS, through the login CONTOSO\\SqlAdmins)',
    );
  });

  it('--json names the TDS messages as the trace does, and decodes only the Kerberos ones', async () => {
    const { code, stdout } = await run(['demo', '--tds', '--json', '--flow', 'trust']);
    expect(code).toBe(0);
    const doc = JSON.parse(stdout) as {
      logins: Record<string, string>;
      messages: { type: string; transport: string; decoded?: unknown }[];
    };
    expect(doc.logins).toEqual({ trust: 'CONTOSO\\alice' });
    const types = doc.messages.map((m) => m.type);
    expect(types).toEqual(expect.arrayContaining(['PRELOGIN', 'LOGIN7', 'LOGINACK', 'SQL batch', 'result']));
    const login7 = doc.messages.find((m) => m.type === 'LOGIN7')!;
    expect(login7).not.toHaveProperty('decoded');
    expect(doc.messages.find((m) => m.type === 'AS-REQ')).toHaveProperty('decoded');
  });
});
