/**
 * `parsePac`, as MIT's `krb5_pac_parse`: the directory is checked at once,
 * every buffer is kept as bytes, `getPacBuffer` decodes the one asked for
 * (with the PacError `decodePac` would throw, path included), and encoding
 * or signing writes the buffers back as they are. `verifyPac` returns such
 * a PAC.
 */

import { inspect } from 'node:util';
import { ErrorCode, SeededRandom } from '@krbsim/core';
import { generateKey } from '@krbsim/crypto';
import { decodePac, encodePac, getPacBuffer, PacBufferType, parsePac, signPac, verifyPac } from '@krbsim/pac';
import { describe, expect, it } from 'vitest';
import { alicePac, hex, mitCaptureTickets, pacError, windowsPacs } from './helpers';

const random = new SeededRandom('pac-parse');
const keys = { serverKey: generateKey(18, { random }), kdcKey: generateKey(18, { random }) };

/** A PAC signed with `keys` whose logon info buffer (the first) does not decode: its GroupCount is out of range. */
function withBadLogonInfo(): Uint8Array {
  const info = getPacBuffer(alicePac(), PacBufferType.LOGON_INFO)!;
  const one = encodePac({ buffers: [{ type: 1, value: info }] });
  const two = encodePac({
    buffers: [
      { type: 1, value: { ...info, groupIds: [...info.groupIds, { relativeId: 9, attributes: 7 }] } },
    ],
  });
  // GroupCount: the first byte after the directory (24 B) and the serialization headers (16 B) that the count changes.
  let at = 24 + 16;
  while (one[at] === two[at]) at++;
  const logon = one.slice(24);
  logon[at - 24] = 0xff;
  const rest = alicePac().buffers.filter((b) => b.type !== PacBufferType.LOGON_INFO);
  return signPac({ buffers: [{ type: PacBufferType.LOGON_INFO, data: logon }, ...rest] }, keys).bytes;
}

describe('parsePac', () => {
  it('checks the directory as decodePac does', () => {
    const bad = encodePac(alicePac()).slice();
    bad[4] = 1; // Version
    pacError(() => parsePac(bad), { path: 'PACTYPE.Version' });
    pacError(() => decodePac(bad), { path: 'PACTYPE.Version' });
    pacError(() => parsePac(bad.subarray(0, 7)), { path: 'PACTYPE' });
  });

  it('keeps every buffer as bytes, which getPacBuffer decodes to what decodePac gives', () => {
    for (const bytes of [signPac(alicePac(), keys).bytes, ...windowsPacs.map((f) => f.pac)]) {
      const parsed = parsePac(bytes);
      const decoded = decodePac(bytes);
      expect(parsed.buffers.every((b) => 'data' in b)).toBe(true);
      expect(parsed.buffers.map((b) => b.type)).toEqual(decoded.buffers.map((b) => b.type));
      for (const b of decoded.buffers) {
        if (!('value' in b)) continue;
        expect(getPacBuffer(parsed, b.type)).toEqual(b.value);
      }
      expect(hex(encodePac(parsed))).toBe(hex(bytes));
    }
  });

  it("works on MIT's PACs too (the MIT capture fixtures)", () => {
    const tickets = mitCaptureTickets();
    expect(tickets.length).toBeGreaterThan(0);
    for (const t of tickets) expect(hex(encodePac(parsePac(t.pac)))).toBe(hex(t.pac));
  });

  it("keeps no copy: each buffer's bytes are a view into the input", () => {
    const bytes = signPac(alicePac(), keys).bytes.slice();
    const pac = parsePac(bytes);
    for (const b of pac.buffers) expect('data' in b && b.data.buffer).toBe(bytes.buffer);
    const client = pac.buffers.find((b) => b.type === PacBufferType.CLIENT_INFO)!;
    const at = 'data' in client ? client.data.byteOffset - bytes.byteOffset : -1;
    bytes[at + 10] = 0x62; // the first letter of the name: alice -> blice
    expect(getPacBuffer(pac, PacBufferType.CLIENT_INFO)?.name).toBe('blice');
  });

  it('a buffer copied as { type, data } writes the same bytes; a spread, which drops the data getter, is refused', () => {
    const bytes = signPac(alicePac(), keys).bytes;
    const pac = parsePac(bytes);
    const copied = pac.buffers.map((b) => ({
      type: b.type,
      data: 'data' in b ? b.data.slice() : new Uint8Array(),
    }));
    expect(hex(encodePac({ buffers: copied }))).toBe(hex(bytes));
    pacError(() => encodePac({ buffers: pac.buffers.map((b) => ({ ...b })) }), {
      path: 'PACTYPE.Buffers[0]',
      message: /needs a value or data/,
    });
  });

  it('a parsed buffer prints as { type, data }', () => {
    const pac = parsePac(signPac(alicePac(), keys).bytes);
    const b = pac.buffers[0]!;
    expect(inspect(b)).toBe(inspect({ type: b.type, data: 'data' in b ? b.data : undefined }));
  });

  it("a buffer that does not decode throws when asked for, with decodePac's path", () => {
    const bytes = withBadLogonInfo();
    const eager = pacError(() => decodePac(bytes), { code: ErrorCode.KRB_ERR_GENERIC });
    expect(eager.path).toMatch(/^PACTYPE\.Buffers\[0\]\.KERB_VALIDATION_INFO\./);
    const pac = parsePac(bytes);
    expect(getPacBuffer(pac, PacBufferType.CLIENT_INFO)?.name).toBe('alice');
    const lazy = pacError(() => getPacBuffer(pac, PacBufferType.LOGON_INFO), {
      code: ErrorCode.KRB_ERR_GENERIC,
    });
    expect(lazy.path).toBe(eager.path);
  });

  it('signing writes the buffers back as they are, even one that would not decode (as MIT re-signs)', () => {
    const bytes = withBadLogonInfo();
    const resigned = signPac(parsePac(bytes), keys).bytes;
    expect(hex(resigned)).toBe(hex(bytes));
  });
});

describe('verifyPac returns a parsed PAC', () => {
  it('checks the signatures without decoding the buffers; a bad one throws when asked for', () => {
    const pac = verifyPac(withBadLogonInfo(), keys);
    expect(pac.buffers.every((b) => 'data' in b)).toBe(true);
    expect(getPacBuffer(pac, PacBufferType.CLIENT_INFO)?.name).toBe('alice');
    pacError(() => getPacBuffer(pac, PacBufferType.LOGON_INFO), {
      path: /^PACTYPE\.Buffers\[0\]\.KERB_VALIDATION_INFO\./,
    });
  });

  it('re-signed with other keys, verifies with them and not with the old ones', () => {
    const bytes = signPac(alicePac(), keys).bytes;
    const other = { serverKey: generateKey(18, { random }), kdcKey: generateKey(18, { random }) };
    const again = signPac(verifyPac(bytes, keys), other).bytes;
    expect(getPacBuffer(verifyPac(again, other), PacBufferType.CLIENT_INFO)?.name).toBe('alice');
    pacError(() => verifyPac(again, keys), { code: ErrorCode.KRB_AP_ERR_MODIFIED, signature: 'server' });
  });
});
