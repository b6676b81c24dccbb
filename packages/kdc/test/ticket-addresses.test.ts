/**
 * Ticket addresses (RFC 4120 section 3.3.3.1): a TGT with addresses serves a
 * TGS-REQ only from one of them, KRB_AP_ERR_BADADDR otherwise, as MIT's KDC
 * checks it (the MIT differential test holds krbsim to it); the sender is
 * the transport's peer, and an in-process request without one is not
 * checked. A domain (AD kind) does not check them.
 */

import type { HostAddress } from '@krbsim/asn1';
import { ErrorCode, ManualClock } from '@krbsim/core';
import type { RealmKind } from '@krbsim/kdc';
import { describe, expect, it } from 'vitest';
import { senderAddress } from '../src/sender-address';
import { errorOf, login, makeRealm, repOf, T0, tgsReq, userKey } from './helpers';

const REALM = 'CONTOSO.COM';
const WEB = 'HTTP/web.contoso.com';
const ipv4 = (...b: number[]): HostAddress => ({ addrType: 2, address: Uint8Array.from(b) });

function lab(kind: RealmKind) {
  const l = makeRealm(REALM, {}, new ManualClock(T0), { kind });
  l.realm.addUser('alice', { password: 'pw' });
  l.realm.addService(WEB, { password: 'web-pw' });
  const tgt = login(l, 'alice', userKey(REALM, 'alice', 'pw'), { addresses: [ipv4(10, 0, 0, 1)] });
  const ask = (peer?: string) =>
    l.kdc.handle(
      tgsReq({ tgt, realm: REALM, sname: WEB, now: T0 }),
      peer === undefined ? undefined : { peer },
    );
  return { l, tgt, ask };
}

describe('ticket addresses at the KDC', () => {
  it('an MIT realm serves a TGT with addresses only from one of them: KRB_AP_ERR_BADADDR from elsewhere', () => {
    const { tgt, ask } = lab('mit');
    expect(tgt.part.caddr).toEqual([ipv4(10, 0, 0, 1)]);
    expect(repOf(ask('10.0.0.1:50000')).msgType).toBe(13);
    expect(repOf(ask('::ffff:10.0.0.1:50000')).msgType).toBe(13);
    expect(errorOf(ask('127.0.0.1:50000')).errorCode).toBe(ErrorCode.KRB_AP_ERR_BADADDR);
    expect(errorOf(ask('::1:50000')).errorCode).toBe(ErrorCode.KRB_AP_ERR_BADADDR);
    // In process, the sender is a participant's name, not an address: not checked.
    expect(repOf(ask('alice')).msgType).toBe(13);
    expect(repOf(ask()).msgType).toBe(13);
  });

  it("a TGT whose only address is a NetBIOS name, as Windows asks for it, serves any sender (MIT's addr_srch.c)", () => {
    const l = makeRealm(REALM, {}, new ManualClock(T0));
    l.realm.addUser('alice', { password: 'pw' });
    l.realm.addService(WEB, { password: 'web-pw' });
    const netbios: HostAddress = { addrType: 20, address: new TextEncoder().encode('WIN10-01       ') };
    const ask = (addresses: HostAddress[]) => {
      const tgt = login(l, 'alice', userKey(REALM, 'alice', 'pw'), { addresses });
      return l.kdc.handle(tgsReq({ tgt, realm: REALM, sname: WEB, now: T0 }), { peer: '10.1.2.3:50000' });
    };
    expect(repOf(ask([netbios])).msgType).toBe(13);
    // krb5kdc 1.20.1 alike: beside an IP address, or another NetBIOS name, the sender must be one of the IPs.
    expect(repOf(ask([netbios, ipv4(10, 1, 2, 3)])).msgType).toBe(13);
    expect(errorOf(ask([netbios, ipv4(10, 0, 0, 1)])).errorCode).toBe(ErrorCode.KRB_AP_ERR_BADADDR);
    expect(errorOf(ask([netbios, netbios])).errorCode).toBe(ErrorCode.KRB_AP_ERR_BADADDR);
  });

  it('a domain does not check them (checkTicketAddresses false)', () => {
    const { l, ask } = lab('active-directory');
    expect(l.realm.policy.checkTicketAddresses).toBe(false);
    expect(repOf(ask('127.0.0.1:50000')).msgType).toBe(13);
  });

  it("reads a transport's peer as an address, IPv4 and IPv6, and nothing else", () => {
    expect(senderAddress('127.0.0.1:88')).toEqual(ipv4(127, 0, 0, 1));
    expect(senderAddress('::ffff:192.0.2.7:88')).toEqual(ipv4(192, 0, 2, 7));
    expect(senderAddress('[2001:db8::1]:88')).toEqual({
      addrType: 24,
      address: Uint8Array.from([0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1]),
    });
    expect(senderAddress('::1:88')?.address).toEqual(Uint8Array.from([...new Array(15).fill(0), 1]));
    expect(senderAddress('CONTOSO\\alice')).toBeUndefined();
    expect(senderAddress(undefined)).toBeUndefined();
  });
});
