/**
 * RFC 8009 (AES with HMAC-SHA2 for Kerberos 5) Appendix A "Test Vectors":
 * every sample: string-to-key, key derivation (Kc, Ke, Ki), encryption with
 * the given confounders, checksums, and PRF invocations.
 */

import { checksum, decrypt, EncType, encrypt, prf, stringToKey, verifyChecksum } from '@krbsim/crypto';
import { describe, expect, it } from 'vitest';
import { kdfHmacSha2 } from '../src/rfc8009/kdf';
import { bytes, hex, toHex } from './helpers';

const AES128 = EncType.AES128_CTS_HMAC_SHA256_128;
const AES256 = EncType.AES256_CTS_HMAC_SHA384_192;

describe('RFC 8009 Appendix A: string-to-key', () => {
  // Iteration count = 32768, pass phrase = "password",
  // salt = 10DF9DD783E5BC8ACEA1730E74355F61 | "ATHENA.MIT.EDUraeburn".
  const salt = new Uint8Array([
    ...hex('10DF9DD783E5BC8ACEA1730E74355F61'),
    ...bytes('ATHENA.MIT.EDUraeburn'),
  ]);
  const params = hex('00008000');

  it('128-bit base-key', () => {
    expect(toHex(stringToKey(AES128, 'password', salt, params).bytes)).toBe(
      '089bca48b105ea6ea77ca5d2f39dc5e7',
    );
  });

  it('256-bit base-key', () => {
    expect(toHex(stringToKey(AES256, 'password', salt, params).bytes)).toBe(
      '45bd806dbf6a833a9cffc1c94589a222367a79bc21c413718906e9f578a78467',
    );
  });

  it('32768 is the default iteration count', () => {
    expect(toHex(stringToKey(AES128, 'password', salt).bytes)).toBe('089bca48b105ea6ea77ca5d2f39dc5e7');
    expect(toHex(stringToKey(AES256, 'password', salt, new Uint8Array(0)).bytes)).toBe(
      '45bd806dbf6a833a9cffc1c94589a222367a79bc21c413718906e9f578a78467',
    );
  });
});

const base128 = hex('3705D96080C17728A0E800EAB6E0D23C');
const base256 = hex('6D404D37FAF79F9DF0D33568D320669800EB4836472EA8A026D16B7182460C52');

describe('RFC 8009 Appendix A: key derivation (key usage 2)', () => {
  // Kc = KDF(base, usage | 0x99), Ke = KDF(base, usage | 0xAA), Ki = KDF(base, usage | 0x55)
  it('aes128-cts-hmac-sha256-128', () => {
    expect(toHex(kdfHmacSha2('sha256', base128, hex('0000000299'), undefined, 128))).toBe(
      'b31a018a48f54776f403e9a396325dc3',
    );
    expect(toHex(kdfHmacSha2('sha256', base128, hex('00000002AA'), undefined, 128))).toBe(
      '9b197dd1e8c5609d6e67c3e37c62c72e',
    );
    expect(toHex(kdfHmacSha2('sha256', base128, hex('0000000255'), undefined, 128))).toBe(
      '9fda0e56ab2d85e1569a688696c26a6c',
    );
  });

  it('aes256-cts-hmac-sha384-192', () => {
    expect(toHex(kdfHmacSha2('sha384', base256, hex('0000000299'), undefined, 192))).toBe(
      'ef5718be86cc84963d8bbb5031e9f5c4ba41f28faf69e73d',
    );
    expect(toHex(kdfHmacSha2('sha384', base256, hex('00000002AA'), undefined, 256))).toBe(
      '56ab22bee63d82d7bc5227f6773f8ea7a5eb1c825160c38312980c442e5c7e49',
    );
    expect(toHex(kdfHmacSha2('sha384', base256, hex('0000000255'), undefined, 192))).toBe(
      '69b16514e3cd8e56b82010d5c73012b622c4d00ffc23ed1f',
    );
  });
});

// RFC 8009 Appendix A "Sample encryptions (all using the default cipher
// state)": base keys above, key usage 2. (name, etype, plaintext, confounder, expected cipher).
const encryptions: ReadonlyArray<readonly [string, number, string, string, string]> = [
  [
    'aes128: empty plaintext',
    AES128,
    '',
    '7E5895EAF2672435BAD817F545A37148',
    'EF85FB890BB8472F4DAB20394DCA781DAD877EDA39D50C870C0D5A0A8E48C718',
  ],
  [
    'aes128: plaintext shorter than a block',
    AES128,
    '000102030405',
    '7BCA285E2FD4130FB55B1A5C83BC5B24',
    '84D7F30754ED987BAB0BF3506BEB09CFB55402CEF7E6877CE99E247E52D16ED4421DFDF8976C',
  ],
  [
    'aes128: plaintext equal to a block',
    AES128,
    '000102030405060708090A0B0C0D0E0F',
    '56AB21713FF62C0A1457200F6FA9948F',
    '3517D640F50DDC8AD3628722B3569D2AE07493FA8263254080EA65C1008E8FC295FB4852E7D83E1E7C48C37EEBE6B0D3',
  ],
  [
    'aes128: plaintext longer than a block',
    AES128,
    '000102030405060708090A0B0C0D0E0F1011121314',
    'A7A4E29A4728CE10664FB64E49AD3FAC',
    '720F73B18D9859CD6CCB4346115CD336C70F58EDC0C4437C5573544C31C813BCE1E6D072C186B39A413C2F92CA9B8334A287FFCBFC',
  ],
  [
    'aes256: empty plaintext',
    AES256,
    '',
    'F764E9FA15C276478B2C7D0C4E5F58E4',
    '41F53FA5BFE7026D91FAF9BE959195A058707273A96A40F0A01960621AC612748B9BBFBE7EB4CE3C',
  ],
  [
    'aes256: plaintext shorter than a block',
    AES256,
    '000102030405',
    'B80D3251C1F6471494256FFE712D0B9A',
    '4ED7B37C2BCAC8F74F23C1CF07E62BC7B75FB3F637B9F559C7F664F69EAB7B6092237526EA0D1F61CB20D69D10F2',
  ],
  [
    'aes256: plaintext equal to a block',
    AES256,
    '000102030405060708090A0B0C0D0E0F',
    '53BF8A0D105265D4E276428624CE5E63',
    'BC47FFEC7998EB91E8115CF8D19DAC4BBBE2E163E87DD37F49BECA92027764F68CF51F14D798C2273F35DF574D1F932E40C4FF255B36A266',
  ],
  [
    'aes256: plaintext longer than a block',
    AES256,
    '000102030405060708090A0B0C0D0E0F1011121314',
    '763E65367E864F02F55153C7E3B58AF1',
    '40013E2DF58E8751957D2878BCD2D6FE101CCFD556CB1EAE79DB3C3EE86429F2B2A602AC86FEF6ECB647D6295FAE077A1FEB517508D2C16B4192E01F62',
  ],
];

describe('RFC 8009 Appendix A: sample encryptions', () => {
  it.each(encryptions)('%s', (_name, etype, plaintext, confounder, expected) => {
    const key = { etype, bytes: etype === AES128 ? base128 : base256 };
    const cipher = encrypt(key, 2, hex(plaintext), { confounder: hex(confounder) });
    expect(toHex(cipher)).toBe(expected.toLowerCase());
    expect(toHex(decrypt(key, 2, hex(expected)))).toBe(plaintext.toLowerCase());
  });
});

describe('RFC 8009 Appendix A: sample checksums (key usage 2)', () => {
  const data = hex('000102030405060708090A0B0C0D0E0F1011121314');

  it('hmac-sha256-128-aes128', () => {
    const key = { etype: AES128, bytes: base128 };
    expect(toHex(checksum(key, 2, data))).toBe('d78367186643d67b411cba9139fc1dee');
    expect(verifyChecksum(key, 2, data, hex('d78367186643d67b411cba9139fc1dee'))).toBe(true);
  });

  it('hmac-sha384-192-aes256', () => {
    const key = { etype: AES256, bytes: base256 };
    expect(toHex(checksum(key, 2, data))).toBe('45ee791567eefca37f4ac1e0222de80d43c3bfa06699672a');
  });
});

describe('RFC 8009 Appendix A: sample pseudorandom function (PRF) invocations', () => {
  // PRF input octet-string: "test"
  it('aes128-cts-hmac-sha256-128: 32 bytes', () => {
    expect(toHex(prf({ etype: AES128, bytes: base128 }, bytes('test')))).toBe(
      '9d188616f63852fe86915bb840b4a886ff3e6bb0f819b49b893393d393854295',
    );
  });

  it('aes256-cts-hmac-sha384-192: 48 bytes', () => {
    expect(toHex(prf({ etype: AES256, bytes: base256 }, bytes('test')))).toBe(
      '9801f69a368c2bf675e59521e177d9a07f67efe1cfde8d3c8d6f6a0256e3b17db3c1b62ad1b8553360d17367eb1514d2',
    );
  });
});
