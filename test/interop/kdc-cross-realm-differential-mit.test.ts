/**
 * krbsim's KDCs against MIT krb5kdc 1.20 across one-way trusts: the same
 * realms on each side, ALPHA.TEST (alice) and BETA.TEST (bob, and the service
 * host/svc.beta.test), where BETA trusts ALPHA: both MIT databases hold
 * krbtgt/BETA.TEST@ALPHA.TEST under one password, no key goes the other way,
 * and each KDC's krb5.conf maps .alpha.test and .beta.test to their realms
 * ([domain_realm]). krbsim's realms are of the `mit` kind, joined by a
 * one-way `realm` trust under the same password, with the same domain
 * mapping, MIT's krbtgt keys and PACs on (MIT 1.20 puts one in every ticket).
 *
 * A third realm, GAMMA.TEST, trusts BETA (krbtgt/GAMMA.TEST@BETA.TEST), so
 * that ALPHA's users reach it through BETA: MIT's KDCs find that path and
 * accept it by [capaths], krbsim's by its trusts, which are transitive.
 *
 * The same requests go to both sides' KDCs: cross-realm TGTs asked for by
 * name and by the AS; host-based referrals, by name type and with and without
 * canonicalize, and to the realm two hops away; the cross-realm TGTs used in
 * the trusting realms (for a service, for a local TGT, with options, RENEW;
 * the transited field GAMMA writes) and at the wrong KDC; and everything that
 * would go against a trust, which no key allows. The answers are
 * compared as in kdc-differential-mit.test.ts (helpers/kdc-oracle.ts), tickets
 * decrypted included, and must agree but for the pinned, explained
 * differences below.
 *
 * Skipped with a printed reason when MIT krb5's KDC is missing; failing
 * instead under KRBSIM_REQUIRE_MIT=1.
 */

import { KdcOptions, NameType, type PrincipalName } from '@krbsim/asn1';
import { Duration } from '@krbsim/core';
import { type Key, KeyUsage } from '@krbsim/crypto';
import { createTrust, Kdc } from '@krbsim/kdc';
import { afterAll, beforeAll } from 'vitest';
import {
  asReq,
  type Creds,
  encTimestamp,
  openRep,
  pwKeys,
  type TgsReqInput,
  tgsReq,
  userKey,
} from '../../packages/kdc/test/helpers';
import {
  asLogin,
  describeKdcReply,
  type KnownDifference,
  mirrorRealm,
  mitKeys,
  type OracleCase,
  type OracleSide,
  oracleTests,
  sendToMit,
  serverKeyOf,
  tgsHop,
} from './helpers/kdc-oracle';
import { type MitRealm, startMitRealm } from './helpers/mit-realm';
import { describeWithTools } from './mit-tools';

const ALPHA = 'ALPHA.TEST';
const BETA = 'BETA.TEST';
const GAMMA = 'GAMMA.TEST';
const TRUST_PASSWORD = 'trust-Passw0rd';
const INTER_REALM = `krbtgt/${BETA}`;
/** The second hop's key, krbtgt/GAMMA.TEST@BETA.TEST: GAMMA trusts BETA. */
const SECOND_HOP = `krbtgt/${GAMMA}`;
const SECOND_HOP_PASSWORD = 'second-hop-Passw0rd';
/** Passwords by realm and principal. */
const PASSWORDS: Record<string, Record<string, string>> = {
  [ALPHA]: {
    alice: 'alice-Passw0rd',
    'host/svc.alpha.test': 'svc-alpha-Passw0rd',
    [INTER_REALM]: TRUST_PASSWORD,
  },
  [BETA]: {
    bob: 'bob-Passw0rd',
    'host/svc.beta.test': 'svc-beta-Passw0rd',
    [SECOND_HOP]: SECOND_HOP_PASSWORD,
  },
  [GAMMA]: { 'host/svc.gamma.test': 'svc-gamma-Passw0rd' },
};
const DOMAIN_REALM = `[domain_realm]
 .alpha.test = ${ALPHA}
 .beta.test = ${BETA}
 .gamma.test = ${GAMMA}
[capaths]
 ${ALPHA} = {
  ${GAMMA} = ${BETA}
 }
`;
const hours = (n: number) => n * Duration.hour;

/** Each side's tickets the TGS cases present. */
interface Side extends OracleSide {
  /** alice@ALPHA's TGT. */
  aliceTgt?: Creds;
  /** alice's cross-realm TGT, krbtgt/BETA.TEST@ALPHA.TEST. */
  crossTgt?: Creds;
  /** bob@BETA's TGT. */
  bobTgt?: Creds;
  /** alice's TGT for the second hop, krbtgt/GAMMA.TEST@BETA.TEST, from BETA. */
  secondHopTgt?: Creds;
}

type Presented = 'aliceTgt' | 'crossTgt' | 'bobTgt' | 'secondHopTgt';

/** Where krbsim answers otherwise on purpose: each side's answer, pinned, and why. */
const KNOWN_DIFFERENCES: Record<string, KnownDifference> = {
  'TGS at ALPHA: BETA host, NT-SRV-HST, no canonicalize': {
    oracle: /^KDC_ERR_S_PRINCIPAL_UNKNOWN$/,
    krbsim:
      'REP forwardable,pre-authent,transited-policy-checked life=300m renew=- sk=18 tkt=20 s=krbtgt/BETA.TEST | ticket forwardable,pre-authent,transited-policy-checked ad=1[128] caddr=- tr=',
    why: "the `mit` kind keeps AD's referral rule, which refers a host that maps to a trusting realm whether or not the client asked to canonicalize; `referralsRequireCanonicalize` gives MIT's (RFC 6806 section 8)",
  },
  'TGS at ALPHA: the request names BETA as its realm': {
    oracle: /^KRB_ERR_GENERIC$/,
    krbsim: 'KDC_ERR_WRONG_REALM',
    why: 'krbsim says which realm it serves (RFC 6806 section 7)',
  },
  'TGS at BETA: RENEW the cross-realm TGT': {
    oracle: /^KDC_ERR_SERVER_NOMATCH$/,
    krbsim: 'KDC_ERR_BADOPTION',
    why: "krbsim says where the ticket can be renewed: at ALPHA, whose key it is under (the next case); MIT compares the names first, and krbtgt/BETA.TEST@BETA.TEST is not the ticket's krbtgt/BETA.TEST@ALPHA.TEST",
  },
  'TGS at GAMMA: the cross-realm TGT of the first hop': {
    oracle: /^KDC_ERR_S_PRINCIPAL_UNKNOWN$/,
    krbsim: 'KRB_AP_ERR_NOT_US',
    why: "as for bob's TGT at ALPHA below: a TGT for BETA's ticket-granting service presented to GAMMA",
  },
  "TGS at ALPHA: bob's BETA TGT, which no ALPHA key opens": {
    oracle: /^KDC_ERR_S_PRINCIPAL_UNKNOWN$/,
    krbsim: 'KRB_AP_ERR_NOT_US',
    why: "RFC 4120's \"the ticket isn't for us\": a TGT for BETA's ticket-granting service; MIT looks krbtgt/BETA.TEST@BETA.TEST up in its database and does not find it",
  },
};

/** The realms' krbtgt keys (both sides hold MIT's). */
const krbtgtKeys: Record<string, readonly Key[]> = {};

const outcomeOf = (open: (rep: Parameters<typeof openRep>[0]) => Creds, reply: Uint8Array): string =>
  describeKdcReply(reply, open, (t) => serverKeyOf(t, krbtgtKeys, PASSWORDS));

const cases: OracleCase<Side>[] = [];

/** An AS-REQ from `user` of `realm`, pre-authenticated, for 8 hours. */
function asCase(label: string, realm: string, user: string, sname: string | PrincipalName): void {
  const key = userKey(realm, user, PASSWORDS[realm]![user]!, 18);
  cases.push({
    label,
    realm,
    build: (_side, now) =>
      asReq({
        realm,
        cname: user,
        sname,
        till: now + hours(8),
        etypes: [18],
        padata: [encTimestamp(key, now)],
      }),
    outcome: (_side, reply) => outcomeOf((rep) => openRep(rep, key, KeyUsage.AS_REP_ENCPART), reply),
  });
}

/** A TGS-REQ to `realm`'s KDC presenting `presented`, for 5 hours (well within every TGT's life). */
function tgsCase(
  label: string,
  realm: string,
  presented: Presented,
  sname: string | PrincipalName,
  more: Partial<TgsReqInput> = {},
): void {
  cases.push({
    label,
    realm,
    build: (side, now) =>
      tgsReq({ tgt: side[presented]!, now, realm, sname, till: now + hours(5), etypes: [18], ...more }),
    outcome: (side, reply) =>
      outcomeOf((rep) => openRep(rep, side[presented]!.sessionKey, KeyUsage.TGS_REP_ENCPART_SESSKEY), reply),
  });
}

const srvHst = (host: string): PrincipalName => ({
  nameType: NameType.NT_SRV_HST,
  nameString: ['host', host],
});
const srvInst = (host: string): PrincipalName => ({
  nameType: NameType.NT_SRV_INST,
  nameString: ['host', host],
});
const principal = (host: string): PrincipalName => ({
  nameType: NameType.NT_PRINCIPAL,
  nameString: ['host', host],
});
const CANON = KdcOptions.canonicalize | KdcOptions.forwardable;

asCase('AS at ALPHA: alice asks for the cross-realm TGT', ALPHA, 'alice', INTER_REALM);
asCase('AS at BETA: bob asks for a TGT to ALPHA, against the trust', BETA, 'bob', `krbtgt/${ALPHA}`);
asCase('AS at ALPHA: alice asks for the service of BETA', ALPHA, 'alice', 'host/svc.beta.test');

tgsCase('TGS at ALPHA: the local service', ALPHA, 'aliceTgt', 'host/svc.alpha.test');
tgsCase('TGS at ALPHA: the cross-realm TGT by name', ALPHA, 'aliceTgt', INTER_REALM);
tgsCase('TGS at ALPHA: the cross-realm TGT, forwardable and renewable', ALPHA, 'aliceTgt', INTER_REALM, {
  options: KdcOptions.forwardable | KdcOptions.renewable,
  rtime: 0,
});
tgsCase('TGS at ALPHA: BETA host, NT-SRV-HST, canonicalize', ALPHA, 'aliceTgt', srvHst('svc.beta.test'), {
  options: CANON,
});
tgsCase('TGS at ALPHA: BETA host, NT-SRV-HST, no canonicalize', ALPHA, 'aliceTgt', srvHst('svc.beta.test'), {
  options: KdcOptions.forwardable,
});
tgsCase('TGS at ALPHA: BETA host, NT-SRV-INST, canonicalize', ALPHA, 'aliceTgt', srvInst('svc.beta.test'), {
  options: CANON,
});
tgsCase(
  'TGS at ALPHA: BETA host, NT-PRINCIPAL, canonicalize',
  ALPHA,
  'aliceTgt',
  principal('svc.beta.test'),
  {
    options: CANON,
  },
);
tgsCase('TGS at ALPHA: a host no realm maps, canonicalize', ALPHA, 'aliceTgt', srvHst('svc.delta.test'), {
  options: CANON,
});
tgsCase('TGS at ALPHA: a realm no key reaches', ALPHA, 'aliceTgt', 'krbtgt/DELTA.TEST');
tgsCase('TGS at ALPHA: the request names BETA as its realm', ALPHA, 'aliceTgt', 'host/svc.beta.test', {
  realm: BETA,
});

tgsCase('TGS at BETA: the service, with the cross-realm TGT', BETA, 'crossTgt', 'host/svc.beta.test');
tgsCase('TGS at BETA: the service by NT-SRV-HST, canonicalize', BETA, 'crossTgt', srvHst('svc.beta.test'), {
  options: CANON,
});
tgsCase('TGS at BETA: a local TGT for alice', BETA, 'crossTgt', `krbtgt/${BETA}`);
tgsCase('TGS at BETA: back to ALPHA, against the trust', BETA, 'crossTgt', `krbtgt/${ALPHA}`);
tgsCase('TGS at BETA: an ALPHA host, canonicalize', BETA, 'crossTgt', srvHst('svc.alpha.test'), {
  options: CANON,
});
tgsCase('TGS at BETA: the service, forwardable', BETA, 'crossTgt', 'host/svc.beta.test', {
  options: KdcOptions.forwardable,
});
tgsCase('TGS at BETA: the service, renewable', BETA, 'crossTgt', 'host/svc.beta.test', {
  options: KdcOptions.renewable,
  rtime: 0,
});
tgsCase('TGS at BETA: RENEW the cross-realm TGT', BETA, 'crossTgt', INTER_REALM, {
  options: KdcOptions.renew | KdcOptions.renewable,
});
tgsCase('TGS at BETA: ALLOW-POSTDATE from the cross-realm TGT', BETA, 'crossTgt', 'host/svc.beta.test', {
  options: KdcOptions['allow-postdate'],
});
tgsCase(
  'TGS at ALPHA: the cross-realm TGT presented to its issuer',
  ALPHA,
  'crossTgt',
  'host/svc.alpha.test',
);
tgsCase('TGS at ALPHA: RENEW the cross-realm TGT at its issuer', ALPHA, 'crossTgt', INTER_REALM, {
  options: KdcOptions.renew | KdcOptions.renewable,
});

tgsCase(
  'TGS at ALPHA: a GAMMA host, canonicalize: the first hop of the path',
  ALPHA,
  'aliceTgt',
  srvHst('svc.gamma.test'),
  {
    options: CANON,
  },
);
tgsCase('TGS at ALPHA: GAMMA by name, which ALPHA holds no key for', ALPHA, 'aliceTgt', SECOND_HOP);
tgsCase('TGS at BETA: the second hop by name', BETA, 'crossTgt', SECOND_HOP);
tgsCase('TGS at BETA: a GAMMA host, canonicalize', BETA, 'crossTgt', srvHst('svc.gamma.test'), {
  options: CANON,
});
tgsCase('TGS at GAMMA: the service, through BETA', GAMMA, 'secondHopTgt', 'host/svc.gamma.test');
tgsCase('TGS at GAMMA: a local TGT for alice, through BETA', GAMMA, 'secondHopTgt', `krbtgt/${GAMMA}`);
tgsCase('TGS at GAMMA: back to BETA, against the trust', GAMMA, 'secondHopTgt', `krbtgt/${BETA}`);
tgsCase('TGS at GAMMA: the cross-realm TGT of the first hop', GAMMA, 'crossTgt', 'host/svc.gamma.test');

tgsCase('TGS at BETA: bob asks for a TGT to ALPHA, against the trust', BETA, 'bobTgt', `krbtgt/${ALPHA}`);
tgsCase('TGS at BETA: bob asks for an ALPHA host, canonicalize', BETA, 'bobTgt', srvHst('svc.alpha.test'), {
  options: CANON,
});
tgsCase("TGS at ALPHA: bob's BETA TGT, which no ALPHA key opens", ALPHA, 'bobTgt', 'host/svc.alpha.test');

describeWithTools(
  'krbsim KDCs against MIT krb5kdc across one-way trusts: the same requests, the same answers',
  ['kdb5_util', 'kadmin.local', 'krb5kdc'],
  (tools) => {
    const mit: Record<string, MitRealm> = {};
    const sides: Side[] = [];

    beforeAll(async () => {
      mit[ALPHA] = await startMitRealm(
        ALPHA,
        [
          { name: 'alice', password: PASSWORDS[ALPHA]!.alice!, flags: '+requires_preauth' },
          { name: 'host/svc.alpha.test', password: PASSWORDS[ALPHA]!['host/svc.alpha.test']! },
          { name: `${INTER_REALM}@${ALPHA}`, password: TRUST_PASSWORD },
        ],
        tools,
        { extraKrb5Config: DOMAIN_REALM },
      );
      mit[BETA] = await startMitRealm(
        BETA,
        [
          { name: 'bob', password: PASSWORDS[BETA]!.bob!, flags: '+requires_preauth' },
          { name: 'host/svc.beta.test', password: PASSWORDS[BETA]!['host/svc.beta.test']! },
          { name: `${INTER_REALM}@${ALPHA}`, password: TRUST_PASSWORD },
          { name: `${SECOND_HOP}@${BETA}`, password: SECOND_HOP_PASSWORD },
        ],
        tools,
        { extraKrb5Config: DOMAIN_REALM },
      );
      mit[GAMMA] = await startMitRealm(
        GAMMA,
        [
          { name: 'host/svc.gamma.test', password: PASSWORDS[GAMMA]!['host/svc.gamma.test']! },
          { name: `${SECOND_HOP}@${BETA}`, password: SECOND_HOP_PASSWORD },
        ],
        tools,
        { extraKrb5Config: DOMAIN_REALM },
      );
      for (const r of [ALPHA, BETA, GAMMA]) krbtgtKeys[r] = await mitKeys(mit[r]!, `krbtgt/${r}@${r}`);

      const realm = (name: string) =>
        mirrorRealm(name, krbtgtKeys[name]!)
          .mapDomain('.alpha.test', ALPHA)
          .mapDomain('.beta.test', BETA)
          .mapDomain('.gamma.test', GAMMA);
      const alpha = realm(ALPHA);
      const beta = realm(BETA);
      const gamma = realm(GAMMA);
      alpha.addUser('alice', { keys: pwKeys(ALPHA, 'alice', PASSWORDS[ALPHA]!.alice!) });
      alpha.addService('host/svc.alpha.test', {
        keys: pwKeys(ALPHA, 'host/svc.alpha.test', PASSWORDS[ALPHA]!['host/svc.alpha.test']!),
      });
      beta.addUser('bob', { keys: pwKeys(BETA, 'bob', PASSWORDS[BETA]!.bob!) });
      beta.addService('host/svc.beta.test', {
        keys: pwKeys(BETA, 'host/svc.beta.test', PASSWORDS[BETA]!['host/svc.beta.test']!),
      });
      createTrust({
        trusting: beta,
        trusted: alpha,
        direction: 'one-way',
        kind: 'realm',
        password: TRUST_PASSWORD,
      });
      gamma.addService('host/svc.gamma.test', {
        keys: pwKeys(GAMMA, 'host/svc.gamma.test', PASSWORDS[GAMMA]!['host/svc.gamma.test']!),
      });
      createTrust({
        trusting: gamma,
        trusted: beta,
        direction: 'one-way',
        kind: 'realm',
        password: SECOND_HOP_PASSWORD,
      });
      const kdcs: Record<string, Kdc> = {
        [ALPHA]: new Kdc(alpha),
        [BETA]: new Kdc(beta),
        [GAMMA]: new Kdc(gamma),
      };

      sides.push({ name: 'mit', send: (r, b) => sendToMit(mit[r]!, b) });
      sides.push({ name: 'krbsim', send: async (r, b) => kdcs[r]!.handle(b) });
      const key = (realm: string, user: string) => userKey(realm, user, PASSWORDS[realm]![user]!, 18);
      for (const side of sides) {
        side.aliceTgt = await asLogin(side, ALPHA, 'alice', key(ALPHA, 'alice'));
        side.bobTgt = await asLogin(side, BETA, 'bob', key(BETA, 'bob'));
        side.crossTgt = await tgsHop(side, ALPHA, side.aliceTgt, INTER_REALM);
        side.secondHopTgt = await tgsHop(side, BETA, side.crossTgt, SECOND_HOP);
      }
    }, 90_000);
    afterAll(async () => {
      await Promise.all(Object.values(mit).map((m) => m.stop()));
    });

    oracleTests(cases, sides, KNOWN_DIFFERENCES);
  },
);
