import { mkdtemp, readFile, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  parsePrincipal,
  readCcacheFile,
  readKeytabFile,
  serializeKeytab,
  stripFilePrefix,
  writeCcacheFile,
  writeKeytabFile,
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

  it('strips only the FILE: prefix', () => {
    expect(stripFilePrefix('FILE:/tmp/x')).toBe('/tmp/x');
    expect(stripFilePrefix('/tmp/FILE:x')).toBe('/tmp/FILE:x');
  });
});
