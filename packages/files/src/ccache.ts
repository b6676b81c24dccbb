/**
 * MIT `FILE:` credential caches, format version 4 (0x0504), as written by MIT
 * krb5 (`src/lib/krb5/ccache/cc_file.c`, marshalling in `ccmarshal.c`) and
 * Heimdal. Version 3 (no header, enctype stored twice) is read and written
 * too; versions 1 and 2 (host byte order) are not supported.
 *
 * Layout (all integers big-endian):
 *
 * ```
 * file       = uint16 0x0504, header (v4 only), principal default, credential*
 * header     = uint16 length, then { uint16 tag, uint16 length, bytes }*
 *              tag 1 = KDC time offset: int32 seconds, int32 microseconds
 * principal  = int32 name_type, uint32 ncomp, str32 realm, str32 component[ncomp]
 * credential = principal client, principal server,
 *              uint16 enctype, [uint16 enctype again: v3 only], str32 key,
 *              uint32 authtime, starttime, endtime, renew_till (seconds),
 *              uint8 is_skey, uint32 ticket_flags,
 *              uint32 naddr, { uint16 addrtype, str32 address }[naddr],
 *              uint32 nauth, { uint16 ad_type, str32 ad_data }[nauth],
 *              str32 ticket (DER), str32 second_ticket (DER or empty)
 * str32      = uint32 length, bytes
 * ```
 *
 * @module
 */

import type { AuthorizationDataEntry, HostAddress, QualifiedName } from '@krbsim/asn1';
import { redactedKey } from '@krbsim/crypto';
import {
  ByteReader,
  ByteWriter,
  checkInt16,
  checkInt32,
  checkUint,
  formatError,
  toSeconds,
  utf8Bytes,
} from './binary';
import type { KeytabKey } from './keytab';

/** A session key as a credential cache stores it (the shape of `@krbsim/crypto`'s `Key`). */
export type CredentialKey = KeytabKey;

/** One cached credential: a ticket and what the client needs to use it. */
export interface CcacheCredential {
  readonly client: QualifiedName;
  readonly server: QualifiedName;
  /** The session key (as parsed: printed and serialized as `<redacted N bytes>`, see {@link parseCcache}). */
  readonly key: CredentialKey;
  /** Times in milliseconds since the epoch (whole seconds on disk); 0 means "not set". */
  readonly authtime: number;
  readonly starttime: number;
  readonly endtime: number;
  readonly renewTill: number;
  /** True for a user-to-user ticket (encrypted in a session key). */
  readonly isSkey: boolean;
  /** TicketFlags as an unsigned 32-bit number in RFC bit order (bit 0 is 0x80000000). */
  readonly ticketFlags: number;
  readonly addresses: readonly HostAddress[];
  readonly authdata: readonly AuthorizationDataEntry[];
  /** The Ticket, DER-encoded. For a config entry, the value. */
  readonly ticket: Uint8Array;
  /** The second ticket (user-to-user), DER-encoded, or empty. */
  readonly secondTicket: Uint8Array;
}

/** A header field this library does not interpret, kept for round trips. */
export interface CcacheHeaderTag {
  readonly tag: number;
  readonly data: Uint8Array;
}

/** A parsed credential cache. */
export interface Ccache {
  /** The format version: 4 (default when writing) or 3. */
  readonly version?: 3 | 4;
  /** The KDC time offset (header tag 1) MIT records when `kdc_timesync` is on. */
  readonly timeOffset?: { readonly seconds: number; readonly microseconds: number };
  /** Other header tags, in file order (version 4 only). */
  readonly otherHeaderTags?: readonly CcacheHeaderTag[];
  readonly defaultPrincipal: QualifiedName;
  readonly credentials: readonly CcacheCredential[];
}

const WHAT = 'ccache';
const TAG_TIME_OFFSET = 1;

/**
 * Parse the bytes of a FILE credential cache (version 4 or 3). Each session key
 * is `@krbsim/crypto`'s redacted key: `util.inspect`, `console.log` and
 * `JSON.stringify` show `{ etype, bytes: '<redacted N bytes>' }`, while
 * `.bytes` still holds the key for crypto and {@link serializeCcache}.
 *
 * @throws KerberosError (KRB_ERR_GENERIC) naming the byte offset of a bad
 *   version, a truncated field, a count or length larger than what remains, or
 *   a name that is not UTF-8.
 */
export function parseCcache(bytes: Uint8Array): Ccache {
  const r = new ByteReader(bytes, WHAT);
  const version = r.u16('version');
  if (version !== 0x0504 && version !== 0x0503) {
    throw r.error(0, `not a supported credential cache: version 0x${version.toString(16).padStart(4, '0')}`);
  }
  let timeOffset: Ccache['timeOffset'];
  const otherHeaderTags: CcacheHeaderTag[] = [];
  if (version === 0x0504) {
    const header = r.sub(r.u16('header length'), 'header');
    while (header.remaining > 0) {
      const at = header.offset;
      const tag = header.u16('header tag');
      const data = header.sub(header.u16('header tag length'), `header tag ${tag} value`);
      if (tag === TAG_TIME_OFFSET) {
        if (data.remaining !== 8) throw r.error(at, `time offset tag has length ${data.remaining}, not 8`);
        timeOffset = { seconds: data.i32('time offset'), microseconds: data.i32('time offset') };
      } else {
        otherHeaderTags.push({ tag, data: data.bytes(data.remaining, 'header tag value') });
      }
    }
  }
  const v3 = version === 0x0503;
  const defaultPrincipal = readPrincipal(r, 'default principal');
  const credentials: CcacheCredential[] = [];
  while (r.remaining > 0) credentials.push(readCredential(r, v3, credentials.length));
  return {
    version: v3 ? 3 : 4,
    ...(timeOffset ? { timeOffset } : {}),
    ...(otherHeaderTags.length ? { otherHeaderTags } : {}),
    defaultPrincipal,
    credentials,
  };
}

function readPrincipal(r: ByteReader, field: string): QualifiedName {
  const nameType = r.i32(`${field} name type`);
  const countAt = r.offset;
  const count = r.u32(`${field} component count`);
  // Each component needs at least its 4-byte length: refuse impossible counts
  // before allocating anything for them.
  if (count * 4 > r.remaining) {
    throw r.error(countAt, `${field} claims ${count} components but only ${r.remaining} bytes remain`);
  }
  const realm = str32(r, `${field} realm`);
  const nameString: string[] = [];
  for (let i = 0; i < count; i++) nameString.push(str32(r, `${field} component ${i}`));
  return { realm, name: { nameType, nameString } };
}

function str32(r: ByteReader, field: string): string {
  return r.utf8(r.u32(`${field} length`), field);
}

function data32(r: ByteReader, field: string): Uint8Array {
  return r.bytes(r.u32(`${field} length`), field);
}

function readCount(r: ByteReader, field: string, minEach: number): number {
  const at = r.offset;
  const n = r.u32(`${field} count`);
  if (n * minEach > r.remaining) {
    throw r.error(
      at,
      `${field} count ${n} needs at least ${n * minEach} bytes but only ${r.remaining} remain`,
    );
  }
  return n;
}

function readCredential(r: ByteReader, v3: boolean, index: number): CcacheCredential {
  const f = (name: string) => `credential ${index} ${name}`;
  const client = readPrincipal(r, f('client'));
  const server = readPrincipal(r, f('server'));
  const etype = r.i16(f('enctype')); // signed, as MIT reads it
  if (v3) r.u16(f('repeated enctype'));
  // Printed or logged, a parsed cache shows no key bytes.
  const key = redactedKey({ etype, bytes: data32(r, f('key')) });
  const authtime = r.u32(f('authtime')) * 1000;
  const starttime = r.u32(f('starttime')) * 1000;
  const endtime = r.u32(f('endtime')) * 1000;
  const renewTill = r.u32(f('renew-till')) * 1000;
  const isSkey = r.u8(f('is_skey')) !== 0;
  const ticketFlags = r.u32(f('ticket flags'));
  const addresses: HostAddress[] = [];
  const naddr = readCount(r, f('address'), 6);
  for (let i = 0; i < naddr; i++) {
    const addrType = r.u16(f(`address ${i} type`));
    addresses.push({ addrType, address: data32(r, f(`address ${i}`)) });
  }
  const authdata: AuthorizationDataEntry[] = [];
  const nauth = readCount(r, f('authdata'), 6);
  for (let i = 0; i < nauth; i++) {
    const adType = r.i16(f(`authdata ${i} type`)); // signed, as MIT reads it
    authdata.push({ adType, adData: data32(r, f(`authdata ${i}`)) });
  }
  const ticket = data32(r, f('ticket'));
  const secondTicket = data32(r, f('second ticket'));
  return {
    client,
    server,
    key,
    authtime,
    starttime,
    endtime,
    renewTill,
    isSkey,
    ticketFlags,
    addresses,
    authdata,
    ticket,
    secondTicket,
  };
}

/**
 * Serialize a credential cache: version 4 unless `ccache.version` is 3. The
 * header carries the time offset tag only when `ccache.timeOffset` is set
 * (MIT writes it, as zeros, whenever `kdc_timesync` is on); version 3 has no
 * header, and a cache with a time offset or header tags is refused there.
 *
 * @throws KerberosError (KRB_ERR_GENERIC) when a value does not fit its field.
 */
export function serializeCcache(ccache: Ccache): Uint8Array {
  const v3 = ccache.version === 3;
  if (v3 && (ccache.timeOffset !== undefined || (ccache.otherHeaderTags?.length ?? 0) > 0)) {
    // Version 3 has no header: writing it would drop what the caller asked to keep.
    throw formatError(WHAT, 'version 3 has no header for a time offset or header tags (version 4 has)');
  }
  const w = new ByteWriter().u16(v3 ? 0x0503 : 0x0504);
  if (!v3) {
    const header = new ByteWriter();
    if (ccache.timeOffset) {
      header.u16(TAG_TIME_OFFSET).u16(8);
      header.u32(int32(ccache.timeOffset.seconds, 'time offset seconds'));
      header.u32(int32(ccache.timeOffset.microseconds, 'time offset microseconds'));
    }
    for (const t of ccache.otherHeaderTags ?? []) {
      header.u16(checkUint(t.tag, 0xffff, WHAT, 'header tag'));
      header.u16(checkUint(t.data.length, 0xffff, WHAT, `header tag ${t.tag} length`)).bytes(t.data);
    }
    const h = header.finish();
    w.u16(checkUint(h.length, 0xffff, WHAT, 'header length')).bytes(h);
  }
  writePrincipal(w, ccache.defaultPrincipal, 'default principal');
  for (const [i, c] of ccache.credentials.entries()) writeCredential(w, c, v3, i);
  return w.finish();
}

const int32 = (v: number, field: string) => checkInt32(v, WHAT, field);

function writePrincipal(w: ByteWriter, p: QualifiedName, field: string): void {
  // A name type is a signed 32-bit integer (MIT's krb5_int32, RFC 4120's Int32), as it is read back.
  const nameType = int32(p.name.nameType, `${field} name type`);
  w.u32(nameType).u32(p.name.nameString.length);
  writeData(w, utf8Bytes(p.realm));
  for (const c of p.name.nameString) writeData(w, utf8Bytes(c));
}

function writeData(w: ByteWriter, b: Uint8Array): void {
  w.u32(b.length).bytes(b);
}

function writeCredential(w: ByteWriter, c: CcacheCredential, v3: boolean, index: number): void {
  const f = (name: string) => `credential ${index} ${name}`;
  writePrincipal(w, c.client, f('client'));
  writePrincipal(w, c.server, f('server'));
  const etype = checkInt16(c.key.etype, WHAT, f('enctype'));
  w.u16(etype);
  if (v3) w.u16(etype);
  writeData(w, c.key.bytes);
  w.u32(toSeconds(c.authtime, WHAT, f('authtime')));
  w.u32(toSeconds(c.starttime, WHAT, f('starttime')));
  w.u32(toSeconds(c.endtime, WHAT, f('endtime')));
  w.u32(toSeconds(c.renewTill, WHAT, f('renew-till')));
  w.u8(c.isSkey ? 1 : 0);
  w.u32(checkUint(c.ticketFlags, 0xffffffff, WHAT, f('ticket flags')));
  w.u32(c.addresses.length);
  c.addresses.forEach((a, i) => {
    w.u16(checkUint(a.addrType, 0xffff, WHAT, f(`address ${i} type`)));
    writeData(w, a.address);
  });
  w.u32(c.authdata.length);
  c.authdata.forEach((a, i) => {
    w.u16(checkInt16(a.adType, WHAT, f(`authdata ${i} type`)));
    writeData(w, a.adData);
  });
  writeData(w, c.ticket);
  writeData(w, c.secondTicket);
}
