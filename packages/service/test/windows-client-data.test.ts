/**
 * What a Windows client tells a service of itself (MS-KILE 3.2.5.8) and the service's reading of
 * it (MS-KILE 3.4.5.3): the krbsim client's `windows` option puts the token restrictions, KERB-LOCAL
 * and the client target in the authenticator; the acceptor reads them back, decides from the
 * machine IDs whether the login is local, and refuses what does not decode.
 */

import {
  AdType,
  type AuthorizationData,
  decodeApReq,
  decodeAuthenticator,
  decodeAuthorizationData,
  decodeNegotiationToken,
  encodeAuthorizationData,
  encodeKerbAdRestrictions,
  TokenIntegrityFlags,
  TokenIntegrityLevel,
  unwrapGssToken,
} from '@krbsim/asn1';
import { ErrorCode, isKerberosError } from '@krbsim/core';
import { decrypt, KeyUsage } from '@krbsim/crypto';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { readWindowsClientData } from '../src/windows-client-data';
import { Lab, REALM, thrown } from './helpers';

const PC = Uint8Array.from({ length: 32 }, (_, i) => i + 1);
const OTHER = Uint8Array.from({ length: 32 }, (_, i) => 0xff - i);
const PC_DISK = Uint8Array.from({ length: 32 }, (_, i) => 0x40 + i);
const LOOPBACK = Uint8Array.from({ length: 16 }, (_, i) => 0x80 + i);

const windows = (crossBootMachineId?: Uint8Array) => ({
  tokenIntegrity: {
    flags: TokenIntegrityFlags.UAC_RESTRICTED,
    tokenIL: TokenIntegrityLevel.MEDIUM,
    machineId: PC,
    ...(crossBootMachineId !== undefined && { crossBootMachineId }),
  },
  loopback: LOOPBACK,
});

/** The authorization data of the authenticator in a SPNEGO token, decrypted as the service would. */
function authenticatorAd(token: Uint8Array, sessionKey: { etype: number; bytes: Uint8Array }) {
  const init = decodeNegotiationToken(token);
  if (!('negTokenInit' in init)) throw new Error('not a NegTokenInit');
  const apReq = decodeApReq(unwrapGssToken(init.negTokenInit.mechToken!).innerToken.subarray(2));
  return decodeAuthenticator(decrypt(sessionKey, KeyUsage.AP_REQ_AUTH, apReq.authenticator.cipher))
    .authorizationData;
}

describe("a Windows client's authenticator", () => {
  it('carries the token restrictions, KERB-LOCAL, the AP options and the client target in one AD-IF-RELEVANT, in type order', () => {
    const lab = new Lab();
    const cred = lab.credential();
    const { token } = lab.client.buildApReq(cred, {
      gss: 'spnego',
      windows: windows(),
      clientAwareChannelBindings: true,
      etypeNegotiation: false,
    });
    const ad = authenticatorAd(token, cred.sessionKey)!;
    expect(ad.map((e) => e.adType)).toEqual([AdType.AD_IF_RELEVANT]);
    const inner = decodeAuthorizationData(ad[0]!.adData);
    expect(inner.map((e) => e.adType)).toEqual([141, 142, 143, 144]);
    expect(Buffer.from(inner[1]!.adData)).toEqual(Buffer.from(LOOPBACK));
    // The target is the ticket's server with its realm, UTF-16LE.
    expect(Buffer.from(inner[3]!.adData).toString('utf16le')).toBe(`HTTP/web.contoso.com@${REALM}`);
  });

  it('none of it goes with a krbtgt ticket, nor without the option', () => {
    const lab = new Lab();
    const tgt = lab.credential({
      server: { realm: REALM, name: { nameType: 2, nameString: ['krbtgt', REALM] } },
    });
    const toTgt = lab.client.buildApReq(tgt, { gss: 'spnego', windows: windows(), etypeNegotiation: false });
    expect(authenticatorAd(toTgt.token, tgt.sessionKey)).toBeUndefined();
    const cred = lab.credential();
    const plain = lab.client.buildApReq(cred, { gss: 'spnego', etypeNegotiation: false });
    expect(authenticatorAd(plain.token, cred.sessionKey)).toBeUndefined();
  });
});

describe("the service's reading of it (AcceptResult.windows)", () => {
  it('gives what the client sent; local when the PerBootMachineIDs match', () => {
    const lab = new Lab();
    const { token } = lab.client.buildApReq(lab.credential(), { gss: 'spnego', windows: windows() });
    const here = lab.service({ machineId: PC }).accept(token);
    expect(here.windows).toEqual({
      tokenIntegrity: { flags: 1, tokenIL: 0x2000, machineId: PC },
      loopback: LOOPBACK,
      clientTarget: `HTTP/web.contoso.com@${REALM}`,
      local: true,
    });
    const { token: again } = lab.client.buildApReq(lab.credential(), { gss: 'spnego', windows: windows() });
    expect(lab.service({ machineId: OTHER }).accept(again).windows?.local).toBe(false);
    const { token: third } = lab.client.buildApReq(lab.credential(), { gss: 'spnego', windows: windows() });
    expect(lab.service().accept(third).windows?.local).toBe(false);
  });

  it("reads the ticket's containers after the authenticator's: KERB-LOCAL a KDC copied from the TGS-REQ", () => {
    const lab = new Lab();
    const inTicket = Uint8Array.from({ length: 16 }, (_, i) => 0x10 + i);
    const local = (data: Uint8Array) => ({
      adType: AdType.AD_IF_RELEVANT,
      adData: encodeAuthorizationData([{ adType: AdType.KERB_LOCAL, adData: data }]).slice(),
    });
    const cred = () =>
      lab.credential({
        editTicket: (p) => ({ ...p, authorizationData: [...(p.authorizationData ?? []), local(inTicket)] }),
      });
    const fromTicket = lab.service().accept(lab.client.buildApReq(cred(), { gss: 'spnego' }).token).windows;
    expect(fromTicket).toEqual({
      tokenIntegrity: undefined,
      loopback: inTicket,
      clientTarget: undefined,
      local: false,
    });
    // The authenticator's own comes first.
    const both = lab
      .service()
      .accept(lab.client.buildApReq(cred(), { gss: 'spnego', windows: windows() }).token);
    expect(both.windows?.loopback).toEqual(LOOPBACK);
  });

  it('is undefined for a client that sends none of it (MIT, Heimdal)', () => {
    const lab = new Lab();
    const { token } = lab.client.buildApReq(lab.credential(), {
      gss: 'spnego',
      clientAwareChannelBindings: true,
    });
    expect(lab.service({ machineId: PC }).accept(token).windows).toBeUndefined();
  });

  it('with CrossBootMachineIDs: another machine is ignored, another start of this one refused', () => {
    const lab = new Lab();
    const accept = (
      client: ReturnType<typeof windows>,
      machine: { machineId: Uint8Array; crossBootMachineId: Uint8Array },
    ) =>
      lab
        .service(machine)
        .accept(lab.client.buildApReq(lab.credential(), { gss: 'spnego', windows: client }).token);
    expect(accept(windows(PC_DISK), { machineId: PC, crossBootMachineId: PC_DISK }).windows?.local).toBe(
      true,
    );
    // Another machine that happens to share the per-boot ID: its disk ID tells it apart.
    expect(accept(windows(PC_DISK), { machineId: PC, crossBootMachineId: OTHER }).windows?.local).toBe(false);
    // This machine, but a token from before it last started.
    const e = thrown(() => accept(windows(PC_DISK), { machineId: OTHER, crossBootMachineId: PC_DISK }));
    expect(e.code).toBe(ErrorCode.KRB_AP_ERR_MODIFIED);
    expect(e.message).toMatch(/PerBootMachineID is another start's/);
    // A client without a CrossBootMachineID: the per-boot IDs alone decide.
    expect(accept(windows(), { machineId: PC, crossBootMachineId: PC_DISK }).windows?.local).toBe(true);
  });

  it('refuses machine IDs that are not 32 bytes', () => {
    const lab = new Lab();
    expect(() => lab.service({ machineId: new Uint8Array(16) })).toThrow(/machineId must be 32 bytes/);
    expect(() => lab.service({ crossBootMachineId: new Uint8Array(33) })).toThrow(
      /crossBootMachineId must be 32 bytes/,
    );
  });
});

describe('readWindowsClientData', () => {
  const ifRelevant = (...elements: AuthorizationData) => ({
    adType: AdType.AD_IF_RELEVANT,
    adData: encodeAuthorizationData(elements).slice(),
  });

  it('searches every AD-IF-RELEVANT (MS-KILE 3.4.5.3), the first of each element counting', () => {
    const r = readWindowsClientData(
      [
        ifRelevant({ adType: AdType.AD_ETYPE_NEGOTIATION, adData: Uint8Array.of(0x30, 0) }),
        ifRelevant(
          { adType: AdType.KERB_LOCAL, adData: Uint8Array.of(1) },
          { adType: AdType.KERB_LOCAL, adData: Uint8Array.of(2) },
        ),
      ],
      {},
    );
    expect(r).toEqual({
      tokenIntegrity: undefined,
      loopback: Uint8Array.of(1),
      clientTarget: undefined,
      local: false,
    });
  });

  it('reads no restriction of a type MS-KILE does not define', () => {
    const adData = encodeKerbAdRestrictions([
      { restrictionType: 7, restriction: Uint8Array.of(1, 2) },
    ]).slice();
    expect(
      readWindowsClientData([ifRelevant({ adType: AdType.KERB_AUTH_DATA_TOKEN_RESTRICTIONS, adData })], {
        machineId: PC,
      }),
    ).toEqual({
      tokenIntegrity: undefined,
      loopback: undefined,
      clientTarget: undefined,
      local: false,
    });
  });

  it('any authorization data: a reading or a KerberosError, never another exception', () => {
    const element = fc.record({
      adType: fc.oneof(fc.constantFrom(141, 142, 143, 144, 1), fc.integer({ min: -5, max: 600 })),
      adData: fc.oneof(
        fc.uint8Array({ maxLength: 96 }),
        // Token restrictions that decode, with any restriction bytes (some of LSAP_TOKEN_INFO_INTEGRITY's sizes).
        fc
          .tuple(
            fc.integer({ min: -2, max: 2 }),
            fc.constantFrom(0, 39, 40, 41, 72),
            fc.uint8Array({ maxLength: 80 }),
          )
          .map(([restrictionType, n, fill]) =>
            encodeKerbAdRestrictions([
              {
                restrictionType,
                restriction: Uint8Array.from({ length: n }, (_, i) => fill[i % (fill.length || 1)] ?? 0),
              },
            ]).slice(),
          ),
      ),
    });
    const machine = { machineId: PC, crossBootMachineId: PC_DISK };
    fc.assert(
      fc.property(fc.array(fc.array(element, { maxLength: 5 }), { maxLength: 3 }), (containers) => {
        const ad = containers.map((elements) => ifRelevant(...elements));
        try {
          const r = readWindowsClientData(ad, machine);
          if (r !== undefined) expect(typeof r.local).toBe('boolean');
        } catch (e) {
          expect(isKerberosError(e)).toBe(true);
        }
      }),
      { numRuns: 500 },
    );
  });

  it('refuses token restrictions or a client target that do not decode, with KRB_ERR_GENERIC naming them', () => {
    const cases: [number, Uint8Array, RegExp][] = [
      [
        AdType.KERB_AUTH_DATA_TOKEN_RESTRICTIONS,
        Uint8Array.of(0x04, 0x00),
        /KERB_AUTH_DATA_TOKEN_RESTRICTIONS does not decode/,
      ],
      [
        AdType.KERB_AUTH_DATA_TOKEN_RESTRICTIONS,
        encodeKerbAdRestrictions([{ restrictionType: 0, restriction: new Uint8Array(39) }]).slice(),
        /LSAP_TOKEN_INFO_INTEGRITY: 39 bytes/,
      ],
      [
        AdType.KERB_AUTH_DATA_CLIENT_TARGET,
        Uint8Array.of(0x41),
        /KERB_AUTH_DATA_CLIENT_TARGET does not decode/,
      ],
    ];
    for (const [adType, adData, message] of cases) {
      const e = thrown(() => readWindowsClientData([ifRelevant({ adType, adData })], {}));
      expect(e.code).toBe(ErrorCode.KRB_ERR_GENERIC);
      expect(e.message).toMatch(message);
    }
  });
});
