/**
 * FAST (RFC 6113) between krbsim's client and krbsim's KDC, in process:
 * armored AS with a host's TGT and with an anonymous TGT (RFC 8062), the
 * encrypted challenge, armored errors, armored TGS, and the realm policy
 * that requires FAST (MS-KILE 3.3.5.1) or serves none.
 */

import {
  type AsRep,
  decodeApReq,
  decodeAsRep,
  decodeAsReq,
  decodeAuthenticator,
  decodeKrbError,
  decodeKrbFastReq,
  decodeKrbFastResponse,
  decodeMethodData,
  decodePaFxFastReply,
  decodePaFxFastRequest,
  decodeTgsRep,
  decodeTgsReq,
  type EncTicketPart,
  encodeAsRep,
  encodeAsReq,
  encodeEncryptedData,
  encodeEncTicketPart,
  encodeEtypeInfo2,
  encodeKdcReqBody,
  encodeKrbError,
  encodeKrbFastReq,
  encodeKrbFastResponse,
  encodeMethodData,
  encodePaEncTsEnc,
  encodePaFxFastReply,
  encodePaFxFastRequest,
  encodeTgsRep,
  encodeTicket,
  FastOptions,
  type KdcReqBody,
  type KrbErrorMessage,
  type KrbFastArmoredReq,
  type KrbFastResponse,
  type PaData,
  PaDataType,
  type Ticket,
  TicketFlags,
} from '@krbsim/asn1';
import { type Credential, hasFlag, KerberosClient } from '@krbsim/client';
import { ErrorCode, KerberosError, ManualClock, SeededRandom } from '@krbsim/core';
import { cf2, decrypt, encrypt, fastArmorKey, generateKey, type Key, KeyUsage } from '@krbsim/crypto';
import { Kdc, type KdcRequestEvent, Realm, type RealmPolicy } from '@krbsim/kdc';
import { InProcessTransport } from '@krbsim/transport';
import { describe, expect, it } from 'vitest';
import { AuthenticatorClock } from '../src/internal/authenticator-clock';
import type { ClientContext } from '../src/internal/context';
import { apRequestArmor, fastPadata } from '../src/internal/fast';
import { rejection } from './rejection';

const REALM = 'CONTOSO.COM';

function lab(policy: Partial<RealmPolicy> = {}, kind: 'mit' | 'active-directory' = 'mit') {
  const clock = new ManualClock(Date.UTC(2026, 0, 5, 8, 0, 0));
  const realm = new Realm({ name: REALM, clock, random: new SeededRandom('fast'), policy, kind });
  realm.addUser('alice', { password: 'correct horse' });
  realm.addComputer('PC1', { password: 'machine-Passw0rd' });
  realm.addService('HTTP/web.contoso.com', { password: 'web-Passw0rd' });
  const events: KdcRequestEvent[] = [];
  const kdc = new Kdc(realm, { onRequest: (e) => events.push(e) });
  const sent: Uint8Array[] = [];
  const replies: Uint8Array[] = [];
  /** Rewrites a KDC reply before the client sees it (tests of the client's FAST checks). */
  const edit: { reply?: (rep: Uint8Array, req: Uint8Array) => Uint8Array } = {};
  const transport = new InProcessTransport().register(REALM, (req) => {
    sent.push(req);
    const rep = kdc.handle(req);
    replies.push(rep);
    return edit.reply?.(rep, req) ?? rep;
  });
  const client = (opts: { fastTgs?: boolean; log?: string[] } = {}) =>
    new KerberosClient({
      realm: REALM,
      transport,
      clock,
      random: new SeededRandom(`client${events.length}`),
      ...(opts.fastTgs === undefined ? {} : { fastTgs: opts.fastTgs }),
      ...(opts.log === undefined ? {} : { log: (l: string) => opts.log!.push(l) }),
    });
  const hostTgt = async (): Promise<Credential> =>
    client().getInitialCredentials('PC1$', { password: 'machine-Passw0rd' });
  return { clock, realm, kdc, events, sent, replies, client, hostTgt, edit };
}

/** A TGT for WELLKNOWN/ANONYMOUS@WELLKNOWN:ANONYMOUS, as anonymous PKINIT (RFC 8062) would issue it. */
function anonymousTgt(realm: Realm, now: number): Credential {
  const random = new SeededRandom('anon');
  const sessionKey = generateKey(18, { random });
  const krbtgt = realm.krbtgt.keys.find((k) => k.key.etype === 18)!;
  const name = { nameType: 2, nameString: ['WELLKNOWN', 'ANONYMOUS'] };
  const etp: EncTicketPart = {
    flags: (TicketFlags.initial | TicketFlags.anonymous) >>> 0,
    key: { keytype: 18, keyvalue: sessionKey.bytes },
    crealm: 'WELLKNOWN:ANONYMOUS',
    cname: name,
    transited: { trType: 1, contents: new Uint8Array(0) },
    authtime: now,
    endtime: now + 3_600_000,
  };
  const ticket: Ticket = {
    tktVno: 5,
    realm: REALM,
    sname: { nameType: 2, nameString: ['krbtgt', REALM] },
    encPart: {
      etype: 18,
      kvno: krbtgt.kvno,
      cipher: encrypt(krbtgt.key, KeyUsage.KDC_REP_TICKET, encodeEncTicketPart(etp), { random }),
    },
  };
  return {
    client: { realm: 'WELLKNOWN:ANONYMOUS', name },
    server: { realm: REALM, name: ticket.sname },
    sessionKey,
    ticket,
    ticketDer: encodeTicket(ticket),
    flags: etp.flags,
    authtime: now,
    endtime: now + 3_600_000,
  };
}

describe('FAST: armored AS', () => {
  it('armors with a host TGT, pre-authenticates by encrypted challenge, and strengthens the reply key', async () => {
    const l = lab();
    const armor = await l.hostTgt();
    const log: string[] = [];
    const c = l.client({ log });
    const tgt = await c.getInitialCredentials('alice', { password: 'correct horse' }, { armor });
    expect(tgt.client.name.nameString).toEqual(['alice']);
    expect(hasFlag(tgt, TicketFlags['pre-authent'])).toBe(true);
    expect(log.some((line) => line.includes('FAST, PA-ENCRYPTED-CHALLENGE'))).toBe(true);
    const outcomes = l.events.slice(-2).map((e) => `${e.outcome} ${e.errorName ?? ''}`.trim());
    expect(outcomes).toEqual(['KRB-ERROR KDC_ERR_PREAUTH_REQUIRED', 'AS-REP (FAST)']);
    // The armored PREAUTH_REQUIRED carries nothing in the clear but PA-FX-FAST.
    const err = decodeKrbError(l.replies.at(-2)!);
    expect(decodeMethodData(err.eData!).map((p) => p.padataType)).toEqual([PaDataType.PA_FX_FAST]);
    // The ticket works.
    const st = await c.getServiceTicket('HTTP/web.contoso.com');
    expect(st.server.name.nameString).toEqual(['HTTP', 'web.contoso.com']);
  });

  it('accepts an anonymous armor TGT (RFC 8062)', async () => {
    const l = lab();
    const armor = anonymousTgt(l.realm, l.clock.now());
    const tgt = await l.client().getInitialCredentials('alice', { password: 'correct horse' }, { armor });
    expect(tgt.client.name.nameString).toEqual(['alice']);
    expect(l.events.at(-1)!.outcome).toBe('AS-REP (FAST)');
  });

  it('returns a wrong password as an armored KDC_ERR_PREAUTH_FAILED', async () => {
    const l = lab();
    const armor = await l.hostTgt();
    const e = await rejection(l.client().getInitialCredentials('alice', { password: 'wrong' }, { armor }));
    expect(e.code).toBe(ErrorCode.KDC_ERR_PREAUTH_FAILED);
    const outer = decodeKrbError(l.replies.at(-1)!);
    expect(outer.errorCode).toBe(ErrorCode.KDC_ERR_PREAUTH_FAILED);
    expect(decodeMethodData(outer.eData!).map((p) => p.padataType)).toEqual([PaDataType.PA_FX_FAST]);
  });

  it('refuses an armor TGT whose session key the client does not hold', async () => {
    const l = lab();
    const armor = await l.hostTgt();
    const forged = {
      ...armor,
      sessionKey: generateKey(armor.sessionKey.etype, { random: new SeededRandom('x') }),
    };
    const e = await rejection(
      l.client().getInitialCredentials('alice', { password: 'correct horse' }, { armor: forged }),
    );
    expect(e.code).toBe(ErrorCode.KRB_AP_ERR_BAD_INTEGRITY);
  });

  it('puts PA-FX-FAST in the encrypted padata of an AS-REP (RFC 6806 section 11)', async () => {
    const l = lab();
    await l.hostTgt();
    // The client sent PA-REQ-ENC-PA-REP: the KDC's reply part names FAST; the client checked the checksum.
    expect(l.events.at(-1)!.outcome).toBe('AS-REP');
  });
});

describe('FAST: armored TGS', () => {
  it('armors TGS-REQs with the TGT (implicit armor) and strengthens the reply key', async () => {
    const l = lab();
    const log: string[] = [];
    const c = l.client({ fastTgs: true, log });
    await c.getInitialCredentials('alice', { password: 'correct horse' });
    const st = await c.getServiceTicket('HTTP/web.contoso.com');
    expect(st.server.name.nameString).toEqual(['HTTP', 'web.contoso.com']);
    expect(l.events.at(-1)!.outcome).toBe('TGS-REP (FAST)');
    expect(log.some((line) => line.includes(', FAST)'))).toBe(true);
  });

  it('returns a TGS refusal armored, its code intact', async () => {
    const l = lab();
    const c = l.client({ fastTgs: true });
    await c.getInitialCredentials('alice', { password: 'correct horse' });
    const e = await rejection(c.getServiceTicket('HTTP/nowhere.contoso.com@CONTOSO.COM'));
    expect(e.code).toBe(ErrorCode.KDC_ERR_S_PRINCIPAL_UNKNOWN);
    const outer = decodeKrbError(l.replies.at(-1)!);
    expect(decodeMethodData(outer.eData!).map((p) => p.padataType)).toEqual([PaDataType.PA_FX_FAST]);
  });
});

describe('FAST: realm policy', () => {
  it("'required' refuses an unarmored user with PREAUTH_REQUIRED offering PA-FX-FAST alone", async () => {
    const l = lab({ fast: 'required' });
    const e = await rejection(l.client().getInitialCredentials('alice', { password: 'correct horse' }));
    expect(e.code).toBe(ErrorCode.KDC_ERR_PREAUTH_REQUIRED);
    expect(e.message).toMatch(/requires FAST/);
    const err = decodeKrbError(l.replies.at(-1)!);
    expect(decodeMethodData(err.eData!).map((p) => p.padataType)).toEqual([PaDataType.PA_FX_FAST]);
    // The computer account is exempt, and its TGT armors alice in.
    const armor = await l.hostTgt();
    const tgt = await l.client().getInitialCredentials('alice', { password: 'correct horse' }, { armor });
    expect(tgt.client.name.nameString).toEqual(['alice']);
  });

  it("'none' refuses an armored request with KDC_ERR_PADATA_TYPE_NOSUPP, and offers no FAST", async () => {
    const l = lab({}, 'active-directory');
    expect(l.realm.policy.fast).toBe('none');
    const armor = await l.hostTgt();
    const first = decodeKrbError(l.replies[0]!);
    expect(decodeMethodData(first.eData!).map((p) => p.padataType)).not.toContain(PaDataType.PA_FX_FAST);
    const e = await rejection(
      l.client().getInitialCredentials('alice', { password: 'correct horse' }, { armor }),
    );
    expect(e.code).toBe(ErrorCode.KDC_ERR_PADATA_TYPE_NOSUPP);
  });

  it("'none' still serves implicit TGS armor, which MIT's client sends to every KDC", async () => {
    const l = lab({}, 'active-directory');
    const c = l.client({ fastTgs: true });
    await c.getInitialCredentials('alice', { password: 'correct horse' });
    const st = await c.getServiceTicket('HTTP/web.contoso.com');
    expect(st.server.name.nameString).toEqual(['HTTP', 'web.contoso.com']);
    expect(l.events.at(-1)!.outcome).toBe('TGS-REP (FAST)');
  });

  it("'supported' (MIT's default) offers PA-FX-FAST to unarmored clients, with a cookie", async () => {
    const l = lab();
    await l.hostTgt();
    const first = decodeKrbError(l.replies[0]!);
    // In MIT's order: PA-FX-FAST first (krb5kdc 1.20.1: [136, 19, 2, 133]).
    expect(decodeMethodData(first.eData!).map((p) => p.padataType)).toEqual([
      PaDataType.PA_FX_FAST,
      PaDataType.PA_ETYPE_INFO2,
      PaDataType.PA_ENC_TIMESTAMP,
      PaDataType.PA_FX_COOKIE,
    ]);
  });
});

describe('FAST: what the KDC refuses, and how', () => {
  /** An AS-REQ for alice armored with `armor`, its PA-FX-FAST rewritten by `edit`. */
  function armoredAsReq(
    l: ReturnType<typeof lab>,
    armorTgt: Credential,
    edit: (fx: KrbFastArmoredReq, key: Key) => KrbFastArmoredReq,
    innerPadata: PaData[] = [],
  ): Uint8Array {
    const ctx = {
      random: new SeededRandom('craft'),
      authClock: new AuthenticatorClock(l.clock),
    } as unknown as ClientContext;
    const armor = apRequestArmor(ctx, armorTgt);
    const body: KdcReqBody = {
      kdcOptions: 0,
      cname: { nameType: 1, nameString: ['alice'] },
      realm: REALM,
      sname: { nameType: 2, nameString: ['krbtgt', REALM] },
      till: l.clock.now() + 3_600_000,
      nonce: 42,
      etype: [18],
    };
    const pa = fastPadata(ctx, armor, { padata: innerPadata, body }, encodeKdcReqBody(body));
    const fx = decodePaFxFastRequest(pa.padataValue).armoredData;
    const edited = encodePaFxFastRequest({ armoredData: edit(fx, armor.armorKey) });
    return encodeAsReq({
      pvno: 5,
      msgType: 10,
      padata: [{ padataType: PaDataType.PA_FX_FAST, padataValue: edited }],
      reqBody: body,
    });
  }

  it('refuses an unknown armor type and a missing armor unarmored, a bad req-checksum armored', async () => {
    const l = lab();
    const tgt = await l.hostTgt();
    const code = (bytes: Uint8Array) => decodeKrbError(l.kdc.handle(bytes)).errorCode;
    expect(
      code(
        armoredAsReq(l, tgt, (fx) => ({ ...fx, armor: { armorType: 2, armorValue: fx.armor!.armorValue } })),
      ),
    ).toBe(ErrorCode.KDC_ERR_PREAUTH_FAILED);
    expect(code(armoredAsReq(l, tgt, ({ armor: _a, ...fx }) => fx))).toBe(ErrorCode.KDC_ERR_PREAUTH_FAILED);
    const flipped = (fx: KrbFastArmoredReq) => {
      const c = fx.reqChecksum.checksum.slice();
      c[0]! ^= 1;
      return { ...fx, reqChecksum: { ...fx.reqChecksum, checksum: c } };
    };
    const bad = decodeKrbError(l.kdc.handle(armoredAsReq(l, tgt, flipped)));
    expect(bad.errorCode).toBe(ErrorCode.KRB_AP_ERR_MODIFIED);
    // The armor checked out, so its key is known and the refusal is armored (RFC 6113 section
    // 5.4.4), as MIT's KDC sends it: the e-data holds PA-FX-FAST alone.
    expect(decodeMethodData(bad.eData!).map((p) => p.padataType)).toEqual([PaDataType.PA_FX_FAST]);
  });

  it('refuses an armor ticket for another server with KDC_ERR_SERVER_NOMATCH', async () => {
    const l = lab();
    const c = l.client();
    await c.getInitialCredentials('alice', { password: 'correct horse' });
    const st = await c.getServiceTicket('HTTP/web.contoso.com');
    const e = await rejection(
      l.client().getInitialCredentials('alice', { password: 'correct horse' }, { armor: st }),
    );
    expect(e.code).toBe(ErrorCode.KDC_ERR_SERVER_NOMATCH);
  });

  it('refuses an unknown critical fast-option with KDC_ERR_UNKNOWN_CRITICAL_FAST_OPTIONS', async () => {
    const l = lab();
    const tgt = await l.hostTgt();
    const bytes = armoredAsReq(l, tgt, (fx, key) => {
      const inner = decodeKrbFastReq(decrypt(key, KeyUsage.KEY_USAGE_FAST_ENC, fx.encFastReq.cipher));
      const plain = encodeKrbFastReq({ ...inner, fastOptions: FastOptions.reserved });
      const cipher = encrypt(key, KeyUsage.KEY_USAGE_FAST_ENC, plain, { random: new SeededRandom('o') });
      return { ...fx, encFastReq: { etype: key.etype, cipher } };
    });
    expect(decodeKrbError(l.kdc.handle(bytes)).errorCode).toBe(
      ErrorCode.KDC_ERR_UNKNOWN_CRITICAL_FAST_OPTIONS,
    );
  });

  it('refuses PA-ENCRYPTED-CHALLENGE outside FAST, and FAST inside FAST', async () => {
    const l = lab();
    const tgt = await l.hostTgt();
    const challenge = {
      padataType: PaDataType.PA_ENCRYPTED_CHALLENGE,
      padataValue: new Uint8Array([0x30, 0]),
    };
    const plain = encodeAsReq({
      pvno: 5,
      msgType: 10,
      padata: [challenge],
      reqBody: {
        kdcOptions: 0,
        cname: { nameType: 1, nameString: ['alice'] },
        realm: REALM,
        sname: { nameType: 2, nameString: ['krbtgt', REALM] },
        till: l.clock.now() + 3_600_000,
        nonce: 1,
        etype: [18],
      },
    });
    expect(decodeKrbError(l.kdc.handle(plain)).errorCode).toBe(ErrorCode.KDC_ERR_PREAUTH_FAILED);
    const nested = armoredAsReq(l, tgt, (fx) => fx, [
      { padataType: PaDataType.PA_FX_FAST, padataValue: new Uint8Array(0) },
    ]);
    const err = decodeKrbError(l.kdc.handle(nested));
    expect(err.errorCode).toBe(ErrorCode.KDC_ERR_PREAUTH_FAILED);
    // After the armor opened, the refusal itself is armored.
    expect(decodeMethodData(err.eData!).map((p) => p.padataType)).toEqual([PaDataType.PA_FX_FAST]);
  });

  it('serves FAST without a strengthen key when the realm says so (fastStrengthenKey: false)', async () => {
    const l = lab({ fastStrengthenKey: false });
    const armor = await l.hostTgt();
    const tgt = await l.client().getInitialCredentials('alice', { password: 'correct horse' }, { armor });
    expect(tgt.client.name.nameString).toEqual(['alice']);
  });
});

describe("FAST: the client checks the KDC's armored replies (RFC 6113 section 5.4.3)", () => {
  /** The armor key of an armored AS-REQ, as the KDC derives it from the armor AP-REQ's subkey. */
  function armorKeyOfRequest(req: Uint8Array, armorTgt: Credential): Key {
    const fx = decodeAsReq(req).padata!.find((p) => p.padataType === PaDataType.PA_FX_FAST)!;
    const apReq = decodeApReq(decodePaFxFastRequest(fx.padataValue).armoredData.armor!.armorValue);
    const auth = decodeAuthenticator(
      decrypt(armorTgt.sessionKey, KeyUsage.AP_REQ_AUTH, apReq.authenticator.cipher),
    );
    return fastArmorKey({ etype: auth.subkey!.keytype, bytes: auth.subkey!.keyvalue }, armorTgt.sessionKey);
  }

  /** `padata` with its PA-FX-FAST's KrbFastResponse opened, changed by `change`, and sealed again. */
  function resealed(
    padata: readonly PaData[],
    key: Key,
    change: (r: KrbFastResponse) => KrbFastResponse,
  ): PaData[] {
    return padata.map((p) => {
      if (p.padataType !== PaDataType.PA_FX_FAST) return p;
      const sealed = decodePaFxFastReply(p.padataValue).armoredData.encFastRep;
      const res = decodeKrbFastResponse(decrypt(key, KeyUsage.KEY_USAGE_FAST_REP, sealed.cipher));
      const plain = encodeKrbFastResponse(change(res));
      const cipher = encrypt(key, KeyUsage.KEY_USAGE_FAST_REP, plain, { random: new SeededRandom('mitm') });
      return {
        padataType: PaDataType.PA_FX_FAST,
        padataValue: encodePaFxFastReply({
          armoredData: { encFastRep: { etype: key.etype, cipher } },
        }).slice(),
      };
    });
  }

  /** Alice's armored AS exchange, its AS-REP rewritten by `change` (with the armor key at hand). */
  async function armoredAsRep(
    change: (rep: AsRep, key: Key, l: ReturnType<typeof lab>) => AsRep,
  ): Promise<KerberosError> {
    const l = lab();
    const armor = await l.hostTgt();
    l.edit.reply = (rep, req) =>
      rep[0] === 0x6b ? encodeAsRep(change(decodeAsRep(rep), armorKeyOfRequest(req, armor), l)).slice() : rep;
    const c = l.client();
    const e = await rejection(c.getInitialCredentials('alice', { password: 'correct horse' }, { armor }));
    expect(c.cache.size).toBe(0);
    return e;
  }

  /** Alice's armored AS exchange, the KDC's armored PREAUTH_REQUIRED rewritten by `change`. */
  async function armoredError(
    change: (err: KrbErrorMessage, key: Key) => KrbErrorMessage,
  ): Promise<KerberosError> {
    const l = lab();
    const armor = await l.hostTgt();
    l.edit.reply = (rep, req) =>
      rep[0] === 0x7e
        ? encodeKrbError(change(decodeKrbError(rep), armorKeyOfRequest(req, armor))).slice()
        : rep;
    return rejection(l.client().getInitialCredentials('alice', { password: 'correct horse' }, { armor }));
  }

  const untrusted = (e: KerberosError, fragment: string) => {
    expect(e.code).toBe(ErrorCode.KRB_AP_ERR_MODIFIED);
    expect(e.realm).toBe(REALM);
    expect(e.message).toContain(`the FAST reply from ${REALM} cannot be trusted: ${fragment}`);
  };

  it('an AS-REP to an armored request without PA-FX-FAST', async () => {
    const e = await armoredAsRep(({ padata: _p, ...rep }) => rep);
    untrusted(e, 'the reply to an armored request carries no PA-FX-FAST');
  });

  it('a PA-FX-FAST that does not open with the armor key', async () => {
    const e = await armoredAsRep((rep) => ({
      ...rep,
      padata: rep.padata!.map((p) => {
        if (p.padataType !== PaDataType.PA_FX_FAST) return p;
        const sealed = decodePaFxFastReply(p.padataValue).armoredData.encFastRep;
        const cipher = sealed.cipher.slice();
        cipher[cipher.length - 1]! ^= 1;
        const armoredData = { encFastRep: { ...sealed, cipher } };
        return { ...p, padataValue: encodePaFxFastReply({ armoredData }).slice() };
      }),
    }));
    untrusted(e, 'its PA-FX-FAST does not open with the armor key');
    expect(e.cause).toBeInstanceOf(KerberosError);
    expect((e.cause as KerberosError).code).toBe(ErrorCode.KRB_AP_ERR_BAD_INTEGRITY);
  });

  it("a KrbFastResponse whose nonce is not the request's", async () => {
    const e = await armoredAsRep((rep, key) => ({
      ...rep,
      padata: resealed(rep.padata!, key, (r) => ({ ...r, nonce: (r.nonce + 1) >>> 0 })),
    }));
    untrusted(e, 'its nonce ');
    expect(e.message).toMatch(/its nonce (\d+) is not the request's (\d+)/);
  });

  it('a KrbFastResponse without KrbFastFinished', async () => {
    const e = await armoredAsRep((rep, key) => ({
      ...rep,
      padata: resealed(rep.padata!, key, ({ finished: _f, ...r }) => r),
    }));
    untrusted(e, 'its FAST response has no KrbFastFinished');
  });

  it('a ticket that the KrbFastFinished checksum does not cover, or a checksum of an unknown type', async () => {
    const swapped = await armoredAsRep((rep) => {
      const cipher = rep.ticket.encPart.cipher.slice();
      cipher[0]! ^= 1;
      return { ...rep, ticket: { ...rep.ticket, encPart: { ...rep.ticket.encPart, cipher } } };
    });
    untrusted(swapped, 'the ticket does not match the KrbFastFinished checksum');
    const unknown = await armoredAsRep((rep, key) => ({
      ...rep,
      padata: resealed(rep.padata!, key, (r) => ({
        ...r,
        finished: { ...r.finished!, ticketChecksum: { ...r.finished!.ticketChecksum, cksumtype: 9999 } },
      })),
    }));
    untrusted(unknown, 'the ticket does not match the KrbFastFinished checksum');
  });

  it('an armored AS-REP without the KDC encrypted challenge: KRB_AP_ERR_MODIFIED', async () => {
    const e = await armoredAsRep((rep, key) => ({
      ...rep,
      padata: resealed(rep.padata!, key, (r) => ({
        ...r,
        padata: r.padata.filter((p) => p.padataType !== PaDataType.PA_ENCRYPTED_CHALLENGE),
      })),
    }));
    expect(e.code).toBe(ErrorCode.KRB_AP_ERR_MODIFIED);
    expect(e.message).toContain('the armored AS-REP carries no KDC encrypted challenge');
  });

  it('a KDC encrypted challenge that does not open, or is outside the clock skew: KRB_AP_ERR_MODIFIED', async () => {
    /** The KDC's PA-ENCRYPTED-CHALLENGE at `time`, under `key` (usage 55). */
    const challenge = (key: Key, time: number): PaData => ({
      padataType: PaDataType.PA_ENCRYPTED_CHALLENGE,
      padataValue: encodeEncryptedData({
        etype: key.etype,
        cipher: encrypt(
          key,
          KeyUsage.KEY_USAGE_ENC_CHALLENGE_KDC,
          encodePaEncTsEnc({ patimestamp: Math.floor(time / 1000) * 1000, pausec: 0 }),
          { random: new SeededRandom('challenge') },
        ),
      }).slice(),
    });
    const withChallenge = (make: (armorKey: Key, rep: AsRep, l: ReturnType<typeof lab>) => PaData) =>
      armoredAsRep((rep, key, l) => ({
        ...rep,
        padata: resealed(rep.padata!, key, (r) => ({
          ...r,
          padata: r.padata.map((p) =>
            p.padataType === PaDataType.PA_ENCRYPTED_CHALLENGE ? make(key, rep, l) : p,
          ),
        })),
      }));
    // Under the armor key itself rather than the KDC challenge key.
    const wrongKey = await withChallenge((armorKey, _rep, l) => challenge(armorKey, l.clock.now()));
    expect(wrongKey.code).toBe(ErrorCode.KRB_AP_ERR_MODIFIED);
    expect(wrongKey.message).toContain(
      'the KDC encrypted challenge does not open with the KDC challenge key',
    );
    // Under the right key, ten minutes ahead of the client's clock.
    const late = await withChallenge((armorKey, rep, l) => {
      const aliceKey = l.realm.keysFor('alice').find((k) => k.etype === rep.encPart.etype)!;
      const kdcKey = cf2(armorKey, aliceKey, 'kdcchallengearmor', 'challengelongterm');
      return challenge(kdcKey, l.clock.now() + 10 * 60_000);
    });
    expect(late.code).toBe(ErrorCode.KRB_AP_ERR_MODIFIED);
    expect(late.message).toContain('the KDC encrypted challenge is outside the clock skew');
  });

  it('an armored error whose e-data is not METHOD-DATA is taken as it came', async () => {
    const e = await armoredError((err) => ({
      ...err,
      errorCode: ErrorCode.KDC_ERR_POLICY,
      eData: new Uint8Array([0x04, 0x01, 0x00]),
    }));
    expect(e.code).toBe(ErrorCode.KDC_ERR_POLICY);
    expect(e.message).toContain('the realm policy forbids this request');
  });

  it('an unarmored error is final: its pre-authentication hints are not followed (as MIT)', async () => {
    let requests = 0;
    const e = await armoredError((err) => {
      requests++;
      // What the real KDC's first answer says, outside the armor: an attacker's to choose.
      const info2 = encodeEtypeInfo2([{ etype: 18, salt: `${REALM}alice` }]).slice();
      return {
        ...err,
        eData: encodeMethodData([
          { padataType: PaDataType.PA_ENCRYPTED_CHALLENGE, padataValue: new Uint8Array() },
          { padataType: PaDataType.PA_ETYPE_INFO2, padataValue: info2 },
        ]).slice(),
      };
    });
    expect(e.code).toBe(ErrorCode.KDC_ERR_PREAUTH_REQUIRED);
    expect(e.message).toContain('the KDC answered the armored request unarmored');
    expect(requests).toBe(1);
  });

  it('an armored error without PA-FX-ERROR: KRB_AP_ERR_MODIFIED', async () => {
    const e = await armoredError((err, key) => {
      const outer = decodeMethodData(err.eData!);
      const eData = encodeMethodData(
        resealed(outer, key, (r) => ({
          ...r,
          padata: r.padata.filter((p) => p.padataType !== PaDataType.PA_FX_ERROR),
        })),
      ).slice();
      return { ...err, eData };
    });
    untrusted(e, 'its armored error carries no PA-FX-ERROR');
  });

  it('a PA-FX-ERROR that does not decode: KRB_AP_ERR_MODIFIED, with the decoding error as cause', async () => {
    const e = await armoredError((err, key) => {
      const outer = decodeMethodData(err.eData!);
      const eData = encodeMethodData(
        resealed(outer, key, (r) => ({
          ...r,
          padata: r.padata.map((p) =>
            p.padataType === PaDataType.PA_FX_ERROR ? { ...p, padataValue: new Uint8Array([0x30, 0x00]) } : p,
          ),
        })),
      ).slice();
      return { ...err, eData };
    });
    untrusted(e, 'its PA-FX-ERROR does not decode');
    expect(e.cause).toBeInstanceOf(KerberosError);
  });

  it("an armored error whose KrbFastResponse nonce is not the request's: KRB_AP_ERR_MODIFIED, its hints not followed", async () => {
    let errors = 0;
    const e = await armoredError((err, key) => {
      errors++;
      const outer = decodeMethodData(err.eData!);
      const eData = encodeMethodData(
        resealed(outer, key, (r) => ({ ...r, nonce: (r.nonce + 1) >>> 0 })),
      ).slice();
      return { ...err, eData };
    });
    untrusted(e, 'its nonce ');
    expect(e.message).toMatch(/its nonce (\d+) is not the request's (\d+)/);
    expect(errors).toBe(1);
  });

  it("an armored TGS error whose KrbFastResponse nonce is not the request's: KRB_AP_ERR_MODIFIED", async () => {
    const l = lab();
    const c = l.client({ fastTgs: true });
    const tgt = await c.getInitialCredentials('alice', { password: 'correct horse' });
    l.edit.reply = (rep, req) => {
      if (rep[0] !== 0x7e) return rep;
      const pa = decodeTgsReq(req).padata!.find((p) => p.padataType === PaDataType.PA_TGS_REQ)!;
      const ap = decodeApReq(pa.padataValue);
      const auth = decodeAuthenticator(
        decrypt(tgt.sessionKey, KeyUsage.TGS_REQ_AUTH, ap.authenticator.cipher),
      );
      const key = fastArmorKey({ etype: auth.subkey!.keytype, bytes: auth.subkey!.keyvalue }, tgt.sessionKey);
      const err = decodeKrbError(rep);
      const outer = decodeMethodData(err.eData!);
      const eData = encodeMethodData(
        resealed(outer, key, (r) => ({ ...r, nonce: (r.nonce + 1) >>> 0 })),
      ).slice();
      return encodeKrbError({ ...err, eData }).slice();
    };
    // An unknown service: the KDC's armored KDC_ERR_S_PRINCIPAL_UNKNOWN, its nonce changed.
    const e = await rejection(c.getServiceTicket('HTTP/nowhere.contoso.com'));
    untrusted(e, 'its nonce ');
  });

  it('an armored TGS-REP is checked the same way: a KrbFastResponse without KrbFastFinished', async () => {
    const l = lab();
    const c = l.client({ fastTgs: true });
    const tgt = await c.getInitialCredentials('alice', { password: 'correct horse' });
    l.edit.reply = (rep, req) => {
      if (rep[0] !== 0x6d) return rep;
      // Implicit armor: the PA-TGS-REQ authenticator's subkey with the TGT session key.
      const pa = decodeTgsReq(req).padata!.find((p) => p.padataType === PaDataType.PA_TGS_REQ)!;
      const ap = decodeApReq(pa.padataValue);
      const auth = decodeAuthenticator(
        decrypt(tgt.sessionKey, KeyUsage.TGS_REQ_AUTH, ap.authenticator.cipher),
      );
      const key = fastArmorKey({ etype: auth.subkey!.keytype, bytes: auth.subkey!.keyvalue }, tgt.sessionKey);
      const tgsRep = decodeTgsRep(rep);
      return encodeTgsRep({
        ...tgsRep,
        padata: resealed(tgsRep.padata!, key, ({ finished: _f, ...r }) => r),
      }).slice();
    };
    const e = await rejection(c.getServiceTicket('HTTP/web.contoso.com'));
    untrusted(e, 'its FAST response has no KrbFastFinished');
    expect(c.cache.find('HTTP/web.contoso.com')).toBeUndefined();
  });
});
