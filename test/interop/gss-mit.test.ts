/**
 * RFC 4121 per-message tokens against MIT krb5 1.20's GSS sample programs
 * (Debian krb5-gss-samples), both ways, over loopback TCP in the samples'
 * own framing (gss-sample.ts):
 *
 * - MIT `gss-client` to a krbsim acceptor: krbsim accepts the context,
 *   unwraps MIT's Wrap tokens (sealed, or integrity only with -nx), and
 *   answers with MICs that gss-client verifies ("Signature verified.");
 * - the krbsim client to MIT `gss-server`: MIT unwraps krbsim's Wrap tokens
 *   (RRC 0 as MIT sends, or RRC 28/12 as Heimdal and Windows do) and
 *   answers with MICs krbsim verifies; a replayed or modified krbsim token
 *   is refused by MIT with the GSS status the RFC gives it.
 *
 * The realm is a krbsim KDC (gss-lab.ts); MIT's tools get their tickets
 * from it. `KRBSIM_WRITE_GSS_FIXTURES=1` writes MIT's tokens and their keys
 * to test/fixtures/gss.
 */

import { connect } from 'node:net';
import { GssFlags } from '@krbsim/asn1';
import type { KerberosClient } from '@krbsim/client';
import { decodePerMessageToken, type KerberosService, PerMessageFlags } from '@krbsim/service';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { writeGssFixture } from './gss-fixtures';
import { type GssLab, REALM, startGssLab, TARGET } from './gss-lab';
import { SampleConnection, SampleFlag, type SampleServer, serveGssSample } from './gss-sample';
import { MitClient } from './helpers/mit';
import { type RunningProcess, startProcess, stopAllProcesses, waitFor } from './helpers/processes';
import { describeWithTools } from './mit-tools';

const enc = (s: string) => new TextEncoder().encode(s);
const dec = (b: Uint8Array) => new TextDecoder().decode(b);

describeWithTools(
  'RFC 4121 Wrap and MIC tokens with MIT gss-client and gss-server',
  ['gss-client', 'gss-server', 'kinit', 'stdbuf'],
  (tools) => {
    let lab: GssLab;
    let mit: MitClient;
    let service: KerberosService;
    let sample: SampleServer;
    let client: KerberosClient;
    let gssServer: RunningProcess;
    let gssServerPort = 0;

    beforeAll(async () => {
      lab = await startGssLab('gss-mit');
      mit = new MitClient(tools, lab.dir.path, lab.krb5conf, lab.dir.file('cc-alice'), () =>
        lab.diagnostics(),
      );
      await mit.ok('kinit', [`alice@${REALM}`], { input: 'Al1ce-Passw0rd\n' });
      service = await lab.service();
      sample = await serveGssSample((token) => service.accept(token));
      client = await lab.client();
      // MIT's gss-server, serving every connection of the suite (no -once: a readiness probe is a connection),
      // on a port just found free: another test file's server may take it first, and gss-server then
      // exits at once, so a start that ends is tried again on another port.
      for (let attempt = 1; ; attempt++) {
        const probe = await serveGssSample(() => {
          throw new Error('unused');
        });
        gssServerPort = probe.port;
        probe.server.close();
        // stdbuf -oL: gss-server logs to a buffered stdout and flushes only after a session that succeeds.
        gssServer = startProcess(
          tools.stdbuf!,
          ['-oL', tools['gss-server']!, '-port', String(gssServerPort), '-keytab', lab.keytab, TARGET],
          {
            env: {
              KRB5_CONFIG: lab.krb5conf,
              KRB5RCACHETYPE: 'none',
              KRB5_TRACE: lab.dir.file('trace-gss-server.log'),
            },
            timeoutMs: 300_000,
          },
        );
        const server = gssServer;
        let ended = false;
        void server.exited().then(() => {
          ended = true;
        });
        await waitFor(() => ended || server.stderr().includes('starting...'), 'gss-server to listen');
        if (!ended) break;
        if (attempt === 3) throw new Error(`gss-server did not start: ${server.stderr()}`);
      }
    });

    afterAll(async () => {
      sample?.server.close();
      await stopAllProcesses();
      await lab?.close();
    });

    const variants: readonly { title: string; args: readonly string[]; conf: boolean }[] = [
      { title: 'krb5 mechanism, sealed, mutual and replay flags (the defaults)', args: [], conf: true },
      { title: 'SPNEGO (-spnego)', args: ['-spnego'], conf: true },
      { title: 'integrity only (-nx)', args: ['-nx'], conf: false },
      {
        title: 'sequence checking, three messages (-seq -mcount 3)',
        args: ['-seq', '-mcount', '3'],
        conf: true,
      },
      { title: 'no mutual authentication (-nomutual): no acceptor subkey', args: ['-nomutual'], conf: true },
    ];

    for (const v of variants) {
      it(`MIT gss-client to a krbsim acceptor: ${v.title}`, async () => {
        const message = `hello from MIT gss-client ${v.args.join(' ')}`.trim();
        const run = await mit.run('gss-client', [
          '-port',
          String(sample.port),
          ...v.args,
          'localhost',
          TARGET,
          message,
        ]);
        const session = await sample.done();
        expect(session.error, `${mit.explain(run)}\n${String(session.error)}`).toBeUndefined();
        expect(run.code, mit.explain(run)).toBe(0);
        expect(run.stdout).toContain('Signature verified.');
        const mutual = !v.args.includes('-nomutual');
        const r = session.accepted!;
        expect(r.clientPrincipal).toBe(`alice@${REALM}`);
        expect(r.framing).toBe(v.args.includes('-spnego') ? 'spnego' : 'krb5');
        expect(r.securityContext!.usesAcceptorSubkey).toBe(mutual);
        const count = v.args.includes('-mcount') ? 3 : 1;
        expect(session.messages.map((m) => dec(m.message))).toEqual(Array(count).fill(message));
        session.messages.forEach((m, i) => {
          expect(m.conf).toBe(v.conf);
          const h = decodePerMessageToken(m.token.token);
          expect(h.tokId).toBe(0x0504);
          expect(h.flags).toBe(
            (v.conf ? PerMessageFlags.sealed : 0) | (mutual ? PerMessageFlags.acceptorSubkey : 0),
          );
          expect(h.seqNumber).toBe(BigInt(r.seqNumber!) + BigInt(i)); // MIT numbers from its authenticator's
          expect(h.rrc).toBe(0); // MIT does not rotate
        });
        if (v.args.includes('-seq')) expect(r.gssFlags! & GssFlags.sequence).toBe(GssFlags.sequence);
        writeGssFixture(`mit-initiator-${v.args.join('').replace(/-/g, '') || 'default'}`, {
          source: `MIT krb5 1.20 gss-client${v.args.map((a) => ` ${a}`).join('')} (Debian krb5-gss-samples); krbsim accepted the context`,
          sender: 'initiator',
          context: {
            flags: r.gssFlags ?? 0,
            sessionKey: r.sessionKey,
            ...(r.subkey === undefined ? {} : { initiatorSubkey: r.subkey }),
            ...(r.acceptorSubkey === undefined ? {} : { acceptorSubkey: r.acceptorSubkey }),
            ...(r.seqNumber === undefined ? {} : { initiatorSeqNumber: r.seqNumber }),
            ...(r.acceptorSeqNumber === undefined ? {} : { acceptorSeqNumber: r.acceptorSeqNumber }),
          },
          tokens: session.messages.map((m) => ({
            kind: 'wrap',
            token: m.token.token,
            message: m.message,
            conf: v.conf,
          })),
        });
      });
    }

    /** One gss-sample session from the krbsim client to MIT's gss-server. */
    async function callGssServer(opts: {
      gss: 'krb5' | 'spnego';
      conf: boolean;
      wrapStyle: 'mit' | 'windows';
      messages: readonly string[];
      /** Send each message's token this many times. */
      repeat?: number;
      tamper?: boolean;
    }) {
      const cred = await client.getServiceTicket('host/localhost');
      const built = client.buildApReq(cred, {
        gss: opts.gss,
        gssFlags: GssFlags.replay | GssFlags.sequence,
        wrapStyle: opts.wrapStyle,
      });
      const socket = connect(gssServerPort, '127.0.0.1');
      const conn = new SampleConnection(socket);
      conn.send(SampleFlag.NOOP | SampleFlag.CONTEXT_NEXT);
      conn.send(SampleFlag.CONTEXT, built.token);
      const rep = await conn.read();
      expect(rep.flags).toBe(SampleFlag.CONTEXT);
      const verified = client.verifyApRep(built.context, rep.token);
      const ctx = verified.securityContext!;
      const mics: { message: Uint8Array; token: Uint8Array }[] = [];
      const sent: Uint8Array[] = [];
      let refused: string | undefined;
      try {
        for (const text of opts.messages) {
          const message = enc(text);
          const token = ctx.wrap(message, { conf: opts.conf });
          if (opts.tamper) token[token.length - 1]! ^= 1;
          sent.push(token);
          for (let i = 0; i < (opts.repeat ?? 1); i++) {
            conn.send(
              SampleFlag.DATA |
                SampleFlag.WRAPPED |
                (opts.conf ? SampleFlag.ENCRYPTED : 0) |
                SampleFlag.SEND_MIC,
              token,
            );
            const mic = await conn.read();
            expect(mic.flags).toBe(SampleFlag.MIC);
            ctx.verifyMic(message, mic.token);
            mics.push({ message, token: mic.token });
          }
        }
        conn.send(SampleFlag.NOOP);
      } catch (e) {
        refused = e instanceof Error ? e.message : String(e);
      }
      conn.end();
      return { built, verified, cred, mics, sent, refused };
    }

    for (const gss of ['krb5', 'spnego'] as const) {
      for (const wrapStyle of ['mit', 'windows'] as const) {
        for (const conf of [true, false]) {
          it(`the krbsim client to MIT gss-server: ${gss}, ${wrapStyle} rotation, ${conf ? 'sealed' : 'integrity only'}`, async () => {
            const texts = ['first', 'second message', 'third, a little longer than a cipher block'].map(
              (t) => `${t} (${gss}/${wrapStyle}/${conf})`,
            );
            const before = gssServer.stdout().length;
            const r = await callGssServer({ gss, conf, wrapStyle, messages: texts });
            expect(r.refused).toBeUndefined();
            const out = await gssServer.waitForOutput(
              (o) => o.slice(before).includes(`Received message: "${texts[2]}"`),
              20_000,
            );
            const log = out.slice(before);
            for (const t of texts) expect(log).toContain(`Received message: "${t}"`);
            expect(log).toContain(`Accepted connection: "alice@${REALM}"`);
            if (conf) expect(log).not.toContain('Warning!  Message not encrypted.');
            // MIT's acceptor MICs: SentByAcceptor | AcceptorSubkey, numbered from its AP-REP's sequence number.
            r.mics.forEach((m, i) => {
              const h = decodePerMessageToken(m.token);
              expect([h.tokId, h.flags]).toEqual([0x0404, 0x05]);
              expect(h.seqNumber).toBe(BigInt(r.verified.seqNumber!) + BigInt(i));
            });
            if (gss !== 'krb5' || wrapStyle !== 'mit' || !conf) return;
            writeGssFixture('mit-gss-server-mics', {
              source: 'MIT krb5 1.20 gss-server (Debian krb5-gss-samples) answering the krbsim client',
              sender: 'acceptor',
              context: {
                flags: r.built.context.gssFlags ?? 0,
                sessionKey: r.cred.sessionKey,
                ...(r.built.context.subkey === undefined ? {} : { initiatorSubkey: r.built.context.subkey }),
                ...(r.verified.subkey === undefined ? {} : { acceptorSubkey: r.verified.subkey }),
                ...(r.built.context.seqNumber === undefined
                  ? {}
                  : { initiatorSeqNumber: r.built.context.seqNumber }),
                ...(r.verified.seqNumber === undefined ? {} : { acceptorSeqNumber: r.verified.seqNumber }),
              },
              tokens: r.mics.map((m) => ({ kind: 'mic', token: m.token, message: m.message })),
            });
          });
        }
      }
    }

    it('MIT gss-server refuses a krbsim Wrap token sent twice: "duplicate"', async () => {
      const before = gssServer.stdout().length;
      const r = await callGssServer({
        gss: 'krb5',
        conf: true,
        wrapStyle: 'mit',
        messages: ['once only'],
        repeat: 2,
      });
      expect(r.refused).toBeDefined(); // gss-server closes the connection instead of answering
      const out = await gssServer.waitForOutput((o) => /unsealing message/.test(o.slice(before)), 20_000);
      expect(out.slice(before)).toMatch(
        /GSS-API error unsealing message: The token was a duplicate of an earlier token/,
      );
    });

    it('MIT gss-server refuses a modified krbsim Wrap token', async () => {
      const before = gssServer.stdout().length;
      const r = await callGssServer({
        gss: 'krb5',
        conf: false,
        wrapStyle: 'windows',
        messages: ['tampered'],
        tamper: true,
      });
      expect(r.refused).toBeDefined();
      const out = await gssServer.waitForOutput((o) => /unsealing message/.test(o.slice(before)), 20_000);
      expect(out.slice(before)).toMatch(
        /GSS-API error unsealing message: A token had an invalid Message Integrity Check \(MIC\)/,
      );
    });
  },
);
