import type { PGlite, ParserOptions } from '@electric-sql/pglite';

type ElementParser = (text: string) => unknown;

const keepText: ElementParser = (text) => text;

/**
 * OIDs that MikroORM must receive as text. @mikro-orm/postgresql installs the same overrides on
 * node-pg for the date/time types (PGlite would turn a `timestamp` without zone into a Date in the
 * process' local zone, and a `date` into a Date where PostgreSQL gives '2024-01-02'), and node-pg
 * itself returns int8 as text where PGlite gives a number or a bigint depending on its size.
 */
const TEXT_SCALARS = [
  20, // int8
  1082, // date
  1114, // timestamp
  1184, // timestamptz
  1186, // interval
];

// Types created by migrations get OIDs from here on; node-pg has no parser for their arrays.
const FIRST_USER_OID = 16384;
const BOX_ARRAY_OID = 1020;

/**
 * Builds the per-query parsers that make PGlite's results look like node-pg's under
 * @mikro-orm/postgresql, so one EntitySchema hydrates the same on both drivers.
 *
 * Arrays are re-parsed because PGlite 0.3's array parser has no NULL case: `array['a', null]`
 * comes back as `['a', 'NULL']`, and an int[] NULL as NaN.
 */
export async function nodePgCompatibleParsers(pglite: PGlite): Promise<ParserOptions> {
  const parsers: Record<number, ElementParser> = {};
  for (const oid of TEXT_SCALARS) parsers[oid] = keepText;

  const arrays = await pglite.query<{ element: number; array: number }>(
    `select typelem::int as element, oid::int as array from pg_catalog.pg_type where typcategory = 'A' and typelem <> 0`,
  );
  for (const { element, array } of arrays.rows) {
    if (element >= FIRST_USER_OID) {
      parsers[array] = keepText;
      continue;
    }
    const parseElement = parsers[element] ?? pglite.parsers[element] ?? keepText;
    const delimiter = array === BOX_ARRAY_OID ? ';' : ',';
    parsers[array] = (text) => parseArrayLiteral(text, parseElement, delimiter);
  }
  return parsers;
}

/**
 * Parses PostgreSQL's text output of an array (`{a,"b,c",NULL,{1,2}}`), nested or not.
 * PostgreSQL quotes every element that is empty, contains a delimiter, brace, quote, backslash or
 * space, or spells NULL in any case, so an unquoted `NULL` is always the null value.
 */
export function parseArrayLiteral(text: string, parseElement: ElementParser, delimiter = ','): unknown[] {
  // Arrays whose lower bound is not 1 are printed with a `[0:2]=` prefix.
  let at = text.startsWith('[') ? text.indexOf('=') + 1 : 0;

  const fail = (): never => {
    throw new Error(`Malformed array literal at ${at}: ${text.slice(0, 80)}`);
  };

  const parseList = (): unknown[] => {
    if (text[at] !== '{') fail();
    at++;
    const items: unknown[] = [];
    if (text[at] === '}') {
      at++;
      return items;
    }
    for (;;) {
      const char = text[at];
      if (char === '{') {
        items.push(parseList());
      } else if (char === '"') {
        at++;
        let value = '';
        let chunkStart = at;
        for (;;) {
          const inner = text[at];
          if (inner === undefined) fail();
          if (inner === '"') break;
          if (inner === '\\') {
            value += text.slice(chunkStart, at);
            at++;
            chunkStart = at;
          }
          at++;
        }
        value += text.slice(chunkStart, at);
        at++;
        items.push(parseElement(value));
      } else {
        const start = at;
        while (at < text.length && text[at] !== delimiter && text[at] !== '}') at++;
        const raw = text.slice(start, at);
        items.push(raw === 'NULL' ? null : parseElement(raw));
      }
      const separator = text[at];
      at++;
      if (separator === '}') return items;
      if (separator !== delimiter) fail();
    }
  };

  return parseList();
}
