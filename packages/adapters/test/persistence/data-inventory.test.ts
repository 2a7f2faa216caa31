import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { entities, IN_MEMORY_DATA_DIR, migrations, openDatabase, type Database } from '@palette/adapters/persistence';

const INVENTORY = fileURLToPath(new URL('../../../../docs/privacy/data-inventory.md', import.meta.url));
const DATA_CLASSES = new Set(['personal', 'pseudonymous', 'operational', 'content', 'secret']);

/** Table rows of the inventory: `| table | column | data class | purpose | retention |`. */
export function parseInventory(markdown: string): { rows: Map<string, { dataClass: string; purpose: string; retention: string }>; problems: string[] } {
  const rows = new Map<string, { dataClass: string; purpose: string; retention: string }>();
  const problems: string[] = [];
  for (const [index, line] of markdown.split('\n').entries()) {
    const cells = line.trim().split('|').slice(1, -1).map((c) => c.trim());
    if (cells.length !== 5 || !/^[a-z_][a-z0-9_]*$/.test(cells[0]!) || cells[0] === 'table') continue;
    const [table, column, dataClass, purpose, retention] = cells as [string, string, string, string, string];
    const key = `${table}.${column}`;
    if (!DATA_CLASSES.has(dataClass)) problems.push(`line ${index + 1}: ${key} has data class "${dataClass}"`);
    if (!purpose || !retention) problems.push(`line ${index + 1}: ${key} needs a purpose and a retention`);
    if (rows.has(key)) problems.push(`line ${index + 1}: ${key} is listed twice`);
    rows.set(key, { dataClass, purpose, retention });
  }
  return { rows, problems };
}

describe('docs/privacy/data-inventory.md matches the migrated schema', () => {
  let database: Database;
  let columns: string[];
  beforeAll(async () => {
    database = await openDatabase({ dataDir: IN_MEMORY_DATA_DIR, entities, migrations });
    await database.migrate();
    const rows = await database.orm.em.fork().getConnection().execute<Array<{ table_name: string; column_name: string }>>(
      `select table_name, column_name from information_schema.columns where table_schema = 'public' order by table_name, ordinal_position`);
    columns = rows.map((r) => `${r.table_name}.${r.column_name}`);
  });
  afterAll(async () => { await database?.close(); });

  it('classifies every column of every table, with a valid data class, purpose and retention', () => {
    const { rows, problems } = parseInventory(readFileSync(INVENTORY, 'utf8'));
    const unclassified = columns.filter((c) => !rows.has(c));
    expect(problems).toEqual([]);
    expect(unclassified, `columns missing from docs/privacy/data-inventory.md: ${unclassified.join(', ')}`).toEqual([]);
  });

  it('lists no column that no longer exists', () => {
    const { rows } = parseInventory(readFileSync(INVENTORY, 'utf8'));
    const existing = new Set(columns);
    const stale = [...rows.keys()].filter((k) => !existing.has(k));
    expect(stale, `documented but not in the schema: ${stale.join(', ')}`).toEqual([]);
  });

  it('the parser rejects a bad data class and a duplicate', () => {
    const { problems } = parseInventory('| t | c | secretish | p | r |\n| t | d | personal | p | r |\n| t | d | personal | p | r |\n');
    expect(problems).toHaveLength(2);
  });
});
