/**
 * The keys FAST derives with KRB-FX-CF2 (RFC 6113): the armor key (section
 * 5.4.1.1), the two encrypted-challenge keys (section 5.4.6) and the
 * strengthened reply key (section 5.4.3). Client, KDC
 * and `krbsim decode` derive them here, so their peppers are written once.
 *
 * @module
 */

import { cf2 } from '../prf';
import type { Key } from '../rfc3961/profile';

/** KRB-FX-CF2(subkey, ticket session key, "subkeyarmor", "ticketarmor"): the armor key (5.4.1.1). */
export function fastArmorKey(subkey: Key, ticketSessionKey: Key): Key {
  return cf2(subkey, ticketSessionKey, 'subkeyarmor', 'ticketarmor');
}

/** KRB-FX-CF2(armor key, client key, "clientchallengearmor", "challengelongterm"): the client's challenge key (5.4.6). */
export function clientChallengeKey(armorKey: Key, clientKey: Key): Key {
  return cf2(armorKey, clientKey, 'clientchallengearmor', 'challengelongterm');
}

/** KRB-FX-CF2(armor key, client key, "kdcchallengearmor", "challengelongterm"): the KDC's challenge key (5.4.6). */
export function kdcChallengeKey(armorKey: Key, clientKey: Key): Key {
  return cf2(armorKey, clientKey, 'kdcchallengearmor', 'challengelongterm');
}

/** KRB-FX-CF2(strengthen key, reply key, "strengthenkey", "replykey"): an armored reply's key (5.4.3). */
export function strengthenedReplyKey(strengthenKey: Key, replyKey: Key): Key {
  return cf2(strengthenKey, replyKey, 'strengthenkey', 'replykey');
}
