import type * as D from '../src/index.js';
import type { InMemoryDatabase } from './database.js';

type Ws = D.WorkspaceId;
interface ExportRow { record: D.ExportRecord; zip: Uint8Array | null }

/**
 * Erasure, exports and the contacts list in memory, so an app (and the route walks) can run the
 * privacy routes without a database. The retention sweep itself runs on SQL only.
 */
export class InMemoryPrivacyStores implements D.ErasureStore, D.ExportStore, D.ContactDirectory {
  constructor(private readonly db: InMemoryDatabase) {}

  async eraseContact(ws: Ws, contactId: D.ContactId, now: Date): Promise<D.RemovedIds> {
    const dms = this.dropDms(ws, (x) => x.contactId === contactId);
    const orders = this.db.scan<D.Order>('orders', (o) => o.workspaceId === ws && o.contactId === contactId && o.anonymizedAt === null);
    for (const o of orders) { o.anonymize(now); this.db.write('orders', o.id, o); }
    const contact = this.db.read<D.Contact>('contacts', contactId);
    if (contact && contact.workspaceId === ws) this.db.remove('contacts', contactId);
    return { ...dms, orders_anonymized: orders.map((o) => o.id), contacts_deleted: contact && contact.workspaceId === ws ? [contactId] : [] };
  }

  async eraseAccountContacts(ws: Ws, accountId: D.InstagramAccountId, now: Date, limit: number) {
    const hasConversation = (id: string) => this.db.scan<D.Conversation>('conversations', (c) => c.contactId === id).length > 0;
    const due = this.db.scan<D.Contact>('contacts', (c) => c.workspaceId === ws && c.accountId === accountId && (!c.isAnonymized || hasConversation(c.id)))
      .sort((a, b) => a.id.localeCompare(b.id)).slice(0, limit);
    const ids = new Set<string>(due.map((c) => c.id));
    const dms = this.dropDms(ws, (x) => ids.has(x.contactId));
    const deleted: string[] = [];
    const anonymized: string[] = [];
    for (const c of due) {
      if (this.db.scan<D.Order>('orders', (o) => o.contactId === c.id).length > 0) {
        if (!c.isAnonymized) { c.anonymize(now); this.db.write('contacts', c.id, c); anonymized.push(c.id); }
      } else { this.db.remove('contacts', c.id); deleted.push(c.id); }
    }
    return { removed: { ...dms, contacts_deleted: deleted, contacts_anonymized: anonymized }, contacts: due.length };
  }

  async eraseUserRecords(userId: D.UserId, email: string): Promise<D.RemovedIds> {
    const sessions = this.db.scan<D.Session>('sessions', (s) => s.userId === userId);
    for (const s of sessions) this.db.remove('sessions', s.id);
    const tokens = this.db.scan<D.PasswordResetToken>('password_reset_tokens', (t) => t.userId === userId);
    for (const t of tokens) this.db.remove('password_reset_tokens', t.tokenHash);
    const mail = this.db.scan<D.OutboxMail>('mail_outbox', (m) => m.to === email);
    for (const m of mail) this.db.remove('mail_outbox', m.id);
    const exports = this.db.scan<ExportRow>('privacy_exports', (e) => e.record.requestedBy === userId);
    for (const e of exports) this.db.remove('privacy_exports', e.record.id);
    return { sessions: sessions.map((s) => s.id), password_reset_tokens: tokens.map((t) => t.tokenHash), mail_outbox: mail.map((m) => m.id), exports: exports.map((e) => e.record.id) };
  }

  async deleteWorkspace(ws: Ws): Promise<D.RemovedIds> {
    const drop = (table: string, keyOf: (row: Record<string, unknown>) => string = (r) => String(r.id)) => {
      const rows = this.db.scan<Record<string, unknown>>(table, (r) => r.workspaceId === ws);
      for (const r of rows) this.db.remove(table, keyOf(r));
      return rows.map(keyOf);
    };
    const removed = {
      messages: drop('messages'), conversations: drop('conversations'), contacts_deleted: drop('contacts'), orders_deleted: drop('orders'), memberships: drop('memberships'),
    };
    for (const table of ['instagram_accounts', 'secrets', 'products', 'variants', 'invitations', 'data_subject_requests', 'privacy_receipts', 'audit_entries']) drop(table);
    drop('stock_levels', (r) => String(r.variantId));
    const workspace = this.db.read<{ id: string }>('workspaces', ws);
    if (workspace) this.db.remove('workspaces', ws);
    return { ...removed, workspaces: workspace ? [ws] : [] };
  }

  private dropDms(ws: Ws, match: (x: { contactId: string }) => boolean): D.RemovedIds {
    const messages = this.db.scan<D.Message>('messages', (m) => m.workspaceId === ws && match(m));
    for (const m of messages) this.db.remove('messages', m.id);
    const conversations = this.db.scan<D.Conversation>('conversations', (c) => c.workspaceId === ws && match(c));
    for (const c of conversations) this.db.remove('conversations', c.id);
    return { messages: messages.map((m) => m.id), conversations: conversations.map((c) => c.id) };
  }

  async request(input: { id: string; workspaceId: Ws | null; requestedBy: D.UserId; subject: D.ExportSubject; now: Date }): Promise<D.ExportRecord> {
    const record: D.ExportRecord = {
      id: input.id, workspaceId: input.workspaceId, requestedBy: input.requestedBy, subject: input.subject, status: 'pending', byteSize: null, sha256: null,
      createdAt: input.now, completedAt: null, expiresAt: new Date(input.now.getTime() + 7 * 86_400_000),
    };
    this.db.write<ExportRow>('privacy_exports', input.id, { record, zip: null });
    return record;
  }

  async get(id: string) { return this.db.read<ExportRow>('privacy_exports', id)?.record ?? null; }

  async listByWorkspace(ws: D.WorkspaceId, limit: number) {
    return this.db.scan<ExportRow>('privacy_exports', (r) => r.record.workspaceId === ws).map((r) => r.record)
      .sort((a, b) => b.createdAt.getTime() - a.createdAt.getTime() || (a.id < b.id ? 1 : a.id > b.id ? -1 : 0)).slice(0, limit);
  }

  async download(id: string, requestedBy: D.UserId, now: Date) {
    const row = this.db.read<ExportRow>('privacy_exports', id);
    if (!row || row.zip === null || row.record.status !== 'ready' || row.record.requestedBy !== requestedBy || row.record.expiresAt.getTime() <= now.getTime()) return null;
    return { record: row.record, zip: row.zip };
  }

  /** What the worker does on SQL; here for tests that need a ready export. */
  complete(id: string, zip: Uint8Array, sha256: string, now: Date): void {
    const row = this.db.read<ExportRow>('privacy_exports', id);
    if (!row) return;
    this.db.write<ExportRow>('privacy_exports', id, { record: { ...row.record, status: 'ready', byteSize: zip.length, sha256, completedAt: now }, zip });
  }

  async list(ws: Ws, after: D.ContactId | null, limit: number) {
    return this.db.scan<D.Contact>('contacts', (c) => c.workspaceId === ws && (after === null || c.id > after)).sort((a, b) => a.id.localeCompare(b.id)).slice(0, limit);
  }
}
