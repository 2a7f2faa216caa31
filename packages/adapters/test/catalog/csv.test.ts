import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { csvLine, csvObjects, CsvSyntaxError, parseCsv } from '../../src/catalog/csv.js';

async function* chunks(text: string, sizes: readonly number[] = []): AsyncGenerator<Uint8Array> {
  const bytes = Buffer.from(text, 'utf8');
  let at = 0;
  let i = 0;
  while (at < bytes.length) {
    const n = Math.max(1, sizes[i++ % Math.max(sizes.length, 1)] ?? bytes.length);
    yield bytes.subarray(at, at + n);
    at += n;
  }
}

async function all(text: string, sizes?: number[]) {
  const out = [];
  for await (const r of parseCsv(chunks(text, sizes))) out.push(r);
  return out;
}

describe('streaming CSV parser', () => {
  it('reads quotes, doubled quotes, commas and line breaks inside fields, CRLF and a BOM, with the line each record starts on', async () => {
    const text = '\uFEFFsku,name\r\nA1,"Red, large"\r\n\r\nB2,"He said ""hi""\nand left"\nC3,plain';
    expect(await all(text)).toEqual([
      { line: 1, fields: ['sku', 'name'] },
      { line: 2, fields: ['A1', 'Red, large'] },
      { line: 4, fields: ['B2', 'He said "hi"\nand left'] },
      { line: 6, fields: ['C3', 'plain'] },
    ]);
  });

  it('reports broken files with their line', async () => {
    await expect(all('a,b\n"open,2\n3,4')).rejects.toThrow(CsvSyntaxError);
    await expect(all('a,b\nx"y,2')).rejects.toThrow(/line 2: a quote inside an unquoted field/);
    await expect(all('a,b\n"x"y,2')).rejects.toThrow(/line 2: text after a closing quote/);
  });

  it('round-trips any cells through csvLine, however the bytes are chunked (property)', async () => {
    const cell = fc.string({ unit: 'grapheme', maxLength: 30 }).filter((s) => !/^[=+\-@\t\r]/.test(s));
    await fc.assert(fc.asyncProperty(
      fc.array(fc.array(cell, { minLength: 2, maxLength: 5 }), { minLength: 1, maxLength: 8 }),
      fc.array(fc.integer({ min: 1, max: 7 }), { minLength: 1, maxLength: 5 }),
      async (rows, sizes) => {
        const width = rows[0]!.length;
        const table = rows.map((r) => Array.from({ length: width }, (_, i) => r[i] ?? 'x'));
        // A record of one empty cell is a blank line, which readers skip.
        const kept = table.filter((r) => !(r.length === 1 && r[0] === ''));
        const parsed = await all(kept.map((r) => csvLine(r)).join(''), sizes);
        expect(parsed.map((p) => p.fields)).toEqual(kept);
      }), { numRuns: 150 });
  });

  it('guards spreadsheet formulas on export and removes the guard on import', async () => {
    const line = csvLine(['=HYPERLINK("x")', '-2', '+1', '@a', 'ok']);
    expect(line).toBe(`"'=HYPERLINK(""x"")",'-2,'+1,'@a,ok\r\n`);
    const out = [];
    for await (const r of csvObjects(chunks(`a,b,c,d,e\r\n${line}`))) out.push(r.record);
    expect(out).toEqual([{ a: '=HYPERLINK("x")', b: '-2', c: '+1', d: '@a', e: 'ok' }]);
  });

  it('streams: 60,000 rows are parsed while the source is still being read, never ahead of it', async () => {
    const row = csvLine(['SKU-000000', 'A product name that is not short', 'desc '.repeat(40), '12.50', 'EUR']);
    let pulled = 0;
    async function* big(): AsyncGenerator<string> {
      yield 'sku,name,description,price,currency\r\n';
      for (let i = 0; i < 60; i++) { pulled += 1; yield row.repeat(1000); }
    }
    let count = 0;
    for await (const r of parseCsv(big())) {
      count += 1;
      // Record n of chunk k is yielded before chunk k+1 is asked for: one chunk is all it holds.
      if (count > 1) expect(pulled).toBe(Math.ceil((count - 1) / 1000));
      expect(r.fields.length).toBe(5);
    }
    expect(count).toBe(60_001);
  });
});
