/**
 * The error the client throws for a KDC's KRB-ERROR, with the NTSTATUS a
 * Windows domain controller says it with (MS-KILE 2.2.1), and how that
 * NTSTATUS is found in the e-data.
 *
 * @module
 */

import {
  decodeKerbErrorData,
  decodeKerbExtError,
  decodeMethodData,
  KERB_ERR_TYPE_EXTENDED,
  PaDataType,
} from '@krbsim/asn1';
import { ERROR_BRAND, KerberosError, type KerberosErrorOptions } from '@krbsim/core';

/**
 * A KDC refused a request (its KRB-ERROR's code), and, when it was a Windows
 * domain controller saying why, the NTSTATUS it gave (`STATUS_ACCOUNT_DISABLED`,
 * `STATUS_PASSWORD_MUST_CHANGE`: see `NtStatus` and `ntStatusName` in
 * `@krbsim/core`). Windows clients show that status, not the Kerberos code.
 */
export class KdcRefusedError extends KerberosError {
  /** This class's brand: `instanceof` holds across copies of the package (see `hasErrorBrand`). */
  static override readonly [ERROR_BRAND]: string = '@krbsim/client:KdcRefusedError';

  /** The NTSTATUS of the refusal (unsigned), when the KDC sent one. */
  readonly ntStatus: number | undefined;

  constructor(code: number, message: string, options: KerberosErrorOptions & { ntStatus?: number } = {}) {
    const { ntStatus, ...rest } = options;
    super(code, message, rest);
    this.ntStatus = ntStatus;
  }

  override get name(): string {
    return 'KdcRefusedError';
  }
}

/** A KERB-EXT-ERROR's NTSTATUS: 12 bytes, the reserved word zero (what tells it from a salt). */
function extErrorStatus(bytes: Uint8Array): number | undefined {
  if (bytes.length !== 12 || bytes[4] !== 0 || bytes[5] !== 0 || bytes[6] !== 0 || bytes[7] !== 0) {
    return undefined;
  }
  return decodeKerbExtError(bytes).ntStatus;
}

/**
 * The NTSTATUS in a KRB-ERROR's e-data, in either form a domain controller
 * sends it: KERB-ERROR-DATA of KERB_ERR_TYPE_EXTENDED (MS-KILE 2.2.2; Windows,
 * and the same bytes as a PA-PW-SALT PA-DATA, as Wireshark reads it), or a
 * PA-PW-SALT holding it in METHOD-DATA (Samba's AD DC). Undefined when there
 * is none, or the e-data is something else.
 */
export function ntStatusOf(eData: Uint8Array | undefined): number | undefined {
  if (eData === undefined) return undefined;
  try {
    const data = decodeKerbErrorData(eData);
    if (data.dataType === KERB_ERR_TYPE_EXTENDED && data.dataValue !== undefined) {
      return extErrorStatus(data.dataValue);
    }
    return undefined;
  } catch {
    // not KERB-ERROR-DATA
  }
  try {
    for (const pa of decodeMethodData(eData)) {
      if (pa.padataType !== PaDataType.PA_PW_SALT) continue;
      const status = extErrorStatus(pa.padataValue);
      if (status !== undefined) return status;
    }
  } catch {
    // not METHOD-DATA either
  }
  return undefined;
}
