/**
 * RFC 4121 per-message tokens between krbsim and the GSS-API libraries of
 * MIT krb5 1.20 and Heimdal 7.8, each side as initiator and as acceptor,
 * through gss-peer.c (compiled here against each library): Wrap tokens
 * sealed and integrity only, MICs, both wrap layouts krbsim can send (MIT's
 * RRC 0 and the RRC Heimdal and Windows use), and the supplementary statuses
 * the libraries report for krbsim's out-of-order, repeated and modified
 * tokens. With MIT, every AES enctype (17, 18, 19, 20) as the context key.
 * And RFC 4537 both ways: an aes128 session key, the initiator preferring
 * aes256, the acceptor's subkey of the enctype negotiated (MIT's acceptor and
 * krbsim's choose in their own order, Heimdal's in the initiator's); and
 * MIT's client_aware_channel_bindings, which krbsim's acceptor holds to.
 *
 * `KRBSIM_WRITE_GSS_FIXTURES=1` writes each library's tokens, with the keys
 * and sequence numbers of their context, to test/fixtures/gss.
 */

import { readFile, writeFile } from 'node:fs/promises';
import {
  AdType,
  decodeAuthorizationData,
  decodeEtypeList,
  decodeNegotiationToken,
  GssFlags,
  GssOid,
  NegState,
} from '@krbsim/asn1';
import type { KerberosClient } from '@krbsim/client';
import {
  type AcceptResult,
  decodePerMessageToken,
  type KerberosService,
  type WrapStyle,
} from '@krbsim/service';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { dec, enc, exchangeTokens } from './gss-exchange';
import { type FixtureContext, writeGssFixture } from './gss-fixtures';
import { type GssLab, REALM, startGssLab, TARGET } from './gss-lab';
import { buildGssPeer, GssPeer } from './gss-peer';
import { describeWithHeimdal, type Heimdal, HeimdalClient, heimdalPackages } from './helpers/heimdal';
import { MitClient } from './helpers/mit';
import { findTool } from './helpers/processes';
import { describeUnavailable, describeWithTools } from './mit-tools';

/** The MAC (and checksum) length of each AES enctype. */
const MAC_BYTES: Record<number, number> = { 17: 12, 18: 12, 19: 16, 20: 24 };
/** GSS_C_MUTUAL_FLAG | REPLAY | SEQUENCE | CONF | INTEG. */
const INIT_FLAGS = 0x3e;

/** How a suite runs its library's peer. */
interface PeerImpl {
  /** `MIT krb5 1.20` or `Heimdal 7.8`. */
  readonly name: string;
  readonly slug: 'mit' | 'heimdal';
  /** The compiled peer. */
  readonly path: string;
  /** The peer's environment, with `ccache` as its credentials cache. */
  env(ccache?: string): Record<string, string>;
  /** Gets alice's TGT into `ccache` with the profile `krb5conf`. */
  kinit(krb5conf: string, ccache: string): Promise<void>;
  /** Gets alice's TGT and a host/localhost ticket with an aes128 session key into `ccache`. */
  aes128Ticket(ccache: string): Promise<void>;
}

function contextOf(r: AcceptResult): FixtureContext {
  return {
    flags: r.gssFlags ?? 0,
    sessionKey: r.sessionKey,
    ...(r.subkey === undefined ? {} : { initiatorSubkey: r.subkey }),
    ...(r.acceptorSubkey === undefined ? {} : { acceptorSubkey: r.acceptorSubkey }),
    ...(r.seqNumber === undefined ? {} : { initiatorSeqNumber: r.seqNumber }),
    ...(r.acceptorSeqNumber === undefined ? {} : { acceptorSeqNumber: r.acceptorSeqNumber }),
  };
}

/** `dce`: also test DCE style (Heimdal's layout; MIT's gss_wrap does not rotate DCE tokens). */
function peerSuite(impl: () => PeerImpl, lab: () => GssLab, dce: boolean): void {
  let service: KerberosService;
  let client: KerberosClient;
  beforeAll(async () => {
    service = await lab().service();
    client = await lab().client();
  });

  for (const style of ['mit', 'windows'] as WrapStyle[]) {
    it(`the library as initiator, krbsim as acceptor (krbsim sends ${style} RRC)`, async () => {
      const p = impl();
      const peer = GssPeer.start(p.path, ['init', TARGET, INIT_FLAGS.toString(16)], p.env());
      try {
        const r = service.accept(await peer.token(), { wrapStyle: style });
        peer.sendToken(r.responseToken!);
        const flags = await peer.ready();
        expect(flags & INIT_FLAGS).toBe(INIT_FLAGS);
        expect(flags).toBe(0x13e); // the library initiator's ret_flags: INIT_FLAGS and TRANS, as krbsim's (above)
        expect(r.clientPrincipal).toBe(`alice@${REALM}`);
        const made = await exchangeTokens(peer, r.securityContext!, `${p.slug} initiator`);
        const sealed = decodePerMessageToken(made[2]!.token);
        const signed = decodePerMessageToken(made[5]!.token);
        // MIT sends RRC 0; Heimdal rotates the trailer to the front (RRC 16 + MAC, or the checksum length).
        const mac = MAC_BYTES[r.securityContext!.etype]!;
        expect([sealed.rrc, signed.rrc]).toEqual(p.slug === 'mit' ? [0, 0] : [16 + mac, mac]);
        expect([sealed.flags, signed.flags]).toEqual([0x06, 0x04]);
        if (style === 'mit') {
          writeGssFixture(`${p.slug}-initiator-tokens`, {
            source: `${p.name} gss_wrap/gss_get_mic as initiator (test/interop/gss-peer.c); krbsim accepted the context`,
            sender: 'initiator',
            context: contextOf(r),
            tokens: made,
          });
        }
      } finally {
        await peer.close();
      }
    });

    it(`krbsim as initiator (${style} RRC), the library as acceptor`, async () => {
      const p = impl();
      const peer = GssPeer.start(p.path, ['accept'], p.env());
      try {
        const cred = await client.getServiceTicket('host/localhost');
        const built = client.buildApReq(cred, {
          gss: 'krb5',
          gssFlags: GssFlags.replay | GssFlags.sequence,
          wrapStyle: style,
        });
        peer.sendToken(built.token);
        const rep = await peer.token();
        const acceptorFlags = await peer.ready();
        const verified = client.verifyApRep(built.context, rep);
        const ctx = verified.securityContext!;
        // The flags each side's GSS-API returns: krbsim's acceptor, given the same token, as MIT's (Heimdal's
        // acceptor leaves PROT_READY out); krbsim's initiator as MIT's and Heimdal's (the next test).
        const ours = service.accept(built.token).securityContext!.retFlags;
        expect(ours).toBe(p.slug === 'mit' ? acceptorFlags : acceptorFlags | GssFlags.protReady);
        expect(ctx.retFlags).toBe(0x13e);
        expect(ctx.usesAcceptorSubkey).toBe(true); // both libraries send an acceptor subkey
        const made = await exchangeTokens(peer, ctx, `${p.slug} acceptor`);
        expect(decodePerMessageToken(made[6]!.token).flags).toBe(0x05); // MIC: SentByAcceptor | AcceptorSubkey
        if (style === 'mit') {
          writeGssFixture(`${p.slug}-acceptor-tokens`, {
            source: `${p.name} gss_wrap/gss_get_mic as acceptor (test/interop/gss-peer.c) of the krbsim client's context`,
            sender: 'acceptor',
            context: {
              flags: built.context.gssFlags ?? 0,
              sessionKey: cred.sessionKey,
              ...(built.context.subkey === undefined ? {} : { initiatorSubkey: built.context.subkey }),
              ...(verified.subkey === undefined ? {} : { acceptorSubkey: verified.subkey }),
              ...(built.context.seqNumber === undefined
                ? {}
                : { initiatorSeqNumber: built.context.seqNumber }),
              ...(verified.seqNumber === undefined ? {} : { acceptorSeqNumber: verified.seqNumber }),
            },
            tokens: made,
          });
        }
      } finally {
        await peer.close();
      }
    });
  }

  it('krbsim as initiator over SPNEGO, the library as acceptor: its NegTokenResp completes in one round trip', async () => {
    const p = impl();
    const peer = GssPeer.start(p.path, ['accept'], p.env());
    try {
      const cred = await client.getServiceTicket('host/localhost');
      const built = client.buildApReq(cred, { gss: 'spnego', gssFlags: GssFlags.replay | GssFlags.sequence });
      peer.sendToken(built.token);
      const answer = await peer.token();
      await peer.ready();
      const resp = decodeNegotiationToken(answer);
      if (!('negTokenResp' in resp)) throw new Error('expected a NegTokenResp');
      // Both libraries complete on the Microsoft OID krbsim offers first, as Windows' acceptor does.
      expect([resp.negTokenResp.negState, resp.negTokenResp.supportedMech]).toEqual([
        NegState['accept-completed'],
        GssOid.MS_KRB5,
      ]);
      // A mechListMIC, when the library sends one, is verified over the offered list before the context is used.
      const ctx = client.verifyApRep(built.context, answer).securityContext!;
      await exchangeTokens(peer, ctx, `${p.slug} SPNEGO acceptor`);
    } finally {
      await peer.close();
    }
  });

  it('DCE style (GSS_C_DCE_STYLE), three legs each way: the library and krbsim as initiator and as acceptor; MICs both ways', async () => {
    const p = impl();
    // The library initiates: its raw AP-REQ, krbsim's raw AP-REP, its third leg.
    const init = GssPeer.start(
      p.path,
      ['init', TARGET, (GssFlags.dceStyle | INIT_FLAGS).toString(16)],
      p.env(),
    );
    try {
      const r = service.accept(await init.token());
      init.sendToken(r.responseToken!);
      const ctx = service.acceptDceReply(r, await init.token());
      expect((await init.ready()) & (GssFlags.dceStyle | GssFlags.mutual)).toBe(
        GssFlags.dceStyle | GssFlags.mutual,
      );
      expect(ctx.retFlags & GssFlags.protReady).toBe(0); // as MIT's acceptor returns DCE contexts
      ctx.verifyMic(enc('from the library'), await init.mic(enc('from the library')));
      expect(await init.verify(enc('from krbsim'), ctx.getMic(enc('from krbsim')))).toBe(0);
    } finally {
      await init.close();
    }
    // krbsim initiates: its raw AP-REQ, the library's raw AP-REP (its subkey), krbsim's third leg.
    const accept = GssPeer.start(p.path, ['accept'], p.env());
    try {
      const cred = await client.getServiceTicket('host/localhost');
      const built = client.buildApReq(cred, {
        gss: 'krb5',
        gssFlags: GssFlags.dceStyle | GssFlags.replay | GssFlags.sequence,
      });
      expect(built.token[0]).toBe(0x6e);
      accept.sendToken(built.token);
      const rep = await accept.token();
      expect(rep[0]).toBe(0x6f);
      const verified = client.verifyApRep(built.context, rep);
      expect(verified.subkey).toBeDefined(); // DCE style: the acceptor always sends its subkey
      accept.sendToken(verified.dceReply!);
      await accept.token(); // the library has nothing more to send
      expect((await accept.ready()) & GssFlags.dceStyle).toBe(GssFlags.dceStyle);
      const ctx = verified.securityContext!;
      ctx.verifyMic(enc('from the library'), await accept.mic(enc('from the library')));
      expect(await accept.verify(enc('from krbsim'), ctx.getMic(enc('from krbsim')))).toBe(0);
    } finally {
      await accept.close();
    }
  });

  // MIT's gss_wrap does not rotate DCE tokens (only its IOV API does): Heimdal only.
  if (dce)
    it('DCE style (GSS_C_DCE_STYLE): the library as initiator, EC padding to the block and rotation by RRC + EC', async () => {
      const p = impl();
      const peer = GssPeer.start(
        p.path,
        ['init', TARGET, (GssFlags.dceStyle | INIT_FLAGS).toString(16)],
        p.env(),
      );
      try {
        // A DCE initiator sends its AP-REQ raw; krbsim's acceptor answers with a raw AP-REP carrying its
        // subkey and sequence number, and the library's third leg (its own AP-REP) makes the context.
        const first = await peer.token();
        expect(first[0]).toBe(0x6e);
        const r = service.accept(first);
        expect(r.responseToken![0]).toBe(0x6f);
        peer.sendToken(r.responseToken!);
        const ctx = service.acceptDceReply(r, await peer.token());
        expect((await peer.ready()) & GssFlags.dceStyle).toBe(GssFlags.dceStyle);
        expect(ctx.wrapStyle).toBe('dce');
        const mac = MAC_BYTES[ctx.etype]!;
        const made: { kind: 'wrap'; token: Uint8Array; message: Uint8Array; conf: boolean }[] = [];
        for (const n of [0, 5, 16, 40]) {
          const text = 'd'.repeat(n);
          const token = await peer.wrap(enc(text), true);
          const h = decodePerMessageToken(token);
          // EC fills message | header to the cipher block, a whole block when already aligned.
          expect([h.ec, h.rrc]).toEqual([16 - ((n + 16) % 16), 16 + mac]);
          expect(dec(ctx.unwrap(token).message)).toBe(text);
          made.push({ kind: 'wrap', token, message: enc(text), conf: true });
          const u = await peer.unwrap(ctx.wrap(enc(text)));
          expect([u.major, dec(u.message)]).toEqual([0, text]);
        }
        expect(await peer.verify(enc('dce'), ctx.getMic(enc('dce')))).toBe(0);
        ctx.verifyMic(enc('dce'), await peer.mic(enc('dce')));
        writeGssFixture(`${p.slug}-initiator-dce`, {
          source: `${p.name} gss_wrap as a DCE-style initiator (GSS_C_DCE_STYLE, test/interop/gss-peer.c); krbsim accepted the raw AP-REQ and the third leg`,
          sender: 'initiator',
          context: { ...contextOf(r), flags: GssFlags.dceStyle | INIT_FLAGS },
          tokens: made,
        });
      } finally {
        await peer.close();
      }
    });

  it('the library as initiator with each AES enctype as the context key', async () => {
    const p = impl();
    for (const { etype, name } of AES_ETYPES) {
      // A profile allowing only this enctype (MIT's and Heimdal's names for the setting), and a TGT got with it.
      const cc = lab().dir.file(`cc-${p.slug}-${etype}`);
      const conf = lab().dir.file(`krb5-${p.slug}-${etype}.conf`);
      const base = await readFile(lab().krb5conf, 'utf8');
      await writeFile(
        conf,
        base.replace(
          '[libdefaults]',
          `[libdefaults]\n    default_tkt_enctypes = ${name}\n    default_tgs_enctypes = ${name}\n    default_etypes = ${name}`,
        ),
      );
      await p.kinit(conf, cc);
      const peer = GssPeer.start(p.path, ['init', TARGET, INIT_FLAGS.toString(16)], {
        ...p.env(cc),
        KRB5_CONFIG: conf,
      });
      try {
        const r = service.accept(await peer.token());
        peer.sendToken(r.responseToken!);
        await peer.ready();
        expect(r.sessionKey.etype).toBe(etype);
        expect(r.securityContext!.etype).toBe(etype);
        const made = await exchangeTokens(peer, r.securityContext!, `${p.slug} etype ${etype}`);
        writeGssFixture(`${p.slug}-initiator-etype${etype}`, {
          source: `${p.name} gss_wrap/gss_get_mic as initiator with an enctype ${etype} session key (test/interop/gss-peer.c)`,
          sender: 'initiator',
          context: contextOf(r),
          tokens: made,
        });
      } finally {
        await peer.close();
      }
    }
  });

  it("the library as initiator with client_aware_channel_bindings: krbsim's acceptor with a channel refuses MIT's empty bindings", async () => {
    const p = impl();
    // MIT's and Heimdal's setting: the initiator's authenticator says KERB_AP_OPTIONS_CBT (MS-KILE 3.2.5.8).
    const aware = lab().dir.file(`krb5-${p.slug}-cbt.conf`);
    const base = await readFile(lab().krb5conf, 'utf8');
    await writeFile(
      aware,
      base.replace('[libdefaults]', '[libdefaults]\n    client_aware_channel_bindings = true'),
    );
    const channel = { channelBindings: new TextEncoder().encode('tls-server-end-point:gss-peer') };
    const token = async (conf: string) => {
      const peer = GssPeer.start(p.path, ['init', TARGET, INIT_FLAGS.toString(16)], {
        ...p.env(),
        KRB5_CONFIG: conf,
      });
      try {
        return await peer.token();
      } finally {
        await peer.close();
      }
    };
    const refused = await token(aware);
    let outcome: number | string = 'accepted';
    try {
      service.accept(refused, channel);
    } catch (e) {
      outcome = (e as { code: number }).code;
    }
    // KRB_AP_ERR_MODIFIED (41). Heimdal 7.8 knows no such setting (its libkrb5 has no
    // client_aware_channel_bindings): it says nothing, and its empty bindings pass.
    expect(outcome).toBe(p.slug === 'mit' ? 41 : 'accepted');
    // The same library without the setting: empty bindings pass (RFC 4121 4.1.1.2).
    expect(service.accept(await token(lab().krb5conf), channel).clientPrincipal).toBe(`alice@${REALM}`);
  });

  // RFC 4537: a session key of the initiator's second choice, upgraded by the acceptor's subkey.
  it('the library as initiator with an aes128 session key lists [aes256, aes128]; krbsim answers with an aes256 subkey', async () => {
    const p = impl();
    const cc = lab().dir.file(`cc-${p.slug}-negotiation`);
    await p.aes128Ticket(cc);
    // A profile that prefers aes256 (MIT's setting and Heimdal's), with the aes128 ticket in the cache.
    const both = lab().dir.file(`krb5-${p.slug}-aes256-aes128.conf`);
    const names = 'aes256-cts-hmac-sha1-96 aes128-cts-hmac-sha1-96';
    const base = await readFile(lab().krb5conf, 'utf8');
    await writeFile(
      both,
      base.replace(
        '[libdefaults]',
        `[libdefaults]\n    default_tgs_enctypes = ${names}\n    default_etypes = ${names}`,
      ),
    );
    const peer = GssPeer.start(p.path, ['init', TARGET, INIT_FLAGS.toString(16)], {
      ...p.env(cc),
      KRB5_CONFIG: both,
    });
    try {
      const r = service.accept(await peer.token());
      peer.sendToken(r.responseToken!);
      await peer.ready();
      expect(r.sessionKey.etype).toBe(17);
      // What the initiator put in its authenticator: AD-IF-RELEVANT { AD-ETYPE-NEGOTIATION [18, 17] }.
      const [ifRelevant] = r.authenticatorAuthorizationData;
      expect(ifRelevant?.adType).toBe(AdType.AD_IF_RELEVANT);
      const [negotiation] = decodeAuthorizationData(ifRelevant!.adData);
      expect(negotiation?.adType).toBe(AdType.AD_ETYPE_NEGOTIATION);
      expect(decodeEtypeList(negotiation!.adData)).toEqual([18, 17]);
      expect(r.acceptorSubkey?.etype).toBe(18);
      expect(r.securityContext!.etype).toBe(18);
      await exchangeTokens(peer, r.securityContext!, `${p.slug} initiator, negotiated aes256`);
    } finally {
      await peer.close();
    }
  });

  it('krbsim as initiator with an aes128 session key lists its enctypes (RFC 4537); the library answers', async () => {
    const p = impl();
    // A ticket whose session key is aes128 (asked for with aes128 only), sent by a client that prefers AES-SHA2.
    const cred = await (await lab().client([17])).getServiceTicket('host/localhost');
    expect(cred.sessionKey.etype).toBe(17);
    const peer = GssPeer.start(p.path, ['accept'], p.env());
    try {
      const built = client.buildApReq(cred, { gss: 'krb5', gssFlags: GssFlags.replay | GssFlags.sequence });
      peer.sendToken(built.token);
      const rep = await peer.token();
      await peer.ready();
      const ctx = client.verifyApRep(built.context, rep).securityContext!;
      // The client listed [20, 19, 18, 17]. MIT's acceptor takes its own order (permitted_enctypes,
      // AES-SHA1 first), as krbsim's does; Heimdal's takes the client's first it supports.
      expect(ctx.etype).toBe(p.slug === 'mit' ? 18 : 20);
      expect(ctx.usesAcceptorSubkey).toBe(true);
      await exchangeTokens(peer, ctx, `${p.slug} acceptor, negotiated`);
    } finally {
      await peer.close();
    }
  });
}

const AES_ETYPES = [
  { etype: 17, name: 'aes128-cts-hmac-sha1-96' },
  { etype: 18, name: 'aes256-cts-hmac-sha1-96' },
  { etype: 19, name: 'aes128-cts-hmac-sha256-128' },
  { etype: 20, name: 'aes256-cts-hmac-sha384-192' },
];

describeWithTools(
  'RFC 4121 tokens between krbsim and MIT krb5 (gss-peer.c)',
  ['gcc', 'kinit', 'kvno'],
  (tools) => {
    let lab: GssLab;
    let impl: PeerImpl;
    let mit: MitClient;
    beforeAll(async () => {
      lab = await startGssLab('gss-peer-mit');
      mit = new MitClient(tools, lab.dir.path, lab.krb5conf, lab.dir.file('cc-mit'), () => lab.diagnostics());
      await mit.ok('kinit', [`alice@${REALM}`], { input: 'Al1ce-Passw0rd\n' });
      const path = lab.dir.file('gss-peer-mit');
      await buildGssPeer(tools.gcc!, path);
      impl = {
        name: 'MIT krb5 1.20',
        slug: 'mit',
        path,
        env: (ccache = lab.dir.file('cc-mit')) => ({
          KRB5_CONFIG: lab.krb5conf,
          KRB5CCNAME: `FILE:${ccache}`,
          KRB5_KTNAME: `FILE:${lab.keytab}`,
          KRB5RCACHETYPE: 'none',
        }),
        async kinit(krb5conf, ccache) {
          await mit.ok('kinit', [`alice@${REALM}`], { input: 'Al1ce-Passw0rd\n', krb5conf, ccache });
        },
        async aes128Ticket(ccache) {
          // aes128 first: the KDC gives the client's first choice; aes256 still listed for the TGT's session key.
          const krb5conf = lab.dir.file('krb5-mit-aes128.conf');
          const names = 'aes128-cts-hmac-sha1-96 aes256-cts-hmac-sha1-96';
          const base = await readFile(lab.krb5conf, 'utf8');
          await writeFile(
            krb5conf,
            base.replace('[libdefaults]', `[libdefaults]\n    default_tgs_enctypes = ${names}`),
          );
          await this.kinit(krb5conf, ccache);
          await mit.ok('kvno', ['host/localhost'], { krb5conf, ccache });
        },
      };
    });
    afterAll(async () => {
      await lab?.close();
    });
    peerSuite(
      () => impl,
      () => lab,
      false,
    );

    // RFC 4537: a session key of the initiator's second choice, upgraded by the acceptor's subkey.
  },
);

function heimdalSuite(heimdal: Heimdal, gcc: string): void {
  let lab: GssLab;
  let impl: PeerImpl;
  beforeAll(async () => {
    lab = await startGssLab('gss-peer-heimdal');
    const h = new HeimdalClient(heimdal, lab.dir.path, lab.krb5conf, lab.dir.file('cc-heimdal'), () =>
      lab.diagnostics(),
    );
    await h.ok('kinit', ['--password-file=STDIN', `alice@${REALM}`], { input: 'Al1ce-Passw0rd\n' });
    const path = lab.dir.file('gss-peer-heimdal');
    await buildGssPeer(gcc, path, heimdal.libDir);
    const lib = heimdalPackages(heimdal).find((l) => l.startsWith('libgssapi3-heimdal'));
    impl = {
      name: `Heimdal ${/Heimdal ([\d.]+)/.exec(heimdal.version)?.[1] ?? ''} (${lib ?? heimdal.version})`,
      slug: 'heimdal',
      path,
      env: (ccache = lab.dir.file('cc-heimdal')) => ({
        KRB5_CONFIG: lab.krb5conf,
        KRB5CCNAME: `FILE:${ccache}`,
        KRB5_KTNAME: `FILE:${lab.keytab}`,
        ...(heimdal.libDir === undefined ? {} : { LD_LIBRARY_PATH: heimdal.libDir }),
      }),
      async kinit(krb5conf, ccache) {
        await h.ok('kinit', ['--password-file=STDIN', `alice@${REALM}`], {
          input: 'Al1ce-Passw0rd\n',
          krb5conf,
          ccache,
        });
      },
      async aes128Ticket(ccache) {
        await this.kinit(lab.krb5conf, ccache);
        await h.ok('kgetcred', ['-e', 'aes128-cts-hmac-sha1-96', `host/localhost@${REALM}`], { ccache });
      },
    };
  });
  afterAll(async () => {
    await lab?.close();
  });
  peerSuite(
    () => impl,
    () => lab,
    true,
  );
}

describeWithHeimdal('RFC 4121 tokens between krbsim and Heimdal (gss-peer.c)', (heimdal) => {
  const gcc = findTool('gcc');
  if (gcc === undefined) {
    describeUnavailable('Heimdal gss-peer', 'gcc not found', 'install gcc');
    return;
  }
  heimdalSuite(heimdal, gcc);
});
