import {
  type Ccache,
  CONFIG_REALM,
  ccacheTickets,
  configCredential,
  findCredential,
  isConfigCredential,
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

  it('does not mistake look-alikes for config entries', () => {
    const c = configCredential(alice, { key: 'k', value: new Uint8Array(0) });
    expect(isConfigCredential({ ...c, server: { ...c.server, realm: 'X-CACHECONF' } })).toBe(false);
    expect(
      isConfigCredential({
        ...c,
        server: { ...c.server, name: { nameType: 1, nameString: ['krb5_ccache_conf_data'] } },
      }),
    ).toBe(false);
    expect(
      isConfigCredential({
        ...c,
        server: { ...c.server, name: { nameType: 1, nameString: ['other', 'k'] } },
      }),
    ).toBe(false);
  });
});
