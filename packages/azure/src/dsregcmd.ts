/**
 * `dsregcmd /status` for a lab client: how the machine is joined and which
 * single sign-on artefacts the signed-in user holds, under the names
 * `dsregcmd` prints (`AzureAdJoined`, `DomainJoined` in its device state;
 * `AzureAdPrt`, `CloudTgt`, `OnPremTgt` in its SSO state).
 *
 * @module
 */

/** What `dsregcmd /status` reports for a lab client (true for `YES`). */
export interface DsregcmdStatus {
  /** The device is joined to Azure AD (Azure AD-joined or hybrid-joined). */
  readonly AzureAdJoined: boolean;
  /** The device is joined to the on-prem AD domain (AD-joined or hybrid-joined). */
  readonly DomainJoined: boolean;
  /** The user holds a Primary Refresh Token. */
  readonly AzureAdPrt: boolean;
  /** The user holds an unexpired cloud TGT (`krbtgt/KERBEROS.MICROSOFTONLINE.COM`). */
  readonly CloudTgt: boolean;
  /** The user holds an unexpired TGT of the on-prem domain. */
  readonly OnPremTgt: boolean;
}

/** A lab client `dsregcmd /status` can describe. */
export interface DsregcmdSubject {
  dsregcmdStatus(): DsregcmdStatus;
}

/** The status as `dsregcmd /status` lays it out: two sections, `Name : YES|NO` lines. */
export function formatDsregcmdStatus(s: DsregcmdStatus): string {
  const line = (name: keyof DsregcmdStatus) => `${name.padStart(20)} : ${s[name] ? 'YES' : 'NO'}`;
  return [
    '+----------------------------------------------------------------------+',
    '| Device State                                                         |',
    '+----------------------------------------------------------------------+',
    '',
    line('AzureAdJoined'),
    line('DomainJoined'),
    '',
    '+----------------------------------------------------------------------+',
    '| SSO State                                                            |',
    '+----------------------------------------------------------------------+',
    '',
    line('AzureAdPrt'),
    line('CloudTgt'),
    line('OnPremTgt'),
    '',
  ].join('\n');
}
