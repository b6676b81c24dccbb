/**
 * PKINIT for a served topology: one lab CA, a KDC certificate for each realm
 * marked `pkinit` (id-pkinit-KPKdc, `krbtgt/REALM@REALM`), and a client
 * certificate for each of its users (id-pkinit-san `user@REALM`; in an
 * `active-directory` realm the user's implicit UPN and account SID, as AD CS
 * issues them), issued by `@krbsim/pki` when the topology starts, and
 * written next to `krb5.conf`:
 *
 *   pkinit/ca.pem                    the anchor (`pkinit_anchors` in krb5.conf)
 *   pkinit/<user>@<REALM>.pem        a user's certificate, and its key in
 *   pkinit/<user>@<REALM>-key.pem    (0600): `kinit -X X509_user_identity=FILE:<cert>,<key>`
 *
 * The KDCs' own keys stay in memory. The certificates are made with fresh
 * WebCrypto keys, so every start issues new ones.
 *
 * @module
 */

import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Clock } from '@krbsim/core';
import { writeOwnerOnlyFile } from '@krbsim/files';
import type { PkinitOptions, Realm } from '@krbsim/kdc';
import {
  createSelfSignedCa,
  issuePkinitClientCertificate,
  issuePkinitKdcCertificate,
  type PemCertificate,
} from '@krbsim/pki';
import type { RealmFileSpec, TopologyFile } from './topology';

/** The certificates of a topology's PKINIT realms. */
export interface TopologyCertificates {
  readonly ca: PemCertificate;
  /** By realm name: the KDC's certificate and each user's. */
  readonly realms: ReadonlyMap<
    string,
    { readonly kdc: PemCertificate; readonly users: ReadonlyMap<string, PemCertificate> }
  >;
}

/**
 * Issues the CA and each PKINIT realm's KDC certificate, or undefined when no
 * realm serves PKINIT: what the realms need to be built. Each realm's `users`
 * stay empty until {@link issueUserCertificates}, once the accounts exist.
 */
export async function issueTopologyCertificates(
  topology: TopologyFile,
  clock: Clock,
): Promise<TopologyCertificates | undefined> {
  const pk = topology.realms.filter((r) => r.pkinit !== undefined);
  if (pk.length === 0) return undefined;
  const ca = await createSelfSignedCa({ commonName: 'krbsim lab CA', keyType: 'rsa-2048', clock });
  const realms = new Map<string, { kdc: PemCertificate; users: Map<string, PemCertificate> }>();
  for (const r of pk) {
    // An AD realm's KDC certificate names the domain's DNS name too, as a DC's does (MS-PKCA 3.1.5.1):
    // a client that checks it so (MIT's pkinit_kdc_hostname, krbsim's kdcHostnames) finds it.
    const kdc = await issuePkinitKdcCertificate(ca, {
      realm: r.name,
      clock,
      ...(r.kind === 'active-directory' && { dnsNames: [r.name.toLowerCase()] }),
    });
    realms.set(r.name, { kdc, users: new Map() });
  }
  return { ca, realms };
}

/**
 * `certs` with a client certificate for each user of each PKINIT realm of
 * `realms` (built with `certs`): an id-pkinit-san `user@REALM`, and in an
 * `active-directory` realm what AD CS's online templates write, which a DC
 * maps by (it does not process id-pkinit-san, MS-PKCA 3.1.5): the user's
 * implicit UPN, `name@domain`, and the account's SID in
 * szOID_NTDS_CA_SECURITY_EXT (KB5014754), the strong mapping the realm's
 * Full Enforcement asks for. The SID is the one the build gave the account;
 * a rebuild from the same topology gives the same.
 */
export async function issueUserCertificates(
  certs: TopologyCertificates,
  topology: TopologyFile,
  realms: ReadonlyMap<string, Realm>,
  clock: Clock,
): Promise<TopologyCertificates> {
  const issued = new Map<string, { kdc: PemCertificate; users: Map<string, PemCertificate> }>();
  for (const r of topology.realms) {
    const kdc = certs.realms.get(r.name)?.kdc;
    if (kdc === undefined) continue;
    const directory = realms.get(r.name)?.directory;
    const users = new Map<string, PemCertificate>();
    for (const u of r.users) {
      const account = r.kind === 'active-directory' ? directory?.account(u.name) : undefined;
      const ad =
        r.kind === 'active-directory'
          ? {
              upn: `${u.name}@${r.name.toLowerCase()}`,
              // A name of several components (alice/admin) is no account, and has no SID.
              ...(account !== undefined && { sid: directory!.sidOf(account.rid) }),
            }
          : {};
      users.set(
        u.name,
        await issuePkinitClientCertificate(certs.ca, { principal: u.name, realm: r.name, clock, ...ad }),
      );
    }
    issued.set(r.name, { kdc, users });
  }
  return { ca: certs.ca, realms: issued };
}

/** The realm's `pkinit` option from its spec and certificates. */
export function realmPkinitOptions(
  spec: RealmFileSpec,
  certs: TopologyCertificates,
): PkinitOptions | undefined {
  const issued = certs.realms.get(spec.name);
  if (spec.pkinit === undefined || issued === undefined) return undefined;
  const p = spec.pkinit;
  return {
    anchors: certs.ca.certPem,
    certificate: issued.kdc.certPem,
    privateKey: issued.kdc.keyPem,
    ...(p.requireFreshness !== undefined && { requireFreshness: p.requireFreshness }),
    ...(p.clientEku !== undefined && { clientEku: p.clientEku }),
    ...(p.allowUpn !== undefined && { allowUpn: p.allowUpn }),
    ...(p.certificateMappingEnforcement !== undefined && {
      certificateMappingEnforcement: p.certificateMappingEnforcement,
    }),
  };
}

/** Writes `pkinit/` under `dir`; returns the CA file's path. */
export async function writePkinitFiles(dir: string, certs: TopologyCertificates): Promise<string> {
  const out = join(dir, 'pkinit');
  await mkdir(out, { recursive: true, mode: 0o700 });
  const ca = join(out, 'ca.pem');
  await writeFile(ca, certs.ca.certPem);
  for (const [realm, issued] of certs.realms) {
    for (const [user, cert] of issued.users) {
      await writeFile(join(out, `${user.replace(/\//g, '_')}@${realm}.pem`), cert.certPem);
      const key = join(out, `${user.replace(/\//g, '_')}@${realm}-key.pem`);
      await writeOwnerOnlyFile(key, new TextEncoder().encode(cert.keyPem));
    }
  }
  return ca;
}
