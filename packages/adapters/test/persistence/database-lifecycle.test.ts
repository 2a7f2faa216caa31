import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { createServer } from 'node:net';
import type { Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MikroORM } from '@mikro-orm/core';
import { openDatabase, safePGliteOptions } from '@palette/adapters/persistence';
import { createScratchPostgresDatabase, describeOnPostgres, openTestDatabase } from '../support/databases.js';
import { Note, notesEntities, notesMigrations } from './notes-fixture.js';

const schema = { entities: notesEntities, migrations: notesMigrations };

describe('PGlite on disk', () => {
  let dataDir: string;
  beforeAll(async () => {
    dataDir = await mkdtemp(join(tmpdir(), 'palette-lifecycle-'));
  });
  afterAll(async () => {
    await rm(dataDir, { recursive: true, force: true });
  });

  // One test, because each PGlite start costs 1–3 s.
  it('keeps data and applied migrations in <dataDir>/pgdata across a restart; pings false once closed', async () => {
    const first = await openDatabase({ dataDir, ...schema });
    expect(await first.migrate()).toHaveLength(notesMigrations.length);
    const note = Note.write('kept; across restarts');
    await first.orm.em.fork().persist(note).flush();
    expect(await first.ping()).toBe(true);
    await first.close();
    expect(await first.ping()).toBe(false);
    expect(existsSync(join(dataDir, 'pgdata', 'PG_VERSION'))).toBe(true);

    // Restarted through the driver alone, which opens (and must close) a PGlite of its own there.
    const restarted = await MikroORM.init({
      ...safePGliteOptions({ dataDir: join(dataDir, 'pgdata') }),
      entities: [...notesEntities],
      discovery: { disableDynamicFileAccess: true },
      connect: false,
    });
    const ownPGlite = await restarted.em.getDriver().getConnection().getPGlite();
    try {
      expect((await restarted.em.fork().findOneOrFail(Note, note.id)).body).toBe(note.body);
      const recorded = await restarted.em.getConnection().execute<Array<{ name: string }>>('select name from mikro_orm_migrations order by id');
      expect(recorded.map((row) => row.name)).toEqual(notesMigrations.map((migration) => migration.name));
    } finally {
      await restarted.close();
    }
    expect(ownPGlite.closed).toBe(true);
  });
});

describe('openDatabase on an unreachable PostgreSQL', () => {
  it('opens without touching the network, pings false and fails to migrate', async () => {
    // Nothing listens on port 1.
    const database = await openDatabase({ databaseUrl: 'postgres://postgres@127.0.0.1:1/palette', dataDir: 'unused', ...schema });
    try {
      expect(database.kind).toBe('postgresql');
      expect(database.pglite).toBeUndefined();
      expect(await database.ping()).toBe(false);
      await expect(database.migrate()).rejects.toThrow(/ECONNREFUSED/);
    } finally {
      await database.close();
    }
  });

  it('pings false within its timeout when the server accepts but never answers', async () => {
    const sockets = new Set<Socket>();
    const silent = createServer((socket) => sockets.add(socket));
    await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
    const { port } = silent.address() as { port: number };
    const database = await openDatabase({ databaseUrl: `postgres://postgres@127.0.0.1:${port}/palette`, dataDir: 'unused', ...schema });
    try {
      const started = Date.now();
      expect(await database.ping(200)).toBe(false);
      expect(Date.now() - started).toBeLessThan(2_000);
    } finally {
      // Cut the hanging connection attempt so closing the pool does not wait for it.
      for (const socket of sockets) socket.destroy();
      await new Promise((resolve) => silent.close(resolve));
      await database.close();
    }
  });
});

describeOnPostgres('Database lifecycle', () => {
  it('lets two processes migrate at once: each migration is applied exactly once', async () => {
    const scratch = await createScratchPostgresDatabase();
    const http = await openDatabase({ databaseUrl: scratch.url, dataDir: 'unused', ...schema });
    const worker = await openDatabase({ databaseUrl: scratch.url, dataDir: 'unused', ...schema });
    try {
      const [first, second] = await Promise.all([http.migrate(), worker.migrate()]);
      expect([...first, ...second].sort()).toEqual(notesMigrations.map((migration) => migration.name).sort());
    } finally {
      await http.close();
      await worker.close();
      await scratch.drop();
    }
  });

  it('pings true while open and false once closed', async () => {
    const { database, teardown } = await openTestDatabase('postgresql', schema);
    try {
      expect(await database.ping()).toBe(true);
      await database.close();
      expect(await database.ping()).toBe(false);
    } finally {
      await teardown();
    }
  });
});
