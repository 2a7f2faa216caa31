import {
  Ids, type BatchOutcome, type ContactId, type ErasureStore, type InstagramAccountId, type RemovedIds, type RetentionOverrides, type RetentionStore,
  type UnitOfWork, type UserId, type WorkspaceId, type WorkspaceRetention,
} from '@palette/domain';
import { MikroOrmSession } from '../persistence/mikro-orm-repositories.js';

/* eslint-disable @typescript-eslint/no-explicit-any */
type Row = Record<string, any>;

const marks = (values: readonly unknown[]): string => values.map(() => '?').join(', ');
const ids = (rows: readonly Row[], column = 'id'): string[] => rows.map((r) => String(r[column]));

/**
 * Order anonymisation as one UPDATE, mirroring `Order.anonymize` (identifiers and free text go,
 * contact actors lose their id) and adding the random token: orders of one contact share a token
 * drawn per batch, so repeat purchases stay countable without pointing at anyone.
 */
const ANONYMIZE_ORDERS = (n: number) => `
update orders o set
  customer_token = case when t.contact_id is null then null else t.token end,
  contact_id = null, conversation_id = null, customer_name = null, shipping_address = null, notes = null,
  history = (select coalesce(jsonb_agg(
      (case when h->'actor'->>'kind' = 'contact' then jsonb_set(h, '{actor}', '{"kind":"contact"}'::jsonb) else h end) || '{"note":null}'::jsonb
      order by ord), '[]'::jsonb) from jsonb_array_elements(o.history) with ordinality as e(h, ord)),
  anonymized_at = ?, updated_at = ?, version = o.version + 1
from (select contact_id, gen_random_uuid() as token from orders where id in (${'?, '.repeat(n - 1)}?) group by contact_id) t
where o.id in (${'?, '.repeat(n - 1)}?) and o.contact_id is not distinct from t.contact_id
returning o.id`;

/**
 * The retention and erasure stores in SQL, over the unit of work of a `createMikroOrmRepositories`
 * set. Every batch first takes a transaction-scoped advisory lock for its class and workspace
 * with `pg_try_…`: a second sweeper never waits for it (no lock storms) and never sees the same rows.
 */
export class SqlPrivacyStore implements RetentionStore, ErasureStore {
  constructor(private readonly s: MikroOrmSession) {}

  private async claim(cls: string, scope: string): Promise<boolean> {
    const rows = await this.s.execute<Row[]>('select pg_try_advisory_xact_lock(hashtext(?), hashtext(?)) as got', [`palette.retention.${cls}`, scope]);
    return rows[0]?.got === true;
  }

  private async locked(cls: string, scope: string, work: () => Promise<{ removed: RemovedIds; rows: number }>): Promise<BatchOutcome> {
    if (!(await this.claim(cls, scope))) return { busy: true };
    return { busy: false, ...(await work()) };
  }

  private async deleteReturning(cls: string, scope: string, key: string, sql: string, params: unknown[]): Promise<BatchOutcome> {
    return this.locked(cls, scope, async () => {
      const rows = await this.s.execute<Row[]>(sql, params);
      return { removed: { [cls]: ids(rows, key) }, rows: rows.length };
    });
  }

  async listWorkspaces(after: WorkspaceId | null, limit: number): Promise<WorkspaceRetention[]> {
    const rows = after === null
      ? await this.s.execute<Row[]>('select id, retention from workspaces order by id limit ?', [limit])
      : await this.s.execute<Row[]>('select id, retention from workspaces where id > ? order by id limit ?', [after, limit]);
    return rows.map((r) => ({ workspaceId: Ids.workspace(r.id), overrides: overridesFrom(r.retention) }));
  }

  sweepConversations(ws: WorkspaceId, cutoff: Date, limit: number): Promise<BatchOutcome> {
    return this.locked('messages', ws, async () => {
      const due = ids(await this.s.execute<Row[]>(
        'select id from conversations where workspace_id = ? and last_interaction_at <= ? order by last_interaction_at, id limit ? for update skip locked', [ws, cutoff, limit]));
      if (due.length === 0) return { removed: {}, rows: 0 };
      return { removed: await this.deleteConversations(ws, due), rows: due.length };
    });
  }

  private async deleteConversations(ws: WorkspaceId, conversationIds: readonly string[]): Promise<RemovedIds> {
    if (conversationIds.length === 0) return {};
    const messages = await this.s.execute<Row[]>(`delete from messages where workspace_id = ? and conversation_id in (${marks(conversationIds)}) returning id`, [ws, ...conversationIds]);
    const conversations = await this.s.execute<Row[]>(`delete from conversations where workspace_id = ? and id in (${marks(conversationIds)}) returning id`, [ws, ...conversationIds]);
    return { messages: ids(messages), conversations: ids(conversations) };
  }

  sweepContacts(ws: WorkspaceId, cutoff: Date, now: Date, limit: number): Promise<BatchOutcome> {
    return this.locked('contact_profiles', ws, async () => {
      const rows = await this.s.execute<Row[]>(
        `select c.id, exists (select 1 from orders o where o.contact_id = c.id) as has_orders from contacts c
         where c.workspace_id = ? and c.last_interaction_at <= ?
           and not exists (select 1 from conversations v where v.contact_id = c.id)
           and (c.anonymized_at is null or not exists (select 1 from orders o where o.contact_id = c.id))
         order by c.last_interaction_at, c.id limit ? for update of c skip locked`, [ws, cutoff, limit]);
      const removed = await this.removeContacts(ws, rows, now);
      return { removed, rows: rows.length };
    });
  }

  /** Contacts without orders are deleted; with orders they keep only their random id. */
  private async removeContacts(ws: WorkspaceId, rows: readonly Row[], now: Date): Promise<RemovedIds> {
    const doomed = rows.filter((r) => !r.has_orders).map((r) => String(r.id));
    const kept = rows.filter((r) => r.has_orders).map((r) => String(r.id));
    const deleted = doomed.length
      ? ids(await this.s.execute<Row[]>(`delete from contacts where workspace_id = ? and id in (${marks(doomed)}) returning id`, [ws, ...doomed]))
      : [];
    const anonymized = kept.length
      ? ids(await this.s.execute<Row[]>(
        `update contacts set igsid = null, username = null, display_name = null, consent_ledger = '[]'::jsonb, anonymized_at = coalesce(anonymized_at, ?),
           updated_at = ?, version = version + 1 where workspace_id = ? and id in (${marks(kept)}) and anonymized_at is null returning id`, [now, now, ws, ...kept]))
      : [];
    return { contacts_deleted: deleted, contacts_anonymized: anonymized };
  }

  anonymizeOrders(ws: WorkspaceId, cutoff: Date, now: Date, limit: number): Promise<BatchOutcome> {
    return this.locked('orders', ws, async () => {
      const due = ids(await this.s.execute<Row[]>(
        `select id from orders where workspace_id = ? and anonymized_at is null and coalesce(completed_at, created_at) <= ?
         order by coalesce(completed_at, created_at), id limit ? for update skip locked`, [ws, cutoff, limit]));
      const done = await this.anonymizeOrderIds(due, now);
      return { removed: { orders_anonymized: done }, rows: due.length };
    });
  }

  private async anonymizeOrderIds(orderIds: readonly string[], now: Date): Promise<string[]> {
    if (orderIds.length === 0) return [];
    return ids(await this.s.execute<Row[]>(ANONYMIZE_ORDERS(orderIds.length), [now, now, ...orderIds, ...orderIds]));
  }

  deleteAuditEntries(ws: WorkspaceId | null, cutoff: Date, limit: number): Promise<BatchOutcome> {
    const scope = ws === null ? 'workspace_id is null' : 'workspace_id = ?';
    return this.deleteReturning('audit_entries', ws ?? '-', 'id',
      `delete from audit_entries where id in (select id from audit_entries where ${scope} and at <= ? order by at, id limit ? for update skip locked) returning id`,
      ws === null ? [cutoff, limit] : [ws, cutoff, limit]);
  }

  deleteReceipts(ws: WorkspaceId | null, cutoff: Date, limit: number): Promise<BatchOutcome> {
    const scope = ws === null ? 'workspace_id is null' : 'workspace_id = ?';
    return this.deleteReturning('receipts', ws ?? '-', 'id',
      `delete from privacy_receipts where id in (select id from privacy_receipts where ${scope} and created_at <= ? order by created_at, id limit ? for update skip locked) returning id`,
      ws === null ? [cutoff, limit] : [ws, cutoff, limit]);
  }

  deleteExpiredExports(now: Date, limit: number): Promise<BatchOutcome> {
    return this.deleteReturning('exports', '-', 'id',
      'delete from privacy_exports where id in (select id from privacy_exports where expires_at <= ? order by expires_at, id limit ? for update skip locked) returning id', [now, limit]);
  }

  deleteSessions(cutoff: Date, limit: number): Promise<BatchOutcome> {
    return this.deleteReturning('sessions', '-', 'token_hash',
      `delete from sessions where token_hash in (select token_hash from sessions where revoked_at <= ? or absolute_expires_at <= ? or idle_expires_at <= ?
         limit ? for update skip locked) returning token_hash`, [cutoff, cutoff, cutoff, limit]);
  }

  deletePasswordResetTokens(cutoff: Date, limit: number): Promise<BatchOutcome> {
    return this.deleteReturning('password_reset_tokens', '-', 'token_hash',
      `delete from password_reset_tokens where token_hash in (select token_hash from password_reset_tokens where expires_at <= ? or used_at <= ?
         limit ? for update skip locked) returning token_hash`, [cutoff, cutoff, limit]);
  }

  deleteMailOutbox(cutoff: Date, limit: number): Promise<BatchOutcome> {
    return this.deleteReturning('mail_outbox', '-', 'id',
      'delete from mail_outbox where id in (select id from mail_outbox where created_at <= ? order by created_at, id limit ? for update skip locked) returning id', [cutoff, limit]);
  }

  deleteIdempotencyRecords(now: Date, limit: number): Promise<BatchOutcome> {
    return this.deleteReturning('idempotency_records', '-', 'ref',
      `delete from idempotency_keys where (workspace_id, route, key) in (select workspace_id, route, key from idempotency_keys where expires_at <= ?
         order by expires_at limit ? for update skip locked) returning workspace_id || ' ' || route || ' ' || key as ref`, [now, limit]);
  }

  async eraseContact(ws: WorkspaceId, contactId: ContactId, now: Date): Promise<RemovedIds> {
    const conversations = ids(await this.s.execute<Row[]>('select id from conversations where workspace_id = ? and contact_id = ? for update', [ws, contactId]));
    const stray = await this.s.execute<Row[]>('delete from messages where workspace_id = ? and contact_id = ? returning id', [ws, contactId]);
    const dms = await this.deleteConversations(ws, conversations);
    const orderIds = ids(await this.s.execute<Row[]>('select id from orders where workspace_id = ? and contact_id = ? for update', [ws, contactId]));
    const orders = await this.anonymizeOrderIds(orderIds, now);
    const contact = ids(await this.s.execute<Row[]>('delete from contacts where workspace_id = ? and id = ? returning id', [ws, contactId]));
    return { ...dms, messages: [...ids(stray), ...(dms.messages ?? [])], orders_anonymized: orders, contacts_deleted: contact };
  }

  async eraseAccountContacts(ws: WorkspaceId, accountId: InstagramAccountId, now: Date, limit: number): Promise<{ removed: RemovedIds; contacts: number }> {
    const rows = await this.s.execute<Row[]>(
      `select c.id, exists (select 1 from orders o where o.contact_id = c.id) as has_orders from contacts c
       where c.workspace_id = ? and c.account_id = ? and (c.anonymized_at is null or exists (select 1 from conversations v where v.contact_id = c.id))
       order by c.id limit ? for update of c skip locked`, [ws, accountId, limit]);
    if (rows.length === 0) return { removed: {}, contacts: 0 };
    const contactIds = rows.map((r) => String(r.id));
    const conversations = ids(await this.s.execute<Row[]>(`select id from conversations where workspace_id = ? and contact_id in (${marks(contactIds)})`, [ws, ...contactIds]));
    const stray = await this.s.execute<Row[]>(`delete from messages where workspace_id = ? and contact_id in (${marks(contactIds)}) returning id`, [ws, ...contactIds]);
    const dms = await this.deleteConversations(ws, conversations);
    const contacts = await this.removeContacts(ws, rows, now);
    return { removed: { ...dms, messages: [...ids(stray), ...(dms.messages ?? [])], ...contacts }, contacts: rows.length };
  }

  async deleteWorkspace(ws: WorkspaceId): Promise<RemovedIds> {
    const list = async (table: string) => ids(await this.s.execute<Row[]>(`select id from ${table} where workspace_id = ?`, [ws]));
    const removed = {
      messages: await list('messages'), conversations: await list('conversations'), contacts_deleted: await list('contacts'),
      orders_deleted: await list('orders'), memberships: await list('memberships'), exports: await list('privacy_exports'),
    };
    // Foreign keys cascade from workspaces to every tenant table.
    const gone = await this.s.execute<Row[]>('delete from workspaces where id = ? returning id', [ws]);
    return { ...removed, workspaces: ids(gone) };
  }

  async eraseUserRecords(userId: UserId, email: string): Promise<RemovedIds> {
    const sessions = await this.s.execute<Row[]>('delete from sessions where user_id = ? returning token_hash', [userId]);
    const tokens = await this.s.execute<Row[]>('delete from password_reset_tokens where user_id = ? returning token_hash', [userId]);
    const mail = await this.s.execute<Row[]>('delete from mail_outbox where to_address = ? returning id', [email]);
    const exports = await this.s.execute<Row[]>('delete from privacy_exports where requested_by = ? returning id', [userId]);
    return { sessions: ids(sessions, 'token_hash'), password_reset_tokens: ids(tokens, 'token_hash'), mail_outbox: ids(mail), exports: ids(exports) };
  }
}

function overridesFrom(value: unknown): RetentionOverrides {
  const parsed = typeof value === 'string' ? JSON.parse(value) : value;
  if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) return {};
  return Object.fromEntries(Object.entries(parsed as Record<string, unknown>).filter(([, v]) => typeof v === 'number')) as RetentionOverrides;
}

/** The store over the unit of work of a `createMikroOrmRepositories` set. */
export function createSqlPrivacyStore(uow: UnitOfWork): SqlPrivacyStore {
  if (!(uow instanceof MikroOrmSession)) throw new TypeError('createSqlPrivacyStore needs the unit of work of createMikroOrmRepositories');
  return new SqlPrivacyStore(uow);
}
