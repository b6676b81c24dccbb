/**
 * Sample values shared by the byte-exact tests (der-forms) and the message
 * round trips (messages): names, an EncryptedData maker, two Tickets and a
 * KDC-REQ-BODY with every optional field. (The error and robustness tests
 * use the smaller samples in helpers.ts.)
 */

import * as K from '@krbsim/asn1';

/** Milliseconds since the epoch for an ISO 8601 time. */
export const T = (iso: string): number => Date.parse(iso);
/** `n` bytes of `fill`. */
export const bytes = (n: number, fill = 0xab): Uint8Array => new Uint8Array(n).fill(fill);

export const realm = 'CONTOSO.EXAMPLE.COM';
export const alice: K.PrincipalName = { nameType: K.NameType.NT_PRINCIPAL, nameString: ['alice'] };
export const krbtgt: K.PrincipalName = { nameType: K.NameType.NT_SRV_INST, nameString: ['krbtgt', realm] };
export const http: K.PrincipalName = {
  nameType: K.NameType.NT_SRV_HST,
  nameString: ['HTTP', 'web.contoso.example.com'],
};
/** An etype-18 EncryptedData of `n` cipher bytes. */
export const ed = (n = 64, kvno?: number): K.EncryptedData => ({ etype: 18, kvno, cipher: bytes(n, 0x33) });
export const addr: K.HostAddress = { addrType: 2, address: Uint8Array.of(10, 0, 0, 1) };
export const ticket: K.Ticket = { tktVno: 5, realm, sname: krbtgt, encPart: ed(300, 2) };
export const ticket2: K.Ticket = { tktVno: 5, realm, sname: http, encPart: ed(200, 7) };

export const body: K.KdcReqBody = {
  kdcOptions: K.flagsOf(K.KdcOptions, ['forwardable', 'renewable', 'canonicalize', 'renewable-ok']),
  cname: alice,
  realm,
  sname: krbtgt,
  from: T('2024-03-01T00:00:00Z'),
  till: T('2037-09-13T02:48:05Z'),
  rtime: T('2037-09-13T02:48:05Z'),
  nonce: 0x7fffffff,
  etype: [18, 17, 23, -135],
  addresses: [addr, { addrType: 24, address: bytes(16, 0xfe) }],
  encAuthorizationData: ed(40),
  additionalTickets: [ticket2],
};
