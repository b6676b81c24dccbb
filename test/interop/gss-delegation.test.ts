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
 * to MIT's and Heimdal's acceptors, which read the KRB-CRED (gss-peer.c asks
 * for the delegated credential, without which Heimdal reads none), for the
 * services the policy allows only.
 *
 * Java's Kerberos (JgssPeer.java, asked for its delegation policy) does the
 * same both ways.
 *
 * The libraries also drop the flag of a ticket got through a referral TGT
 * that lacks it, which the second scenario pins: two `mit` realms, whose KDCs
 * set ok-as-delegate from the service alone, so the other realm's service
 * ticket carries it behind a referral that does not; neither library
 * delegates there, and both do to the same flag in the user's own realm.
 * (Before krbsim's AD KDC set the flag on referrals within a forest, neither
 * delegated to any service of another domain, the forest root's included.)
 */

import { readFileSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { GssFlags, TicketFlags } from '@krbsim/asn1';
import { readKeytabFile } from '@krbsim/files';
import { KerberosService } from '@krbsim/service';
import { afterAll, beforeAll, expect, it } from 'vitest';
import {
  loadTopologyFile,
  parseTopology,
  type RequestLogEntry,
  type RunningTopology,
  startTopology,
  type TopologyFile,
} from '../../packages/cli/src/index';
import { buildGssPeer, GssPeer } from './gss-peer';
import { describeWithHeimdal, HeimdalClient } from './helpers/heimdal';
import { MitClient } from './helpers/mit';
import { findTool, makeTempDir, type TempDir } from './helpers/processes';
import { servedClient } from './helpers/served-topology';
import { buildJgssPeer, describeWithJava, forwardableKrb5Conf, type Jgss, startJgssPeer } from './jgss-peer';
import { describeUnavailable, describeWithTools } from './mit-tools';

const EXAMPLES = join(resolve(__dirname, '../..'), 'packages/cli/examples');
/** GSS_C_DELEG_POLICY_FLAG (RFC 5896): delegate if the service's ticket is ok-as-delegate. */
const DELEG_POLICY = 0x8000;
const FLAGS = DELEG_POLICY | GssFlags.mutual | GssFlags.sequence | GssFlags.integ | GssFlags.conf;

/** Two `mit` realms, a one-way realm trust, a service trusted for delegation in each. */
const MIT_REALMS = `
realms:
  - name: HOME.TEST
    domains: [home.test]
    users: [{ name: erin, password: Er1n-Passw0rd }]
    services: [{ spn: HTTP/near.home.test, okAsDelegate: true }]
  - name: AWAY.TEST
    domains: [away.test]
    services: [{ spn: HTTP/far.away.test, okAsDelegate: true }]
trusts:
  - { trusting: AWAY.TEST, trusted: HOME.TEST, direction: one-way, kind: realm }
`;

interface ServiceCase {
  /** The GSS host-based name the initiator imports. */
  readonly target: string;
  readonly spn: string;
  /** Whether the KDC sets ok-as-delegate on the ticket. */
  readonly kdcFlag: boolean;
  /** Whether a client delegating by policy hands over its TGT. */
  readonly delegates: boolean;
}

interface Scenario {
  readonly name: string;
  readonly user: string;
  topology(): Promise<TopologyFile>;
  readonly services: readonly ServiceCase[];
}

const SCENARIOS: readonly Scenario[] = [
  {
    name: 'forest.yaml',
    user: 'erin@EMEA.CONTOSO.COM',
    topology: () => loadTopologyFile(join(EXAMPLES, 'forest.yaml')),
    services: [
      {
        target: 'HTTP@intranet.contoso.com',
        spn: 'HTTP/intranet.contoso.com@CONTOSO.COM',
        kdcFlag: true,
        delegates: true,
      },
      {
        target: 'HTTP@apps.fabrikam.com',
        spn: 'HTTP/apps.fabrikam.com@FABRIKAM.COM',
        kdcFlag: false,
        delegates: false,
      },
    ],
  },
  {
    name: 'two mit realms',
    user: 'erin@HOME.TEST',
    topology: async () => parseTopology(MIT_REALMS),
    services: [
      { target: 'HTTP@near.home.test', spn: 'HTTP/near.home.test@HOME.TEST', kdcFlag: true, delegates: true },
      // The KDC's flag is there; the referral before it had none, and the library drops it.
      { target: 'HTTP@far.away.test', spn: 'HTTP/far.away.test@AWAY.TEST', kdcFlag: true, delegates: false },
    ],
  },
];

interface Lab {
  readonly dir: TempDir;
  readonly topo: RunningTopology;
  readonly log: RequestLogEntry[];
  diagnostics(): string;
}

async function startLab(prefix: string, scenario: Scenario): Promise<Lab> {
  const dir = await makeTempDir(prefix);
  const log: RequestLogEntry[] = [];
  const topo = await startTopology(await scenario.topology(), { dir: dir.path, log: (e) => log.push(e) });
  return { dir, topo, log, diagnostics: () => log.map((e) => `${e.realm} ${e.line}`).join('\n') };
}

/**
 * The library initiates a context to each service with the deleg-policy flag; krbsim accepts
 * it with the service's keytab. The delegated TGT, when there is one, is the user's own.
 */
function delegationCases(scenario: Scenario, lab: () => Lab, library: Library): void {
  const home = scenario.user.split('@')[1]!;
  for (const s of scenario.services) {
    it(`${scenario.name}: ${s.delegates ? 'delegates' : 'does not delegate'} the TGT to ${s.target}`, async () => {
      const { topo } = lab();
      const service = new KerberosService({
        keytab: await readKeytabFile(topo.files!.keytabs[s.spn]!),
        principal: s.spn,
      });
      const init = library.initiator(lab(), scenario, s.target, FLAGS);
      try {
        const r = service.accept(await init.token());
        init.sendToken(r.responseToken!);
        const flags = await init.ready();
        expect(r.clientPrincipal).toBe(scenario.user);
        expect((r.ticket.flags & TicketFlags['ok-as-delegate']) !== 0).toBe(s.kdcFlag);
        // The initiator's and the acceptor's view of the deleg flag agree.
        expect((flags & GssFlags.deleg) !== 0).toBe(s.delegates);
        expect(((r.gssFlags ?? 0) & GssFlags.deleg) !== 0).toBe(s.delegates);
        if (s.delegates) {
          const [tgt] = r.delegatedCredential!.tickets;
          expect(tgt!.realm).toBe(home);
          expect(tgt!.sname.nameString).toEqual(['krbtgt', home]);
        } else {
          expect(r.delegatedCredential).toBeUndefined();
        }
      } finally {
        await init.close();
      }
    });
  }
}

/** How a suite runs its library's GSS-API peer (gss-peer.c, or JgssPeer.java for Java). */
interface Library {
  readonly slug: 'mit' | 'heimdal' | 'java';
  /** Readies a lab for the library's initiator: the user's TGT in its ccache (MIT, Heimdal). */
  logIn(lab: Lab, scenario: Scenario): Promise<void>;
  /** Builds the peer into `dir`. */
  build(dir: TempDir): Promise<void>;
  /** `init <target> <flags>` as the scenario's user. */
  initiator(lab: Lab, scenario: Scenario, target: string, flags: number): GssPeer;
  /** The acceptor of `spn`, with the keys of its keytab. */
  acceptor(lab: Lab, spn: string): GssPeer;
}

/** The user's ccache in a lab, for the libraries that read one. */
const ccacheOf = (lab: Lab, slug: string) => lab.dir.file(`cc-${slug}`);

/**
 * One lab per scenario with the user's TGT in the library's ccache, the delegation cases over each
 * with the library initiating, and krbsim's client delegating by policy to the library's acceptor.
 */
function librarySuite(library: Library): void {
  const labs: Lab[] = [];
  beforeAll(async () => {
    for (const scenario of SCENARIOS) {
      const lab = await startLab(`gss-delegation-${library.slug}`, scenario);
      labs.push(lab);
      await library.logIn(lab, scenario);
    }
    await library.build(labs[0]!.dir);
  }, 180_000);
  afterAll(async () => {
    for (const lab of labs) {
      await lab.topo.close();
      await lab.dir.remove();
    }
  });
  for (const [i, scenario] of SCENARIOS.entries()) delegationCases(scenario, () => labs[i]!, library);

  it(`krbsim's client delegates by policy to the ${library.slug} acceptor as the libraries do, which takes the KRB-CRED`, async () => {
    for (const [i, scenario] of SCENARIOS.entries()) {
      const lab = labs[i]!;
      const [name, realm] = scenario.user.split('@') as [string, string];
      const client = servedClient(lab.topo, realm);
      await client.getInitialCredentials(name, { password: 'Er1n-Passw0rd' }, { forwardable: true });
      for (const s of scenario.services) {
        const cred = await client.getServiceTicket(s.spn);
        const delegation = await client.forwardTgt(cred, { policy: true });
        expect(delegation !== undefined, s.spn).toBe(s.delegates);
        const accept = library.acceptor(lab, s.spn);
        try {
          const built = client.buildApReq(cred, {
            gss: 'krb5',
            mutual: true,
            ...(delegation !== undefined && { delegation }),
          });
          accept.sendToken(built.token);
          client.verifyApRep(built.context, await accept.token());
          // The acceptor returns GSS_C_DELEG_FLAG once it has read the delegated credentials.
          expect(((await accept.ready()) & GssFlags.deleg) !== 0, s.spn).toBe(s.delegates);
        } finally {
          await accept.close();
        }
      }
    }
  });
}

/** A {@link Library} of gss-peer.c, built against MIT's or Heimdal's library, reading the user's ccache. */
function gssPeerLibrary(
  slug: 'mit' | 'heimdal',
  o: {
    kinit(lab: Lab, scenario: Scenario, ccache: string): Promise<void>;
    build(path: string): Promise<void>;
    env(lab: Lab, ccache: string): Record<string, string>;
  },
): Library {
  let path = '';
  return {
    slug,
    logIn: (lab, scenario) => o.kinit(lab, scenario, ccacheOf(lab, slug)),
    async build(dir) {
      path = dir.file(`gss-peer-${slug}`);
      await o.build(path);
    },
    initiator: (lab, _scenario, target, flags) =>
      GssPeer.start(path, ['init', target, flags.toString(16)], o.env(lab, ccacheOf(lab, slug))),
    acceptor: (lab, spn) =>
      GssPeer.start(path, ['accept'], {
        ...o.env(lab, ccacheOf(lab, slug)),
        KRB5_KTNAME: `FILE:${lab.topo.files!.keytabs[spn]!}`,
      }),
  };
}

describeWithTools(
  'TGT delegation by policy across trusts: MIT krb5 (gss-peer.c)',
  ['gcc', 'kinit'],
  (tools) => {
    librarySuite(
      gssPeerLibrary('mit', {
        async kinit(lab, scenario, ccache) {
          const mit = new MitClient(tools, lab.dir.path, lab.topo.files!.krb5conf, ccache, () =>
            lab.diagnostics(),
          );
          await mit.ok('kinit', ['-f', scenario.user], { input: 'Er1n-Passw0rd\n' });
        },
        build: (path) => buildGssPeer(tools.gcc!, path),
        env: (lab, ccache) => ({
          KRB5_CONFIG: lab.topo.files!.krb5conf,
          KRB5CCNAME: `FILE:${ccache}`,
          KRB5RCACHETYPE: 'none',
        }),
      }),
    );
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
  librarySuite(
    gssPeerLibrary('heimdal', {
      async kinit(lab, scenario, ccache) {
        const h = new HeimdalClient(heimdal, lab.dir.path, lab.topo.files!.krb5conf, ccache, () =>
          lab.diagnostics(),
        );
        await h.ok('kinit', ['--forwardable', '--password-file=STDIN', scenario.user], {
          input: 'Er1n-Passw0rd\n',
        });
      },
      build: (path) => buildGssPeer(gcc, path, heimdal.libDir),
      env: (lab, ccache) => ({
        KRB5_CONFIG: lab.topo.files!.krb5conf,
        KRB5CCNAME: `FILE:${ccache}`,
        ...(heimdal.libDir === undefined ? {} : { LD_LIBRARY_PATH: heimdal.libDir }),
      }),
    }),
  );
});

// Java's Kerberos logs the user in itself (its login module, with the password), so no ccache: its
// krb5.conf asks for forwardable tickets, without which it delegates nothing.
describeWithJava('TGT delegation by policy across trusts: Java (JgssPeer.java)', ({ java, javac }) => {
  let classes = '';
  const jgssOf = (lab: Lab): Jgss => ({ java, classes, krb5conf: lab.dir.file('krb5-java.conf') });
  librarySuite({
    slug: 'java',
    logIn: (lab) =>
      writeFile(
        lab.dir.file('krb5-java.conf'),
        forwardableKrb5Conf(readFileSync(lab.topo.files!.krb5conf, 'utf8')),
      ),
    async build(dir) {
      classes = dir.file('jgss-classes');
      await buildJgssPeer(javac, classes);
    },
    initiator: (lab, scenario, target, flags) =>
      startJgssPeer(jgssOf(lab), ['init', target, flags.toString(16), 'krb5', 'hostbased'], {
        JGSS_USER: scenario.user,
        JGSS_PASSWORD: 'Er1n-Passw0rd',
      }),
    acceptor: (lab, spn) =>
      startJgssPeer(jgssOf(lab), ['accept', spn, lab.topo.files!.keytabs[spn]!, 'krb5']),
  });
});
