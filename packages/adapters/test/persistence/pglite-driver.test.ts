import fc from 'fast-check';
import { EntitySchema } from '@mikro-orm/core';
import type { PGlite } from '@electric-sql/pglite';
import { Migration } from '@mikro-orm/migrations';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runOutsideOrmTransactions } from '@palette/adapters/persistence';
import { parseArrayLiteral } from '../../src/persistence/pglite-type-parsers.js';
import { describeOnPostgres, useTestDatabase } from '../support/databases.js';
import type { TestDatabase } from '../support/databases.js';
import { Note, notesEntities, notesMigrations } from './notes-fixture.js';

class Sample {
  constructor(
    readonly id: number,
    readonly day: string,
    readonly localTime: Date,
    readonly instant: Date,
    readonly big: bigint,
    readonly amount: string,
    readonly tags: string[],
    readonly data: unknown,
  ) {}
}

const SampleSchema = new EntitySchema<Sample>({
  class: Sample,
  tableName: 'samples',
  properties: {
    id: { type: 'integer', primary: true, autoincrement: false },
    day: { type: 'date' },
    localTime: { type: 'datetime', columnType: 'timestamp(3)', fieldName: 'local_time' },
    instant: { type: 'datetime', columnType: 'timestamptz(3)' },
    big: { type: 'bigint' },
    amount: { type: 'decimal', precision: 12, scale: 2 },
    tags: { type: 'string[]' },
    data: { type: 'json' },
  },
});

class CreateSamples extends Migration {
  override async up(): Promise<void> {
    this.addSql(
      'create table "samples" ("id" int not null primary key, "day" date not null, "local_time" timestamp(3) not null, ' +
        '"instant" timestamptz(3) not null, "big" bigint not null, "amount" numeric(12,2) not null, "tags" text[] not null, "data" jsonb not null)',
    );
  }
}

const options = {
  entities: [...notesEntities, SampleSchema],
  migrations: [...notesMigrations, { name: 'Migration20250101000200_create_samples', class: CreateSamples }],
};

/** What node-pg hands MikroORM under @mikro-orm/postgresql, which PGlite must now match. */
const expectedRawRow = {
  d: '2024-01-02',
  ts: '2024-01-02 10:00:00.123',
  iv: '1 day 02:00:00',
  big: '9007199254740993',
  small: '42',
  num: '12.50',
  tags: ['a', null, 'NULL', 'x,y', 'q"', 'b\\s', '', '{}'],
  ints: [1, null],
  dates: ['2024-01-02'],
  js: { a: [1, null], b: 'c;d' },
  flag: true,
  f: 1.5,
};
const rawSql = `select '2024-01-02'::date as d, '2024-01-02 10:00:00.123'::timestamp as ts, '1 day 2 hours'::interval as iv,
  9007199254740993::int8 as big, 42::int8 as small, 12.50::numeric(12,2) as num,
  array['a', null, 'NULL', 'x,y', 'q"', 'b\\s', '', '{}']::text[] as tags, array[1, null]::int[] as ints,
  array['2024-01-02'::date] as dates, '{"a": [1, null], "b": "c;d"}'::jsonb as js, true as flag, 1.5::float8 as f,
  '2024-01-02 10:00:00+00'::timestamptz as tsz`;

function sameMappingOnBothDrivers(db: () => TestDatabase): void {
  const fork = () => db().database.orm.em.fork();
  const originalTimeZone = process.env.TZ;

  // A zone far from UTC: PGlite's own parsers read `timestamp` in the process' local zone.
  beforeAll(() => {
    process.env.TZ = 'America/New_York';
  });
  afterAll(() => {
    if (originalTimeZone === undefined) delete process.env.TZ;
    else process.env.TZ = originalTimeZone;
  });

  it('returns raw values shaped like node-pg under @mikro-orm/postgresql', async () => {
    const [row] = await fork().getConnection().execute<Array<Record<string, unknown>>>(rawSql);
    const { tsz, ...rest } = row!;
    expect(rest).toEqual(expectedRawRow);
    // The text of a timestamptz depends on the session's TimeZone, its instant does not.
    expect(new Date(String(tsz)).toISOString()).toBe('2024-01-02T10:00:00.000Z');
  });

  it('round-trips dates, timestamps, bigint, decimal, arrays and JSON through an EntitySchema', async () => {
    const sample = new Sample(
      1,
      '2024-02-29',
      new Date('2024-01-02T10:00:00.123Z'),
      new Date('2024-06-30T23:59:59.999Z'),
      9_007_199_254_740_993n,
      '1234.50',
      // Only values MikroORM's own `string[]` marshalling keeps: it drops edge whitespace, and
      // turns 'NULL' into null and a newline next to a comma into 'n', on both drivers.
      ['x;y', 'quote"d', 'back\\slash', '', 'é😀'],
      { nested: [1, 'two', null], text: "it's; fine" },
    );
    await fork().persist(sample).flush();

    const loaded = await fork().findOneOrFail(Sample, 1);
    expect({ ...loaded }).toEqual({ ...sample });
  });
}

describe('SafePGliteDriver', () => {
  const db = useTestDatabase('pglite', options);
  const pglite = (): PGlite => db().database.pglite!;
  const fork = () => db().database.orm.em.fork();
  const bodies = async (): Promise<string[]> =>
    (await pglite().query<{ body: string }>('select body from notes order by body')).rows.map((row) => row.body);

  describe('result parsing', () => {
    sameMappingOnBothDrivers(db);

    it('parses any text[] the way PostgreSQL prints it, NULL elements included', async () => {
      const element = fc.option(fc.string({ unit: fc.constantFrom('a', 'N', 'U', 'L', ',', '"', '\\', '{', '}', ' ', ';', 'é', '😀') }), {
        nil: null,
      });
      await fc.assert(
        fc.asyncProperty(fc.array(element, { maxLength: 8 }), async (values) => {
          const printed = await pglite().query<{ out: string }>('select $1::text[]::text as out', [values]);
          expect(parseArrayLiteral(printed.rows[0]!.out, (text) => text)).toEqual(values);
        }),
      );
    });

    it('parses nested arrays and arrays with explicit bounds', () => {
      expect(parseArrayLiteral('{{1,2},{3,NULL}}', Number)).toEqual([
        [1, 2],
        [3, null],
      ]);
      expect(parseArrayLiteral('[0:1]={a,b}', (text) => text)).toEqual(['a', 'b']);
      expect(() => parseArrayLiteral('{"unterminated', (text) => text)).toThrow(/Malformed array literal/);
    });
  });

  describe('sharing the PGlite instance', () => {
    it('shows why: a bare query sent while an ORM transaction is open joins it and is rolled back with it', async () => {
      await db().reset();
      await expect(
        fork().transactional(async (em) => {
          await em.persist(Note.write('orm')).flush();
          await pglite().query(`insert into notes (id, body) values (gen_random_uuid(), 'bare')`);
          throw new Error('roll back');
        }),
      ).rejects.toThrow('roll back');
      expect(await bodies()).toEqual([]);
    });

    it('runs work from runOutsideOrmTransactions after the open ORM transaction ends, outside it', async () => {
      await db().reset();
      const events: string[] = [];
      let transactionOpen!: () => void;
      const opened = new Promise<void>((resolve) => (transactionOpen = resolve));
      let finishTransaction!: () => void;
      const finish = new Promise<void>((resolve) => (finishTransaction = resolve));

      const transaction = fork().transactional(async (em) => {
        await em.persist(Note.write('orm')).flush();
        transactionOpen();
        await finish;
        events.push('orm transaction ends');
        throw new Error('roll back');
      });
      await opened;
      const outside = runOutsideOrmTransactions(pglite(), async () => {
        events.push('outside work runs');
        await pglite().query(`insert into notes (id, body) values (gen_random_uuid(), 'outside')`);
      });
      // Give the outside work every chance to run early.
      await new Promise((resolve) => setTimeout(resolve, 50));
      finishTransaction();

      await expect(transaction).rejects.toThrow('roll back');
      await outside;
      expect(events).toEqual(['orm transaction ends', 'outside work runs']);
      expect(await bodies()).toEqual(['outside']);
    });

    it('keeps nested transactions (savepoints) and plain flushes working', async () => {
      await db().reset();
      await fork().transactional(async (em) => {
        em.persist(Note.write('outer'));
        await em.transactional(async (inner) => {
          inner.persist(Note.write('inner'));
        });
      });
      await fork().persist(Note.write('flush')).flush();
      expect(await bodies()).toEqual(['flush', 'inner', 'outer']);
    });

    it('throws instead of deadlocking when called inside an ORM transaction on the same instance', async () => {
      await expect(
        fork().transactional(() => runOutsideOrmTransactions(pglite(), async () => 'never')),
      ).rejects.toThrow(/inside a MikroORM transaction/);
      // The lock was released by the rollback.
      await expect(runOutsideOrmTransactions(pglite(), async () => 'ran')).resolves.toBe('ran');
    });

    it('throws instead of deadlocking when an ORM transaction starts inside runOutsideOrmTransactions', async () => {
      await expect(
        runOutsideOrmTransactions(pglite(), () => fork().transactional(async () => 'never')),
      ).rejects.toThrow(/inside runOutsideOrmTransactions/);
      await expect(fork().transactional(async () => 'ran')).resolves.toBe('ran');
    });
  });
});

describeOnPostgres('Same mapping as PGlite', () => {
  sameMappingOnBothDrivers(useTestDatabase('postgresql', options));
});
