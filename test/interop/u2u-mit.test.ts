/**
 * MIT `kvno --u2u` against krbsim (RFC 4120 section 3.7): bob's TGT, in his
 * ccache, is the second ticket; alice gets a ticket for bob sealed in its
 * session key. Before user-to-user was implemented, krbsim refused the
 * request with KDC_ERR_BADOPTION.
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

describeWithTools('MIT kvno --u2u against krbsim', MIT_CLIENT_TOOLS, (tools) => {
  let dir: TempDir;
  let topo: RunningTopology;
  const log: RequestLogEntry[] = [];
  const mit = (name: string): MitClient =>
    new MitClient(tools, dir.path, topo.files!.krb5conf, dir.file(`cc-${name}`), () =>
      log.map((e) => `${e.realm} ${e.transport} ${e.line}`).join('\n'),
    );

  beforeAll(async () => {
    dir = await makeTempDir('u2u-mit');
    topo = await startTopology(await loadTopologyFile(join(EXAMPLES, 'azure-trust.yaml')), {
      dir: dir.path,
      log: (e) => log.push(e),
    });
  });
  afterAll(async () => {
    await topo?.close();
    await dir?.remove();
  });

  it("kvno --u2u gets alice a ticket for bob, sealed in bob's TGT session key", async () => {
    const bob = mit('bob');
    await bob.ok('kinit', ['bob@CONTOSO.COM'], { input: 'B0b-Passw0rd\n' });
    const alice = mit('alice');
    await alice.ok('kinit', ['alice@CONTOSO.COM'], { input: 'Al1ce-Passw0rd\n' });
    const before = log.length;
    const r = await alice.ok('kvno', ['--u2u', dir.file('cc-bob'), 'bob@CONTOSO.COM']);
    expect(r.stdout).toContain('bob@CONTOSO.COM: kvno = 0'); // no kvno: a session key sealed it
    expect(log.slice(before).map((e) => e.line)).toEqual([
      'TGS-REQ alice@CONTOSO.COM for bob@CONTOSO.COM -> TGS-REP (FAST)',
    ]);
    const k = parseKlist((await alice.ok('klist', [])).stdout);
    expect(k.tickets.map((t) => t.server)).toContain('bob@CONTOSO.COM');
  });
});
