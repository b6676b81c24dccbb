/**
 * Heimdal's kinit (`--pk-user=FILE:cert.pem,key.pem --x509-anchors=FILE:ca.pem`)
 * gets a TGT from a krbsim KDC with PKINIT. Heimdal 7's client signs with a
 * subjectKeyIdentifier SignerIdentifier (written EXPLICIT) and offers the
 * 1024-bit MODP group 2 and no other, so the realm must list modp2; a realm
 * that does not refuses it with KDC_ERR_DH_KEY_PARAMETERS_NOT_ACCEPTED,
 * which Heimdal reports without retrying. With `--pk-use-enckey` it asks for
 * public-key encryption delivery instead (RFC 4556 section 3.2.3.2): no DH
 * value, so any realm serves it, and the ReplyKeyPack it checks comes
 * encrypted with AES-256-CBC, the strongest of the ciphers it lists.
 */

import { writeFile } from 'node:fs/promises';
import {
  decodeAsRep,
  decodeAsReq,
  decodeAuthPack,
  decodePaPkAsRep,
  decodePaPkAsReq,
  PaDataType,
  PkinitOid,
} from '@krbsim/asn1';
import { systemRandom } from '@krbsim/core';
import { Kdc, type PkinitOptions, Realm } from '@krbsim/kdc';
import {
  cmsSigner,
  contentEncryptionAlgorithmId,
  createSelfSignedCa,
  issuePkinitClientCertificate,
  issuePkinitKdcCertificate,
  openEnvelopedData,
  type PemCertificate,
  verifySignedData,
} from '@krbsim/pki';
import { type KdcServer, serveKdc } from '@krbsim/transport';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { describeWithHeimdal, HeimdalClient } from './helpers/heimdal';
import { makeTempDir, type TempDir } from './helpers/processes';

const REALM = 'PKINIT.HEIMDAL.TEST';

describeWithHeimdal('Heimdal kinit --pk-user against krbsim', (heimdal) => {
  let dir: TempDir;
  let ca: PemCertificate;
  let kdcCert: PemCertificate;
  let alice: PemCertificate;
  const servers: KdcServer[] = [];
  const log: string[] = [];
  /** Every request the KDCs answered, and the answer. */
  const exchanges: [Uint8Array, Uint8Array][] = [];

  async function serve(pkinit: Partial<PkinitOptions>): Promise<HeimdalClient> {
    const realm = new Realm({
      name: REALM,
      random: systemRandom,
      pkinit: { anchors: ca.certPem, certificate: kdcCert.certPem, privateKey: kdcCert.keyPem, ...pkinit },
    });
    realm.addUser('alice', { password: 'alice-Passw0rd' });
    const kdc = new Kdc(realm);
    const server = await serveKdc(
      (req) => {
        const rep = kdc.handle(req);
        exchanges.push([req, rep]);
        return rep;
      },
      { log: (l) => log.push(l) },
    );
    servers.push(server);
    const conf = dir.file(`krb5-${server.udpPort}.conf`);
    await writeFile(
      conf,
      `[libdefaults]\n default_realm = ${REALM}\n dns_lookup_kdc = false\n dns_lookup_realm = false\n[realms]\n ${REALM} = {\n  kdc = 127.0.0.1:${server.udpPort}\n }\n`,
    );
    return new HeimdalClient(heimdal, dir.path, conf, dir.file(`cc-${server.udpPort}`), () => log.join('\n'));
  }
  const args = ['--pk-user=', '--x509-anchors='];

  beforeAll(async () => {
    dir = await makeTempDir('pkinit-heimdal');
    ca = await createSelfSignedCa({ commonName: 'krbsim lab CA', keyType: 'rsa-2048' });
    kdcCert = await issuePkinitKdcCertificate(ca, { realm: REALM });
    alice = await issuePkinitClientCertificate(ca, { principal: 'alice', realm: REALM });
    await writeFile(dir.file('ca.pem'), ca.certPem);
    await writeFile(dir.file('alice.pem'), alice.certPem);
    await writeFile(dir.file('alice-key.pem'), alice.keyPem, { mode: 0o600 });
    args[0] = `--pk-user=FILE:${dir.file('alice.pem')},${dir.file('alice-key.pem')}`;
    args[1] = `--x509-anchors=FILE:${dir.file('ca.pem')}`;
  });
  afterAll(async () => {
    for (const s of servers) await s.close();
    await dir?.remove();
  });

  it('gets a TGT with PKINIT from a realm that accepts MODP group 2', async () => {
    const h = await serve({ groups: ['modp14', 'modp2'] });
    // Heimdal 7.8's kinit pads the DH secret to the modulus' length but then derives the key from as
    // many bytes as DH_compute_key returned (pkinit.c, pk_rd_pa_reply_dh): when the secret starts with a
    // zero byte (1 exchange in 256, its key and the KDC's being random) it takes the wrong bytes and
    // cannot open the AS-REP. krbsim pads as RFC 4556 3.2.3.1 says (MIT's kinit agrees: pkinit-mit),
    // so that one failure, and only it, is retried once: a second fresh exchange.
    const first = await h.run('kinit', [...args, `alice@${REALM}`], { input: '' });
    if (first.code !== 0) {
      expect(first.stderr).toContain('Password incorrect');
      expect(first.trace).toContain('Decrypt integrity check failed');
      await h.ok('kinit', [...args, `alice@${REALM}`], { input: '' });
    }
    const k = await h.ok('klist', []);
    expect(k.stdout).toContain(`krbtgt/${REALM}@${REALM}`);
    expect(log.some((l) => /AS-REQ \d+ bytes -> AS-REP/.test(l))).toBe(true);
  });

  it('gets a TGT by public-key encryption (--pk-use-enckey), whatever groups the realm serves', async () => {
    const h = await serve({});
    const r = await h.ok('kinit', [...args, '--pk-use-enckey', `alice@${REALM}`], { input: '' });
    expect(r.trace).toContain('krb5_get_init_creds: using PKINIT');
    expect((await h.ok('klist', [])).stdout).toContain(`krbtgt/${REALM}@${REALM}`);
    const [req, rep] = exchanges.at(-1)!;
    const pa = decodeAsReq(req).padata!.find((p) => p.padataType === PaDataType.PA_PK_AS_REQ)!;
    const signed = verifySignedData(
      decodePaPkAsReq(pa.padataValue).signedAuthPack,
      PkinitOid.id_pkinit_authData,
    );
    const authPack = decodeAuthPack(signed.content);
    expect(authPack.clientPublicValue).toBeUndefined();
    // Heimdal lists des-ede3-cbc, aes128-CBC and aes256-CBC among its signature and digest algorithms,
    // weakest first; the KDC takes its strongest.
    const listed = authPack.supportedCmsTypes!.map((b) => Buffer.from(b).toString('hex'));
    expect(listed).toEqual(
      expect.arrayContaining(
        (['des-ede3-cbc', 'aes128-cbc', 'aes256-cbc'] as const).map((a) =>
          Buffer.from(contentEncryptionAlgorithmId(a)).toString('hex'),
        ),
      ),
    );
    const pk = decodePaPkAsRep(
      decodeAsRep(rep).padata!.find((p) => p.padataType === PaDataType.PA_PK_AS_REP)!.padataValue,
    );
    if (!('encKeyPack' in pk)) throw new Error('expected encKeyPack');
    expect(openEnvelopedData(pk.encKeyPack, cmsSigner(alice.certPem, alice.keyPem)).algorithm).toBe(
      'aes256-cbc',
    );
  });

  it("a realm with MIT's 2048-bit minimum refuses Heimdal's group 2 (KDC_ERR_DH_KEY_PARAMETERS_NOT_ACCEPTED)", async () => {
    const h = await serve({});
    const r = await h.run('kinit', [...args, `alice@${REALM}`], { input: '' });
    expect(r.code, h.explain(r)).not.toBe(0);
    expect(r.stderr).toContain('does not accept the group modp2');
    expect(log.some((l) => l.includes('KDC_ERR_DH_KEY_PARAMETERS_NOT_ACCEPTED'))).toBe(true);
  });
});
