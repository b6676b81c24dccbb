/**
 * The shape of a keytab as the rest of krbsim reads it: entries of a
 * principal, a key version number and a key, as `@krbsim/files` parses them
 * from an MIT keytab. The client takes one for initial credentials (`kinit
 * -k`), the service for its own keys. The shapes are structural, so neither
 * depends on the files package; the key is `{ etype, bytes }`, the shape of
 * `@krbsim/crypto`'s `Key`.
 *
 * @module
 */

import type { QualifiedName } from './principal';

/** One keytab entry: the shape `@krbsim/files` parses from an MIT keytab. */
export interface KeytabEntryLike {
  readonly principal: QualifiedName;
  readonly kvno: number;
  readonly key: { readonly etype: number; readonly bytes: Uint8Array };
}

/** A keytab: its entries, or an object holding them (such as a `@krbsim/files` `Keytab`). */
export type KeytabLike = readonly KeytabEntryLike[] | { readonly entries: readonly KeytabEntryLike[] };

/** The entries of a {@link KeytabLike}. */
export function keytabEntries(keytab: KeytabLike): readonly KeytabEntryLike[] {
  return Array.isArray(keytab)
    ? (keytab as readonly KeytabEntryLike[])
    : (keytab as { readonly entries: readonly KeytabEntryLike[] }).entries;
}
