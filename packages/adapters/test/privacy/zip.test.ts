import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { buildExportZip, crc32, createZip, ExportManifest, ordersCsv, readZip } from '@palette/adapters/persistence';

const hasUnzip = (() => { try { execFileSync('unzip', ['-v'], { stdio: 'ignore' }); return true; } catch { return false; } })();

describe('store-only zip writer', () => {
  it('computes the standard CRC-32', () => {
    expect(crc32(Buffer.from('123456789'))).toBe(0xcbf43926);
    expect(crc32(Buffer.alloc(0))).toBe(0);
  });

  it('round-trips any set of files byte for byte, checking every CRC', () => {
    fc.assert(fc.property(fc.uniqueArray(fc.tuple(fc.stringMatching(/^[a-z_]{1,12}\.json$/), fc.string({ unit: 'binary', maxLength: 300 })), { selector: ([n]) => n, maxLength: 8 }), (files) => {
      const zip = createZip(files.map(([name, data]) => ({ name, data })), new Date('2026-01-02T03:04:06Z'));
      const back = readZip(zip);
      expect([...back.keys()]).toEqual(files.map(([n]) => n));
      for (const [name, data] of files) expect(back.get(name)!.toString('utf8')).toBe(Buffer.from(data, 'utf8').toString('utf8'));
    }));
  });

  it('detects a corrupted byte', () => {
    const zip = createZip([{ name: 'a.json', data: '{"x":1}' }], new Date());
    const at = 30 + 'a.json'.length;
    zip[at] = zip[at]! ^ 0xff;
    expect(() => readZip(zip)).toThrow(/crc/);
  });

  it.runIf(hasUnzip)('opens with the system unzip (-t tests every entry)', () => {
    const dir = mkdtempSync(join(tmpdir(), 'palette-zip-'));
    try {
      const { zip } = buildExportZip('user', [{ dataClass: 'account', file: 'account.json', records: [{ id: 'u', name: 'Zoë' }] }], new Date(), new Date(Date.now() + 7 * 86_400_000));
      writeFileSync(join(dir, 'b.zip'), zip);
      expect(execFileSync('unzip', ['-t', join(dir, 'b.zip')]).toString()).toMatch(/No errors detected/);
    } finally { rmSync(dir, { recursive: true, force: true }); }
  });

  it('writes a manifest that validates, and CSV that spreadsheets cannot execute', () => {
    const { zip, manifest } = buildExportZip('contact', [{ dataClass: 'orders', file: 'orders.json', records: [{ id: 'o1', customerName: '=HYPERLINK("x")', totalMinor: 100 }] }], new Date(), new Date());
    expect(ExportManifest.parse(manifest).files.map((f) => f.name)).toEqual(['orders.json', 'orders.csv']);
    const csv = readZip(zip).get('orders.csv')!.toString('utf8');
    expect(csv).toContain(`"'=HYPERLINK(""x"")"`);
    expect(ordersCsv([])).toBe('id,status,source,customerName,currency,subtotalMinor,shippingMinor,discountMinor,totalMinor,createdAt,completedAt\r\n');
  });
});
