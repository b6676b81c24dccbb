import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '../src/cli';
import { builtInNames } from '../src/examples';
import type { CliIo } from '../src/io';
import { parseTopology, TopologyError } from '../src/topology';

function capture(signal?: AbortSignal): CliIo & { out: string; err: string } {
  const io = {
    out: '',
    err: '',
    stdout: (t: string) => {
      io.out += t;
    },
    stderr: (t: string) => {
      io.err += t;
    },
    ...(signal !== undefined && { signal }),
  };
  return io;
}

describe('krbsim', () => {
  it('--help lists the commands; no command is a usage error', async () => {
    const io = capture();
    expect(await runCli(['--help'], io)).toBe(0);
    expect(io.out).toMatch(/serve <topology>/);
    expect(io.out).toMatch(/decode <input>/);
    expect(io.out).toMatch(/demo/);
    const none = capture();
    expect(await runCli([], none)).toBe(2);
    expect(none.err).toContain('Usage: krbsim');
  });

  it('an unknown command or option exits 2 with a hint', async () => {
    const io = capture();
    expect(await runCli(['frobnicate'], io)).toBe(2);
    expect(io.err).toContain("unknown command 'frobnicate'");
    const opt = capture();
    expect(await runCli(['serve', 'x.yaml', '--colour'], opt)).toBe(2);
    expect(opt.err).toMatch(/krbsim serve: .*--colour/);
  });

  it('--help and serve --help name every built-in example', async () => {
    const names = builtInNames();
    expect(names).toEqual(expect.arrayContaining(['forest', 'pkinit', 'selective-trust']));
    for (const argv of [['--help'], ['serve', '--help']]) {
      const io = capture();
      expect(await runCli(argv, io)).toBe(0);
      // However the list wraps, it reads as one.
      expect(io.out.replace(/\s+/g, ' '), argv.join(' ')).toContain(` ${names.join(', ')}`);
    }
  });

  it('serve --help, help serve, decode -h and demo --help print the command usage', async () => {
    for (const argv of [
      ['serve', '--help'],
      ['help', 'serve'],
    ]) {
      const io = capture();
      expect(await runCli(argv, io)).toBe(0);
      expect(io.out).toMatch(/^Usage: krbsim serve/);
      expect(io.out).toContain('ports.json');
    }
    const io = capture();
    expect(await runCli(['decode', '-h'], io)).toBe(0);
    expect(io.out).toMatch(/^Usage: krbsim decode/);
    const demo = capture();
    expect(await runCli(['demo', '--help'], demo)).toBe(0);
    expect(demo.out).toMatch(/^Usage: krbsim demo/);
    expect(demo.err).toBe('');
  });

  describe('serve with a bad topology file', () => {
    let dir: string;
    beforeAll(async () => {
      dir = await mkdtemp(join(tmpdir(), 'krbsim-cli-'));
    });
    afterAll(async () => {
      await rm(dir, { recursive: true, force: true });
    });

    it('names the bad field and exits 2, before opening any socket', async () => {
      const file = join(dir, 'bad.json');
      await writeFile(file, JSON.stringify({ realms: [{ name: 'A.TEST', services: [{ spn: 'host' }] }] }));
      const io = capture();
      expect(await runCli(['serve', file, '--dir', join(dir, 'out')], io)).toBe(2);
      expect(io.err).toBe(
        `krbsim serve: ${file}: realms[0].services[0].spn: expected service/host, got "host"\n`,
      );
    });

    it('names a missing file', async () => {
      const io = capture();
      expect(await runCli(['serve', join(dir, 'missing.yaml')], io)).toBe(2);
      expect(io.err).toMatch(/topology: cannot read .*missing\.yaml/);
    });

    it('needs exactly one file', async () => {
      const io = capture();
      expect(await runCli(['serve'], io)).toBe(2);
      expect(io.err).toContain('expected one topology file, got 0');
    });
  });
});

describe('topology ports', () => {
  it('reads an optional port per realm', () => {
    const t = parseTopology('realms: [{ name: A.TEST, port: 18088 }, { name: B.TEST }]');
    expect(t.realms[0]!.port).toBe(18088);
    expect(t.realms[1]!.port).toBeUndefined();
  });

  it.each([
    ['realms: [{ name: A.TEST, port: 0 }]', 'realms[0].port: expected a port number 1..65535, got number 0'],
    [
      'realms: [{ name: A.TEST, port: "88" }]',
      'realms[0].port: expected a port number 1..65535, got string "88"',
    ],
    [
      'realms: [{ name: A.TEST, port: 18088 }, { name: B.TEST, port: 18088 }]',
      'realms[1].port: port 18088 is already used by realms[0]',
    ],
  ])('rejects %s', (text, message) => {
    expect(() => parseTopology(text)).toThrow(TopologyError);
    expect(() => parseTopology(text)).toThrow(message);
  });
});

describe('processIo', () => {
  it('stops a long-running command on SIGINT, SIGTERM and SIGHUP (a closed terminal), and lets go of them', async () => {
    const { processIo } = await import('../src/io');
    for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
      const io = processIo();
      const before = process.listenerCount(signal);
      process.emit(signal, signal);
      expect(io.signal!.aborted, signal).toBe(true);
      io.dispose();
      expect(process.listenerCount(signal), signal).toBe(before - 1);
    }
  });
});
