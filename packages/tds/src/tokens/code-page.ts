/**
 * The code page of the instance's collation, in which VARCHAR values
 * travel (MS-TDS 2.2.5.1.2: a non-Unicode value is in the code page its
 * column's COLLATION names). SQL_Latin1_General_CP1_CI_AS, the collation
 * a managed instance reports, is Windows-1252: the bytes 0x00-0x7F and
 * 0xA0-0xFF are the Unicode characters of the same numbers, 0x80-0x9F
 * the 27 characters below and, for 0x81, 0x8D, 0x8F, 0x90 and 0x9D, which
 * Windows-1252 leaves unassigned, the C1 controls of those numbers, as
 * Windows converts them both ways.
 *
 * @module
 */

/** Windows-1252's characters for the bytes 0x80-0x9F. */
const HIGH = [
  0x20ac, 0x81, 0x201a, 0x192, 0x201e, 0x2026, 0x2020, 0x2021, 0x2c6, 0x2030, 0x160, 0x2039, 0x152, 0x8d,
  0x17d, 0x8f, 0x90, 0x2018, 0x2019, 0x201c, 0x201d, 0x2022, 0x2013, 0x2014, 0x2dc, 0x2122, 0x161, 0x203a,
  0x153, 0x9d, 0x17e, 0x178,
] as const;

/** Each byte's character. */
const TO_CHAR: readonly string[] = Array.from({ length: 256 }, (_, b) =>
  String.fromCharCode(b >= 0x80 && b < 0xa0 ? HIGH[b - 0x80]! : b),
);

/** Each character's byte. */
const TO_BYTE: ReadonlyMap<string, number> = new Map(TO_CHAR.map((c, b) => [c, b]));

/** The Windows-1252 byte of `ch` (one UTF-16 code unit), or undefined when the code page has none. */
export function cp1252Byte(ch: string): number | undefined {
  return TO_BYTE.get(ch);
}

/**
 * `s` in Windows-1252, or undefined when a character of it is not in the code page: such a
 * character is no value a VARCHAR column of this collation can hold.
 */
export function cp1252Encode(s: string): Uint8Array | undefined {
  const out = new Uint8Array(s.length);
  for (let i = 0; i < s.length; i++) {
    const b = TO_BYTE.get(s[i]!);
    if (b === undefined) return undefined;
    out[i] = b;
  }
  return out;
}

/** Windows-1252 bytes as text: every byte is a character. */
export function cp1252Decode(b: Uint8Array): string {
  let s = '';
  for (const x of b) s += TO_CHAR[x]!;
  return s;
}

/**
 * The code page of a 5-byte COLLATION (MS-TDS 2.2.5.1.2) that this package reads VARCHAR in:
 * 1252 for SQL_Latin1_General_CP1 (SortId 52, the instance's) and for a Windows collation of
 * LCID 0x0409 (SortId 0, Latin1_General); undefined for any other, whose code page it does not read.
 */
export function collationCodePage(c: Uint8Array): number | undefined {
  if (c.length !== 5) return undefined;
  const lcid = c[0]! | (c[1]! << 8) | ((c[2]! & 0x0f) << 16);
  const sortId = c[4]!;
  return sortId === 52 || (sortId === 0 && lcid === 0x0409) ? 1252 : undefined;
}
