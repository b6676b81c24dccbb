/**
 * User-to-user (RFC 4120 section 3.7) end to end with krbsim's KDC: bob, a
 * user with no key of his own to accept with, sends alice his TGT; alice's
 * client gets a ticket sealed in its session key and sets use-session-key;
 * bob's acceptor opens it with that session key and checks the PAC. And each
 * refusal: an acceptor that does not offer user-to-user, a ticket sealed in
 * another TGT or for another user, a server that is not the TGT's client.
 */

import { ApOptions, decodeApReq, decodeTgsReq, KdcOptions, type KdcReq } from '@krbsim/asn1';
import { type Credential, KerberosClient } from '@krbsim/client';
import { ErrorCode, ManualClock, SeededRandom } from '@krbsim/core';
import { Kdc, Realm } from '@krbsim/kdc';
import { KerberosService, unframeApReq } from '@krbsim/service';
import { InProcessTransport } from '@krbsim/transport';
import { describe, expect, it } from 'vitest';
import { refusal } from './refusal';

const REALM = 'CONTOSO.COM';

async function setup() {
  const clock = new ManualClock(Date.UTC(2026, 0, 5, 8, 0, 0));
  const realm = new Realm({ name: REALM, clock, random: new SeededRandom('u2u'), kind: 'active-directory' });
  for (const user of ['alice', 'bob', 'carol']) realm.addUser(user, { password: `${user}-pw` });
  const kdc = new Kdc(realm);
  const sent: KdcReq[] = [];
  const transport = new InProcessTransport().register(REALM, (req) => {
    if (req[0] === 0x6c) sent.push(decodeTgsReq(req));
    return kdc.handle(req);
  });
  const logon = async (user: string): Promise<{ client: KerberosClient; tgt: Credential }> => {
    const client = new KerberosClient({ realm: REALM, transport, clock, random: new SeededRandom(user) });
    return { client, tgt: await client.getInitialCredentials(user, { password: `${user}-pw` }) };
  };
  /** An acceptor holding `tgt`, as a user's application accepts user-to-user AP-REQs. */
  const acceptor = (tgt?: Credential) =>
    new KerberosService({ keytab: [], clock, ...(tgt === undefined ? {} : { userToUser: tgt }) });
  return { realm, sent, logon, acceptor };
}

describe('user-to-user', () => {
  it("gets alice a ticket to bob sealed in bob's TGT session key, which bob's acceptor opens", async () => {
    const s = await setup();
    const alice = await s.logon('alice');
    const bob = await s.logon('bob');
    // An AD realm sends a plain user's tickets by user-to-user only.
    const e = await refusal(alice.client.getServiceTicket('bob'));
    expect(e.code).toBe(ErrorCode.KDC_ERR_MUST_USE_USER2USER);

    const cred = await alice.client.getUserToUserTicket('bob', bob.tgt.ticket);
    expect(cred.server.name.nameString).toEqual(['bob']);
    expect(cred.ticket.encPart.kvno).toBeUndefined();
    const req = s.sent.at(-1)!;
    expect(req.reqBody.kdcOptions & KdcOptions['enc-tkt-in-skey']).not.toBe(0);
    expect(req.reqBody.additionalTickets?.[0]?.sname.nameString).toEqual(['krbtgt', REALM]);
    // Not cached: good only with use-session-key.
    expect(alice.client.cache.find('bob', REALM)).toBeUndefined();

    const { token, context } = alice.client.buildApReq(cred, { userToUser: true, gss: 'krb5', mutual: true });
    expect(decodeApReq(unframeApReq(token).apReq).apOptions & ApOptions['use-session-key']).not.toBe(0);
    const session = s.acceptor(bob.tgt).accept(token);
    expect(session.clientPrincipal).toBe(`alice@${REALM}`);
    // The PAC's server signature is made with the TGT session key, and checks.
    expect(session.pac?.verifiedSignatures).toEqual(['server']);
    expect(session.pac?.logonInfo?.effectiveName).toBe('alice');
    const { securityContext } = alice.client.verifyApRep(context, session.responseToken!);
    const wrapped = securityContext!.wrap(new TextEncoder().encode('hello bob'));
    expect(new TextDecoder().decode(session.securityContext!.unwrap(wrapped).message)).toBe('hello bob');
  });

  it('is refused by an acceptor that offers no user-to-user, with another TGT, or for another user', async () => {
    const s = await setup();
    const alice = await s.logon('alice');
    const bob = await s.logon('bob');
    const carol = await s.logon('carol');
    const cred = await alice.client.getUserToUserTicket('bob', bob.tgt.ticket);
    const token = () => alice.client.buildApReq(cred, { userToUser: true }).token;
    expect((await refusal(() => s.acceptor().accept(token()))).code).toBe(ErrorCode.KRB_AP_ERR_METHOD);
    // bob logged on again: a new TGT, a new session key.
    const again = await bob.client.getInitialCredentials('bob', { password: 'bob-pw' });
    expect((await refusal(() => s.acceptor(again).accept(token()))).code).toBe(
      ErrorCode.KRB_AP_ERR_BAD_INTEGRITY,
    );
    expect((await refusal(() => s.acceptor(carol.tgt).accept(token()))).code).toBe(
      ErrorCode.KRB_AP_ERR_NOT_US,
    );
    // Without use-session-key, bob's acceptor has no long-term key to open it with.
    const plain = alice.client.buildApReq(cred).token;
    expect((await refusal(() => s.acceptor(bob.tgt).accept(plain))).code).toBe(ErrorCode.KRB_AP_ERR_NOT_US);
  });

  it("passes on the KDC's refusal of a server that is not the TGT's client, and refuses a service ticket as the TGT", async () => {
    const s = await setup();
    const alice = await s.logon('alice');
    const bob = await s.logon('bob');
    let e = await refusal(alice.client.getUserToUserTicket('carol', bob.tgt.ticket));
    expect(e.code).toBe(ErrorCode.KDC_ERR_SERVER_NOMATCH);
    const other = await alice.client.getUserToUserTicket('bob', bob.tgt.ticket);
    e = await refusal(alice.client.getUserToUserTicket('bob', other.ticket));
    expect(e.code).toBe(ErrorCode.KDC_ERR_BADOPTION);
    expect(e.message).toMatch(/ticket-granting ticket/);
  });
});
