import { describe, expect, it } from 'vitest';
import { DeleteWorkspace, Ids, verifyReceipt, type AiDecisionRecords, type ContactId, type ConversationId, type Repositories, type WorkspaceId } from '@palette/domain';
import { FakeClock, SequentialIds } from '@palette/domain/in-memory';
import {
  buildExportZip, createMikroOrmRepositories, createSqlExportStores, entities, ExportManifest, migrations, readZip, type Database,
} from '@palette/adapters/persistence';
import { describeOnPostgres, useTestDatabase, type TestDatabaseKind } from '../support/databases.js';
import { count, DAY, digest, privacy, reportSnapshot, seedWorkspace, sql } from './support.js';

const T0 = '2026-02-01T09:00:00.000Z';

/** Stands in for the assistant's records until it exists: what the port promises, in memory. */
class FakeAiRecords implements AiDecisionRecords {
  readonly rows: Array<{ id: string; ws: WorkspaceId; contactId: string; conversationId: string; decision: string }> = [];
  async deleteForConversations(ws: WorkspaceId, ids: readonly ConversationId[]) { return this.take((r) => r.ws === ws && ids.includes(r.conversationId as ConversationId)); }
  async deleteForContact(ws: WorkspaceId, contactId: ContactId) { return this.take((r) => r.ws === ws && r.contactId === contactId); }
  async listForContact(ws: WorkspaceId, contactId: ContactId) { return this.rows.filter((r) => r.ws === ws && r.contactId === contactId).map(({ id, decision }) => ({ id, decision })); }
  private take(match: (r: FakeAiRecords['rows'][number]) => boolean): string[] {
    const gone = this.rows.filter(match);
    for (const g of gone) this.rows.splice(this.rows.indexOf(g), 1);
    return gone.map((g) => g.id);
  }
}

function erasureSuite(kind: TestDatabaseKind): void {
  const db = useTestDatabase(kind, { entities, migrations });
  const database = (): Database => db().database;
  const repos = (): Repositories => createMikroOrmRepositories(database().orm);

  it('erases a contact: DMs, AI records and profile deleted, orders anonymised, receipt verifies, reports unchanged, a new message makes a fresh contact', async () => {
    const clock = new FakeClock(T0);
    const ids = new SequentialIds('0190b001');
    const seeded = await seedWorkspace(repos, ids, clock, 'ig-erase-1');
    const { buyer } = seeded.contacts;
    const ai = new FakeAiRecords();
    const aiRecordId = ids.next();
    ai.rows.push({ id: aiRecordId, ws: seeded.ws, contactId: buyer.id, conversationId: buyer.conversation, decision: 'suggested size M' });
    const reportsBefore = await reportSnapshot(database());

    const result = await privacy(database(), clock, ids, ai).erase.execute({ workspaceId: seeded.ws, contactId: Ids.contact(buyer.id), actor: { kind: 'user', id: ids.next() } });
    if (!result.ok) throw new Error('erasure failed');
    expect(await count(database(), 'messages', 'contact_id = ?', [buyer.id])).toBe(0);
    expect(await count(database(), 'conversations', 'contact_id = ?', [buyer.id])).toBe(0);
    expect(await count(database(), 'contacts', 'id = ?', [buyer.id])).toBe(0);
    expect(ai.rows).toEqual([]);
    const [order] = await sql<Record<string, unknown>>(database(), 'select contact_id, customer_name, shipping_address, anonymized_at, total_amount_minor from orders where id = ?', [seeded.orderId]);
    expect(order).toMatchObject({ contact_id: null, customer_name: null, shipping_address: null });
    expect(Number(order!.total_amount_minor)).toBe(5000);

    const receipt = result.value.receipt;
    expect(receipt.counts).toMatchObject({ messages: 2, conversations: 1, ai_records: 1, orders_anonymized: 1, contacts_deleted: 1, report_contact_facts: 1 });
    const audit = await sql(database(), 'select * from audit_entries where action = ? and target_id = ?', ['contact.erased', buyer.id]);
    expect(audit).toHaveLength(1);
    expect(JSON.stringify(audit)).not.toMatch(/Lucía|hola|igsid|Calle/);
    const removed = [
      ...buyer.messages.map((m) => `messages:${m}`), `conversations:${buyer.conversation}`, `orders_anonymized:${seeded.orderId}`, `contacts_deleted:${buyer.id}`,
      `ai_records:${aiRecordId}`, `report_contact_facts:${buyer.id}/1`,
    ];
    expect(verifyReceipt(receipt, removed, digest)).toBe(true);
    expect(verifyReceipt(receipt, removed.slice(0, -1), digest)).toBe(false);
    const request = await repos().requests.get(seeded.ws, result.value.requestId);
    expect(request).toMatchObject({ status: 'completed', receiptId: receipt.id, type: 'erasure' });

    // The Instagram id went with the contact: the same customer writing again is a stranger.
    expect(await repos().contacts.findByIgsid(Ids.instagramAccount(seeded.accountId), `igsid-${buyer.id}`)).toBeNull();
    // Aggregates stay; the erased contact's pseudonymous day facts go with them (and only theirs).
    const before = JSON.parse(reportsBefore) as { rows: unknown[]; facts: unknown[] };
    const after = JSON.parse(await reportSnapshot(database())) as { rows: unknown[]; facts: unknown[] };
    expect(after.rows).toEqual(before.rows);
    expect(after.facts).toHaveLength(before.facts.length - 1);
  });

  it('revocation deletion: every contact of the account loses DMs and profile, orders kept, request completed once', async () => {
    const clock = new FakeClock(T0);
    const ids = new SequentialIds('0190b002');
    const seeded = await seedWorkspace(repos, ids, clock, 'ig-revoke-1');
    // What Meta's data-deletion callback leaves behind: a pending request the status page reads.
    const request = { id: ids.next() };
    await sql(database(), `insert into instagram_deletion_requests (id, confirmation_code, kind, workspace_id, account_id, status, requested_at)
      values (?, ?, 'data_deletion', ?, ?, 'pending', ?)`, [request.id, `code-${request.id}`, seeded.ws, seeded.accountId, clock.now()]);
    const reportsBefore = await reportSnapshot(database());

    clock.advance(3600_000);
    const done = await privacy(database(), clock, ids).revocation.execute({ workspaceId: seeded.ws, accountId: Ids.instagramAccount(seeded.accountId), requestId: request.id, batchSize: 1 });
    expect(done.contacts).toBe(3);
    expect(await count(database(), 'messages', 'account_id = ?', [seeded.accountId])).toBe(0);
    expect(await count(database(), 'conversations', 'account_id = ?', [seeded.accountId])).toBe(0);
    expect(await count(database(), 'contacts', 'account_id = ? and (igsid is not null or username is not null or display_name is not null)', [seeded.accountId])).toBe(0);
    expect(await count(database(), 'contacts', 'account_id = ?', [seeded.accountId])).toBe(1); // the buyer's token, for the order
    expect(await count(database(), 'orders', 'id = ? and contact_id is not null', [seeded.orderId])).toBe(1);
    const [status] = await sql(database(), 'select status, completed_at from instagram_deletion_requests where id = ?', [request.id]);
    expect(status).toMatchObject({ status: 'complete' });
    expect(await count(database(), 'privacy_receipts', "id = ? and kind = 'revocation'", [done.receipt!.id])).toBe(1);
    expect(done.receipt!.counts).toMatchObject({ messages: 6, conversations: 3, contacts_deleted: 2, contacts_anonymized: 1 });

    // A redelivered job finds nothing left: it removes nothing and counts nothing.
    const again = await privacy(database(), clock, ids).revocation.execute({ workspaceId: seeded.ws, accountId: Ids.instagramAccount(seeded.accountId), requestId: request.id });
    expect(again.contacts).toBe(0);
    expect(again.receipt!.counts).toEqual({});
    expect(await reportSnapshot(database())).toBe(reportsBefore);
  });

  it('deletes a workspace for its owner: token destroyed first, every tenant row gone, an instance-wide receipt kept', async () => {
    const clock = new FakeClock(T0);
    const ids = new SequentialIds('0190b004');
    const seeded = await seedWorkspace(repos, ids, clock, 'ig-delete-ws');
    const [account] = await sql<{ token_ref: string }>(database(), 'select token_ref from instagram_accounts where id = ?', [seeded.accountId]);
    await sql(database(), `insert into secrets (id, workspace_id, purpose, key_id, ciphertext, aad, created_at) values (?, ?, 'instagram_token', 'k1', 'CIPHERTEXT', 'aad', ?)`,
      [account!.token_ref, seeded.ws, clock.now()]);
    const p = privacy(database(), clock, ids);
    const receipt = await new DeleteWorkspace({ ...p.repos, store: p.store, clock, ids, digest }).execute({ workspaceId: seeded.ws, actor: { kind: 'user', id: ids.next() } });
    for (const table of ['workspaces', 'secrets', 'instagram_accounts', 'contacts', 'conversations', 'messages', 'orders', 'daily_metrics', 'report_contact_days']) {
      expect(await count(database(), table, table === 'workspaces' ? 'id = ?' : 'workspace_id = ?', [seeded.ws]), table).toBe(0);
    }
    expect(receipt.counts).toMatchObject({ secrets: 1, messages: 6, conversations: 3, contacts_deleted: 3, orders_deleted: 1, workspaces: 1 });
    expect(await count(database(), 'privacy_receipts', 'id = ? and workspace_id is null', [receipt.id])).toBe(1);
  });

  it('export bundle of a contact: every class present, manifest validates, CRCs check, only the requester downloads it, gone after 7 days', async () => {
    const clock = new FakeClock(T0);
    const ids = new SequentialIds('0190b003');
    const seeded = await seedWorkspace(repos, ids, clock, 'ig-export-1');
    const requester = Ids.user(ids.next());
    const exportId = ids.next();
    const r = repos();
    const stores = createSqlExportStores(r.uow);
    await r.uow.run(() => stores.exports.request({ id: exportId, workspaceId: seeded.ws, requestedBy: requester, subject: { kind: 'contact', workspaceId: seeded.ws, contactId: Ids.contact(seeded.contacts.buyer.id) }, now: clock.now() }));
    expect(await stores.exports.download(exportId, requester, clock.now())).toBeNull(); // still pending
    // The privacy centre lists the workspace's exports from the store itself, newest first.
    expect((await stores.exports.listByWorkspace(seeded.ws, 10)).map((e) => [e.id, e.status])).toEqual([[exportId, 'pending']]);
    expect(await stores.exports.listByWorkspace(Ids.workspace(ids.next()), 10)).toEqual([]);

    await r.uow.run(async () => {
      const record = await stores.exports.claim(exportId);
      const sections = await stores.reader.contactSections(seeded.ws, Ids.contact(seeded.contacts.buyer.id), [{ id: 'ai-1', decision: 'suggested size M' }]);
      const { zip } = buildExportZip('contact', sections!, clock.now(), record!.expiresAt);
      await stores.exports.complete(exportId, zip, clock.now());
    });
    const again = createSqlExportStores(repos().uow).exports;
    const download = await again.download(exportId, requester, clock.now());
    expect(download).not.toBeNull();
    const files = readZip(download!.zip);
    const manifest = ExportManifest.parse(JSON.parse(files.get('manifest.json')!.toString('utf8')));
    expect(manifest.files.map((f) => f.dataClass).sort()).toEqual(['ai_decisions', 'consent_ledger', 'contact_profile', 'conversations', 'messages', 'orders', 'orders'].sort());
    for (const f of manifest.files) expect(files.has(f.name)).toBe(true);
    expect(files.has('README.txt')).toBe(true);
    const messages = JSON.parse(files.get('messages.json')!.toString('utf8')) as Array<{ text: string }>;
    expect(messages.map((m) => m.text)).toContain('hola; "¿tienes talla M?" 👗');
    expect(manifest.files.find((f) => f.name === 'messages.json')!.records).toBe(2);
    expect(files.get('orders.csv')!.toString('utf8')).toContain('"Lucía Pérez"');

    expect(await again.download(exportId, Ids.user(ids.next()), clock.now())).toBeNull();
    clock.advance(7 * DAY);
    expect(await again.download(exportId, requester, clock.now())).toBeNull();
    await privacy(database(), clock, ids).sweep.execute();
    expect(await count(database(), 'privacy_exports', 'id = ?', [exportId])).toBe(0);
  });
}

describe('erasure, revocation and export [PGlite]', () => erasureSuite('pglite'));
describeOnPostgres('erasure, revocation and export', () => erasureSuite('postgresql'));
