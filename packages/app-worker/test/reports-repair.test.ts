import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createMikroOrmRepositories, createSqlReportStore, persistenceModule } from '@palette/adapters/persistence';
import { PermanentJobError, type JobContext } from '@palette/adapters/queue';
import { RepairReports, ReceiveInboundMessage } from '@palette/domain';
import { make } from '@palette/domain/testing';
import { SystemClock, UuidV7Generator } from '@palette/adapters/system';
import { reportRepairHandler } from '../src/handlers/report-repair.js';
import { openTestDatabase, type TestDatabase } from '../../adapters/test/support/databases.js';

const T0 = new Date('2026-03-01T22:30:00Z'); // 23:30 in Madrid: still 1 March there
const WS = '00000000-0000-7000-8000-0000000000a9';
const IG_USER = '17841455500119999';

const job = (data: unknown): JobContext => ({
  id: '00000000-0000-4000-8000-000000000009', queue: 'reports.repair', data, attempt: 1, orderingKey: null, createdAt: new Date(), signal: new AbortController().signal,
});

describe('the reports.repair handler (embedded PGlite)', () => {
  let db: TestDatabase;
  const repaired: unknown[] = [];
  const handler = () => reportRepairHandler(() => {
    const repos = createMikroOrmRepositories(db.database.orm);
    const store = createSqlReportStore(repos.uow);
    return new RepairReports({ store, source: store, workspaces: repos.workspaces, uow: repos.uow });
  }, (info) => repaired.push(info));
  const rows = async () => db.database.orm.em.fork().getConnection().execute<Array<{ day: string; metric: string; dimension: string; count: string | number }>>(
    `select to_char(day, 'YYYY-MM-DD') as day, metric, dimension, count from daily_metrics where workspace_id = '${WS}' order by day, metric, dimension`);

  beforeAll(async () => {
    db = await openTestDatabase('pglite', persistenceModule());
    const repos = createMikroOrmRepositories(db.database.orm);
    await repos.uow.run(async () => {
      const ws = make.workspace(WS, T0, { timezone: 'Europe/Madrid' });
      await repos.workspaces.save(ws);
      await repos.accounts.save(make.account('00000000-0000-7000-8000-0000000000b9', ws.id, IG_USER, T0));
    });
    const receive = new ReceiveInboundMessage({ ...createMikroOrmRepositories(db.database.orm), clock: new SystemClock(), ids: new UuidV7Generator() });
    await receive.execute({ igUserId: IG_USER, senderIgsid: '7432198865099999', platformMessageId: 'mid.r1', text: 'hola; ¿tenéis la talla M?', attachments: [], replyTo: null, sentAt: T0, entryPoint: 'ad_referral' });
  });
  afterAll(async () => {
    await db?.teardown();
  });

  it('rebuilds damaged aggregates for the range, in the workspace timezone, and is idempotent', async () => {
    const incremental = await rows();
    expect(incremental.map((r) => [r.day, r.metric])).toEqual([['2026-03-01', 'conversations.new'], ['2026-03-01', 'messages.inbound']]);
    await db.database.orm.em.fork().getConnection().execute(`update daily_metrics set count = 99 where workspace_id = '${WS}'`);
    await db.database.orm.em.fork().getConnection().execute(`insert into daily_metrics values ('${WS}', '2026-03-02', 'orders.confirmed', 'currency=EUR;entry=none;source=api', 5, 500)`);
    await handler()(job({ workspaceId: WS, fromDay: '2026-03-01', toDay: '2026-03-02' }));
    expect(await rows()).toEqual(incremental);
    await handler()(job({ workspaceId: WS, fromDay: '2026-03-01', toDay: '2026-03-02' }));
    expect(await rows()).toEqual(incremental);
    expect(repaired).toContainEqual({ workspaceId: WS, fromDay: '2026-03-01', toDay: '2026-03-02', metrics: 2, facts: 1 });
  });

  it('fails permanently on a bad payload, an unknown workspace or a refused range', async () => {
    await expect(handler()(job({ workspaceId: WS, fromDay: '2026-02-30', toDay: '2026-03-01' }))).rejects.toBeInstanceOf(PermanentJobError);
    await expect(handler()(job({ workspaceId: 'nope', fromDay: '2026-03-01', toDay: '2026-03-01' }))).rejects.toBeInstanceOf(PermanentJobError);
    await expect(handler()(job({ workspaceId: '00000000-0000-7000-8000-0000000000ff', fromDay: '2026-03-01', toDay: '2026-03-01' }))).rejects.toThrow(/Unknown workspace/);
    await expect(handler()(job({ workspaceId: WS, fromDay: '2026-03-05', toDay: '2026-03-01' }))).rejects.toThrow(/Invalid repair range/);
  });
});
