/**
 * Shared test material: hex helpers, the PAC fixtures (test/fixtures/pac and
 * the MIT krb5 messages of test/fixtures/mit), sample values, and an
 * assertion for PacError codes and paths.
 */

import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import {
  decodeEncTicketPart,
  decodeMessage,
  decodeTicket,
  type EncTicketPart,
  type PrincipalName,
  parsePrincipal,
} from '@krbsim/asn1';
import { KerberosError } from '@krbsim/core';
import { decrypt, type Key, KeyUsage } from '@krbsim/crypto';
import {
  createKerbValidationInfo,
  createPacAttributesInfo,
  createPacClientInfo,
  createUpnDnsInfo,
  type KerbValidationInfo,
  type Pac,
  PacAttributesFlags,
  PacBufferType,
  PacError,
  parseSid,
  SE_GROUP_DEFAULT,
  SeGroupAttributes,
  unwrapPac,
  WellKnownRid,
  WellKnownSid,
} from '@krbsim/pac';
import { expect } from 'vitest';

export const hex = (b: Uint8Array): string =>
  Buffer.from(b.buffer, b.byteOffset, b.byteLength).toString('hex');
export const unhex = (s: string): Uint8Array => Uint8Array.from(Buffer.from(s, 'hex'));

/** Runs `f`, expects a PacError, checks `code`/`path`/`signature` when given, returns it. */
export function pacError(
  f: () => unknown,
  want: { code?: number; path?: string | RegExp; signature?: string; message?: RegExp } = {},
): PacError {
  let err: unknown;
  try {
    f();
  } catch (e) {
    err = e;
  }
  if (err === undefined) throw new Error('expected a PacError, nothing was thrown');
  expect(err).toBeInstanceOf(PacError);
  const e = err as PacError;
  if (want.code !== undefined) expect(e.code, e.message).toBe(want.code);
  if (want.path !== undefined) {
    if (typeof want.path === 'string') expect(e.path, e.message).toBe(want.path);
    else expect(e.path, e.message).toMatch(want.path);
  }
  if (want.signature !== undefined) expect(e.signature, e.message).toBe(want.signature);
  if (want.message !== undefined) expect(e.message).toMatch(want.message);
  return e;
}

/** Runs `f` and returns the KerberosError it throws. */
export function kerberosError(f: () => unknown): KerberosError {
  try {
    f();
  } catch (e) {
    expect(e).toBeInstanceOf(KerberosError);
    return e as KerberosError;
  }
  throw new Error('expected a KerberosError, nothing was thrown');
}

// --- fixtures ---------------------------------------------------------------

const fixturesDir = fileURLToPath(new URL('../../../test/fixtures/', import.meta.url));

interface FixtureKey {
  readonly etype: number;
  readonly hex: string;
}

const keyOf = (k: FixtureKey): Key => ({ etype: k.etype, bytes: unhex(k.hex) });

/** A PAC from test/fixtures/pac/windows.json or impacket.json. */
export interface PacFixture {
  readonly name: string;
  readonly pac: Uint8Array;
  readonly serverKey: Key;
  readonly kdcKey?: Key;
  readonly authtime: number;
  readonly clientName: string;
}

/** A ticket (and the PAC in it) from a fixture file, decrypted. */
export interface TicketFixture {
  readonly name: string;
  readonly encTicketPart: EncTicketPart;
  readonly pac: Uint8Array;
  readonly server: PrincipalName;
  readonly serverKey: Key;
  readonly kdcKey?: Key;
  /** Whether the issuing KDC writes the extended KDC signature. */
  readonly extendedKdcSignature: boolean;
}

function ticketFixture(
  name: string,
  ticketDer: Uint8Array,
  serverKey: Key,
  kdcKey: Key | undefined,
  extendedKdcSignature: boolean,
): TicketFixture {
  const ticket = decodeTicket(ticketDer);
  const encTicketPart = decodeEncTicketPart(
    decrypt(serverKey, KeyUsage.KDC_REP_TICKET, ticket.encPart.cipher),
  );
  const pac = unwrapPac(encTicketPart.authorizationData);
  if (pac === undefined) throw new Error(`${name}: no PAC`);
  return {
    name,
    encTicketPart,
    pac,
    server: ticket.sname,
    serverKey,
    ...(kdcKey !== undefined && { kdcKey }),
    extendedKdcSignature,
  };
}

const windows = JSON.parse(readFileSync(`${fixturesDir}pac/windows.json`, 'utf8'));

/** The PACs of a fixture file's `pacs` list. */
function pacFixtures(file: { pacs: unknown[] }): PacFixture[] {
  return file.pacs.map((p: unknown): PacFixture => {
    const f = p as {
      name: string;
      pac: string;
      serverKey: FixtureKey;
      kdcKey?: FixtureKey;
      authtime: number;
      clientName: string;
    };
    return {
      name: f.name,
      pac: unhex(f.pac),
      serverKey: keyOf(f.serverKey),
      ...(f.kdcKey !== undefined && { kdcKey: keyOf(f.kdcKey) }),
      authtime: f.authtime,
      clientName: f.clientName,
    };
  });
}

/** The Windows PACs (MIT t_pac.c): Windows Server 2003 and 2008. */
export const windowsPacs: readonly PacFixture[] = pacFixtures(windows);

/** The PACs Impacket 0.10.0's ticketer wrote (test/fixtures/pac/impacket.json). */
export const impacketPacs: readonly PacFixture[] = pacFixtures(
  JSON.parse(readFileSync(`${fixturesDir}pac/impacket.json`, 'utf8')),
);

/** The Windows Server 2022 service ticket (MIT t_pac.c), decrypted. */
export const windowsTickets: readonly TicketFixture[] = windows.tickets.map(
  (t: { name: string; ticket: string; serverKey: FixtureKey; kdcKey: FixtureKey }) =>
    ticketFixture(t.name, unhex(t.ticket), keyOf(t.serverKey), keyOf(t.kdcKey), true),
);

/**
 * Every ticket in MIT krb5 1.20's captured messages (test/fixtures/mit),
 * decrypted with the keys captured beside them: TGTs, service tickets and
 * a cross-realm TGT, all with MIT-issued PACs.
 */
export function mitCaptureTickets(): TicketFixture[] {
  const dir = `${fixturesDir}mit/`;
  const messages = JSON.parse(readFileSync(`${dir}messages.json`, 'utf8'));
  const keys = JSON.parse(readFileSync(`${dir}keys.json`, 'utf8'));
  const keyFor = (principal: string, etype: number): Key | undefined => {
    const e = (keys[principal] as FixtureKey[] | undefined)?.find((k) => k.etype === etype);
    return e === undefined ? undefined : keyOf(e);
  };
  const out: TicketFixture[] = [];
  for (const m of messages) {
    for (const d of m.decrypt ?? []) {
      if (d.part !== 'ticket.enc-part' && d.part !== 'tickets[0].enc-part') continue;
      const msg = decodeMessage(unhex(m.hex)).value as unknown as Record<string, unknown>;
      const ticket = (d.part === 'ticket.enc-part' ? msg.ticket : (msg.tickets as unknown[])[0]) as {
        realm: string;
        sname: PrincipalName;
        encPart: { etype: number; cipher: Uint8Array };
      };
      const serverKey = keyFor(d.key, d.etype)!;
      const encTicketPart = decodeEncTicketPart(
        decrypt(serverKey, KeyUsage.KDC_REP_TICKET, ticket.encPart.cipher),
      );
      const pac = unwrapPac(encTicketPart.authorizationData);
      if (pac === undefined) continue;
      // The PAC's KDC signature is made with the issuing realm's krbtgt key.
      const issuer = d.key === 'HTTP/web.beta.test@BETA.TEST' ? 'BETA.TEST' : 'ALPHA.TEST';
      const kdcKey = keyFor(`krbtgt/${issuer}@${issuer}`, 18);
      out.push({
        name: `mit ${m.name} (${d.key})`,
        encTicketPart,
        pac,
        server: ticket.sname,
        serverKey,
        ...(kdcKey !== undefined && { kdcKey }),
        extendedKdcSignature: false,
      });
    }
  }
  return out;
}

/** Tickets a live MIT krb5kdc issued (test/fixtures/pac/mit-kdc.json, written by test/interop/pac-mit.test.ts). */
export function mitKdcTickets(): TicketFixture[] {
  const path = `${fixturesDir}pac/mit-kdc.json`;
  const f = JSON.parse(readFileSync(path, 'utf8'));
  return f.tickets.map((t: { name: string; ticket: string; serverKey: FixtureKey; kdcKey: FixtureKey }) =>
    ticketFixture(`mit-kdc ${t.name}`, unhex(t.ticket), keyOf(t.serverKey), keyOf(t.kdcKey), false),
  );
}

// --- sample values ----------------------------------------------------------

export const CONTOSO_SID = parseSid('S-1-5-21-3623811015-3361044348-30300820');
export const FABRIKAM_SID = parseSid('S-1-5-21-1004336348-1177238915-682003330');

/** A KERB_VALIDATION_INFO with every kind of field filled: groups, extra SIDs, resource groups. */
export const aliceLogonInfo: KerbValidationInfo = createKerbValidationInfo({
  logonTime: 133500000000000000n,
  passwordLastSet: 133400000000000000n,
  passwordCanChange: 133400864000000000n,
  effectiveName: 'alice',
  fullName: 'Alice Liddell',
  logonScript: 'logon.cmd',
  profilePath: '\\\\fs1\\profiles\\alice',
  homeDirectory: '\\\\fs1\\home\\alice',
  homeDirectoryDrive: 'H:',
  logonCount: 42,
  badPasswordCount: 1,
  userId: 1104,
  primaryGroupId: WellKnownRid.DOMAIN_USERS,
  groupIds: [
    { relativeId: WellKnownRid.DOMAIN_USERS, attributes: SE_GROUP_DEFAULT },
    { relativeId: 1105, attributes: SE_GROUP_DEFAULT },
    { relativeId: 1106, attributes: SE_GROUP_DEFAULT },
    { relativeId: WellKnownRid.DOMAIN_ADMINS, attributes: SE_GROUP_DEFAULT },
  ],
  logonServer: 'DC01',
  logonDomainName: 'CONTOSO',
  logonDomainId: CONTOSO_SID,
  extraSids: [
    { sid: parseSid(WellKnownSid.AUTHENTICATION_AUTHORITY_ASSERTED_IDENTITY), attributes: SE_GROUP_DEFAULT },
    { sid: parseSid(`${'S-1-5-21-1004336348-1177238915-682003330'}-2201`), attributes: SE_GROUP_DEFAULT },
  ],
  resourceGroupDomainSid: FABRIKAM_SID,
  resourceGroupIds: [{ relativeId: 3001, attributes: SE_GROUP_DEFAULT | SeGroupAttributes.RESOURCE }],
});

/** A TGT-style PAC for alice@CONTOSO.COM, unsigned: every buffer type Windows puts in a TGT. */
export function alicePac(authtime = Date.UTC(2024, 0, 2, 3, 4, 5)): Pac {
  return {
    buffers: [
      { type: PacBufferType.LOGON_INFO, value: aliceLogonInfo },
      { type: PacBufferType.CLIENT_INFO, value: createPacClientInfo('alice', authtime) },
      {
        type: PacBufferType.UPN_DNS_INFO,
        value: createUpnDnsInfo({
          upn: 'alice@contoso.com',
          dnsDomainName: 'CONTOSO.COM',
          samName: 'alice',
          sid: { ...CONTOSO_SID, subAuthority: [...CONTOSO_SID.subAuthority, 1104] },
        }),
      },
      {
        type: PacBufferType.ATTRIBUTES_INFO,
        value: createPacAttributesInfo(PacAttributesFlags.PAC_WAS_REQUESTED),
      },
      {
        type: PacBufferType.REQUESTOR,
        value: { sid: { ...CONTOSO_SID, subAuthority: [...CONTOSO_SID.subAuthority, 1104] } },
      },
    ],
  };
}

/** An EncTicketPart for alice's ticket to `server`, without authorization data. */
export function aliceEncTicketPart(authtime = Date.UTC(2024, 0, 2, 3, 4, 5)): EncTicketPart {
  return {
    flags: 0x00a10000, // renewable, initial, pre-authent: not forwardable
    key: { keytype: 18, keyvalue: unhex('00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff') },
    crealm: 'CONTOSO.COM',
    cname: { nameType: 1, nameString: ['alice'] },
    transited: { trType: 1, contents: new Uint8Array(0) },
    authtime,
    endtime: authtime + 10 * 3600_000,
    renewTill: authtime + 7 * 86400_000,
  };
}

export const principal = (text: string): PrincipalName => parsePrincipal(text).name;
