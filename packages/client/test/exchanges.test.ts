import {
  Asn1Error,
  decodeApReq,
  decodeAsRep,
  decodeAsReq,
  decodeAuthenticator,
  decodeEncKdcRepPart,
  decodeEncryptedData,
  decodePaEncTsEnc,
  decodeTgsRep,
  decodeTgsReq,
  ENC_PA_REP,
  type EncKdcRepPart,
  encodeAsRep,
  encodeEncKdcRepPart,
  encodeEtypeInfo2,
  encodeKerbErrorData,
  encodeKerbExtError,
  encodeKrbError,
  encodeMethodData,
  encodePaEncTsEnc,
  encodeTgsRep,
  KdcOptions,
  KERB_ERR_TYPE_EXTENDED,
  krbError,
  type PaData,
  PaDataType,
  TicketFlags,
} from '@krbsim/asn1';
import { hasFlag, isTgt, KdcRefusedError, KerberosClient, ntStatusOf } from '@krbsim/client';
import { Duration, ErrorCode, isKerberosError, KerberosError, ManualClock, SeededRandom } from '@krbsim/core';
import { decrypt, encrypt, KeyUsage, stringToKey } from '@krbsim/crypto';
import { keytabEntriesFromPassword, parseKeytab, serializeKeytab } from '@krbsim/files';
import { describe, expect, it } from 'vitest';
import { FakeKdcWorld, type Misbehaviour } from './fake-kdc';
import { rejection } from './rejection';

const T0 = Date.UTC(2026, 0, 1, 9, 0, 0);

function setup(
  opts: { requirePreauth?: boolean; asRepTag?: 25 | 26; misbehave?: Misbehaviour; encTypes?: number[] } = {},
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
  /** Rewrites a KDC reply before the client sees it (tests of the client's reply checks). */
  const edit: { reply?: (rep: Uint8Array, req: Uint8Array) => Uint8Array } = {};
  const transport = {
    send: async (realm: string, bytes: Uint8Array) => {
      sent.push({ realm, bytes });
      const rep = await inner.send(realm, bytes);
      return edit.reply?.(rep, bytes) ?? rep;
    },
  };
  const log: string[] = [];
  const client = new KerberosClient({
    realm: 'A.TEST',
    transport,
    clock,
    random,
    log: (l) => log.push(l),
    ...(opts.encTypes === undefined ? {} : { encTypes: opts.encTypes }),
  });
  return { clock, random, world, client, sent, edit, log };
}

const ALICE_KEY = stringToKey(18, 'alice-pw', 'A.TESTalice');

/** `rep` (an AS-REP or TGS-REP) with its encrypted part replaced by `cipher` and `etype`. */
function withEncPart(rep: Uint8Array, etype: number, cipher?: Uint8Array): Uint8Array {
  if (rep[0] === 0x6b) {
    const r = decodeAsRep(rep);
    return encodeAsRep({
      ...r,
      encPart: { ...r.encPart, etype, cipher: cipher ?? r.encPart.cipher },
    }).slice();
  }
  const r = decodeTgsRep(rep);
  return encodeTgsRep({ ...r, encPart: { ...r.encPart, etype, cipher: cipher ?? r.encPart.cipher } }).slice();
}

/** A PREAUTH_REQUIRED from A.TEST with `methods` as its METHOD-DATA (none: no e-data). */
function preauthRequired(methods?: PaData[]): Uint8Array {
  return encodeKrbError(
    krbError({
      errorCode: ErrorCode.KDC_ERR_PREAUTH_REQUIRED,
      now: T0,
      realm: 'A.TEST',
      ...(methods === undefined ? {} : { eData: encodeMethodData(methods).slice() }),
    }),
  ).slice();
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

  it("without pre-authentication or ETYPE-INFO2, salts with the reply's canonical client name (an enterprise logon)", async () => {
    const { client, sent } = setup({ requirePreauth: false });
    // The fake KDC sends no ETYPE-INFO2: the key is alice's default salt, A.TESTalice, which only the
    // reply's name gives (the name asked for would make A.TESTalice@corp.test).
    const cred = await client.getInitialCredentials('alice@corp.test', { password: 'alice-pw' });
    expect(decodeAsReq(sent[0]!.bytes).reqBody.cname?.nameString).toEqual(['alice@corp.test']);
    expect(cred.client).toEqual({ realm: 'A.TEST', name: { nameType: 1, nameString: ['alice'] } });
    expect(sent).toHaveLength(1);
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
    // ...and lets another TGS answer a TGS request, never a service: asked for krbtgt, a ticket for
    // HTTP/renamed.test is refused, as MIT's verify_as_reply refuses it.
    const renamed = setup({ misbehave: 'renamed' });
    const e = await rejection(
      renamed.client.getInitialCredentials('alice', { password: 'alice-pw' }, { canonicalize: true }),
    );
    expect(e.code).toBe(ErrorCode.KRB_AP_ERR_MODIFIED);
    expect(e.message).toContain('server HTTP/renamed.test@A.TEST was not the one asked for');
    expect(renamed.client.cache.size).toBe(0);
  });

  it('refuses a ticket that ends after the till, or renews after the rtime, asked for: KRB_AP_ERR_MODIFIED', async () => {
    // RFC 4120 section 3.1.3 bounds both; MIT's client checks them (verify_as_reply).
    const cases = [
      ['endtime-late', 'after the end asked for'],
      ['renew-till-late', 'after the renewable end asked for'],
    ] as const;
    for (const [misbehave, fragment] of cases) {
      const { client } = setup({ misbehave });
      const e = await rejection(
        client.getInitialCredentials(
          'alice',
          { password: 'alice-pw' },
          { renewable: true, renewLifeMs: 2 * Duration.day },
        ),
      );
      expect(e.code, misbehave).toBe(ErrorCode.KRB_AP_ERR_MODIFIED);
      expect(e.message, misbehave).toContain(fragment);
      expect(client.cache.size).toBe(0);
    }
    // The same checks hold for a TGS-REP (section 3.3.4), the start time within the skew included.
    const tgs = [
      ['endtime-late', ErrorCode.KRB_AP_ERR_MODIFIED, 'after the end asked for'],
      ['starttime-ahead', ErrorCode.KRB_AP_ERR_SKEW, 'the clocks differ by more than 300s'],
    ] as const;
    for (const [misbehave, code, fragment] of tgs) {
      const { client, world } = setup();
      await client.getInitialCredentials('alice', { password: 'alice-pw' });
      world.setMisbehave('A.TEST', misbehave);
      const e = await rejection(client.getServiceTicket('HTTP/web.a.test'));
      expect(e.code, misbehave).toBe(code);
      expect(e.message, misbehave).toContain(fragment);
      expect(client.cache.find('HTTP/web.a.test'), misbehave).toBeUndefined();
    }
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

  it('an AS answer that is neither AS-REP nor KRB-ERROR: KRB_AP_ERR_MSG_TYPE; a transport KerberosError passes as it is', async () => {
    const { client, edit } = setup();
    edit.reply = () => new Uint8Array(0);
    const empty = await rejection(client.getInitialCredentials('alice', { password: 'alice-pw' }));
    expect(empty.code).toBe(ErrorCode.KRB_AP_ERR_MSG_TYPE);
    expect(empty.realm).toBe('A.TEST');
    expect(empty.message).toContain('answered with an empty reply where AS-REP or KRB-ERROR was expected');
    const own = new KerberosError(ErrorCode.KRB_ERR_RESPONSE_TOO_BIG, 'the transport says: too big');
    const c = new KerberosClient({
      realm: 'A.TEST',
      transport: { send: () => Promise.reject(own) },
      clock: new ManualClock(T0),
    });
    expect(await rejection(c.getInitialCredentials('alice', { password: 'x' }))).toBe(own);
  });

  it('ETYPE-INFO2 naming only enctypes the client cannot use: KDC_ERR_ETYPE_NOSUPP naming both lists', async () => {
    const { client, sent } = setup({ encTypes: [17] });
    const e = await rejection(client.getInitialCredentials('alice', { password: 'alice-pw' }));
    expect(e.code).toBe(ErrorCode.KDC_ERR_ETYPE_NOSUPP);
    expect(e.realm).toBe('A.TEST');
    expect(e.message).toContain('offers keys of enctypes 18 and this client can use 17');
    // Nothing was sent after the PREAUTH_REQUIRED.
    expect(sent).toHaveLength(1);
  });

  it('without ETYPE-INFO2 (an old KDC), the key uses the PA-PW-SALT salt, else the default salt', async () => {
    const salted = (salt: string | undefined) => {
      const l = setup({ encTypes: [18] });
      const enc = new TextEncoder();
      // Only the first answer, the KDC's PREAUTH_REQUIRED, is rewritten.
      l.edit.reply = (rep) =>
        l.sent.length === 1
          ? preauthRequired([
              { padataType: PaDataType.PA_ENC_TIMESTAMP, padataValue: new Uint8Array(0) },
              ...(salt === undefined
                ? []
                : [{ padataType: PaDataType.PA_PW_SALT, padataValue: enc.encode(salt) }]),
            ])
          : rep;
      return l;
    };
    // The fake KDC's key for alice has the default salt, A.TESTalice.
    const right = salted('A.TESTalice');
    expect((await right.client.getInitialCredentials('alice', { password: 'alice-pw' })).client.realm).toBe(
      'A.TEST',
    );
    const ts = decodeEncryptedData(decodeAsReq(right.sent[1]!.bytes).padata![0]!.padataValue);
    expect(ts.etype).toBe(18);
    decodePaEncTsEnc(decrypt(ALICE_KEY, KeyUsage.AS_REQ_PA_ENC_TIMESTAMP, ts.cipher));
    // A salt the KDC's key was not made with: the timestamp does not decrypt there.
    const wrong = salted('A.TESTmallory');
    const e = await rejection(wrong.client.getInitialCredentials('alice', { password: 'alice-pw' }));
    expect(e.code).toBe(ErrorCode.KDC_ERR_PREAUTH_FAILED);
    // No PA-PW-SALT: the default salt.
    await salted(undefined).client.getInitialCredentials('alice', { password: 'alice-pw' });
  });

  it("PREAUTH_REQUIRED offering no method (no e-data, or an empty METHOD-DATA): the KDC's error, and no timestamp sent (as MIT)", async () => {
    for (const methods of [undefined, []]) {
      const { client, sent, edit } = setup();
      edit.reply = () => preauthRequired(methods);
      const e = await rejection(client.getInitialCredentials('alice', { password: 'alice-pw' }));
      expect(e).toBeInstanceOf(KdcRefusedError);
      expect(e.code).toBe(ErrorCode.KDC_ERR_PREAUTH_REQUIRED);
      expect(e.realm).toBe('A.TEST');
      expect(e.message).toContain('offers no method');
      expect(e.message).toContain(methods === undefined ? 'no e-data' : 'its METHOD-DATA is empty');
      expect(sent).toHaveLength(1);
    }
  });

  it('an AS-REP under an enctype the client did not offer: KDC_ERR_ETYPE_NOSUPP', async () => {
    const { client, edit } = setup({ requirePreauth: false });
    edit.reply = (rep) => (rep[0] === 0x6b ? withEncPart(rep, 23) : rep);
    const e = await rejection(client.getInitialCredentials('alice', { password: 'alice-pw' }));
    expect(e.code).toBe(ErrorCode.KDC_ERR_ETYPE_NOSUPP);
    expect(e.message).toContain('encrypted the AS-REP with enctype 23, which this client did not offer');
    expect(client.cache.size).toBe(0);
  });

  it('an AS-REP whose encrypted part decrypts to something else: the decoding error, not BAD_INTEGRITY', async () => {
    const { client, edit } = setup({ requirePreauth: false });
    const plain = encodePaEncTsEnc({ patimestamp: T0, pausec: 0 });
    const cipher = encrypt(ALICE_KEY, KeyUsage.AS_REP_ENCPART, plain, { random: new SeededRandom('x') });
    edit.reply = (rep) => (rep[0] === 0x6b ? withEncPart(rep, 18, cipher) : rep);
    const e = await rejection(client.getInitialCredentials('alice', { password: 'alice-pw' }));
    expect(e).toBeInstanceOf(Asn1Error);
    expect(e.code).not.toBe(ErrorCode.KRB_AP_ERR_BAD_INTEGRITY);
    expect(e.message).toContain('EncKDCRepPart');
    expect(client.cache.size).toBe(0);
  });

  it('accepts a reply from a KDC that ignores PA-REQ-ENC-PA-REP (enc-pa-rep not set)', async () => {
    const { client, edit } = setup({ requirePreauth: false });
    edit.reply = (rep) => {
      if (rep[0] !== 0x6b) return rep;
      const r = decodeAsRep(rep);
      const enc = decodeEncKdcRepPart(decrypt(ALICE_KEY, KeyUsage.AS_REP_ENCPART, r.encPart.cipher));
      expect(enc.flags & ENC_PA_REP).not.toBe(0);
      const { encryptedPaData: _pa, ...rest } = enc;
      const plain = encodeEncKdcRepPart({ ...rest, flags: (enc.flags & ~ENC_PA_REP) >>> 0 }, 25);
      const random = new SeededRandom('old-kdc');
      return withEncPart(rep, 18, encrypt(ALICE_KEY, KeyUsage.AS_REP_ENCPART, plain, { random }));
    };
    const cred = await client.getInitialCredentials('alice', { password: 'alice-pw' });
    expect(cred.flags & ENC_PA_REP).toBe(0);
  });

  it('reuses the pre-authentication key when the AS-REP names the same salt and s2kparams, and derives anew when they differ', async () => {
    const run = async (replyParams: number[]) => {
      const l = setup({ encTypes: [18] });
      const hint = (params: number[]) =>
        encodeEtypeInfo2([{ etype: 18, salt: 'A.TESTalice', s2kparams: Uint8Array.from(params) }]).slice();
      l.edit.reply = (rep) => {
        // PBKDF2 with 4096 iterations (00 00 10 00) is the key the fake KDC has.
        if (rep[0] === 0x7e)
          return preauthRequired([
            { padataType: PaDataType.PA_ENC_TIMESTAMP, padataValue: new Uint8Array(0) },
            { padataType: PaDataType.PA_ETYPE_INFO2, padataValue: hint([0, 0, 0x10, 0]) },
          ]);
        const r = decodeAsRep(rep);
        const padata = [{ padataType: PaDataType.PA_ETYPE_INFO2, padataValue: hint(replyParams) }];
        return encodeAsRep({ ...r, padata }).slice();
      };
      return l.client.getInitialCredentials('alice', { password: 'alice-pw' });
    };
    expect((await run([0, 0, 0x10, 0])).client.realm).toBe('A.TEST');
    // The reply names 4097 iterations: the key made with it does not open the reply.
    const e = await rejection(run([0, 0, 0x10, 1]));
    expect(e.code).toBe(ErrorCode.KRB_AP_ERR_BAD_INTEGRITY);
    expect(e.message).toContain('did not decrypt with the key made from the given secret');
  });

  it('sends no encrypted timestamp to a KDC that does not offer it, as MIT sends none', async () => {
    // A KDC that wants another method (hardware pre-authentication here) lists ETYPE-INFO2 but not
    // PA-ENC-TIMESTAMP: a timestamp under the password's key would only give away a guessable blob.
    const l = setup({ encTypes: [18] });
    l.edit.reply = (rep) =>
      rep[0] === 0x7e
        ? preauthRequired([
            { padataType: PaDataType.PA_FX_FAST, padataValue: new Uint8Array(0) },
            {
              padataType: PaDataType.PA_ETYPE_INFO2,
              padataValue: encodeEtypeInfo2([{ etype: 18, salt: 'A.TESTalice' }]).slice(),
            },
          ])
        : rep;
    const e = await rejection(l.client.getInitialCredentials('alice', { password: 'alice-pw' }));
    expect(e.code).toBe(ErrorCode.KDC_ERR_PREAUTH_REQUIRED);
    expect(e.message).toContain(
      'offers pre-authentication types 136, 19 and not the encrypted timestamp (2)',
    );
    expect(l.sent).toHaveLength(1); // the first AS-REQ, without pre-authentication: nothing more went out
  });

  it('refuses s2kparams asking fewer PBKDF2 iterations than the enctype default, from an unauthenticated error', async () => {
    const l = setup({ encTypes: [18] });
    l.edit.reply = (rep) =>
      rep[0] === 0x7e
        ? preauthRequired([
            { padataType: PaDataType.PA_ENC_TIMESTAMP, padataValue: new Uint8Array(0) },
            {
              padataType: PaDataType.PA_ETYPE_INFO2,
              padataValue: encodeEtypeInfo2([
                { etype: 18, salt: 'A.TESTalice', s2kparams: Uint8Array.of(0, 0, 0, 1) },
              ]).slice(),
            },
          ])
        : rep;
    const e = await rejection(l.client.getInitialCredentials('alice', { password: 'alice-pw' }));
    expect(e.code).toBe(ErrorCode.KRB_ERR_GENERIC);
    expect(e.message).toContain('asks for 1 PBKDF2 iterations for etype 18, fewer than its 4096');
  });

  it('refuses s2kparams the etype does not take (rc4-hmac any, AES not 4 bytes) with a KerberosError, not a RangeError', async () => {
    const hint = (etype: number, s2kparams: Uint8Array) =>
      preauthRequired([
        {
          padataType: PaDataType.PA_ETYPE_INFO2,
          padataValue: encodeEtypeInfo2([{ etype, salt: 'X', s2kparams }]),
        },
        { padataType: PaDataType.PA_ENC_TIMESTAMP, padataValue: new Uint8Array(0) },
      ]);
    const cases = [
      [23, Uint8Array.of(0, 0, 0x10, 0), 'etype 23, whose string-to-key takes none'],
      [18, Uint8Array.of(0, 0x10, 0), 'etype 18, whose string-to-key takes 4'],
      [17, Uint8Array.of(0, 0, 0, 0x10, 0), 'etype 17, whose string-to-key takes 4'],
    ] as const;
    for (const [etype, params, text] of cases) {
      const client = new KerberosClient({
        realm: 'A.TEST',
        clock: new ManualClock(T0),
        random: new SeededRandom('s2kparams'),
        allowWeakCrypto: true,
        encTypes: [etype],
        transport: { send: async () => hint(etype, params) },
      });
      const e = await rejection(client.getInitialCredentials('alice', { password: 'alice-pw' }));
      expect(e).toBeInstanceOf(KerberosError);
      expect(e.code).toBe(ErrorCode.KRB_ERR_GENERIC);
      expect(e.message).toContain(
        `the KDC for A.TEST sends ${params.length} bytes of s2kparams for ${text}: bad string-to-key parameters (MIT: KRB5_ERR_BAD_S2K_PARAMS; RFC 4120 has no code for it, so KRB_ERR_GENERIC)`,
      );
    }
  });

  it('from a keytab, takes the newest key version of the enctype the KDC names', async () => {
    const { client } = setup();
    const principal = { realm: 'A.TEST', name: { nameType: 1, nameString: ['alice'] } };
    const stale = stringToKey(18, 'old-pw', 'A.TESTalice');
    const aes128 = stringToKey(17, 'alice-pw', 'A.TESTalice');
    const keytab = [
      { principal, kvno: 2, key: aes128 },
      { principal, kvno: 1, key: stale },
      { principal, kvno: 3, key: ALICE_KEY },
    ];
    expect((await client.getInitialCredentials('alice', { keytab })).client.realm).toBe('A.TEST');
    // With only the old version, pre-authentication fails at the KDC.
    const old = await rejection(
      client.getInitialCredentials('alice', { keytab: [{ principal, kvno: 1, key: stale }] }),
    );
    expect(old.code).toBe(ErrorCode.KDC_ERR_PREAUTH_FAILED);
  });

  it("from a keytab, judges the newest key version by MIT's rule, across an 8-bit kvno wraparound", async () => {
    const { client } = setup();
    const principal = { realm: 'A.TEST', name: { nameType: 1, nameString: ['alice'] } };
    // kvno 255 written a day before kvno 1: the counter wrapped, and kvno 1 is the current key.
    const written = [
      ...keytabEntriesFromPassword({
        principal,
        password: 'old-pw',
        etypes: [18],
        kvno: 255,
        timestamp: T0 - Duration.day,
      }),
      ...keytabEntriesFromPassword({ principal, password: 'alice-pw', etypes: [18], kvno: 1, timestamp: T0 }),
    ];
    const keytab = parseKeytab(serializeKeytab({ entries: written }));
    expect((await client.getInitialCredentials('alice', { keytab })).client.realm).toBe('A.TEST');
  });

  it("refuses a keytab holding none of the client's enctypes, a weak one included, before sending anything", async () => {
    const { client, sent } = setup();
    const principal = { realm: 'A.TEST', name: { nameType: 1, nameString: ['alice'] } };
    const rc4 = [{ principal, kvno: 1, key: stringToKey(23, 'alice-pw', '') }];
    const weak = await rejection(client.getInitialCredentials('alice', { keytab: rc4 }));
    expect(weak.code).toBe(ErrorCode.KDC_ERR_ETYPE_NOSUPP);
    expect(weak.message).toContain("the keytab's keys for alice@A.TEST are of enctypes 23");
    expect(weak.message).toContain('allowWeakCrypto');
    // Not weak, but not one the client was told to use either.
    const only18 = setup({ encTypes: [18] });
    const aes128 = [{ principal, kvno: 1, key: stringToKey(17, 'alice-pw', 'A.TESTalice') }];
    const other = await rejection(only18.client.getInitialCredentials('alice', { keytab: aes128 }));
    expect(other.code).toBe(ErrorCode.KDC_ERR_ETYPE_NOSUPP);
    expect(other.message).toContain("none of this client's [18]");
    expect([...sent, ...only18.sent]).toHaveLength(0);
  });

  it('a reply for another server than asked, without canonicalize: KRB_AP_ERR_MODIFIED', async () => {
    const { client } = setup({ misbehave: 'renamed' });
    const e = await rejection(client.getInitialCredentials('alice', { password: 'alice-pw' }));
    expect(e.code).toBe(ErrorCode.KRB_AP_ERR_MODIFIED);
    expect(e.message).toContain('server HTTP/renamed.test@A.TEST was not the one asked for');
    expect(client.cache.size).toBe(0);
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

  it('a renewal that comes back for another server: KRB_AP_ERR_MODIFIED, and the old ticket stays', async () => {
    const { client, world } = setup();
    const tgt = await client.getInitialCredentials('alice', { password: 'alice-pw' }, { renewable: true });
    world.setMisbehave('A.TEST', 'renamed');
    const e = await rejection(client.renew(tgt));
    expect(e.code).toBe(ErrorCode.KRB_AP_ERR_MODIFIED);
    expect(e.realm).toBe('A.TEST');
    expect(e.message).toContain('returned a ticket for HTTP/renamed.test@A.TEST');
    expect(client.cache.all()).toEqual([tgt]);
  });

  it('checks the TGS-REP against the request (RFC 4120 section 3.3.4): KRB_AP_ERR_MODIFIED', async () => {
    const cases = [
      ['nonce', 'where'],
      ['cname', "client mallory@A.TEST is not the TGT's client alice@A.TEST"],
      ['sname', 'the ticket names a different server than the encrypted part'],
    ] as const;
    for (const [misbehave, fragment] of cases) {
      const { client, world } = setup();
      await client.getInitialCredentials('alice', { password: 'alice-pw' });
      world.setMisbehave('A.TEST', misbehave);
      const e = await rejection(client.getServiceTicket('HTTP/web.a.test'));
      expect(e.code, misbehave).toBe(ErrorCode.KRB_AP_ERR_MODIFIED);
      expect(e.realm, misbehave).toBe('A.TEST');
      expect(e.message, misbehave).toContain(fragment);
      expect(client.cache.find('HTTP/web.a.test'), misbehave).toBeUndefined();
    }
  });

  it('a TGS-REP that decrypts with neither the subkey nor the session key: KRB_AP_ERR_BAD_INTEGRITY', async () => {
    // Under another enctype, no key is even tried; with a flipped byte, both fail.
    for (const damage of ['etype', 'flip'] as const) {
      const { client, edit } = setup();
      await client.getInitialCredentials('alice', { password: 'alice-pw' });
      edit.reply = (rep) => {
        if (rep[0] !== 0x6d) return rep;
        if (damage === 'etype') return withEncPart(rep, 17);
        const cipher = decodeTgsRep(rep).encPart.cipher.slice();
        cipher[20]! ^= 0x80;
        return withEncPart(rep, 18, cipher);
      };
      const e = await rejection(client.getServiceTicket('HTTP/web.a.test'));
      expect(e.code, damage).toBe(ErrorCode.KRB_AP_ERR_BAD_INTEGRITY);
      expect(e.message, damage).toContain("did not decrypt with the TGT's session key or the subkey sent");
      expect(e.realm, damage).toBe('A.TEST');
      if (damage === 'etype') expect(e.cause).toBeUndefined();
      else expect(isKerberosError(e.cause, ErrorCode.KRB_AP_ERR_BAD_INTEGRITY)).toBe(true);
    }
  });

  it('a TGS-REP whose encrypted part decrypts to something else: the decoding error, not BAD_INTEGRITY', async () => {
    const { client, edit } = setup();
    const tgt = await client.getInitialCredentials('alice', { password: 'alice-pw' });
    const plain = encodePaEncTsEnc({ patimestamp: T0, pausec: 0 });
    // Sealed with the session key (usage 8), which the client tries after its subkey.
    const cipher = encrypt(tgt.sessionKey, KeyUsage.TGS_REP_ENCPART_SESSKEY, plain, {
      random: new SeededRandom('y'),
    });
    edit.reply = (rep) => (rep[0] === 0x6d ? withEncPart(rep, tgt.sessionKey.etype, cipher) : rep);
    const e = await rejection(client.getServiceTicket('HTTP/web.a.test'));
    expect(e).toBeInstanceOf(Asn1Error);
    expect(e.code).not.toBe(ErrorCode.KRB_AP_ERR_BAD_INTEGRITY);
    expect(e.message).toContain('EncKDCRepPart');
  });

  it('a TGS answer that is neither TGS-REP nor KRB-ERROR: KRB_AP_ERR_MSG_TYPE', async () => {
    const { client, edit } = setup();
    await client.getInitialCredentials('alice', { password: 'alice-pw' });
    edit.reply = (rep) => (rep[0] === 0x6d ? new Uint8Array([0x30, 0x00]) : rep);
    const e = await rejection(client.getServiceTicket('HTTP/web.a.test'));
    expect(e.code).toBe(ErrorCode.KRB_AP_ERR_MSG_TYPE);
    expect(e.realm).toBe('A.TEST');
    expect(e.message).toContain('a message starting 0x30 where TGS-REP or KRB-ERROR was expected');
  });

  it('logs a TGS refusal with its code, realm and e-text, and throws it with the service named', async () => {
    const { client, log } = setup();
    await client.getInitialCredentials('alice', { password: 'alice-pw' });
    const e = await rejection(client.getServiceTicket('HTTP/none.a.test@A.TEST'));
    expect(e.code).toBe(ErrorCode.KDC_ERR_S_PRINCIPAL_UNKNOWN);
    expect(e.message).toContain('does not know the service HTTP/none.a.test@A.TEST');
    expect(log).toContain('KRB-ERROR 7 from A.TEST: fake KDC A.TEST: error 7');
  });
});

describe('the session key a reply hands out (weak enctypes off unless allowWeakCrypto)', () => {
  /** An EncKDCRepPart with its session key replaced by a key of `etype` (16 bytes, as rc4-hmac's). */
  const weakened = (enc: EncKdcRepPart, etype: number): EncKdcRepPart => ({
    ...enc,
    key: { keytype: etype, keyvalue: new Uint8Array(etype === 23 ? 16 : 8).fill(0x5a) },
  });

  /** Makes A.TEST's AS-REPs hand out a session key of `etype`. */
  function weakAsRep(edit: ReturnType<typeof setup>['edit'], etype: number): void {
    edit.reply = (rep) => {
      if (rep[0] !== 0x6b) return rep;
      const r = decodeAsRep(rep);
      const enc = decodeEncKdcRepPart(decrypt(ALICE_KEY, KeyUsage.AS_REP_ENCPART, r.encPart.cipher));
      const plain = encodeEncKdcRepPart(weakened(enc, etype), 25);
      const random = new SeededRandom('weak-as');
      return withEncPart(rep, 18, encrypt(ALICE_KEY, KeyUsage.AS_REP_ENCPART, plain, { random }));
    };
  }

  it('an AS-REP with an rc4-hmac or DES session key: KDC_ERR_ETYPE_NOSUPP, nothing cached', async () => {
    for (const etype of [23, 3]) {
      const { client, edit } = setup({ requirePreauth: false });
      weakAsRep(edit, etype);
      const e = await rejection(client.getInitialCredentials('alice', { password: 'alice-pw' }));
      expect(e.code, `${etype}`).toBe(ErrorCode.KDC_ERR_ETYPE_NOSUPP);
      expect(e.realm).toBe('A.TEST');
      expect(e.message).toContain(
        `the AS-REP from A.TEST gives a session key of weak enctype ${etype}, refused without allowWeakCrypto`,
      );
      expect(client.cache.size).toBe(0);
    }
    // With allowWeakCrypto, an rc4-hmac session key is taken.
    const clock = new ManualClock(T0);
    const world = new FakeKdcWorld(clock, new SeededRandom('weak')).addRealm({
      name: 'A.TEST',
      users: { alice: { password: 'alice-pw', requirePreauth: false } },
    });
    const edit: ReturnType<typeof setup>['edit'] = {};
    weakAsRep(edit, 23);
    const inner = world.transport();
    const allowed = new KerberosClient({
      realm: 'A.TEST',
      clock,
      allowWeakCrypto: true,
      transport: { send: async (realm, bytes) => edit.reply!(await inner.send(realm, bytes), bytes) },
    });
    const tgt = await allowed.getInitialCredentials('alice', { password: 'alice-pw' });
    expect(tgt.sessionKey.etype).toBe(23);
  });

  it('a TGS-REP with an rc4-hmac session key: KDC_ERR_ETYPE_NOSUPP, nothing cached', async () => {
    const { client, edit } = setup();
    const tgt = await client.getInitialCredentials('alice', { password: 'alice-pw' });
    edit.reply = (rep, req) => {
      if (rep[0] !== 0x6d) return rep;
      // The reply is sealed in the subkey of the request's authenticator (usage 9).
      const pa = decodeTgsReq(req).padata!.find((p) => p.padataType === PaDataType.PA_TGS_REQ)!;
      const ap = decodeApReq(pa.padataValue);
      const auth = decodeAuthenticator(
        decrypt(tgt.sessionKey, KeyUsage.TGS_REQ_AUTH, ap.authenticator.cipher),
      );
      const subkey = { etype: auth.subkey!.keytype, bytes: auth.subkey!.keyvalue };
      const r = decodeTgsRep(rep);
      const usage = KeyUsage.TGS_REP_ENCPART_SUBKEY;
      const enc = decodeEncKdcRepPart(decrypt(subkey, usage, r.encPart.cipher));
      const plain = encodeEncKdcRepPart(weakened(enc, 23), 26);
      return withEncPart(rep, 18, encrypt(subkey, usage, plain, { random: new SeededRandom('weak-tgs') }));
    };
    const e = await rejection(client.getServiceTicket('HTTP/web.a.test'));
    expect(e.code).toBe(ErrorCode.KDC_ERR_ETYPE_NOSUPP);
    expect(e.message).toContain('the TGS-REP from A.TEST gives a session key of weak enctype 23');
    expect(client.cache.find('HTTP/web.a.test')).toBeUndefined();
  });
});

describe('KDC refusals: a sentence to act on for each code', () => {
  /** A client whose KDC answers every request with `code` (after one PREAUTH_REQUIRED, for code 25). */
  async function refusal(code: number, principal = 'alice', realm = 'A.TEST'): Promise<KerberosError> {
    let asked = 0;
    const info2 = encodeEtypeInfo2([{ etype: 18, salt: 'A.TESTalice' }]).slice();
    const transport = {
      send: async () => {
        asked++;
        const eData =
          code === ErrorCode.KDC_ERR_PREAUTH_REQUIRED
            ? encodeMethodData([
                { padataType: PaDataType.PA_ENC_TIMESTAMP, padataValue: new Uint8Array(0) },
                { padataType: PaDataType.PA_ETYPE_INFO2, padataValue: info2 },
              ]).slice()
            : undefined;
        return encodeKrbError(
          krbError({
            errorCode: code,
            now: T0,
            realm,
            eText: `error ${code} #${asked}`,
            ...(eData === undefined ? {} : { eData }),
          }),
        ).slice();
      },
    };
    const client = new KerberosClient({ realm: 'A.TEST', transport, clock: new ManualClock(T0) });
    return rejection(client.getInitialCredentials(principal, { password: 'pw' }));
  }

  const table: Array<[number, string]> = [
    [ErrorCode.KDC_ERR_C_PRINCIPAL_UNKNOWN, 'does not know the client alice@A.TEST'],
    [ErrorCode.KDC_ERR_S_PRINCIPAL_UNKNOWN, 'has no cross-realm key krbtgt/A.TEST@A.TEST'],
    [ErrorCode.KDC_ERR_PREAUTH_FAILED, 'pre-authentication failed for alice@A.TEST'],
    [ErrorCode.KDC_ERR_PREAUTH_REQUIRED, 'still asks alice@A.TEST for pre-authentication'],
    [ErrorCode.KDC_ERR_ETYPE_NOSUPP, 'share no encryption type'],
    [ErrorCode.KRB_AP_ERR_SKEW, 'differ by more than the allowed skew'],
    [ErrorCode.KDC_ERR_CLIENT_REVOKED, 'the account alice@A.TEST is disabled, locked out or expired'],
    [ErrorCode.KDC_ERR_KEY_EXPIRED, 'the password of alice@A.TEST has expired'],
    [ErrorCode.KDC_ERR_BADOPTION, 'cannot grant an option'],
    [ErrorCode.KDC_ERR_POLICY, 'the realm policy forbids this request'],
    [ErrorCode.KRB_AP_ERR_TKT_EXPIRED, 'the ticket presented has expired'],
    [ErrorCode.KRB_AP_ERR_TKT_NYV, 'not yet valid'],
    [ErrorCode.KRB_AP_ERR_BAD_INTEGRITY, 'a ticket or authenticator did not decrypt'],
    [ErrorCode.KRB_AP_ERR_MODIFIED, 'did not decrypt with the key the KDC expected'],
    [ErrorCode.KDC_ERR_PATH_NOT_ACCEPTED, 'refused the path the ticket took across realms'],
    [ErrorCode.KDC_ERR_WRONG_REALM, 'the client belongs to another realm'],
    [ErrorCode.KDC_ERR_TGT_REVOKED, 'the ticket-granting ticket was revoked'],
    [ErrorCode.KDC_ERR_NEVER_VALID, 'the requested ticket lifetime is empty'],
    [ErrorCode.KDC_ERR_SVC_UNAVAILABLE, 'the KDC for A.TEST is unavailable'],
    [ErrorCode.KRB_ERR_RESPONSE_TOO_BIG, 'retry over TCP'],
    [ErrorCode.KDC_ERR_CANNOT_POSTDATE, 'the KDC for A.TEST refused the request'],
  ];

  it.each(table)('code %i: %s', async (code, fragment) => {
    const e = await refusal(code);
    expect(e.code).toBe(code);
    expect(e.realm).toBe('A.TEST');
    expect(e.message).toContain('getting initial credentials for alice@A.TEST: ');
    expect(e.message).toContain(fragment);
    // The KDC's own e-text follows (the last request's, for code 25: the second).
    const n = code === ErrorCode.KDC_ERR_PREAUTH_REQUIRED ? 2 : 1;
    expect(e.message).toContain(`(KDC said: "error ${code} #${n}")`);
  });

  it('an enterprise name the KDC does not know and did not refer: check the UPN', async () => {
    const e = await refusal(ErrorCode.KDC_ERR_C_PRINCIPAL_UNKNOWN, 'alice@corp.test');
    expect(e.code).toBe(ErrorCode.KDC_ERR_C_PRINCIPAL_UNKNOWN);
    expect(e.message).toContain('has no account with the enterprise name alice\\@corp.test@A.TEST');
    expect(e.message).toContain('check the UPN');
  });

  it("says which account state a domain controller's NTSTATUS names, in either e-data form, and keeps the status", async () => {
    /** A client whose KDC refuses with `code` and `eData`. */
    const refusedWith = (code: number, eData: Uint8Array | undefined) => {
      const transport = {
        send: async () =>
          encodeKrbError(
            krbError({ errorCode: code, now: T0, realm: 'A.TEST', ...(eData && { eData }) }),
          ).slice(),
      };
      const client = new KerberosClient({ realm: 'A.TEST', transport, clock: new ManualClock(T0) });
      return rejection(client.getInitialCredentials('alice', { password: 'pw' }));
    };
    const ext = (status: number) => encodeKerbExtError(status).slice();
    // Windows (MS-KILE 2.2.2): KERB-ERROR-DATA of KERB_ERR_TYPE_EXTENDED alone.
    const windows = encodeKerbErrorData({
      dataType: KERB_ERR_TYPE_EXTENDED,
      dataValue: ext(0xc0000072),
    }).slice();
    // Samba's AD DC: METHOD-DATA with ETYPE-INFO2 and a PA-PW-SALT holding it.
    const samba = (status: number) =>
      encodeMethodData([
        {
          padataType: PaDataType.PA_ETYPE_INFO2,
          padataValue: encodeEtypeInfo2([{ etype: 18, salt: 'A.TESTalice' }]),
        },
        { padataType: PaDataType.PA_PW_SALT, padataValue: ext(status) },
      ]).slice();
    for (const eData of [windows, samba(0xc0000072)]) {
      const e = await refusedWith(ErrorCode.KDC_ERR_CLIENT_REVOKED, eData);
      expect(e).toBeInstanceOf(KdcRefusedError);
      expect((e as KdcRefusedError).ntStatus).toBe(0xc0000072);
      expect(e.message).toContain('the account alice@A.TEST is disabled (STATUS_ACCOUNT_DISABLED)');
    }
    const mustChange = await refusedWith(ErrorCode.KDC_ERR_KEY_EXPIRED, samba(0xc0000224));
    expect(mustChange.message).toContain(
      'must change its password before it logs on (STATUS_PASSWORD_MUST_CHANGE)',
    );
    // A status the client has no sentence for is named after the code's own.
    const other = await refusedWith(ErrorCode.KDC_ERR_BADOPTION, samba(0xc0000272));
    expect(other.message).toMatch(/cannot grant an option .* \(STATUS_NO_MATCH\)/);
    // A real salt in PA-PW-SALT, 12 bytes or not, a KERB-ERROR-DATA of another type, or garbage: no status.
    const salt = new TextEncoder().encode('A.TESTalice!');
    for (const eData of [
      encodeMethodData([{ padataType: PaDataType.PA_PW_SALT, padataValue: salt }]).slice(),
      encodeKerbErrorData({ dataType: 2 }).slice(),
      Uint8Array.of(0x30, 0x03, 0x02, 0x01),
      undefined,
    ]) {
      const e = (await refusedWith(ErrorCode.KDC_ERR_CLIENT_REVOKED, eData)) as KdcRefusedError;
      expect(e.ntStatus).toBeUndefined();
      expect(e.message).toContain('is disabled, locked out or expired');
    }
    expect(ntStatusOf(windows)).toBe(0xc0000072);
  });

  it('a KRB-ERROR with an empty realm is attributed to the realm it was sent to', async () => {
    const e = await refusal(ErrorCode.KDC_ERR_POLICY, 'alice', '');
    expect(e.realm).toBe('A.TEST');
    expect(e.message).toContain('the realm policy forbids');
  });
});
