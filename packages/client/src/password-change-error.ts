/**
 * The error the client throws when the password-change service (kpasswd,
 * RFC 3244) refuses a change: its result code and the service's own words.
 *
 * @module
 */

import { type AdPolicyInfo, type KpasswdResultData, kpasswdResultName } from '@krbsim/asn1';
import { ERROR_BRAND, KerberosError, type KerberosErrorOptions } from '@krbsim/core';

/**
 * A password change was refused. `result` is the RFC 3244 result code
 * (`KpasswdResult` in `@krbsim/asn1`: SOFTERROR for a password the policy
 * refused, ACCESSDENIED, INITIAL_FLAG_NEEDED...), `resultText` what the
 * service said. A Windows DC sends its password policy instead of words:
 * then `policy` holds it and `resultText` says it as MIT's clients do ("The
 * password must contain at least 7 characters."). `code` is the KRB-ERROR's
 * when the service could not check the request's AP-REQ, else
 * KRB_ERR_GENERIC.
 */
export class PasswordChangeError extends KerberosError {
  /** This class's brand: `instanceof` holds across copies of the package (see `hasErrorBrand`). */
  static override readonly [ERROR_BRAND]: string = '@krbsim/client:PasswordChangeError';

  readonly result: number;
  readonly resultText: string;
  readonly policy?: AdPolicyInfo;

  constructor(code: number, result: KpasswdResultData, options: KerberosErrorOptions = {}) {
    super(
      code,
      `the password-change service refused the change: ${kpasswdResultName(result.code)}${result.text === '' ? '' : ` (${result.text})`}`,
      options,
    );
    this.result = result.code;
    this.resultText = result.text;
    if (result.policy !== undefined) this.policy = result.policy;
  }

  override get name(): string {
    return 'PasswordChangeError';
  }
}
