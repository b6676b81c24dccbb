/**
 * Where a client connects to reach a listener. A KDC bound to a wildcard
 * address (`0.0.0.0`, `::`) listens on every interface, but the wildcard is
 * no address to connect to: `krb5.conf` gets loopback instead (`127.0.0.1`,
 * `::1`), which reaches the listener on this machine. IPv6 addresses are
 * bracketed in `host:port` (`[::1]:88`), as MIT krb5 reads them.
 *
 * @module
 */

import { isIPv6 } from 'node:net';

/** `0.0.0.0` → `127.0.0.1`, `::` → `::1`; any other host as it is. */
export function connectableHost(host: string): string {
  const bare = host.startsWith('[') && host.endsWith(']') ? host.slice(1, -1) : host;
  if (bare === '0.0.0.0') return '127.0.0.1';
  if (isIPv6(bare) && /^[0:]+$/.test(bare)) return '::1';
  return bare;
}

/** `host:port` a client can connect to: the {@link connectableHost}, IPv6 in brackets. */
export function connectableHostPort(host: string, port: number): string {
  const h = connectableHost(host);
  return isIPv6(h) ? `[${h}]:${port}` : `${h}:${port}`;
}
