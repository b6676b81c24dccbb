/**
 * Heimdal's `kinit --fast-armor-cache` against krbsim serve (FAST, RFC 6113):
 * a computer's TGT from `kinit -k` armors alice's AS exchange, which krbsim
 * answers with a FAST reply, and a realm whose policy requires FAST admits
 * the armored kinit only. Heimdal 7.8 reads neither the METHOD-DATA inside
 * an armored error (it guesses the salt and sends PA-ENC-TIMESTAMP inside
 * FAST, which krbsim accepts as Heimdal's KDC does) nor the strengthen key
 * (its KDC sends none): these realms send none either (fastStrengthenKey).
 */

import { expect, it } from 'vitest';
import { parseTopology } from '../../packages/cli/src/index';
import { describeWithHeimdal, HeimdalClient, parseHeimdalKlist } from './helpers/heimdal';
import { servedTopology } from './helpers/served-topology';

const TOPOLOGY = `
realms:
  - name: FAST.TEST
    policy: { fastStrengthenKey: false } # Heimdal 7's kinit ignores strengthen keys
    users:
      - { name: alice, password: Al1ce-Passw0rd }
    computers:
      - { name: PC1 }
  - name: STRICT.TEST
    policy: { fast: required, fastStrengthenKey: false }
    users:
      - { name: alice, password: Al1ce-Passw0rd }
    computers:
      - { name: PC1 }
`;

describeWithHeimdal('Heimdal kinit --fast-armor-cache against krbsim', (heimdal) => {
  const served = servedTopology('fast-heimdal', () => parseTopology(TOPOLOGY));
  const { log } = served;
  const client = (name: string): HeimdalClient =>
    new HeimdalClient(
      heimdal,
      served.dir.path,
      served.topo.files!.krb5conf,
      served.dir.file(`cc-${name}`),
      () => log.map((e) => `${e.realm} ${e.transport} ${e.line}`).join('\n'),
    );
  const armor = async (realm: string): Promise<string> => {
    const host = client(`armor-${realm}`);
    await host.ok('kinit', [
      '-k',
      `--keytab=${served.topo.files!.keytabs[`PC1$@${realm}`]!}`,
      `PC1$@${realm}`,
    ]);
    return host.ccache;
  };

  it('kinit --fast-armor-cache gets a TGT through an armored AS exchange', async () => {
    const armorCc = await armor('FAST.TEST');
    const alice = client('alice');
    const before = log.length;
    const r = await alice.ok(
      'kinit',
      [`--fast-armor-cache=FILE:${armorCc}`, '--password-file=STDIN', 'alice@FAST.TEST'],
      {
        input: 'Al1ce-Passw0rd\n',
      },
    );
    const lines = log.slice(before).map((e) => e.line);
    expect(lines.at(-1), alice.explain(r)).toMatch(
      /^AS-REQ alice@FAST\.TEST for krbtgt\/FAST\.TEST@FAST\.TEST -> AS-REP \(FAST\)$/,
    );
    const k = parseHeimdalKlist((await alice.ok('klist', ['-v'])).stdout);
    expect(k.principal).toBe('alice@FAST.TEST');
    expect(k.tickets[0]!.flags).toEqual(expect.arrayContaining(['initial', 'pre-authent']));
  });

  it('a realm requiring FAST refuses the unarmored kinit and admits the armored one', async () => {
    const plain = client('strict-plain');
    const refused = await plain.run('kinit', ['--password-file=STDIN', 'alice@STRICT.TEST'], {
      input: 'Al1ce-Passw0rd\n',
    });
    expect(refused.code, plain.explain(refused)).not.toBe(0);
    const armorCc = await armor('STRICT.TEST');
    const alice = client('strict-armored');
    const r = await alice.ok(
      'kinit',
      [`--fast-armor-cache=FILE:${armorCc}`, '--password-file=STDIN', 'alice@STRICT.TEST'],
      {
        input: 'Al1ce-Passw0rd\n',
      },
    );
    expect(log.at(-1)!.line, alice.explain(r)).toContain('AS-REP (FAST)');
  });
});
