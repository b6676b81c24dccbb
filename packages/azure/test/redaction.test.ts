/**
 * A managed instance's session printed or serialized shows no key bytes:
 * its keys are those of the AcceptResult inside it (`session.kerberos`),
 * which `@krbsim/service` redacts. An on-prem user shows no password.
 */

import { inspect } from 'node:util';
import { createAzureSqlMiLab } from '@krbsim/azure';
import { ManualClock } from '@krbsim/core';
import { connectTds, decodeLogin7, encodeLogin7 } from '@krbsim/tds';
import { expect, it } from 'vitest';

it('util.inspect and JSON.stringify of a session show no session key or subkey bytes', async () => {
  const lab = createAzureSqlMiLab({
    onPremRealm: 'CONTOSO.COM',
    seed: 11,
    clock: new ManualClock(Date.UTC(2026, 0, 5, 9)),
  });
  const alice = lab.onPrem.addUser('alice', { password: 'correct horse battery staple' });
  const mi = lab.addManagedInstance({ name: 'mi1', dnsZone: 'abc123', subnet: '10.0.0.0/24' });
  mi.enableWindowsAuthenticationPrerequisites();
  mi.authenticationMetadata = 'Windows';
  mi.createLogin('CONTOSO\\alice', 'WINDOWS');
  lab.setupCloudTrust();
  const pc = lab.adJoinedClient(alice);
  const ctx = await pc.initSecurityContext(mi.spn);
  const session = mi.accept(ctx.token, pc.participant);
  const k = session.kerberos;
  const keys = [
    k.sessionKey.bytes,
    ...(k.subkey ? [k.subkey.bytes] : []),
    ...(k.acceptorSubkey ? [k.acceptorSubkey.bytes] : []),
  ];
  expect(keys.length).toBeGreaterThanOrEqual(2); // SSPI sends a subkey; the acceptor answers with one
  const printed = `${inspect(session, { depth: Number.POSITIVE_INFINITY })}\n${JSON.stringify(session)}`;
  for (const key of keys) {
    const b = Buffer.from(key);
    for (const r of [b.toString('hex'), b.toString('base64'), [...key.subarray(0, 8)].join(', ')]) {
      expect(printed).not.toContain(r);
    }
  }
  expect(printed).toContain('<redacted 32 bytes>');
  expect(session.login).toBe('CONTOSO\\alice');
});

it("a client's security context and its cached credentials print no session key bytes", async () => {
  const qs = createAzureSqlMiLab.quickStart({ seed: 7 });
  const ctx = await qs.client.initSecurityContext(qs.instance.spn);
  const creds = [ctx.ticket, ...qs.client.kerberos.cache.all()];
  expect(creds.length).toBeGreaterThanOrEqual(3); // TGT, referral TGT, service ticket
  for (const cred of creds) {
    const key = cred.sessionKey;
    expect(inspect(key)).toBe(`{ etype: ${key.etype}, bytes: '<redacted ${key.bytes.length} bytes>' }`);
    const printed = `${inspect(cred, { depth: Number.POSITIVE_INFINITY })}\n${JSON.stringify(cred)}`;
    const b = Buffer.from(key.bytes);
    for (const r of [b.toString('hex'), b.toString('base64'), `"0":${key.bytes[0]},"1":${key.bytes[1]},`]) {
      expect(printed).not.toContain(r);
    }
  }
  expect(JSON.stringify(ctx)).toContain('<redacted 32 bytes>');
  // Still a key: the instance accepts the token built with it.
  expect(qs.instance.accept(ctx.token).login).toBe('CONTOSO\\alice');
});

it("an on-prem user's password prints and serializes as '<redacted>', and still signs the user in", async () => {
  const secret = 'Sup3r-Secret-Passw0rd';
  const qs = createAzureSqlMiLab.quickStart({
    seed: 7,
    password: secret,
    onPremPolicy: { minPasswordAgeMs: 0 },
  });
  const printed = [
    inspect(qs.user),
    JSON.stringify(qs.user),
    inspect(qs, { depth: 8 }),
    inspect(qs.client, { depth: 8 }),
    JSON.stringify(qs.client),
    inspect(qs.lab.onPrem.users, { depth: 4 }),
    JSON.stringify(qs.lab.onPrem.user('alice')),
    JSON.stringify({ ...qs.user }),
  ];
  for (const text of printed) expect(text).not.toContain(secret);
  expect(inspect(qs.user)).toContain("password: '<redacted>'");
  expect(JSON.parse(JSON.stringify(qs.user))).toEqual({
    samAccountName: 'alice',
    upn: 'alice@contoso.com',
    realm: 'CONTOSO.COM',
    netbiosDomain: 'CONTOSO',
    password: '<redacted>',
    sid: qs.user.sid,
  });
  // Where the lab needs it, it is there: the logon types it, and a change through kpasswd replaces it.
  expect(qs.user.password).toBe(secret);
  expect((await qs.connect()).login).toBe('CONTOSO\\alice');
  const pc = qs.lab.adJoinedClient(qs.user);
  await pc.changePassword('N3w-Secret-Passw0rd!');
  const changed = qs.lab.onPrem.user('alice')!;
  expect(changed.password).toBe('N3w-Secret-Passw0rd!');
  expect(`${inspect(changed)}${JSON.stringify(changed)}`).not.toContain('N3w-Secret');
});

it("a SQL authentication login's password is in none of the lab's trace, its HTML or its pcap", async () => {
  const qs = createAzureSqlMiLab.quickStart({ seed: 7 });
  const { lab, instance: mi } = qs;
  const listener = await mi.listen();
  try {
    const ca = await lab.certificateAuthority();
    // The lab's CA prints no private key; the key is there for the listener's certificate.
    expect(`${inspect(ca)}${JSON.stringify(ca)}`).not.toContain('PRIVATE KEY');
    expect(ca.keyPem).toContain('PRIVATE KEY');
    const c = await connectTds({
      port: listener.port,
      encryption: 'on',
      tls: { ca: ca.certPem, servername: mi.fqdn },
    });
    try {
      const password = 'Sql-Passw0rd!';
      const r = await c.login({ sspi: new Uint8Array(0), userName: 'sa', password, optionFlags2: 0 });
      expect(r.ok).toBe(false);
      const login = lab.trace.entries.find((e) => e.protocol === 'tds' && e.requestType === 'LOGIN7')!;
      expect(login).toBeDefined();
      // The LOGIN7 is kept, in the clear (TLS removed), its password blanked: `*` for each character.
      const sent = encodeLogin7({ userName: 'sa', password });
      const ib = new DataView(sent.buffer).getUint16(44, true);
      const obfuscated = Buffer.from(sent.subarray(ib, ib + password.length * 2));
      const clear = Buffer.from(password, 'utf16le');
      const kept = [
        Buffer.from(login.request),
        Buffer.from(lab.trace.toPcap()),
        Buffer.from(lab.trace.toHtml()),
        Buffer.from(lab.trace.toText()),
        Buffer.from(JSON.stringify(lab.trace.entries)),
      ];
      for (const b of kept) {
        for (const secret of [
          obfuscated,
          clear,
          Buffer.from(password),
          Buffer.from(obfuscated.toString('hex')),
        ]) {
          expect(b.includes(secret)).toBe(false);
        }
      }
      expect(login.request[0]).toBe(0x10);
      const payload = login.request.subarray(8);
      expect(decodeLogin7(payload)).toMatchObject({ userName: 'sa', password: '*'.repeat(password.length) });
    } finally {
      c.close();
    }
  } finally {
    await listener.close();
  }
});
