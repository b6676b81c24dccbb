/**
 * Every Kerberos message type krbsim encodes, as plain readonly data.
 *
 * @module
 */

export type * from './ap';
export type * from './authz';
export type * from './basic';
export type * from './cred';
export type * from './error';
export type * from './gss';
export type * from './kdc';
export type * from './message';
export type * from './padata';
export type * from './pkinit';
export type * from './proxy';
export type * from './ticket';
