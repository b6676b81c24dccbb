/**
 * MS-KKDCP section 2.2.2 `KDC-PROXY-MESSAGE`, the body the client POSTs to a
 * KDC proxy over HTTPS and the proxy returns.
 *
 * @module
 */

import type { IntegerForm } from './basic';

/** `KDC-PROXY-MESSAGE ::= SEQUENCE` (MS-KKDCP section 2.2.2). */
export interface KdcProxyMessage {
  /** The Kerberos message with its 4-byte TCP length prefix (RFC 4120 section 7.2.2). */
  readonly kerbMessage: Uint8Array;
  readonly targetDomain?: string;
  /** The DC locator hint (MS-KKDCP section 2.2.2); an unsigned 32-bit flag set. */
  readonly dclocatorHint?: number;
  /** Set to `signed` when `dclocatorHint` came as a negative INTEGER. */
  readonly dclocatorHintForm?: IntegerForm;
}
