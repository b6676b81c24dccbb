/**
 * @krbsim/transport's KDC server and @krbsim/files' krb5.conf writer against
 * MIT's kinit: kinit finds the KDC through a krbsim-written krb5.conf, sends
 * its AS-REQ over UDP or TCP (RFC 4120 section 7.2) to `serveKdc`, understands
 * the KRB-ERROR built by the transport layer, and retries over TCP after
 * KRB_ERR_RESPONSE_TOO_BIG.
 */

import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { encodeKrbError, krbError } from '@krbsim/asn1';
import { ErrorCode, ManualClock } from '@krbsim/core';
import { writeKrb5Conf } from '@krbsim/files';
import {
  type KdcHandler,
  type KdcServer,
  messageType,
  peekRequestTarget,
  serveKdc,
  type TransportKind,
} from '@krbsim/transport';
import { afterAll, afterEach, beforeAll, expect, it } from 'vitest';
import { describeWithTools, runTool } from './mit-tools';

const REALM = 'CONTOSO.COM';
const clock = new ManualClock(Date.UTC(2026, 0, 1));

let dir: string;
const servers: KdcServer[] = [];
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'krbsim-transport-mit-'));
});
afterEach(async () => {
  await Promise.all(servers.splice(0).map((s) => s.close()));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

interface Seen {
  transport: TransportKind;
  type: string;
  realm?: string;
  cname?: string;
}

/** A KDC that knows no one: every AS-REQ gets KDC_ERR_C_PRINCIPAL_UNKNOWN, padded to `size` bytes if asked. */
async function unknownClientKdc(padTo = 0): Promise<{ server: KdcServer; seen: Seen[]; log: string[] }> {
  const seen: Seen[] = [];
  const log: string[] = [];
  const handler: KdcHandler = (request, info) => {
    const target = peekRequestTarget(request);
    seen.push({
      transport: info.transport,
      type: messageType(request),
      ...(target ? { realm: target.realm, cname: target.cname?.nameString.join('/') } : {}),
    });
    return encodeKrbError(
      krbError({
        errorCode: ErrorCode.KDC_ERR_C_PRINCIPAL_UNKNOWN,
        now: clock.now(),
        realm: target?.realm ?? REALM,
        ...(target?.sname ? { sname: target.sname } : {}),
        ...(target?.cname ? { crealm: target.realm, cname: target.cname } : {}),
        ...(padTo > 0 ? { eText: 'x'.repeat(padTo) } : {}),
      }),
    );
  };
  const server = await serveKdc(handler, { clock, log: (l) => log.push(l) });
  servers.push(server);
  return { server, seen, log };
}

async function kinit(kinitPath: string, server: KdcServer, libdefaults: Record<string, number | boolean>) {
  const conf = join(dir, `krb5-${server.udpPort}.conf`);
  await writeFile(
    conf,
    writeKrb5Conf({
      defaultRealm: REALM,
      realms: [{ name: REALM, kdcs: [`127.0.0.1:${server.udpPort}`] }],
      domainRealm: { '.contoso.com': REALM },
      libdefaults,
    }),
  );
  return runTool(kinitPath, [`alice@${REALM}`], {
    env: { KRB5_CONFIG: conf, KRB5CCNAME: `FILE:${join(dir, 'cc')}`, KRB5RCACHETYPE: 'none' },
  });
}

describeWithTools('MIT kinit against serveKdc', ['kinit'], (tools) => {
  it('sends its AS-REQ over UDP and understands the KRB-ERROR', async () => {
    const { server, seen, log } = await unknownClientKdc();
    const r = await kinit(tools.kinit!, server, {});
    expect(r.code).not.toBe(0);
    expect(r.stderr).toContain(`Client 'alice@${REALM}' not found in Kerberos database`);
    expect(seen.length).toBeGreaterThan(0);
    expect(seen[0]).toEqual({ transport: 'udp', type: 'AS-REQ', realm: REALM, cname: 'alice' });
    expect(log[0]).toMatch(
      /^udp 127\.0\.0\.1:\d+ AS-REQ \d+ bytes -> KRB-ERROR KDC_ERR_C_PRINCIPAL_UNKNOWN \d+ bytes$/,
    );
  });

  it('uses TCP framing when udp_preference_limit = 1', async () => {
    const { server, seen } = await unknownClientKdc();
    const r = await kinit(tools.kinit!, server, { udp_preference_limit: 1 });
    expect(r.stderr).toContain('not found in Kerberos database');
    expect(seen.map((s) => s.transport)).toEqual(seen.map(() => 'tcp'));
    expect(seen[0]!.type).toBe('AS-REQ');
  });

  it('retries over TCP after the server answers KRB_ERR_RESPONSE_TOO_BIG on UDP', async () => {
    const { server, seen, log } = await unknownClientKdc(3000);
    const r = await kinit(tools.kinit!, server, {});
    // MIT accepted the RESPONSE_TOO_BIG error as a cue, then got the full error over TCP.
    expect(r.stderr).toContain('not found in Kerberos database');
    expect(seen.slice(0, 2).map((s) => s.transport)).toEqual(['udp', 'tcp']);
    expect(log[0]).toMatch(/too big for UDP: KRB-ERROR KRB_ERR_RESPONSE_TOO_BIG$/);
    expect(log[1]).toMatch(/^tcp .* -> KRB-ERROR KDC_ERR_C_PRINCIPAL_UNKNOWN \d+ bytes$/);
  });
});
