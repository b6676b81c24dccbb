/**
 * Windows versions, ranked, for the flows' client prerequisites.
 *
 * Facts: the incoming trust-based flow needs Windows Server 2012 or later, or
 * Windows 10 or later; the modern interactive flow needs Windows 10 21H1 or
 * later (or Windows 11).
 *
 * @module
 */

/** A parsed Windows version: family and a comparable rank. */
export interface WindowsVersion {
  readonly name: string;
  readonly family: 'client' | 'server';
  /** Client: 10.YYHx as a number (Windows 10 21H1 = 10.211); 11 and later above that. Server: the year. */
  readonly rank: number;
}

const clientReleases: Record<string, number> = {
  '1507': 10.15,
  '1511': 10.155,
  '1607': 10.16,
  '1703': 10.17,
  '1709': 10.175,
  '1803': 10.18,
  '1809': 10.185,
  '1903': 10.19,
  '1909': 10.195,
  '2004': 10.2,
  // Microsoft's documents name 2004 so too.
  '20H1': 10.2,
  '20H2': 10.205,
  '21H1': 10.211,
  '21H2': 10.212,
  '22H2': 10.222,
};

/**
 * Parses `Windows 10 21H1`, `Windows 11`, `Windows 8.1`, `Windows Server 2012 R2`, ...: `Windows 7`,
 * `8`, `8.1`, `10` (alone or with a release from 1507 to 22H2), `11`, and `Windows Server <year>`
 * (alone or with `R2`), in any case. Throws a RangeError for anything else, listing the forms it reads.
 */
export function parseWindowsVersion(name: string): WindowsVersion {
  // Not a string (a caller without types): no form matches, and the RangeError shows the value.
  const text = typeof name === 'string' ? name.trim() : '';
  const server = /^Windows Server (\d{4})( R2)?$/i.exec(text);
  if (server) return { name, family: 'server', rank: Number(server[1]) + (server[2] ? 0.5 : 0) };
  const client = /^Windows (7|8|8\.1|10|11)(?: (\w{4}))?$/i.exec(text);
  if (client) {
    const major = Number(client[1]);
    if (major < 10) return { name, family: 'client', rank: major };
    if (major === 11) return { name, family: 'client', rank: 11 };
    const release = client[2]?.toUpperCase();
    if (release === undefined) return { name, family: 'client', rank: 10 };
    const rank = clientReleases[release];
    if (rank !== undefined) return { name, family: 'client', rank };
  }
  throw new RangeError(
    `unknown Windows version ${JSON.stringify(name)}: use forms like "Windows 10 21H1", "Windows 11" or "Windows Server 2012 R2" ` +
      `(accepted: "Windows 7", "Windows 8", "Windows 8.1", "Windows 10" alone or with a release (${Object.keys(clientReleases).join(', ')}), ` +
      '"Windows 11", "Windows Server <year>" alone or with " R2"; in any case)',
  );
}

/** Windows Server 2012+ or Windows 10+: the incoming trust-based flow's client requirement. */
export function supportsIncomingTrustFlow(v: WindowsVersion): boolean {
  return v.family === 'server' ? v.rank >= 2012 : v.rank >= 10;
}

/**
 * Windows 10 21H1+ (or 11): the modern interactive flow's client requirement. The facts name
 * client releases only, so no Windows Server release meets it.
 */
export function supportsModernInteractiveFlow(v: WindowsVersion): boolean {
  return v.family === 'client' && v.rank >= 10.211;
}
