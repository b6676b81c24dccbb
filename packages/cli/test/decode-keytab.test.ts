/**
 * `krbsim decode --keytab`: what a keytab's keys open, checked on MIT krb5's own messages (the
 * fixtures' keytab holds every long-term key of their realms, MIT's PACs and signatures included)
 * and on a lab Windows client's TGS-REQ and SQL login token. Keys never show.
 */

import { readFileSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  decodeEncTicketPart,
  decodeMessage,
  encodeEncTicketPart,
  encodeMessage,
  encodeTicket,
  PaDataType,
} from '@krbsim/asn1';
import { createAzureSqlMiLab } from '@krbsim/azure';
import { KerberosClient } from '@krbsim/client';
import { isKerberosError, ManualClock, SeededRandom } from '@krbsim/core';
import { decrypt, encrypt, KeyUsage } from '@krbsim/crypto';
import { type KeytabEntry, parseKeytab, serializeKeytab } from '@krbsim/files';
import { Kdc, Realm } from '@krbsim/kdc';
import { decodePac, encodePac, type Pac, PacBufferType, unwrapPac, withPac } from '@krbsim/pac';
import { InProcessTransport, Trace } from '@krbsim/transport';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { decodeToJson } from '../src/decode';
import { kdcKeytabEntries, realmKeytabEntries, serviceKeytabEntries } from '../src/topology-files';
import { runCaptured } from './run-cli';

const MIT = new URL('../../../test/fixtures/mit/', import.meta.url);
const messages = JSON.parse(readFileSync(new URL('messages.json', MIT), 'utf8')) as {
  name: string;
  hex: string;
}[];
const keytabPath = new URL('keytab.bin', MIT).pathname;
const keytab = parseKeytab(readFileSync(keytabPath)).entries;
const bytesOf = (name: string) =>
  new Uint8Array(Buffer.from(messages.find((m) => m.name === name)!.hex, 'hex'));

/** Every key of the fixtures, long-term and session, as hex: none may show in what decode prints. */
function fixtureKeyHexes(): string[] {
  const keys = JSON.parse(readFileSync(new URL('keys.json', MIT), 'utf8')) as Record<string, unknown>;
  const out: string[] = [];
  const walk = (v: unknown): void => {
    if (Array.isArray(v)) v.forEach(walk);
    else if (v !== null && typeof v === 'object') {
      const o = v as Record<string, unknown>;
      if (typeof o.hex === 'string' && typeof o.etype === 'number') out.push(o.hex);
      Object.values(o).forEach(walk);
    }
  };
  walk(keys);
  return out;
}

// biome-ignore lint/suspicious/noExplicitAny: decode's JSON, walked by the expectations that check it
type J = Record<string, any>;
const decrypted = (name: string, keys: readonly KeytabEntry[] = keytab) =>
  (decodeToJson(bytesOf(name), { keys }) as J).decrypted as J;

async function cli(argv: string[]): Promise<{ code: number; out: string; err: string }> {
  const { code, stdout, stderr } = await runCaptured(argv);
  return { code, out: stdout, err: stderr };
}

describe('decode --keytab on MIT krb5 messages', () => {
  it("opens an AP-REQ's ticket and authenticator, and checks MIT's PAC signatures with the service's and the krbtgt's keys", () => {
    const d = decrypted('ap-req-gss');
    expect(d.ticket).toMatchObject({
      type: 'EncTicketPart',
      crealm: 'ALPHA.TEST',
      cname: { nameString: ['alice'] },
    });
    expect(d.ticket.key.keyvalue).toBe('<redacted 32 bytes>');
    expect(d.authenticator).toMatchObject({ type: 'Authenticator', cname: { nameString: ['alice'] } });
    expect(d.pac.serverSignature).toBe('verified');
    expect(d.pac.kdcSignatures).toEqual({ present: ['KDC', 'ticket'], result: 'verified' });
    // MIT's GSS-API delegated alice's TGT: the checksum's KRB-CRED, its enc-part under the session key.
    expect(d.gssChecksum.flags).toEqual(['deleg', 'mutual', 'replay', 'conf', 'integ', 'trans']);
    const deleg = d.gssChecksum.delegation;
    expect(deleg.tickets[0].ticket.flags).toContain('forwarded');
    expect(deleg.encPart.type).toBe('EncKrbCredPart');
    expect(deleg.encPart.ticketInfo[0].key.keyvalue).toBe('<redacted 32 bytes>');
    expect(deleg.encPart.ticketInfo[0].sname.nameString).toEqual(['krbtgt', 'ALPHA.TEST']);
    const client = d.pac.buffers.find((b: J) => b.typeName === 'CLIENT_INFO');
    expect(client.value.name).toBe('alice');
    expect(client.value.clientId).toBe(`${d.ticket.authtime.slice(0, -1)}.000Z`);
  });

  it("opens a TGS-REQ's TGT and authenticator, an AS-REQ's timestamp and an AS-REP's ticket and enc-part", () => {
    const tgs = decrypted('tgs-req');
    expect(tgs.ticket.cname.nameString).toEqual(['alice']);
    expect(tgs.authenticator.subkey.keyvalue).toBe('<redacted 32 bytes>');
    // A TGT carries no ticket signature.
    expect(tgs.pac.kdcSignatures).toEqual({ present: ['KDC'], result: 'verified' });
    expect(decrypted('as-req-preauth').paEncTimestamp.patimestamp).toMatch(/^\d{4}-\d\d-\d\dT/);
    const rep = decrypted('as-rep');
    // MIT's KDC tags an AS-REP's enc-part as EncTGSRepPart, as RFC 4120 section 5.4.2 lets it.
    expect(rep.encPart).toMatchObject({ type: 'EncTGSRepPart', key: { keyvalue: '<redacted 32 bytes>' } });
    expect(rep.ticket.type).toBe('EncTicketPart');
    const cred = decrypted('krb-cred-api');
    expect(cred.tickets.length).toBeGreaterThan(0);
    for (const t of cred.tickets) expect(t.ticket.type).toBe('EncTicketPart');
  });

  it('says which key it lacks, and what a wrong krbtgt key makes of the KDC signature', () => {
    const withoutAlice = keytab.filter((e) => e.principal.name.nameString[0] !== 'alice');
    expect(decrypted('as-req-preauth', withoutAlice).paEncTimestampError).toMatch(
      /^no key in the keytab opens PA-ENC-TIMESTAMP \(alice@ALPHA\.TEST, etype 18; \d+ keys of that etype tried\)$/,
    );
    const noService = keytab.filter((e) => e.principal.name.nameString[0] !== 'host');
    // The other principals' keys of etype 18 are tried too (a ticket's kvno may be a keytab's low byte).
    expect(decrypted('ap-req-gss', noService).ticketError).toMatch(
      /^no key in the keytab opens the ticket \(host\/server/,
    );
    const noKrbtgt = keytab.filter((e) => e.principal.name.nameString[0] !== 'krbtgt');
    expect(decrypted('ap-req-gss', noKrbtgt).pac.kdcSignatures.result).toBe(
      'not checked: no key of krbtgt/ALPHA.TEST@ALPHA.TEST in the keytab',
    );
    const wrongKrbtgt = keytab.map((e) =>
      e.principal.name.nameString.join('/') === 'krbtgt/ALPHA.TEST'
        ? { ...e, key: { ...e.key, bytes: e.key.bytes.map((b) => b ^ 1) } }
        : e,
    );
    expect(decrypted('ap-req-gss', wrongKrbtgt).pac.kdcSignatures.result).toMatch(/^does not verify: /);
  });

  it('names a padata value that does not decode, and never throws but a Kerberos error on altered bytes (property)', () => {
    /** The KDC-REQ `name` with its `padataType` value replaced. */
    const withPadata = (name: string, padataType: number, padataValue: Uint8Array) => {
      const m = decodeMessage(bytesOf(name));
      if (m.type !== 'AS-REQ' && m.type !== 'TGS-REQ') throw new Error(`${name} is no KDC-REQ`);
      const padata = m.value.padata?.map((p) =>
        p.padataType === padataType ? { padataType, padataValue } : p,
      );
      return m.type === 'AS-REQ'
        ? encodeMessage({ type: m.type, value: { ...m.value, padata } })
        : encodeMessage({ type: m.type, value: { ...m.value, padata } });
    };
    const garbage = Uint8Array.of(0x30, 0x03, 0x02, 0x01);
    const tgs = decodeToJson(withPadata('tgs-req', PaDataType.PA_TGS_REQ, garbage), { keys: keytab }) as J;
    expect(tgs.decrypted.paTgsReqError).toMatch(/./);
    const as = decodeToJson(withPadata('as-req-preauth', PaDataType.PA_ENC_TIMESTAMP, garbage), {
      keys: keytab,
    }) as J;
    expect(as.decrypted.paEncTimestampError).toMatch(/./);
    const sources = ['ap-req-gss', 'tgs-req', 'as-rep', 'as-req-preauth', 'krb-cred-api'].map(bytesOf);
    fc.assert(
      fc.property(
        fc.constantFrom(...sources),
        fc.array(fc.tuple(fc.nat(), fc.integer({ min: 1, max: 255 })), { minLength: 1, maxLength: 4 }),
        (source, flips) => {
          const bytes = source.slice();
          for (const [at, x] of flips) bytes[at % bytes.length]! ^= x;
          try {
            decodeToJson(bytes, { keys: keytab });
          } catch (e) {
            expect(isKerberosError(e)).toBe(true);
          }
        },
      ),
      { numRuns: 300 },
    );
  });

  it('prints no key: no long-term, session or sub-key of the fixtures shows in any decrypted message', async () => {
    const hexes = fixtureKeyHexes();
    expect(hexes.length).toBeGreaterThan(10);
    for (const m of messages) {
      const r = await cli(['decode', m.hex, '--keytab', keytabPath, '--compact']);
      if (r.code !== 0) continue; // a per-message token, say: nothing to open
      for (const h of hexes) expect(r.out.includes(h), `${m.name} shows a key`).toBe(false);
    }
  });

  it('nests: a GSS token and a KDC-PROXY-MESSAGE carry the decrypted message; a keytab that cannot be read is exit 2', async () => {
    const gss = decodeToJson(bytesOf('gss-init-token'), { keys: keytab }) as J;
    expect(gss.message.decrypted.authenticator.type).toBe('Authenticator');
    const dir = await mkdtemp(join(tmpdir(), 'krbsim-decode-'));
    try {
      const bad = join(dir, 'bad.keytab');
      await writeFile(bad, Uint8Array.of(5, 9, 0));
      for (const path of [bad, join(dir, 'missing.keytab')]) {
        const r = await cli(['decode', messages[0]!.hex, '--keytab', path]);
        expect(r.code).toBe(2);
        expect(r.err).toMatch(/^krbsim decode: cannot read the keytab /);
      }
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});

/** A lab Windows client's login token for mi1, and the keys of the KDCs and of the instance. */
async function labLogin() {
  const lab = createAzureSqlMiLab({
    onPremRealm: 'CONTOSO.COM',
    seed: 7,
    clock: new ManualClock(Date.UTC(2026, 0, 5, 9)),
  });
  const alice = lab.onPrem.addUser('alice', { password: 'correct horse battery staple' });
  const mi = lab.addManagedInstance({ name: 'mi1', dnsZone: 'abc123', subnet: '10.0.0.0/24' });
  mi.enableWindowsAuthenticationPrerequisites();
  lab.setupCloudTrust();
  const pc = lab.adJoinedClient(alice);
  const ctx = await pc.initSecurityContext(mi.spn);
  const serviceKeys = serviceKeytabEntries(lab.tenant.realm, mi.spn, [], 0);
  const keys = [...kdcKeytabEntries([lab.onPrem.realm, lab.tenant.realm], 0), ...serviceKeys];
  return { lab, mi, pc, ctx, keys, serviceKeys };
}

describe('decode --keytab on FAST', () => {
  it("opens an MIT TGS-REQ's implicit armor, and krbsim's armored AS-REQ: its armor ticket, KrbFastReq and encrypted challenge", async () => {
    // MIT's kvno armors every TGS-REQ (implicit armor: the PA-TGS-REQ's subkey and its ticket's session key).
    const mit = decrypted('tgs-req').fast;
    expect(mit.request.fastOptions).toEqual([]);
    expect(mit.requestBody.sname.nameString).toEqual(['host', 'server.alpha.test']);
    // krbsim's client armors alice's AS-REQ with bob's TGT (MIT's kinit -T), pre-authenticated by an encrypted challenge.
    const clock = new ManualClock(Date.UTC(2026, 0, 5, 9));
    const realm = new Realm({ name: 'FAST.TEST', clock, random: new SeededRandom('fast') });
    realm.addUser('alice', { password: 'alice-Passw0rd' });
    realm.addUser('bob', { password: 'bob-Passw0rd' });
    const trace = new Trace();
    const transport = new InProcessTransport({ trace }).register('FAST.TEST', (req) =>
      new Kdc(realm).handle(req),
    );
    const client = () =>
      new KerberosClient({ realm: 'FAST.TEST', transport, clock, random: new SeededRandom('c') });
    const armor = await client().getInitialCredentials('bob', { password: 'bob-Passw0rd' });
    const start = trace.entries.length;
    await client().getInitialCredentials('alice', { password: 'alice-Passw0rd' }, { armor });
    const keys = realmKeytabEntries([realm], 0);
    const asReqs = trace.entries.slice(start).filter((e) => e.requestType === 'AS-REQ');
    const last = (decodeToJson(asReqs.at(-1)!.request, { keys }) as J).decrypted.fast;
    expect(last.armor.ticket.cname.nameString).toEqual(['bob']);
    expect(last.armor.authenticator.subkey.keyvalue).toMatch(/^<redacted \d+ bytes>$/);
    expect(last.requestBody.cname.nameString).toEqual(['alice']);
    expect(last.encryptedChallenge.patimestamp).toBe('2026-01-05T09:00:00Z');
    // The armored AS-REP: its ticket opens; its enc-part is sealed with the strengthened reply key.
    const rep = (decodeToJson(asReqs.at(-1)!.reply!, { keys }) as J).decrypted;
    expect(rep.ticket.cname.nameString).toEqual(['alice']);
    expect(rep.encPartError).toMatch(/; an armored reply is sealed with FAST's strengthened reply key$/);
    // Without alice's key the challenge stays shut, and says whose key it wants.
    const noAlice = keys.filter((e) => e.principal.name.nameString[0] !== 'alice');
    expect(
      (decodeToJson(asReqs.at(-1)!.request, { keys: noAlice }) as J).decrypted.fast.encryptedChallenge,
    ).toEqual({
      error: 'no key of alice@FAST.TEST in the keytab opens it (etype 20)',
    });
  });
});

describe("decode --keytab on a lab Windows client's messages", () => {
  it('a PAC altered in a resealed ticket: shown as far as it decodes, never a throw but a Kerberos error (property); the largest FILETIME an expanded ISO year', async () => {
    const { ctx, keys, serviceKeys } = await labLogin();
    const key = { etype: serviceKeys[0]!.key.etype, bytes: serviceKeys[0]!.key.bytes };
    const sealed = ctx.ticket.ticket;
    const etp = decodeEncTicketPart(decrypt(key, KeyUsage.KDC_REP_TICKET, sealed.encPart.cipher));
    const pac = unwrapPac(etp.authorizationData)!;
    /** The ticket again, its PAC replaced by `bytes`, sealed with the instance's key. */
    const resealed = (bytes: Uint8Array) => {
      const plain = encodeEncTicketPart({ ...etp, authorizationData: withPac(etp.authorizationData, bytes) });
      const cipher = encrypt(key, KeyUsage.KDC_REP_TICKET, plain, { random: new SeededRandom('reseal') });
      return encodeTicket({ ...sealed, encPart: { ...sealed.encPart, cipher } });
    };
    const far = decodePac(pac);
    const farPac = encodePac({
      buffers: far.buffers.map((b) =>
        'value' in b && b.type === PacBufferType.LOGON_INFO
          ? { ...b, value: { ...b.value, logonTime: 0x7ffffffffffffff0n } }
          : b,
      ) as Pac['buffers'],
    });
    const shown = (decodeToJson(resealed(farPac), { keys }) as J).decrypted.pac;
    // The largest FILETIMEs are still dates (ISO 8601's expanded years).
    expect(shown.buffers.find((b: J) => b.typeName === 'LOGON_INFO').value.logonTime).toMatch(
      /^\+030828-09-14T/,
    );
    // Altered: the server signature no longer verifies.
    expect(shown.serverSignature).toMatch(/^does not verify: /);
    fc.assert(
      fc.property(
        fc.array(fc.tuple(fc.nat(), fc.integer({ min: 1, max: 255 })), { minLength: 1, maxLength: 6 }),
        (flips) => {
          const bytes = pac.slice();
          for (const [at, x] of flips) bytes[at % bytes.length]! ^= x;
          try {
            const d = (decodeToJson(resealed(bytes), { keys }) as J).decrypted;
            expect(d.ticket.type).toBe('EncTicketPart');
          } catch (e) {
            expect(isKerberosError(e)).toBe(true);
          }
        },
      ),
      { numRuns: 150 },
    );
  });

  it("shows the TGS-REQ's KERB-LOCAL and the login token's PAC, its signatures verified", async () => {
    const { lab, mi, pc, ctx, keys } = await labLogin();
    const tgsReq = lab.trace.entries.find((e) => e.requestType === 'TGS-REQ')!;
    const tgs = (decodeToJson(tgsReq.request, { keys }) as J).decrypted;
    expect(tgs.ticket.cname.nameString).toEqual(['alice']);
    expect(tgs.encAuthorizationData).toEqual([
      {
        adType: 1,
        adTypeName: 'AD_IF_RELEVANT',
        adData: expect.any(String),
        adDataDecoded: [
          { adType: 142, adTypeName: 'KERB_LOCAL', adData: Buffer.from(pc.machine.loopback).toString('hex') },
        ],
      },
    ]);
    const login = decodeToJson(ctx.token, { keys }) as J;
    const d = login.mechToken.message.decrypted;
    expect(d.pac.serverSignature).toBe('verified');
    expect(d.pac.kdcSignatures.result).toBe('verified');
    const logon = d.pac.buffers.find((b: J) => b.typeName === 'LOGON_INFO').value;
    expect(logon.effectiveName).toBe('alice');
    expect(logon.logonDomainName).toBe('CONTOSO');
    expect(logon.logonDomainId).toMatch(/^S-1-5-21-\d+-\d+-\d+$/);
    expect(logon.userSessionKey).toBe('<redacted 16 bytes>');
    expect(logon.kickOffTime).toBe('never');
    // The command line, the instance's keytab and the KDCs' as `krbsim serve --kdc-keytab` writes them.
    const dir = await mkdtemp(join(tmpdir(), 'krbsim-decode-'));
    try {
      const mi1 = join(dir, 'mi1.keytab');
      const kdc = join(dir, 'kdc.keytab');
      await writeFile(
        mi1,
        serializeKeytab({ entries: serviceKeytabEntries(lab.tenant.realm, mi.spn, [], 0) }),
      );
      await writeFile(kdc, serializeKeytab({ entries: kdcKeytabEntries([lab.tenant.realm], 0) }));
      const b64 = Buffer.from(ctx.token).toString('base64');
      const both = await cli(['decode', b64, '--keytab', mi1, '--keytab', kdc, '--compact']);
      expect(both.code).toBe(0);
      expect(JSON.parse(both.out).mechToken.message.decrypted.pac.kdcSignatures.result).toBe('verified');
      const one = JSON.parse((await cli(['decode', b64, '--keytab', mi1])).out);
      expect(one.mechToken.message.decrypted.pac.kdcSignatures.result).toMatch(
        /^not checked: no key of krbtgt\//,
      );
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
    // The authenticator's MS-KILE data (the token restrictions) decoded too.
    const ifRelevant = d.authenticator.authorizationData.find((e: J) => e.adType === 1);
    expect(ifRelevant.adDataDecoded.map((e: J) => e.adType)).toContain(141);
  });

  it("prints no key of the lab's flow: no long-term key of the realms, no session key of the client's tickets", async () => {
    const { lab, pc, ctx } = await labLogin();
    const keys = realmKeytabEntries([lab.onPrem.realm, lab.tenant.realm], 0);
    const secrets = [
      ...keys.map((e) => Buffer.from(e.key.bytes).toString('hex')),
      ...pc.kerberos.cache.all().map((c) => Buffer.from(c.sessionKey.bytes).toString('hex')),
    ];
    expect(secrets.length).toBeGreaterThan(10);
    const shown = [
      ctx.token,
      ...lab.trace.entries.flatMap((e) => [e.request, ...(e.reply === undefined ? [] : [e.reply])]),
    ]
      .map((bytes) => {
        try {
          return JSON.stringify(decodeToJson(bytes, { keys }));
        } catch (e) {
          if (!isKerberosError(e)) throw e;
          return ''; // the PRT exchange's HTTP, say: no Kerberos message
        }
      })
      .join('\n');
    expect(shown).toContain('"decrypted"');
    for (const h of secrets) expect(shown.includes(h)).toBe(false);
  });
});

describe('decode of a delegated TGT (a GSS checksum whose KRB-CRED goes in the clear, as forwardTgt and MIT send it)', () => {
  /** Alice's AP-REQ to a service, delegating her TGT; the forwarded TGT's session key as hex. */
  async function delegation() {
    const clock = new ManualClock(Date.UTC(2026, 0, 5, 9));
    const realm = new Realm({ name: 'DELEG.TEST', clock, random: new SeededRandom('deleg') });
    realm.addUser('alice', { password: 'Al1ce-Passw0rd' });
    realm.addService('HTTP/web.deleg.test', { password: 'web-Passw0rd', okAsDelegate: true });
    const transport = new InProcessTransport().register('DELEG.TEST', (req) => new Kdc(realm).handle(req));
    const client = new KerberosClient({
      realm: 'DELEG.TEST',
      transport,
      clock,
      random: new SeededRandom('alice'),
    });
    await client.getInitialCredentials('alice', { password: 'Al1ce-Passw0rd' }, { forwardable: true });
    const cred = await client.getServiceTicket('HTTP/web.deleg.test');
    const krbCred = (await client.forwardTgt(cred))!;
    const m = decodeMessage(krbCred);
    if (m.type !== 'KRB-CRED') throw new Error('forwardTgt gave no KRB-CRED');
    expect(m.value.encPart.etype).toBe(0);
    const part = decodeMessage(m.value.encPart.cipher);
    if (part.type !== 'EncKrbCredPart') throw new Error('no EncKrbCredPart');
    const delegatedKey = Buffer.from(part.value.ticketInfo[0]!.key.keyvalue).toString('hex');
    const { token } = client.buildApReq(cred, { gss: 'krb5', delegation: krbCred });
    const secrets = [
      delegatedKey,
      ...client.cache.all().map((c) => Buffer.from(c.sessionKey.bytes).toString('hex')),
    ];
    return { realm, token, krbCred, delegatedKey, secrets };
  }

  it("--keytab shows the checksum parsed and the cleartext EncKrbCredPart decoded, and no session key's bytes", async () => {
    const { realm, token, secrets } = await delegation();
    const dir = await mkdtemp(join(tmpdir(), 'krbsim-decode-'));
    try {
      const path = join(dir, 'realm.keytab');
      await writeFile(path, serializeKeytab({ entries: realmKeytabEntries([realm], 0) }));
      const r = await cli(['decode', Buffer.from(token).toString('base64'), '--keytab', path, '--compact']);
      expect(r.code).toBe(0);
      for (const h of secrets) expect(r.out.includes(h), 'a session key shows').toBe(false);
      const d = JSON.parse(r.out).message.decrypted as J;
      // The authenticator's checksum parsed in place of its bytes, its delegation decoded.
      const cksum = d.authenticator.cksum;
      expect(cksum.checksum).toBeUndefined();
      expect(cksum.checksumDecoded.flags).toContain('deleg');
      expect(cksum.checksumDecoded.bindings).toBe('0'.repeat(32));
      expect(cksum.checksumDecoded.delegation.encPart).toMatchObject({
        etype: 0,
        cipher: expect.stringMatching(/^<redacted \d+ bytes>$/),
      });
      expect(cksum.checksumDecoded.delegation.encPart.cleartext.ticketInfo[0].key.keyvalue).toBe(
        '<redacted 32 bytes>',
      );
      // What the keytab opens: the forwarded TGT, and the KRB-CRED's enc-part, sent in the clear.
      const deleg = d.gssChecksum.delegation;
      expect(deleg.tickets[0].ticket.flags).toContain('forwarded');
      expect(deleg.encPartError).toBeUndefined();
      expect(deleg.encPart.type).toBe('EncKrbCredPart');
      expect(deleg.encPart.ticketInfo[0].key.keyvalue).toBe('<redacted 32 bytes>');
      expect(deleg.encPart.ticketInfo[0].sname.nameString).toEqual(['krbtgt', 'DELEG.TEST']);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('plain decode of the KRB-CRED, the token and a bare EncKrbCredPart prints no key either', async () => {
    const { krbCred, token, secrets } = await delegation();
    const m = decodeMessage(krbCred);
    if (m.type !== 'KRB-CRED') throw new Error('no KRB-CRED');
    for (const bytes of [krbCred, token, m.value.encPart.cipher]) {
      const r = await cli(['decode', Buffer.from(bytes).toString('hex'), '--compact']);
      expect(r.code).toBe(0);
      for (const h of secrets) expect(r.out.includes(h), 'a session key shows').toBe(false);
    }
    const cred = decodeToJson(krbCred) as J;
    expect(cred.encPart.cleartext.type).toBe('EncKrbCredPart');
    expect(cred.encPart.cleartext.ticketInfo[0].pname.nameString).toEqual(['alice']);
    // With a keytab, a bare KRB-CRED's cleartext enc-part is decoded beside its opened tickets.
    const keys = realmKeytabEntries([(await delegation()).realm], 0);
    expect((decodeToJson(krbCred, { keys }) as J).decrypted.encPart.ticketInfo[0].key.keyvalue).toBe(
      '<redacted 32 bytes>',
    );
  });
});
