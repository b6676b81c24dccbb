/**
 * The directory behind PACs: RIDs, primary groups, group scopes and nesting
 * expanded as a domain controller expands them for a logon.
 */
import { ErrorCode, KerberosError } from '@krbsim/core';
import { Directory, domainSidFrom, Realm } from '@krbsim/kdc';
import { SE_GROUP_DEFAULT, WellKnownRid } from '@krbsim/pac';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';

const SID = 'S-1-5-21-1004336348-1177238915-682003330';
const rids = (gs: readonly { relativeId: number }[]) => gs.map((g) => g.relativeId);
/** A user of another domain (a trusted forest's). */
const FOREIGN = 'S-1-5-21-7-8-9-1104';

describe('Directory', () => {
  it('gives accounts RIDs from 1104 and the primary group of their kind', () => {
    const d = new Directory(SID);
    const alice = d.addAccount('alice', 'user');
    const pc = d.addAccount('PC1$', 'computer');
    expect(alice).toMatchObject({ rid: 1104, primaryGroupRid: WellKnownRid.DOMAIN_USERS });
    expect(pc).toMatchObject({ rid: 1105, primaryGroupRid: WellKnownRid.DOMAIN_COMPUTERS });
    expect(d.sidOf(alice.rid)).toBe(`${SID}-1104`);
    expect(d.account('ALICE')).toBe(alice);
    expect(d.addAccount('admin', 'user', { rid: 500 }).rid).toBe(500);
    expect(d.group('domain admins')).toMatchObject({ rid: 512, scope: 'global' });
    expect(d.group('Enterprise Admins')).toMatchObject({ rid: 519, scope: 'universal' });
  });

  it('with caseSensitiveAccounts (an MIT realm) keeps alice and Alice apart, each with its own RID and groups', () => {
    const d = new Directory(SID, { caseSensitiveAccounts: true });
    const lower = d.addAccount('alice', 'user');
    const upper = d.addAccount('Alice', 'user');
    expect([lower.rid, upper.rid]).toEqual([1104, 1105]);
    expect(d.account('alice')).toBe(lower);
    expect(d.account('Alice')).toBe(upper);
    expect(d.account('ALICE')).toBeUndefined();
    d.addGroup('Admins');
    d.addMember('Admins', 'Alice');
    const admins = d.group('admins')!.rid; // group names: any case
    expect(rids(d.tokenGroups('Alice').groups)).toEqual([WellKnownRid.DOMAIN_USERS, admins]);
    expect(rids(d.tokenGroups('alice').groups)).toEqual([WellKnownRid.DOMAIN_USERS]);
    expect(() => d.addMember('Admins', 'ALICE')).toThrow('no account or group ALICE in the directory');
    // A group's name is still not an account's, whatever its case.
    expect(() => d.addGroup('ALICE')).toThrow("ALICE is already an account's name");
  });

  it("leaves Schema and Enterprise Admins to the forest root: a child domain's Denied RODC group holds the root's", () => {
    const ROOT = 'S-1-5-21-7-8-9';
    const child = new Directory(SID, { forestRoot: false });
    expect(child.forestRoot).toBe(false);
    expect(child.group('Enterprise Admins')).toBeUndefined();
    expect(child.group('Schema Admins')).toBeUndefined();
    expect(() => child.addMember('Enterprise Admins', 'Domain Admins')).toThrow(/no group Enterprise Admins/);
    expect(child.hasForeignMembers).toBe(true);
    const denied = WellKnownRid.DENIED_RODC_PASSWORD_REPLICATION_GROUP;
    for (const rid of [WellKnownRid.SCHEMA_ADMINS, WellKnownRid.ENTERPRISE_ADMINS]) {
      expect(rids(child.resourceGroups([`${ROOT}-${rid}`], ROOT))).toEqual([denied]);
      expect(child.resourceGroups([`${ROOT}-${rid}`])).toEqual([]); // the root not known
      expect(child.resourceGroups([`S-1-5-21-1-1-1-${rid}`], ROOT)).toEqual([]); // another domain's
    }
    expect(child.resourceGroups([`${ROOT}-512`], ROOT)).toEqual([]); // the root's Domain Admins: not a member
    expect(rids(child.resourceGroups([`${SID}-512`], ROOT))).toEqual([denied]); // its own Domain Admins are
    // The root itself holds its own by name.
    const root = new Directory(ROOT);
    expect(root.forestRoot).toBe(true);
    expect(rids(root.resourceGroups([`${ROOT}-519`]))).toEqual([denied]);
    expect(root.hasForeignMembers).toBe(false);
  });

  it('expands nested groups once, split into global/universal groups and domain-local ones', () => {
    const d = new Directory(SID);
    d.addAccount('alice', 'user');
    const sql = d.addGroup('SqlAdmins');
    const dba = d.addGroup('DBAs');
    const all = d.addGroup('AllStaff', { scope: 'universal' });
    const local = d.addGroup('SqlServerAccess', { scope: 'domain-local' });
    const outer = d.addGroup('OuterLocal', { scope: 'domain-local' });
    d.addMember('DBAs', 'alice');
    d.addMember('SqlAdmins', 'DBAs'); // global in global
    d.addMember('AllStaff', 'SqlAdmins'); // global in universal
    d.addMember('SqlServerAccess', 'AllStaff'); // universal in domain-local
    d.addMember('OuterLocal', 'SqlServerAccess'); // domain-local in domain-local
    d.addMember('DBAs', 'SqlAdmins'); // a cycle, as AD allows
    const t = d.tokenGroups('alice');
    expect(rids(t.groups)).toEqual([513, sql.rid, dba.rid, all.rid]); // by RID after the primary group
    expect(rids(t.domainLocal)).toEqual([local.rid, outer.rid]);
    expect(t.groups.every((g) => g.attributes === SE_GROUP_DEFAULT)).toBe(true);
    // Domain-local groups are resource groups: SE_GROUP_RESOURCE too, as Windows writes them (0x20000007).
    expect(t.domainLocal.map((g) => g.attributes)).toEqual([0x20000007, 0x20000007]);
  });

  it("counts the primary group's own memberships, and a changed primary group", () => {
    const d = new Directory(SID);
    d.addAccount('bob', 'user');
    const everyone = d.addGroup('Everyone Universal', { scope: 'universal' });
    d.addMember('Everyone Universal', 'Domain Users');
    expect(rids(d.tokenGroups('bob').groups)).toEqual([513, everyone.rid]);
    const staff = d.addGroup('Staff');
    d.setPrimaryGroup('bob', 'Staff');
    expect(rids(d.tokenGroups('bob').groups)).toEqual([staff.rid]);
  });

  it('answers again after every change, though it keeps its answers (the KDC asks on every TGS)', () => {
    const d = new Directory(SID);
    d.addAccount('carol', 'user');
    const first = d.tokenGroups('carol');
    expect(d.tokenGroups('CAROL')).toBe(first);
    expect(Object.isFrozen(first.groups)).toBe(true);
    const a = d.addGroup('A');
    const b = d.addGroup('B');
    const l = d.addGroup('L', { scope: 'domain-local' });
    d.addMember('A', 'carol');
    expect(rids(d.tokenGroups('carol').groups)).toEqual([513, a.rid]);
    d.addMember('B', 'A'); // a membership of a group, not of carol, changes her answer too
    expect(rids(d.tokenGroups('carol').groups)).toEqual([513, a.rid, b.rid]);
    d.addMember('L', 'B');
    expect(rids(d.tokenGroups('carol').domainLocal)).toEqual([l.rid]);
    d.account('carol')!.primaryGroupRid = b.rid; // set directly, not through setPrimaryGroup
    expect(rids(d.tokenGroups('carol').groups)).toEqual([b.rid, a.rid]);
  });

  it('refuses what AD refuses: scopes that cannot nest, taken names and RIDs, bad SIDs', () => {
    const d = new Directory(SID);
    d.addAccount('alice', 'user');
    d.addGroup('G');
    d.addGroup('U', { scope: 'universal' });
    d.addGroup('L', { scope: 'domain-local' });
    const code = (f: () => unknown) => {
      try {
        f();
      } catch (e) {
        if (e instanceof KerberosError) return e.code;
        throw e;
      }
      return undefined;
    };
    expect(code(() => d.addMember('G', 'U'))).toBe(ErrorCode.KRB_ERR_GENERIC);
    expect(code(() => d.addMember('U', 'L'))).toBe(ErrorCode.KRB_ERR_GENERIC);
    expect(code(() => d.addMember('G', 'nobody'))).toBe(ErrorCode.KRB_ERR_GENERIC);
    expect(code(() => d.addGroup('g'))).toBe(ErrorCode.KRB_ERR_GENERIC);
    expect(code(() => d.addAccount('x', 'user', { rid: 512 }))).toBe(ErrorCode.KRB_ERR_GENERIC);
    expect(code(() => d.setPrimaryGroup('alice', 'U'))).toBe(ErrorCode.KRB_ERR_GENERIC);
    // An account name is taken whatever its case, by an account or as a group's name.
    expect(code(() => d.addAccount('ALICE', 'user'))).toBe(ErrorCode.KRB_ERR_GENERIC);
    expect(() => d.addAccount('ALICE', 'user')).toThrow('account ALICE already exists in the directory');
    expect(code(() => d.addGroup('Alice'))).toBe(ErrorCode.KRB_ERR_GENERIC);
    expect(() => d.addGroup('Alice')).toThrow("Alice is already an account's name");
    // The next free RID skips one taken explicitly.
    const next = d.addAccount('bob', 'user').rid;
    d.addAccount('carol', 'user', { rid: next + 1 });
    expect(d.addAccount('dave', 'user').rid).toBe(next + 2);
    expect(() => d.addAccount('y', 'user', { rid: 7 })).toThrow(RangeError);
    expect(() => new Directory('S-1-5-32-544')).toThrow(RangeError);
    expect(() => new Directory('S-1-5-21-1-2-4294967296')).toThrow(RangeError);
    // One text per SID: a zero-padded sub-authority would compare unequal to the same SID as a PAC
    // writes it, and SID filtering compares them.
    expect(() => new Directory('S-1-5-21-0100-2-3')).toThrow(/without leading zeros/);
    expect(new Directory('S-1-5-21-0-2-3').domainSid).toBe('S-1-5-21-0-2-3');
  });

  it('holds principals of other domains, by SID, in domain-local groups only, and expands them (GetResourceDomainInfo)', () => {
    const d = new Directory(SID);
    d.addAccount('alice', 'user');
    const sqlAccess = d.addGroup('SqlAccess', { scope: 'domain-local' });
    const outer = d.addGroup('Outer', { scope: 'domain-local' });
    const other = d.addGroup('Other', { scope: 'domain-local' });
    d.addGroup('G');
    const universal = d.addGroup('U', { scope: 'universal' });
    const FOREIGN_GROUP = 'S-1-5-21-7-8-9-1200';
    expect(d.hasForeignMembers).toBe(false);
    d.addForeignMember('SqlAccess', FOREIGN);
    expect(d.hasForeignMembers).toBe(true);
    d.addForeignMember('Other', FOREIGN_GROUP);
    d.addMember('Outer', 'SqlAccess');
    d.addMember('Other', 'alice');
    expect(rids(d.resourceGroups([FOREIGN]))).toEqual([sqlAccess.rid, outer.rid]);
    expect(rids(d.resourceGroups([FOREIGN, FOREIGN_GROUP]))).toEqual([sqlAccess.rid, outer.rid, other.rid]);
    expect(d.resourceGroups([FOREIGN]).map((g) => g.attributes)).toEqual([0x20000007, 0x20000007]);
    // Unknown SIDs, and this domain's SIDs of no account, reach nothing.
    expect(d.resourceGroups(['S-1-5-21-7-8-9-4242', `${SID}-9999`, 'S-1-18-1'])).toEqual([]);
    // The SID's one text: a leading zero or a lower-case s is the same principal.
    d.addForeignMember('Outer', 's-1-5-21-07-8-9-1300');
    expect(rids(d.resourceGroups(['S-1-5-21-7-8-9-1300']))).toEqual([outer.rid]);
    // Refused as AD refuses it: a global group, this domain's own SIDs, and what is not a SID of a
    // domain's principal.
    expect(() => d.addForeignMember('G', FOREIGN)).toThrow(
      /a global group cannot hold a principal of another domain/,
    );
    expect(() => d.addForeignMember('SqlAccess', `${SID}-1104`)).toThrow(/a SID of this domain/);
    // A universal group holds principals of the forest's other domains: the global catalog's
    // expansion for their logons, never a resource group.
    d.addForeignMember('U', FOREIGN);
    expect(d.universalGroups([FOREIGN])).toEqual([`${SID}-${universal.rid}`]);
    expect(rids(d.resourceGroups([FOREIGN]))).not.toContain(universal.rid);
    expect(() => d.addForeignMember('Nope', FOREIGN)).toThrow(/no group Nope/);
    for (const bad of ['S-1-5-11', 'S-1-5-21-7-8-9', 'S-1-5-21-7-8-9-4294967296', 'alice@CONTOSO.COM']) {
      expect(() => d.addForeignMember('SqlAccess', bad)).toThrow(RangeError);
    }
  });

  it('agrees with a reachability oracle on generated group graphs', () => {
    const scopes = ['global', 'universal', 'domain-local'] as const;
    fc.assert(
      fc.property(
        fc.array(fc.constantFrom(...scopes), { minLength: 1, maxLength: 8 }),
        fc.array(fc.tuple(fc.nat(8), fc.nat(8)), { maxLength: 20 }),
        fc.array(fc.nat(8), { maxLength: 4 }),
        (groupScopes, edges, direct) => {
          const d = new Directory(SID);
          const u = d.addAccount('u', 'user');
          const gs = groupScopes.map((scope, i) => d.addGroup(`g${i}`, { scope }));
          const parents = new Map<string, Set<number>>(); // member -> groups
          const link = (member: string, g: number) => {
            if (!parents.has(member)) parents.set(member, new Set());
            parents.get(member)!.add(g);
          };
          for (const i of direct) {
            if (i >= gs.length) continue;
            d.addMember(`g${i}`, 'u');
            link('u', i);
            // A principal of another domain, in the same groups where it may be (not global ones).
            if (gs[i]!.scope !== 'global') {
              d.addForeignMember(`g${i}`, FOREIGN);
              link(FOREIGN, i);
            } else {
              expect(() => d.addForeignMember(`g${i}`, FOREIGN)).toThrow(KerberosError);
            }
          }
          for (const [m, g] of edges) {
            if (m >= gs.length || g >= gs.length || m === g) continue;
            try {
              d.addMember(`g${g}`, `g${m}`);
              link(`g${m}`, g);
            } catch (e) {
              if (!(e instanceof KerberosError)) throw e;
            }
          }
          // Oracle: breadth-first from a member over the recorded edges.
          const reachedFrom = (member: string) => {
            const reached = new Set<number>();
            const todo = [member];
            while (todo.length > 0) {
              for (const g of parents.get(todo.shift()!) ?? []) {
                if (!reached.has(g)) {
                  reached.add(g);
                  todo.push(`g${g}`);
                }
              }
            }
            return [...reached].map((i) => gs[i]!);
          };
          const t = d.tokenGroups('u');
          const want = reachedFrom('u');
          const local = want.filter((g) => g.scope === 'domain-local').map((g) => g.rid);
          expect(new Set(rids(t.groups.slice(1)))).toEqual(
            new Set(want.filter((g) => g.scope !== 'domain-local').map((g) => g.rid)),
          );
          expect(new Set(rids(t.domainLocal))).toEqual(new Set(local));
          // GetResourceDomainInfo from the SIDs a PAC of u holds reaches the same domain-local groups.
          const pacSids = [u.rid, ...rids(t.groups)].map((rid) => d.sidOf(rid));
          expect(d.resourceGroups(pacSids)).toEqual(t.domainLocal);
          // And from the foreign principal's SID, those its own memberships reach: the domain-local
          // ones for a service ticket, the universal ones for a logon in its own domain (the GC's).
          const foreign = reachedFrom(FOREIGN);
          expect(new Set(rids(d.resourceGroups([FOREIGN])))).toEqual(
            new Set(foreign.filter((g) => g.scope === 'domain-local').map((g) => g.rid)),
          );
          expect(new Set(d.universalGroups([FOREIGN]))).toEqual(
            new Set(foreign.filter((g) => g.scope === 'universal').map((g) => d.sidOf(g.rid))),
          );
        },
      ),
      { seed: 4, numRuns: 200 },
    );
  });
});

describe('a realm and its directory', () => {
  it('registers users and computers, with a SID derived from the realm name unless given', () => {
    const a = new Realm({ name: 'CONTOSO.COM', kind: 'active-directory' });
    const b = new Realm({ name: 'CONTOSO.COM' });
    expect(a.directory.domainSid).toMatch(/^S-1-5-21-\d+-\d+-\d+$/);
    expect(b.directory.domainSid).toBe(a.directory.domainSid);
    expect(new Realm({ name: 'FABRIKAM.COM' }).directory.domainSid).not.toBe(a.directory.domainSid);
    expect(new Realm({ name: 'X.TEST', domainSid: SID }).directory.domainSid).toBe(SID);
    a.addUser('alice', { password: 'pw' });
    a.addComputer('SQL01');
    expect(a.directory.account('alice')?.kind).toBe('user');
    expect(a.directory.account('SQL01$')?.primaryGroupRid).toBe(WellKnownRid.DOMAIN_COMPUTERS);
    // A service principal is not an account of the directory.
    a.addService('HTTP/web.contoso.com');
    expect(a.directory.account('HTTP/web.contoso.com')).toBeUndefined();
  });

  it('takes the RID and display name an existing directory gives, and adds nothing when the RID is taken', () => {
    const r = new Realm({ name: 'CONTOSO.COM', kind: 'active-directory', domainSid: SID });
    r.addUser('alice', { password: 'pw', rid: 1105, displayName: 'Alice Liddell' });
    r.addComputer('SQL01', { rid: 1110 });
    expect(r.directory.account('alice')).toMatchObject({ rid: 1105, displayName: 'Alice Liddell' });
    expect(r.directory.account('SQL01$')?.rid).toBe(1110);
    // A taken or invalid RID is refused before anything is added: the name stays free.
    expect(() => r.addUser('bob', { password: 'pw', rid: 1105 })).toThrow(
      /RID 1105 for bob is taken by alice/,
    );
    expect(() => r.addComputer('SQL02', { rid: 1110 })).toThrow(/taken by SQL01\$/);
    expect(() => r.addUser('carol', { password: 'pw', rid: 12 })).toThrow(RangeError);
    expect([r.lookup('bob'), r.lookup('SQL02$'), r.lookup('carol')]).toEqual([
      undefined,
      undefined,
      undefined,
    ]);
    expect(r.addUser('bob', { password: 'pw' }).name.nameString).toEqual(['bob']);
  });

  it('derives a domain SID from random bytes as three little-endian 32-bit numbers', () => {
    expect(domainSidFrom(Uint8Array.from([1, 0, 0, 0, 2, 0, 0, 0, 255, 255, 255, 255]))).toBe(
      'S-1-5-21-1-2-4294967295',
    );
    expect(() => domainSidFrom(new Uint8Array(11))).toThrow(RangeError);
  });
});
