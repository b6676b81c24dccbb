/**
 * What a review of the acceptor against MIT 1.20 found: a context that died at
 * its ticket's endtime where MIT's lives the clock skew longer; a clock skew of
 * NaN that turned every time check off; a DCE-style context without the
 * channel-bound flag its AP-REQ earned; the acceptor subkey left in the
 * encoders' slab behind the response token; an out-of-order token's error that
 * printed its plaintext and could not be serialized; a wrapStyle typo taken.
 */

import { inspect } from 'node:util';
import { GssFlags } from '@krbsim/asn1';
import { Duration } from '@krbsim/core';
import { isGssTokenError } from '@krbsim/service';
import { describe, expect, it } from 'vitest';
import { Lab } from './helpers';

describe('the acceptor: review mends against MIT 1.20', () => {
  it("keeps a context the clock skew past its ticket's end, as MIT's acceptor does (krb5_gss_context_time)", () => {
    const lab = new Lab();
    // A ticket that ended a minute ago: accepted within the 5-minute skew, and so is its context.
    const cred = lab.credential({ endtime: lab.clock.now() - Duration.minute });
    const built = lab.client.buildApReq(cred, { gss: 'krb5', mutual: true });
    const r = lab.service().accept(built.token);
    const init = lab.client.verifyApRep(built.context, r.responseToken!).securityContext!;
    expect(r.securityContext!.unwrap(init.wrap(Uint8Array.of(1))).message).toEqual(Uint8Array.of(1));
    expect(init.unwrap(r.securityContext!.wrap(Uint8Array.of(2))).message).toEqual(Uint8Array.of(2));
    // Past the end and the skew, the context is over.
    lab.advance(4 * Duration.minute + 1);
    const e = (() => {
      try {
        r.securityContext!.wrap(Uint8Array.of(3));
      } catch (x) {
        return x;
      }
    })();
    expect(isGssTokenError(e, 'CONTEXT_EXPIRED')).toBe(true);
  });

  it('refuses a clock skew that is not a whole number of milliseconds >= 0: NaN would turn every time check off', () => {
    const lab = new Lab();
    for (const clockSkewMs of [Number.NaN, -1, 1.5, Number.POSITIVE_INFINITY]) {
      expect(() => lab.service({ clockSkewMs, replayCache: false }), String(clockSkewMs)).toThrow(RangeError);
    }
  });

  it("gives a DCE-style context the channel-bound flag its AP-REQ's bindings earned (MIT: 0x1000 in ret_flags)", () => {
    const lab = new Lab();
    const channelBindings = new TextEncoder().encode('tls-server-end-point:1234');
    const built = lab.client.buildApReq(lab.credential(), {
      gss: 'krb5',
      gssFlags: GssFlags.dceStyle | GssFlags.replay | GssFlags.sequence,
      channelBindings,
    });
    const svc = lab.service();
    const first = svc.accept(built.token, { channelBindings });
    expect(first.channelBound).toBe(true);
    const reply = lab.client.verifyApRep(built.context, first.responseToken!);
    const ctx = svc.acceptDceReply(first, reply.dceReply!);
    expect(ctx.retFlags & GssFlags.channelBound).toBe(GssFlags.channelBound);
  });

  it("leaves no acceptor subkey in the memory behind the response token's bytes", () => {
    const lab = new Lab();
    for (const gss of ['krb5', 'spnego'] as const) {
      const r = lab.service().accept(lab.client.buildApReq(lab.credential(), { gss, mutual: true }).token);
      const memory = Buffer.from(r.responseToken!.buffer);
      expect(memory.includes(Buffer.from(r.acceptorSubkey!.bytes)), gss).toBe(false);
    }
  });

  it("keeps an out-of-order token's verified contents off its error's printed and JSON forms", () => {
    const lab = new Lab();
    const built = lab.client.buildApReq(lab.credential(), {
      gss: 'krb5',
      mutual: true,
      gssFlags: GssFlags.replay | GssFlags.sequence,
    });
    const r = lab.service().accept(built.token);
    const init = lab.client.verifyApRep(built.context, r.responseToken!).securityContext!;
    init.wrap(new TextEncoder().encode('lost'));
    const sealed = init.wrap(new TextEncoder().encode('password=hunter2'), { conf: true });
    let e: unknown;
    try {
      r.securityContext!.unwrap(sealed);
    } catch (x) {
      e = x;
    }
    expect(isGssTokenError(e, 'GAP_TOKEN')).toBe(true);
    // Still there for the caller who asks.
    expect(new TextDecoder().decode((e as { accepted: { message: Uint8Array } }).accepted.message)).toBe(
      'password=hunter2',
    );
    expect(inspect(e, { depth: 5 })).not.toMatch(/accepted: \{/);
    expect(inspect(e, { depth: 5 }).replace(/\s+/g, '')).not.toContain(
      [...new TextEncoder().encode('password')].join(','),
    );
    expect(JSON.stringify(e)).not.toMatch(/"accepted"/);
  });

  it('refuses a wrapStyle it does not know before the authenticator is used up, rather than writing DCE tokens', () => {
    const lab = new Lab();
    const svc = lab.service();
    const { token } = lab.client.buildApReq(lab.credential(), { gss: 'krb5', mutual: true });
    expect(() => svc.accept(token, { wrapStyle: 'MIT' as never })).toThrow(
      /wrapStyle must be one of mit, windows, dce, got MIT/,
    );
    // The same token is still fresh: the refusal was the option's, before the replay cache.
    expect(svc.accept(token).securityContext!.wrapStyle).toBe('mit');
  });
});
