/**
 * One check that tshark dissects a pcap as Kerberos: every Kerberos frame in
 * order with the expected msg-type, no malformed packet, and no expert
 * warning or error.
 */

import { expect } from 'vitest';
import { runTool } from './mit-tools';

/** Asserts that tshark reads `path` as exactly `msgTypes` (in order), all well formed. */
export async function expectTsharkDissects(
  tshark: string,
  path: string,
  msgTypes: readonly number[],
): Promise<void> {
  const fields = await runTool(tshark, [
    '-r',
    path,
    '-Y',
    'kerberos',
    '-T',
    'fields',
    '-e',
    'kerberos.msg_type',
  ]);
  expect(fields.code).toBe(0);
  const seen = fields.stdout
    .trim()
    .split('\n')
    .map((l) => Number(l.split(',')[0]));
  expect(seen).toEqual(msgTypes);

  // Full dissection plus the expert summary (printed after the packets) in one run.
  const verbose = await runTool(tshark, ['-r', path, '-V', '-z', 'expert']);
  expect(verbose.code).toBe(0);
  expect(verbose.stdout).toContain('Kerberos');
  expect(verbose.stdout).not.toMatch(/Malformed Packet/i);
  expect(verbose.stdout).not.toMatch(/\[Expert Info \((Error|Warning)/);
  expect(verbose.stdout).not.toMatch(/^Errors \(/m);
  expect(verbose.stdout).not.toMatch(/^Warnings \(/m);
}
