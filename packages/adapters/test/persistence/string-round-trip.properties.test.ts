import fc from 'fast-check';
import { MikroORM } from '@mikro-orm/core';
import { PGliteDriver } from 'mikro-orm-pglite';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { describeOnPostgres, useTestDatabase } from '../support/databases.js';
import type { TestDatabase } from '../support/databases.js';
import { Note, notesEntities, notesMigrations } from './notes-fixture.js';

/** Fragments that break naive SQL inlining, quoting, placeholder or statement splitting. */
const awkward = fc.constantFrom(
  ';', ';;', "'", "''", '"', '\\', '\\\\', "\\'", '$1', '$$', '$tag$', '?', '??', ':name', '--', '/*', '*/',
  '\n', '\r\n', '\t', ' ', '%', '_', "E'", 'NULL', '{', '}', ',', '😀', '👩🏽‍💻', 'é', 'e\u0301', '中文', '\u200b', '\u2028', '\ufeff',
);

/** Any text a customer could send: PostgreSQL `text` cannot hold NUL, so that one code point is left out. */
const customerText = fc
  .oneof(
    { weight: 4, arbitrary: fc.string({ unit: awkward, maxLength: 40 }) },
    { weight: 3, arbitrary: fc.string({ unit: 'binary', maxLength: 60 }) },
    { weight: 2, arbitrary: fc.string({ unit: 'grapheme', maxLength: 30 }) },
    {
      weight: 3,
      arbitrary: fc.tuple(fc.string({ maxLength: 20 }), fc.string({ unit: awkward, maxLength: 10 })).map(([a, b]) => `${a};${b}`),
    },
    {
      weight: 1,
      arbitrary: fc
        .string({ unit: awkward, minLength: 1, maxLength: 8 })
        .map((chunk) => chunk.repeat(Math.ceil(10_240 / chunk.length))),
    },
  )
  .map((text) => text.replaceAll('\u0000', ''));

const examples: Array<[string]> = [[''], [';'], ['ok; thanks'], ["'; drop table notes; --"], ['a;b'.repeat(3_500)]];

/**
 * PGlite 0.3.16 decodes every text field with a default TextDecoder, which swallows a leading
 * U+FEFF: such a value is stored intact but read back without it. Not fixable from the driver.
 */
const BOM = '\ufeff';
const readableByPGlite = customerText.filter((text) => !text.startsWith(BOM));

function stringRoundTrip(db: () => TestDatabase, texts: fc.Arbitrary<string>): void {
  const fork = () => db().database.orm.em.fork();

  it('round-trips any text through insert, find by id, find by value and update', async () => {
    await fc.assert(
      fc.asyncProperty(texts, async (text) => {
        const note = Note.write(text);
        await fork().persist(note).flush();
        // Comes back through INSERT … RETURNING, the result `;` used to lose.
        expect(note.createdAt).toBeInstanceOf(Date);

        const byId = await fork().findOneOrFail(Note, note.id);
        expect(byId.body).toBe(text);

        const byValue = await fork().find(Note, { body: text });
        expect(byValue.map((found) => found.id)).toContain(note.id);
        expect(byValue.every((found) => found.body === text)).toBe(true);

        expect(await fork().nativeUpdate(Note, { id: note.id, body: text }, { body: text })).toBe(1);
      }),
      { examples },
    );
  });
}

describe('arbitrary text on PGlite', () => {
  const db = useTestDatabase('pglite', { entities: notesEntities, migrations: notesMigrations });
  stringRoundTrip(db, readableByPGlite);

  it('reads a value starting with U+FEFF without it, though it stores it whole (drop the filter above once this fails)', async () => {
    const note = Note.write(`${BOM}hello`);
    await db().database.orm.em.fork().persist(note).flush();
    const stored = await db().database.pglite!.query<{ length: number }>('select length(body) as length from notes where id = $1', [note.id]);
    expect(stored.rows[0]!.length).toBe(6);
    expect((await db().database.orm.em.fork().findOneOrFail(Note, note.id)).body).toBe('hello');
  });

  describe("mikro-orm-pglite 0.5.1's own driver (drop SafePGliteDriver's unwrap once these fail)", () => {
    let upstream: MikroORM;

    beforeAll(async () => {
      upstream = await MikroORM.init({
        driver: PGliteDriver,
        dbName: 'postgres',
        entities: [...notesEntities],
        driverOptions: { connection: { pglite: () => db().database.pglite! } },
        discovery: { disableDynamicFileAccess: true },
        ensureDatabase: false,
        connect: false,
      });
    });
    afterAll(async () => {
      await upstream?.close(true);
    });

    it('wraps the rows of a single statement in an extra array when a value contains `;`', async () => {
      const sql = "select 'ok; thanks' as body";
      expect(await upstream.em.getConnection().execute(sql)).toEqual([[{ body: 'ok; thanks' }]]);
      expect(await db().database.orm.em.getConnection().execute(sql)).toEqual([{ body: 'ok; thanks' }]);
    });

    it('loses the row of a find by a value containing `;`', async () => {
      const note = Note.write('ok; thanks');
      await db().database.orm.em.fork().persist(note).flush();

      const found = await upstream.em.fork().find(Note, { body: note.body });
      expect(found).not.toEqual([expect.objectContaining({ id: note.id, body: note.body })]);
      expect(await db().database.orm.em.fork().find(Note, { id: note.id, body: note.body })).toHaveLength(1);
    });

    it('loses the RETURNING row of an insert containing `;`', async () => {
      const note = Note.write('ok; thanks');
      await upstream.em.fork().persist(note).flush();
      expect(note.createdAt).toBeUndefined();
    });
  });
});

describeOnPostgres('arbitrary text', () => {
  stringRoundTrip(useTestDatabase('postgresql', { entities: notesEntities, migrations: notesMigrations }), customerText);
});
