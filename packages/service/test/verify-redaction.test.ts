/**
 * What verifyApReq, checkApReq and checkTicket return prints (util.inspect,
 * at any depth) and serializes (JSON.stringify) without key bytes: the
 * session key, the ticket's copy of it, the authenticator's subkey, a
 * delegated credential's keys, and the KRB-CRED a client delegated in its
 * 0x8003 checksum (in the clear, it holds the forwarded TGT's session key).
 * The values stay what they were: the keys encrypt and decrypt, the bytes
 * read as before.
 */

import { inspect } from 'node:util';
import {
  type ApReq,
  decodeApReq,
  encodeAuthenticator,
  encodeEncKrbCredPart,
  encodeKrbCred,
  GSS_CHECKSUM_TYPE,
} from '@krbsim/asn1';
import type { Credential } from '@krbsim/client';
import { Duration, SeededRandom } from '@krbsim/core';
import { decrypt, encrypt, generateKey, type Key } from '@krbsim/crypto';
import {
  type ApReqCheck,
  type ApReqRules,
  checkApReq,
  checkTicket,
  SERVICE_AP_REQ,
  selectServiceKey,
  TGS_AP_REQ,
  unframeApReq,
  verifyApReq,
} from '@krbsim/service';
import { describe, expect, it } from 'vitest';
import { alice, Lab, REALM } from './helpers';

/** Hex, base64, and util.inspect's and JSON.stringify's forms of a Uint8Array (whitespace ignored). */
function renderings(bytes: Uint8Array): string[] {
  const b = Buffer.from(bytes);
  return [
    b.toString('hex'),
    b.toString('base64'),
    [...bytes.subarray(0, 8)].join(','), // util.inspect's decimal list, its line breaks taken out
    `"0":${bytes[0]},"1":${bytes[1]},"2":${bytes[2]}`, // JSON.stringify
  ];
}

/** util.inspect (no depth or array limit) and JSON.stringify of `value`, whitespace taken out. */
function printed(value: unknown): string {
  const shown = inspect(value, {
    depth: Number.POSITIVE_INFINITY,
    maxArrayLength: Number.POSITIVE_INFINITY,
  });
  return (shown + JSON.stringify(value)).replace(/\s+/g, '');
}

function expectNoKeyBytes(text: string, keys: readonly Uint8Array[]): void {
  for (const key of keys) for (const r of renderings(key)) expect(text, `found ${r}`).not.toContain(r);
}

const pt = new Uint8Array(24).fill(5);

/** `a` and `b` are the same key: each decrypts what the other encrypts. */
function expectSameKey(a: Key, b: Key): void {
  expect(a.etype).toBe(b.etype);
  expect(decrypt(b, 11, encrypt(a, 11, pt))).toEqual(pt);
  expect(decrypt(a, 11, encrypt(b, 11, pt))).toEqual(pt);
}

/** A KRB-CRED in the clear (etype 0, as inside GSS) forwarding `tgt`: its bytes hold the TGT's session key. */
function clearKrbCred(tgt: Credential): Uint8Array {
  return encodeKrbCred({
    pvno: 5,
    msgType: 22,
    tickets: [tgt.ticket],
    encPart: {
      etype: 0,
      cipher: encodeEncKrbCredPart({
        ticketInfo: [
          { key: { keytype: 18, keyvalue: tgt.sessionKey.bytes }, prealm: REALM, pname: alice.name },
        ],
      }),
    },
  });
}

describe('verifyApReq', () => {
  function verified(lab: Lab, cred: Credential, krbCred: Uint8Array) {
    const { token } = lab.client.buildApReq(cred, { gss: 'krb5', subkey: true, delegation: krbCred });
    const apReq = decodeApReq(unframeApReq(token).apReq);
    return verifyApReq(apReq, {
      keytab: lab.keytab,
      clock: lab.serviceClock,
      clockSkewMs: 5 * Duration.minute,
      replayCache: undefined,
      allowWeakCrypto: false,
      gss: true,
    });
  }

  it('the check sees a plain result print its bytes', () => {
    const key = generateKey(18, { random: new SeededRandom('plain') });
    const plain = { sessionKey: { etype: 18, bytes: key.bytes.slice() } };
    expect(() => expectNoKeyBytes(printed(plain), [key.bytes])).toThrow();
  });

  it('shows no session key, ticket key, subkey, delegated key or KRB-CRED', () => {
    const lab = new Lab();
    const cred = lab.credential();
    const tgt = lab.credential();
    const krbCred = clearKrbCred(tgt);
    const v = verified(lab, cred, krbCred);
    const subkey = v.authenticator.subkey!;
    const text = printed(v);
    expectNoKeyBytes(text, [
      cred.sessionKey.bytes,
      v.sessionKey.bytes,
      v.ticket.key.keyvalue,
      subkey.keyvalue,
      tgt.sessionKey.bytes,
      lab.serviceKey.bytes,
    ]);
    for (const part of [v.sessionKey, v.ticket, v.authenticator, v.gssChecksum, v.delegated]) {
      expectNoKeyBytes(printed(part), [v.sessionKey.bytes, subkey.keyvalue, tgt.sessionKey.bytes]);
    }
    expect(inspect(v.sessionKey)).toBe(`{ etype: 18, bytes: '<redacted 32 bytes>' }`);
    expect(JSON.stringify(v.ticket.key)).toBe('{"keytype":18,"keyvalue":"<redacted 32 bytes>"}');
    expect(JSON.stringify(subkey)).toBe('{"keytype":18,"keyvalue":"<redacted 32 bytes>"}');
    const cksum = v.authenticator.cksum!;
    expect(cksum.cksumtype).toBe(GSS_CHECKSUM_TYPE);
    expect(JSON.stringify(cksum)).toBe(
      `{"cksumtype":${GSS_CHECKSUM_TYPE},"checksum":"<${cksum.checksum.length} bytes>"}`,
    );
    expect(inspect(v.gssChecksum)).toContain(`delegation: '<${krbCred.length} bytes>'`);
    expect(inspect(v.delegated)).toContain(`krbCred: '<${krbCred.length} bytes>'`);
  });

  it('the values are unchanged: the keys work, the KRB-CRED and checksum read as sent', () => {
    const lab = new Lab();
    const cred = lab.credential();
    const tgt = lab.credential();
    const krbCred = clearKrbCred(tgt);
    const v = verified(lab, cred, krbCred);
    expectSameKey(v.sessionKey, cred.sessionKey);
    expect(v.ticket.key.keyvalue).toEqual(cred.sessionKey.bytes);
    expect(v.ticket.key.keytype).toBe(cred.sessionKey.etype);
    const sub = v.authenticator.subkey!;
    expectSameKey(
      { etype: sub.keytype, bytes: sub.keyvalue },
      { etype: sub.keytype, bytes: sub.keyvalue.slice() },
    );
    expect(sub.keyvalue).toHaveLength(32);
    expect(v.gssChecksum?.delegation).toEqual(krbCred);
    const cksum = v.authenticator.cksum!.checksum;
    expect(cksum.subarray(28)).toEqual(krbCred); // Lgth, Bnd, Flags, DlgOpt, Dlgth, then the KRB-CRED
    expect(v.delegated!.krbCred).toEqual(krbCred);
    const info = v.delegated!.info[0]!;
    expect(info.key.keyvalue).toEqual(tgt.sessionKey.bytes);
    expectSameKey({ etype: info.key.keytype, bytes: info.key.keyvalue }, tgt.sessionKey);
    expect(v.delegated!.tickets).toHaveLength(1);
    // The service accepts the same kind of token, and its result's keys are the same keys.
    const { token } = lab.client.buildApReq(cred, { gss: 'krb5', subkey: true, delegation: krbCred });
    const r = lab.service().accept(token);
    expectSameKey(r.sessionKey, cred.sessionKey);
    expect(r.delegatedCredential!.info[0]!.key.keyvalue).toEqual(tgt.sessionKey.bytes);
  });
});

/** An AP-REQ for `cred` whose authenticator carries `subkey`, sealed under `usage`. */
function apReqWithSubkey(lab: Lab, cred: Credential, usage: number, subkey: Key): ApReq {
  const authenticator = encodeAuthenticator({
    authenticatorVno: 5,
    crealm: cred.client.realm,
    cname: cred.client.name,
    cusec: 0,
    ctime: lab.clock.now(),
    subkey: { keytype: subkey.etype, keyvalue: subkey.bytes },
  });
  return {
    pvno: 5,
    msgType: 14,
    apOptions: 0,
    ticket: cred.ticket,
    authenticator: {
      etype: cred.sessionKey.etype,
      cipher: encrypt(cred.sessionKey, usage, authenticator, { random: lab.random }),
    },
  };
}

function check(lab: Lab, rules: ApReqRules): ApReqCheck {
  return {
    rules,
    keyLookup: (t) => selectServiceKey(lab.keytab, t),
    clock: lab.serviceClock,
    clockSkewMs: 5 * Duration.minute,
  };
}

describe.each([
  ['service', SERVICE_AP_REQ],
  ['TGS', TGS_AP_REQ],
] as const)('checkApReq (%s rules)', (_, rules) => {
  it('shows no session key, ticket key or subkey, and they are the keys sent', () => {
    const lab = new Lab();
    const cred = lab.credential();
    const subkey = generateKey(18, { random: new SeededRandom('subkey') });
    const r = checkApReq(apReqWithSubkey(lab, cred, rules.authenticatorUsage, subkey), check(lab, rules));
    const secrets = [cred.sessionKey.bytes, subkey.bytes, lab.serviceKey.bytes];
    expectNoKeyBytes(printed(r), secrets);
    for (const part of [r.sessionKey, r.ticket, r.authenticator, r.serverKey]) {
      expectNoKeyBytes(printed(part), secrets);
    }
    expectSameKey(r.sessionKey, cred.sessionKey);
    expect(r.ticket.key.keyvalue).toEqual(cred.sessionKey.bytes);
    expect(r.authenticator.subkey!.keyvalue).toEqual(subkey.bytes);
    expectSameKey(
      { etype: r.authenticator.subkey!.keytype, bytes: r.authenticator.subkey!.keyvalue },
      subkey,
    );
  });
});

describe('checkTicket', () => {
  it('shows no session key or ticket key, and the session key is the one sealed in the ticket', () => {
    const lab = new Lab();
    const cred = lab.credential();
    const r = checkTicket(cred.ticket, check(lab, TGS_AP_REQ));
    expectNoKeyBytes(printed(r), [cred.sessionKey.bytes, lab.serviceKey.bytes]);
    expectNoKeyBytes(printed(r.ticket), [cred.sessionKey.bytes]);
    expect(inspect(r.sessionKey)).toBe(`{ etype: 18, bytes: '<redacted 32 bytes>' }`);
    expectSameKey(r.sessionKey, cred.sessionKey);
    expect(r.ticket.key.keyvalue).toEqual(cred.sessionKey.bytes);
  });
});
