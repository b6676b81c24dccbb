/**
 * Service test helpers: tickets made without a KDC (an EncTicketPart
 * encrypted in the service key, as a KDC would, RFC 4120 section 5.3) and a
 * krbsim client to build AP-REQs from them.
 */

import {
  type EncTicketPart,
  encodeEncTicketPart,
  encodeTicket,
  NameType,
  type Ticket,
  TicketFlags,
} from '@krbsim/asn1';
import { type Credential, KerberosClient } from '@krbsim/client';
import { Duration, ManualClock, SeededRandom } from '@krbsim/core';
import { encrypt, generateKey, type Key, stringToKey } from '@krbsim/crypto';
import { KerberosService, type KeytabEntryLike, type ServiceOptions } from '@krbsim/service';

export const REALM = 'CONTOSO.COM';
export const SPN = 'HTTP/web.contoso.com';
export const T0 = Date.UTC(2026, 0, 1, 12, 0, 0);

export const spnName = { nameType: NameType.NT_SRV_INST, nameString: ['HTTP', 'web.contoso.com'] };
export const alice = { realm: REALM, name: { nameType: NameType.NT_PRINCIPAL, nameString: ['alice'] } };

/** Options for {@link Lab.credential}. */
export interface TicketSpec {
  etype?: number;
  kvno?: number;
  /** The key the ticket is encrypted in; default the lab's service key. */
  serviceKey?: Key;
  server?: { realm: string; name: { nameType: number; nameString: string[] } };
  /** The client named in the ticket. */
  ticketClient?: { realm: string; name: { nameType: number; nameString: string[] } };
  /** The client the credential (so the authenticator) names; default the ticket's. */
  credClient?: { realm: string; name: { nameType: number; nameString: string[] } };
  authtime?: number;
  starttime?: number;
  endtime?: number;
  flags?: number;
  transited?: string;
  sessionKeyEtype?: number;
  /** Changes the EncTicketPart before it is encrypted (to add a PAC, say). */
  editTicket?: (part: EncTicketPart) => EncTicketPart;
}

/** A clock, a random source, a service key and keytab, and a client that builds AP-REQs. */
export class Lab {
  readonly clock = new ManualClock(T0);
  /** The service's own clock (starts equal to the client's). */
  readonly serviceClock = new ManualClock(T0);
  readonly random = new SeededRandom('service-tests');
  readonly serviceKey: Key = stringToKey(18, 'web-Passw0rd', `${REALM}HTTPweb.contoso.com`);
  readonly keytab: KeytabEntryLike[] = [
    { principal: { realm: REALM, name: spnName }, kvno: 3, key: this.serviceKey },
  ];
  readonly client = new KerberosClient({
    realm: REALM,
    transport: { send: () => Promise.reject(new Error('no KDC in service tests')) },
    clock: this.clock,
    random: this.random,
    allowWeakCrypto: true,
  });

  service(opts: Partial<ServiceOptions> = {}): KerberosService {
    return new KerberosService({
      keytab: this.keytab,
      clock: this.serviceClock,
      random: this.random,
      ...opts,
    });
  }

  /** Moves both clocks. */
  advance(ms: number): void {
    this.clock.advance(ms);
    this.serviceClock.advance(ms);
  }

  /** A credential whose ticket is encrypted in the service key, as a KDC would issue it. */
  credential(spec: TicketSpec = {}): Credential {
    const now = this.clock.now();
    const serviceKey = spec.serviceKey ?? this.serviceKey;
    const sessionKey = generateKey(spec.sessionKeyEtype ?? serviceKey.etype, { random: this.random });
    const server = spec.server ?? { realm: REALM, name: spnName };
    const client = spec.ticketClient ?? alice;
    const part: EncTicketPart = {
      flags: spec.flags ?? (TicketFlags.forwardable | TicketFlags['pre-authent']) >>> 0,
      key: { keytype: sessionKey.etype, keyvalue: sessionKey.bytes },
      crealm: client.realm,
      cname: client.name,
      transited: { trType: 1, contents: new TextEncoder().encode(spec.transited ?? '') },
      authtime: spec.authtime ?? now,
      ...(spec.starttime === undefined ? {} : { starttime: spec.starttime }),
      endtime: spec.endtime ?? now + 10 * Duration.hour,
    };
    const ticket: Ticket = {
      tktVno: 5,
      realm: server.realm,
      sname: server.name,
      encPart: {
        etype: spec.etype ?? serviceKey.etype,
        kvno: spec.kvno ?? 3,
        cipher: encrypt(serviceKey, 2, encodeEncTicketPart(spec.editTicket?.(part) ?? part), {
          random: this.random,
        }),
      },
    };
    const credClient = spec.credClient ?? client;
    return {
      client: credClient,
      server,
      sessionKey,
      ticket,
      ticketDer: encodeTicket(ticket),
      flags: part.flags,
      authtime: part.authtime,
      // The client believes the ticket lives long enough, whatever the ticket says.
      endtime: Math.max(part.endtime, now + 10 * Duration.hour),
    };
  }
}

/** Calls `f` and returns what it threw (fails the test if it did not throw). */
export function thrown(f: () => unknown): { code: number; message: string; realm?: string } {
  try {
    f();
  } catch (e) {
    return e as { code: number; message: string; realm?: string };
  }
  throw new Error('expected a throw');
}
