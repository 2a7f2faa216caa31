import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { pino } from 'pino';
import { createMikroOrmRepositories, persistenceModule } from '@palette/adapters/persistence';
import { PermanentJobError, type JobContext } from '@palette/adapters/queue';
import { ReceiveInboundMessage } from '@palette/domain';
import { make } from '@palette/domain/testing';
import { SystemClock, UuidV7Generator } from '@palette/adapters/system';
import { inboundMessageHandler, startWorker, type RunningWorker } from '@palette/app-worker';
import { openTestDatabase, type TestDatabase } from '../../adapters/test/support/databases.js';

const T0 = new Date('2026-03-01T10:00:00Z');
const WS = '00000000-0000-7000-8000-0000000000a1';
const IG_USER = '17841455500112233';

const payload = (mid: string, text = 'is the red tee in stock? ok; thanks') => ({
  igUserId: IG_USER,
  senderIgsid: '7432198865012345',
  platformMessageId: mid,
  text,
  attachments: [],
  replyTo: null,
  sentAt: '2026-03-01T10:05:00.000Z',
  entryPoint: 'organic_dm',
});

const job = (data: unknown): JobContext => ({
  id: '00000000-0000-4000-8000-000000000001', queue: 'inbound.message', data, attempt: 1, orderingKey: null, createdAt: new Date(), signal: new AbortController().signal,
});

describe('the inbound.message handler (embedded PGlite)', () => {
  let db: TestDatabase;
  const handler = () => inboundMessageHandler(() => new ReceiveInboundMessage({ ...createMikroOrmRepositories(db.database.orm), clock: new SystemClock(), ids: new UuidV7Generator() }));
  const messageCount = async (): Promise<number> => {
    const rows = await db.database.orm.em.fork().getConnection().execute<Array<{ count: string | number }>>('select count(*) as count from messages');
    return Number(rows[0]!.count);
  };

  beforeAll(async () => {
    db = await openTestDatabase('pglite', persistenceModule());
    const repos = createMikroOrmRepositories(db.database.orm);
    await repos.uow.run(async () => {
      const ws = make.workspace(WS, T0);
      await repos.workspaces.save(ws);
      await repos.accounts.save(make.account('00000000-0000-7000-8000-0000000000b1', ws.id, IG_USER, T0));
    });
  });
  afterAll(async () => {
    await db?.teardown();
  });

  it('stores one message when the same payload runs twice (at-least-once delivery)', async () => {
    const run = handler();
    await run(job(payload('mid.twice')));
    await run(job(payload('mid.twice')));
    expect(await messageCount()).toBe(1);
    const repos = createMikroOrmRepositories(db.database.orm);
    const account = await repos.accounts.findByIgUserId(IG_USER);
    const message = await repos.messages.findByPlatformId(account!.id, 'mid.twice');
    expect(message?.text).toBe('is the red tee in stock? ok; thanks');
    expect(message?.sentAt.toISOString()).toBe('2026-03-01T10:05:00.000Z');
  });

  it('fails permanently on a malformed payload or an unknown account, naming fields but not values', async () => {
    const run = handler();
    const bad = run(job({ ...payload('mid.bad'), sentAt: 'yesterday', text: 'secret words' }));
    await expect(bad).rejects.toBeInstanceOf(PermanentJobError);
    await expect(bad).rejects.toThrow(/sentAt/);
    await expect(bad).rejects.not.toThrow(/secret words/);
    await expect(run(job({ ...payload('mid.unknown'), igUserId: '999' }))).rejects.toThrow(/Unknown Instagram account 999/);
  });

  describe('through startWorker, on the same PGlite as the ORM', () => {
    let running: RunningWorker;
    beforeAll(async () => {
      running = await startWorker({ database: db.database, logger: pino({ level: 'silent' }), metricsPort: 0, worker: { pollIntervalMs: 100 } });
    });
    afterAll(async () => {
      await running?.stop();
    });

    it('handles an enqueued inbound.message', async () => {
      const before = await messageCount();
      await running.jobs.enqueue({ name: 'inbound.message', data: payload('mid.queued'), orderingKey: `ig:${IG_USER}:7432198865012345`, dedupeKey: 'mid.queued' });
      const deadline = Date.now() + 15_000;
      while ((await messageCount()) === before && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 50));
      expect(await messageCount()).toBe(before + 1);
      expect(running.metricsUrl).toBeUndefined();
    });
  });
});
