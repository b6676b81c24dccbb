import { existsSync } from 'node:fs';
import {
  chmod,
  lstat,
  mkdir,
  mkdtemp,
  readdir,
  readFile,
  rm,
  stat,
  symlink,
  writeFile,
} from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ErrorCode, KerberosError } from '@krbsim/core';
import {
  MAX_FILE_BYTES,
  parsePrincipal,
  readCcacheFile,
  readKeytabFile,
  serializeKeytab,
  stripFilePrefix,
  writeCcacheFile,
  writeKeytabFile,
  writeOwnerOnlyFile,
  writeOwnerOnlyFileSync,
} from '@krbsim/files';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'krbsim-files-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('file helpers', () => {
  it('write keytabs and ccaches with mode 0600 and read them back', async () => {
    const keytab = {
      entries: [
        {
          principal: parsePrincipal('a@R'),
          timestamp: 0,
          kvno: 1,
          key: { etype: 18, bytes: new Uint8Array(32) },
        },
      ],
    };
    const kt = join(dir, 'a.keytab');
    await writeKeytabFile(`FILE:${kt}`, keytab);
    expect((await stat(kt)).mode & 0o777).toBe(0o600);
    expect(new Uint8Array(await readFile(kt))).toEqual(serializeKeytab(keytab));
    expect((await readKeytabFile(kt)).entries).toEqual(keytab.entries);

    const cc = join(dir, 'cc');
    const ccache = { version: 4 as const, defaultPrincipal: parsePrincipal('a@R'), credentials: [] };
    await writeCcacheFile(cc, ccache);
    expect((await stat(cc)).mode & 0o777).toBe(0o600);
    expect(await readCcacheFile(`FILE:${cc}`)).toEqual(ccache);
  });

  it('replace a file whatever its mode, and never write through a symlink', async () => {
    const sub = join(dir, 'replace');
    await mkdir(sub);
    const kt = join(sub, 'old.keytab');
    await writeFile(kt, 'old');
    await chmod(kt, 0o644);
    const keytab = { entries: [] };
    await writeKeytabFile(kt, keytab);
    expect((await stat(kt)).mode & 0o777).toBe(0o600); // not the 0644 the old file had
    expect(new Uint8Array(await readFile(kt))).toEqual(serializeKeytab(keytab));

    // A planted link: the cache replaces the link, the file it pointed to is untouched.
    const victim = join(sub, 'victim');
    await writeFile(victim, 'precious');
    const cc = join(sub, 'krb5cc_1000');
    await symlink(victim, cc);
    await writeCcacheFile(cc, { version: 4, defaultPrincipal: parsePrincipal('a@R'), credentials: [] });
    expect(await readFile(victim, 'utf8')).toBe('precious');
    expect((await lstat(cc)).isSymbolicLink()).toBe(false);
    expect((await stat(cc)).mode & 0o777).toBe(0o600);
    expect((await readdir(sub)).sort()).toEqual(['krb5cc_1000', 'old.keytab', 'victim']); // no temporary left
  });

  it('leave nothing behind when the write fails', async () => {
    const sub = join(dir, 'fail');
    await mkdir(sub);
    // The target is a directory: the rename fails after the temporary was written.
    await mkdir(join(sub, 'taken'));
    await expect(writeOwnerOnlyFile(join(sub, 'taken'), Uint8Array.of(1))).rejects.toThrow();
    expect(await readdir(sub)).toEqual(['taken']);
    await expect(writeOwnerOnlyFile(join(sub, 'missing', 'x'), Uint8Array.of(1))).rejects.toThrow(/ENOENT/);
    // The same done before returning.
    expect(() => writeOwnerOnlyFileSync(join(sub, 'taken'), Uint8Array.of(1))).toThrow();
    expect(await readdir(sub)).toEqual(['taken']);
  });

  it('write owner-only before returning when asked to (writeOwnerOnlyFileSync), replacing a link', async () => {
    const sub = join(dir, 'sync');
    await mkdir(sub);
    const victim = join(sub, 'victim');
    await writeFile(victim, 'precious');
    const target = join(sub, 'principals.json');
    await symlink(victim, target);
    writeOwnerOnlyFileSync(target, new TextEncoder().encode('{}\n'));
    expect(await readFile(target, 'utf8')).toBe('{}\n');
    expect((await lstat(target)).isSymbolicLink()).toBe(false);
    expect((await stat(target)).mode & 0o777).toBe(0o600);
    expect(await readFile(victim, 'utf8')).toBe('precious');
    expect((await readdir(sub)).sort()).toEqual(['principals.json', 'victim']);
  });

  it('refuse names of cache and keytab types that are not files', async () => {
    const refused = async (f: () => Promise<unknown>, pattern: RegExp) => {
      const e = await f().then(
        () => undefined,
        (err: unknown) => err,
      );
      expect(e).toBeInstanceOf(KerberosError);
      expect((e as KerberosError).code).toBe(ErrorCode.KRB_ERR_GENERIC);
      expect((e as KerberosError).message).toMatch(pattern);
    };
    const cc = { version: 4 as const, defaultPrincipal: parsePrincipal('a@R'), credentials: [] };
    await refused(() => writeCcacheFile('KEYRING:persistent:1000', cc), /"KEYRING", before the first colon/);
    await refused(() => readCcacheFile('MEMORY:x'), /"MEMORY".*FILE: caches only/);
    await refused(() => writeCcacheFile(`WRFILE:${join(dir, 'w')}`, cc), /"WRFILE"/);
    await refused(() => readKeytabFile('KCM:'), /"KCM".*FILE: and WRFILE: keytabs only/);
    await refused(() => readKeytabFile('keytabs:a/b'), /is written FILE:<path>/);
    // A cache name that starts with a slash is still typed by its first colon, as MIT resolves it.
    await refused(() => readCcacheFile(`${dir}/a:b`), /is written FILE:<path>/);
    // WRFILE: is a keytab type MIT writes through; FILE: with a colon in the path works.
    await writeKeytabFile(`WRFILE:${join(dir, 'wr.keytab')}`, { entries: [] });
    expect((await readKeytabFile(join(dir, 'wr.keytab'))).entries).toEqual([]);
    await writeKeytabFile(`FILE:${join(dir, 'a:b.keytab')}`, { entries: [] });
    expect((await readKeytabFile(`FILE:${join(dir, 'a:b.keytab')}`)).entries).toEqual([]);
    // A keytab name that starts with a slash is a file, colons and all, as MIT's keytab resolver takes it
    // (`klist -k /dir/a:b.keytab`).
    expect((await readKeytabFile(join(dir, 'a:b.keytab'))).entries).toEqual([]);
    await writeKeytabFile(join(dir, 'c:d.keytab'), { entries: [] });
    expect(existsSync(join(dir, 'c:d.keytab'))).toBe(true);
    expect(existsSync('KEYRING:persistent:1000')).toBe(false); // no file of that name where it runs
  });

  it('refuses a name that is no file of bounded size (/dev/zero) with a typed error, holding at most MAX_FILE_BYTES', async () => {
    for (const read of [() => readKeytabFile('/dev/zero'), () => readCcacheFile('/dev/zero')]) {
      const e = await read().then(
        () => undefined,
        (err: unknown) => err,
      );
      expect(e).toBeInstanceOf(KerberosError);
      expect((e as KerberosError).message).toMatch(new RegExp(`more than ${MAX_FILE_BYTES} bytes`));
    }
  });

  it('strips only the FILE: prefix', () => {
    expect(stripFilePrefix('FILE:/tmp/x')).toBe('/tmp/x');
    expect(stripFilePrefix('/tmp/FILE:x')).toBe('/tmp/FILE:x');
  });
});
