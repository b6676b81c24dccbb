/**
 * RFC 4121 per-message tokens both ways between krbsim's side of a context
 * and a GSS-API peer driven through gss-peer's line protocol (gss-peer.c on
 * MIT krb5 or Heimdal, JgssPeer.java on Java's Kerberos).
 */

import { type GssSecurityContext, GssTokenError } from '@krbsim/service';
import { expect } from 'vitest';
import { GssMajor, type GssPeer } from './gss-peer';

export const enc = (s: string) => new TextEncoder().encode(s);
export const dec = (b: Uint8Array) => new TextDecoder().decode(b);

/** The GssTokenError `f` throws. */
function thrownGss(f: () => unknown): GssTokenError {
  try {
    f();
  } catch (e) {
    if (e instanceof GssTokenError) return e;
    throw e;
  }
  throw new Error('expected a GssTokenError');
}

/**
 * The exchanges both directions share: the peer's tokens checked by krbsim,
 * krbsim's tokens checked by the peer. Returns the peer's tokens.
 */
export async function exchangeTokens(peer: GssPeer, ctx: GssSecurityContext, tag: string) {
  const made: { kind: 'wrap' | 'mic'; token: Uint8Array; message: Uint8Array; conf?: boolean }[] = [];
  for (const conf of [true, false]) {
    for (const text of ['', 'x', `a message from the peer (${tag}), ${conf ? 'sealed' : 'signed'}`]) {
      const token = await peer.wrap(enc(text), conf);
      const u = ctx.unwrap(token);
      expect(dec(u.message)).toBe(text);
      expect(u.conf).toBe(conf);
      made.push({ kind: 'wrap', token, message: enc(text), conf });
    }
  }
  const micText = enc(`a MIC from the peer (${tag})`);
  const mic = await peer.mic(micText);
  ctx.verifyMic(micText, mic);
  made.push({ kind: 'mic', token: mic, message: micText });
  // A repeated peer token is a duplicate for krbsim too (the context has the replay flag).
  expect(thrownGss(() => ctx.verifyMic(micText, mic)).status).toBe('DUPLICATE_TOKEN');

  for (const conf of [true, false]) {
    const text = `a message from krbsim (${tag}), ${conf ? 'sealed' : 'signed'}`;
    const u = await peer.unwrap(ctx.wrap(enc(text), { conf }));
    expect([u.major, u.conf, dec(u.message)]).toEqual([0, conf, text]);
  }
  expect(await peer.verify(enc('krbsim MIC'), ctx.getMic(enc('krbsim MIC')))).toBe(0);

  // The library's sequence checks see krbsim's numbering: a gap, the late token, then a repeat.
  const early = ctx.wrap(enc('early'));
  const late = ctx.wrap(enc('late'));
  expect((await peer.unwrap(late)).major).toBe(GssMajor.GAP_TOKEN);
  expect((await peer.unwrap(early)).major & GssMajor.UNSEQ_TOKEN).toBe(GssMajor.UNSEQ_TOKEN);
  expect((await peer.unwrap(early)).major & GssMajor.DUPLICATE_TOKEN).toBe(GssMajor.DUPLICATE_TOKEN);
  // And a modified token is refused.
  const bad = ctx.wrap(enc('modified'), { conf: false });
  bad[bad.length - 1]! ^= 1;
  await expect(peer.unwrap(bad)).rejects.toThrow(/gss-peer: ERR (60000|90000)/);
  return made;
}
