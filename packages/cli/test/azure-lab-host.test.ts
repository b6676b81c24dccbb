/**
 * `krbsim serve azure-sql-mi --host 0.0.0.0`: the lab listens on every
 * interface, and the files it writes name an address a client can connect to.
 */

import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { startAzureLab } from '../src/azure-lab';
import { runCli } from '../src/cli';
import { loadServeFile } from '../src/serve-file';

describe('the Azure lab served on a wildcard address', () => {
  it('writes loopback, not 0.0.0.0, into krb5.conf, freetds.conf and ports.json', async () => {
    const file = await loadServeFile('azure-sql-mi');
    if (file.kind !== 'azure-sql-mi') throw new Error('the built-in azure-sql-mi is a lab file');
    const dir = await mkdtemp(join(tmpdir(), 'krbsim-azure-host-'));
    const running = await startAzureLab({ lab: file.lab, dir, host: '0.0.0.0' });
    try {
      const krb5 = await readFile(running.ports.krb5conf, 'utf8');
      const freetds = await readFile(running.ports.freetdsconf, 'utf8');
      const ports = await readFile(join(dir, 'ports.json'), 'utf8');
      for (const text of [krb5, freetds, ports]) expect(text).not.toContain('0.0.0.0');
      const kdc = Object.values(running.ports.kdcs)[0]!;
      expect(krb5).toContain(`kdc = 127.0.0.1:${kdc.udp}`);
      expect(krb5).toMatch(/kdc = https:\/\/127\.0\.0\.1:\d+\/[0-9a-f-]+\/kerberos/);
      expect(kdc.host).toBe('127.0.0.1');
      for (const t of Object.values(running.ports.tds)) expect(t.host).toBe('127.0.0.1');
      expect(freetds).toContain('host = 127.0.0.1');
    } finally {
      await running.close();
      await rm(dir, { recursive: true, force: true });
    }
  });
});

describe('serve --help', () => {
  it('lists --keep among the options an Azure lab takes', async () => {
    let out = '';
    const code = await runCli(['serve', '--help'], {
      stdout: (s: string) => {
        out += s;
      },
      stderr: () => {},
    });
    expect(code).toBe(0);
    const lab = out.slice(out.indexOf('An Azure lab file'), out.indexOf('Serve every realm'));
    expect(lab).toMatch(/--kdc-keytab, --dir, --keep, --host,\s+--seed and the log options apply/);
  });
});
