/**
 * Writing per-message tokens made by MIT krb5 and Heimdal, with the keys
 * and sequence numbers of their context, to test/fixtures/gss (see its
 * README), when `KRBSIM_WRITE_GSS_FIXTURES=1`. The krbsim side of each
 * exchange knows the keys; the unit tests in packages/service decode the
 * tokens with them.
 */

import { mkdirSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { Key } from '@krbsim/crypto';

const DIR = join(resolve(import.meta.dirname, '../..'), 'test/fixtures/gss');

const hex = (b: Uint8Array): string => Buffer.from(b).toString('hex');
const key = (k: Key | undefined) => (k === undefined ? undefined : { etype: k.etype, hex: hex(k.bytes) });

/** The context a fixture's tokens belong to, as the receiving side rebuilds it. */
export interface FixtureContext {
  readonly flags: number;
  readonly sessionKey: Key;
  readonly initiatorSubkey?: Key;
  readonly acceptorSubkey?: Key;
  readonly initiatorSeqNumber?: number;
  readonly acceptorSeqNumber?: number;
}

/** One token of a fixture, in the order it was made. */
export interface FixtureToken {
  readonly kind: 'wrap' | 'mic';
  readonly token: Uint8Array;
  readonly message: Uint8Array;
  /** Wrap: sealed. */
  readonly conf?: boolean;
}

/** Whether this run writes fixtures. */
const writingGssFixtures = process.env.KRBSIM_WRITE_GSS_FIXTURES === '1';

/** Writes `test/fixtures/gss/<name>.json` when {@link writingGssFixtures}. */
export function writeGssFixture(
  name: string,
  f: {
    readonly source: string;
    readonly sender: 'initiator' | 'acceptor';
    readonly context: FixtureContext;
    readonly tokens: readonly FixtureToken[];
  },
): void {
  if (!writingGssFixtures) return;
  mkdirSync(DIR, { recursive: true });
  const c = f.context;
  const json = {
    source: f.source,
    sender: f.sender,
    context: {
      flags: c.flags,
      sessionKey: key(c.sessionKey),
      initiatorSubkey: key(c.initiatorSubkey),
      acceptorSubkey: key(c.acceptorSubkey),
      initiatorSeqNumber: c.initiatorSeqNumber,
      acceptorSeqNumber: c.acceptorSeqNumber,
    },
    tokens: f.tokens.map((t) => ({
      kind: t.kind,
      token: hex(t.token),
      message: hex(t.message),
      ...(t.conf === undefined ? {} : { conf: t.conf }),
    })),
  };
  writeFileSync(join(DIR, `${name}.json`), `${JSON.stringify(json, null, 2)}\n`);
}
