import { describe, expect, it } from 'vitest';
import { runCli } from '../src/cli';

async function run(args: string[]) {
  const out: string[] = [];
  const err: string[] = [];
  const code = await runCli(args, {
    stdout: (t) => {
      out.push(t);
    },
    stderr: (t) => {
      err.push(t);
    },
  });
  return { code, stdout: out.join(''), stderr: err.join('') };
}

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
      'SQL login           CONTOSO\\alice (WINDOWS), mutual authentication verified',
    ]) {
      expect(flow1).toContain(step);
    }
    const flow2 = stdout.slice(stdout.indexOf('Flow 2'), stdout.indexOf('(Mermaid)'));
    expect(flow2).toContain('lifetime 10 h');
    expect(flow2).toContain(
      'alice@contoso.com -> KDC KERBEROS.MICROSOFTONLINE.COM (via KDC proxy) [kkdcp] TGS-REQ',
    );
    expect(flow2).not.toContain('KDC CONTOSO.COM');
    expect(stdout.match(/```mermaid\nsequenceDiagram/g)).toHaveLength(2);
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
});
