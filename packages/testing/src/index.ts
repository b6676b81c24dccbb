/**
 * `@krbsim/testing`: fast-check arbitraries for krbsim.
 *
 * - `arbitraries/`: every Kerberos message type of `@krbsim/asn1`
 *   (`arbTicket`, `arbAsReq`, ..., `arbMessage`), producing only values the
 *   RFCs allow, so a conforming codec round-trips all of them.
 * - `der/`: DER mutation helpers for fuzzing decoders from valid encodings.
 * - `topology/`: realm topologies and trust graphs, with a reachability oracle,
 *   `buildTopology` (the realms they describe, running), top-level names.
 * - `azure/`: Azure SQL Managed Instance labs (`arbAzureLab`, `buildAzureLab`).
 *
 * @packageDocumentation
 */

export * from './arbitraries/index';
export * from './azure/index';
export * from './der/index';
export * from './topology/index';
export * from './x509/hand-made-certificate';
