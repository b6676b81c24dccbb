/**
 * MIT `kvno -U` (S4U2Self, MS-SFU) against krbsim: the service logs in with
 * its keytab, then asks for a ticket to itself in alice's name. MIT sends
 * PA-S4U-X509-USER and PA-FOR-USER together and checks the reply's
 * PA-S4U-X509-USER echo.
 */

import { join, resolve } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import {
  loadTopologyFile,
  type RequestLogEntry,
  type RunningTopology,
  startTopology,
} from '../../packages/cli/src/index';
import { MIT_CLIENT_TOOLS, MitClient, parseKlist } from './helpers/mit';
import { makeTempDir, type TempDir } from './helpers/processes';
import { describeWithTools } from './mit-tools';

const EXAMPLES = join(resolve(__dirname, '../..'), 'packages/cli/examples');
const SERVER = 'host/server.contoso.com@CONTOSO.COM';

describeWithTools('MIT kvno -U (S4U2Self) against krbsim', MIT_CLIENT_TOOLS, (tools) => {
  let dir: TempDir;
  let topo: RunningTopology;
  const log: RequestLogEntry[] = [];
  const mit = (name: string): MitClient =>
    new MitClient(tools, dir.path, topo.files!.krb5conf, dir.file(`cc-${name}`), () =>
      log.map((e) => `${e.realm} ${e.transport} ${e.line}`).join('\n'),
    );

  beforeAll(async () => {
    dir = await makeTempDir('s4u-mit');
    topo = await startTopology(await loadTopologyFile(join(EXAMPLES, 'contoso-fabrikam.yaml')), {
      dir: dir.path,
      log: (e) => log.push(e),
    });
  });
  afterAll(async () => {
    await topo?.close();
    await dir?.remove();
  });

  it('kvno -U alice gets the service a ticket to itself for alice', async () => {
    const svc = mit('svc');
    await svc.ok('kinit', ['-k', '-t', topo.files!.keytabs[SERVER]!, SERVER]);
    const before = log.length;
    const r = await svc.ok('kvno', ['-U', 'alice', SERVER]);
    expect(r.stdout).toContain(`${SERVER}: kvno = 1`);
    expect(log.slice(before).map((e) => e.line)).toEqual([
      // MIT first asks who alice is (an enterprise name, no realm): the answer wants pre-authentication.
      'AS-REQ alice@CONTOSO.COM for krbtgt/CONTOSO.COM@CONTOSO.COM -> KRB-ERROR KDC_ERR_PREAUTH_REQUIRED (25)',
      `TGS-REQ ${SERVER} for ${SERVER} -> TGS-REP (S4U2Self for alice@CONTOSO.COM)`,
    ]);
    const k = parseKlist((await svc.ok('klist', [])).stdout);
    expect(k.principal).toBe(SERVER);
  });

  it('kvno -U for an unknown user fails with the KDC refusal, not a ticket', async () => {
    const svc = mit('svc-unknown');
    await svc.ok('kinit', ['-k', '-t', topo.files!.keytabs[SERVER]!, SERVER]);
    const r = await svc.run('kvno', ['-U', 'nobody', SERVER]);
    expect(r.code, svc.explain(r)).not.toBe(0);
    expect(log.at(-1)!.line).toMatch(/KRB-ERROR KDC_ERR_C_PRINCIPAL_UNKNOWN \(6\)$/);
  });
});
