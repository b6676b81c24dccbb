/**
 * A topology realm with `pkinit`: validation, the certificates startTopology
 * issues and writes (pkinit/, pkinit_anchors in krb5.conf), krbsim's client
 * getting a TGT with them over UDP, and buildRealms refusing a PKINIT realm
 * it has no certificates for (what `serve --workers` would need).
 */

import { readFile, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { KerberosClient } from '@krbsim/client';
import { ManualClock, SeededRandom } from '@krbsim/core';
import { certificateSids, parseCertificate, pemBlocks } from '@krbsim/pki';
import { UdpTcpTransport } from '@krbsim/transport';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeTempDir, type TempDir } from '../../../test/interop/helpers/processes';
import { runCli } from '../src/cli';
import { buildRealms, type RunningTopology, startTopology } from '../src/start-topology';
import { parseTopology, TopologyError } from '../src/topology';
import {
  issueTopologyCertificates,
  realmPkinitOptions,
  type TopologyCertificates,
} from '../src/topology-pkinit';

const YAML = `
realms:
  - name: PK.TEST
    pkinit: { requireFreshness: true }
    users:
      - { name: alice, password: a-Passw0rd }
      - { name: bob, password: b-Passw0rd }
  - name: PLAIN.TEST
    users:
      - { name: carol, password: c-Passw0rd }
`;

/** The time of the topologies and clients here (a ManualClock's): never the system's. */
const T0 = Date.UTC(2026, 0, 1, 9);

describe('topology pkinit', () => {
  it('validates: true or an object of known options', () => {
    expect(parseTopology(YAML).realms[0]!.pkinit).toEqual({ requireFreshness: true });
    expect(parseTopology('realms: [{ name: A.TEST, pkinit: true }]').realms[0]!.pkinit).toEqual({});
    expect(parseTopology('realms: [{ name: A.TEST, pkinit: false }]').realms[0]!.pkinit).toBeUndefined();
    expect(() => parseTopology('realms: [{ name: A.TEST, pkinit: { clientEku: any } }]')).toThrow(
      TopologyError,
    );
    expect(() => parseTopology('realms: [{ name: A.TEST, pkinit: { bogus: 1 } }]')).toThrow(/bogus/);
    expect(
      parseTopology('realms: [{ name: A.TEST, pkinit: { certificateMappingEnforcement: compatibility } }]')
        .realms[0]!.pkinit,
    ).toEqual({ certificateMappingEnforcement: 'compatibility' });
    expect(() =>
      parseTopology('realms: [{ name: A.TEST, pkinit: { certificateMappingEnforcement: strict } }]'),
    ).toThrow(/certificateMappingEnforcement/);
  });

  it("passes certificateMappingEnforcement to the realm's pkinit options", () => {
    const spec = parseTopology(
      'realms: [{ name: A.TEST, kind: active-directory, pkinit: { certificateMappingEnforcement: compatibility } }]',
    ).realms[0]!;
    const certs = {
      ca: { certPem: 'ca' },
      realms: new Map([['A.TEST', { kdc: { certPem: 'kdc', keyPem: 'key' } }]]),
    } as unknown as TopologyCertificates;
    expect(realmPkinitOptions(spec, certs)).toMatchObject({ certificateMappingEnforcement: 'compatibility' });
  });

  it('serve --workers and --replica-of refuse PKINIT realms as a usage error (exit 2)', async () => {
    const dir = await makeTempDir('topology-pkinit-usage');
    try {
      const file = join(dir.path, 'pk.yaml');
      await writeFile(file, YAML);
      for (const extra of [
        ['--workers', '2'],
        ['--replica-of', join(dir.path, 'ports.json')],
      ]) {
        let err = '';
        const code = await runCli(['serve', file, ...extra], {
          stdout: () => {},
          stderr: (t) => {
            err += t;
          },
        });
        expect(code).toBe(2);
        expect(err).toContain(`krbsim serve: ${extra[0]}: not for PKINIT realms (PK.TEST)`);
      }
    } finally {
      await dir.remove();
    }
  });

  it("an AD realm's KDC certificate names the domain's DNS name too, as a DC's does; an MIT realm's does not", async () => {
    const topology = parseTopology(`
realms:
  - name: CORP.CONTOSO.COM
    kind: active-directory
    pkinit: true
    users: [{ name: alice, password: a-Passw0rd }]
  - name: PK.TEST
    pkinit: true
    users: [{ name: bob, password: b-Passw0rd }]
`);
    const certs = (await issueTopologyCertificates(topology, new ManualClock(T0)))!;
    const kdcOf = (realm: string) =>
      parseCertificate(pemBlocks(certs.realms.get(realm)!.kdc.certPem, 'CERTIFICATE')[0]!);
    expect(kdcOf('CORP.CONTOSO.COM').dnsSans).toEqual(['corp.contoso.com']);
    expect(kdcOf('CORP.CONTOSO.COM').pkinitSans).toHaveLength(1); // krbtgt/CORP.CONTOSO.COM still, for MIT's client
    expect(kdcOf('PK.TEST').dnsSans).toEqual([]);
  });

  it("an AD realm's users get their implicit UPN and their account's SID in their certificates, by which its KDC maps them strongly (KB5014754)", async () => {
    const clock = new ManualClock(T0);
    const dir = await makeTempDir('topology-pkinit-ad');
    const topo = await startTopology(
      parseTopology(`
realms:
  - name: CORP.CONTOSO.COM
    kind: active-directory
    pkinit: true
    users: [{ name: alice, password: a-Passw0rd }]
`),
      {
        dir: dir.path,
        clock,
        seed: 'topology-pkinit-ad',
        random: new SeededRandom('topology-pkinit-ad kdc'),
      },
    );
    try {
      const pem = (f: string) => readFile(join(dir.path, 'pkinit', f), 'utf8');
      const certificate = await pem('alice@CORP.CONTOSO.COM.pem');
      const parsed = parseCertificate(pemBlocks(certificate, 'CERTIFICATE')[0]!);
      expect(parsed.upnSans).toEqual(['alice@corp.contoso.com']);
      // szOID_NTDS_CA_SECURITY_EXT names the SID the build gave alice's account, as AD CS writes it.
      const directory = topo.realms.get('CORP.CONTOSO.COM')!.directory;
      const sid = directory.sidOf(directory.account('alice')!.rid);
      expect(certificateSids(parsed)).toEqual({ extension: sid, urls: [] });
      expect(topo.realms.get('CORP.CONTOSO.COM')!.pkinit!.strongMappingRequired).toBe(true);
      const server = topo.servers.get('CORP.CONTOSO.COM')!;
      const client = new KerberosClient({
        realm: 'CORP.CONTOSO.COM',
        transport: new UdpTcpTransport({
          kdcs: { 'CORP.CONTOSO.COM': [{ host: '127.0.0.1', port: server.udpPort }] },
        }),
        clock,
        random: new SeededRandom('topology-pkinit-ad client'),
      });
      const identity = {
        certificate,
        privateKey: await pem('alice@CORP.CONTOSO.COM-key.pem'),
        anchors: await pem('ca.pem'),
      };
      const tgt = await client.getInitialCredentials('alice', identity);
      expect(tgt.server.name.nameString).toEqual(['krbtgt', 'CORP.CONTOSO.COM']);
      // A resync builds the realm again from the topology: alice's account gets the same SID, and her
      // certificate still maps.
      topo.resync();
      expect(directory).not.toBe(topo.realms.get('CORP.CONTOSO.COM')!.directory);
      const again = await client.getInitialCredentials('alice', identity);
      expect(again.server.name.nameString).toEqual(['krbtgt', 'CORP.CONTOSO.COM']);
    } finally {
      await topo.close();
      await dir.remove();
    }
  });

  it('buildRealms refuses a PKINIT realm without certificates, naming the field', () => {
    expect(() => buildRealms(parseTopology(YAML))).toThrow(
      /realms\[0\]\.pkinit: .*--workers cannot serve PKINIT/,
    );
  });

  describe('served', () => {
    const clock = new ManualClock(T0);
    let dir: TempDir;
    let topo: RunningTopology;
    beforeAll(async () => {
      dir = await makeTempDir('topology-pkinit');
      // One clock for the KDCs, the certificates they and the users hold, and the client below.
      topo = await startTopology(parseTopology(YAML), {
        dir: dir.path,
        clock,
        seed: 'topology-pkinit',
        random: new SeededRandom('topology-pkinit kdc'),
      });
    });
    afterAll(async () => {
      await topo?.close();
      await dir?.remove();
    });

    it('writes the CA, each user certificate and key (0600), and pkinit_anchors for the PKINIT realm only', async () => {
      const conf = await readFile(topo.files!.krb5conf, 'utf8');
      expect(conf).toContain(`pkinit_anchors = FILE:${join(dir.path, 'pkinit', 'ca.pem')}`);
      expect(conf.match(/pkinit_anchors/g)).toHaveLength(1);
      for (const u of ['alice', 'bob']) {
        expect(await readFile(join(dir.path, 'pkinit', `${u}@PK.TEST.pem`), 'utf8')).toContain(
          'BEGIN CERTIFICATE',
        );
        expect((await stat(join(dir.path, 'pkinit', `${u}@PK.TEST-key.pem`))).mode & 0o777).toBe(0o600);
      }
    });

    it("krbsim's client gets alice a TGT with her certificate, and bob's does not serve alice", async () => {
      const server = topo.servers.get('PK.TEST')!;
      const client = new KerberosClient({
        realm: 'PK.TEST',
        transport: new UdpTcpTransport({
          kdcs: { 'PK.TEST': [{ host: '127.0.0.1', port: server.udpPort }] },
        }),
        clock,
        random: new SeededRandom('topology-pkinit client'),
      });
      const pem = (f: string) => readFile(join(dir.path, 'pkinit', f), 'utf8');
      const anchors = await pem('ca.pem');
      const tgt = await client.getInitialCredentials('alice', {
        certificate: await pem('alice@PK.TEST.pem'),
        privateKey: await pem('alice@PK.TEST-key.pem'),
        anchors,
      });
      expect(tgt.server.name.nameString).toEqual(['krbtgt', 'PK.TEST']);
      expect(tgt.authtime).toBe(T0); // the KDC's time is the injected clock's
      await expect(
        client.getInitialCredentials('alice', {
          certificate: await pem('bob@PK.TEST.pem'),
          privateKey: await pem('bob@PK.TEST-key.pem'),
          anchors,
        }),
      ).rejects.toMatchObject({ codeName: 'KDC_ERR_CLIENT_NAME_MISMATCH' });
    });
  });
});
