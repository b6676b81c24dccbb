/**
 * DNS names as krbsim takes them: host names to listen on or to route by (a
 * trust's top-level names, a realm's domains), and single labels (a managed
 * instance's name and DNS zone, each one label of its host).
 *
 * RFC 1035 section 2.3.1 (the preferred name syntax, relaxed by RFC 1123 section 2.1 to allow a
 * leading digit): a label is 1 to 63 letters, digits and hyphens, neither first nor last a hyphen;
 * a name is labels joined by dots, 253 characters at most. Letters have no case (RFC 4343), so
 * callers fold names to lower case.
 *
 * @module
 */

/** RFC 1035 section 2.3.4: a label is 63 octets at most. */
const LABEL = /^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$/i;

/** How a label is written, for error messages. */
export const DNS_LABEL_RULE = '1 to 63 letters, digits and hyphens, not starting or ending with a hyphen';

/** True when `text` is one DNS label (see the module documentation). */
export function isDnsLabel(text: string): boolean {
  return LABEL.test(text);
}

/**
 * True when `text` is a DNS name: labels joined by dots, one trailing dot allowed (the root), 253
 * characters at most without it (RFC 1035 section 2.3.4's 255 octets on the wire).
 */
export function isDnsName(text: string): boolean {
  const name = text.endsWith('.') ? text.slice(0, -1) : text;
  return name.length <= 253 && name.split('.').every(isDnsLabel);
}
