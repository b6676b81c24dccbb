/**
 * LOGIN7 (MS-TDS 2.2.6.4): every field round-trips (TDS 7.4 and 7.1), the
 * password obfuscation matches the spec's rule, the FeatureExt block is
 * read through its pointer, and every lie in the table is refused by field.
 */
import { inspect } from 'node:util';
import {
  decodeLogin7,
  decodePacketHeader,
  encodeLogin7,
  encodePackets,
  FeatureId,
  type Login7,
  MAX_LOGIN7_BYTES,
  OptionFlags2,
  OptionFlags3,
  TdsPacketType,
  TdsVersion,
} from '@krbsim/tds';
import { describe, expect, it } from 'vitest';
import { blankLogin7Passwords } from '../src/login7';
import { refusal, refusalMessage } from './helpers';

const full: Login7 = {
  tdsVersion: TdsVersion.V7_4,
  packetSize: 8000,
  clientProgVer: 0x07000000,
  clientPid: 4242,
  connectionId: 0,
  optionFlags1: 0xe0,
  optionFlags2: OptionFlags2.INTEGRATED_SECURITY_ON | OptionFlags2.ODBC_ON | OptionFlags2.INIT_LANG_FATAL,
  typeFlags: 0,
  optionFlags3: OptionFlags3.EXTENSION | OptionFlags3.UNKNOWN_COLLATION_HANDLING,
  clientTimeZone: -60,
  clientLcid: 0x0409,
  hostName: 'pc1',
  userName: 'sa',
  password: 'Pässw0rd!',
  appName: 'tsql',
  serverName: 'mi1.abc123.database.windows.net',
  clientInterfaceName: 'ODBC',
  language: 'us_english',
  database: 'master',
  clientId: Uint8Array.of(0, 0x50, 0x8b, 0xe3, 0xb7, 0x8f),
  sspi: Uint8Array.from({ length: 300 }, (_, i) => i & 0xff),
  attachDbFile: '',
  changePassword: 'n3w',
  features: [
    { id: FeatureId.UTF8_SUPPORT, data: new Uint8Array(0) },
    { id: FeatureId.AZURESQLSUPPORT, data: Uint8Array.of(1) },
  ],
};

const GSS = Uint8Array.of(0x60, 0x00);

/** A decoded LOGIN7's fields, its passwords (readable, not enumerable) included. */
const fieldsOf = (l: Login7): Login7 => ({ ...l, password: l.password, changePassword: l.changePassword });

describe('LOGIN7', () => {
  it('round-trips every field, byte for byte', () => {
    const wire = encodeLogin7(full);
    expect(fieldsOf(decodeLogin7(wire))).toEqual(full);
    expect(encodeLogin7(decodeLogin7(wire))).toEqual(wire);
  });

  it('round-trips a TDS 7.1 login (86-byte header: no ChangePassword, no cbSSPILong)', () => {
    const l = { ...full, tdsVersion: TdsVersion.V7_1, changePassword: '', features: [], optionFlags3: 0 };
    const wire = encodeLogin7(l);
    expect(wire.length).toBe(86 + 2 * (3 + 2 + 9 + 4 + 31 + 4 + 10 + 6) + 300);
    expect(fieldsOf(decodeLogin7(wire))).toEqual(l);
  });

  it("reads TDS 7.1 as SQL Server 2000 clients send it (bytes 00 00 00 71, the spec's 0x00000071)", () => {
    // Impacket's mssqlclient still logs in with this version; TDS 7.0 (bytes 00 00 00 70) stays refused.
    const l = { ...full, tdsVersion: TdsVersion.V7_1, changePassword: '', features: [], optionFlags3: 0 };
    const wire = encodeLogin7(l);
    wire.set([0x00, 0x00, 0x00, 0x71], 4);
    expect(fieldsOf(decodeLogin7(wire))).toEqual({ ...l, tdsVersion: TdsVersion.V7_1_REV0 });
    wire.set([0x00, 0x00, 0x00, 0x70], 4);
    expect(refusal(() => decodeLogin7(wire))).toBe('unsupported LOGIN7.TDSVersion');
  });

  it('obfuscates the password as the spec says: nibbles swapped, then XOR 0xA5', () => {
    const wire = encodeLogin7({ password: 'a', sspi: new Uint8Array(0) });
    const v = new DataView(wire.buffer);
    const ib = v.getUint16(44, true);
    expect(v.getUint16(46, true)).toBe(1);
    // 'a' is 61 00 in UTF-16LE: swapped 16 00, XOR A5: B3 A5.
    expect([...wire.subarray(ib, ib + 2)]).toEqual([0xb3, 0xa5]);
    expect(decodeLogin7(wire).password).toBe('a');
  });

  it('refuses to encode a TDS 7.1 login whose token needs cbSSPILong, which 7.1 lacks', () => {
    const tdsVersion = TdsVersion.V7_1;
    expect(() => encodeLogin7({ tdsVersion, sspi: new Uint8Array(0x10000) })).toThrow(
      /65536 bytes does not fit TDS 7\.1's 16-bit cbSSPI/,
    );
    const most = new Uint8Array(0xffff).fill(0x60);
    expect(decodeLogin7(encodeLogin7({ tdsVersion, sspi: most }), { maxSspi: 100_000 }).sspi).toEqual(most);
  });

  it('uses cbSSPILong for a token of 65535 bytes or more', () => {
    const sspi = new Uint8Array(70_000).fill(0x60);
    const wire = encodeLogin7({ sspi });
    expect(new DataView(wire.buffer).getUint16(80, true)).toBe(0xffff);
    expect(Buffer.from(decodeLogin7(wire, { maxSspi: 100_000 }).sspi).equals(sspi)).toBe(true);
    expect(refusal(() => decodeLogin7(wire))).toBe('too-large LOGIN7.cbSSPI');
  });

  it("lays out a TDS 8.0 client's login (0x08000000) with 7.2's 94-byte header, cbSSPILong included", () => {
    // 0x08000000 is below every 7.x as a number; TDS 8.0 keeps 7.4's forms (MS-TDS 1.7).
    const sspi = new Uint8Array(70_000).fill(0x60);
    const wire = encodeLogin7({ sspi, tdsVersion: TdsVersion.V8_0, hostName: 'pc1' });
    expect(new DataView(wire.buffer).getUint16(36, true)).toBe(94); // ibHostName: after the 7.2 header
    const back = decodeLogin7(wire, { maxSspi: 100_000 });
    expect([back.tdsVersion, back.hostName, back.sspi.length]).toEqual([TdsVersion.V8_0, 'pc1', 70_000]);
  });

  it('reads cbSSPI 0xFFFF with cbSSPILong 0 as a 65535-byte token, and cbSSPILong when it is set', () => {
    const sspi = Uint8Array.from({ length: 0xffff }, (_, i) => i & 0xff);
    const wire = encodeLogin7({ sspi });
    const v = new DataView(wire.buffer);
    expect([v.getUint16(80, true), v.getUint32(90, true)]).toEqual([0xffff, 0xffff]);
    // Section 2.2.6.4: cbSSPILong 0 with cbSSPI 0xFFFF means the token is 65535 bytes.
    v.setUint32(90, 0, true);
    expect(Buffer.from(decodeLogin7(wire, { maxSspi: 100_000 }).sspi).equals(sspi)).toBe(true);
    // It is bounded as any token: one byte more than maxSspi allows is refused.
    expect(refusal(() => decodeLogin7(wire, { maxSspi: 0xfffe }))).toBe('too-large LOGIN7.cbSSPI');
    // A cbSSPILong above 0 is the length, also a shorter one.
    v.setUint32(90, 100, true);
    expect(decodeLogin7(wire, { maxSspi: 100_000 }).sspi).toEqual(sspi.subarray(0, 100));
  });

  it('refuses a wrong Length, an early TDS version, and what does not fit', () => {
    const good = encodeLogin7({ hostName: 'pc1', sspi: new Uint8Array(10) });
    const at = (f: (b: Uint8Array, v: DataView) => void) => {
      const b = good.slice();
      f(b, new DataView(b.buffer));
      return b;
    };
    expect(refusal(() => decodeLogin7(at((_, v) => v.setUint32(0, 1, true))))).toBe(
      'malformed LOGIN7.Length',
    );
    expect(refusal(() => decodeLogin7(at((_, v) => v.setUint32(4, 0x70000000, true))))).toBe(
      'unsupported LOGIN7.TDSVersion',
    );
    // A TDS 8.0 client's version (MS-TDS 1.7: ignored) is read, not refused.
    expect(decodeLogin7(at((_, v) => v.setUint32(4, 0x08000000, true))).tdsVersion).toBe(TdsVersion.V8_0);
    expect(refusal(() => decodeLogin7(new Uint8Array(20)))).toBe('malformed LOGIN7.Length');
    expect(refusal(() => decodeLogin7(at((_, v) => v.setUint16(36, 0, true))))).toBe(
      'malformed LOGIN7.ibHostName',
    );
    expect(refusal(() => decodeLogin7(at((_, v) => v.setUint16(36, 10, true))))).toBe(
      'malformed LOGIN7.ibHostName',
    );
    expect(refusal(() => decodeLogin7(at((_, v) => v.setUint16(38, 100, true))))).toBe(
      'malformed LOGIN7.ibHostName',
    );
    expect(refusal(() => decodeLogin7(at((_, v) => v.setUint16(38, 129, true))))).toBe(
      'too-large LOGIN7.cchHostName',
    );
    expect(refusal(() => decodeLogin7(at((_, v) => v.setUint16(80, 11, true))))).toBe(
      'malformed LOGIN7.ibSSPI',
    );
    expect(refusal(() => decodeLogin7(encodeLogin7({ sspi: new Uint8Array(100) }), { maxSspi: 50 }))).toBe(
      'too-large LOGIN7.cbSSPI',
    );
    const huge = new Uint8Array(MAX_LOGIN7_BYTES + 1);
    new DataView(huge.buffer).setUint32(0, huge.length, true);
    expect(refusal(() => decodeLogin7(huge))).toBe('too-large LOGIN7');
  });

  it('refuses a FeatureExt that lies: a wrong cbExtension, a pointer outside, no terminator', () => {
    const wire = encodeLogin7({ sspi: Uint8Array.of(1), features: [{ id: 0x0a, data: new Uint8Array(0) }] });
    const v = () => {
      const b = wire.slice();
      return { b, v: new DataView(b.buffer) };
    };
    const ibExt = new DataView(wire.buffer).getUint16(56, true);
    {
      const { b, v: d } = v();
      d.setUint16(58, 2, true);
      expect(refusal(() => decodeLogin7(b))).toBe('malformed LOGIN7.cbExtension');
    }
    {
      const { b, v: d } = v();
      d.setUint32(ibExt, 3, true);
      expect(refusal(() => decodeLogin7(b))).toBe('malformed LOGIN7.FeatureExt');
    }
    {
      const cut = wire.slice(0, wire.length - 1); // the terminator gone
      new DataView(cut.buffer).setUint32(0, cut.length, true);
      expect(refusal(() => decodeLogin7(cut))).toBe('malformed LOGIN7.FeatureExt[1].FeatureId');
    }
    {
      const { b, v: d } = v();
      d.setUint32(b.length - 5, 1000, true); // FeatureDataLen past the end
      expect(refusal(() => decodeLogin7(b))).toBe('malformed LOGIN7.FeatureExt[0].FeatureData');
    }
  });

  it('refuses a message shorter than the header its TDS version has (94 bytes, 86 for 7.1)', () => {
    const short = (bytes: number, tdsVersion: number) => {
      const b = new Uint8Array(bytes);
      const v = new DataView(b.buffer);
      v.setUint32(0, bytes, true);
      v.setUint32(4, tdsVersion, true);
      return b;
    };
    expect(refusalMessage(() => decodeLogin7(short(93, TdsVersion.V7_4)))).toBe(
      'malformed LOGIN7: 93 bytes is shorter than the 94-byte header',
    );
    expect(refusalMessage(() => decodeLogin7(short(85, TdsVersion.V7_1)))).toBe(
      'malformed LOGIN7: 85 bytes is shorter than the 86-byte header',
    );
  });

  it('reads 32 FeatureExt entries and refuses a 33rd', () => {
    const features = (n: number) =>
      Array.from({ length: n }, (_, i) => ({ id: i + 1, data: Uint8Array.of(i) }));
    expect(decodeLogin7(encodeLogin7({ sspi: GSS, features: features(32) })).features).toEqual(features(32));
    expect(refusalMessage(() => decodeLogin7(encodeLogin7({ sspi: GSS, features: features(33) })))).toBe(
      'too-large LOGIN7.FeatureExt: more than 32 features',
    );
  });

  it('checks and ignores an extension field without fExtension, and refuses one outside the message', () => {
    const wire = encodeLogin7({ sspi: GSS, features: [{ id: 0x0a, data: new Uint8Array(0) }] });
    const plain = wire.slice();
    plain[27] = plain[27]! & ~OptionFlags3.EXTENSION; // cbExtension stays 4, now the spec's unused field
    expect(decodeLogin7(plain).features).toEqual([]);
    new DataView(plain.buffer).setUint16(56, plain.length - 2, true); // ibExtension: 4 bytes from 2 before the end
    expect(refusalMessage(() => decodeLogin7(plain))).toBe(
      `malformed LOGIN7.ibExtension: ${plain.length - 2}+4 points past the message (${plain.length})`,
    );
  });

  it('refuses to encode a LOGIN7 longer than 128 KiB - 1', () => {
    expect(() => encodeLogin7({ sspi: new Uint8Array(MAX_LOGIN7_BYTES) })).toThrow(
      new RangeError(`LOGIN7: ${MAX_LOGIN7_BYTES + 94} bytes is more than ${MAX_LOGIN7_BYTES}`),
    );
  });

  it('sets integrated security when an SSPI token is given, and not otherwise', () => {
    const withToken = decodeLogin7(encodeLogin7({ sspi: Uint8Array.of(0x60) }));
    expect(withToken.optionFlags2 & OptionFlags2.INTEGRATED_SECURITY_ON).toBeTruthy();
    const sqlAuth = decodeLogin7(encodeLogin7({ userName: 'sa', password: 'x' }));
    expect(sqlAuth.optionFlags2 & OptionFlags2.INTEGRATED_SECURITY_ON).toBe(0);
    expect(sqlAuth.password).toBe('x');
  });
});

/** A message's payload: its packets' bytes without their headers. */
function payloadOf(packets: Uint8Array): Uint8Array {
  const parts: Uint8Array[] = [];
  for (let at = 0; at < packets.length; ) {
    const h = decodePacketHeader(packets, at);
    parts.push(packets.subarray(at + 8, at + h.length));
    at += h.length;
  }
  return Uint8Array.from(parts.flatMap((p) => [...p]));
}

describe("LOGIN7's passwords are not for printing", () => {
  it('a decoded login reads its passwords, and prints and serializes them as <redacted>', () => {
    const login = decodeLogin7(encodeLogin7(full));
    expect(login.password).toBe('Pässw0rd!');
    expect(login.changePassword).toBe('n3w');
    const printed = [
      inspect(login),
      JSON.stringify(login),
      inspect({ request: { login } }, { depth: 5 }),
      JSON.stringify({ ...login }),
    ].join('\n');
    expect(printed).not.toContain('Pässw0rd!');
    expect(printed).not.toContain('n3w');
    expect(inspect(login)).toContain("password: '<redacted>'");
    expect(JSON.parse(JSON.stringify(login))).toMatchObject({
      userName: 'sa',
      password: '<redacted>',
      changePassword: '<redacted>',
    });
    // No password: nothing to redact.
    expect(JSON.parse(JSON.stringify(decodeLogin7(encodeLogin7({ sspi: GSS }))))).toMatchObject({
      password: '',
      changePassword: '',
    });
  });

  it('blankLogin7Passwords writes * over Password and ChangePassword, across packets, and the login still decodes', () => {
    const payload = encodeLogin7({ ...full, sspi: new Uint8Array(600).fill(0x60) });
    // Small packets: the fields straddle packet boundaries.
    const packets = encodePackets(TdsPacketType.LOGIN7, payload, { packetSize: 64 });
    const blanked = blankLogin7Passwords(packets);
    expect(blanked.length).toBe(packets.length);
    const login = decodeLogin7(payloadOf(blanked));
    expect(login.password).toBe('*********');
    expect(login.changePassword).toBe('***');
    expect(fieldsOf({ ...login, password: full.password, changePassword: full.changePassword })).toEqual(
      fieldsOf({ ...decodeLogin7(payload), password: full.password, changePassword: full.changePassword }),
    );
    // The obfuscated password (and its clear text) is nowhere in the message.
    const message = Buffer.from(payloadOf(blanked));
    const obfuscated = payload.subarray(new DataView(payload.buffer).getUint16(44, true)).subarray(0, 18);
    expect(Buffer.from(payload).includes(Buffer.from(obfuscated))).toBe(true);
    expect(message.includes(Buffer.from(obfuscated))).toBe(false);
    expect(message.includes(Buffer.from('Pässw0rd!', 'utf16le'))).toBe(false);
    // The input is not changed; a TDS 7.1 login has no ChangePassword to blank.
    expect(packets).toEqual(encodePackets(TdsPacketType.LOGIN7, payload, { packetSize: 64 }));
    const old = encodeLogin7({
      ...full,
      tdsVersion: TdsVersion.V7_1,
      changePassword: '',
      features: [],
      optionFlags3: 0,
    });
    expect(
      decodeLogin7(payloadOf(blankLogin7Passwords(encodePackets(TdsPacketType.LOGIN7, old)))).password,
    ).toBe('*********');
    // Garbage is copied, not thrown on.
    expect(blankLogin7Passwords(Uint8Array.of(0x10, 1, 0, 9, 0, 0, 1, 0, 0xff))).toEqual(
      Uint8Array.of(0x10, 1, 0, 9, 0, 0, 1, 0, 0xff),
    );
  });
});
