import { createHash } from 'node:crypto';
import { z } from 'zod';
import { Contact, EXPORT_TTL_DAYS, type ContactDirectory, type ContactId, type ExportRecord, type ExportStore, type ExportSubject, type UnitOfWork, type UserId, type WorkspaceId } from '@palette/domain';
import { MikroOrmSession } from '../persistence/mikro-orm-repositories.js';
import { createZip } from './zip.js';

/* eslint-disable @typescript-eslint/no-explicit-any */
type Row = Record<string, any>;

export const EXPORT_FORMAT = 'palette-export/v1';

/** The manifest every bundle carries at `manifest.json`; documented in docs/privacy/export-format.md. */
export const ExportManifest = z.object({
  format: z.literal(EXPORT_FORMAT),
  subject: z.enum(['contact', 'user']),
  createdAt: z.iso.datetime(),
  expiresAt: z.iso.datetime(),
  files: z.array(z.object({
    name: z.string().regex(/^[a-z_]+\.(json|csv)$/),
    dataClass: z.string(),
    records: z.number().int().nonnegative(),
    sha256: z.string().regex(/^[0-9a-f]{64}$/),
  })),
}).strict();
export type ExportManifest = z.infer<typeof ExportManifest>;

/** One data class of a bundle: JSON always; orders also as CSV for spreadsheets. */
export interface ExportSection {
  readonly dataClass: string;
  readonly file: string;
  readonly records: ReadonlyArray<Record<string, unknown>>;
}

const iso = (v: unknown): string | null => (v === null || v === undefined ? null : new Date(v as string).toISOString());
const parsed = (v: unknown): unknown => (typeof v === 'string' && /^[[{]/.test(v) ? JSON.parse(v) : v);

/** Reads what a bundle holds, straight from the tables, in the caller's unit of work. */
export class SqlExportReader {
  constructor(private readonly s: MikroOrmSession) {}

  async contactSections(ws: WorkspaceId, contactId: ContactId, aiRecords: ReadonlyArray<Record<string, unknown>>): Promise<ExportSection[] | null> {
    const [contact] = await this.s.execute<Row[]>('select * from contacts where workspace_id = ? and id = ?', [ws, contactId]);
    if (!contact) return null;
    const conversations = await this.s.execute<Row[]>('select * from conversations where workspace_id = ? and contact_id = ? order by created_at, id', [ws, contactId]);
    const messages = await this.s.execute<Row[]>('select * from messages where workspace_id = ? and contact_id = ? order by sent_at, id', [ws, contactId]);
    const orders = await this.s.execute<Row[]>('select * from orders where workspace_id = ? and contact_id = ? order by created_at, id', [ws, contactId]);
    return [
      { dataClass: 'contact_profile', file: 'profile.json', records: [{
        id: contact.id, instagramScopedId: contact.igsid, username: contact.username, displayName: contact.display_name, restrictions: parsed(contact.restrictions),
        lastInteractionAt: iso(contact.last_interaction_at), createdAt: iso(contact.created_at),
      }] },
      { dataClass: 'consent_ledger', file: 'consent.json', records: (parsed(contact.consent_ledger) as Record<string, unknown>[]) ?? [] },
      { dataClass: 'conversations', file: 'conversations.json', records: conversations.map((c) => ({
        id: c.id, entryPoint: c.entry_point, owner: c.owner, lastInteractionAt: iso(c.last_interaction_at), createdAt: iso(c.created_at),
      })) },
      { dataClass: 'messages', file: 'messages.json', records: messages.map((m) => ({
        id: m.id, conversationId: m.conversation_id, direction: m.direction, author: m.author_kind, text: m.text, attachments: parsed(m.attachments),
        reactions: parsed(m.reactions), replyTo: m.reply_to, sentAt: iso(m.sent_at), editedAt: iso(m.edited_at), deletedAt: iso(m.deleted_at),
      })) },
      { dataClass: 'orders', file: 'orders.json', records: orders.map(orderRecord) },
      { dataClass: 'ai_decisions', file: 'ai_decisions.json', records: aiRecords },
    ];
  }

  async userSections(userId: UserId): Promise<ExportSection[] | null> {
    const [user] = await this.s.execute<Row[]>('select * from users where id = ? and erased_at is null', [userId]);
    if (!user) return null;
    const memberships = await this.s.execute<Row[]>(
      'select m.workspace_id, w.name as workspace_name, m.role, m.created_at from memberships m join workspaces w on w.id = m.workspace_id where m.user_id = ? order by m.created_at', [userId]);
    const sessions = await this.s.execute<Row[]>('select created_at, last_seen_at, idle_expires_at, absolute_expires_at, revoked_at from sessions where user_id = ? order by created_at', [userId]);
    const audit = await this.s.execute<Row[]>('select id, workspace_id, action, target_type, target_id, at, details from audit_entries where actor_id = ? order by at, id', [userId]);
    return [
      { dataClass: 'account', file: 'account.json', records: [{ id: user.id, name: user.name, email: user.email, createdAt: iso(user.created_at), updatedAt: iso(user.updated_at) }] },
      { dataClass: 'preferences', file: 'preferences.json', records: [(parsed(user.preferences) as Record<string, unknown>) ?? {}] },
      { dataClass: 'memberships', file: 'memberships.json', records: memberships.map((m) => ({ workspaceId: m.workspace_id, workspaceName: m.workspace_name, role: m.role, since: iso(m.created_at) })) },
      { dataClass: 'sessions', file: 'sessions.json', records: sessions.map((x) => ({
        createdAt: iso(x.created_at), lastSeenAt: iso(x.last_seen_at), idleExpiresAt: iso(x.idle_expires_at), absoluteExpiresAt: iso(x.absolute_expires_at), revokedAt: iso(x.revoked_at),
      })) },
      { dataClass: 'audit_of_my_actions', file: 'audit.json', records: audit.map((a) => ({
        id: a.id, workspaceId: a.workspace_id, action: a.action, target: a.target_type ? { type: a.target_type, id: a.target_id } : null, at: iso(a.at), details: parsed(a.details),
      })) },
    ];
  }
}

function orderRecord(o: Row): Record<string, unknown> {
  return {
    id: o.id, status: o.status, source: o.source, customerName: o.customer_name, shippingAddress: parsed(o.shipping_address), lines: parsed(o.lines),
    currency: o.currency, subtotalMinor: Number(o.subtotal_amount_minor), shippingMinor: Number(o.shipping_amount_minor), discountMinor: Number(o.discount_amount_minor),
    totalMinor: Number(o.total_amount_minor), notes: o.notes, createdAt: iso(o.created_at), completedAt: iso(o.completed_at),
  };
}

const CSV_COLUMNS = ['id', 'status', 'source', 'customerName', 'currency', 'subtotalMinor', 'shippingMinor', 'discountMinor', 'totalMinor', 'createdAt', 'completedAt'] as const;

/** RFC 4180: every field quoted, quotes doubled; a leading =,+,-,@ is prefixed so spreadsheets never run it as a formula. */
export function ordersCsv(records: ReadonlyArray<Record<string, unknown>>): string {
  const cell = (v: unknown): string => {
    let text = v === null || v === undefined ? '' : String(v);
    if (/^[=+\-@]/.test(text) && Number.isNaN(Number(text))) text = `'${text}`;
    return `"${text.replaceAll('"', '""')}"`;
  };
  return [CSV_COLUMNS.join(','), ...records.map((r) => CSV_COLUMNS.map((c) => cell(r[c])).join(','))].join('\r\n') + '\r\n';
}

const README = (subject: 'contact' | 'user', expiresAt: Date) => `Palette data export (${EXPORT_FORMAT})

This archive holds the personal data Palette keeps about one ${subject === 'contact' ? 'customer of a merchant' : 'Palette user'}.
Each data class is one JSON file (an array of records, UTF-8). Orders are also given as orders.csv.
manifest.json lists every file with its data class, its number of records and its SHA-256.
The format is described in docs/privacy/export-format.md of the Palette source.
This archive can be downloaded until ${expiresAt.toISOString()}; after that it is deleted.
`;

/** The bundle: manifest, readme, one JSON per class (and orders.csv). Returns the zip and its manifest. */
export function buildExportZip(subject: 'contact' | 'user', sections: readonly ExportSection[], now: Date, expiresAt: Date): { zip: Buffer; manifest: ExportManifest } {
  const files: Array<{ name: string; data: string; dataClass: string; records: number }> = [];
  for (const s of sections) {
    files.push({ name: s.file, data: `${JSON.stringify(s.records, null, 2)}\n`, dataClass: s.dataClass, records: s.records.length });
    if (s.dataClass === 'orders') files.push({ name: 'orders.csv', data: ordersCsv(s.records), dataClass: 'orders', records: s.records.length });
  }
  const manifest: ExportManifest = {
    format: EXPORT_FORMAT, subject, createdAt: now.toISOString(), expiresAt: expiresAt.toISOString(),
    files: files.map((f) => ({ name: f.name, dataClass: f.dataClass, records: f.records, sha256: createHash('sha256').update(f.data, 'utf8').digest('hex') })),
  };
  const zip = createZip([
    { name: 'manifest.json', data: `${JSON.stringify(manifest, null, 2)}\n` },
    { name: 'README.txt', data: README(subject, expiresAt) },
    ...files.map((f) => ({ name: f.name, data: f.data })),
  ], now);
  return { zip, manifest };
}

const exportFromRow = (r: Row): ExportRecord => ({
  id: r.id, workspaceId: r.workspace_id, requestedBy: r.requested_by, subject: parsed(r.subject) as ExportSubject, status: r.status,
  byteSize: r.byte_size === null ? null : Number(r.byte_size), sha256: r.bundle_sha256, createdAt: new Date(r.created_at),
  completedAt: r.completed_at === null ? null : new Date(r.completed_at), expiresAt: new Date(r.expires_at),
});

/** Export rows: requested (pending), built (ready, with the zip), and read back for download. */
export class SqlExportStore implements ExportStore {
  constructor(private readonly s: MikroOrmSession) {}

  async request(input: { id: string; workspaceId: WorkspaceId | null; requestedBy: UserId; subject: ExportSubject; now: Date }): Promise<ExportRecord> {
    const expiresAt = new Date(input.now.getTime() + EXPORT_TTL_DAYS * 86_400_000);
    await this.s.execute(
      `insert into privacy_exports (id, workspace_id, requested_by, subject, status, created_at, expires_at) values (?, ?, ?, ?::jsonb, 'pending', ?, ?)`,
      [input.id, input.workspaceId, input.requestedBy, JSON.stringify(input.subject), input.now, expiresAt], 'run');
    return { id: input.id, workspaceId: input.workspaceId, requestedBy: input.requestedBy, subject: input.subject, status: 'pending', byteSize: null, sha256: null, createdAt: input.now, completedAt: null, expiresAt };
  }

  async get(id: string): Promise<ExportRecord | null> {
    const rows = await this.s.execute<Row[]>('select id, workspace_id, requested_by, subject, status, byte_size, bundle_sha256, created_at, completed_at, expires_at from privacy_exports where id = ?', [id]);
    return rows[0] ? exportFromRow(rows[0]) : null;
  }

  async listByWorkspace(workspaceId: WorkspaceId, limit: number): Promise<ExportRecord[]> {
    const rows = await this.s.execute<Row[]>(
      `select id, workspace_id, requested_by, subject, status, byte_size, bundle_sha256, created_at, completed_at, expires_at from privacy_exports
        where workspace_id = ? order by created_at desc, id desc limit ?`, [workspaceId, limit]);
    return rows.map(exportFromRow);
  }

  /** The zip of a ready export that has not expired, only for the user who asked for it. */
  async download(id: string, requestedBy: UserId, now: Date): Promise<{ record: ExportRecord; zip: Buffer } | null> {
    const rows = await this.s.execute<Row[]>(
      `select * from privacy_exports where id = ? and requested_by = ? and status = 'ready' and expires_at > ?`, [id, requestedBy, now]);
    return rows[0] ? { record: exportFromRow(rows[0]), zip: Buffer.from(String(rows[0].bundle_base64), 'base64') } : null;
  }

  async pendingIds(limit: number): Promise<string[]> {
    return (await this.s.execute<Row[]>(`select id from privacy_exports where status = 'pending' order by created_at limit ?`, [limit])).map((r) => String(r.id));
  }

  /** Claims a pending export for building (skip-locked, so two workers never build the same one). */
  async claim(id: string): Promise<ExportRecord | null> {
    const rows = await this.s.execute<Row[]>(`select * from privacy_exports where id = ? and status = 'pending' for update skip locked`, [id]);
    return rows[0] ? exportFromRow(rows[0]) : null;
  }

  async complete(id: string, zip: Buffer, now: Date): Promise<void> {
    await this.s.execute(`update privacy_exports set status = 'ready', bundle_base64 = ?, bundle_sha256 = ?, byte_size = ?, completed_at = ? where id = ?`,
      [zip.toString('base64'), createHash('sha256').update(zip).digest('hex'), zip.length, now, id], 'run');
  }

  async fail(id: string, now: Date): Promise<void> {
    await this.s.execute(`update privacy_exports set status = 'failed', completed_at = ? where id = ?`, [now, id], 'run');
  }
}

export class SqlContactDirectory implements ContactDirectory {
  constructor(private readonly s: MikroOrmSession) {}
  list(ws: WorkspaceId, after: ContactId | null, limit: number): Promise<Contact[]> {
    const where = after === null ? { workspaceId: ws } : { workspaceId: ws, id: { $gt: after } };
    return this.s.em.find(Contact, where as any, { orderBy: { id: 'asc' } as any, limit });
  }
}

export function createSqlExportStores(uow: UnitOfWork): { exports: SqlExportStore; reader: SqlExportReader; contacts: SqlContactDirectory } {
  if (!(uow instanceof MikroOrmSession)) throw new TypeError('createSqlExportStores needs the unit of work of createMikroOrmRepositories');
  return { exports: new SqlExportStore(uow), reader: new SqlExportReader(uow), contacts: new SqlContactDirectory(uow) };
}
