/**
 * @krbsim/service against MIT krb5 1.20: MIT's libraries build the AP-REQ
 * (krb5_mk_req_extended for raw, gss_init_sec_context with the krb5 or
 * SPNEGO mechanism), krbsim's service accepts it with the keys of an MIT
 * keytab (`ktadd -norandkey`, read by @krbsim/files), and MIT's initiator
 * accepts krbsim's AP-REP. The helper is compiled here with gcc.
 */

import { AdType } from '@krbsim/asn1';
import { ErrorCode, KerberosError, systemClock } from '@krbsim/core';
import { readKeytabFile } from '@krbsim/files';
import { KerberosService } from '@krbsim/service';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { startHelper } from './client-mit-realm';
import { buildServiceMitHelper } from './helpers/mit';
import { type MitRealm, startMitRealm } from './helpers/mit-realm';
import { describeWithTools, runTool } from './mit-tools';

const REALM = 'MIT.TEST';
const SPN = 'HTTP/web.mit.test@MIT.TEST';
const hex = (b: Uint8Array) => Buffer.from(b).toString('hex');
const unhex = (s: string) => new Uint8Array(Buffer.from(s.trim(), 'hex'));

function thrown(f: () => unknown): KerberosError {
  try {
    f();
  } catch (e) {
    expect(e).toBeInstanceOf(KerberosError);
    return e as KerberosError;
  }
  throw new Error('expected a throw');
}

describeWithTools(
  'krbsim service accepting AP-REQs made by MIT krb5',
  ['kdb5_util', 'kadmin.local', 'krb5kdc', 'kinit', 'gcc'],
  (tools) => {
    let mit: MitRealm;
    let helper: string;
    let service: KerberosService;

    beforeAll(async () => {
      mit = await startMitRealm(
        REALM,
        [
          { name: 'alice', password: 'alice-Passw0rd', flags: '+requires_preauth' },
          { name: 'HTTP/web.mit.test', password: 'web-Passw0rd' },
        ],
        tools,
      );
      helper = await buildServiceMitHelper(tools.gcc!, mit.dir);
      const k = await runTool(tools.kinit!, ['alice@MIT.TEST'], { input: 'alice-Passw0rd\n', env: mit.env });
      if (k.code !== 0) throw new Error(`kinit failed: ${k.stderr}`);
      const keytab = await readKeytabFile(await mit.exportKeytab(SPN));
      service = new KerberosService({ keytab, principal: SPN, clock: systemClock });
    });

    afterAll(async () => {
      await mit?.stop();
    });

    for (const mode of ['raw', 'krb5', 'spnego'] as const) {
      it(`accepts MIT's ${mode} AP-REQ, and MIT accepts the AP-REP`, async () => {
        const run = await startHelper(helper, ['init', mode, SPN], mit.env);
        try {
          expect(run.first).not.toMatch(/^ERR/);
          const result = service.accept(unhex(run.first));
          expect(result.clientPrincipal).toBe('alice@MIT.TEST');
          expect(result.framing).toBe(mode === 'raw' ? 'none' : mode);
          expect(result.mutual).toBe(true);
          expect(result.kvno).toBe(1);
          // MIT 1.20 KDCs put a PAC in every ticket, inside AD-IF-RELEVANT.
          expect(result.authorizationData.some((a) => a.adType === AdType.AD_IF_RELEVANT)).toBe(true);
          if (mode !== 'raw') {
            expect(result.subkey).toBeDefined();
            expect(result.seqNumber).toBeDefined();
          }
          expect(await run.answer(hex(result.responseToken!))).toBe('OK');
        } finally {
          await run.kill();
        }
      });
    }

    it('refuses a replayed MIT AP-REQ', async () => {
      const run = await startHelper(helper, ['init', 'krb5', SPN], mit.env);
      await run.kill();
      const token = unhex(run.first);
      service.accept(token);
      expect(thrown(() => service.accept(token)).code).toBe(ErrorCode.KRB_AP_ERR_REPEAT);
    });

    it("checks MIT's channel bindings", async () => {
      const cb = new TextEncoder().encode('tls-server-end-point:mit');
      const run = await startHelper(helper, ['init', 'spnego', SPN, hex(cb)], mit.env);
      await run.kill();
      const token = unhex(run.first);
      const wrong = new TextEncoder().encode('tls-server-end-point:other');
      expect(thrown(() => service.accept(token, { channelBindings: wrong })).code).toBe(
        ErrorCode.KRB_AP_ERR_MODIFIED,
      );
      expect(service.accept(token, { channelBindings: cb }).clientPrincipal).toBe('alice@MIT.TEST');
    });

    it('KRB_AP_ERR_BADKEYVER after the service key changes, KRB_AP_ERR_NOT_US for another service', async () => {
      const run = await startHelper(helper, ['init', 'raw', SPN], mit.env);
      await run.kill();
      const token = unhex(run.first);
      await mit.kadmin(`cpw -randkey ${SPN}`);
      const rotated = new KerberosService({
        keytab: await readKeytabFile(await mit.exportKeytab(SPN)),
        clock: systemClock,
      });
      expect(thrown(() => rotated.accept(token)).code).toBe(ErrorCode.KRB_AP_ERR_BADKEYVER);
      const other = new KerberosService({
        keytab: await readKeytabFile(await mit.exportKeytab(SPN)),
        principal: 'HTTP/other.mit.test@MIT.TEST',
        clock: systemClock,
      });
      expect(thrown(() => other.accept(token)).code).toBe(ErrorCode.KRB_AP_ERR_NOT_US);
    });
  },
);
