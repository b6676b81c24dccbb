/**
 * Windows logins to the emulated managed instance over the TDS wire (issue
 * 12): logins per second on loopback, PRELOGIN through LOGINACK with
 * encryption "required" (the whole session in TLS, as Azure SQL insists),
 * with one client and with 32 at once, and where the time goes.
 *
 * The lab: `createAzureSqlMiLab` (CONTOSO.COM, the cloud trust), alice with
 * a password and a Windows login on mi1, `mi.listen()` on 127.0.0.1 with
 * its defaults (encryption required, the instance's real acceptance: replay
 * cache, PAC server signature, login mapping, the lab's trace). An
 * AD-joined client gets the MSSQLSvc ticket once, through the trust
 * (`initSecurityContext`); each login then builds a fresh SPNEGO AP-REQ from
 * it (the replay cache refuses a repeat), connects with krbsim's TDS client
 * (`connectTds`, encryption on, the certificate checked against the lab's
 * CA), logs in, checks LOGINACK, closes and waits for the close. Client and
 * server run in this one process, so a login's time is both ends' work.
 *
 * Cases (paired batches, bench/lib/paired.ts):
 * - **1 client**: logins one after another | a bare node:tls handshake and
 *   close on loopback with the same certificate, key and TLS version, client
 *   and server in this process, the client's TLS context made once (the
 *   floor of an encrypted login: TDS puts the same handshake inside PRELOGIN
 *   packets);
 * - **32 clients**: 32 logins in flight until the batch's count is done |
 *   32 TLS handshakes in flight likewise;
 * - **where the time goes** (1 client): the login | the TLS floor, the
 *   client's token (`buildApReq`, SPNEGO), the instance's acceptance of
 *   tokens built before the timing (`mi.accept`: AP-REQ, replay cache, PAC,
 *   login mapping, trace) and the PAC's server signature alone
 *   (`verifyPac` of the ticket's PAC with the service key). Each is a share
 *   of the login per pair; the rest is TDS (PRELOGIN, LOGIN7, the token
 *   stream, packets, TLS inside PRELOGIN) and the sockets.
 *
 * With the pinned CPU clock, time/op is the process's CPU per login, both
 * ends; logins per second by the wall clock are given beside it.
 */

import { loadavg } from 'node:os';
import {
  createSecureContext,
  createServer as createTlsServer,
  type SecureVersion,
  connect as tlsConnect,
} from 'node:tls';
import { decodeEncTicketPart } from '@krbsim/asn1';
import { createAzureSqlMiLab } from '@krbsim/azure';
import { decrypt, KeyUsage } from '@krbsim/crypto';
import { findPac, verifyPac } from '@krbsim/pac';
import { connectTds } from '@krbsim/tds';
import { issueServerCertificate } from '@krbsim/transport';
import {
  figureText,
  fmtTime,
  type Row,
  recordFlagSet,
  rowOf,
  runOptions,
  warmMs,
} from '../lib/exchanges-measure';
import { type SuiteContext, suite } from '../lib/measure';
import {
  type Clock,
  jsSide,
  measurePaired,
  type Side,
  type Spread,
  spread,
  spreadRatio,
} from '../lib/paired';
import { pairedFigure, recordingSide } from '../lib/paired-records';

const PASSWORD = 'correct horse battery staple';
const CONCURRENCY = 32;

function clockNs(clock: Clock): () => number {
  return clock === 'cpu'
    ? () => {
        const u = process.cpuUsage();
        return (u.user + u.system) * 1e3;
      }
    : () => performance.now() * 1e6;
}

/**
 * A side whose batch runs `n` calls of `one` with `width` in flight, timed
 * on `clock`; it also keeps each batch's wall time per call, for logins per
 * second.
 */
function concurrentSide(
  name: string,
  one: () => Promise<unknown>,
  width: number,
  clock: Clock,
): Side & { readonly wallPerOp: number[] } {
  const now = clockNs(clock);
  const wallPerOp: number[] = [];
  return {
    name,
    wallPerOp,
    async batch(n) {
      let left = n;
      const worker = async () => {
        while (left > 0) {
          left--;
          await one();
        }
      };
      const w0 = performance.now();
      const t0 = now();
      await Promise.all(Array.from({ length: Math.min(width, n) }, worker));
      const t = now() - t0;
      wallPerOp.push(((performance.now() - w0) * 1e6) / n);
      return t;
    },
  };
}

export default async function build(ctx: SuiteContext) {
  const opts = runOptions(ctx.quick);
  const loadBefore = loadavg()[0]!;
  const s = suite('tds');
  const print = (line: string) => process.stdout.write(`${line}\n`);
  s.announce(
    `(${opts.flagSet}; load average ${loadBefore.toFixed(2)}): the lab, mi.listen(), TLS floor; 1 and ${CONCURRENCY} clients`,
  );

  // --- the lab, the ticket, the listener ---
  const lab = createAzureSqlMiLab({ onPremRealm: 'CONTOSO.COM', seed: 12 });
  const alice = lab.onPrem.addUser('alice', { password: PASSWORD });
  const mi = lab.addManagedInstance({ name: 'mi1', dnsZone: 'abc123', subnet: '10.0.0.0/24' });
  mi.enableWindowsAuthenticationPrerequisites();
  mi.authenticationMetadata = 'Windows';
  mi.createLogin('CONTOSO\\alice', 'WINDOWS');
  lab.setupCloudTrust();
  const pc = lab.adJoinedClient(alice);
  const sc = await pc.initSecurityContext(mi.spn);
  const token = () => pc.kerberos.buildApReq(sc.ticket, { mutual: true, gss: 'spnego' }).token;

  const ca = await lab.certificateAuthority();
  const cert = await issueServerCertificate(ca, { dnsNames: [mi.fqdn], ipAddresses: ['127.0.0.1'] });
  const listener = await mi.listen({ cert: cert.certPem, key: cert.keyPem });
  const tls = { ca: ca.certPem, servername: mi.fqdn };

  let tlsProtocol: string | undefined;
  const login = async (): Promise<void> => {
    const c = await connectTds({ port: listener.port, encryption: 'on', tls });
    try {
      const r = await c.login({ sspi: token(), hostName: 'pc1', appName: 'krbsim bench' });
      if (!r.ok) throw new Error(`login refused: ${r.error.number} ${r.error.msgText}`);
      tlsProtocol ??= c.tlsProtocol;
      if (c.encryption !== 'full') throw new Error(`negotiated ${c.encryption}, not full encryption`);
    } finally {
      c.close();
    }
    await c.closed;
  };
  await login(); // errors surface here, plainly
  const protocol = (tlsProtocol ?? 'TLSv1.2') as SecureVersion;

  // --- the TLS floor: the same certificate, key and version, on a bare socket ---
  const floorServer = createTlsServer(
    { cert: cert.certPem, key: cert.keyPem, minVersion: protocol, maxVersion: protocol },
    (socket) => {
      socket.on('error', () => {});
      socket.resume();
      socket.on('end', () => socket.end());
    },
  );
  await new Promise<void>((resolve) => floorServer.listen(0, '127.0.0.1', resolve));
  const floorPort = (floorServer.address() as { port: number }).port;
  // One client context for every handshake, as the TDS client keeps one per set of CAs: the floor
  // is the handshake itself, not the parsing of the CA and the making of an SSL_CTX.
  const floorContext = createSecureContext({ ca: tls.ca, minVersion: protocol, maxVersion: protocol });
  const handshake = (): Promise<void> =>
    new Promise((resolve, reject) => {
      const socket = tlsConnect({
        port: floorPort,
        host: '127.0.0.1',
        servername: tls.servername,
        secureContext: floorContext,
      });
      socket.once('error', reject);
      socket.once('secureConnect', () => {
        socket.resume();
        socket.end();
      });
      socket.once('close', () => resolve());
    });
  await handshake();

  // --- the phases: the service ticket's PAC, with the instance's key ---
  const serviceKey = lab.tenant.realm
    .lookup(mi.spn)!
    .keys.find((k) => k.key.etype === sc.ticket.ticket.encPart.etype)!.key;
  const ticketPart = decodeEncTicketPart(
    decrypt(serviceKey, KeyUsage.KDC_REP_TICKET, sc.ticket.ticket.encPart.cipher),
  );
  const pacBytes = findPac(ticketPart.authorizationData)?.pac;
  if (pacBytes === undefined) throw new Error('the MSSQLSvc ticket carries no PAC');
  verifyPac(pacBytes, { serverKey: serviceKey });
  const acceptSide: Side = {
    name: 'mi.accept (AP-REQ, replay cache, PAC, login mapping)',
    batch(n) {
      const tokens = Array.from({ length: n }, token); // untimed
      const now = clockNs(opts.clock);
      const t0 = now();
      for (const t of tokens) mi.accept(t, 'pc1');
      return now() - t0;
    },
  };

  const LOGIN_1 = 'TDS login, 1 client (PRELOGIN + TLS .. LOGINACK, close)';
  const LOGIN_32 = `TDS logins, ${CONCURRENCY} clients at once`;
  const FLOOR_1 = `node:tls handshake + close (${protocol}), 1 client`;
  const FLOOR_32 = `node:tls handshakes + close, ${CONCURRENCY} at once`;
  const one = concurrentSide(LOGIN_1, login, 1, opts.clock);
  const floorOne = concurrentSide(FLOOR_1, handshake, 1, opts.clock);
  const many = concurrentSide(LOGIN_32, login, CONCURRENCY, opts.clock);
  const floorMany = concurrentSide(FLOOR_32, handshake, CONCURRENCY, opts.clock);
  const phases = [
    recordingSide(jsSide('login (the whole)', login, opts.clock, true)),
    recordingSide(jsSide('TLS handshake + close (node:tls)', handshake, opts.clock, true)),
    recordingSide(jsSide('client token: buildApReq, SPNEGO', token, opts.clock)),
    recordingSide(acceptSide),
    recordingSide(
      jsSide(
        "PAC server signature: verifyPac (the ticket's PAC)",
        () => verifyPac(pacBytes, { serverKey: serviceKey }),
        opts.clock,
      ),
    ),
  ];
  const warm = warmMs(opts, 2500);
  const [r1, r32] = await measurePaired(
    [
      { name: LOGIN_1, krbsim: one, baselines: [floorOne], warmMs: warm },
      { name: LOGIN_32, krbsim: many, baselines: [floorMany], warmMs: warm },
      { name: 'phases', krbsim: phases[0]!, baselines: phases.slice(1), warmMs: warmMs(opts, 1500) },
    ],
    opts.paired,
  );
  await listener.close();
  await new Promise<void>((resolve) => floorServer.close(() => resolve()));

  // --- figures ---
  const measured = opts.paired.runs * opts.paired.pairs;
  const wall = (xs: number[]): Spread => {
    const tail = xs.slice(xs.length - measured);
    const runs = Array.from(
      { length: opts.paired.runs },
      (_, r) =>
        [...tail.slice(r * opts.paired.pairs, (r + 1) * opts.paired.pairs)].sort((a, b) => a - b)[
          Math.floor(opts.paired.pairs / 2)
        ]!,
    );
    return spread(runs);
  };
  const perSec = (x: Spread) =>
    `${Math.round(1e9 / x.median).toLocaleString('en-US')}/s (${Math.round(1e9 / x.max).toLocaleString('en-US')}-${Math.round(1e9 / x.min).toLocaleString('en-US')})`;
  const pct = (x: Spread) =>
    `${(100 * x.median).toFixed(1)}% (${(100 * x.min).toFixed(1)}-${(100 * x.max).toFixed(1)})`;
  const rows: Row[] = [];
  const figureNotes: string[] = [];
  const clockName = opts.clock === 'cpu' ? 'CPU' : 'wall';
  for (const [r, k, f] of [
    [r1!, one, floorOne],
    [r32!, many, floorMany],
  ] as const) {
    const b = r.baselines[0]!;
    const kw = wall(k.wallPerOp);
    const fw = wall(f.wallPerOp);
    const text = `wall clock: ${perSec(kw)} logins; floor ${perSec(fw)} handshakes`;
    rows.push(rowOf(r.name, r.krbsim!, { ratios: { 'node:tls floor': b.ratio! }, text }));
    rows.push(rowOf(b.name, b.ns, { text: `wall clock: ${perSec(fw)}` }));
    figureNotes.push(
      figureText(r.name, r.krbsim!, `   (ratio vs the TLS floor: ${spreadRatio(b.ratio)}; ${text})`),
      figureText(b.name, b.ns, '', '    '),
    );
  }
  // With the CPU clock, wall time beyond it is time neither end was busy.
  if (opts.clock === 'cpu') {
    const idle = wall(one.wallPerOp).median - r1!.krbsim!.median;
    const floorIdle = wall(floorOne.wallPerOp).median - r1!.baselines[0]!.ns.median;
    figureNotes.push(
      `waiting, 1 client: ${fmtTime(idle)} per login of wall time beyond both ends' CPU time (the TLS floor: ${fmtTime(floorIdle)} per handshake)`,
    );
  }
  const loginNs = pairedFigure(phases, opts.paired, (x) => x[0]!);
  rows.push(rowOf(phases[0]!.name, loginNs));
  figureNotes.push(figureText(`where the time goes: ${phases[0]!.name}`, loginNs));
  for (let i = 1; i < phases.length; i++) {
    const ns = pairedFigure(phases, opts.paired, (x) => x[i]!);
    const share = pairedFigure(phases, opts.paired, (x) => x[i]! / x[0]!);
    rows.push(rowOf(phases[i]!.name, ns, { ratios: { 'share of the login': share } }));
    figureNotes.push(figureText(phases[i]!.name, ns, `   (${pct(share)} of the login)`, '    '));
  }
  // TLS, the token and the acceptance (the PAC is inside it) are the parts; the rest is TDS and sockets.
  const rest = pairedFigure(phases, opts.paired, (x) => x[0]! - x[1]! - x[2]! - x[3]!);
  const restShare = pairedFigure(phases, opts.paired, (x) => (x[0]! - x[1]! - x[2]! - x[3]!) / x[0]!);
  rows.push(
    rowOf('the rest: TDS (PRELOGIN, LOGIN7, tokens, packets, TLS in PRELOGIN) and sockets', rest, {
      ratios: { 'share of the login': restShare },
    }),
  );
  figureNotes.push(
    figureText(
      'the rest: TDS framing, tokens, TLS-in-PRELOGIN, sockets',
      rest,
      `   (${pct(restShare)} of the login)`,
      '    ',
    ),
  );
  const notes = [
    `lab CONTOSO.COM + the cloud trust; alice's MSSQLSvc ticket (etype ${sc.ticket.ticket.encPart.etype}, PAC ${pacBytes.length} B) obtained once; ` +
      `each login a fresh SPNEGO AP-REQ, connectTds (encryption on, certificate checked) to mi.listen() (encryption required, ${protocol}), ` +
      'login, LOGINACK checked, close; client and server in this process; ' +
      `time/op: ${clockName} time per login, both ends; floor: node:tls handshake + close with the same certificate and version; ` +
      'shares are per pair (phase ÷ login); both flag sets side by side: bench/.bench-build/tds-last.md',
  ];
  for (const n of [notes[0]!, ...figureNotes]) s.note(n);
  const md = recordFlagSet('tds', opts, rows, notes, loadBefore);
  if (opts.flagSet !== 'default' || opts.quick) print(`\n${md}`);
  return s;
}
