/**
 * PKINIT (RFC 4556, RFC 8070) against MIT krb5 1.20 with its pkinit plugin
 * (Debian krb5-pkinit), with certificates krbsim's CA (`@krbsim/pki`) issues:
 *
 * - MIT `kinit -X X509_user_identity=FILE:cert.pem,key.pem` against a krbsim
 *   KDC served on loopback: Diffie-Hellman (MIT's default group 14) with the
 *   freshness token, the KRB5_TRACE showing PKINIT; public-key encryption
 *   delivery (`-X flag_RSA_PROTOCOL=yes`), and its refusal for an EC
 *   certificate; a client certificate from another CA and one naming another
 *   user refused with the RFC 4556 codes; a realm requiring freshness; an
 *   `active-directory` realm under KB5014754's Full Enforcement, serving a
 *   certificate that names the account's SID and refusing one mapped by its
 *   UPN alone, which its Compatibility mode serves.
 * - krbsim's client against MIT's krb5kdc (pkinit_identity, pkinit_anchors in
 *   its kdc.conf): DH and ECDH, public-key encryption delivery, and MIT's
 *   refusal of a certificate it does not trust.
 */

import { existsSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { KerberosClient } from '@krbsim/client';
import { ErrorCode, systemClock, systemRandom } from '@krbsim/core';
import { type CertificateMappingEnforcement, Kdc, Realm } from '@krbsim/kdc';
import {
  createSelfSignedCa,
  issuePkinitClientCertificate,
  issuePkinitKdcCertificate,
  type PemCertificate,
} from '@krbsim/pki';
import { type KdcServer, serveKdc, UdpTcpTransport } from '@krbsim/transport';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { rejection } from '../../packages/client/test/rejection';
import { MitClient, parseKlist } from './helpers/mit';
import { type MitRealm, startMitRealm } from './helpers/mit-realm';
import { makeTempDir, type TempDir } from './helpers/processes';
import { describeUnavailable, describeWithTools } from './mit-tools';

/** MIT's pkinit preauth plugin (Debian krb5-pkinit), wherever the multiarch directory is. */
const PKINIT_PLUGIN = ['x86_64-linux-gnu', 'aarch64-linux-gnu', '.']
  .map((arch) => join('/usr/lib', arch, 'krb5/plugins/preauth/pkinit.so'))
  .find((p) => existsSync(p));

interface Pems {
  ca: PemCertificate;
  otherCa: PemCertificate;
  kdc: PemCertificate;
  alice: PemCertificate;
  stranger: PemCertificate;
  bobCert: PemCertificate;
  ecAlice: PemCertificate;
}

async function issue(realm: string): Promise<Pems> {
  const ca = await createSelfSignedCa({ commonName: `krbsim lab CA ${realm}`, keyType: 'rsa-2048' });
  const otherCa = await createSelfSignedCa({ commonName: 'not the lab CA', keyType: 'rsa-2048' });
  return {
    ca,
    otherCa,
    kdc: await issuePkinitKdcCertificate(ca, { realm }),
    alice: await issuePkinitClientCertificate(ca, { principal: 'alice', realm }),
    stranger: await issuePkinitClientCertificate(otherCa, { principal: 'alice', realm }),
    bobCert: await issuePkinitClientCertificate(ca, { principal: 'bob', realm }),
    ecAlice: await issuePkinitClientCertificate(ca, { principal: 'alice', realm, keyType: 'ecdsa-p256' }),
  };
}

async function writePems(dir: TempDir, pems: Pems | Record<string, PemCertificate>): Promise<void> {
  for (const [name, p] of Object.entries(pems) as [string, PemCertificate][]) {
    await writeFile(dir.file(`${name}.pem`), p.certPem);
    await writeFile(dir.file(`${name}-key.pem`), p.keyPem, { mode: 0o600 });
  }
}

if (PKINIT_PLUGIN === undefined) {
  describeUnavailable(
    'PKINIT against MIT krb5',
    "MIT's pkinit plugin is not installed",
    'apt-get install krb5-pkinit',
  );
}
const withPkinit = PKINIT_PLUGIN === undefined ? () => {} : describeWithTools;

withPkinit('MIT kinit -X X509_user_identity against krbsim', ['kinit', 'klist'], (tools) => {
  const REALM = 'PKINIT.KRBSIM.TEST';
  let dir: TempDir;
  let pems: Pems;
  const servers: KdcServer[] = [];
  const log: string[] = [];

  /** A krbsim KDC for REALM on loopback, and a MIT client pointed at it. */
  async function serve(
    requireFreshness = false,
    anchors = ['ca'],
    useKdf = true,
    allowAnonymous = false,
  ): Promise<MitClient> {
    const realm = new Realm({
      name: REALM,
      random: systemRandom,
      policy: { allowAnonymous },
      pkinit: {
        anchors: pems.ca.certPem,
        certificate: pems.kdc.certPem,
        privateKey: pems.kdc.keyPem,
        requireFreshness,
        useKdf,
      },
    });
    realm.addUser('alice', { password: 'alice-Passw0rd' });
    realm.addUser('bob', { password: 'bob-Passw0rd' });
    return serveRealm(realm, anchors);
  }
  /** `realm`'s KDC on loopback, and a MIT client pointed at it that trusts `anchors`. */
  async function serveRealm(realm: Realm, anchors = ['ca']): Promise<MitClient> {
    const kdc = new Kdc(realm);
    const server = await serveKdc((req) => kdc.handle(req), { log: (l) => log.push(l) });
    servers.push(server);
    const conf = dir.file(`krb5-${server.udpPort}.conf`);
    await writeFile(
      conf,
      `[libdefaults]
 default_realm = ${REALM}
 dns_lookup_kdc = false
 dns_lookup_realm = false
 rdns = false
[realms]
 ${REALM} = {
  kdc = 127.0.0.1:${server.udpPort}
${anchors.map((a) => `  pkinit_anchors = FILE:${dir.file(`${a}.pem`)}\n`).join('')} }
`,
    );
    return new MitClient(tools, dir.path, conf, dir.file(`cc-${server.udpPort}`), () => log.join('\n'));
  }
  const identity = (who: string) =>
    `X509_user_identity=FILE:${dir.file(`${who}.pem`)},${dir.file(`${who}-key.pem`)}`;

  beforeAll(async () => {
    dir = await makeTempDir('pkinit-mit');
    pems = await issue(REALM);
    await writePems(dir, pems);
  });
  afterAll(async () => {
    for (const s of servers) await s.close();
    await dir?.remove();
  });

  it('gets a TGT with PKINIT: Diffie-Hellman, a freshness token, the KDC certificate checked', async () => {
    const mit = await serve();
    const r = await mit.ok('kinit', ['-X', identity('alice'), `alice@${REALM}`], { input: '' });
    expect(r.trace).toContain('PKINIT client received freshness token from KDC');
    expect(r.trace).toContain('PKINIT client making DH request');
    // MIT sends back the PA-FX-COOKIE of the METHOD-DATA, as it does to its own KDC.
    expect(r.trace).toContain('Produced preauth for next request: PA-FX-COOKIE (133), PA-PK-AS-REQ (16)');
    expect(r.trace).toContain('PKINIT client verified DH reply');
    expect(r.trace).toContain(
      `PKINIT client matched KDC principal krbtgt/${REALM}@${REALM} against id-pkinit-san`,
    );
    // RFC 8636: MIT lists its KDFs; krbsim picks the first, id-pkinit-kdf-ah-sha256 (1.3.6.1.5.2.3.6.2).
    expect(r.trace).toContain('PKINIT client used KDF 2B06010502030602 to compute reply key');
    const k = parseKlist((await mit.ok('klist', [])).stdout);
    expect(k.principal).toBe(`alice@${REALM}`);
    expect(k.tickets.map((t) => t.server)).toEqual([`krbtgt/${REALM}@${REALM}`]);
    expect(log.some((l) => /AS-REQ \d+ bytes -> AS-REP/.test(l))).toBe(true);
  });

  it('gets a TGT by public-key encryption (-X flag_RSA_PROTOCOL=yes): ReplyKeyPack, asChecksum, the KDC signature', async () => {
    const mit = await serve();
    const r = await mit.ok(
      'kinit',
      ['-X', identity('alice'), '-X', 'flag_RSA_PROTOCOL=yes', `alice@${REALM}`],
      {
        input: '',
      },
    );
    expect(r.trace).toContain('PKINIT client received freshness token from KDC');
    expect(r.trace).toContain('PKINIT client making RSA request');
    expect(r.trace).toContain('PKINIT client verified RSA reply');
    expect(r.trace).toContain(
      `PKINIT client matched KDC principal krbtgt/${REALM}@${REALM} against id-pkinit-san`,
    );
    // MIT recomputes the asChecksum over the AS-REQ it sent, of the type krbsim named: hmac-sha1-96-aes256
    // (16) for MIT's first etype, aes256-cts-hmac-sha1-96.
    expect(r.trace).toMatch(
      /PKINIT client retrieved reply key aes256-cts\/[0-9A-F]{4} from RSA reply \(checksum 16\//,
    );
    expect(r.trace).toMatch(/Decrypted AS reply; session key is/);
    expect(parseKlist((await mit.ok('klist', [])).stdout).principal).toBe(`alice@${REALM}`);
  });

  it('refuses public-key encryption to an EC certificate (KDC_ERR_PUBLIC_KEY_ENCRYPTION_NOT_SUPPORTED)', async () => {
    const mit = await serve();
    const r = await mit.run(
      'kinit',
      ['-X', identity('ecAlice'), '-X', 'flag_RSA_PROTOCOL=yes', `alice@${REALM}`],
      {
        input: '',
      },
    );
    expect(r.code, mit.explain(r)).not.toBe(0);
    expect(r.trace).toContain('PKINIT client making RSA request');
    expect(log.at(-1)).toContain('KDC_ERR_PUBLIC_KEY_ENCRYPTION_NOT_SUPPORTED');
    // With Diffie-Hellman the same certificate is served.
    await mit.ok('kinit', ['-X', identity('ecAlice'), `alice@${REALM}`], { input: '' });
  });

  it("a realm with useKdf: false answers with RFC 4556's octetstring2key, which MIT accepts", async () => {
    const mit = await serve(false, ['ca'], false);
    const r = await mit.ok('kinit', ['-X', identity('alice'), `alice@${REALM}`], { input: '' });
    expect(r.trace).toContain('PKINIT client used octetstring2key to compute reply key');
  });

  it('a realm requiring freshness serves MIT, which always sends the token', async () => {
    const mit = await serve(true);
    const r = await mit.ok('kinit', ['-X', identity('alice'), `alice@${REALM}`], { input: '' });
    expect(r.trace).toContain('PKINIT client received freshness token from KDC');
  });

  it('refuses a certificate from another CA (KDC_ERR_CANT_VERIFY_CERTIFICATE)', async () => {
    // MIT's client must trust its own certificate's CA to send it at all; the KDC does not.
    const mit = await serve(false, ['ca', 'otherCa']);
    const r = await mit.run('kinit', ['-X', identity('stranger'), `alice@${REALM}`], { input: '' });
    expect(r.code, mit.explain(r)).not.toBe(0);
    expect(r.trace).toContain('Produced preauth for next request: PA-FX-COOKIE (133), PA-PK-AS-REQ (16)');
    expect(log.some((l) => l.includes('KDC_ERR_CANT_VERIFY_CERTIFICATE'))).toBe(true);
  });

  it('kinit -n gets an anonymous TGT by anonymous PKINIT, and kinit -T armors FAST with it (RFC 8062)', async () => {
    const anon = await serve(false, ['ca'], true, true);
    const r = await anon.ok('kinit', ['-n', `@${REALM}`], { input: '' });
    expect(r.trace).toContain('PKINIT client making DH request');
    expect(r.trace).toContain('PKINIT client verified DH reply');
    expect(r.trace).toContain(`Produced preauth for next request: PA-FX-COOKIE (133), PA-PK-AS-REQ (16)`);
    const k = parseKlist((await anon.ok('klist', [])).stdout);
    expect(k.principal).toBe('WELLKNOWN/ANONYMOUS@WELLKNOWN:ANONYMOUS');
    expect(k.tickets.map((t) => t.server)).toEqual([`krbtgt/${REALM}@${REALM}`]);
    expect(log.at(-1)).toMatch(/AS-REQ \d+ bytes -> AS-REP/);

    // The anonymous TGT as FAST armor: alice's password exchange is armored, by encrypted challenge.
    const alice = new MitClient(tools, dir.path, anon.krb5conf, dir.file('cc-anon-alice'), () =>
      log.join('\n'),
    );
    const a = await alice.ok('kinit', ['-T', anon.ccache, `alice@${REALM}`], { input: 'alice-Passw0rd\n' });
    expect(a.trace, alice.explain(a)).toMatch(/Using FAST due to armor ccache negotiation result/);
    expect(a.trace, alice.explain(a)).toMatch(/FAST armor key/);
    expect(a.trace, alice.explain(a)).toContain('PA-ENCRYPTED-CHALLENGE');
    expect(parseKlist((await alice.ok('klist', [])).stdout).principal).toBe(`alice@${REALM}`);
  });

  it('PKINIT inside FAST: kinit -n -T (anonymous, PA-PKINIT-KX under the unstrengthened reply key) and kinit -T -X', async () => {
    const anon = await serve(false, ['ca'], true, true);
    await anon.ok('kinit', ['-n', `@${REALM}`], { input: '' });
    const again = new MitClient(tools, dir.path, anon.krb5conf, dir.file('cc-anon-armored'), () =>
      log.join('\n'),
    );
    // MIT's verify_anonymous checks PA-PKINIT-KX and KRB-FX-CF2 with the key PKINIT made (ctx->as_key),
    // not the strengthened one that seals the enc-part (RFC 6113 section 5.4.3).
    const r = await again.ok('kinit', ['-n', '-T', anon.ccache, `@${REALM}`], { input: '' });
    expect(r.trace, again.explain(r)).toMatch(/Using FAST due to armor ccache negotiation result/);
    expect(r.trace, again.explain(r)).toContain('PKINIT client verified DH reply');
    expect(r.trace, again.explain(r)).toMatch(/FAST reply key: aes256-cts\//);
    expect(parseKlist((await again.ok('klist', [])).stdout).principal).toBe(
      'WELLKNOWN/ANONYMOUS@WELLKNOWN:ANONYMOUS',
    );
    expect(log.at(-1)).toMatch(/AS-REQ \d+ bytes -> AS-REP/);
    const alice = new MitClient(tools, dir.path, anon.krb5conf, dir.file('cc-anon-pk-alice'), () =>
      log.join('\n'),
    );
    const a = await alice.ok('kinit', ['-T', anon.ccache, '-X', identity('alice'), `alice@${REALM}`], {
      input: '',
    });
    expect(a.trace, alice.explain(a)).toContain('PKINIT client verified DH reply');
    expect(a.trace, alice.explain(a)).toMatch(/FAST reply key: aes256-cts\//);
    expect(parseKlist((await alice.ok('klist', [])).stdout).principal).toBe(`alice@${REALM}`);
  });

  it('a realm that does not allow anonymous tickets (the default) refuses kinit -n with KDC_ERR_POLICY', async () => {
    const mit = await serve();
    const r = await mit.run('kinit', ['-n', `@${REALM}`], { input: '' });
    expect(r.code, mit.explain(r)).not.toBe(0);
    expect(log.at(-1)).toContain('KDC_ERR_POLICY');
  });

  it("refuses bob's certificate for alice (KDC_ERR_CLIENT_NAME_MISMATCH)", async () => {
    const mit = await serve();
    const r = await mit.run('kinit', ['-X', identity('bobCert'), `alice@${REALM}`], { input: '' });
    expect(r.code, mit.explain(r)).not.toBe(0);
    expect(log.some((l) => l.includes('KDC_ERR_CLIENT_NAME_MISMATCH'))).toBe(true);
  });

  it("an active-directory realm (KB5014754 Full Enforcement) serves a certificate naming alice's SID, refuses one mapped by her UPN alone; Compatibility mode serves it", async () => {
    const adRealm = (certificateMappingEnforcement: CertificateMappingEnforcement) => {
      const realm = new Realm({
        name: REALM,
        kind: 'active-directory',
        random: systemRandom,
        pkinit: {
          anchors: pems.ca.certPem,
          certificate: pems.kdc.certPem,
          privateKey: pems.kdc.keyPem,
          certificateMappingEnforcement,
        },
      });
      realm.addUser('alice', { password: 'alice-Passw0rd' });
      return realm;
    };
    // As AD CS's templates issue them: her implicit UPN, and (the strong one) her account's SID.
    const d = adRealm('full').directory;
    const upn = `alice@${REALM.toLowerCase()}`;
    const o = { principal: 'alice', realm: REALM, pkinitSan: false, upn };
    await writePems(dir, {
      adStrong: await issuePkinitClientCertificate(pems.ca, { ...o, sid: d.sidOf(d.account('alice')!.rid) }),
      adWeak: await issuePkinitClientCertificate(pems.ca, o),
    });
    const full = await serveRealm(adRealm('full'));
    const ok = await full.ok('kinit', ['-X', identity('adStrong'), `alice@${REALM}`], { input: '' });
    expect(ok.trace).toContain('PKINIT client verified DH reply');
    expect(parseKlist((await full.ok('klist', [])).stdout).principal).toBe(`alice@${REALM}`);
    const weak = await full.run('kinit', ['-X', identity('adWeak'), `alice@${REALM}`], { input: '' });
    expect(weak.code, full.explain(weak)).not.toBe(0);
    expect(log.at(-1)).toContain('KDC_ERR_CLIENT_NAME_MISMATCH');
    const compatibility = await serveRealm(adRealm('compatibility'));
    await compatibility.ok('kinit', ['-X', identity('adWeak'), `alice@${REALM}`], { input: '' });
  });
});

withPkinit('krbsim client PKINIT against an MIT KDC', ['kdb5_util', 'kadmin.local', 'krb5kdc'], (tools) => {
  const REALM = 'MITPK.TEST';
  let dir: TempDir;
  let pems: Pems;
  let mit: MitRealm;
  const lines: string[] = [];
  const client = () =>
    new KerberosClient({
      realm: REALM,
      transport: new UdpTcpTransport({ kdcs: { [REALM]: [{ host: '127.0.0.1', port: mit.port }] } }),
      clock: systemClock,
      random: systemRandom,
      log: (l) => lines.push(l),
    });
  const identity = (p: PemCertificate) => ({
    certificate: p.certPem,
    privateKey: p.keyPem,
    anchors: pems.ca.certPem,
  });

  beforeAll(async () => {
    dir = await makeTempDir('pkinit-mit-kdc');
    pems = await issue(REALM);
    await writePems(dir, pems);
    mit = await startMitRealm(
      REALM,
      [
        { name: 'alice', password: 'alice-Passw0rd', flags: '+requires_preauth' },
        { name: 'bob', password: 'bob-Passw0rd', flags: '+requires_preauth' },
      ],
      tools,
      {
        extraRealmConfig: [
          `pkinit_identity = FILE:${join(dir.path, 'kdc.pem')},${join(dir.path, 'kdc-key.pem')}`,
          `pkinit_anchors = FILE:${join(dir.path, 'ca.pem')}`,
        ].join('\n  '),
      },
    );
  });
  afterAll(async () => {
    await mit?.stop();
    await dir?.remove();
  });

  it('gets a TGT from krb5kdc with Diffie-Hellman (group 14)', async () => {
    const tgt = await client().getInitialCredentials('alice', identity(pems.alice));
    expect(tgt.server.name.nameString).toEqual(['krbtgt', REALM]);
    expect(lines.some((l) => l.includes('PKINIT modp14'))).toBe(true);
    // RFC 8636: krb5kdc picked the first of the client's KDFs, SHA-256.
    expect(lines).toContain('PKINIT reply key by the KDF 1.3.6.1.5.2.3.6.2 (RFC 8636)');
  });

  it('gets a TGT from krb5kdc with modp16', async () => {
    lines.length = 0;
    const tgt = await client().getInitialCredentials('alice', { ...identity(pems.alice), group: 'modp16' });
    expect(tgt.client.name.nameString).toEqual(['alice']);
    expect(lines.some((l) => l.includes('PKINIT modp16'))).toBe(true);
  });

  it("modp2 is below MIT's pkinit_dh_min_bits: its TD-DH-PARAMETERS name a group, and the client retries with it", async () => {
    lines.length = 0;
    const tgt = await client().getInitialCredentials('alice', { ...identity(pems.alice), group: 'modp2' });
    expect(tgt.client.name.nameString).toEqual(['alice']);
    expect(lines.some((l) => /does not accept modp2; it offers modp(14|16)/.test(l))).toBe(true);
  });

  // MIT krb5 1.20's pkinit plugin does no ECDH (RFC 5349): krb5kdc answers an EC public value with
  // KDC_ERR_DH_KEY_PARAMETERS_NOT_ACCEPTED and its DH groups, and the client falls back to one.
  // ECDH itself is checked between krbsim's client and KDC (packages/client/test/pkinit.test.ts).
  for (const group of ['P-256', 'P-384'] as const) {
    it(`MIT 1.20 refuses ECDH on ${group}, and the client falls back to the DH group MIT offers`, async () => {
      lines.length = 0;
      const tgt = await client().getInitialCredentials('alice', { ...identity(pems.alice), group });
      expect(tgt.client.name.nameString).toEqual(['alice']);
      expect(lines.some((l) => new RegExp(`does not accept ${group}; it offers modp`).test(l))).toBe(true);
    });
  }

  it('gets a TGT from krb5kdc by public-key encryption: MIT encrypts with des-ede3-cbc', async () => {
    lines.length = 0;
    const tgt = await client().getInitialCredentials('alice', {
      ...identity(pems.alice),
      keyDelivery: 'public-key-encryption',
    });
    expect(tgt.client.name.nameString).toEqual(['alice']);
    expect(lines.some((l) => l.includes('(PKINIT public-key encryption, freshness token)'))).toBe(true);
    // MIT 1.20's KDC encrypts with des-ede3-cbc whatever the client lists, and checksums with the mandatory
    // type of the client's first etype, aes256-cts-hmac-sha384-192.
    expect(lines).toContain('PKINIT reply key by public-key encryption (des-ede3-cbc, checksum type 20)');
  });

  it('MIT refuses a certificate from another CA, and krbsim says so with its code', async () => {
    const e = await rejection(client().getInitialCredentials('alice', identity(pems.stranger)));
    expect([ErrorCode.KDC_ERR_CANT_VERIFY_CERTIFICATE, ErrorCode.KDC_ERR_INVALID_CERTIFICATE]).toContain(
      e.code,
    );
  });

  it("MIT refuses bob's certificate for alice (KDC_ERR_CLIENT_NAME_MISMATCH)", async () => {
    const e = await rejection(client().getInitialCredentials('alice', identity(pems.bobCert)));
    expect(e.code).toBe(ErrorCode.KDC_ERR_CLIENT_NAME_MISMATCH);
  });
});
