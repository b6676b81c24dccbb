/**
 * `@krbsim/asn1`: RFC 4120 Kerberos messages as typed values, with a strict,
 * bounded DER codec.
 *
 * @packageDocumentation
 */

export { AdType } from './iana/ad-type';
export { ApOptions, flagBit, flagNames, flagsOf, KdcOptions, TicketFlags } from './iana/flags';
export { AppTag, MsgType } from './iana/msg-type';
export { NameType } from './iana/name-type';
export { PaDataType } from './iana/pa-data-type';
export type * from './types/index';
