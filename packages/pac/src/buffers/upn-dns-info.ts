/**
 * UPN_DNS_INFO: MS-PAC 2.10, the client's user principal name and DNS
 * domain name (PAC buffer type 12) and, in the extended form (Flags bit S,
 * written since the November 2021 updates), its SAM account name and SID.
 * Plain little-endian, not NDR:
 *
 * ```
 * typedef struct _UPN_DNS_INFO {
 *   USHORT UpnLength; USHORT UpnOffset;
 *   USHORT DnsDomainNameLength; USHORT DnsDomainNameOffset;
 *   ULONG Flags;                      // U: UPN constructed, S: extended
 *   // only when S is set:
 *   USHORT SamNameLength; USHORT SamNameOffset;
 *   USHORT SidLength; USHORT SidOffset;
 * } UPN_DNS_INFO;
 * ```
 *
 * Lengths are in bytes and offsets count from the start of the buffer. The
 * strings are UTF-16LE without a terminating NUL, the SID is in its packed
 * form (MS-DTYP 2.4.2.2). Windows lays the buffer out as krbsim writes it:
 * the header, then UPN, DNS domain name, SAM name and SID in that order, each
 * starting on an 8-byte boundary, the buffer padded with zeros to a multiple
 * of 8. The decoder accepts any layout whose items lie after the header
 * inside the buffer without overlapping, with zeros everywhere else, and
 * records a different layout in {@link UpnDnsInfo.layout}.
 *
 * @module
 */

import { PacError, withPath } from '../errors';
import { UpnDnsFlags } from '../iana/flags';
import { utf16At } from '../ndr/reader';
import { checkString, checkUInt, NdrWriter } from '../ndr/writer';
import { checkSid, readBinarySid, type Sid, sidLength, writeSid } from '../sid';

/** Where the items of a UPN_DNS_INFO buffer were, when not where krbsim puts them. */
export interface UpnDnsLayout {
  readonly upnOffset: number;
  readonly dnsDomainNameOffset: number;
  readonly samNameOffset?: number;
  readonly sidOffset?: number;
  /** The buffer's length (cbBufferSize). */
  readonly size: number;
}

/** UPN_DNS_INFO (MS-PAC 2.10). */
export interface UpnDnsInfo {
  /** The user principal name (`alice@contoso.com`); constructed from the account name when flag U is set. */
  readonly upn: string;
  /** The DNS name of the user's domain (`CONTOSO.COM`). */
  readonly dnsDomainName: string;
  /** `UpnDnsFlags` bits; HAS_SAM_NAME_AND_SID (S) exactly when `samName` and `sid` are present. */
  readonly flags: number;
  /** The sAMAccountName (extended form only). */
  readonly samName?: string;
  /** The account's SID (extended form only). */
  readonly sid?: Sid;
  /** The decoded buffer's layout, when it is not the one krbsim writes. Leave out when building values. */
  readonly layout?: UpnDnsLayout;
}

const align8 = (n: number) => (n + 7) & ~7;

/** The canonical offsets of items of `lengths` after a header of `header` bytes, and the buffer size. */
function canonicalLayout(header: number, lengths: readonly number[]): { offsets: number[]; size: number } {
  let at = align8(header);
  const offsets: number[] = [];
  for (const len of lengths) {
    offsets.push(at);
    at = align8(at + len);
  }
  return { offsets, size: at };
}

/** One item of the buffer: its name in errors, offset and length in bytes. */
interface LayoutItem {
  readonly name: string;
  readonly offset: number;
  readonly length: number;
}

/** Checks that items lie inside `[header, size)` without overlapping; returns a reason or undefined. */
function layoutProblem(header: number, size: number, items: readonly LayoutItem[]): string | undefined {
  for (const it of items) {
    if (it.length === 0) continue;
    if (it.offset < header) return `${it.name} at ${it.offset} overlaps the ${header}-byte header`;
    if (it.offset + it.length > size) {
      return `${it.name} (${it.length} bytes at ${it.offset}) runs past the ${size}-byte buffer`;
    }
  }
  // Items are almost always in offset order already: then check neighbours without sorting a copy.
  let prev: LayoutItem | undefined;
  let ordered = true;
  for (const it of items) {
    if (it.length === 0) continue;
    if (prev !== undefined && it.offset < prev.offset) {
      ordered = false;
      break;
    }
    prev = it;
  }
  if (ordered) {
    prev = undefined;
    for (const it of items) {
      if (it.length === 0) continue;
      if (prev !== undefined && prev.offset + prev.length > it.offset)
        return `${prev.name} and ${it.name} overlap`;
      prev = it;
    }
    return undefined;
  }
  const sorted = items.filter((it) => it.length > 0).sort((a, b) => a.offset - b.offset);
  for (let i = 1; i < sorted.length; i++) {
    const a = sorted[i - 1]!;
    const b = sorted[i]!;
    if (a.offset + a.length > b.offset) return `${a.name} and ${b.name} overlap`;
  }
  return undefined;
}

function u16At(b: Uint8Array, at: number): number {
  return b[at]! | (b[at + 1]! << 8);
}

/** The length and offset pair at `b[at]`. */
function layoutItem(b: Uint8Array, at: number, name: string): LayoutItem {
  return { name, length: u16At(b, at), offset: u16At(b, at + 2) };
}

/** Reads a UPN_DNS_INFO filling `b[start..end)`. */
export function readUpnDnsInfo(b: Uint8Array, start: number, end: number): UpnDnsInfo {
  const size = end - start;
  try {
    if (size < 12) throw new PacError(`the header takes 12 bytes, the buffer has ${size}`, { offset: start });
    const flags = (u16At(b, start + 8) | (u16At(b, start + 10) << 16)) >>> 0;
    const extended = (flags & UpnDnsFlags.HAS_SAM_NAME_AND_SID) !== 0;
    const header = extended ? 20 : 12;
    if (size < header) {
      throw new PacError(`flag S is set, so the header takes 20 bytes; the buffer has ${size}`, {
        path: '.Flags',
        offset: start + 8,
      });
    }
    const items = [layoutItem(b, start, 'Upn'), layoutItem(b, start + 4, 'DnsDomainName')];
    if (extended) items.push(layoutItem(b, start + 12, 'SamName'), layoutItem(b, start + 16, 'Sid'));
    for (let i = 0; i < items.length; i++) {
      const it = items[i]!;
      if (i < 3 && it.length % 2 !== 0) {
        throw new PacError(`${it.name}Length ${it.length} is odd (UTF-16)`, {
          path: `.${it.name}Length`,
          offset: start + 4 * i,
        });
      }
    }
    const problem = layoutProblem(header, size, items);
    if (problem !== undefined) throw new PacError(problem, { offset: start });
    // Every byte that is neither header nor item must be zero padding.
    for (let i = header; i < size; i++) {
      if (b[start + i] === 0 || insideItem(items, i)) continue;
      throw new PacError(`padding must be zero, got 0x${b[start + i]!.toString(16).padStart(2, '0')}`, {
        offset: start + i,
      });
    }
    const [upnItem, dnsItem, samItem, sidItem] = items;
    const upn = utf16At(b, start + upnItem!.offset, upnItem!.length / 2);
    const dnsDomainName = utf16At(b, start + dnsItem!.offset, dnsItem!.length / 2);
    let samName: string | undefined;
    let sid: Sid | undefined;
    if (extended) {
      samName = utf16At(b, start + samItem!.offset, samItem!.length / 2);
      sid = readBinarySid(b, start + sidItem!.offset, start + sidItem!.offset + sidItem!.length, '.Sid');
    }
    const layout: UpnDnsLayout | undefined = isCanonical(header, size, items)
      ? undefined
      : {
          upnOffset: upnItem!.offset,
          dnsDomainNameOffset: dnsItem!.offset,
          ...(extended && { samNameOffset: samItem!.offset, sidOffset: sidItem!.offset }),
          size,
        };
    // The optional fields are added, not spread in: a literal with spreads is built by a slow path.
    const info: { -readonly [K in keyof UpnDnsInfo]: UpnDnsInfo[K] } = { upn, dnsDomainName, flags };
    if (samName !== undefined) info.samName = samName;
    if (sid !== undefined) info.sid = sid;
    if (layout !== undefined) info.layout = layout;
    return info;
  } catch (e) {
    throw withPath(e, 'UPN_DNS_INFO');
  }
}

function insideItem(items: readonly LayoutItem[], i: number): boolean {
  for (const it of items) if (i >= it.offset && i < it.offset + it.length) return true;
  return false;
}

/** True if the items sit where krbsim puts them ({@link canonicalLayout}) in a buffer of that size. */
function isCanonical(header: number, size: number, items: readonly LayoutItem[]): boolean {
  let at = align8(header);
  for (const it of items) {
    if (it.offset !== at) return false;
    at = align8(at + it.length);
  }
  return at === size;
}

/** Decodes a UPN_DNS_INFO buffer (MS-PAC 2.10). @throws PacError */
export function decodeUpnDnsInfo(bytes: Uint8Array): UpnDnsInfo {
  if (!(bytes instanceof Uint8Array)) throw new PacError('expected a Uint8Array', { path: 'UPN_DNS_INFO' });
  return readUpnDnsInfo(bytes, 0, bytes.length);
}

function put16(b: Uint8Array, at: number, x: number): void {
  b[at] = x & 0xff;
  b[at + 1] = x >>> 8;
}

function putUtf16(b: Uint8Array, at: number, s: string): void {
  for (let i = 0; i < s.length; i++) put16(b, at + 2 * i, s.charCodeAt(i));
}

/** Writes a UPN_DNS_INFO into `w`. */
export function writeUpnDnsInfo(w: NdrWriter, v: UpnDnsInfo): void {
  try {
    if (v === null || typeof v !== 'object') throw new PacError('expected an UpnDnsInfo object');
    const flags = checkUInt(v.flags, 32, 'Flags');
    const upn = checkString(v.upn, 0x7fff, 'Upn');
    const dns = checkString(v.dnsDomainName, 0x7fff, 'DnsDomainName');
    const extended = (flags & UpnDnsFlags.HAS_SAM_NAME_AND_SID) !== 0;
    if (extended !== (v.samName !== undefined) || extended !== (v.sid !== undefined)) {
      throw new PacError('flag S (HAS_SAM_NAME_AND_SID) must be set exactly when samName and sid are given', {
        path: 'Flags',
      });
    }
    let sam = '';
    if (extended) {
      sam = checkString(v.samName, 0x7fff, 'SamName');
      try {
        checkSid(v.sid!);
      } catch (e) {
        throw withPath(e, 'Sid');
      }
    }
    const header = extended ? 20 : 12;
    const lengths = extended
      ? [2 * upn.length, 2 * dns.length, 2 * sam.length, sidLength(v.sid!)]
      : [2 * upn.length, 2 * dns.length];
    let { offsets, size } = canonicalLayout(header, lengths);
    const l = v.layout;
    if (l !== undefined) {
      const recorded = extended
        ? [l.upnOffset, l.dnsDomainNameOffset, l.samNameOffset, l.sidOffset]
        : [l.upnOffset, l.dnsDomainNameOffset];
      const names = ['Upn', 'DnsDomainName', 'SamName', 'Sid'];
      const ok =
        recorded.every((o) => typeof o === 'number' && Number.isInteger(o) && o >= 0 && o <= 0xffff) &&
        typeof l.size === 'number' &&
        Number.isInteger(l.size) &&
        l.size <= 0xffff &&
        layoutProblem(
          header,
          l.size,
          lengths.map((length, i) => ({ name: names[i]!, length, offset: recorded[i] as number })),
        ) === undefined;
      if (ok) {
        offsets = recorded as number[];
        size = l.size;
      }
    }
    if (size > 0xffff) throw new PacError(`the buffer would take ${size} bytes; offsets are 16-bit`);
    // Written in place: zeros (the padding), then the header and the items at their offsets.
    const start = w.pos;
    w.zeros(size);
    const buf = w.view(start, start + size);
    put16(buf, 0, lengths[0]!);
    put16(buf, 2, offsets[0]!);
    put16(buf, 4, lengths[1]!);
    put16(buf, 6, offsets[1]!);
    put16(buf, 8, flags & 0xffff);
    put16(buf, 10, flags >>> 16);
    putUtf16(buf, offsets[0]!, upn);
    putUtf16(buf, offsets[1]!, dns);
    if (extended) {
      put16(buf, 12, lengths[2]!);
      put16(buf, 14, offsets[2]!);
      put16(buf, 16, lengths[3]!);
      put16(buf, 18, offsets[3]!);
      putUtf16(buf, offsets[2]!, sam);
      writeSid(buf, offsets[3]!, v.sid!);
    }
  } catch (e) {
    throw withPath(e, 'UPN_DNS_INFO');
  }
}

/** Encodes a UPN_DNS_INFO buffer (MS-PAC 2.10) in the layout Windows writes. @throws PacError */
export function encodeUpnDnsInfo(v: UpnDnsInfo): Uint8Array {
  const w = new NdrWriter(128);
  writeUpnDnsInfo(w, v);
  return w.finish();
}

/**
 * A UPN_DNS_INFO: the extended form (flag S) when `samName` and `sid` are
 * given, flag U when `upnConstructed` (the account has no userPrincipalName
 * and `upn` was made from its name and domain).
 */
export function createUpnDnsInfo(init: {
  readonly upn: string;
  readonly dnsDomainName: string;
  readonly upnConstructed?: boolean;
  readonly samName?: string;
  readonly sid?: Sid;
}): UpnDnsInfo {
  const extended = init.samName !== undefined && init.sid !== undefined;
  return {
    upn: init.upn,
    dnsDomainName: init.dnsDomainName,
    flags:
      (init.upnConstructed ? UpnDnsFlags.UPN_CONSTRUCTED : 0) |
      (extended ? UpnDnsFlags.HAS_SAM_NAME_AND_SID : 0),
    ...(extended && { samName: init.samName, sid: init.sid }),
  };
}
