/**
 * KerberosFlags bit masks: KDCOptions (RFC 4120 section 5.4.1), TicketFlags
 * (section 5.3), APOptions (section 5.5.1), plus the RFC 6806, RFC 6113 and
 * MS-SFU additions. A leaf module.
 *
 * Flags travel as a BIT STRING whose bit 0 is the most significant bit of the
 * first octet. krbsim holds them as an unsigned 32-bit number in that order,
 * so RFC bit `n` is the mask `0x80000000 >>> n`.
 *
 * @module
 */

/** The mask for RFC bit number `n` (0 = most significant). */
export const flagBit = (n: number): number => (0x80000000 >>> n) >>> 0;

/** KDCOptions (RFC 4120 section 5.4.1; canonicalize from RFC 6806). */
export const KdcOptions = {
  reserved: flagBit(0),
  forwardable: flagBit(1),
  forwarded: flagBit(2),
  proxiable: flagBit(3),
  proxy: flagBit(4),
  'allow-postdate': flagBit(5),
  postdated: flagBit(6),
  renewable: flagBit(8),
  'opt-hardware-auth': flagBit(11),
  'constrained-delegation': flagBit(14), // MS-SFU 2.2.1 cname-in-addl-tkt
  canonicalize: flagBit(15),
  'request-anonymous': flagBit(16),
  'disable-transited-check': flagBit(26),
  'renewable-ok': flagBit(27),
  'enc-tkt-in-skey': flagBit(28),
  renew: flagBit(30),
  validate: flagBit(31),
} as const;

/** TicketFlags (RFC 4120 section 5.3; bit 15 from MS-KILE and RFC 6806, bit 16 from RFC 8062). */
export const TicketFlags = {
  reserved: flagBit(0),
  forwardable: flagBit(1),
  forwarded: flagBit(2),
  proxiable: flagBit(3),
  proxy: flagBit(4),
  'may-postdate': flagBit(5),
  postdated: flagBit(6),
  invalid: flagBit(7),
  renewable: flagBit(8),
  initial: flagBit(9),
  'pre-authent': flagBit(10),
  'hw-authent': flagBit(11),
  'transited-policy-checked': flagBit(12),
  'ok-as-delegate': flagBit(13),
  // Bit 15 has two names: `name-canonicalize` (MS-KILE; what Windows klist
  // shows on every referral-capable ticket) and `enc-pa-rep` (RFC 6806 section 11).
  'name-canonicalize': flagBit(15),
  // RFC 8062 section 3 (RFC 6112 before it): bit 16, as MIT (TKT_FLG_ANONYMOUS) and Heimdal set it.
  anonymous: flagBit(16),
} as const;

/**
 * RFC 6806 section 11: in the flags of an EncKDCRepPart, bit 15 says the
 * reply's encrypted-pa-data carries PA-REQ-ENC-PA-REP, a checksum of the
 * request as the KDC received it. The same bit of a ticket's flags is
 * MS-KILE's `name-canonicalize`; a KDC copying ticket flags into a reply
 * part must clear it unless it sends that checksum.
 */
export const ENC_PA_REP: number = flagBit(15);

/** APOptions (RFC 4120 section 5.5.1). */
export const ApOptions = {
  reserved: flagBit(0),
  'use-session-key': flagBit(1),
  'mutual-required': flagBit(2),
} as const;

/** The names of the bits set in `flags`, in RFC bit order, for traces and JSON. */
export function flagNames(table: Readonly<Record<string, number>>, flags: number): string[] {
  const out: string[] = [];
  let known = 0;
  for (const [name, mask] of Object.entries(table)) {
    if ((flags & mask) !== 0 && (known & mask) === 0) {
      out.push(name);
      known |= mask;
    }
  }
  for (let n = 0; n < 32; n++) {
    const m = flagBit(n);
    if ((flags & m) !== 0 && (known & m) === 0) out.push(`bit${n}`);
  }
  return out;
}

/** The flags value with every named bit set. */
export function flagsOf(table: Readonly<Record<string, number>>, names: Iterable<string>): number {
  let v = 0;
  for (const name of names) {
    const m = table[name];
    if (m === undefined) throw new RangeError(`unknown flag name: ${name}`);
    v |= m;
  }
  return v >>> 0;
}
