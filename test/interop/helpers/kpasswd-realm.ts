/**
 * A realm's KDC and password-change service (kpasswd, RFC 3244) on loopback
 * for the interop tests of real kpasswd clients, and the krb5.conf that
 * names them.
 */

import type { Realm } from '@krbsim/kdc';
import { Kdc, KpasswdService } from '@krbsim/kdc';
import { type KdcRequestInfo, type KdcServer, serveKdc } from '@krbsim/transport';
import { freePort } from './mit-realm';

/** The two services, each on one port for UDP and TCP (as one `kdc =` or `kpasswd_server =` line names one). */
export interface KpasswdRealm {
  readonly kdcPort: number;
  readonly kpasswdPort: number;
  readonly servers: readonly KdcServer[];
}

/** Serve `realm`'s KDC and password-change service; `onRequest` sees each kpasswd request before it is answered. */
export async function serveKpasswdRealm(
  realm: Realm,
  opts: {
    log?: (line: string) => void;
    onRequest?: (request: Uint8Array, info: KdcRequestInfo) => void;
  } = {},
): Promise<KpasswdRealm> {
  const kdcPort = await freePort();
  const kdc = await serveKdc((r) => new Kdc(realm).handle(r), {
    realm: realm.name,
    udpPort: kdcPort,
    tcpPort: kdcPort,
  });
  const kpasswd = new KpasswdService(realm, { ...(opts.log !== undefined && { log: opts.log }) });
  const kpasswdPort = await freePort();
  const changepw = await serveKdc(
    (r, info) => {
      opts.onRequest?.(r, info);
      return kpasswd.handle(r);
    },
    { realm: realm.name, protocol: 'kpasswd', udpPort: kpasswdPort, tcpPort: kpasswdPort },
  );
  return { kdcPort, kpasswdPort, servers: [kdc, changepw] };
}

/** krb5.conf for `realm` at these ports; `kpasswdServer` as the client's syntax wants it (`tcp/host:port` for Heimdal's TCP). */
export function kpasswdKrb5Conf(
  realm: string,
  kdcPort: number,
  kpasswdServer: string,
  libdefaults: readonly string[] = [],
): string {
  return [
    '[libdefaults]',
    `  default_realm = ${realm}`,
    '  dns_lookup_kdc = false',
    '  dns_lookup_realm = false',
    ...libdefaults.map((l) => `  ${l}`),
    '[realms]',
    `  ${realm} = {`,
    `    kdc = 127.0.0.1:${kdcPort}`,
    `    kpasswd_server = ${kpasswdServer}`,
    '  }',
    '',
  ].join('\n');
}
