import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Ids } from '@palette/domain';
import { FakeClock, SequentialIds } from '@palette/domain/in-memory';
import { make } from '@palette/domain/testing';
import { createMikroOrmRepositories, createSqlExportStores, entities, ExportManifest, IN_MEMORY_DATA_DIR, migrations, openDatabase, readZip, type Database } from '@palette/adapters/persistence';
import { PermanentJobError, type JobContext } from '@palette/adapters/queue';
import { createWorkerLogger } from '../src/logger.js';
import { exportBundleHandler } from '../src/handlers/export-bundle.js';
import { privacyServicesFactory, retentionSweepHandler } from '../src/handlers/retention-sweep.js';
import { revocationDeletionHandler } from '../src/handlers/revocation-deletion.js';

const DAY = 86_400_000;
const job = (queue: string, data: unknown): JobContext => ({ id: 'job-1', queue, data, attempt: 1 } as JobContext);

describe('privacy job handlers (MikroORM on PGlite)', () => {
  let database: Database;
  const lines: string[] = [];
  const log = createWorkerLogger({ level: 'debug', destination: { write: (l: string) => void lines.push(l) } });
  const clock = new FakeClock('2026-04-01T10:00:00Z');
  const ids = new SequentialIds('0190c000');
  const TEXT = 'mi tarjeta es 4111 1111; token EAAG-secret';
  let ws: ReturnType<typeof Ids.workspace>;
  let accountId: string;
  let contactId: string;

  beforeAll(async () => {
    database = await openDatabase({ dataDir: IN_MEMORY_DATA_DIR, entities, migrations });
    await database.migrate();
    const r = createMikroOrmRepositories(database.orm);
    ws = Ids.workspace(ids.next());
    accountId = ids.next();
    contactId = ids.next();
    const conversationId = ids.next();
    const now = clock.now();
    await r.uow.run(async () => {
      await r.workspaces.save(make.workspace(ws, now));
      const account = make.account(accountId, ws, 'ig-jobs-1', now, ids.next());
      await r.accounts.save(account);
      await r.contacts.save(make.contact(contactId, ws, account.id, 'igsid-jobs-1', now));
      await r.conversations.save(make.conversation(conversationId, ws, account.id, Ids.contact(contactId), now));
      await r.messages.save(make.inbound(ids.next(), ws, account.id, Ids.conversation(conversationId), Ids.contact(contactId), 'mid-jobs-1', TEXT, now));
    });
  });
  afterAll(async () => { await database?.close(); });

  const services = () => privacyServicesFactory(database.orm, { clock, ids });
  const count = async (sql: string, params: unknown[]) => Number((await database.orm.em.fork().getConnection().execute(sql, params as never[]))[0]!.n);

  it('export-bundle builds the requested zip once; a duplicate job changes nothing', async () => {
    const r = createMikroOrmRepositories(database.orm);
    const stores = createSqlExportStores(r.uow);
    const requester = Ids.user(ids.next());
    const exportId = ids.next();
    await r.uow.run(() => stores.exports.request({ id: exportId, workspaceId: ws, requestedBy: requester, subject: { kind: 'contact', workspaceId: ws, contactId: Ids.contact(contactId) }, now: clock.now() }));
    const handler = exportBundleHandler(services(), log);
    await handler(job('privacy.export-bundle', { exportId }));
    const first = await createSqlExportStores(createMikroOrmRepositories(database.orm).uow).exports.download(exportId, requester, clock.now());
    expect(first).not.toBeNull();
    ExportManifest.parse(JSON.parse(readZip(Buffer.from(first!.zip)).get('manifest.json')!.toString('utf8')));
    await handler(job('privacy.export-bundle', { exportId }));
    const second = await createSqlExportStores(createMikroOrmRepositories(database.orm).uow).exports.download(exportId, requester, clock.now());
    expect(second!.record.sha256).toBe(first!.record.sha256);
  });

  it('revocation-deletion rejects a bad payload permanently and deletes the DMs of the account for a good one', async () => {
    const handler = revocationDeletionHandler(services(), log);
    await expect(handler(job('privacy.revocation-deletion', { workspaceId: 'nope' }))).rejects.toBeInstanceOf(PermanentJobError);
    await handler(job('privacy.revocation-deletion', { workspaceId: ws, accountId, requestId: null }));
    expect(await count('select count(*) as n from messages where account_id = ?', [accountId])).toBe(0);
    expect(await count("select count(*) as n from privacy_receipts where workspace_id = ? and kind = 'revocation'", [ws])).toBe(1);
  });

  it('the retention sweep job runs, writes a receipt, and its logs hold counts only: no text, no tokens', async () => {
    clock.advance(31 * DAY);
    await retentionSweepHandler(services(), log)(job('privacy.retention-sweep', {}));
    expect(await count("select count(*) as n from privacy_receipts where kind = 'retention'", [])).toBeGreaterThanOrEqual(1);
    const all = lines.join('\n');
    expect(all).toContain('retention sweep done');
    for (const secret of [TEXT, '4111', 'EAAG', 'igsid-jobs-1']) expect(all).not.toContain(secret);
  });
});
