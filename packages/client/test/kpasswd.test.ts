/**
 * Password changes (RFC 3244) end to end: the client's `changePassword`
 * against `@krbsim/kdc`'s KpasswdService, in process. A change works and
 * ends "must change password"; every refusal comes back with its result
 * code: a wrong old password (the AS exchange), a ticket that is not initial,
 * another user's password, an empty one, a request that is malformed, of
 * another version, replayed, or for another service; and the UDP admission
 * of the service drops what is not a kpasswd request.
 */

import {
  decodeApReq,
  decodeEncKrbPrivPart,
  decodeKpasswdMessage,
  decodeKpasswdResult,
  decodeKrbError,
  decodeKrbPriv,
  encodeApReq,
  encodeChangePasswdData,
  encodeEncKrbPrivPart,
  encodeKpasswdMessage,
  encodeKpasswdResult,
  encodeKrbError,
  encodeKrbPriv,
  KpasswdResult,
  KpasswdVersion,
  krbError,
} from '@krbsim/asn1';
import { type Credential, KdcRefusedError, KerberosClient, PasswordChangeError } from '@krbsim/client';
import { Duration, ErrorCode, ManualClock, NtStatus, SeededRandom } from '@krbsim/core';
import { decrypt, encrypt, generateKey, KeyUsage } from '@krbsim/crypto';
import { Kdc, KpasswdService, Realm, type RealmPolicy } from '@krbsim/kdc';
import { buildApRep, verifyApReq } from '@krbsim/service';
import {
  InProcessTransport,
  KdcProxy,
  KdcProxyTransport,
  type KdcTransport,
  kdcProxyRoute,
  kpasswdVerdict,
  Trace,
} from '@krbsim/transport';
import { describe, expect, it } from 'vitest';
import { refusal } from './refusal';

const REALM = 'CONTOSO.COM';

function setup(
  opts: {
    kind?: 'mit' | 'active-directory';
    policy?: Partial<RealmPolicy>;
    changepwSharesKrbtgt?: boolean;
  } = {},
) {
  const clock = new ManualClock(Date.UTC(2026, 0, 5, 8));
  const realm = new Realm({
    name: REALM,
    clock,
    random: new SeededRandom('kpasswd'),
    kind: opts.kind ?? 'active-directory',
    ...(opts.policy !== undefined && { policy: opts.policy }),
  });
  // A DC's kadmin/changepw holds the krbtgt's keys (on-prem-domain.ts sets it up so).
  realm.addPasswordChangeService(opts.changepwSharesKrbtgt ? { keys: realm.keysFor(`krbtgt/${REALM}`) } : {});
  realm.addUser('alice', { password: 'Old-Passw0rd', upn: 'alice@contoso.com' });
  realm.addUser('frank', { password: 'Fr4nk-Old', mustChangePassword: true });
  // alice set her password two days ago: past the domain's minimum password age.
  clock.advance(2 * Duration.day);
  const kdc = new Kdc(realm);
  const log: string[] = [];
  const changed: [string, string][] = [];
  const service = new KpasswdService(realm, {
    log: (l) => log.push(l),
    onChange: (principal, password) => changed.push([principal, password]),
  });
  const sent: Uint8Array[] = [];
  const transport = new InProcessTransport().register(REALM, (r) => kdc.handle(r));
  const kpasswd = new InProcessTransport().register(REALM, (r) => {
    sent.push(r);
    return service.handle(r);
  });
  const client = () => new KerberosClient({ realm: REALM, transport, clock, random: new SeededRandom('c') });
  return { realm, clock, client, kpasswd, service, sent, log, changed };
}

/**
 * A kpasswd request made by hand with `cred` (the client's `changePassword` gets its own ticket):
 * its result code, from the KRB-PRIV or, for a refused AP-REQ, the KRB-ERROR's e-data.
 */
function handMade(
  s: ReturnType<typeof setup>,
  cred: Credential,
  version: number,
  userData: Uint8Array,
  seed = 'sk',
): { result: number; errorCode?: number } {
  const subkey = generateKey(cred.sessionKey.etype, { random: new SeededRandom(seed) });
  const ap = s.client().buildApReq(cred, { subkey, seqNumber: 7, mutual: true }).token;
  const part = encodeEncKrbPrivPart({
    userData,
    seqNumber: 7,
    sAddress: { addrType: 2, address: Uint8Array.of(127, 0, 0, 1) },
  });
  const cipher = encrypt(subkey, KeyUsage.KRB_PRIV_ENCPART, part, { random: new SeededRandom('p') });
  const rest = encodeKrbPriv({ pvno: 5, msgType: 21, encPart: { etype: subkey.etype, cipher } });
  const reply = decodeKpasswdMessage(s.service.handle(encodeKpasswdMessage({ version, ap, rest })));
  if (reply.ap.length === 0) {
    const err = decodeKrbError(reply.rest);
    return { result: decodeKpasswdResult(err.eData!).code, errorCode: err.errorCode };
  }
  const enc = decodeEncKrbPrivPart(
    decrypt(subkey, KeyUsage.KRB_PRIV_ENCPART, decodeKrbPriv(reply.rest).encPart.cipher),
  );
  return { result: decodeKpasswdResult(enc.userData).code };
}

/** alice's initial ticket for kadmin/changepw, from her password. */
const changepwTicket = (s: ReturnType<typeof setup>, password = 'Old-Passw0rd') =>
  s.client().getInitialCredentials('alice', { password }, { service: 'kadmin/changepw' });

describe('changing a password (RFC 3244)', () => {
  it('changes a password named by its UPN (an enterprise name), as getInitialCredentials logs on with one', async () => {
    const s = setup();
    await s.client().getInitialCredentials('alice@contoso.com', { password: 'Old-Passw0rd' });
    await s
      .client()
      .changePassword('alice@contoso.com', 'Old-Passw0rd', 'Upn-Passw0rd', { transport: s.kpasswd });
    expect(s.changed).toEqual([[`alice@${REALM}`, 'Upn-Passw0rd']]);
    await s.client().getInitialCredentials('alice@contoso.com', { password: 'Upn-Passw0rd' });
  });

  it("changes alice's password: the old one stops working, the new one works", async () => {
    const s = setup();
    await s.client().changePassword('alice', 'Old-Passw0rd', 'New-Passw0rd', { transport: s.kpasswd });
    expect(decodeKpasswdMessage(s.sent[0]!).version).toBe(KpasswdVersion.CHANGE_PASSWORD);
    expect(s.log).toEqual([`kpasswd alice@${REALM} -> SUCCESS`]);
    // The owner's hook hears of it, the log never sees the password.
    expect(s.changed).toEqual([[`alice@${REALM}`, 'New-Passw0rd']]);
    const e = await refusal(s.client().getInitialCredentials('alice', { password: 'Old-Passw0rd' }));
    expect(e.code).toBe(ErrorCode.KDC_ERR_PREAUTH_FAILED);
    await s.client().getInitialCredentials('alice', { password: 'New-Passw0rd' });
  });

  it('changes a password through a KDC proxy (MS-KKDCP), the AS exchange and the kpasswd request alike', async () => {
    const s = setup();
    const kdc = new Kdc(s.realm);
    const proxy = new KdcProxy(kdcProxyRoute({ [REALM]: (r) => kdc.handle(r) }), {
      kpasswd: kdcProxyRoute({ [REALM]: (r) => s.service.handle(r) }),
    });
    const posted: Uint8Array[] = [];
    const trace = new Trace();
    const overHttps = new KdcProxyTransport({
      url: 'https://kdcproxy.contoso.com/KdcProxy',
      trace,
      post: (_url, body) => {
        posted.push(body);
        return proxy.handle(body);
      },
    });
    const client = new KerberosClient({
      realm: REALM,
      transport: overHttps,
      clock: s.clock,
      random: new SeededRandom('p'),
    });
    await client.changePassword('alice', 'Old-Passw0rd', 'Pr0xied-Passw0rd', { transport: overHttps });
    expect(s.log).toEqual([`kpasswd alice@${REALM} -> SUCCESS`]);
    expect(posted.length).toBeGreaterThanOrEqual(2); // the AS exchange for kadmin/changepw, then kpasswd
    // The trace tells them apart: Kerberos messages, then the kpasswd exchange, all through the proxy.
    expect(trace.entries.map((e) => [e.transport, e.protocol ?? 'kerberos', e.requestType]).at(-1)).toEqual([
      'kkdcp',
      'kpasswd',
      'KPASSWD-REQ',
    ]);
    expect(trace.entries.at(-1)!.replyType).toBe('KPASSWD-REP');
    expect(trace.entries[0]!.protocol).toBeUndefined();
    await s.client().getInitialCredentials('alice', { password: 'Pr0xied-Passw0rd' });
  });

  it('answers SUCCESS when the onChange hook fails after the change, and says so in its log', async () => {
    const s = setup();
    const log: string[] = [];
    const service = new KpasswdService(s.realm, {
      log: (l) => log.push(l),
      onChange: () => {
        throw new Error('disk full');
      },
    });
    const kpasswd = new InProcessTransport().register(REALM, (r) => service.handle(r));
    await s.client().changePassword('alice', 'Old-Passw0rd', 'H00k-Passw0rd', { transport: kpasswd });
    expect(log).toEqual([`kpasswd alice@${REALM} -> SUCCESS: onChange failed: disk full`]);
    await s.client().getInitialCredentials('alice', { password: 'H00k-Passw0rd' });
  });

  it('lets a user who must change the password log on once it is changed', async () => {
    const s = setup();
    const e = await refusal(s.client().getInitialCredentials('frank', { password: 'Fr4nk-Old' }));
    expect(e.code).toBe(ErrorCode.KDC_ERR_KEY_EXPIRED);
    expect((e as KdcRefusedError).ntStatus).toBe(NtStatus.STATUS_PASSWORD_MUST_CHANGE);
    await s.client().changePassword('frank', 'Fr4nk-Old', 'Fr4nk-New', { transport: s.kpasswd });
    await s.client().getInitialCredentials('frank', { password: 'Fr4nk-New' });
  });

  it("sets one's own password by ChangePasswdData (version 0xff80), and no one else's", async () => {
    const s = setup();
    await s.client().changePassword('alice', 'Old-Passw0rd', 'Set-Passw0rd', {
      transport: s.kpasswd,
      target: `alice@${REALM}`,
    });
    expect(decodeKpasswdMessage(s.sent[0]!).version).toBe(KpasswdVersion.SET_PASSWORD);
    await s.client().getInitialCredentials('alice', { password: 'Set-Passw0rd' });
    const e = await refusal(
      s
        .client()
        .changePassword('alice', 'Set-Passw0rd', 'Frank-Is-Mine', { transport: s.kpasswd, target: 'frank' }),
    );
    expect(e).toBeInstanceOf(PasswordChangeError);
    expect((e as PasswordChangeError).result).toBe(KpasswdResult.ACCESSDENIED);
    // frank's password did not change: he must still change it.
    const still = await refusal(s.client().getInitialCredentials('frank', { password: 'Fr4nk-Old' }));
    expect(still.code).toBe(ErrorCode.KDC_ERR_KEY_EXPIRED);
  });

  it("lets an administrator (Domain Admins, nested too) set another account's password, as AD resets it", async () => {
    const s = setup();
    s.realm.addUser('carl', { password: 'C4rl-Adm1n-Pw' });
    s.realm.addUser('dana', { password: 'D4na-Adm1n-Pw' });
    s.realm.directory.addMember('Domain Admins', 'carl');
    s.realm.directory.addGroup('Tier0');
    s.realm.directory.addMember('Tier0', 'dana');
    s.realm.directory.addMember('Domain Admins', 'Tier0');
    const reset = (admin: string, pw: string, target: string, next: string) =>
      s.client().changePassword(admin, pw, next, { transport: s.kpasswd, target });
    // frank must change his password: an administrator sets it, and he logs on with it.
    await reset('carl', 'C4rl-Adm1n-Pw', `frank@${REALM}`, 'Fr4nk-By-Adm1n');
    await s.client().getInitialCredentials('frank', { password: 'Fr4nk-By-Adm1n' });
    expect(s.changed.at(-1)).toEqual([`frank@${REALM}`, 'Fr4nk-By-Adm1n']);
    expect(s.log.at(-1)).toBe(`kpasswd carl@${REALM} -> SUCCESS: set the password of frank@${REALM}`);
    // A reset knows no minimum age and no history (AD's), but the length and complexity rules hold.
    await reset('dana', 'D4na-Adm1n-Pw', 'frank', 'Fr4nk-By-Adm1n');
    const weak = await refusal(reset('carl', 'C4rl-Adm1n-Pw', 'frank', 'simple-password'));
    expect((weak as PasswordChangeError).result).toBe(KpasswdResult.SOFTERROR);
    // No account there, and no account of this realm.
    const none = await refusal(reset('carl', 'C4rl-Adm1n-Pw', 'nobody', 'N0-Such-Passw0rd'));
    expect((none as PasswordChangeError).result).toBe(KpasswdResult.HARDERROR);
    const elsewhere = await refusal(reset('carl', 'C4rl-Adm1n-Pw', 'frank@FABRIKAM.COM', 'Fr4nk-Elsewh3re'));
    expect((elsewhere as PasswordChangeError).result).toBe(KpasswdResult.ACCESSDENIED);
    await s.client().getInitialCredentials('frank', { password: 'Fr4nk-By-Adm1n' });
  });

  it('refuses an empty password (SOFTERROR) and a wrong old password (the KDC)', async () => {
    const s = setup();
    let e = await refusal(s.client().changePassword('alice', 'Old-Passw0rd', '', { transport: s.kpasswd }));
    expect((e as PasswordChangeError).result).toBe(KpasswdResult.SOFTERROR);
    expect(s.log.at(-1)).toBe(`kpasswd alice@${REALM} -> SOFTERROR: Password is too short`);
    // An AD realm's policy: at least 7 characters (Samba's DC refuses a shorter one the same way).
    e = await refusal(s.client().changePassword('alice', 'Old-Passw0rd', 'Sh0rt!', { transport: s.kpasswd }));
    expect((e as PasswordChangeError).result).toBe(KpasswdResult.SOFTERROR);
    // A domain controller answers with its policy, which the client says in MIT's words.
    expect((e as PasswordChangeError).policy?.minLength).toBe(7);
    expect((e as PasswordChangeError).resultText).toMatch(
      /The password must contain at least 7 characters\./,
    );
    e = await refusal(s.client().changePassword('alice', 'wrong', 'New-Passw0rd', { transport: s.kpasswd }));
    expect(e).toBeInstanceOf(KdcRefusedError);
    expect(e.code).toBe(ErrorCode.KDC_ERR_PREAUTH_FAILED);
    expect(s.sent).toHaveLength(2);
    expect(s.changed).toEqual([]); // nothing changed: no hook
  });

  it('needs an initial ticket: one from a TGS exchange is INITIAL_FLAG_NEEDED', async () => {
    const s = setup();
    const c = s.client();
    await c.getInitialCredentials('alice', { password: 'Old-Passw0rd' });
    const fromTgs = await c.getServiceTicket('kadmin/changepw');
    // The request the client would send, made by hand with that ticket.
    const subkey = generateKey(fromTgs.sessionKey.etype, { random: new SeededRandom('sk') });
    const ap = c.buildApReq(fromTgs, { subkey, seqNumber: 7, mutual: true }).token;
    const part = encodeEncKrbPrivPart({
      userData: new TextEncoder().encode('New-Passw0rd'),
      seqNumber: 7,
      sAddress: { addrType: 2, address: Uint8Array.of(127, 0, 0, 1) },
    });
    const cipher = encrypt(subkey, KeyUsage.KRB_PRIV_ENCPART, part, { random: new SeededRandom('p') });
    const rest = encodeKrbPriv({ pvno: 5, msgType: 21, encPart: { etype: subkey.etype, cipher } });
    const reply = decodeKpasswdMessage(
      s.service.handle(encodeKpasswdMessage({ version: KpasswdVersion.CHANGE_PASSWORD, ap, rest })),
    );
    expect(reply.ap.length).toBeGreaterThan(0); // the AP-REQ checked: an AP-REP and a KRB-PRIV
    const enc = decodeEncKrbPrivPart(
      decrypt(subkey, KeyUsage.KRB_PRIV_ENCPART, decodeKrbPriv(reply.rest).encPart.cipher),
    );
    expect(decodeKpasswdResult(enc.userData).code).toBe(KpasswdResult.INITIAL_FLAG_NEEDED);
    // The password did not change.
    await s.client().getInitialCredentials('alice', { password: 'Old-Passw0rd' });
  });

  it('answers a malformed request, another version or another service with a KRB-ERROR holding the result', async () => {
    const s = setup();
    const resultOf = (bytes: Uint8Array) => {
      const m = decodeKpasswdMessage(s.service.handle(bytes));
      expect(m.ap).toHaveLength(0);
      const err = decodeKrbError(m.rest);
      return { code: err.errorCode, result: decodeKpasswdResult(err.eData!).code };
    };
    expect(resultOf(Uint8Array.of(0, 9, 0, 1, 0, 2, 0x6e, 0x00, 0x00)).result).toBe(KpasswdResult.MALFORMED);
    expect(resultOf(Uint8Array.of(0, 3, 0, 1)).result).toBe(KpasswdResult.MALFORMED); // shorter than the header
    const c = s.client();
    await c.getInitialCredentials('alice', { password: 'Old-Passw0rd' });
    const ap = c.buildApReq(c.cache.tgtFor(REALM)!, { subkey: true }).token;
    expect(resultOf(encodeKpasswdMessage({ version: 2, ap, rest: Uint8Array.of(1) })).result).toBe(
      KpasswdResult.BAD_VERSION,
    );
    const other = resultOf(encodeKpasswdMessage({ version: 1, ap, rest: Uint8Array.of(1) }));
    expect(other).toEqual({ code: ErrorCode.KRB_AP_ERR_NOT_US, result: KpasswdResult.AUTHERROR });
  });

  it("refuses a KRB-PRIV whose sequence number is not the authenticator's, an absent one counting as 0 (MIT)", async () => {
    const s = setup();
    const c = s.client();
    const cred = await changepwTicket(s);
    /** The result of a change to `next` whose authenticator says `apSeq` and KRB-PRIV says `privSeq`. */
    const resultWith = (apSeq: number | undefined, privSeq: number | undefined, next: string) => {
      const subkey = generateKey(cred.sessionKey.etype, { random: new SeededRandom(`sk${apSeq}${privSeq}`) });
      const ap = c.buildApReq(cred, {
        subkey,
        mutual: true,
        ...(apSeq !== undefined && { seqNumber: apSeq }),
      }).token;
      const part = encodeEncKrbPrivPart({
        userData: new TextEncoder().encode(next),
        ...(privSeq !== undefined && { seqNumber: privSeq }),
        sAddress: { addrType: 2, address: Uint8Array.of(127, 0, 0, 1) },
      });
      const cipher = encrypt(subkey, KeyUsage.KRB_PRIV_ENCPART, part, { random: new SeededRandom('p') });
      const rest = encodeKrbPriv({ pvno: 5, msgType: 21, encPart: { etype: subkey.etype, cipher } });
      const reply = decodeKpasswdMessage(
        s.service.handle(encodeKpasswdMessage({ version: KpasswdVersion.CHANGE_PASSWORD, ap, rest })),
      );
      const priv = decodeKrbPriv(reply.rest);
      const enc = decodeEncKrbPrivPart(decrypt(subkey, KeyUsage.KRB_PRIV_ENCPART, priv.encPart.cipher));
      return decodeKpasswdResult(enc.userData).code;
    };
    // HARDERROR, as MIT's kadmind answers a KRB-PRIV it cannot read ("Failed decrypting request").
    expect(resultWith(7, undefined, 'N3w-Passw0rd-1')).toBe(KpasswdResult.HARDERROR);
    expect(resultWith(undefined, 9, 'N3w-Passw0rd-2')).toBe(KpasswdResult.HARDERROR);
    expect(resultWith(7, 8, 'N3w-Passw0rd-3')).toBe(KpasswdResult.HARDERROR);
    await c.getInitialCredentials('alice', { password: 'Old-Passw0rd' });
    expect(resultWith(7, 7, 'N3w-Passw0rd-4')).toBe(KpasswdResult.SUCCESS);
    await c.getInitialCredentials('alice', { password: 'N3w-Passw0rd-4' });
  });

  it("an MIT realm's administrator reset keeps the password history, as kadm5_chpass_principal (AD's skips it)", async () => {
    const s = setup({ kind: 'mit', policy: { passwordHistoryLength: 3 } });
    s.realm.addUser('carl', { password: 'C4rl-Adm1n-Pw' });
    s.realm.directory.addMember('Domain Admins', 'carl');
    const reset = (next: string) =>
      s
        .client()
        .changePassword('carl', 'C4rl-Adm1n-Pw', next, { transport: s.kpasswd, target: `frank@${REALM}` });
    const e = await refusal(reset('Fr4nk-Old'));
    expect((e as PasswordChangeError).result).toBe(KpasswdResult.SOFTERROR);
    await reset('Fr4nk-New-2');
    await s.client().getInitialCredentials('frank', { password: 'Fr4nk-New-2' });
  });

  it('refuses a TGT relabelled kadmin/changepw where the two share keys, as Samba does since CVE-2022-2031', async () => {
    const s = setup({ changepwSharesKrbtgt: true });
    const tgt = await s.client().getInitialCredentials('alice', { password: 'Old-Passw0rd' });
    const relabelled = {
      ...tgt,
      ticket: { ...tgt.ticket, sname: { nameType: 2, nameString: ['kadmin', 'changepw'] } },
    };
    expect(
      handMade(s, relabelled, KpasswdVersion.CHANGE_PASSWORD, new TextEncoder().encode('Stolen-TGT-Pw1')),
    ).toEqual({
      result: KpasswdResult.AUTHERROR,
      errorCode: ErrorCode.KRB_AP_ERR_NOT_US,
    });
    expect(s.changed).toEqual([]);
    // A real kadmin/changepw ticket still serves.
    await s.client().changePassword('alice', 'Old-Passw0rd', 'New-Passw0rd-9', { transport: s.kpasswd });
    expect(s.changed).toEqual([[`alice@${REALM}`, 'New-Passw0rd-9']]);
  });

  it("an administrator's reset takes a kadmin/changepw ticket from the TGS (adcli, msktutil); a target needs name and realm", async () => {
    const s = setup();
    s.realm.addUser('carl', { password: 'C4rl-Adm1n-Pw' });
    s.realm.directory.addMember('Domain Admins', 'carl');
    const c = s.client();
    await c.getInitialCredentials('carl', { password: 'C4rl-Adm1n-Pw' });
    const fromTgs = await c.getServiceTicket('kadmin/changepw');
    const set = (target: { targName?: string; targRealm?: string }, seed: string) =>
      handMade(
        s,
        fromTgs,
        KpasswdVersion.SET_PASSWORD,
        encodeChangePasswdData({
          newPasswd: new TextEncoder().encode('Fr4nk-By-Adm1n'),
          ...(target.targName !== undefined && { targName: { nameType: 1, nameString: [target.targName] } }),
          ...(target.targRealm !== undefined && { targRealm: target.targRealm }),
        }),
        seed,
      ).result;
    expect(set({ targName: 'frank' }, 'a')).toBe(KpasswdResult.MALFORMED);
    expect(set({ targRealm: REALM }, 'b')).toBe(KpasswdResult.MALFORMED);
    expect(set({ targName: 'frank', targRealm: REALM }, 'c')).toBe(KpasswdResult.SUCCESS);
    await s.client().getInitialCredentials('frank', { password: 'Fr4nk-By-Adm1n' });
    // One's own password with that ticket still needs an initial one, however the name is written:
    // an AD realm compares names and its own name without regard to case.
    expect(set({ targName: 'carl', targRealm: REALM }, 'd')).toBe(KpasswdResult.INITIAL_FLAG_NEEDED);
    expect(set({ targName: 'CARL', targRealm: REALM }, 'e')).toBe(KpasswdResult.INITIAL_FLAG_NEEDED);
    expect(set({ targName: 'carl', targRealm: REALM.toLowerCase() }, 'f')).toBe(
      KpasswdResult.INITIAL_FLAG_NEEDED,
    );
    // A target with an empty name or component names no one: MALFORMED, in the KRB-PRIV (the
    // AP-REQ checked), not a KRB-ERROR.
    const empty = (nameString: string[], seed: string) =>
      handMade(
        s,
        fromTgs,
        KpasswdVersion.SET_PASSWORD,
        encodeChangePasswdData({
          newPasswd: new TextEncoder().encode('Fr4nk-By-Adm1n'),
          targName: { nameType: 1, nameString },
          targRealm: REALM,
        }),
        seed,
      );
    expect(empty([], 'g')).toEqual({ result: KpasswdResult.MALFORMED });
    expect(empty(['frank', ''], 'h')).toEqual({ result: KpasswdResult.MALFORMED });
  });

  it("a user's own name in another case is her own change (an AD realm), not another's", async () => {
    const s = setup();
    const cred = await changepwTicket(s);
    const own = handMade(
      s,
      cred,
      KpasswdVersion.SET_PASSWORD,
      encodeChangePasswdData({
        newPasswd: new TextEncoder().encode('Al1ce-Own-Case'),
        targName: { nameType: 1, nameString: ['ALICE'] },
        targRealm: REALM.toLowerCase(),
      }),
    );
    expect(own).toEqual({ result: KpasswdResult.SUCCESS });
    await s.client().getInitialCredentials('alice', { password: 'Al1ce-Own-Case' });
  });

  it('takes the password as the bytes sent: a leading U+FEFF is part of it', async () => {
    const s = setup();
    const cred = await changepwTicket(s);
    const next = '\ufeffBom-Passw0rd';
    expect(handMade(s, cred, KpasswdVersion.CHANGE_PASSWORD, new TextEncoder().encode(next))).toEqual({
      result: KpasswdResult.SUCCESS,
    });
    expect(s.changed.at(-1)).toEqual([`alice@${REALM}`, next]);
    await s.client().getInitialCredentials('alice', { password: next });
    await refusal(s.client().getInitialCredentials('alice', { password: 'Bom-Passw0rd' }));
  });

  it('answers whatever the log sink does, and gives it names with their control characters escaped', async () => {
    const s = setup();
    const throwing = new KpasswdService(s.realm, {
      log: () => {
        throw new Error('disk full');
      },
    });
    const cred = await changepwTicket(s);
    const ok = handMade(
      { ...s, service: throwing },
      cred,
      KpasswdVersion.CHANGE_PASSWORD,
      new TextEncoder().encode('N3w-Passw0rd!'),
    );
    expect(ok).toEqual({ result: KpasswdResult.SUCCESS });
    // A ticket whose clear sname has a line break and an escape in it: one line in the log, escaped;
    // and one whose sname is 40,000 characters: a KRB-ERROR that fits the reply's 16-bit length.
    const c = s.client();
    await c.getInitialCredentials('alice', { password: 'N3w-Passw0rd!' });
    const tgtAp = decodeApReq(c.buildApReq(c.cache.tgtFor(REALM)!, { subkey: true }).token);
    const named = (nameString: string[]) =>
      decodeKpasswdMessage(
        s.service.handle(
          encodeKpasswdMessage({
            version: 1,
            ap: encodeApReq({ ...tgtAp, ticket: { ...tgtAp.ticket, sname: { nameType: 2, nameString } } }),
            rest: Uint8Array.of(1),
          }),
        ),
      );
    expect(named(['evil\r\nkpasswd carl -> SUCCESS', '\u001b[31m']).ap).toHaveLength(0);
    const lines = s.log.filter((l) => l.includes('not kadmin/changepw'));
    expect(lines).toHaveLength(1);
    expect(lines[0]).not.toMatch(/[\r\n]/);
    expect(lines[0]).not.toContain('\u001b');
    expect(lines[0]).toContain('evil\\r\\nkpasswd carl');
    const long = named(['x'.repeat(40_000)]);
    const err = decodeKrbError(long.rest);
    expect(err.errorCode).toBe(ErrorCode.KRB_AP_ERR_NOT_US);
    expect(err.sname).toEqual({ nameType: 2, nameString: ['kadmin', 'changepw'] });
    expect(err.eText!.length).toBeLessThanOrEqual(512);
  });

  describe("the client's reading of a reply (a scripted service)", () => {
    /**
     * A password-change service that checks the AP-REQ with the realm's kadmin/changepw keys and
     * answers as `answer` says: the AP-REP's subkey and sequence number, the KRB-PRIV's sequence
     * number and result code, or a bare KRB-ERROR with `bare` in its e-data.
     */
    function scripted(
      s: ReturnType<typeof setup>,
      answer: { apRepSubkey?: boolean; apRepSeq?: number; privSeq?: number; code?: number; bare?: number },
    ): InProcessTransport {
      const changepw = s.realm.lookup('kadmin/changepw')!;
      const name = { nameType: 2, nameString: ['kadmin', 'changepw'] };
      const keytab = changepw.keys.map((k) => ({
        principal: { realm: REALM, name },
        kvno: k.kvno,
        key: k.key,
      }));
      const random = new SeededRandom('scripted');
      return new InProcessTransport().register(REALM, (request) => {
        if (answer.bare !== undefined) {
          const err = krbError({ errorCode: 60, now: s.clock.now(), realm: REALM, sname: name });
          return encodeKrbError({ ...err, eData: encodeKpasswdResult(answer.bare, 'scripted') }).slice();
        }
        const m = decodeKpasswdMessage(request);
        const v = verifyApReq(decodeApReq(m.ap), {
          keytab,
          clock: s.clock,
          clockSkewMs: 300_000,
          gss: false,
          replayCache: undefined,
          allowWeakCrypto: false,
        });
        const subkey = { etype: v.authenticator.subkey!.keytype, bytes: v.authenticator.subkey!.keyvalue };
        const own = generateKey(subkey.etype, { random });
        const ap = buildApRep(
          v.sessionKey,
          {
            ctime: v.authenticator.ctime,
            cusec: v.authenticator.cusec,
            ...(answer.apRepSubkey && { subkey: { keytype: own.etype, keyvalue: own.bytes } }),
            ...(answer.apRepSeq !== undefined && { seqNumber: answer.apRepSeq }),
          },
          random,
        );
        const part = encodeEncKrbPrivPart({
          userData: encodeKpasswdResult(answer.code ?? KpasswdResult.SUCCESS, ''),
          ...(answer.privSeq !== undefined && { seqNumber: answer.privSeq }),
          sAddress: { addrType: 2, address: Uint8Array.of(127, 0, 0, 1) },
        });
        const cipher = encrypt(subkey, KeyUsage.KRB_PRIV_ENCPART, part, { random });
        const rest = encodeKrbPriv({ pvno: 5, msgType: 21, encPart: { etype: subkey.etype, cipher } });
        return encodeKpasswdMessage({ version: 1, ap, rest });
      });
    }
    const change = (s: ReturnType<typeof setup>, transport: InProcessTransport | KdcTransport) =>
      s.client().changePassword('alice', 'Old-Passw0rd', 'New-Passw0rd', { transport });

    it("reads the KRB-PRIV under its own subkey whatever subkey the AP-REP carries (RFC 3244, MIT's chpw.c)", async () => {
      const s = setup();
      await change(s, scripted(s, { apRepSubkey: true }));
      await change(s, scripted(s, { apRepSubkey: true, apRepSeq: 41, privSeq: 41 }));
    });

    it('reads a KRB-ERROR sent without the header (RFC 3244: "without any encapsulation")', async () => {
      const s = setup();
      const e = await refusal(change(s, scripted(s, { bare: KpasswdResult.ACCESSDENIED })));
      expect(e).toBeInstanceOf(PasswordChangeError);
      expect(e.code).toBe(60);
      expect((e as PasswordChangeError).result).toBe(KpasswdResult.ACCESSDENIED);
    });

    it('refuses what MIT refuses: a KRB-PRIV out of sequence, an undefined result code, SUCCESS in a KRB-ERROR', async () => {
      const s = setup();
      const codeOf = async (answer: Parameters<typeof scripted>[1]) =>
        (await refusal(change(s, scripted(s, answer)))).codeName;
      expect(await codeOf({ privSeq: 12345 })).toBe('KRB_AP_ERR_BADORDER');
      expect(await codeOf({ apRepSeq: 9, privSeq: 10 })).toBe('KRB_AP_ERR_BADORDER');
      expect(await codeOf({ code: 0x4242 })).toBe('KRB_AP_ERR_MODIFIED');
      expect(await codeOf({ bare: KpasswdResult.SUCCESS })).toBe('KRB_AP_ERR_MODIFIED');
      expect(await codeOf({ bare: 0x4242 })).toBe('KRB_AP_ERR_MODIFIED');
    });

    it('turns a transport that fails with no Kerberos error into KDC_ERR_SVC_UNAVAILABLE', async () => {
      const s = setup();
      const dead: KdcTransport = {
        send: () => Promise.reject(new TypeError('fetch failed')),
      };
      const e = await refusal(change(s, dead));
      expect(e.codeName).toBe('KDC_ERR_SVC_UNAVAILABLE');
      expect(e.message).toMatch(
        /could not reach the password-change service for CONTOSO\.COM \(fetch failed\)/,
      );
    });
  });

  it('refuses a replayed request (the authenticator seen before)', async () => {
    const s = setup();
    await s.client().changePassword('alice', 'Old-Passw0rd', 'New-Passw0rd', { transport: s.kpasswd });
    const m = decodeKpasswdMessage(s.service.handle(s.sent[0]!));
    expect(m.ap).toHaveLength(0);
    const err = decodeKrbError(m.rest);
    expect(err.errorCode).toBe(ErrorCode.KRB_AP_ERR_REPEAT);
    expect(decodeKpasswdResult(err.eData!).code).toBe(KpasswdResult.AUTHERROR);
  });

  it('admits over UDP only kpasswd requests: not replies, not Kerberos messages, not garbage', async () => {
    const s = setup();
    await s.client().changePassword('alice', 'Old-Passw0rd', 'New-Passw0rd', { transport: s.kpasswd });
    expect(kpasswdVerdict(s.sent[0]!)).toEqual({ answer: true, msgType: 14 });
    const reply = s.service.handle(Uint8Array.of(0, 3, 0, 1));
    expect(kpasswdVerdict(reply)).toEqual({ answer: false, reason: 'not-a-request' });
    expect(kpasswdVerdict(Uint8Array.of(0x6a, 0x03, 0x02, 0x01, 0x05))).toEqual({
      answer: false,
      reason: 'not-kerberos',
    });
    expect(kpasswdVerdict(new Uint8Array(0))).toEqual({ answer: false, reason: 'empty' });
  });
});
