/**
 * The lab's trace is bounded (issue 14): it keeps the last 1,000 messages
 * by default, so a long test run that reuses one lab does not grow without
 * bound; `traceEntries` changes the bound, `Infinity` keeps every message.
 * It also keeps at most 16 MiB of messages (`traceBytes`): a SQL client's
 * batches of up to 1 MiB each cannot make it hold a gigabyte.
 */

import { createAzureSqlMiLab } from '@krbsim/azure';
import { describe, expect, it } from 'vitest';

const apReq = Uint8Array.of(0x6e, 0x00);

describe('the lab trace', () => {
  it('keeps the last 1,000 messages by default', () => {
    const lab = createAzureSqlMiLab();
    for (let i = 0; i < 2500; i++) lab.trace.record({ from: 'client', to: 'mi1', request: apReq });
    expect(lab.trace.entries).toHaveLength(1000);
    expect(lab.trace.entries[0]!.seq).toBe(1501);
    expect(lab.trace.entries.at(-1)!.seq).toBe(2500);
  });

  it('takes another bound, or none', () => {
    const small = createAzureSqlMiLab({ traceEntries: 10 });
    const all = createAzureSqlMiLab({ traceEntries: Number.POSITIVE_INFINITY });
    for (let i = 0; i < 1500; i++) {
      small.trace.record({ from: 'client', to: 'mi1', request: apReq });
      all.trace.record({ from: 'client', to: 'mi1', request: apReq });
    }
    expect(small.trace.entries.map((e) => e.seq)).toEqual(Array.from({ length: 10 }, (_, i) => 1491 + i));
    expect(all.trace.entries).toHaveLength(1500);
  });

  it('keeps at most 16 MiB of messages by default, or as traceBytes says', () => {
    const lab = createAzureSqlMiLab();
    const batch = new Uint8Array(1024 * 1024);
    const tds = {
      from: 'client',
      to: 'mi1',
      protocol: 'tds' as const,
      requestType: 'SQL_BATCH',
      request: batch,
    };
    for (let i = 0; i < 40; i++) lab.trace.record(tds);
    expect(lab.trace.entries.map((e) => e.seq)).toEqual(Array.from({ length: 16 }, (_, i) => 25 + i));
    const small = createAzureSqlMiLab({ traceBytes: 3 * 1024 * 1024 });
    for (let i = 0; i < 40; i++) small.trace.record(tds);
    expect(small.trace.entries).toHaveLength(3);
  });

  it('still records a whole flow', async () => {
    const lab = createAzureSqlMiLab({ traceEntries: 3 });
    const alice = lab.onPrem.addUser('alice', { password: 'correct horse' });
    const mi = lab.addManagedInstance({ name: 'mi1', dnsZone: 'abc123', subnet: '10.0.0.0/24' });
    mi.enableWindowsAuthenticationPrerequisites();
    mi.authenticationMetadata = 'Windows';
    mi.createLogin('CONTOSO\\alice', 'WINDOWS');
    lab.setupCloudTrust();
    const pc = lab.adJoinedClient(alice);
    const ctx = await pc.initSecurityContext(mi.spn);
    expect(mi.accept(ctx.token, pc.participant).login).toBe('CONTOSO\\alice');
    expect(lab.trace.entries).toHaveLength(3);
    expect(lab.trace.nextSeq).toBeGreaterThan(4);
  });
});
