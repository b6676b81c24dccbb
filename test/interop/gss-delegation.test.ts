/**
 * TGT delegation by policy across trusts, with real GSS-API initiators: the
 * libraries of MIT krb5 1.20 and Heimdal 7.8 (gss-peer.c), asked for
 * GSS_C_DELEG_POLICY_FLAG, hand their TGT to a service only when its ticket
 * is ok-as-delegate, as Windows' unconstrained delegation does. In
 * examples/forest.yaml both services are trusted for delegation; the KDCs
 * let the flag cross the trusts of erin's forest and not its forest trust
 * (MS-KILE 3.3.5.7.5), so erin's TGT reaches the service of her forest's
 * root and stays home from the other forest's. krbsim accepts each context
 * and reports what was delegated.
 *
 * And the other way round: krbsim's client (`forwardTgt` by policy) delegates
 * to MIT's acceptor, which reads the KRB-CRED, for the forest root's service
 * only.
 *
 * Both libraries also drop the flag of a ticket got through a referral TGT
 * that lacks it: when krbsim's KDC set ok-as-delegate on no referral, neither
 * delegated to any service of another domain, the forest root's included.
 */

import { join, resolve } from 'node:path';
import { GssFlags } from '@krbsim/asn1';
import { KerberosClient } from '@krbsim/client';
import { readKeytabFile } from '@krbsim/files';
import { KerberosService } from '@krbsim/service';
import { UdpTcpTransport } from '@krbsim/transport';
import { afterAll, beforeAll, expect, it } from 'vitest';
import {
  loadTopologyFile,
  type RequestLogEntry,
  type RunningTopology,
  startTopology,
} from '../../packages/cli/src/index';
import { buildGssPeer, GssPeer } from './gss-peer';
import { describeWithHeimdal, HeimdalClient } from './helpers/heimdal';
import { MitClient } from './helpers/mit';
import { findTool, makeTempDir, type TempDir } from './helpers/processes';
import { describeUnavailable, describeWithTools } from './mit-tools';

const EXAMPLES = join(resolve(__dirname, '../..'), 'packages/cli/examples');
/** GSS_C_DELEG_POLICY_FLAG (RFC 5896): delegate if the service's ticket is ok-as-delegate. */
const DELEG_POLICY = 0x8000;
const FLAGS = DELEG_POLICY | GssFlags.mutual | GssFlags.sequence | GssFlags.integ | GssFlags.conf;
const SERVICES = [
  { target: 'HTTP@intranet.contoso.com', spn: 'HTTP/intranet.contoso.com@CONTOSO.COM', delegates: true },
  { target: 'HTTP@apps.fabrikam.com', spn: 'HTTP/apps.fabrikam.com@FABRIKAM.COM', delegates: false },
] as const;

interface Lab {
  readonly dir: TempDir;
  readonly topo: RunningTopology;
  readonly log: RequestLogEntry[];
}

async function startLab(prefix: string): Promise<Lab> {
  const dir = await makeTempDir(prefix);
  const log: RequestLogEntry[] = [];
  const topo = await startTopology(await loadTopologyFile(join(EXAMPLES, 'forest.yaml')), {
    dir: dir.path,
    log: (e) => log.push(e),
  });
  return { dir, topo, log };
}

/**
 * The library initiates a context to each service with the deleg-policy flag; krbsim accepts
 * it with the service's keytab. The delegated TGT, when there is one, is erin's own.
 */
function delegationCases(lab: () => Lab, peer: () => { path: string; env: Record<string, string> }): void {
  for (const s of SERVICES) {
    it(`${s.delegates ? 'delegates' : 'does not delegate'} erin's TGT to ${s.target}`, async () => {
      const { topo } = lab();
      const service = new KerberosService({
        keytab: await readKeytabFile(topo.files!.keytabs[s.spn]!),
        principal: s.spn,
      });
      const p = peer();
      const init = GssPeer.start(p.path, ['init', s.target, FLAGS.toString(16)], p.env);
      try {
        const r = service.accept(await init.token());
        init.sendToken(r.responseToken!);
        const flags = await init.ready();
        expect(r.clientPrincipal).toBe('erin@EMEA.CONTOSO.COM');
        // The initiator's and the acceptor's view of the deleg flag agree.
        expect((flags & GssFlags.deleg) !== 0).toBe(s.delegates);
        expect(((r.gssFlags ?? 0) & GssFlags.deleg) !== 0).toBe(s.delegates);
        if (s.delegates) {
          const [tgt] = r.delegatedCredential!.tickets;
          expect(tgt!.realm).toBe('EMEA.CONTOSO.COM');
          expect(tgt!.sname.nameString).toEqual(['krbtgt', 'EMEA.CONTOSO.COM']);
        } else {
          expect(r.delegatedCredential).toBeUndefined();
        }
      } finally {
        await init.close();
      }
    });
  }
}

describeWithTools(
  'TGT delegation by policy across trusts: MIT krb5 (gss-peer.c)',
  ['gcc', 'kinit'],
  (tools) => {
    let lab: Lab;
    let path: string;
    beforeAll(async () => {
      lab = await startLab('gss-delegation-mit');
      const ccache = lab.dir.file('cc-mit');
      const mit = new MitClient(tools, lab.dir.path, lab.topo.files!.krb5conf, ccache, () =>
        lab.log.map((e) => `${e.realm} ${e.line}`).join('\n'),
      );
      await mit.ok('kinit', ['-f', 'erin@EMEA.CONTOSO.COM'], { input: 'Er1n-Passw0rd\n' });
      path = lab.dir.file('gss-peer-mit');
      await buildGssPeer(tools.gcc!, path);
    });
    afterAll(async () => {
      await lab?.topo.close();
      await lab?.dir.remove();
    });
    delegationCases(
      () => lab,
      () => ({
        path,
        env: {
          KRB5_CONFIG: lab.topo.files!.krb5conf,
          KRB5CCNAME: `FILE:${lab.dir.file('cc-mit')}`,
          KRB5RCACHETYPE: 'none',
        },
      }),
    );

    it("krbsim's client delegates by policy to MIT's acceptor, which takes the KRB-CRED", async () => {
      const client = new KerberosClient({
        realm: 'EMEA.CONTOSO.COM',
        transport: new UdpTcpTransport({
          kdcs: Object.fromEntries(
            [...lab.topo.servers.values()].map((s) => [s.realm, [{ host: s.host, port: s.udpPort }]]),
          ),
        }),
      });
      await client.getInitialCredentials('erin', { password: 'Er1n-Passw0rd' }, { forwardable: true });
      for (const s of SERVICES) {
        const cred = await client.getServiceTicket(s.spn);
        const delegation = await client.forwardTgt(cred, { policy: true });
        expect(delegation !== undefined, s.spn).toBe(s.delegates);
        const accept = GssPeer.start(path, ['accept'], {
          KRB5_CONFIG: lab.topo.files!.krb5conf,
          KRB5_KTNAME: `FILE:${lab.topo.files!.keytabs[s.spn]!}`,
          KRB5RCACHETYPE: 'none',
        });
        try {
          const built = client.buildApReq(cred, {
            gss: 'krb5',
            mutual: true,
            ...(delegation !== undefined && { delegation }),
          });
          accept.sendToken(built.token);
          client.verifyApRep(built.context, await accept.token());
          // MIT's acceptor returns GSS_C_DELEG_FLAG once it has read the delegated credentials.
          expect(((await accept.ready()) & GssFlags.deleg) !== 0, s.spn).toBe(s.delegates);
        } finally {
          await accept.close();
        }
      }
    });
  },
);

describeWithHeimdal('TGT delegation by policy across trusts: Heimdal (gss-peer.c)', (heimdal) => {
  const gcc = findTool('gcc');
  if (gcc === undefined) {
    describeUnavailable(
      'TGT delegation by policy across trusts: Heimdal (gss-peer.c)',
      'gcc not found',
      'install gcc',
    );
    return;
  }
  let lab: Lab;
  let path: string;
  beforeAll(async () => {
    lab = await startLab('gss-delegation-heimdal');
    const h = new HeimdalClient(
      heimdal,
      lab.dir.path,
      lab.topo.files!.krb5conf,
      lab.dir.file('cc-heimdal'),
      () => lab.log.map((e) => `${e.realm} ${e.line}`).join('\n'),
    );
    await h.ok('kinit', ['--forwardable', '--password-file=STDIN', 'erin@EMEA.CONTOSO.COM'], {
      input: 'Er1n-Passw0rd\n',
    });
    path = lab.dir.file('gss-peer-heimdal');
    await buildGssPeer(gcc, path, heimdal.libDir);
  });
  afterAll(async () => {
    await lab?.topo.close();
    await lab?.dir.remove();
  });
  delegationCases(
    () => lab,
    () => ({
      path,
      env: {
        KRB5_CONFIG: lab.topo.files!.krb5conf,
        KRB5CCNAME: `FILE:${lab.dir.file('cc-heimdal')}`,
        ...(heimdal.libDir === undefined ? {} : { LD_LIBRARY_PATH: heimdal.libDir }),
      },
    }),
  );
});
