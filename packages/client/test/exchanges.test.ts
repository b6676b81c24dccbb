import {
  decodeAsReq,
  decodeEncryptedData,
  decodePaEncTsEnc,
  decodeTgsReq,
  KdcOptions,
  PaDataType,
  TicketFlags,
} from '@krbsim/asn1';
import { hasFlag, isTgt, KerberosClient } from '@krbsim/client';
import { Duration, ErrorCode, KerberosError, ManualClock, SeededRandom } from '@krbsim/core';
import { decrypt, stringToKey } from '@krbsim/crypto';
import { describe, expect, it } from 'vitest';
import { FakeKdcWorld } from './fake-kdc';

const T0 = Date.UTC(2026, 0, 1, 9, 0, 0);

async function rejection(p: Promise<unknown>): Promise<KerberosError> {
  try {
    await p;
  } catch (e) {
    expect(e).toBeInstanceOf(KerberosError);
    return e as KerberosError;
  }
  throw new Error('expected a rejection');
}

function setup(
  opts: {
    requirePreauth?: boolean;
    asRepTag?: 25 | 26;
    misbehave?: 'nonce' | 'cname' | 'sname' | 'enc-pa-rep-missing' | 'enc-pa-rep-forged';
  } = {},
) {
  const clock = new ManualClock(T0);
  const random = new SeededRandom('exchanges');
  const world = new FakeKdcWorld(clock, random).addRealm({
    name: 'A.TEST',
    users: { alice: { password: 'alice-pw', requirePreauth: opts.requirePreauth ?? true } },
    services: { 'HTTP/web.a.test': 'web-pw' },
    ...(opts.asRepTag === undefined ? {} : { asRepTag: opts.asRepTag }),
    ...(opts.misbehave === undefined ? {} : { misbehave: opts.misbehave }),
  });
  const sent: Array<{ realm: string; bytes: Uint8Array }> = [];
  const inner = world.transport();
  const transport = {
    send: (realm: string, bytes: Uint8Array) => {
      sent.push({ realm, bytes });
      return inner.send(realm, bytes);
    },
  };
  const client = new KerberosClient({ realm: 'A.TEST', transport, clock, random });
  return { clock, random, world, client, sent };
}

describe('AS exchange', () => {
  it('answers PREAUTH_REQUIRED with PA-ENC-TIMESTAMP (usage 1) and PA-PAC-REQUEST, as MIT does', async () => {
    const { client, sent } = setup();
    const cred = await client.getInitialCredentials('alice', { password: 'alice-pw' }, { forwardable: true });
    expect(isTgt(cred)).toBe(true);
    expect(hasFlag(cred, TicketFlags.forwardable)).toBe(true);
    expect(hasFlag(cred, TicketFlags.initial)).toBe(true);
    expect(sent).toHaveLength(2);
    const first = decodeAsReq(sent[0]!.bytes);
    expect(first.padata?.map((p) => p.padataType)).toEqual([
      PaDataType.PA_PAC_REQUEST,
      PaDataType.PA_REQ_ENC_PA_REP,
    ]);
    expect(first.reqBody.etype).toEqual([20, 19, 18, 17]);
    expect(first.reqBody.kdcOptions & KdcOptions.forwardable).toBe(KdcOptions.forwardable);
    const second = decodeAsReq(sent[1]!.bytes);
    expect(second.padata?.map((p) => p.padataType)).toEqual([
      PaDataType.PA_ENC_TIMESTAMP,
      PaDataType.PA_PAC_REQUEST,
      PaDataType.PA_REQ_ENC_PA_REP,
    ]);
    // The timestamp decrypts with the key from the KDC's ETYPE-INFO2 salt, usage 1.
    const key = stringToKey(18, 'alice-pw', 'A.TESTalice');
    const ed = decodeEncryptedData(second.padata![0]!.padataValue);
    const ts = decodePaEncTsEnc(decrypt(key, 1, ed.cipher));
    expect(Math.abs(ts.patimestamp - T0)).toBeLessThan(1000);
    expect(client.cache.tgtFor('A.TEST')).toBe(cred);
    expect(client.principal?.name.nameString).toEqual(['alice']);
  });

  it('uses the reply key directly when no pre-authentication is required, for EncASRepPart tag 25 and 26', async () => {
    for (const tag of [25, 26] as const) {
      const { client, sent } = setup({ requirePreauth: false, asRepTag: tag });
      const cred = await client.getInitialCredentials('alice', { password: 'alice-pw' });
      expect(cred.server.name.nameString).toEqual(['krbtgt', 'A.TEST']);
      expect(sent).toHaveLength(1);
    }
  });

  it('surfaces KDC errors with code, name, realm and e-text', async () => {
    const { client } = setup();
    const wrong = await rejection(client.getInitialCredentials('alice', { password: 'nope' }));
    expect(wrong.code).toBe(ErrorCode.KDC_ERR_PREAUTH_FAILED);
    expect(wrong.codeName).toBe('KDC_ERR_PREAUTH_FAILED');
    expect(wrong.realm).toBe('A.TEST');
    expect(wrong.message).toContain('password');
    expect(wrong.message).toContain('KDC said');
    const unknown = await rejection(client.getInitialCredentials('mallory', { password: 'x' }));
    expect(unknown.code).toBe(ErrorCode.KDC_ERR_C_PRINCIPAL_UNKNOWN);
    expect(unknown.message).toContain('mallory@A.TEST');
  });

  it('a wrong key without pre-authentication fails to decrypt the AS-REP: KRB_AP_ERR_BAD_INTEGRITY', async () => {
    const { client } = setup({ requirePreauth: false });
    const e = await rejection(client.getInitialCredentials('alice', { password: 'nope' }));
    expect(e.code).toBe(ErrorCode.KRB_AP_ERR_BAD_INTEGRITY);
  });

  it('works from a key or a keytab instead of a password', async () => {
    const { client } = setup();
    const key = stringToKey(18, 'alice-pw', 'A.TESTalice');
    expect((await client.getInitialCredentials('alice', { key })).client.realm).toBe('A.TEST');
    const entry = {
      principal: { realm: 'A.TEST', name: { nameType: 1, nameString: ['alice'] } },
      kvno: 1,
      key,
    };
    expect((await client.getInitialCredentials('alice', { keytab: [entry] })).client.realm).toBe('A.TEST');
    expect((await client.getInitialCredentials('alice', { keytab: { entries: [entry] } })).client.realm).toBe(
      'A.TEST',
    );
    const none = await rejection(client.getInitialCredentials('bob', { keytab: [entry] }));
    expect(none.code).toBe(ErrorCode.KRB_AP_ERR_NOKEY);
  });

  it('refuses weak enctypes unless allowed', async () => {
    const clock = new ManualClock(T0);
    expect(
      () =>
        new KerberosClient({
          realm: 'A',
          transport: { send: async () => new Uint8Array() },
          clock,
          encTypes: [23],
        }),
    ).toThrow(KerberosError);
    const { client } = setup();
    const e = await rejection(
      client.getInitialCredentials('alice', { key: { etype: 23, bytes: new Uint8Array(16) } }),
    );
    expect(e.code).toBe(ErrorCode.KDC_ERR_ETYPE_NOSUPP);
  });

  it('checks the reply against the request (RFC 4120 section 3.1.5): KRB_AP_ERR_MODIFIED', async () => {
    for (const misbehave of ['nonce', 'cname', 'sname'] as const) {
      const { client } = setup({ misbehave });
      const e = await rejection(client.getInitialCredentials('alice', { password: 'alice-pw' }));
      expect(e.code, misbehave).toBe(ErrorCode.KRB_AP_ERR_MODIFIED);
      expect(e.realm).toBe('A.TEST');
      expect(client.cache.size).toBe(0);
    }
    // A canonicalizing request accepts another client name, but never a wrong nonce.
    const { client } = setup({ misbehave: 'cname' });
    const cred = await client.getInitialCredentials(
      'alice',
      { password: 'alice-pw' },
      { canonicalize: true },
    );
    expect(cred.client.name.nameString).toEqual(['mallory']);
  });

  it('checks the RFC 6806 section 11 PA-REQ-ENC-PA-REP checksum when the reply sets enc-pa-rep', async () => {
    // An honest KDC's checksum over the AS-REQ verifies.
    const honest = setup();
    await honest.client.getInitialCredentials('alice', { password: 'alice-pw' });
    for (const misbehave of ['enc-pa-rep-missing', 'enc-pa-rep-forged'] as const) {
      const { client } = setup({ misbehave });
      const e = await rejection(client.getInitialCredentials('alice', { password: 'alice-pw' }));
      expect(e.code, misbehave).toBe(ErrorCode.KRB_AP_ERR_MODIFIED);
      expect(e.message, misbehave).toMatch(/PA-REQ-ENC-PA-REP/);
      expect(client.cache.size).toBe(0);
    }
  });

  it('refuses a reply whose times are outside the clock skew: KRB_AP_ERR_SKEW', async () => {
    const kdcClock = new ManualClock(T0 + 10 * Duration.minute);
    const random = new SeededRandom('skew');
    const world = new FakeKdcWorld(kdcClock, random).addRealm({
      name: 'A.TEST',
      users: { alice: { password: 'pw' } },
    });
    const client = new KerberosClient({
      realm: 'A.TEST',
      transport: world.transport(),
      clock: new ManualClock(T0),
      random,
    });
    const e = await rejection(client.getInitialCredentials('alice', { password: 'pw' }));
    expect(e.code).toBe(ErrorCode.KRB_AP_ERR_SKEW);
    expect(e.realm).toBe('A.TEST');
    const lenient = new KerberosClient({
      realm: 'A.TEST',
      transport: world.transport(),
      clock: new ManualClock(T0),
      random,
      clockSkewMs: 15 * Duration.minute,
    });
    expect((await lenient.getInitialCredentials('alice', { password: 'pw' })).client.realm).toBe('A.TEST');
  });

  it('turns an unreachable KDC into KDC_ERR_SVC_UNAVAILABLE with the realm', async () => {
    const client = new KerberosClient({
      realm: 'NOWHERE.TEST',
      transport: { send: () => Promise.reject(new Error('ECONNREFUSED')) },
      clock: new ManualClock(T0),
    });
    const e = await rejection(client.getInitialCredentials('alice', { password: 'x' }));
    expect(e.code).toBe(ErrorCode.KDC_ERR_SVC_UNAVAILABLE);
    expect(e.realm).toBe('NOWHERE.TEST');
    expect(e.message).toContain('ECONNREFUSED');
  });
});

describe('TGS exchange and renewal', () => {
  it('sends PA-TGS-REQ with a checksummed authenticator and a subkey; decrypts the reply with usage 9', async () => {
    const { client, sent } = setup();
    await client.getInitialCredentials('alice', { password: 'alice-pw' }, { forwardable: true });
    const cred = await client.getServiceTicket('HTTP/web.a.test');
    expect(cred.server).toEqual({
      realm: 'A.TEST',
      name: { nameType: 2, nameString: ['HTTP', 'web.a.test'] },
    });
    // MIT copies the TGT's forwardable flag into the request.
    expect(hasFlag(cred, TicketFlags.forwardable)).toBe(true);
    const tgs = decodeTgsReq(sent.at(-1)!.bytes);
    expect(tgs.reqBody.kdcOptions & KdcOptions.canonicalize).toBe(KdcOptions.canonicalize);
    expect(tgs.padata?.[0]?.padataType).toBe(PaDataType.PA_TGS_REQ);
    const noFwd = await client.getServiceTicket('HTTP/web.a.test@A.TEST', { forwardable: false });
    expect(noFwd).toBe(cred); // cached
  });

  it('renews a renewable TGT and replaces it in the cache', async () => {
    const { client, clock } = setup();
    const tgt = await client.getInitialCredentials(
      'alice',
      { password: 'alice-pw' },
      { renewable: true, lifetimeMs: Duration.hour, renewLifeMs: Duration.day },
    );
    expect(hasFlag(tgt, TicketFlags.renewable)).toBe(true);
    expect(tgt.renewTill).toBe(T0 + Duration.day);
    clock.advance(30 * Duration.minute);
    const renewed = await client.renew(tgt);
    expect(renewed.endtime).toBeGreaterThan(tgt.endtime);
    expect(renewed.authtime).toBe(tgt.authtime);
    expect(client.cache.tgtFor('A.TEST')).toBe(renewed);
    expect(client.cache.all()).toHaveLength(1);
  });

  it('renewing a non-renewable ticket is the KDC refusal KDC_ERR_BADOPTION', async () => {
    const { client } = setup();
    const tgt = await client.getInitialCredentials('alice', { password: 'alice-pw' });
    const e = await rejection(client.renew(tgt));
    expect(e.code).toBe(ErrorCode.KDC_ERR_BADOPTION);
    expect(e.realm).toBe('A.TEST');
  });
});
