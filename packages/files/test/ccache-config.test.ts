import {
  type Ccache,
  CONFIG_REALM,
  ccacheTickets,
  configCredential,
  findCredential,
  isConfigCredential,
  isRemovedCredential,
  parseCcache,
  parsePrincipal,
  readCcacheConfig,
  serializeCcache,
} from '@krbsim/files';
import { describe, expect, it } from 'vitest';
import { hex } from './helpers';

const alice = parsePrincipal('alice@TEST.LOCAL');
const utf8 = (s: string) => new TextEncoder().encode(s);

describe('ccache config entries', () => {
  it('builds them the way MIT kinit writes fast_avail', () => {
    const c = configCredential(alice, {
      key: 'fast_avail',
      principal: 'krbtgt/TEST.LOCAL@TEST.LOCAL',
      value: utf8('yes'),
    });
    // The exact bytes MIT 1.20 kinit wrote for this entry (captured from a real cache).
    const mit =
      '0000000100000001' +
      '0000000a544553542e4c4f43414c00000005616c696365' +
      '00000001000000030000000c582d4341434845434f4e463a' +
      '000000156b7262355f6363616368655f636f6e665f64617461' +
      '0000000a666173745f617661696c' +
      '0000001c6b72627467742f544553542e4c4f43414c40544553542e4c4f43414c' +
      '0000' +
      '00000000' +
      '00000000'.repeat(4) +
      '00' +
      '00000000' +
      '00000000' +
      '00000000' +
      '00000003796573' +
      '00000000';
    const out = serializeCcache({ defaultPrincipal: alice, credentials: [c] });
    expect(hex(out.subarray(4 + 31))).toBe(mit); // after the version, empty header and default principal
    expect(isConfigCredential(c)).toBe(true);
    expect(c.server.realm).toBe(CONFIG_REALM);
  });

  it('reads them back and separates them from tickets', () => {
    const tgtServer = parsePrincipal('krbtgt/TEST.LOCAL@TEST.LOCAL');
    const ticket = (endtime: number) => ({
      ...configCredential(alice, { key: 'x', value: new Uint8Array(0) }),
      server: tgtServer,
      endtime,
      ticket: Uint8Array.from([0x61, 0x00]),
    });
    const cc: Ccache = {
      defaultPrincipal: alice,
      credentials: [
        configCredential(alice, {
          key: 'fast_avail',
          principal: 'krbtgt/TEST.LOCAL@TEST.LOCAL',
          value: utf8('yes'),
        }),
        ticket(1000),
        configCredential(alice, { key: 'pa_type', value: utf8('2') }),
        ticket(2000),
      ],
    };
    const back = parseCcache(serializeCcache(cc));
    expect(readCcacheConfig(back)).toEqual([
      { key: 'fast_avail', principal: 'krbtgt/TEST.LOCAL@TEST.LOCAL', value: utf8('yes') },
      { key: 'pa_type', value: utf8('2') },
    ]);
    expect(ccacheTickets(back).map((c) => c.endtime)).toEqual([1000, 2000]);
    expect(findCredential(back, tgtServer)!.endtime).toBe(2000);
    expect(findCredential(back, parsePrincipal('host/x@TEST.LOCAL'))).toBeUndefined();
  });

  it('skips the entries MIT and Heimdal removed in place', () => {
    // krb5_cc_remove_cred on a FILE cache (MIT 1.20+, Heimdal) keeps the entry's
    // length: endtime 0, authtime -1 (0xffffffff on disk), and a config entry's
    // realm X-RMED-CONF:. klist -C shows none of them.
    const http = parsePrincipal('HTTP/web.test.local@TEST.LOCAL');
    const live = {
      ...configCredential(alice, { key: 'x', value: new Uint8Array(0) }),
      server: http,
      authtime: 1_000_000,
      endtime: 2_000_000,
      ticket: Uint8Array.from([0x61, 0x00]),
    };
    const removedTicket = { ...live, authtime: 0xffffffff * 1000, endtime: 0 };
    const oldPaType = configCredential(alice, { key: 'pa_type', value: utf8('2') });
    const removedConfig = {
      ...oldPaType,
      authtime: 0xffffffff * 1000,
      server: { ...oldPaType.server, realm: 'X-RMED-CONF:' },
    };
    const cc: Ccache = {
      defaultPrincipal: alice,
      credentials: [
        removedConfig,
        live,
        configCredential(alice, { key: 'pa_type', value: utf8('138') }),
        removedTicket,
      ],
    };
    const back = parseCcache(serializeCcache(cc));
    expect(back.credentials.map(isRemovedCredential)).toEqual([true, false, false, true]);
    expect(ccacheTickets(back)).toEqual([live]);
    expect(findCredential(back, http)).toEqual(live); // not the later, removed one
    expect(readCcacheConfig(back)).toEqual([{ key: 'pa_type', value: utf8('138') }]);
    // A config entry (times zero) and a ticket with no authtime are not removed.
    expect(isRemovedCredential(oldPaType)).toBe(false);
    expect(isRemovedCredential({ ...live, authtime: 0, endtime: 0 })).toBe(false);
  });

  it('does not mistake look-alikes for config entries', () => {
    const c = configCredential(alice, { key: 'k', value: new Uint8Array(0) });
    expect(isConfigCredential({ ...c, server: { ...c.server, realm: 'X-CACHECONF' } })).toBe(false);
    // MIT's krb5_is_config_principal checks the realm and the first component only.
    const odd = (nameString: string[]) => ({
      ...c,
      server: { ...c.server, name: { nameType: 1, nameString } },
    });
    expect(isConfigCredential(odd(['krb5_ccache_conf_data']))).toBe(true);
    expect(isConfigCredential(odd(['krb5_ccache_conf_data', 'a', 'b', 'c']))).toBe(true);
    const cache: Ccache = {
      defaultPrincipal: alice,
      credentials: [odd(['krb5_ccache_conf_data', 'a', 'b', 'c']), c],
    };
    expect(ccacheTickets(cache)).toEqual([]); // neither is a ticket
    expect(readCcacheConfig(cache)).toEqual([{ key: 'k', value: new Uint8Array(0) }]); // only the one named as MIT names them
    expect(
      isConfigCredential({
        ...c,
        server: { ...c.server, name: { nameType: 1, nameString: ['other', 'k'] } },
      }),
    ).toBe(false);
  });
});
