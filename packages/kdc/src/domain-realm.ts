/**
 * Host-to-realm mapping for referrals of host-based service names
 * (RFC 4120 section 1.3.1 and RFC 6806 section 8): MIT's `[domain_realm]`
 * table, and the DNS-label suffix match AD uses for a forest trust's
 * top-level names (MS-KILE section 3.3.5.1.2; MS-ADTS forest trust info).
 *
 * Matching is on whole DNS labels: `windows.net` matches
 * `x.database.windows.net` and `windows.net`, never `notwindows.net`. So the
 * names that can cover a host are its label suffixes ({@link dnsSuffixes}),
 * and a table keyed by name answers in one lookup per label, however many
 * names it holds.
 *
 * @module
 */

/** Lower-case, no trailing dot. */
export function normalizeDnsName(name: string): string {
  return name.toLowerCase().replace(/\.$/, '');
}

/** True when `host` is `suffix` or a name below it (whole-label match). */
export function isDnsSuffix(suffix: string, host: string): boolean {
  const s = normalizeDnsName(suffix);
  const h = normalizeDnsName(host);
  return s.length > 0 && (h === s || h.endsWith(`.${s}`));
}

/**
 * Every non-empty `suffix` for which `isDnsSuffix(suffix, name)` holds, given
 * a normalized `name`: the name itself, then what follows each of its dots,
 * longest first (`a.b.c`: `a.b.c`, `b.c`, `c`). One map lookup per label
 * answers "which claimed name covers this host" with these.
 */
export function dnsSuffixes(name: string): string[] {
  const out = name.length > 0 ? [name] : [];
  for (let dot = name.indexOf('.'); dot >= 0; dot = name.indexOf('.', dot + 1)) {
    if (dot + 1 < name.length) out.push(name.slice(dot + 1));
  }
  return out;
}

/**
 * An MIT-style `[domain_realm]` table. A key with a leading dot
 * (`.contoso.com`) maps every host below the domain; a key without one maps
 * that exact host. The longest (most specific) match wins, and an exact host
 * entry beats a domain entry of the same name, as in MIT's
 * `krb5_get_host_realm`.
 */
export class DomainRealmMap {
  readonly #exact = new Map<string, string>();
  readonly #domains = new Map<string, string>();

  /** Map `domain` (`.contoso.com` or `host.contoso.com`) to `realm`. */
  set(domain: string, realm: string): void {
    const d = normalizeDnsName(domain);
    if (d.startsWith('.')) {
      if (d.length < 2) throw new RangeError(`empty domain in mapping '${domain}'`);
      this.#domains.set(d.slice(1), realm);
    } else {
      if (d.length === 0) throw new RangeError('empty host name in mapping');
      this.#exact.set(d, realm);
    }
  }

  /** Remove a mapping. */
  delete(domain: string): boolean {
    const d = normalizeDnsName(domain);
    return d.startsWith('.') ? this.#domains.delete(d.slice(1)) : this.#exact.delete(d);
  }

  /** The realm `host` maps to, or undefined. */
  lookup(host: string): string | undefined {
    const h = normalizeDnsName(host);
    const exact = this.#exact.get(h);
    if (exact !== undefined) return exact;
    // Walk up the labels: a.b.c.d tries b.c.d, c.d, d, so the longest domain wins.
    let rest = h;
    for (let dot = rest.indexOf('.'); dot >= 0; dot = rest.indexOf('.')) {
      rest = rest.slice(dot + 1);
      const r = this.#domains.get(rest);
      if (r !== undefined) return r;
    }
    return undefined;
  }

  /** The mappings as `[domain, realm]` pairs, domains with their leading dot. */
  entries(): [string, string][] {
    return [
      ...[...this.#exact].map(([d, r]): [string, string] => [d, r]),
      ...[...this.#domains].map(([d, r]): [string, string] => [`.${d}`, r]),
    ];
  }
}
