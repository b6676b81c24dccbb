/**
 * The service checks the PAC of every ticket it accepts (MS-PAC 2.8): the
 * server signature with the key that decrypted the ticket, and with the
 * KDC's keys the KDC, ticket and extended KDC signatures. A PAC that fails
 * refuses the AP-REQ with the signature's code; the verified PAC, its logon
 * information and SIDs come back in the result.
 */

import { inspect } from 'node:util';
import type { EncTicketPart } from '@krbsim/asn1';
import { ChecksumType, ErrorCode } from '@krbsim/core';
import { generateKey, type Key } from '@krbsim/crypto';
import {
  createKerbValidationInfo,
  createPacClientInfo,
  decodePac,
  encodePac,
  findPac,
  type Pac,
  PacBufferType,
  parseSid,
  SE_GROUP_DEFAULT,
  signTicketPac,
  WellKnownSid,
  withPac,
} from '@krbsim/pac';
import { type AcceptResult, ApReqError } from '@krbsim/service';
import { describe, expect, it } from 'vitest';
import { Lab, REALM, spnName, T0, thrown } from './helpers';

const DOMAIN = 'S-1-5-21-1004336348-1177238915-682003330';

/** alice's PAC as a DC writes it: Domain Users and SqlAdmins, S-1-18-1, another forest's group. */
function alicePac(): Pac {
  return {
    buffers: [
      {
        type: PacBufferType.LOGON_INFO,
        value: createKerbValidationInfo({
          effectiveName: 'alice',
          userId: 1104,
          groupIds: [
            { relativeId: 513, attributes: SE_GROUP_DEFAULT },
            { relativeId: 1105, attributes: SE_GROUP_DEFAULT },
          ],
          logonDomainName: 'CONTOSO',
          logonDomainId: parseSid(DOMAIN),
          extraSids: [
            {
              sid: parseSid(WellKnownSid.AUTHENTICATION_AUTHORITY_ASSERTED_IDENTITY),
              attributes: SE_GROUP_DEFAULT,
            },
            { sid: parseSid('S-1-5-21-1-2-3-1107'), attributes: SE_GROUP_DEFAULT },
          ],
        }),
      },
      { type: PacBufferType.CLIENT_INFO, value: createPacClientInfo('alice', T0) },
    ],
  };
}

/** A ticket edit that signs `pac` as the KDC does, with `kdcKey`, for the lab's service. */
function signed(lab: Lab, kdcKey: Key, pac: Pac = alicePac()): (e: EncTicketPart) => EncTicketPart {
  return (e) =>
    signTicketPac(e, pac, { serverKey: lab.serviceKey, kdcKey }, { server: spnName }).encTicketPart;
}

/** The PAC bytes of a signed ticket, changed by `f`, put back (signatures left as they were). */
function tampered(
  edit: (e: EncTicketPart) => EncTicketPart,
  f: (pac: Pac) => Pac,
): (e: EncTicketPart) => EncTicketPart {
  return (e) => {
    const out = edit(e);
    const pac = decodePac(findPac(out.authorizationData)!.pac);
    return { ...out, authorizationData: withPac(out.authorizationData, encodePac(f(pac))) };
  };
}

function accept(lab: Lab, edit: (e: EncTicketPart) => EncTicketPart, kdcKeys?: Key[]): AcceptResult {
  const { token } = lab.client.buildApReq(lab.credential({ editTicket: edit }), { gss: 'krb5' });
  return lab.service(kdcKeys === undefined ? {} : { kdcKeys }).accept(token);
}

describe('the PAC of an accepted ticket', () => {
  it('is verified with the service key and read out: user SID, groups, logon information', () => {
    const lab = new Lab();
    const kdcKey = generateKey(18, { random: lab.random });
    const r = accept(lab, signed(lab, kdcKey));
    expect(r.pac).toBeDefined();
    expect(r.pac!.verifiedSignatures).toEqual(['server']);
    expect(r.pac!.sids).toEqual({
      user: `${DOMAIN}-1104`,
      groups: [`${DOMAIN}-513`, `${DOMAIN}-1105`, 'S-1-18-1', 'S-1-5-21-1-2-3-1107'],
    });
    expect(r.pac!.logonInfo!.effectiveName).toBe('alice');
    // Still a Pac: every buffer, signatures included.
    expect(r.pac!.buffers.map((b) => b.type)).toEqual([1, 10, 6, 7, 16, 19]);
  });

  it('with the KDC keys, checks the KDC, ticket and extended KDC signatures too (any etype of krbtgt key)', () => {
    const lab = new Lab();
    const kdcKey = generateKey(17, { random: lab.random });
    const other = generateKey(18, { random: lab.random });
    const r = accept(lab, signed(lab, kdcKey), [other, kdcKey]);
    expect(r.pac!.verifiedSignatures).toEqual(['server', 'kdc', 'ticket', 'full']);
    // Another KDC's key: the KDC signature does not verify.
    const wrong = generateKey(17, { random: lab.random });
    const e = thrown(() => accept(lab, signed(lab, kdcKey), [wrong]));
    expect(e).toBeInstanceOf(ApReqError);
    expect(e.code).toBe(ErrorCode.KRB_AP_ERR_MODIFIED);
  });

  it("tries each KDC key of the signature's checksum type: the old and new keys of a krbtgt rotation", () => {
    const lab = new Lab();
    const old = generateKey(18, { random: lab.random });
    const rotated = generateKey(18, { random: lab.random });
    // The KDC signs with its new key; the service was given the old one first, as a realm lists them.
    const r = accept(lab, signed(lab, rotated), [old, rotated]);
    expect(r.pac!.verifiedSignatures).toEqual(['server', 'kdc', 'ticket', 'full']);
    expect(accept(lab, signed(lab, old), [old, rotated]).pac!.verifiedSignatures).toEqual([
      'server',
      'kdc',
      'ticket',
      'full',
    ]);
    // An HMAC-MD5 KDC signature made with an AES key (as Windows 2008 signed): no key's own checksum
    // type names it, so every key is tried.
    const md5 = (key: Key) => (e: EncTicketPart) =>
      signTicketPac(
        e,
        alicePac(),
        { serverKey: lab.serviceKey, kdcKey: key },
        { server: spnName, kdcChecksumType: ChecksumType.HMAC_MD5 },
      ).encTicketPart;
    expect(accept(lab, md5(rotated), [old, rotated]).pac!.verifiedSignatures).toEqual([
      'server',
      'kdc',
      'ticket',
      'full',
    ]);
    // Neither: refused, the failure reported as the first candidate's.
    const e = thrown(() => accept(lab, signed(lab, generateKey(18, { random: lab.random })), [old, rotated]));
    expect(e.code).toBe(ErrorCode.KRB_AP_ERR_MODIFIED);
  });

  it('refuses a PAC changed after signing (KRB_AP_ERR_MODIFIED), naming the client', () => {
    const lab = new Lab();
    const kdcKey = generateKey(18, { random: lab.random });
    // Domain Admins added to alice's groups: the server signature no longer matches.
    const edit = tampered(signed(lab, kdcKey), (pac) => ({
      buffers: pac.buffers.map((b) =>
        b.type === PacBufferType.LOGON_INFO && 'value' in b
          ? {
              type: b.type,
              value: { ...b.value, groupIds: [...b.value.groupIds, { relativeId: 512, attributes: 7 }] },
            }
          : b,
      ),
    }));
    const e = thrown(() => accept(lab, edit)) as ApReqError;
    expect(e.code).toBe(ErrorCode.KRB_AP_ERR_MODIFIED);
    expect(e.message).toMatch(/server signature/);
    expect(e.client?.name.nameString).toEqual(['alice']);
    expect(e.realm).toBe(REALM);
  });

  it("refuses a PAC, signed as it may be, whose PAC_CLIENT_INFO is another client's or another logon's (MS-PAC 2.7)", () => {
    const lab = new Lab();
    const kdcKey = generateKey(18, { random: lab.random });
    const withClientInfo = (name: string, at: number): Pac => ({
      buffers: alicePac().buffers.map((b) =>
        b.type === PacBufferType.CLIENT_INFO ? { type: b.type, value: createPacClientInfo(name, at) } : b,
      ),
    });
    const bob = thrown(() => accept(lab, signed(lab, kdcKey, withClientInfo('bob', T0)))) as ApReqError;
    expect(bob.code).toBe(ErrorCode.KRB_AP_ERR_MODIFIED);
    expect(bob.message).toContain("the ticket's PAC names client bob, not alice");
    const later = thrown(() =>
      accept(lab, signed(lab, kdcKey, withClientInfo('alice', T0 + 1000))),
    ) as ApReqError;
    expect(later.code).toBe(ErrorCode.KRB_AP_ERR_MODIFIED);
    expect(later.message).toContain('was issued at another logon');
    // The name with the client's realm, as a cross-realm S4U2Self PAC writes it, is the same client.
    expect(accept(lab, signed(lab, kdcKey, withClientInfo(`alice@${REALM}`, T0))).pac).toBeDefined();
  });

  it('refuses a signed PAC without PAC_CLIENT_INFO (MS-PAC 2.4; MIT: k5_pac_validate_client) with KRB_AP_ERR_MODIFIED', () => {
    const lab = new Lab();
    const kdcKey = generateKey(18, { random: lab.random });
    const logonOnly: Pac = {
      buffers: alicePac().buffers.filter((b) => b.type !== PacBufferType.CLIENT_INFO),
    };
    const none = thrown(() => accept(lab, signed(lab, kdcKey, logonOnly)));
    expect(none).toBeInstanceOf(ApReqError);
    expect(none.code).toBe(ErrorCode.KRB_AP_ERR_MODIFIED);
    expect(none.message).toContain("the ticket's PAC has no PAC_CLIENT_INFO buffer");
  });

  it('refuses a signed PAC with two PAC_CLIENT_INFO buffers as one that does not decode (KRB_AP_ERR_MODIFIED)', () => {
    const lab = new Lab();
    const kdcKey = generateKey(18, { random: lab.random });
    // However alike the two, never a PacError (KRB_ERR_GENERIC) escaping the acceptor.
    const twice: Pac = {
      buffers: [
        ...alicePac().buffers,
        { type: PacBufferType.CLIENT_INFO, value: createPacClientInfo('alice', T0) },
      ],
    };
    const two = thrown(() => accept(lab, signed(lab, kdcKey, twice))) as ApReqError;
    expect(two).toBeInstanceOf(ApReqError);
    expect(two.code).toBe(ErrorCode.KRB_AP_ERR_MODIFIED);
    expect(two.message).toMatch(
      /^the ticket's PAC is malformed: .*more than one buffer of type 10 \(PAC_CLIENT_INFO\)/,
    );
    expect(two.client?.name.nameString).toEqual(['alice']);
  });

  it('refuses an unkeyed checksum (MS14-068) with KRB_AP_ERR_INAPP_CKSUM', () => {
    const lab = new Lab();
    const kdcKey = generateKey(18, { random: lab.random });
    const edit = tampered(signed(lab, kdcKey), (pac) => ({
      buffers: pac.buffers.map((b) =>
        b.type === PacBufferType.SERVER_CHECKSUM
          ? { type: b.type, value: { signatureType: ChecksumType.RSA_MD5, signature: new Uint8Array(16) } }
          : b,
      ),
    }));
    const e = thrown(() => accept(lab, edit));
    expect(e.code).toBe(ErrorCode.KRB_AP_ERR_INAPP_CKSUM);
  });

  it('refuses a PAC without a server signature, and one that does not decode (KRB_AP_ERR_MODIFIED)', () => {
    const lab = new Lab();
    const unsigned = (e: EncTicketPart) => ({
      ...e,
      authorizationData: withPac(e.authorizationData, encodePac(alicePac())),
    });
    expect(thrown(() => accept(lab, unsigned)).code).toBe(ErrorCode.KRB_AP_ERR_MODIFIED);
    const garbage = (e: EncTicketPart) => ({
      ...e,
      authorizationData: withPac(e.authorizationData, Uint8Array.of(1, 2, 3)),
    });
    const g = thrown(() => accept(lab, garbage));
    expect(g.code).toBe(ErrorCode.KRB_AP_ERR_MODIFIED);
    expect(g.message).toMatch(/malformed/);
  });

  it('refuses a signed PAC with a buffer that does not decode, even one it does not read (KRB_AP_ERR_MODIFIED)', () => {
    const lab = new Lab();
    const kdcKey = generateKey(18, { random: lab.random });
    const badUpn: Pac = {
      buffers: [...alicePac().buffers, { type: PacBufferType.UPN_DNS_INFO, data: Uint8Array.of(1, 2, 3) }],
    };
    const e = thrown(() => accept(lab, signed(lab, kdcKey, badUpn)));
    expect(e.code).toBe(ErrorCode.KRB_AP_ERR_MODIFIED);
    expect(e.message).toMatch(/malformed: PACTYPE\.Buffers\[2\]\.UPN_DNS_INFO/);
  });

  it('accepts a ticket without a PAC (MIT realms issue none): no pac in the result', () => {
    const lab = new Lab();
    const r = accept(lab, (e) => e);
    expect(r.pac).toBeUndefined();
  });

  it('a refused PAC leaves no replay cache entry: the same authenticator is refused for its PAC again', () => {
    const lab = new Lab();
    const kdcKey = generateKey(18, { random: lab.random });
    const edit = tampered(signed(lab, kdcKey), (pac) => ({ buffers: [...pac.buffers].reverse() }));
    const { token } = lab.client.buildApReq(lab.credential({ editTicket: edit }), { gss: 'krb5' });
    const svc = lab.service();
    expect(thrown(() => svc.accept(token)).code).toBe(ErrorCode.KRB_AP_ERR_MODIFIED);
    expect(thrown(() => svc.accept(token)).code).toBe(ErrorCode.KRB_AP_ERR_MODIFIED);
  });

  it('prints and serializes without keys: FILETIMEs as strings, signatures as hex', () => {
    const lab = new Lab();
    const kdcKey = generateKey(18, { random: lab.random });
    const r = accept(lab, signed(lab, kdcKey), [kdcKey]);
    const json = JSON.stringify(r);
    const printed = `${inspect(r, { depth: Number.POSITIVE_INFINITY })}\n${json}`;
    for (const key of [kdcKey.bytes, lab.serviceKey.bytes, r.sessionKey.bytes]) {
      expect(printed).not.toContain(Buffer.from(key).toString('hex'));
    }
    const pac = JSON.parse(json).pac;
    expect(pac.sids.user).toBe(`${DOMAIN}-1104`);
    expect(typeof pac.logonInfo.logonTime).toBe('string');
    expect(pac.verifiedSignatures).toEqual(['server', 'kdc', 'ticket', 'full']);
  });
});
