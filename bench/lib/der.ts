/**
 * Just enough DER to cut benchmark samples out of captured messages: walk a
 * TLV, pull the Ticket out of an AS-REP and the AP-REQ out of a TGS-REQ, and
 * grow a Ticket's enc-part cipher. Definite lengths only (Kerberos is DER).
 */

import { concatBytes } from '@krbsim/core';

export interface Tlv {
  tag: number;
  /** Offset of the tag byte. */
  start: number;
  /** Offset of the first content byte. */
  contentStart: number;
  /** Offset one past the last content byte. */
  end: number;
}

export function readTlv(buf: Uint8Array, off: number): Tlv {
  if (off + 2 > buf.length) throw new Error(`DER: truncated TLV at ${off}`);
  const tag = buf[off]!;
  if ((tag & 0x1f) === 0x1f) throw new Error(`DER: multi-byte tag at ${off} not supported`);
  let p = off + 1;
  let len = buf[p++]!;
  if (len & 0x80) {
    const n = len & 0x7f;
    if (n === 0 || n > 4) throw new Error(`DER: bad length at ${off}`);
    len = 0;
    for (let i = 0; i < n; i++) len = len * 256 + buf[p++]!;
  }
  if (p + len > buf.length) throw new Error(`DER: length overruns buffer at ${off}`);
  return { tag, start: off, contentStart: p, end: p + len };
}

export function children(buf: Uint8Array, parent: Tlv): Tlv[] {
  const out: Tlv[] = [];
  for (let off = parent.contentStart; off < parent.end; ) {
    const t = readTlv(buf, off);
    out.push(t);
    off = t.end;
  }
  return out;
}

/** Encode one TLV. */
export function tlv(tag: number, content: Uint8Array): Uint8Array {
  const n = content.length;
  const lenBytes =
    n < 0x80
      ? [n]
      : n < 0x100
        ? [0x81, n]
        : n < 0x10000
          ? [0x82, n >> 8, n & 255]
          : [0x83, n >> 16, (n >> 8) & 255, n & 255];
  const out = new Uint8Array(1 + lenBytes.length + n);
  out[0] = tag;
  out.set(lenBytes, 1);
  out.set(content, 1 + lenBytes.length);
  return out;
}

/** The child of a SEQUENCE with context tag [n] (constructed: 0xa0 | n). */
function field(buf: Uint8Array, seq: Tlv, n: number): Tlv | undefined {
  return children(buf, seq).find((c) => c.tag === (0xa0 | n));
}

/** The SEQUENCE inside an [APPLICATION n] wrapper. */
function appSeq(buf: Uint8Array, appTag: number): Tlv {
  const outer = readTlv(buf, 0);
  if (outer.tag !== appTag)
    throw new Error(`DER: expected tag 0x${appTag.toString(16)}, got 0x${outer.tag.toString(16)}`);
  const seq = readTlv(buf, outer.contentStart);
  if (seq.tag !== 0x30) throw new Error('DER: expected a SEQUENCE');
  return seq;
}

/** KDC-REP `ticket [5] Ticket` of an AS-REP (0x6b) or TGS-REP (0x6d). */
export function ticketOfKdcRep(rep: Uint8Array): Uint8Array {
  const seq = appSeq(rep, rep[0] === 0x6d ? 0x6d : 0x6b);
  const f = field(rep, seq, 5);
  if (!f) throw new Error('KDC-REP has no ticket [5]');
  const t = readTlv(rep, f.contentStart);
  if (t.tag !== 0x61) throw new Error('KDC-REP ticket [5] is not a Ticket');
  return rep.slice(t.start, t.end);
}

/** The AP-REQ carried in a TGS-REQ's PA-TGS-REQ (padata-type 1). */
export function apReqOfTgsReq(req: Uint8Array): Uint8Array | undefined {
  const seq = appSeq(req, 0x6c);
  const padata = field(req, seq, 3);
  if (!padata) return undefined;
  const list = readTlv(req, padata.contentStart);
  for (const pa of children(req, list)) {
    const typeF = field(req, pa, 1);
    const valueF = field(req, pa, 2);
    if (!typeF || !valueF) continue;
    const int = readTlv(req, typeF.contentStart);
    let type = 0;
    for (let i = int.contentStart; i < int.end; i++) type = type * 256 + req[i]!;
    if (type !== 1) continue;
    const oct = readTlv(req, valueF.contentStart);
    return req.slice(oct.contentStart, oct.end);
  }
  return undefined;
}

/**
 * The same Ticket with its enc-part cipher grown (filled from `fill`) so the
 * whole Ticket is about `targetBytes` long. Codecs don't decrypt, so any
 * cipher bytes do.
 */
export function enlargeTicket(
  ticket: Uint8Array,
  targetBytes: number,
  fill: (n: number) => Uint8Array,
): Uint8Array {
  const seq = appSeq(ticket, 0x61);
  const parts = children(ticket, seq);
  const encF = parts.find((c) => c.tag === 0xa3);
  if (!encF) throw new Error('Ticket has no enc-part [3]');
  const encSeq = readTlv(ticket, encF.contentStart);
  const encParts = children(ticket, encSeq);
  const cipherF = encParts.find((c) => c.tag === 0xa2);
  if (!cipherF) throw new Error('EncryptedData has no cipher [2]');
  const oct = readTlv(ticket, cipherF.contentStart);
  const oldCipher = ticket.subarray(oct.contentStart, oct.end);

  const build = (cipherLen: number): Uint8Array => {
    const cipher = concatBytes([
      oldCipher.subarray(0, Math.min(oldCipher.length, cipherLen)),
      fill(Math.max(0, cipherLen - oldCipher.length)),
    ]);
    const newEnc = tlv(
      0x30,
      concatBytes(
        encParts.map((c) => (c === cipherF ? tlv(0xa2, tlv(0x04, cipher)) : ticket.subarray(c.start, c.end))),
      ),
    );
    const body = concatBytes(
      parts.map((c) => (c === encF ? tlv(0xa3, newEnc) : ticket.subarray(c.start, c.end))),
    );
    return tlv(0x61, tlv(0x30, body));
  };
  // Grow the cipher by the shortfall; length-of-length growth is absorbed by a second pass.
  let len = oldCipher.length + Math.max(0, targetBytes - ticket.length);
  let out = build(len);
  if (out.length > targetBytes && len > oldCipher.length) {
    len -= out.length - targetBytes;
    out = build(len);
  }
  return out;
}
