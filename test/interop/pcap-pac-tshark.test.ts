/**
 * Wireshark reads krbsim's PACs: the Azure lab's two flows go into a pcap,
 * tshark decrypts every ticket with the keytabs (services, users and the
 * KDCs' own keys, as `krbsim serve --kdc-keytab` writes them) and dissects
 * the PACs: no malformed packet, no expert error, Wireshark verifies the
 * server, KDC and ticket signatures, and it shows the user's SID and
 * groups, the referral's sIDHistory and the filtered service ticket without it.
 * It also reads the other Windows-only fields krbsim writes: PA-SUPPORTED-ENCTYPES
 * in the encrypted replies, and the NTSTATUS (KERB-EXT-ERROR) of a disabled
 * user's KRB-ERROR. And a password change in the lab: its kpasswd exchanges on port 464,
 * Wireshark decrypting the results sealed in the replies. And a Windows client's authenticator,
 * in a LOGIN7 over TDS: its token restrictions, KERB-LOCAL, AP options and target principal.
 */

import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { encodeLsapTokenInfoIntegrity } from '@krbsim/asn1';
import { AZURE_AD_REALM, createAzureSqlMiLab, loginOverTds } from '@krbsim/azure';
import { serializeKeytab } from '@krbsim/files';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { realmKeytabEntries } from '../../packages/cli/src/topology-files';
import { describeWithTools, runTool } from './mit-tools';

const LEGACY = 'S-1-5-21-2127521184-1604012920-1887927527-1106';

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'krbsim-pcap-pac-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

/** Both flows of the lab, its pcap, and a keytab of every key the realms hold. */
async function capture() {
  const lab = createAzureSqlMiLab({ seed: 8 });
  const alice = lab.onPrem.addUser('alice', {
    password: 'correct horse battery staple',
    sidHistory: [LEGACY],
  });
  lab.onPrem.addGroup('SqlAdmins');
  lab.onPrem.addGroup('DBAs');
  lab.onPrem.addGroupMember('DBAs', 'alice');
  lab.onPrem.addGroupMember('SqlAdmins', 'DBAs');
  const mi = lab.addManagedInstance({ name: 'mi1', dnsZone: 'abc123', subnet: '10.0.0.0/24' });
  mi.enableWindowsAuthenticationPrerequisites();
  mi.authenticationMetadata = 'Windows';
  mi.createLogin('CONTOSO\\SqlAdmins', 'WINDOWS');
  lab.setupCloudTrust();
  const trust = await lab.adJoinedClient(alice).initSecurityContext(mi.spn);
  mi.accept(trust.token);
  const pc = lab.azureAdJoinedClient(alice);
  await pc.signIn();
  mi.accept((await pc.initSecurityContext(mi.spn)).token);
  // bob, disabled: the on-prem DC refuses his logon with CLIENT_REVOKED and an NTSTATUS.
  const bob = lab.onPrem.addUser('bob', { password: 'correct horse battery staple' });
  lab.onPrem.realm.lookup('bob')!.disabled = true;
  await expect(lab.adJoinedClient(bob).initSecurityContext(mi.spn)).rejects.toThrow();

  const pcap = join(dir, 'lab.pcap');
  const keytab = join(dir, 'all.keytab');
  await writeFile(pcap, lab.trace.toPcap());
  await writeFile(
    keytab,
    serializeKeytab({ entries: realmKeytabEntries([lab.onPrem.realm, lab.tenant.realm], 0) }),
    {
      mode: 0o600,
    },
  );
  const d = lab.onPrem.realm.directory;
  return {
    pcap,
    keytab,
    domainSid: lab.onPrem.domainSid,
    userRid: d.account('alice')!.rid,
    groupRids: [513, d.group('SqlAdmins')!.rid, d.group('DBAs')!.rid],
    userSid: alice.sid,
    miPrincipal: `${mi.spn}@${lab.tenant.realm.name}`,
  };
}

/** tshark's options to decrypt what `keytab`'s keys open. */
function decryptingWith(keytab: string): string[] {
  return ['-o', 'kerberos.decrypt:TRUE', '-o', `kerberos.file:${keytab}`];
}

/** tshark's `fields` of the packets `filter` selects in the decrypted capture, a row each (`|` between repeats). */
async function tsharkFields(
  tshark: string,
  c: { pcap: string; keytab: string },
  filter: string,
  fields: readonly string[],
): Promise<string[][]> {
  const out = await runTool(tshark, [
    '-r',
    c.pcap,
    ...decryptingWith(c.keytab),
    '-Y',
    filter,
    '-T',
    'fields',
    '-E',
    'aggregator=|',
    ...fields.flatMap((f) => ['-e', f]),
  ]);
  expect(out.code, out.stderr).toBe(0);
  return out.stdout
    .trim()
    .split('\n')
    .map((l) => l.split('\t'));
}

describeWithTools('tshark dissects the PACs of a krbsim capture, given the keytabs', ['tshark'], (tools) => {
  it('shows the user SID and groups in every ticket, with no malformed packet, and verifies the signatures', async () => {
    const c = await capture();
    const decrypt = decryptingWith(c.keytab);
    // One line per AS-REP and TGS-REP: its tickets' PAC fields, every occurrence.
    const rows = (
      await tsharkFields(tools.tshark!, c, 'kerberos.msg_type == 11 || kerberos.msg_type == 13', [
        'kerberos.msg_type',
        'netlogon.rid',
        'netlogon.group_rid',
        'dcerpc.nt.domain_sid',
        'nt.sid',
      ])
    ).map((r) => r.map((f) => (f === '' ? [] : f.split('|'))));
    // AS-REP, the referral's TGS-REP, the instance's ticket by referral, the instance's ticket from the cloud TGT.
    expect(rows.map((r) => r[0]![0])).toEqual(['11', '13', '13', '13']);
    for (const [, rids, groups, domainSids, sids] of rows) {
      expect(rids).toContain(String(c.userRid));
      for (const g of c.groupRids) expect(groups).toContain(String(g));
      expect(domainSids).toContain(c.domainSid);
      expect(domainSids).toContain('S-1-18-1');
      expect(sids).toContain(c.userSid); // UPN_DNS_INFO's SID and PAC_REQUESTOR
    }
    // On-prem tickets carry alice's sIDHistory; the Azure AD KDC filtered it from the instance's ticket.
    expect(rows[0]![3]).toContain(LEGACY);
    expect(rows[1]![3]).toContain(LEGACY);
    expect(rows[2]![3]).not.toContain(LEGACY);
    expect(rows[3]![3]).not.toContain(LEGACY);

    const verbose = await runTool(tools.tshark!, ['-r', c.pcap, ...decrypt, '-V', '-z', 'expert']);
    expect(verbose.code).toBe(0);
    const out = verbose.stdout;
    expect(out).not.toMatch(/Malformed Packet/i);
    expect(out).not.toMatch(/\[Expert Info \(Error/);
    expect(out).not.toMatch(/^Errors \(/m);
    // Wireshark's only warnings are its own decryption attempts: it tries the TGS-REP's
    // session-key usage (8) before the subkey's (9), which decrypts.
    for (const w of out.match(/\[Expert Info \(Warning\/[^)]*\): [^\]]*\]/g) ?? []) {
      expect(w).toMatch(/^\[Expert Info \(Warning\/Decryption\): (Missing keytype \d+ usage 8|Used keymap)/);
    }
    // Wireshark verifies krbsim's signatures with the keytab: the instance's key, the tenant's krbtgt key.
    expect(out).toContain(`Verified Server checksum 16 keytype 18 using keytab principal ${c.miPrincipal}`);
    expect(out).toContain(
      'Verified KDC checksum 16 keytype 18 using keytab principal krbtgt/KERBEROS.MICROSOFTONLINE.COM@KERBEROS.MICROSOFTONLINE.COM',
    );
    expect(out).toContain(
      'Verified Ticket checksum 16 keytype 18 using keytab principal krbtgt/KERBEROS.MICROSOFTONLINE.COM@KERBEROS.MICROSOFTONLINE.COM',
    );
    expect(out).not.toMatch(/checksum .*(failed|Invalid|Bad)/i);
  });

  it("decrypts a password change on port 464: kpasswd's requests and the results sealed in its replies", async () => {
    const lab = createAzureSqlMiLab({ seed: 9 });
    const frank = lab.onPrem.addUser('frank', { password: 'Fr4nk-0ld-Passw0rd', mustChangePassword: true });
    const pc = lab.adJoinedClient(frank);
    await expect(pc.changePassword('short')).rejects.toThrow(/0x52d/);
    await pc.changePassword('Fr4nk-N3w-Passw0rd');
    const c = { pcap: join(dir, 'kpasswd.pcap'), keytab: join(dir, 'kpasswd.keytab') };
    await writeFile(c.pcap, lab.trace.toPcap());
    await writeFile(c.keytab, serializeKeytab({ entries: realmKeytabEntries([lab.onPrem.realm], 0) }), {
      mode: 0o600,
    });
    const rows = await tsharkFields(tools.tshark!, c, 'kpasswd', [
      'udp.srcport',
      'udp.dstport',
      'kpasswd.version',
      'kpasswd.result',
      'kpasswd.result_string',
    ]);
    // Two exchanges on the DC's port 464. Wireshark opens the kadmin/changepw ticket with the keytab (it
    // shares krbtgt's keys, as AD serves it), learns the session key, then the authenticator's subkey, and
    // decrypts each KRB-PRIV: the replies' results, SOFTERROR (4) then SUCCESS (0). It reads a request's
    // user data, the new password, as if it were a result too (the first two bytes as the code): proof
    // that it decrypted what the client sealed.
    const port = (r: string[]) => (r[1] === '464' ? 'to 464' : r[0] === '464' ? 'from 464' : 'elsewhere');
    expect(rows.map((r) => [port(r), r[2]])).toEqual([
      ['to 464', '0x0001'],
      ['from 464', '0x0001'],
      ['to 464', '0x0001'],
      ['from 464', '0x0001'],
    ]);
    expect(rows[1]![3]).toBe('4');
    expect(rows[3]![3]).toBe('0');
    expect(rows[0]![4]).toBe('short'.slice(2));
    expect(rows[2]![4]).toBe('Fr4nk-N3w-Passw0rd'.slice(2));
    const verbose = await runTool(tools.tshark!, [
      '-r',
      c.pcap,
      ...decryptingWith(c.keytab),
      '-Y',
      'kpasswd',
      '-V',
    ]);
    expect(verbose.stdout).not.toMatch(/Malformed Packet/i);
    expect(verbose.stdout).toContain('MS Kpasswd');
  });

  it('reads the Windows-only fields: PA-SUPPORTED-ENCTYPES in the encrypted replies, the NTSTATUS of a KRB-ERROR', async () => {
    const c = await capture();
    const rows = await tsharkFields(
      tools.tshark!,
      c,
      'kerberos.supported_entypes || kerberos.error_code == 18',
      [
        'kerberos.msg_type',
        'kerberos.supported_entypes',
        'kerberos.error_code',
        'kerberos.smb.nt_status',
        'kerberos.ext_error.flags',
      ],
    );
    // Every canonicalized reply states its server's etypes as msDS-SupportedEncryptionTypes bits: the
    // AS-REP for the on-prem krbtgt AES256 | AES128 (0x18, and no FAST bit: AD's default is off), then the
    // three TGS-REPs (the referral, and the instance's ticket in each flow), AES256 only (0x10).
    const replies = rows.filter((r) => r[0] === '11' || r[0] === '13');
    expect(replies.map((r) => [r[0], r[1]])).toEqual([
      ['11', '0x00000018'],
      ['13', '0x00000010'],
      ['13', '0x00000010'],
      ['13', '0x00000010'],
    ]);
    // bob's refusal: KDC_ERR_CLIENT_REVOKED with STATUS_ACCOUNT_DISABLED, KERB-EXT-ERROR flags 1.
    const revoked = rows.filter((r) => r[0] === '30');
    expect(revoked).toHaveLength(1);
    expect(revoked[0]!.slice(2)).toEqual(['18', '0xc0000072', '0x00000001']);
  });

  it("reads a Windows client's authenticator in its SQL login: token restrictions, KERB-LOCAL, AP options, target", async () => {
    const lab = createAzureSqlMiLab({ seed: 9 });
    const alice = lab.onPrem.addUser('alice', { password: 'correct horse battery staple' });
    const mi = lab.addManagedInstance({ name: 'mi1', dnsZone: 'abc123', subnet: '10.0.0.0/24' });
    mi.enableWindowsAuthenticationPrerequisites();
    mi.authenticationMetadata = 'Windows';
    mi.createLogin('CONTOSO\\alice', 'WINDOWS');
    lab.setupCloudTrust();
    const pc = lab.adJoinedClient(alice);
    const listener = await mi.listen({ extendedProtection: 'required' });
    try {
      await loginOverTds(listener, {
        token: async (channel) => (await pc.initSecurityContext(mi.spn, channel)).token,
        ca: (await lab.certificateAuthority()).certPem,
        servername: mi.fqdn,
      });
    } finally {
      await listener.close();
    }
    const c = { pcap: join(dir, 'login.pcap'), keytab: join(dir, 'login.keytab') };
    await writeFile(c.pcap, lab.trace.toPcap());
    await writeFile(
      c.keytab,
      serializeKeytab({ entries: realmKeytabEntries([lab.onPrem.realm, lab.tenant.realm], 0) }),
      {
        mode: 0o600,
      },
    );
    // Wireshark opens the instance's ticket in the LOGIN7's SSPI field, then the authenticator.
    const rows = await tsharkFields(tools.tshark!, c, 'kerberos.ad_target_principal', [
      'kerberos.ad_type',
      'kerberos.restriction_type',
      'kerberos.restriction',
      'kerberos.ad_ap_options.cbt',
      'kerberos.ad_target_principal',
    ]);
    expect(rows).toHaveLength(1);
    const [adTypes, restrictionType, restriction, cbt, target] = rows[0]!;
    expect(adTypes!.split('|')).toEqual(expect.arrayContaining(['1', '141', '142', '143', '144']));
    expect(restrictionType).toBe('0');
    const lsap = encodeLsapTokenInfoIntegrity({ flags: 0, tokenIL: 0x2000, machineId: pc.machine.machineId });
    expect(restriction!.replaceAll(':', '')).toBe(Buffer.from(lsap).toString('hex'));
    expect(cbt).toMatch(/^(1|True)$/);
    expect(target).toBe(`${mi.spn}@${AZURE_AD_REALM}`);
    const verbose = await runTool(tools.tshark!, ['-r', c.pcap, ...decryptingWith(c.keytab), '-V']);
    expect(verbose.stdout).not.toMatch(/Malformed Packet/i);
  });
});
