/**
 * MIT kinit with name canonicalization against krbsim (RFC 6806): `-C`
 * (canonicalize), `-E` (an enterprise name) and both. MIT sends an empty
 * PA-REQ-ENC-PA-REP in every AS-REQ and rejects a reply whose enc-pa-rep flag
 * is not backed by the checksum of section 11 ("KDC reply did not match
 * expectations"); Windows clients set canonicalize on every AS-REQ, so this
 * is the scenario's default path.
 */

import { join, resolve } from 'node:path';
import { expect, it } from 'vitest';
import { loadTopologyFile } from '../../packages/cli/src/index';
import { MIT_CLIENT_TOOLS, MitClient, parseKlist } from './helpers/mit';
import { servedTopology } from './helpers/served-topology';
import { describeWithTools } from './mit-tools';

const EXAMPLES = join(resolve(__dirname, '../..'), 'packages/cli/examples');
const ALICE = 'correct horse battery staple';

describeWithTools('MIT kinit -C / -E against krbsim (RFC 6806)', MIT_CLIENT_TOOLS, (tools) => {
  const served = servedTopology('canon-mit', () => loadTopologyFile(join(EXAMPLES, 'contoso-fabrikam.yaml')));
  const { log } = served;
  const mit = (name: string): MitClient =>
    new MitClient(tools, served.dir.path, served.topo.files!.krb5conf, served.dir.file(`cc-${name}`), () =>
      log.map((e) => `${e.realm} ${e.transport} ${e.line}`).join('\n'),
    );

  const cases: [string, string[], string][] = [
    ['kinit -C', ['-C', 'alice@CONTOSO.COM'], 'alice@CONTOSO.COM'],
    ['kinit -E', ['-E', 'alice@CONTOSO.COM'], 'alice@CONTOSO.COM'],
    ['kinit -E -C', ['-E', '-C', 'alice@CONTOSO.COM'], 'alice@CONTOSO.COM'],
  ];
  for (const [label, args, principal] of cases) {
    it(`${label} gets a TGT, the reply's canonical names trusted through PA-REQ-ENC-PA-REP`, async () => {
      const client = mit(label.replace(/\W+/g, '-'));
      // Before RFC 6806 section 11 was honoured, this failed: "KDC reply did not match expectations".
      await client.ok('kinit', args, { input: `${ALICE}\n` });
      const k = parseKlist((await client.ok('klist', [])).stdout);
      expect(k.principal).toBe(principal);
      expect(k.tickets.map((t) => t.server)).toEqual(['krbtgt/CONTOSO.COM@CONTOSO.COM']);
    });
  }

  it('kinit -E frank@fabrikam.com follows the client referral from CONTOSO to FABRIKAM (RFC 6806 section 7)', async () => {
    const client = mit('client-referral');
    const before = log.length;
    // The default realm is CONTOSO.COM; the UPN suffix fabrikam.com belongs to the trusted forest.
    await client.ok('kinit', ['-E', 'frank@fabrikam.com'], { input: 'Fr4nk-Passw0rd\n' });
    const lines = log.slice(before).map((e) => `${e.realm} ${e.line}`);
    expect(lines[0]).toMatch(/^CONTOSO\.COM AS-REQ frank\\@fabrikam\.com@\S+ .* KDC_ERR_WRONG_REALM/);
    expect(lines.at(-1)).toMatch(/^FABRIKAM\.COM AS-REQ .* -> AS-REP$/);
    const k = parseKlist((await client.ok('klist', [])).stdout);
    expect(k.tickets.map((t) => t.server)).toEqual(['krbtgt/FABRIKAM.COM@FABRIKAM.COM']);
  });

  it('kvno after kinit -C works across the trust', async () => {
    const client = mit('kvno-canon');
    await client.ok('kinit', ['-C', 'alice@CONTOSO.COM'], { input: `${ALICE}\n` });
    await client.ok('kvno', ['HTTP/portal.fabrikam.com@FABRIKAM.COM']);
  });
});
