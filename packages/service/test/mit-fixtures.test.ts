/**
 * Differential tests on tokens MIT krb5 1.20.1 really sent (test/fixtures/mit,
 * captured with capture.sh; see its README): krbsim's service accepts MIT's
 * GSS initial context token (with a delegated TGT) and its raw AP-REQ, with
 * the keytab MIT wrote, and krbsim's client verifies MIT's AP-REPs. Every
 * value comes from the fixture files; nothing is hard-coded.
 */

import { readFileSync } from 'node:fs';
import { decodeApReq, decodeAuthenticator, unwrapKrb5Token } from '@krbsim/asn1';
import type { ApReqContext, Credential } from '@krbsim/client';
import { KerberosClient } from '@krbsim/client';
import { ErrorCode, ManualClock } from '@krbsim/core';
import { decrypt, type Key } from '@krbsim/crypto';
import { parseKeytab } from '@krbsim/files';
import { KerberosService } from '@krbsim/service';
import { describe, expect, it } from 'vitest';
import { thrown } from './helpers';

const dir = new URL('../../../test/fixtures/mit/', import.meta.url);
const messages = JSON.parse(readFileSync(new URL('messages.json', dir), 'utf8')) as Array<{
  name: string;
  hex: string;
}>;
const keys = JSON.parse(readFileSync(new URL('keys.json', dir), 'utf8')) as {
  sessionKeys: Record<string, { etype: number; hex: string }>;
};
const keytab = parseKeytab(new Uint8Array(readFileSync(new URL('keytab.bin', dir))));

const msg = (name: string) => new Uint8Array(Buffer.from(messages.find((m) => m.name === name)!.hex, 'hex'));
const sessionKey = (name: string): Key => {
  const k = keys.sessionKeys[name]!;
  return { etype: k.etype, bytes: new Uint8Array(Buffer.from(k.hex, 'hex')) };
};
const hex = (b: Uint8Array | undefined) => (b === undefined ? undefined : Buffer.from(b).toString('hex'));

/** The authenticator's time, read with the session key, so the service clock can stand at that moment. */
function authenticatorOf(apReq: Uint8Array, key: Key) {
  return decodeAuthenticator(decrypt(key, 11, decodeApReq(apReq).authenticator.cipher));
}

function serviceAt(ms: number): KerberosService {
  return new KerberosService({
    keytab,
    principal: 'host/server.alpha.test@ALPHA.TEST',
    clock: new ManualClock(ms),
  });
}

describe("MIT's captured tokens", () => {
  const session = sessionKey('tgs-rep.session');

  it("accepts MIT's GSS initial context token and reads the delegated TGT", () => {
    const token = msg('gss-init-token');
    const auth = authenticatorOf(unwrapKrb5Token(token).message, session);
    const r = serviceAt(auth.ctime).accept(token);
    expect(r.clientPrincipal).toBe('alice@ALPHA.TEST');
    expect(r.framing).toBe('krb5');
    expect(r.mutual).toBe(true);
    expect(hex(r.sessionKey.bytes)).toBe(hex(session.bytes));
    expect(hex(r.subkey?.bytes)).toBe(hex(sessionKey('ap-req-gss.subkey').bytes));
    const deleg = r.delegatedCredential!;
    expect(deleg.tickets).toHaveLength(1);
    expect(deleg.tickets[0]!.sname.nameString).toEqual(['krbtgt', 'ALPHA.TEST']);
    expect(deleg.info[0]!.pname?.nameString).toEqual(['alice']);
    // The same token a second time is a replay.
    const svc = serviceAt(auth.ctime);
    svc.accept(token);
    expect(thrown(() => svc.accept(token)).code).toBe(ErrorCode.KRB_AP_ERR_REPEAT);
  });

  it("accepts MIT's raw AP-REQ (subkey, application checksum, mutual-required)", () => {
    const token = msg('ap-req-api');
    const auth = authenticatorOf(token, session);
    const r = serviceAt(auth.ctime).accept(token);
    expect(r.clientPrincipal).toBe('alice@ALPHA.TEST');
    expect(r.framing).toBe('none');
    expect(r.mutual).toBe(true);
    expect(hex(r.subkey?.bytes)).toBe(hex(sessionKey('ap-req-api.subkey').bytes));
    expect(r.responseToken?.[0]).toBe(0x6f);
  });

  it('refuses the captured token for clock skew once the service clock has moved on', () => {
    const token = msg('ap-req-api');
    const auth = authenticatorOf(token, session);
    expect(thrown(() => serviceAt(auth.ctime + 10 * 60_000).accept(token)).code).toBe(
      ErrorCode.KRB_AP_ERR_SKEW,
    );
  });

  it("verifies MIT's AP-REPs with the client's context", () => {
    const client = new KerberosClient({
      realm: 'ALPHA.TEST',
      transport: { send: () => Promise.reject(new Error('none')) },
    });
    const cred = { server: { realm: 'ALPHA.TEST' } } as unknown as Credential;
    for (const [req, rep, gss] of [
      ['ap-req-gss', 'gss-accept-token', 'krb5'],
      ['ap-req-api', 'ap-rep-api', 'none'],
    ] as const) {
      const auth = authenticatorOf(msg(req), session);
      const context: ApReqContext = {
        sessionKey: session,
        ctime: auth.ctime,
        cusec: auth.cusec,
        mutual: true,
        gss,
        credential: cred,
      };
      const out = client.verifyApRep(context, msg(rep));
      if (gss === 'krb5') expect(hex(out.subkey?.bytes)).toBe(hex(sessionKey('ap-rep-gss.subkey').bytes));
      // One microsecond off is a mutual-authentication failure.
      const off = { ...context, cusec: (auth.cusec + 1) % 1_000_000 };
      expect(thrown(() => client.verifyApRep(off, msg(rep))).code).toBe(ErrorCode.KRB_AP_ERR_MUT_FAIL);
    }
  });
});
