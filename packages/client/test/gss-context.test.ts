/**
 * The initiator's security context, from a krbsim KDC to a krbsim service
 * in process: verifyApRep returns it with mutual authentication, buildApReq
 * without; raw AP-REQs have none. The flow is the one the README shows.
 */

import { inspect } from 'node:util';
import { GssFlags } from '@krbsim/asn1';
import { GssSecurityContext, GssTokenError } from '@krbsim/client';
import { describe, expect, it } from 'vitest';
import { serviceLab } from './service-lab';

const setup = () => serviceLab('gss-context');

const enc = (s: string) => new TextEncoder().encode(s);
const dec = (b: Uint8Array) => new TextDecoder().decode(b);

describe('the initiator security context', () => {
  it('comes from verifyApRep with mutual authentication, keyed with the acceptor subkey', async () => {
    const { client, cred, service } = await setup();
    const { token, context } = client.buildApReq(cred, {
      gss: 'spnego',
      gssFlags: GssFlags.replay | GssFlags.sequence,
    });
    const accepted = service.accept(token);
    const { securityContext: ctx } = client.verifyApRep(context, accepted.responseToken!);
    expect(ctx).toBeInstanceOf(GssSecurityContext);
    expect(ctx!.initiator).toBe(true);
    expect(ctx!.usesAcceptorSubkey).toBe(true);
    const server = accepted.securityContext!;
    const { message, conf } = server.unwrap(ctx!.wrap(enc('SELECT 1')));
    expect([dec(message), conf]).toEqual(['SELECT 1', true]);
    ctx!.verifyMic(enc('1 row'), server.getMic(enc('1 row')));
    const sealed = server.wrap(enc('reply'));
    expect(dec(ctx!.unwrap(sealed).message)).toBe('reply');
    try {
      ctx!.unwrap(sealed);
      throw new Error('a replay was accepted');
    } catch (e) {
      expect(e).toBeInstanceOf(GssTokenError);
      expect((e as GssTokenError).status).toBe('DUPLICATE_TOKEN');
    }
  });

  it('comes from buildApReq without mutual authentication (no AP-REP will come)', async () => {
    const { client, cred, service } = await setup();
    const built = client.buildApReq(cred, { gss: 'krb5', mutual: false });
    expect(built.securityContext).toBeDefined();
    const accepted = service.accept(built.token);
    expect(accepted.responseToken).toBeUndefined();
    expect(built.securityContext!.usesAcceptorSubkey).toBe(false);
    expect(dec(accepted.securityContext!.unwrap(built.securityContext!.wrap(enc('hi'))).message)).toBe('hi');
    expect(client.buildApReq(cred, { gss: 'krb5', mutual: true }).securityContext).toBeUndefined();
  });

  it('raw AP-REQs have no GSS context', async () => {
    const { client, cred, service } = await setup();
    const { token, context } = client.buildApReq(cred, { mutual: true });
    expect(client.verifyApRep(context, service.accept(token).responseToken!).securityContext).toBeUndefined();
  });

  it('prints and serializes no key: the AP-REQ context and the verified AP-REP show the subkeys redacted', async () => {
    const { client, cred, service } = await setup();
    const built = client.buildApReq(cred, { gss: 'krb5' });
    const result = client.verifyApRep(built.context, service.accept(built.token).responseToken!);
    const keys = [cred.sessionKey, built.context.subkey!, result.subkey!];
    expect(new Set(keys.map((k) => Buffer.from(k.bytes).toString('hex'))).size).toBe(3);
    /** Whether `text` lists `bytes` in order, as inspect or JSON prints a byte array (however laid out). */
    const shows = (text: string, bytes: Uint8Array) => {
      // Numbers, but not JSON's quoted indices ({"0":12,"1":34}).
      const numbers = (text.match(/(?<!["\d])\d+(?!["\d])/g) ?? []).map(Number);
      return numbers.some((_, i) => bytes.every((b, j) => numbers[i + j] === b));
    };
    const printed = (x: unknown) => [
      inspect(x, { depth: Number.POSITIVE_INFINITY, maxArrayLength: Number.POSITIVE_INFINITY }),
      JSON.stringify(x),
    ];
    // The check sees a key's bytes when they are there.
    for (const text of printed({ bytes: Uint8Array.from(built.context.subkey!.bytes) })) {
      expect(shows(text, built.context.subkey!.bytes)).toBe(true);
    }
    for (const shown of [built.context, result]) {
      for (const text of printed(shown)) {
        for (const key of keys) expect(shows(text, key.bytes)).toBe(false);
      }
    }
    const { etype } = cred.sessionKey;
    expect(inspect(built.context.subkey)).toBe(`{ etype: ${etype}, bytes: '<redacted 32 bytes>' }`);
    expect(JSON.stringify(result.subkey)).toBe(`{"etype":${etype},"bytes":"<redacted 32 bytes>"}`);
  });
});
