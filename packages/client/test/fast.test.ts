/**
 * FAST (RFC 6113) between krbsim's client and krbsim's KDC, in process:
 * armored AS with a host's TGT and with an anonymous TGT (RFC 8062), the
 * encrypted challenge, armored errors, armored TGS, and the realm policy
 * that requires FAST (MS-KILE 3.3.5.1) or serves none.
 */

import {
  decodeKrbError,
  decodeMethodData,
  encodeEncTicketPart,
  encodeTicket,
  type EncTicketPart,
  PaDataType,
  type Ticket,
  TicketFlags,
} from '@krbsim/asn1';
import { type Credential, hasFlag, KerberosClient } from '@krbsim/client';
import { ErrorCode, KerberosError, ManualClock, SeededRandom } from '@krbsim/core';
import { encrypt, generateKey, KeyUsage } from '@krbsim/crypto';
import { Kdc, type KdcRequestEvent, Realm, type RealmPolicy } from '@krbsim/kdc';
import { InProcessTransport } from '@krbsim/transport';
import { describe, expect, it } from 'vitest';

const REALM = 'CONTOSO.COM';

async function rejection(p: Promise<unknown>): Promise<KerberosError> {
  try {
    await p;
  } catch (e) {
    expect(e).toBeInstanceOf(KerberosError);
    return e as KerberosError;
  }
  throw new Error('expected a rejection');
}

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
  const transport = new InProcessTransport().register(REALM, (req) => {
    sent.push(req);
    const rep = kdc.handle(req);
    replies.push(rep);
    return rep;
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
  return { clock, realm, kdc, events, sent, replies, client, hostTgt };
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
    const forged = { ...armor, sessionKey: generateKey(armor.sessionKey.etype, { random: new SeededRandom('x') }) };
    const e = await rejection(l.client().getInitialCredentials('alice', { password: 'correct horse' }, { armor: forged }));
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
    const e = await rejection(l.client().getInitialCredentials('alice', { password: 'correct horse' }, { armor }));
    expect(e.code).toBe(ErrorCode.KDC_ERR_PADATA_TYPE_NOSUPP);
  });

  it("'supported' (MIT's default) offers PA-FX-FAST to unarmored clients", async () => {
    const l = lab();
    await l.hostTgt();
    const first = decodeKrbError(l.replies[0]!);
    expect(decodeMethodData(first.eData!).map((p) => p.padataType)).toEqual([
      PaDataType.PA_ETYPE_INFO2,
      PaDataType.PA_ENC_TIMESTAMP,
      PaDataType.PA_FX_FAST,
    ]);
  });
});
