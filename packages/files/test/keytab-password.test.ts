import { keytabEntriesFromPassword, parseKeytab, parsePrincipal, serializeKeytab } from '@krbsim/files';
import { describe, expect, it } from 'vitest';
import { hex } from './helpers';

describe('keytabEntriesFromPassword', () => {
  it('derives one entry per etype with the default salt (RFC 3962 appendix B, 1 iteration)', () => {
    const entries = keytabEntriesFromPassword({
      principal: parsePrincipal('raeburn@ATHENA.MIT.EDU'),
      password: 'password',
      etypes: [17, 18],
      kvno: 4,
      timestamp: 1_700_000_000_000,
      s2kparams: Uint8Array.from([0, 0, 0, 1]),
    });
    expect(entries.map((e) => [e.kvno, e.timestamp, e.key.etype, hex(e.key.bytes)])).toEqual([
      [4, 1_700_000_000_000, 17, '42263c6e89f4fc28b8df68ee09799f15'],
      [4, 1_700_000_000_000, 18, 'fe697b52bc0d3ce14432ba036a92e65bbb52280990a2fa27883998d72af30161'],
    ]);
    expect(parseKeytab(serializeKeytab({ entries })).entries).toEqual(entries);
  });

  it('honours an explicit salt', () => {
    const principal = parsePrincipal('raeburn@ELSEWHERE');
    const [withSalt] = keytabEntriesFromPassword({
      principal,
      password: 'password',
      etypes: [17],
      kvno: 1,
      timestamp: 0,
      salt: 'ATHENA.MIT.EDUraeburn',
      s2kparams: Uint8Array.from([0, 0, 0, 1]),
    });
    expect(hex(withSalt!.key.bytes)).toBe('42263c6e89f4fc28b8df68ee09799f15');
    expect(withSalt!.principal).toBe(principal);
  });
});
