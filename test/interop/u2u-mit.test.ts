/**
 * MIT `kvno --u2u` against krbsim (RFC 4120 section 3.7): bob's TGT, in his
 * ccache, is the second ticket; alice gets a ticket for bob sealed in its
 * session key. Before user-to-user was implemented, krbsim refused the
 * request with KDC_ERR_BADOPTION.
 */

import { join, resolve } from 'node:path';
import { expect, it } from 'vitest';
import { loadTopologyFile } from '../../packages/cli/src/index';
import { MIT_CLIENT_TOOLS, MitClient, parseKlist } from './helpers/mit';
import { servedTopology } from './helpers/served-topology';
import { describeWithTools } from './mit-tools';

const EXAMPLES = join(resolve(__dirname, '../..'), 'packages/cli/examples');

describeWithTools('MIT kvno --u2u against krbsim', MIT_CLIENT_TOOLS, (tools) => {
  const served = servedTopology('u2u-mit', () => loadTopologyFile(join(EXAMPLES, 'azure-trust.yaml')));
  const { log } = served;
  const mit = (name: string): MitClient =>
    new MitClient(tools, served.dir.path, served.topo.files!.krb5conf, served.dir.file(`cc-${name}`), () =>
      log.map((e) => `${e.realm} ${e.transport} ${e.line}`).join('\n'),
    );

  it("kvno --u2u gets alice a ticket for bob, sealed in bob's TGT session key", async () => {
    const bob = mit('bob');
    await bob.ok('kinit', ['bob@CONTOSO.COM'], { input: 'B0b-Passw0rd\n' });
    const alice = mit('alice');
    await alice.ok('kinit', ['alice@CONTOSO.COM'], { input: 'Al1ce-Passw0rd\n' });
    const before = log.length;
    const r = await alice.ok('kvno', ['--u2u', served.dir.file('cc-bob'), 'bob@CONTOSO.COM']);
    expect(r.stdout).toContain('bob@CONTOSO.COM: kvno = 0'); // no kvno: a session key sealed it
    expect(log.slice(before).map((e) => e.line)).toEqual([
      'TGS-REQ alice@CONTOSO.COM for bob@CONTOSO.COM -> TGS-REP (FAST)',
    ]);
    const k = parseKlist((await alice.ok('klist', [])).stdout);
    expect(k.tickets.map((t) => t.server)).toContain('bob@CONTOSO.COM');
  });
});
