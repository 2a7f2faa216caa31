import { describe, expect, it } from 'vitest';
import { describeOnPostgres, useTestDatabase } from '../support/databases.js';
import type { TestDatabase, TestDatabaseKind } from '../support/databases.js';
import { Note, notesEntities, notesMigrations } from './notes-fixture.js';

const migrationNames = notesMigrations.map((migration) => migration.name);

function notesRoundTrip(kind: TestDatabaseKind): void {
  const db = useTestDatabase(kind, { entities: notesEntities, migrations: notesMigrations });
  const fork = (harness: TestDatabase = db()) => harness.database.orm.em.fork();

  it('opens on the expected driver', () => {
    expect(db().database.kind).toBe(kind);
    expect(db().database.pglite !== undefined).toBe(kind === 'pglite');
  });

  it('applies every committed migration once, in order', async () => {
    expect(db().migrated).toEqual(migrationNames);
    expect(await db().database.migrate()).toEqual([]);
  });

  it('writes a note and reads it back, with the created_at the database set', async () => {
    const note = Note.write('Hello; is the blue one in stock?');
    const before = Date.now();
    await fork().persist(note).flush();
    expect(note.createdAt).toBeInstanceOf(Date);

    const loaded = await fork().findOneOrFail(Note, note.id);
    expect(loaded).toBeInstanceOf(Note);
    expect(loaded).toMatchObject({ id: note.id, body: note.body });
    expect(loaded.createdAt.getTime()).toBe(note.createdAt.getTime());
    // Generous bounds: the server clock is not ours, only its order of magnitude matters.
    expect(Math.abs(loaded.createdAt.getTime() - before)).toBeLessThan(60_000);
  });

  it('persists a change made on a loaded note at flush', async () => {
    const note = Note.write('draft');
    await fork().persist(note).flush();

    const em = fork();
    const loaded = await em.findOneOrFail(Note, note.id);
    loaded.body = 'final; sent';
    await em.flush();

    expect((await fork().findOneOrFail(Note, note.id)).body).toBe('final; sent');
  });

  it('refuses the global EntityManager', async () => {
    await expect(db().database.orm.em.find(Note, {})).rejects.toThrow(/global EntityManager/);
  });

  it('answers ping while open', async () => {
    expect(await db().database.ping()).toBe(true);
  });
}

describe('openDatabase on PGlite', () => {
  notesRoundTrip('pglite');
});

describeOnPostgres('openDatabase', () => {
  notesRoundTrip('postgresql');
});
