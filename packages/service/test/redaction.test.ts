/**
 * An AcceptResult printed (util.inspect, console.log) or serialized
 * (JSON.stringify) shows no key bytes: not the session key, the client's
 * subkey, the acceptor's subkey, the ticket's copy of the session key, nor
 * a delegated credential's keys. The keys stay readable as properties.
 */

import { inspect } from 'node:util';
import { encodeEncKrbCredPart, encodeKrbCred } from '@krbsim/asn1';
import { describe, expect, it } from 'vitest';
import { alice, Lab, REALM } from './helpers';

/** Every rendering of `bytes` a printed object could contain. */
function renderings(bytes: Uint8Array): string[] {
  const b = Buffer.from(bytes);
  return [
    b.toString('hex'),
    b.toString('base64'),
    b.toString('base64url'),
    [...bytes.subarray(0, 8)].join(', '), // util.inspect of a Uint8Array
    `"0":${bytes[0]},"1":${bytes[1]},"2":${bytes[2]}`, // JSON.stringify of a Uint8Array
  ];
}

function expectNoKeyBytes(printed: string, keys: readonly Uint8Array[]): void {
  for (const key of keys) {
    for (const r of renderings(key)) expect(printed, `found ${r}`).not.toContain(r);
  }
}

describe('AcceptResult redaction', () => {
  it('util.inspect and JSON.stringify show no session key, subkey or acceptor subkey bytes', () => {
    const lab = new Lab();
    const cred = lab.credential();
    const { token } = lab.client.buildApReq(cred, { gss: 'krb5', mutual: true, subkey: true });
    const r = lab.service().accept(token);
    const keys = [r.sessionKey.bytes, r.subkey!.bytes, r.acceptorSubkey!.bytes];
    const printed = `${inspect(r, { depth: Number.POSITIVE_INFINITY })}\n${JSON.stringify(r)}`;
    expectNoKeyBytes(printed, keys);
    expect(inspect(r.sessionKey)).toBe(`{ etype: 18, bytes: '<redacted 32 bytes>' }`);
    expect(JSON.stringify(r.ticket.key)).toBe('{"keytype":18,"keyvalue":"<redacted 32 bytes>"}');
    // Still the keys, by value and by reference to the same bytes.
    expect(r.sessionKey).toEqual(cred.sessionKey);
    expect(r.ticket.key.keyvalue).toBe(r.sessionKey.bytes);
    expect(r.subkey!.bytes).toHaveLength(32);
  });

  it('redacts the keys of delegated credentials and their KRB-CRED bytes', () => {
    const lab = new Lab();
    const cred = lab.credential();
    const tgt = lab.credential();
    const krbCred = encodeKrbCred({
      pvno: 5,
      msgType: 22,
      tickets: [tgt.ticket],
      encPart: {
        etype: 0, // in the clear, as inside GSS: the raw bytes hold the key
        cipher: encodeEncKrbCredPart({
          ticketInfo: [
            { key: { keytype: 18, keyvalue: tgt.sessionKey.bytes }, prealm: REALM, pname: alice.name },
          ],
        }),
      },
    });
    const r = lab.service().accept(lab.client.buildApReq(cred, { gss: 'krb5', delegation: krbCred }).token);
    const printed = `${inspect(r, { depth: Number.POSITIVE_INFINITY, maxArrayLength: Number.POSITIVE_INFINITY })}\n${JSON.stringify(r)}`;
    expectNoKeyBytes(printed, [tgt.sessionKey.bytes, r.sessionKey.bytes]);
    expect(printed).toContain(`<${krbCred.length} bytes>`);
    // Readable as before.
    expect(r.delegatedCredential!.krbCred).toEqual(krbCred);
    expect(r.delegatedCredential!.info[0]!.key.keyvalue).toEqual(tgt.sessionKey.bytes);
    expect(r.delegatedCredential!.tickets).toHaveLength(1);
  });
});
