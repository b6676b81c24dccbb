/**
 * What the server agrees to with a client: encryption (MS-TDS section
 * 2.2.6.5's table), the TDS version (LOGINACK answers the client's, up to
 * 7.4) and the packet size (LOGIN7's, within 512 to 32767, 16383 in TLS).
 *
 * @module
 */

import { TdsVersion } from './iana/login7';
import { Encryption } from './iana/prelogin';
import { DEFAULT_PACKET_SIZE, MAX_PACKET_SIZE, MIN_PACKET_SIZE } from './packet';
import type { TdsServerEncryption } from './server';

/** How much of a session travels in TLS. */
export type EncryptionMode = 'none' | 'login-only' | 'full';

/**
 * The server's ENCRYPTION answer and what follows, by its setting and the
 * client's offer (section 2.2.6.5; the table in `server.ts`).
 *
 * ENCRYPT_CLIENT_CERT (the 0x80 bit) asks to authenticate with a client
 * certificate, inside TLS. Section 2.2.6.5's table answers it as the value
 * it is set on, the bit left out, but for TLS it cannot do without: a server
 * with encryption answers ENCRYPT_CLIENT_CERT with ENCRYPT_NOT_SUP by
 * ENCRYPT_REQ and ends the connection, and a server without encryption
 * answers ENCRYPT_NOT_SUP, as it answers any offer, and ends it. (The
 * table's row for ENCRYPT_NOT_SUP with the bit has ENCRYPT_REQ in that
 * column too; both answers end the connection, and this server, which has
 * no TLS, says so.) This emulator authenticates no certificate: a login
 * that goes on is refused at its LOGIN7, naming what was asked
 * (`connection.ts`).
 */
export function negotiateEncryption(
  server: TdsServerEncryption,
  offered: number,
): { answer: number; mode: EncryptionMode | 'refuse' } {
  const o = offered & ~Encryption.CLIENT_CERT;
  const wantsTls = o === Encryption.ON || o === Encryption.REQ;
  if ((offered & Encryption.CLIENT_CERT) !== 0) {
    if (server === 'not-supported') return { answer: Encryption.NOT_SUP, mode: 'refuse' };
    if (o === Encryption.NOT_SUP) return { answer: Encryption.REQ, mode: 'refuse' };
  }
  if (server === 'not-supported') return { answer: Encryption.NOT_SUP, mode: wantsTls ? 'refuse' : 'none' };
  // TDS 8.0 only: a TDS 7.x connection is closed before its PRELOGIN is read (connection.ts).
  if (server === 'strict') return { answer: Encryption.REQ, mode: 'refuse' };
  if (server === 'required') {
    if (o === Encryption.NOT_SUP) return { answer: Encryption.REQ, mode: 'refuse' };
    return { answer: o === Encryption.OFF ? Encryption.REQ : Encryption.ON, mode: 'full' };
  }
  if (o === Encryption.OFF) return { answer: Encryption.OFF, mode: 'login-only' };
  if (o === Encryption.NOT_SUP) return { answer: Encryption.NOT_SUP, mode: 'none' };
  return { answer: Encryption.ON, mode: 'full' };
}

/**
 * The TDS version the server answers a client's LOGIN7 with: the client's, up to 7.4, never above it
 * (7.1 before its revision stays so); a byte-swapped 7.1 (0x07010000) is 7.1. A TDS 8.0 client's
 * 0x08000000 is above 7.4 (MS-TDS 1.7: a TDS 8.0 session keeps 7.4's forms).
 */
export function negotiateTdsVersion(client: number): number {
  if (client >>> 24 === 0x08) return TdsVersion.V7_4;
  const known = [
    TdsVersion.V7_4,
    TdsVersion.V7_3B,
    TdsVersion.V7_3A,
    TdsVersion.V7_2,
    TdsVersion.V7_1,
    TdsVersion.V7_1_REV0,
  ];
  return known.find((v) => client >= v) ?? TdsVersion.V7_1;
}

/**
 * Whether a TDS version, as LOGIN7 or LOGINACK carries it, has TDS 7.2's forms or later (LOGIN7's
 * 94-byte header, ALL_HEADERS, 8-byte row counts, 4-byte line numbers). TDS 8.0's 0x08000000
 * has them (MS-TDS 1.7: 7.4's forms), though as a number it is below every 7.x.
 */
export function hasTds72Forms(version: number): boolean {
  return version >>> 24 === 0x08 || version >= TdsVersion.V7_2;
}

/** The largest packet size a session in TLS takes: SQL Server's limit for encrypted connections. */
const MAX_ENCRYPTED_PACKET_SIZE = 16383;

/**
 * LOGIN7's PacketSize within what a server allows: 0 asks for the default; at most 32767, and at
 * most {@link MAX_ENCRYPTED_PACKET_SIZE} when the whole session travels in TLS (SQL Server's
 * network packet size option: "encrypted connections" take 16,383 bytes at most, and Microsoft's
 * JDBC driver refuses a larger size under encryption).
 */
export function clampPacketSize(n: number, encrypted = false): number {
  if (n === 0) return DEFAULT_PACKET_SIZE;
  const max = encrypted ? MAX_ENCRYPTED_PACKET_SIZE : MAX_PACKET_SIZE;
  return Math.min(max, Math.max(MIN_PACKET_SIZE, n));
}
