/**
 * fast-check arbitraries for every `@krbsim/asn1` message type, one module
 * per group (mirroring `@krbsim/asn1`'s `types/` layout).
 *
 * @module
 */

export * from './ap';
export * from './authz';
export * from './basic';
export * from './cred';
export * from './error';
export * from './gss';
export * from './kdc';
export * from './message';
export * from './padata';
export * from './proxy';
export * from './ticket';
