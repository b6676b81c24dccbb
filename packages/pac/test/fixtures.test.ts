/**
 * Real PACs: Windows Server 2003, 2008 and 2022 (test/fixtures/pac, from
 * MIT krb5's t_pac.c), MIT krb5 1.20 (the captured messages of
 * test/fixtures/mit, and test/fixtures/pac/mit-kdc.json, which the interop
 * test writes), Impacket 0.10.0's ticketer (test/fixtures/pac/impacket.json,
 * whose NDR fillers and padding are recorded in `ndrForm`). For every one:
 *
 * - decoding is strict and `encodePac(decodePac(bytes))` gives the bytes back
 *   (Windows' NDR form is krbsim's, so no `ndrForm` is recorded for theirs);
 * - every signature whose key is known verifies, and flipping any single
 *   byte of the PAC makes verification (or decoding) fail;
 * - re-signing with the same keys reproduces the issuer's bytes: for the
 *   Windows Server 2022 ticket that pins the ticket signature (a DER
 *   re-encoding of Windows' EncTicketPart) and the extended KDC signature.
 */

import { ErrorCode } from '@krbsim/core';
import {
  decodePac,
  encodePac,
  fileTimeToMillis,
  findPac,
  formatSid,
  getPacBuffer,
  hasTicketSignature,
  PacBufferType,
  PacError,
  signPac,
  signTicketPac,
  validationInfoSids,
  verifyPac,
  verifyTicketPac,
} from '@krbsim/pac';
import { describe, expect, it } from 'vitest';
import {
  hex,
  impacketPacs,
  mitCaptureTickets,
  mitKdcTickets,
  pacError,
  windowsPacs,
  windowsTickets,
} from './helpers';

const tickets = [...windowsTickets, ...mitCaptureTickets(), ...mitKdcTickets()];

describe('Windows PACs', () => {
  for (const f of windowsPacs) {
    it(`${f.name}: decodes, re-encodes to the same bytes, verifies`, () => {
      const pac = decodePac(f.pac);
      expect(hex(encodePac(pac))).toBe(hex(f.pac));
      const info = getPacBuffer(pac, PacBufferType.LOGON_INFO)!;
      expect(info.ndrForm).toBeUndefined();
      const client = getPacBuffer(pac, PacBufferType.CLIENT_INFO)!;
      expect(client.name).toBe(f.clientName);
      expect(fileTimeToMillis(client.clientId)).toBe(f.authtime * 1000);
      verifyPac(f.pac, { serverKey: f.serverKey, ...(f.kdcKey !== undefined && { kdcKey: f.kdcKey }) });
    });

    // Registered only with the KDC key: the 2008 PACs' was not published (see the count below).
    const kdcKey = f.kdcKey;
    if (kdcKey !== undefined) {
      it(`${f.name}: re-signing with the same keys gives the same bytes`, () => {
        const pac = decodePac(f.pac);
        const signed = signPac(pac, { serverKey: f.serverKey, kdcKey });
        expect(hex(signed.bytes)).toBe(hex(f.pac));
      });
    }
  }

  it('has the three PACs, the KDC key of one (Windows Server 2003)', () => {
    expect(windowsPacs.map((f) => [f.name, f.kdcKey !== undefined])).toEqual([
      ['w2003-saved-pac', true],
      ['w2008-s4u-regular', false],
      ['w2008-s4u-enterprise', false],
    ]);
  });

  it('reads what Windows Server 2003 wrote', () => {
    const pac = decodePac(windowsPacs[0]!.pac);
    const info = getPacBuffer(pac, PacBufferType.LOGON_INFO)!;
    expect(info.effectiveName).toBe('W2003FINAL$');
    expect(info.logonServer).toBe('W2003FINAL');
    expect(info.logonDomainName).toBe('WIN2K3THINK');
    expect(info.userId).toBe(1005);
    expect(info.primaryGroupId).toBe(516);
    expect(info.userAccountControl).toBe(0x2100);
    expect(validationInfoSids(info).map((s) => formatSid(s.sid))).toEqual([
      'S-1-5-21-3048156945-3961193616-3706469200-1005',
      'S-1-5-21-3048156945-3961193616-3706469200-516',
      'S-1-5-9',
    ]);
    // HMAC-MD5 signatures (RC4 keys).
    const server = getPacBuffer(pac, PacBufferType.SERVER_CHECKSUM)!;
    expect(server.signatureType).toBe(-138);
  });

  it('reads UPN_DNS_INFO as Windows Server 2008 wrote it', () => {
    const pac = decodePac(windowsPacs[1]!.pac);
    expect(getPacBuffer(pac, PacBufferType.UPN_DNS_INFO)).toEqual({
      upn: 'w2k8u@abc',
      dnsDomainName: 'ACME.COM',
      flags: 0,
    });
    // An AES server signature and an HMAC-MD5 KDC signature in one PAC.
    expect(getPacBuffer(pac, PacBufferType.SERVER_CHECKSUM)!.signatureType).toBe(16);
    expect(getPacBuffer(pac, PacBufferType.PRIVSVR_CHECKSUM)!.signatureType).toBe(-138);
  });

  it('reads the extended UPN_DNS_INFO, resource groups and extra SIDs as Windows Server 2022 wrote them', () => {
    const pac = decodePac(windowsTickets[0]!.pac);
    expect(pac.buffers.map((b) => b.type)).toEqual([1, 6, 7, 10, 12, 16, 19]);
    const upn = getPacBuffer(pac, PacBufferType.UPN_DNS_INFO)!;
    expect(upn).toMatchObject({
      upn: 'Administrator@w2022-l7.base',
      dnsDomainName: 'W2022-L7.BASE',
      flags: 3,
    });
    expect(upn.samName).toBe('Administrator');
    expect(formatSid(upn.sid!)).toBe('S-1-5-21-133451344-1126667713-3548050118-500');
    const info = getPacBuffer(pac, PacBufferType.LOGON_INFO)!;
    expect(info.userFlags).toBe(0x220); // LOGON_EXTRA_SIDS | LOGON_RESOURCE_GROUPS
    expect(validationInfoSids(info).map((s) => `${formatSid(s.sid)}:${s.attributes.toString(16)}`)).toEqual([
      'S-1-5-21-133451344-1126667713-3548050118-500:0',
      'S-1-5-21-133451344-1126667713-3548050118-513:7',
      'S-1-5-21-133451344-1126667713-3548050118-512:7',
      'S-1-5-21-133451344-1126667713-3548050118-520:7',
      'S-1-5-21-133451344-1126667713-3548050118-518:7',
      'S-1-5-21-133451344-1126667713-3548050118-519:7',
      'S-1-18-1:7',
      'S-1-5-21-133451344-1126667713-3548050118-572:20000007',
    ]);
  });
});

describe("Impacket's PACs (ticketer, Impacket 0.10.0)", () => {
  it('has a golden (aes256) and a silver (RC4) PAC', () => {
    expect(impacketPacs.map((f) => [f.name, f.serverKey.etype])).toEqual([
      ['impacket-golden-aes', 18],
      ['impacket-silver-rc4', 23],
    ]);
  });

  for (const f of impacketPacs) {
    it(`${f.name}: decodes with Impacket's fillers and padding recorded, re-encodes and re-signs to the same bytes`, () => {
      const pac = decodePac(f.pac);
      const info = getPacBuffer(pac, PacBufferType.LOGON_INFO)!;
      // 0xcccccccc in the private header, where MS-RPCE 2.2.6.2 writes 0 (and ignores on receipt),
      // and padding of 0xab (after strings' characters) and 0xee (after arrays').
      expect(info.ndrForm?.headerFillers).toEqual([0xcccccccc, 0xcccccccc]);
      expect(new Set(info.ndrForm?.padding?.flatMap((p) => [...p.bytes]))).toEqual(new Set([0xab, 0xee]));
      expect(info.effectiveName).toBe(f.clientName);
      expect(getPacBuffer(pac, PacBufferType.CLIENT_INFO)!.name).toBe(f.clientName);
      expect(hex(encodePac(pac))).toBe(hex(f.pac));
      const keys = { serverKey: f.serverKey, kdcKey: f.kdcKey! };
      verifyPac(f.pac, keys);
      expect(hex(signPac(pac, keys).bytes)).toBe(hex(f.pac));
      const step = Math.max(1, Math.floor(f.pac.length / 97));
      for (let i = 0; i < f.pac.length; i += step) {
        const bad = f.pac.slice();
        bad[i]! ^= 0x01;
        expect(() => verifyPac(bad, keys), `byte ${i}`).toThrow(PacError);
      }
    });
  }

  it('reads the user and groups ticketer was given', () => {
    const golden = getPacBuffer(decodePac(impacketPacs[0]!.pac), PacBufferType.LOGON_INFO)!;
    expect(validationInfoSids(golden).map((s) => formatSid(s.sid))).toEqual([
      'S-1-5-21-1-2-3-1105',
      'S-1-5-21-1-2-3-513',
      'S-1-5-21-1-2-3-512',
    ]);
    // Without -groups and -user-id: Administrator (500) in Domain Users, Domain Admins, Group Policy
    // Creator Owners, Schema Admins and Enterprise Admins.
    const silver = getPacBuffer(decodePac(impacketPacs[1]!.pac), PacBufferType.LOGON_INFO)!;
    expect(silver.userId).toBe(500);
    expect(silver.groupIds.map((g) => g.relativeId)).toEqual([513, 512, 520, 518, 519]);
  });
});

describe('PACs in tickets (Windows Server 2022, MIT krb5 1.20)', () => {
  it('has fixtures, every one with its KDC key', () => {
    // Windows Server 2022's ticket, the 13 tickets with a PAC of test/fixtures/mit, mit-kdc.json's 2.
    expect([windowsTickets.length, mitCaptureTickets().length, mitKdcTickets().length]).toEqual([1, 13, 2]);
    for (const t of tickets) expect(t.kdcKey, t.name).toBeDefined();
  });

  for (const t of tickets) {
    it(`${t.name}: decodes, re-encodes to the same bytes, verifies`, () => {
      const pac = decodePac(t.pac);
      expect(hex(encodePac(pac))).toBe(hex(t.pac));
      const service = hasTicketSignature(t.server);
      verifyTicketPac(
        t.encTicketPart,
        { serverKey: t.serverKey, ...(t.kdcKey !== undefined && { kdcKey: t.kdcKey }) },
        { server: t.server, requireExtendedKdcSignature: t.extendedKdcSignature },
      );
      const types = pac.buffers.map((b) => b.type);
      expect(types.includes(PacBufferType.TICKET_CHECKSUM)).toBe(service);
      expect(types.includes(PacBufferType.FULL_CHECKSUM)).toBe(service && t.extendedKdcSignature);
      // The client info names the ticket's client and authtime.
      const client = getPacBuffer(pac, PacBufferType.CLIENT_INFO)!;
      expect(fileTimeToMillis(client.clientId)).toBe(t.encTicketPart.authtime);
      expect(client.name.toLowerCase()).toBe(t.encTicketPart.cname.nameString.join('/').toLowerCase());
    });

    it(`${t.name}: re-signing the ticket reproduces the issuer's PAC`, () => {
      const kdcKey = t.kdcKey!; // every ticket has one (checked above)
      const pac = decodePac(t.pac);
      const signed = signTicketPac(
        t.encTicketPart,
        pac,
        { serverKey: t.serverKey, kdcKey },
        { server: t.server, extendedKdcSignature: t.extendedKdcSignature },
      );
      expect(hex(signed.bytes)).toBe(hex(t.pac));
      expect(signed.encTicketPart).toEqual(t.encTicketPart);
    });

    it(`${t.name}: any changed byte is caught`, () => {
      const keys = { serverKey: t.serverKey, kdcKey: t.kdcKey! }; // every ticket has one (checked above)
      const service = hasTicketSignature(t.server);
      const loc = findPac(t.encTicketPart.authorizationData)!;
      const step = Math.max(1, Math.floor(t.pac.length / 97));
      for (let i = 0; i < t.pac.length; i += step) {
        const bad = t.pac.slice();
        bad[i]! ^= 0x01;
        try {
          verifyPac(bad, keys, {
            ...(service && { ticket: t.encTicketPart }),
            requireExtendedKdcSignature: service && t.extendedKdcSignature,
          });
        } catch (e) {
          expect(e).toBeInstanceOf(PacError);
          continue;
        }
        throw new Error(`flipping byte ${i} of ${loc.pac.length} went unnoticed`);
      }
    });
  }

  it('catches a changed ticket through the ticket signature (the Bronze Bit, CVE-2020-17049)', () => {
    const t = windowsTickets[0]!;
    const forwardable = { ...t.encTicketPart, flags: t.encTicketPart.flags | 0x40000000 };
    expect(forwardable.flags).not.toBe(t.encTicketPart.flags);
    pacError(
      () => verifyTicketPac(forwardable, { serverKey: t.serverKey, kdcKey: t.kdcKey! }, { server: t.server }),
      { code: ErrorCode.KRB_AP_ERR_MODIFIED, signature: 'ticket' },
    );
    // Without the KDC key a service cannot tell (only the KDC can check the ticket signature).
    expect(verifyTicketPac(forwardable, { serverKey: t.serverKey }, { server: t.server })).toBeDefined();
  });
});
