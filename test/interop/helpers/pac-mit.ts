/**
 * The MIT krb5 PAC oracle (helpers/pac-mit.c), compiled with gcc against
 * libkrb5 into a temp dir, and typed wrappers for its three commands:
 * `verify` (krb5_pac_parse + krb5_pac_verify_ext + krb5_pac_get_client_info,
 * and UPN_DNS_INFO read by hand), `verify-ticket` (krb5_kdc_verify_ticket)
 * and `sign-ticket` (krb5_kdc_sign_ticket). It runs with KRB5_CONFIG at
 * /dev/null: no host configuration is read.
 */

import { join } from 'node:path';
import type { Key } from '@krbsim/crypto';
import { runTool } from '../mit-tools';

const hex = (b: Uint8Array) => Buffer.from(b.buffer, b.byteOffset, b.byteLength).toString('hex');
const keyArg = (k: Key | undefined) => (k === undefined ? '-' : `${k.etype}:${hex(k.bytes)}`);

/** What `verify` printed: `undefined` fields were not printed. */
interface MitPacReport {
  /** `OK`, or `ERR <code> <message>`. */
  readonly parse: string;
  readonly types?: readonly number[];
  readonly verify?: string;
  /** `<authtime> <name>` from krb5_pac_get_client_info, or `ERR ...`. */
  readonly client?: string;
  /** The UPN_DNS_INFO line after `UPN `, or `none`. */
  readonly upn?: string;
  readonly raw: string;
}

/** The compiled oracle. */
export interface PacMit {
  /** Parses and verifies `pac` (keys optional), checking PAC_CLIENT_INFO against `client` when given. */
  verify(
    pac: Uint8Array,
    keys: { serverKey?: Key; kdcKey?: Key },
    client?: { authtime: number; principal: string; withRealm?: boolean },
  ): Promise<MitPacReport>;
  /** krb5_kdc_verify_ticket on an encrypted Ticket: `[verify line, client line]`. */
  verifyTicket(
    ticket: Uint8Array,
    server: string,
    serverKey: Key,
    kdcKey: Key | undefined,
  ): Promise<string[]>;
  /** krb5_kdc_sign_ticket on a Ticket holding no PAC: the AD-IF-RELEVANT ad-data and the signed PAC, hex. */
  signTicket(
    ticket: Uint8Array,
    server: string,
    serverKey: Key,
    kdcKey: Key,
    unsignedPac: Uint8Array,
  ): Promise<{ ad: string; pac: string } | { error: string }>;
}

async function run(path: string, args: string[]): Promise<string> {
  const r = await runTool(path, args, { env: { KRB5_CONFIG: '/dev/null' } });
  if (r.code !== 0) throw new Error(`pac-mit ${args[0]} exited ${r.code}: ${r.stderr}${r.stdout}`);
  return r.stdout;
}

/** Compiles helpers/pac-mit.c into `dir` with `gcc`. */
export async function buildPacMit(gcc: string, dir: string): Promise<PacMit> {
  const path = join(dir, 'pac-mit');
  const cc = await runTool(gcc, [
    '-O1',
    '-Wall',
    '-o',
    path,
    join(import.meta.dirname, 'pac-mit.c'),
    '-lkrb5',
    '-lk5crypto',
    '-lcom_err',
  ]);
  if (cc.code !== 0) throw new Error(`gcc failed: ${cc.stderr}`);
  return {
    async verify(pac, keys, client) {
      const args = ['verify', hex(pac), keyArg(keys.serverKey), keyArg(keys.kdcKey)];
      if (client) {
        args.push(String(Math.floor(client.authtime / 1000)), client.principal);
        if (client.withRealm) args.push('with-realm');
      }
      const raw = await run(path, args);
      const line = (tag: string) =>
        raw
          .split('\n')
          .find((l) => l.startsWith(`${tag} `))
          ?.slice(tag.length + 1);
      const types = line('TYPES');
      return {
        parse: line('PARSE') ?? '',
        ...(types !== undefined && { types: types.split(' ').map(Number) }),
        ...(line('VERIFY') !== undefined && { verify: line('VERIFY') }),
        ...(line('CLIENT') !== undefined && { client: line('CLIENT') }),
        ...(line('UPN') !== undefined && { upn: line('UPN') }),
        raw,
      };
    },
    async verifyTicket(ticket, server, serverKey, kdcKey) {
      const out = await run(path, ['verify-ticket', hex(ticket), server, keyArg(serverKey), keyArg(kdcKey)]);
      return out.trim().split('\n');
    },
    async signTicket(ticket, server, serverKey, kdcKey, unsignedPac) {
      const out = await run(path, [
        'sign-ticket',
        hex(ticket),
        server,
        keyArg(serverKey),
        keyArg(kdcKey),
        hex(unsignedPac),
      ]);
      const lines = out.trim().split('\n');
      const ad = lines.find((l) => l.startsWith('AD '))?.slice(3);
      const pac = lines.find((l) => l.startsWith('PAC '))?.slice(4);
      return ad !== undefined && pac !== undefined ? { ad, pac } : { error: out };
    },
  };
}
