import { encodeKpasswdMessage, encodeKrbError } from '@krbsim/asn1';
import { ManualClock } from '@krbsim/core';
import { kdcParticipant, mermaidText, Trace } from '@krbsim/transport';
import { describe, expect, it } from 'vitest';
import { asReq, tgsReq } from './der';

const preauthRequired = encodeKrbError({
  pvno: 5,
  msgType: 30,
  errorCode: 25,
  stime: 0,
  susec: 0,
  realm: 'CONTOSO.COM',
  sname: { nameType: 2, nameString: ['krbtgt', 'CONTOSO.COM'] },
});
const repeat = encodeKrbError({
  pvno: 5,
  msgType: 30,
  errorCode: 34,
  stime: 0,
  susec: 0,
  realm: 'CONTOSO.COM',
  sname: { nameType: 1, nameString: ['kadmin', 'changepw'] },
});
const asRep = Uint8Array.from([0x6b, 0x00]);
const tgsRep = Uint8Array.from([0x6d, 0x00]);
const apReq = Uint8Array.from([0x6e, 0x00]);
const apRep = Uint8Array.from([0x6f, 0x00]);

function scenario(): Trace {
  const clock = new ManualClock(Date.UTC(2026, 0, 1));
  const trace = new Trace({ clock });
  const alice = 'alice@CONTOSO.COM';
  const kdc = kdcParticipant('CONTOSO.COM');
  trace.record({
    from: alice,
    to: kdc,
    transport: 'udp',
    request: asReq('alice', 'CONTOSO.COM'),
    reply: preauthRequired,
  });
  clock.advance(5);
  trace.record({
    from: alice,
    to: kdc,
    transport: 'udp',
    request: asReq('alice', 'CONTOSO.COM'),
    reply: asRep,
    label: 'padata=ENC-TIMESTAMP',
  });
  trace.record({
    from: alice,
    to: kdc,
    transport: 'tcp',
    request: tgsReq('CONTOSO.COM', 'MSSQLSvc', 'sql.contoso.com:1433'),
    reply: tgsRep,
    label: 'sname=MSSQLSvc/sql.contoso.com:1433',
  });
  trace.record({
    from: alice,
    to: 'MSSQLSvc/sql.contoso.com:1433',
    request: apReq,
    reply: apRep,
    replyLabel: 'mutual',
  });
  trace.record({
    from: alice,
    to: kdcParticipant('FABRIKAM.COM'),
    request: tgsReq('FABRIKAM.COM', 'x'),
    error: 'cannot find KDC for realm FABRIKAM.COM',
  });
  return trace;
}

describe('Trace', () => {
  it('records entries with sequence numbers, clock time, types and copies', () => {
    const trace = new Trace({ clock: new ManualClock(1000) });
    const req = asReq('a', 'R');
    const e = trace.record({ from: 'a', to: 'KDC R', request: req, reply: asRep });
    req[0] = 0;
    expect(e).toMatchObject({
      seq: 1,
      time: 1000,
      transport: 'inproc',
      requestType: 'AS-REQ',
      replyType: 'AS-REP',
    });
    expect(trace.entries[0]!.request[0]).toBe(0x6a);
    expect(new Trace().record({ from: 'a', to: 'b', request: apReq }).time).toBe(0);
  });

  it('renders one text line per message', () => {
    const lines = scenario().toText().trimEnd().split('\n');
    expect(lines).toEqual([
      expect.stringMatching(/^#1 alice@CONTOSO.COM -> KDC CONTOSO.COM \[udp\] AS-REQ \d+ bytes$/),
      expect.stringMatching(
        /^#1 KDC CONTOSO.COM -> alice@CONTOSO.COM \[udp\] KRB-ERROR KDC_ERR_PREAUTH_REQUIRED \d+ bytes$/,
      ),
      expect.stringMatching(
        /^#2 alice@CONTOSO.COM -> KDC CONTOSO.COM \[udp\] AS-REQ \d+ bytes padata=ENC-TIMESTAMP$/,
      ),
      '#2 KDC CONTOSO.COM -> alice@CONTOSO.COM [udp] AS-REP 2 bytes',
      expect.stringMatching(
        /^#3 alice@CONTOSO.COM -> KDC CONTOSO.COM \[tcp\] TGS-REQ \d+ bytes sname=MSSQLSvc\/sql.contoso.com:1433$/,
      ),
      '#3 KDC CONTOSO.COM -> alice@CONTOSO.COM [tcp] TGS-REP 2 bytes',
      '#4 alice@CONTOSO.COM -> MSSQLSvc/sql.contoso.com:1433 [inproc] AP-REQ 2 bytes',
      '#4 MSSQLSvc/sql.contoso.com:1433 -> alice@CONTOSO.COM [inproc] AP-REP 2 bytes mutual',
      expect.stringMatching(/^#5 alice@CONTOSO.COM -> KDC FABRIKAM.COM \[inproc\] TGS-REQ \d+ bytes$/),
      '#5 KDC FABRIKAM.COM -x alice@CONTOSO.COM [inproc] failed: cannot find KDC for realm FABRIKAM.COM',
    ]);
    expect(new Trace().toText()).toBe('');
  });

  it('records TDS entries with the types the recorder gives, and renders them as [tds]', () => {
    const trace = new Trace();
    const login = Uint8Array.of(0x10, 0x01, 0x00, 0x08, 0, 0, 1, 0);
    const ack = Uint8Array.of(0x04, 0x01, 0x00, 0x08, 0, 0, 1, 0);
    const e = trace.record({
      from: 'pc1',
      to: 'mi1',
      transport: 'tcp',
      protocol: 'tds',
      stream: 'mi1:1',
      request: login,
      reply: ack,
      requestType: 'LOGIN7',
      replyType: 'LOGINACK',
      label: 'sspi=AP-REQ (GSS)',
    });
    expect(e).toMatchObject({
      protocol: 'tds',
      stream: 'mi1:1',
      requestType: 'LOGIN7',
      replyType: 'LOGINACK',
    });
    trace.record({
      from: 'pc1',
      to: 'mi1',
      transport: 'tcp',
      protocol: 'tds',
      stream: 'mi1:1',
      request: login,
      requestType: 'SQL batch',
      error: 'closed by the client',
    });
    expect(trace.toText().trimEnd().split('\n')).toEqual([
      '#1 pc1 -> mi1 [tds] LOGIN7 8 bytes sspi=AP-REQ (GSS)',
      '#1 mi1 -> pc1 [tds] LOGINACK 8 bytes',
      '#2 pc1 -> mi1 [tds] SQL batch 8 bytes',
      '#2 mi1 -x pc1 [tds] failed: closed by the client',
    ]);
    expect(trace.toMermaid()).toContain('P2-->>P1: LOGINACK');
    // A Kerberos entry has no protocol or stream, and its types still come from the bytes.
    expect(trace.record({ from: 'a', to: 'b', request: apReq })).not.toHaveProperty('protocol');
    expect(() => trace.record({ from: 'a', to: 'b', protocol: 'tds', request: login })).toThrow(TypeError);
    expect(() =>
      trace.record({
        from: 'a',
        to: 'b',
        protocol: 'tds',
        request: login,
        reply: ack,
        requestType: 'LOGIN7',
      }),
    ).toThrow(/replyType/);
  });

  it('names kpasswd entries from their header (RFC 3244): change, set, reply, a KRB-ERROR reply, garbage', () => {
    const trace = new Trace();
    const krbPriv = Uint8Array.of(0x75, 0x00);
    const request = (version: number) => encodeKpasswdMessage({ version, ap: apReq, rest: krbPriv });
    const reply = encodeKpasswdMessage({ version: 1, ap: apRep, rest: krbPriv });
    const refused = encodeKpasswdMessage({ version: 1, ap: new Uint8Array(0), rest: repeat });
    const kpasswd = { from: 'alice', to: 'KDC CONTOSO.COM', protocol: 'kpasswd' } as const;
    const e = trace.record({ ...kpasswd, transport: 'udp', request: request(1), reply });
    expect(e).toMatchObject({ protocol: 'kpasswd', requestType: 'KPASSWD-REQ', replyType: 'KPASSWD-REP' });
    trace.record({ ...kpasswd, request: request(0xff80), reply: refused });
    trace.record({ ...kpasswd, request: Uint8Array.of(0, 3, 0) });
    // A Kerberos entry's bytes are not read as kpasswd, nor the other way round.
    trace.record({ from: 'alice', to: 'KDC CONTOSO.COM', request: reply });
    expect(trace.toText().trimEnd().split('\n')).toEqual([
      `#1 alice -> KDC CONTOSO.COM [udp] KPASSWD-REQ ${request(1).length} bytes`,
      `#1 KDC CONTOSO.COM -> alice [udp] KPASSWD-REP ${reply.length} bytes`,
      `#2 alice -> KDC CONTOSO.COM [inproc] KPASSWD-REQ set ${request(1).length} bytes`,
      `#2 KDC CONTOSO.COM -> alice [inproc] KPASSWD-REP KRB-ERROR KRB_AP_ERR_REPEAT ${refused.length} bytes`,
      '#3 alice -> KDC CONTOSO.COM [inproc] unknown 3 bytes',
      `#4 alice -> KDC CONTOSO.COM [inproc] unknown ${reply.length} bytes`,
    ]);
    expect(trace.toMermaid()).toContain('P2-->>P1: KPASSWD-REP KRB-ERROR KRB_AP_ERR_REPEAT');
    // The HTML page decodes the frame and the messages in it, and explains the error.
    const html = trace.toHtml();
    expect(html).toContain('&#34;type&#34;: &#34;kpasswd&#34;');
    expect(html).toContain('&#34;version&#34;: 65408');
    expect(html).toContain('&#34;errorCode&#34;: 34');
    expect(html).toMatch(/class="meaning">KRB_AP_ERR_REPEAT \(34\)/);
  });

  it('records HTTP entries with the types the recorder gives, and renders them as [http]', () => {
    const trace = new Trace();
    const post = new TextEncoder().encode('POST / HTTP/1.1\r\n\r\n');
    const ok = new TextEncoder().encode('HTTP/1.1 200 OK\r\n\r\n');
    const e = trace.record({
      from: 'pc',
      to: 'login',
      transport: 'tcp',
      protocol: 'http',
      request: post,
      reply: ok,
      requestType: 'PRT request',
      replyType: 'PRT response',
      label: 'tgt=true',
    });
    expect(e).toMatchObject({ protocol: 'http', requestType: 'PRT request', replyType: 'PRT response' });
    expect(trace.toText().trim().split('\n')).toEqual([
      `#1 pc -> login [http] PRT request ${post.length} bytes tgt=true`,
      `#1 login -> pc [http] PRT response ${ok.length} bytes`,
    ]);
    expect(trace.toMermaid()).toContain('P1->>P2: PRT request tgt=true');
    expect(() => trace.record({ from: 'a', to: 'b', protocol: 'http', request: post })).toThrow(
      /an HTTP entry names its request/,
    );
  });

  it('renders a Mermaid sequence diagram, participants in first-seen order', () => {
    expect(scenario().toMermaid()).toBe(
      [
        'sequenceDiagram',
        '    participant P1 as alice@CONTOSO.COM',
        '    participant P2 as KDC CONTOSO.COM',
        '    participant P3 as MSSQLSvc/sql.contoso.com:1433',
        '    participant P4 as KDC FABRIKAM.COM',
        '    P1->>P2: AS-REQ',
        '    P2-->>P1: KRB-ERROR KDC_ERR_PREAUTH_REQUIRED',
        '    P1->>P2: AS-REQ padata=ENC-TIMESTAMP',
        '    P2-->>P1: AS-REP',
        '    P1->>P2: TGS-REQ sname=MSSQLSvc/sql.contoso.com:1433',
        '    P2-->>P1: TGS-REP',
        '    P1->>P3: AP-REQ',
        '    P3-->>P1: AP-REP mutual',
        '    P1->>P4: TGS-REQ',
        '    P4--xP1: failed: cannot find KDC for realm FABRIKAM.COM',
        '',
      ].join('\n'),
    );
  });

  it('escapes what would break Mermaid and keeps labels on one line', () => {
    expect(mermaidText('a;b#c<d>\ne')).toBe('a#59;b#35;c#60;d#62; e');
    const t = new Trace();
    t.record({ from: 'x;y', to: 'z', request: apReq, label: 'l1\nl2' });
    expect(t.toMermaid()).toContain('participant P1 as x#59;y');
    expect(t.toMermaid()).toContain('P1->>P2: AP-REQ l1 l2');
    expect(t.toText()).toBe('#1 x;y -> z [inproc] AP-REQ 2 bytes l1 l2\n');
  });

  it('keeps at most maxEntries and can be cleared', () => {
    const t = new Trace({ maxEntries: 2 });
    for (let i = 0; i < 5; i++) t.record({ from: 'a', to: 'b', request: apReq });
    expect(t.entries.map((e) => e.seq)).toEqual([4, 5]);
    expect(t.participants()).toEqual(['a', 'b']);
    t.clear();
    expect(t.entries).toEqual([]);
    expect(t.record({ from: 'a', to: 'b', request: apReq }).seq).toBe(6);
  });

  it('is a ring once full: the last maxEntries in order, whatever the count', () => {
    const t = new Trace({ maxEntries: 3 });
    for (let i = 1; i <= 1000; i++) {
      t.record({ from: `c${i}`, to: 'b', request: apReq });
      const want = Array.from({ length: Math.min(i, 3) }, (_, k) => i - Math.min(i, 3) + 1 + k);
      expect(t.entries.map((e) => e.seq)).toEqual(want);
    }
    expect(t.toText().split('\n')[0]).toMatch(/^#998 c998 -> b/);
    expect(t.toText({ since: 1000 })).toMatch(/^#1000 /);
    expect(t.participants()).toEqual(['c998', 'b', 'c999', 'c1000']);
    expect(() => new Trace({ maxEntries: 0 })).toThrow(RangeError);
    expect(() => new Trace({ maxEntries: 1.5 })).toThrow(RangeError);
    expect(new Trace({ maxEntries: Number.POSITIVE_INFINITY }).entries).toEqual([]);
  });
  it('keeps at most maxBytes of messages, dropping the oldest, and always the newest entry', () => {
    const t = new Trace({ maxBytes: 1000 });
    const tds = (n: number) => ({
      from: 'c',
      to: 's',
      protocol: 'tds' as const,
      requestType: 'SQL_BATCH',
      request: new Uint8Array(n),
      reply: new Uint8Array(10),
      replyType: 'DONE',
    });
    for (let i = 0; i < 100; i++) t.record(tds(90)); // 100 bytes an entry
    expect(t.entries.map((e) => e.seq)).toEqual(Array.from({ length: 10 }, (_, k) => 91 + k));
    t.record(tds(5000)); // larger than the bound alone: kept, alone
    expect(t.entries.map((e) => e.seq)).toEqual([101]);
    t.record(tds(90));
    expect(t.entries.map((e) => e.seq)).toEqual([102]);
    for (let i = 0; i < 3; i++) t.record(tds(90));
    expect(t.entries.map((e) => e.seq)).toEqual([102, 103, 104, 105]);
    // Both bounds at once: the stricter holds.
    const both = new Trace({ maxBytes: 1000, maxEntries: 3 });
    for (let i = 0; i < 10; i++) both.record(tds(90));
    expect(both.entries.map((e) => e.seq)).toEqual([8, 9, 10]);
    t.clear();
    for (let i = 0; i < 10; i++) t.record(tds(90));
    expect(t.entries).toHaveLength(10); // clear forgot the bytes too
    for (const bad of [0, -1, 2.5]) expect(() => new Trace({ maxBytes: bad })).toThrow(/maxBytes must be/);
  });
});

describe('Trace views', () => {
  it('renders only the entries from a marked sequence number on', async () => {
    const { Trace } = await import('@krbsim/transport');
    const t = new Trace();
    t.record({ from: 'a', to: 'KDC A.TEST', request: Uint8Array.of(0x6a, 0) });
    const mark = t.nextSeq;
    t.record({ from: 'b', to: 'KDC B.TEST', request: Uint8Array.of(0x6c, 0), reply: Uint8Array.of(0x6d, 0) });
    expect(t.participants({ since: mark })).toEqual(['b', 'KDC B.TEST']);
    expect(t.toText({ since: mark })).toBe(
      '#2 b -> KDC B.TEST [inproc] TGS-REQ 2 bytes\n#2 KDC B.TEST -> b [inproc] TGS-REP 2 bytes\n',
    );
    expect(t.toMermaid({ since: mark })).not.toContain('KDC A.TEST');
    expect(t.toText()).toContain('#1 a -> KDC A.TEST');
  });
});
