import { readFileSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  encodeKdcProxyMessage,
  encodeKpasswdMessage,
  encodeKrbPriv,
  encodeNegotiationToken,
  GssOid,
} from '@krbsim/asn1';
import { describe, expect, it } from 'vitest';
import { decodeToJson } from '../src/decode';
import { runCaptured } from './run-cli';

interface Fixture {
  name: string;
  kind: string;
  hex: string;
}
const fixtures = JSON.parse(
  readFileSync(new URL('../../../test/fixtures/mit/messages.json', import.meta.url), 'utf8'),
) as Fixture[];
const bytesOf = (name: string) =>
  new Uint8Array(Buffer.from(fixtures.find((f) => f.name === name)!.hex, 'hex'));

type J = Record<string, unknown>;

async function cli(argv: string[]): Promise<{ code: number; out: string; err: string }> {
  const { code, stdout, stderr } = await runCaptured(argv);
  return { code, out: stdout, err: stderr };
}

describe('decodeToJson on the MIT fixtures', () => {
  const expected: Record<string, (j: J) => void> = {
    'GSS-INIT-TOKEN': (j) => {
      expect(j).toMatchObject({
        type: 'GSS-API krb5 token',
        tokId: 'KRB_AP_REQ',
        message: { type: 'AP-REQ' },
      });
      expect(j.mech).toEqual({ oid: GssOid.KRB5, name: 'krb5' });
    },
    'GSS-ACCEPT-TOKEN': (j) =>
      expect(j).toMatchObject({
        type: 'GSS-API krb5 token',
        tokId: 'KRB_AP_REP',
        message: { type: 'AP-REP' },
      }),
    'GSS-WRAP-TOKEN': (j) => expect(j).toMatchObject({ type: 'GSS-API krb5 Wrap token', tokId: '0504' }),
    'GSS-MIC-TOKEN': (j) => expect(j).toMatchObject({ type: 'GSS-API krb5 MIC token', tokId: '0404' }),
  };
  it.each(fixtures.map((f) => [f.name, f] as const))('%s', (_name, f) => {
    const j = decodeToJson(new Uint8Array(Buffer.from(f.hex, 'hex'))) as J;
    const check = expected[f.kind];
    if (check) check(j);
    else expect(j.type).toBe(f.kind);
  });

  it('renders fields by their ASN.1 meaning', () => {
    const j = decodeToJson(bytesOf('krb-error-preauth-required')) as J;
    expect(j).toMatchObject({ type: 'KRB-ERROR', errorCode: 25, realm: 'ALPHA.TEST' });
  });

  it('removes a TCP length prefix', () => {
    const msg = bytesOf('as-req-no-preauth');
    const framed = new Uint8Array([0, 0, msg.length >> 8, msg.length & 0xff, ...msg]);
    expect(decodeToJson(framed)).toEqual(decodeToJson(msg));
  });
});

describe('decodeToJson on tokens and proxies', () => {
  it('decodes a SPNEGO NegTokenInit and the krb5 token inside', () => {
    const token = encodeNegotiationToken({
      negTokenInit: { mechTypes: [GssOid.MS_KRB5, GssOid.KRB5], mechToken: bytesOf('gss-init-token') },
    });
    const j = decodeToJson(token) as J;
    expect(j).toMatchObject({
      type: 'SPNEGO NegTokenInit',
      mechToken: { type: 'GSS-API krb5 token', message: { type: 'AP-REQ' } },
    });
    expect((j.mechTypes as J[])[0]).toEqual({ oid: GssOid.MS_KRB5, name: 'krb5 (Microsoft legacy OID)' });
  });

  it('decodes a bare SPNEGO NegTokenResp', () => {
    const token = encodeNegotiationToken({
      negTokenResp: { negState: 0, supportedMech: GssOid.KRB5, responseToken: bytesOf('gss-accept-token') },
    });
    expect(decodeToJson(token)).toMatchObject({
      type: 'SPNEGO NegTokenResp',
      negState: 'accept-completed',
      responseToken: { message: { type: 'AP-REP' } },
    });
  });

  it('decodes a KDC-PROXY-MESSAGE and the Kerberos message inside', () => {
    const msg = bytesOf('as-req-no-preauth');
    const kerbMessage = new Uint8Array([0, 0, msg.length >> 8, msg.length & 0xff, ...msg]);
    const j = decodeToJson(encodeKdcProxyMessage({ kerbMessage, targetDomain: 'ALPHA.TEST' }));
    expect(j).toMatchObject({
      type: 'KDC-PROXY-MESSAGE',
      targetDomain: 'ALPHA.TEST',
      kerbMessage: { type: 'AS-REQ' },
    });
  });

  it('decodes a kpasswd request and reply (RFC 3244): the header, then the messages it frames', () => {
    const apReq = bytesOf('ap-req-api');
    const apRep = bytesOf('ap-rep-api');
    const krbPriv = encodeKrbPriv({
      pvno: 5,
      msgType: 21,
      encPart: { etype: 18, cipher: new Uint8Array(40) },
    });
    const request = encodeKpasswdMessage({ version: 0xff80, ap: apReq, rest: krbPriv });
    expect(decodeToJson(request)).toMatchObject({
      type: 'kpasswd',
      version: 0xff80,
      ap: { type: 'AP-REQ' },
      message: { type: 'KRB-PRIV' },
    });
    expect(decodeToJson(encodeKpasswdMessage({ version: 1, ap: apRep, rest: krbPriv }))).toMatchObject({
      type: 'kpasswd',
      ap: { type: 'AP-REP' },
    });
    const refusal = encodeKpasswdMessage({
      version: 1,
      ap: new Uint8Array(0),
      rest: bytesOf('krb-error-preauth-required'),
    });
    const j = decodeToJson(refusal) as J;
    expect(j).toMatchObject({ type: 'kpasswd', message: { type: 'KRB-ERROR' } });
    expect(j).not.toHaveProperty('ap');
    // Over TCP, with its length prefix; and a header of another version is no kpasswd message.
    expect(
      decodeToJson(Uint8Array.of(0, 0, request.length >> 8, request.length & 0xff, ...request)),
    ).toMatchObject({
      type: 'kpasswd',
    });
    // (It is then read as DER, which it is not: the field that fails is named.)
    expect(() => decodeToJson(encodeKpasswdMessage({ version: 2, ap: apReq, rest: krbPriv }))).toThrow(/DER/);
  });

  it('falls back to the DER tree for DER that is no known message', () => {
    const j = decodeToJson(new Uint8Array([0x30, 0x03, 0x02, 0x01, 0x05])) as J;
    expect(j).toMatchObject({
      type: 'DER',
      tree: { typeName: 'SEQUENCE', children: [{ typeName: 'INTEGER' }] },
    });
  });
});

describe('krbsim decode', () => {
  it('prints JSON for hex, base64 and @file input', async () => {
    const msg = bytesOf('krb-error-preauth-required');
    const dir = await mkdtemp(join(tmpdir(), 'krbsim-decode-'));
    try {
      await writeFile(join(dir, 'msg.der'), msg);
      const inputs = [
        Buffer.from(msg).toString('hex'),
        Buffer.from(msg).toString('base64'),
        `@${join(dir, 'msg.der')}`,
      ];
      for (const input of inputs) {
        const r = await cli(['decode', input]);
        expect(r.code, r.err).toBe(0);
        expect(JSON.parse(r.out)).toMatchObject({ type: 'KRB-ERROR', errorCode: 25 });
      }
      const compact = await cli(['decode', '--compact', Buffer.from(msg).toString('hex')]);
      expect(compact.out.trimEnd().split('\n')).toHaveLength(1);
      const tree = await cli(['decode', '--tree', Buffer.from(msg).toString('hex')]);
      expect(JSON.parse(tree.out)).toMatchObject({ type: 'DER', tree: { typeName: '[APPLICATION 30]' } });
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('names the field of a malformed message on one line, exit 1', async () => {
    const msg = bytesOf('as-req-no-preauth');
    const r = await cli(['decode', Buffer.from(msg.subarray(0, 40)).toString('hex')]);
    expect(r.code).toBe(1);
    expect(r.out).toBe('');
    expect(r.err).toMatch(/^krbsim decode: AS-REQ[.\w[\]-]*: .+\n$/);
  });

  it('rejects input that is neither hex nor base64, exit 1', async () => {
    const r = await cli(['decode', 'zz*zz']);
    expect(r.code).toBe(1);
    expect(r.err).toBe('krbsim decode: the input is neither hex nor base64 (or @file for a file)\n');
  });

  it('odd-length hex is named as such, not reread as base64, exit 1', async () => {
    const r = await cli(['decode', '6a0']);
    expect(r.code).toBe(1);
    expect(r.out).toBe('');
    expect(r.err).toBe(
      'krbsim decode: odd-length hex: 3 hex digits, a byte takes two (use --base64 if it is base64)\n',
    );
    // Forced base64 still reads the same text as base64.
    expect((await cli(['decode', '--base64', '6a0'])).err).not.toContain('odd-length');
  });

  it('an @file that cannot be read is a usage error, exit 2 as the help says', async () => {
    const r = await cli(['decode', '@/missing/krbsim-decode-input']);
    expect(r.code).toBe(2);
    expect(r.err).toMatch(/^krbsim decode: cannot read \/missing\/krbsim-decode-input: ENOENT.*\n$/);
    const help = await cli(['decode', '--help']);
    expect(help.out).toMatch(/2 bad\s+arguments or an @file that cannot be read/);
  });

  it('needs exactly one input', async () => {
    expect((await cli(['decode'])).code).toBe(2);
    expect((await cli(['decode', 'aa', 'bb'])).code).toBe(2);
    expect((await cli(['decode', '--hex', '--base64', 'aa'])).code).toBe(2);
  });
});
