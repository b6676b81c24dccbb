/**
 * MIT `kvno -U` (S4U2Self, MS-SFU) against krbsim: the service logs in with
 * its keytab, then asks for a ticket to itself in alice's name. MIT sends
 * PA-S4U-X509-USER and PA-FOR-USER together and checks the reply's
 * PA-S4U-X509-USER echo.
 */

import { join, resolve } from 'node:path';
import { expect, it } from 'vitest';
import {
  loadTopologyFile,
  type RequestLogEntry,
  startTopology,
  validateTopology,
} from '../../packages/cli/src/index';
import { MIT_CLIENT_TOOLS, MitClient, parseKlist } from './helpers/mit';
import { makeTempDir } from './helpers/processes';
import { servedTopology } from './helpers/served-topology';
import { describeWithTools } from './mit-tools';

const EXAMPLES = join(resolve(__dirname, '../..'), 'packages/cli/examples');
const SERVER = 'host/server.contoso.com@CONTOSO.COM';

describeWithTools('MIT kvno -U (S4U2Self) against krbsim', MIT_CLIENT_TOOLS, (tools) => {
  const served = servedTopology('s4u-mit', () => loadTopologyFile(join(EXAMPLES, 'contoso-fabrikam.yaml')));
  const { log } = served;
  const mit = (name: string): MitClient =>
    new MitClient(tools, served.dir.path, served.topo.files!.krb5conf, served.dir.file(`cc-${name}`), () =>
      log.map((e) => `${e.realm} ${e.transport} ${e.line}`).join('\n'),
    );

  /**
   * Runs `f` against a topology of its own, served in a temp dir, with a MIT client of its own
   * ccache (whose failures show the KDCs' log) and the log.
   */
  async function withTopology(
    name: string,
    topology: Parameters<typeof startTopology>[0],
    f: (svc: MitClient, events: RequestLogEntry[]) => Promise<void>,
  ): Promise<void> {
    const d = await makeTempDir(name);
    const events: RequestLogEntry[] = [];
    const t = await startTopology(topology, { dir: d.path, log: (e) => events.push(e) });
    try {
      const svc = new MitClient(tools, d.path, t.files!.krb5conf, d.file('cc'), () =>
        events.map((e) => `${e.realm} ${e.line}`).join('\n'),
      );
      await f(svc, events);
    } finally {
      await t.close();
      await d.remove();
    }
  }

  it('kvno -U alice gets the service a ticket to itself for alice', async () => {
    const svc = mit('svc');
    await svc.ok('kinit', ['-k', '-t', served.topo.files!.keytabs[SERVER]!, SERVER]);
    const before = log.length;
    const r = await svc.ok('kvno', ['-U', 'alice', SERVER]);
    expect(r.stdout).toContain(`${SERVER}: kvno = 1`);
    // MIT first asks who alice is (an enterprise name, no realm): the answer wants pre-authentication.
    // The S4U2Self reply, with alice's PAC, may be too big for UDP (logged so) and come again over TCP.
    expect(
      [...new Set(log.slice(before).map((e) => e.line))].filter(
        (l) => !l.endsWith('too big for UDP: KRB_ERR_RESPONSE_TOO_BIG'),
      ),
    ).toEqual([
      'AS-REQ alice@CONTOSO.COM for krbtgt/CONTOSO.COM@CONTOSO.COM -> KRB-ERROR KDC_ERR_PREAUTH_REQUIRED (25)',
      `TGS-REQ ${SERVER} for ${SERVER} -> TGS-REP (S4U2Self for alice@CONTOSO.COM) (FAST)`,
    ]);
    const k = parseKlist((await svc.ok('klist', [])).stdout);
    expect(k.principal).toBe(SERVER);
  });

  it('kvno -U for an unknown user fails with the KDC refusal, not a ticket', async () => {
    const svc = mit('svc-unknown');
    await svc.ok('kinit', ['-k', '-t', served.topo.files!.keytabs[SERVER]!, SERVER]);
    const r = await svc.run('kvno', ['-U', 'nobody', SERVER]);
    expect(r.code, svc.explain(r)).not.toBe(0);
    expect(log.at(-1)!.line).toMatch(/KRB-ERROR KDC_ERR_C_PRINCIPAL_UNKNOWN \(6\)$/);
  });

  /** CONTOSO.COM (alice) and FABRIKAM.COM (the service account svc_sql), with a forest trust. */
  const forests = (direction: 'one-way' | 'two-way', fabrikamUsers: readonly object[] = []) =>
    validateTopology({
      realms: [
        {
          name: 'CONTOSO.COM',
          kind: 'active-directory',
          domains: ['contoso.com'],
          users: [{ name: 'alice', password: 'Al1ce-Passw0rd' }],
        },
        {
          name: 'FABRIKAM.COM',
          kind: 'active-directory',
          domains: ['fabrikam.com'],
          users: [
            { name: 'svc_sql', password: 'Svc-Sql-Passw0rd', spns: ['MSSQLSvc/sql.fabrikam.com:1433'] },
            ...fabrikamUsers,
          ],
        },
      ],
      trusts: [
        {
          trusting: 'FABRIKAM.COM',
          trusted: 'CONTOSO.COM',
          direction,
          kind: 'forest',
          topLevelNames: ['fabrikam.com'],
          password: 'Tru5t-Passw0rd',
        },
      ],
    });

  it('kvno -U alice@CONTOSO.COM across a two-way forest trust: the three TGS-REQs of cross-realm S4U2Self, armored', async () => {
    await withTopology('s4u-cross-realm-mit', forests('two-way'), async (svc, events) => {
      await svc.ok('kinit', ['svc_sql@FABRIKAM.COM'], { input: 'Svc-Sql-Passw0rd\n' });
      const before = events.length;
      const r = await svc.ok('kvno', ['-U', 'alice@CONTOSO.COM', 'svc_sql@FABRIKAM.COM']);
      expect(r.stdout).toContain('svc_sql@FABRIKAM.COM: kvno = 1');
      // MIT first finds alice's realm (an enterprise name: a client referral from FABRIKAM, then
      // CONTOSO wants pre-authentication), then MS-SFU 3.1.5.1.1.2: a cross-realm TGT to CONTOSO,
      // S4U2Self there (a referral back, with alice's PAC), and S4U2Self at home with that referral.
      // MIT armors each TGS-REQ with its TGT (FAST), the last hop included.
      const user = 'alice\\@CONTOSO.COM@CONTOSO.COM';
      expect([...new Set(events.slice(before).map((e) => `${e.realm} ${e.line}`))]).toEqual([
        `FABRIKAM.COM AS-REQ ${user} for krbtgt/FABRIKAM.COM@FABRIKAM.COM -> KRB-ERROR KDC_ERR_WRONG_REALM (68)`,
        `CONTOSO.COM AS-REQ ${user} for krbtgt/CONTOSO.COM@CONTOSO.COM -> KRB-ERROR KDC_ERR_PREAUTH_REQUIRED (25)`,
        'FABRIKAM.COM TGS-REQ svc_sql@FABRIKAM.COM for krbtgt/CONTOSO.COM@FABRIKAM.COM -> TGS-REP (FAST)',
        `CONTOSO.COM TGS-REQ svc_sql@FABRIKAM.COM for svc_sql\\@FABRIKAM.COM@CONTOSO.COM -> TGS-REP (referral to FABRIKAM.COM) (S4U2Self for ${user}) (FAST)`,
        `FABRIKAM.COM TGS-REQ svc_sql@FABRIKAM.COM for svc_sql@FABRIKAM.COM -> TGS-REP (S4U2Self for ${user}) (FAST)`,
      ]);
      const k = (await svc.ok('klist', [])).stdout;
      expect(k).toContain(`for client ${user}`);
    });
  });

  it('kvno -U alice@CONTOSO.COM -P: cross-realm S4U2Self, then constrained delegation within FABRIKAM for the user of CONTOSO', async () => {
    // websvc of FABRIKAM: trusted to authenticate, and for constrained delegation to svc_sql's SPN.
    const topology = forests('two-way', [
      {
        name: 'websvc',
        password: 'W3b-Passw0rd',
        spns: ['HTTP/web.fabrikam.com'],
        delegation: { trustedToAuthenticate: true, allowedTo: ['MSSQLSvc/sql.fabrikam.com:1433'] },
      },
    ]);
    await withTopology('s4u-proxy-foreign-user-mit', topology, async (svc, events) => {
      // Forwardable, so that the S4U2Self ticket is (classic delegation needs it).
      await svc.ok('kinit', ['-f', 'websvc@FABRIKAM.COM'], { input: 'W3b-Passw0rd\n' });
      const before = events.length;
      // MIT sends S4U2Proxy to the user's realm unless the service's realm is named.
      const r = await svc.ok('kvno', [
        '-U',
        'alice@CONTOSO.COM',
        '-P',
        'MSSQLSvc/sql.fabrikam.com:1433@FABRIKAM.COM',
      ]);
      expect(r.stdout).toContain('MSSQLSvc/sql.fabrikam.com:1433@FABRIKAM.COM: kvno = 1');
      const user = 'alice\\@CONTOSO.COM@CONTOSO.COM';
      expect(events.slice(before).at(-1)).toMatchObject({
        realm: 'FABRIKAM.COM',
        line: `TGS-REQ websvc@FABRIKAM.COM for MSSQLSvc/sql.fabrikam.com:1433@FABRIKAM.COM -> TGS-REP (S4U2Proxy for ${user}) (FAST)`,
      });
      expect((await svc.ok('klist', [])).stdout).toMatch(
        /MSSQLSvc\/sql\.fabrikam\.com:1433@FABRIKAM\.COM\n\s+for client alice\\@CONTOSO\.COM@CONTOSO\.COM/,
      );
    });
  });

  it('across a one-way trust the service cannot reach the user realm: kvno fails with the KDC refusal', async () => {
    await withTopology('s4u-one-way-mit', forests('one-way'), async (svc, events) => {
      await svc.ok('kinit', ['svc_sql@FABRIKAM.COM'], { input: 'Svc-Sql-Passw0rd\n' });
      const r = await svc.run('kvno', ['-U', 'alice@CONTOSO.COM', 'svc_sql@FABRIKAM.COM']);
      expect(r.code, svc.explain(r)).not.toBe(0);
      expect(events.some((e) => /S4U2Self/.test(e.line) && /TGS-REP/.test(e.line))).toBe(false);
      // FABRIKAM holds no key to enter CONTOSO: there is no krbtgt/CONTOSO.COM@FABRIKAM.COM to ask for.
      expect(events.at(-1)!.line).toBe(
        'TGS-REQ svc_sql@FABRIKAM.COM for krbtgt/CONTOSO.COM@FABRIKAM.COM -> KRB-ERROR KDC_ERR_S_PRINCIPAL_UNKNOWN (7)',
      );
    });
  });

  it('kvno -U alice -P across a forest trust: S4U2Proxy through a referral, to a service whose resource-based list names websvc@CONTOSO.COM', async () => {
    await withTopology(
      's4u-proxy-cross-realm-mit',
      validateTopology({
        realms: [
          {
            name: 'CONTOSO.COM',
            kind: 'active-directory',
            domains: ['contoso.com'],
            users: [
              { name: 'alice', password: 'Al1ce-Passw0rd' },
              {
                name: 'websvc',
                password: 'W3b-Passw0rd',
                spns: ['HTTP/web.contoso.com'],
                delegation: { trustedToAuthenticate: true },
              },
            ],
          },
          {
            name: 'FABRIKAM.COM',
            kind: 'active-directory',
            domains: ['fabrikam.com'],
            users: [
              {
                name: 'svc_sql',
                password: 'Svc-Sql-Passw0rd',
                spns: ['MSSQLSvc/sql.fabrikam.com:1433'],
                delegation: { allowedFrom: ['websvc@CONTOSO.COM'] },
              },
              { name: 'svc_files', password: 'Svc-F1les-Passw0rd', spns: ['cifs/files.fabrikam.com'] },
            ],
          },
        ],
        trusts: [
          {
            trusting: 'FABRIKAM.COM',
            trusted: 'CONTOSO.COM',
            direction: 'one-way',
            kind: 'forest',
            topLevelNames: ['fabrikam.com'],
            password: 'Tru5t-Passw0rd',
          },
        ],
      }),
      async (svc, events) => {
        await svc.ok('kinit', ['websvc@CONTOSO.COM'], { input: 'W3b-Passw0rd\n' });
        const before = events.length;
        const r = await svc.ok('kvno', ['-U', 'alice', '-P', 'MSSQLSvc/sql.fabrikam.com:1433']);
        expect(r.stdout).toContain('kvno = 1');
        const lines = [...new Set(events.slice(before).map((e) => `${e.realm} ${e.line}`))];
        // S4U2Proxy at CONTOSO answered with the referral (MIT follows it only because the reply's
        // encrypted PA-PAC-OPTIONS says resource-based delegation is served), then at FABRIKAM.
        expect(lines).toContain(
          'CONTOSO.COM TGS-REQ websvc@CONTOSO.COM for MSSQLSvc/sql.fabrikam.com:1433@CONTOSO.COM -> TGS-REP (referral to FABRIKAM.COM) (S4U2Proxy for alice@CONTOSO.COM) (FAST)',
        );
        expect(lines.at(-1)).toBe(
          'FABRIKAM.COM TGS-REQ websvc@CONTOSO.COM for MSSQLSvc/sql.fabrikam.com:1433@FABRIKAM.COM -> TGS-REP (S4U2Proxy for alice@CONTOSO.COM) (FAST)',
        );
        expect((await svc.ok('klist', [])).stdout).toMatch(
          /MSSQLSvc\/sql\.fabrikam\.com:1433@\S+\n\s+for client alice@CONTOSO\.COM/,
        );
        // A service whose list does not name websvc: FABRIKAM refuses, kvno fails.
        const no = await svc.run('kvno', ['-U', 'alice', '-P', 'cifs/files.fabrikam.com']);
        expect(no.code, svc.explain(no)).not.toBe(0);
        expect(events.at(-1)!.line).toMatch(/^TGS-REQ .* -> KRB-ERROR KDC_ERR_BADOPTION \(13\)$/);
        expect(events.at(-1)!.realm).toBe('FABRIKAM.COM');
      },
    );
  });

  it('kvno -U alice -P: S4U2Self then S4U2Proxy to a service websvc may delegate to', async () => {
    await withTopology(
      's4u-proxy-mit',
      validateTopology({
        realms: [
          {
            name: 'DELEG.TEST',
            kind: 'active-directory',
            users: [
              { name: 'alice', password: 'Al1ce-Passw0rd' },
              {
                name: 'websvc',
                password: 'W3b-Passw0rd',
                spns: ['HTTP/web.deleg.test'],
                delegation: { trustedToAuthenticate: true, allowedTo: ['MSSQLSvc/sql.deleg.test:1433'] },
              },
            ],
            computers: [{ name: 'SQL', spns: ['MSSQLSvc/sql.deleg.test:1433'] }],
          },
        ],
      }),
      async (svc, events) => {
        await svc.ok('kinit', ['websvc@DELEG.TEST'], { input: 'W3b-Passw0rd\n' });
        const r = await svc.ok('kvno', ['-U', 'alice', '-P', 'MSSQLSvc/sql.deleg.test:1433']);
        expect(r.stdout).toContain('MSSQLSvc/sql.deleg.test:1433@DELEG.TEST: kvno = 1');
        expect(events.map((e) => e.line)).toContain(
          'TGS-REQ websvc@DELEG.TEST for MSSQLSvc/sql.deleg.test:1433@DELEG.TEST -> TGS-REP (S4U2Proxy for alice@DELEG.TEST) (FAST)',
        );
        // To a service it may not delegate to: the KDC refuses, kvno fails.
        const no = await svc.run('kvno', ['-U', 'alice', '-P', 'host/sql.deleg.test']);
        expect(no.code, svc.explain(no)).not.toBe(0);
        expect(events.at(-1)!.line).toMatch(/KRB-ERROR KDC_ERR_BADOPTION \(13\)$/);
      },
    );
  });
});
