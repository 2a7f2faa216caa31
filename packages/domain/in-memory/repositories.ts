import type * as D from './types.js';
import type { InMemoryDatabase } from './database.js';
import { StockLevel } from '../src/catalog/stock.js';

type Ws = D.WorkspaceId;
const byKey = (...parts: string[]) => parts.join('|');

export class InMemoryWorkspaceRepository implements D.WorkspaceRepository {
  constructor(private readonly db: InMemoryDatabase) {}
  async get(id: Ws) { return this.db.read<D.Workspace>('workspaces', id); }
  async save(w: D.Workspace) { this.db.write('workspaces', w.id, w); }
}

export class InMemoryUserRepository implements D.UserRepository {
  constructor(private readonly db: InMemoryDatabase) {}
  async get(id: D.UserId) { return this.db.read<D.User>('users', id); }
  async findByEmail(email: string) { return this.db.scan<D.User>('users', (u) => u.email === email)[0] ?? null; }
  async save(u: D.User) {
    const clash = this.db.scan<D.User>('users', (x) => x.email === u.email && x.id !== u.id);
    if (clash.length > 0) throw new Error(`unique violation: users.email`);
    this.db.write('users', u.id, u);
  }
}

export class InMemoryMembershipRepository implements D.MembershipRepository {
  constructor(private readonly db: InMemoryDatabase) {}
  async get(ws: Ws, id: D.MembershipId) { const m = this.db.read<D.Membership>('memberships', id); return m && m.workspaceId === ws ? m : null; }
  async find(ws: Ws, userId: D.UserId) { return this.db.scan<D.Membership>('memberships', (m) => m.workspaceId === ws && m.userId === userId)[0] ?? null; }
  async listByWorkspace(ws: Ws) { return sortBy(this.db.scan<D.Membership>('memberships', (m) => m.workspaceId === ws), (m) => m.createdAt.getTime(), (m) => m.id); }
  async listByUser(userId: D.UserId) { return sortBy(this.db.scan<D.Membership>('memberships', (m) => m.userId === userId), (m) => m.createdAt.getTime(), (m) => m.id); }
  async save(m: D.Membership) { this.db.write('memberships', m.id, m); }
  async remove(m: D.Membership) { this.db.remove('memberships', m.id); }
}

export class InMemoryInstagramAccountRepository implements D.InstagramAccountRepository {
  constructor(private readonly db: InMemoryDatabase) {}
  async get(ws: Ws, id: D.InstagramAccountId) { const a = this.db.read<D.InstagramAccount>('instagram_accounts', id); return a && a.workspaceId === ws ? a : null; }
  async findByIgUserId(ig: string) { return this.db.scan<D.InstagramAccount>('instagram_accounts', (a) => a.igUserId === ig)[0] ?? null; }
  async listByWorkspace(ws: Ws) { return sortBy(this.db.scan<D.InstagramAccount>('instagram_accounts', (a) => a.workspaceId === ws), (a) => a.createdAt.getTime(), (a) => a.id); }
  async save(a: D.InstagramAccount) { this.db.write('instagram_accounts', a.id, a); }
}

export class InMemorySecretRepository implements D.SecretRepository {
  constructor(private readonly db: InMemoryDatabase) {}
  async get(ws: Ws, id: D.SecretId) { const s = this.db.read<D.EncryptedSecret>('secrets', id); return s && s.workspaceId === ws ? s : null; }
  async save(s: D.EncryptedSecret) { this.db.write('secrets', s.id, s); }
  async destroy(ws: Ws, id: D.SecretId) { const s = await this.get(ws, id); if (s) this.db.remove('secrets', id); }
  async listByKeyIdNot(keyId: string, limit: number) { return this.db.scan<D.EncryptedSecret>('secrets', (s) => s.ciphertext.keyId !== keyId).slice(0, limit); }
}

export class InMemoryContactRepository implements D.ContactRepository {
  constructor(private readonly db: InMemoryDatabase) {}
  async get(ws: Ws, id: D.ContactId) { const c = this.db.read<D.Contact>('contacts', id); return c && c.workspaceId === ws ? c : null; }
  async findByIgsid(accountId: D.InstagramAccountId, igsid: string) { return this.db.scan<D.Contact>('contacts', (c) => c.accountId === accountId && c.igsid === igsid)[0] ?? null; }
  async save(c: D.Contact) { this.db.write('contacts', c.id, c); }
  async delete(c: D.Contact) { this.db.remove('contacts', c.id); }
}

export class InMemoryConversationRepository implements D.ConversationRepository {
  constructor(private readonly db: InMemoryDatabase) {}
  async get(ws: Ws, id: D.ConversationId) { const c = this.db.read<D.Conversation>('conversations', id); return c && c.workspaceId === ws ? c : null; }
  async findByContact(accountId: D.InstagramAccountId, contactId: D.ContactId) { return this.db.scan<D.Conversation>('conversations', (c) => c.accountId === accountId && c.contactId === contactId)[0] ?? null; }
  async listInactiveSince(ws: Ws, cutoff: Date, limit: number) {
    return sortBy(this.db.scan<D.Conversation>('conversations', (c) => c.workspaceId === ws && c.lastInteractionAt.getTime() <= cutoff.getTime()), (c) => c.lastInteractionAt.getTime(), (c) => c.id).slice(0, limit);
  }
  async save(c: D.Conversation) { this.db.write('conversations', c.id, c); }
  async delete(c: D.Conversation) { this.db.remove('conversations', c.id); }
  async listInbox(ws: Ws, f: D.InboxFilter) {
    const needle = f.search?.trim().toLowerCase();
    const matches = (c: D.Conversation): boolean => {
      if (f.owner !== undefined && c.owner !== f.owner) return false;
      if (f.unread !== undefined && (c.unreadCount > 0) !== f.unread) return false;
      if (f.entryPoint !== undefined && c.entryPoint !== f.entryPoint) return false;
      if (f.after && !(c.lastInteractionAt.getTime() < f.after.at.getTime() || (c.lastInteractionAt.getTime() === f.after.at.getTime() && c.id < f.after.id))) return false;
      if (!needle) return true;
      const k = this.db.read<D.Contact>('contacts', c.contactId);
      const last = sortBy(this.db.scan<D.Message>('messages', (m) => m.conversationId === c.id), (m) => m.sentAt.getTime(), (m) => m.id).at(-1);
      return [k?.username, k?.displayName, last?.text].some((v) => typeof v === 'string' && v.toLowerCase().includes(needle));
    };
    return sortBy(this.db.scan<D.Conversation>('conversations', (c) => c.workspaceId === ws && matches(c)), (c) => c.lastInteractionAt.getTime(), (c) => c.id).reverse().slice(0, f.limit);
  }
  async listUpdatedSince(ws: Ws, since: Date, limit: number) {
    return sortBy(this.db.scan<D.Conversation>('conversations', (c) => c.workspaceId === ws && c.updatedAt.getTime() >= since.getTime()), (c) => c.updatedAt.getTime(), (c) => c.id).slice(0, limit);
  }
}

export class InMemoryMessageRepository implements D.MessageRepository {
  constructor(private readonly db: InMemoryDatabase) {}
  async get(ws: Ws, id: D.MessageId) { const m = this.db.read<D.Message>('messages', id); return m && m.workspaceId === ws ? m : null; }
  async findByPlatformId(accountId: D.InstagramAccountId, mid: string) { return this.db.scan<D.Message>('messages', (m) => m.accountId === accountId && m.platformMessageId === mid)[0] ?? null; }
  async listByConversation(ws: Ws, conversationId: D.ConversationId, options: { limit?: number; newest?: boolean } = {}) {
    const all = sortBy(this.db.scan<D.Message>('messages', (m) => m.workspaceId === ws && m.conversationId === conversationId), (m) => m.sentAt.getTime(), (m) => m.id);
    if (options.limit === undefined) return all;
    return options.newest ? all.slice(Math.max(0, all.length - options.limit)) : all.slice(0, options.limit);
  }
  async save(m: D.Message) {
    if (m.platformMessageId !== null) {
      const clash = this.db.scan<D.Message>('messages', (x) => x.accountId === m.accountId && x.platformMessageId === m.platformMessageId && x.id !== m.id);
      if (clash.length > 0) throw new Error('unique violation: messages(account_id, platform_message_id)');
    }
    this.db.write('messages', m.id, m);
  }
  async pageByConversation(ws: Ws, conversationId: D.ConversationId, o: { before?: { at: Date; id: string }; limit: number }) {
    const b = o.before;
    const older = (m: D.Message) => !b || m.sentAt.getTime() < b.at.getTime() || (m.sentAt.getTime() === b.at.getTime() && m.id < b.id);
    return sortBy(this.db.scan<D.Message>('messages', (m) => m.workspaceId === ws && m.conversationId === conversationId && older(m)), (m) => m.sentAt.getTime(), (m) => m.id).reverse().slice(0, o.limit);
  }
  async listCreatedSince(ws: Ws, since: Date, limit: number) {
    return sortBy(this.db.scan<D.Message>('messages', (m) => m.workspaceId === ws && m.createdAt.getTime() >= since.getTime()), (m) => m.createdAt.getTime(), (m) => m.id).slice(0, limit);
  }
  async deleteByConversation(ws: Ws, conversationId: D.ConversationId) {
    const ids = this.db.scan<D.Message>('messages', (m) => m.workspaceId === ws && m.conversationId === conversationId).map((m) => m.id);
    for (const id of ids) this.db.remove('messages', id);
    return ids;
  }
}

export class InMemoryProductRepository implements D.ProductRepository {
  constructor(private readonly db: InMemoryDatabase) {}
  async get(ws: Ws, id: D.ProductId) { const p = this.db.read<D.Product>('products', id); return p && p.workspaceId === ws ? p : null; }
  async findBySku(ws: Ws, sku: string) { return this.db.scan<D.Product>('products', (p) => p.workspaceId === ws && p.sku === sku)[0] ?? null; }
  async findManyBySku(ws: Ws, skus: readonly string[]) { const set = new Set(skus); return this.db.scan<D.Product>('products', (p) => p.workspaceId === ws && set.has(p.sku)); }
  async save(p: D.Product) {
    if (this.db.scan<D.Product>('products', (x) => x.workspaceId === p.workspaceId && x.sku === p.sku && x.id !== p.id).length > 0) throw new Error('unique violation: products(workspace_id, sku)');
    this.db.write('products', p.id, p);
  }
  async list(ws: Ws, f: D.ProductListFilter) {
    const after = f.after;
    const rows = this.db.scan<D.Product>('products', (p) => p.workspaceId === ws && (f.status === undefined || p.status === f.status)
      && (after === undefined || p.createdAt.getTime() > Number(after.sortKey) || (p.createdAt.getTime() === Number(after.sortKey) && p.id > after.id)));
    return sortBy(rows, (p) => p.createdAt.getTime(), (p) => p.id).slice(0, f.limit);
  }
  /** A simple scorer standing in for PostgreSQL's ranking: SKU matches first, then name, then description. */
  async search(ws: Ws, query: string, options: { limit: number; includeArchived?: boolean }) {
    const terms = searchTerms(query);
    if (terms.length === 0) return [];
    const variantSkus = new Map<string, string[]>();
    for (const v of this.db.scan<D.Variant>('variants', (x) => x.workspaceId === ws)) variantSkus.set(v.productId, [...(variantSkus.get(v.productId) ?? []), v.sku.toLowerCase()]);
    const hits: D.ProductSearchHit[] = [];
    for (const product of this.db.scan<D.Product>('products', (p) => p.workspaceId === ws && (options.includeArchived || p.isActive))) {
      const skus = [product.sku.toLowerCase(), ...(variantSkus.get(product.id) ?? [])];
      const skuWords = searchTerms(product.sku);
      const name = searchTerms(product.name);
      const description = searchTerms(product.description);
      let score = 0;
      for (const t of terms) {
        const s = name.includes(t) || skuWords.includes(t) ? 4 : name.some((w) => w.startsWith(t)) || skuWords.some((w) => w.startsWith(t)) ? 3 : description.some((w) => w.startsWith(t)) ? 1 : 0;
        if (s === 0) { score = 0; break; }
        score += s;
      }
      // As on PostgreSQL: the whole query may also be a variant SKU or its prefix.
      const whole = query.trim().toLowerCase();
      score += skus.includes(whole) ? 20 : skus.some((k) => k.startsWith(whole)) ? 10 : 0;
      if (score > 0) hits.push({ product, score });
    }
    return hits.sort((a, b) => b.score - a.score || (a.product.name < b.product.name ? -1 : a.product.name > b.product.name ? 1 : 0)).slice(0, options.limit);
  }
}

function searchTerms(text: string): string[] {
  return text.toLowerCase().normalize('NFKD').replace(/[\u0300-\u036f]/g, '').split(/[^\p{L}\p{N}]+/u).filter((t) => t.length > 0);
}

export class InMemoryVariantRepository implements D.VariantRepository {
  constructor(private readonly db: InMemoryDatabase) {}
  async get(ws: Ws, id: D.VariantId) { const v = this.db.read<D.Variant>('variants', id); return v && v.workspaceId === ws ? v : null; }
  async getMany(ws: Ws, ids: readonly D.VariantId[]) { const set = new Set<string>(ids); return this.db.scan<D.Variant>('variants', (v) => v.workspaceId === ws && set.has(v.id)); }
  async findBySku(ws: Ws, sku: string) { return this.db.scan<D.Variant>('variants', (v) => v.workspaceId === ws && v.sku === sku)[0] ?? null; }
  async findManyBySku(ws: Ws, skus: readonly string[]) { const set = new Set(skus); return this.db.scan<D.Variant>('variants', (v) => v.workspaceId === ws && set.has(v.sku)); }
  async listByProduct(ws: Ws, productId: D.ProductId) { return sortBy(this.db.scan<D.Variant>('variants', (v) => v.workspaceId === ws && v.productId === productId), (v) => v.createdAt.getTime(), (v) => v.id); }
  async listByProducts(ws: Ws, productIds: readonly D.ProductId[]) { const set = new Set<string>(productIds); return sortBy(this.db.scan<D.Variant>('variants', (v) => v.workspaceId === ws && set.has(v.productId)), (v) => v.createdAt.getTime(), (v) => v.id); }
  async save(v: D.Variant) {
    if (this.db.scan<D.Variant>('variants', (x) => x.workspaceId === v.workspaceId && x.sku === v.sku && x.id !== v.id).length > 0) throw new Error('unique violation: variants(workspace_id, sku)');
    this.db.write('variants', v.id, v);
  }
}

export class InMemoryStockRepository implements D.StockRepository {
  constructor(private readonly db: InMemoryDatabase) {}
  async get(ws: Ws, variantId: D.VariantId) { const l = this.db.read<D.StockLevel>('stock_levels', variantId); return l && l.workspaceId === ws ? l : null; }
  /** Transactions are serialised here, so loading inside `run` is already exclusive. */
  async lock(ws: Ws, variantIds: readonly D.VariantId[]) {
    const out: D.StockLevel[] = [];
    for (const id of [...new Set(variantIds)].sort()) { const l = await this.get(ws, id); if (l) out.push(l); }
    return out;
  }
  async save(l: D.StockLevel) { this.db.write('stock_levels', l.variantId, l); }
  /** The same guard as the database's conditional update, all levels checked before any is written. */
  async applyMovements(ws: Ws, ms: readonly D.StockMovement[]) {
    const deltas = new Map<D.VariantId, { onHand: number; reserved: number; at: Date }>();
    for (const m of ms) {
      const d = deltas.get(m.variantId) ?? { onHand: 0, reserved: 0, at: m.at };
      deltas.set(m.variantId, { onHand: d.onHand + m.onHandDelta, reserved: d.reserved + m.reservedDelta, at: m.at });
    }
    const after: D.StockLevel[] = [];
    for (const [variantId, d] of [...deltas].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))) {
      const level = await this.get(ws, variantId);
      const onHand = (level?.onHand ?? 0) + d.onHand;
      const reserved = (level?.reserved ?? 0) + d.reserved;
      if (!level || reserved < 0 || reserved > onHand) return { ok: false as const, variantId, level };
      after.push(StockLevel.of({ variantId, workspaceId: ws, onHand, reserved, updatedAt: d.at, version: level.version }));
    }
    // Written with the version read (the commit checks it and increments it); returned as stored after.
    for (const l of after) this.db.write('stock_levels', l.variantId, l);
    await this.appendMovements(ms);
    return { ok: true as const, levels: after.map((l) => StockLevel.of({ variantId: l.variantId, workspaceId: ws, onHand: l.onHand, reserved: l.reserved, updatedAt: l.updatedAt, version: l.version + 1 })) };
  }
  async appendMovements(ms: readonly D.StockMovement[]) { for (const m of ms) this.db.write('stock_movements', m.id, m); }
  async listMovements(ws: Ws, variantId: D.VariantId) { return sortBy(this.db.scan<D.StockMovement>('stock_movements', (m) => m.workspaceId === ws && m.variantId === variantId), (m) => m.at.getTime(), (m) => m.id); }
  async getMany(ws: Ws, variantIds: readonly D.VariantId[]) { const set = new Set<string>(variantIds); return sortBy(this.db.scan<D.StockLevel>('stock_levels', (l) => l.workspaceId === ws && set.has(l.variantId)), (l) => l.variantId, (l) => l.variantId); }
  async listMovementsByOrder(ws: Ws, orderId: D.OrderId) { return sortBy(this.db.scan<D.StockMovement>('stock_movements', (m) => m.workspaceId === ws && m.orderId === orderId), (m) => m.at.getTime(), (m) => m.id); }
  async appendLowStockEvents(events: readonly D.LowStockEvent[]) { for (const e of events) this.db.write('low_stock_events', e.id, e); }
  async listLowStockEvents(ws: Ws, limit: number) {
    return this.db.scan<D.LowStockEvent>('low_stock_events', (e) => e.workspaceId === ws).sort((a, b) => b.at.getTime() - a.at.getTime() || (a.id < b.id ? 1 : a.id > b.id ? -1 : 0)).slice(0, limit);
  }
}

export class InMemoryOrderRepository implements D.OrderRepository {
  constructor(private readonly db: InMemoryDatabase) {}
  async get(ws: Ws, id: D.OrderId) { const o = this.db.read<D.Order>('orders', id); return o && o.workspaceId === ws ? o : null; }
  async save(o: D.Order) { this.db.write('orders', o.id, o); }
  async list(ws: Ws, f: D.OrderListFilter) {
    const after = f.after;
    const rows = this.db.scan<D.Order>('orders', (o) => o.workspaceId === ws && (f.status === undefined || o.status === f.status)
      && (f.contactId === undefined || o.contactId === f.contactId)
      && (f.from === undefined || o.createdAt.getTime() >= f.from.getTime()) && (f.to === undefined || o.createdAt.getTime() < f.to.getTime())
      && (after === undefined || o.createdAt.getTime() < Number(after.sortKey) || (o.createdAt.getTime() === Number(after.sortKey) && o.id < after.id)));
    return sortBy(rows, (o) => o.createdAt.getTime(), (o) => o.id).reverse().slice(0, f.limit);
  }
  async listExpiredHolds(cutoff: Date, limit: number) {
    return sortBy(this.db.scan<D.Order>('orders', (o) => o.status === 'draft' && o.holdExpiresAt !== null && o.holdExpiresAt.getTime() <= cutoff.getTime()), (o) => o.holdExpiresAt!.getTime(), (o) => o.id)
      .slice(0, limit).map((o) => ({ workspaceId: o.workspaceId, orderId: o.id }));
  }
  async listDueForAnonymization(ws: Ws, cutoff: Date, limit: number) {
    return sortBy(this.db.scan<D.Order>('orders', (o) => o.workspaceId === ws && o.anonymizedAt === null && o.completedAt !== null && o.completedAt.getTime() <= cutoff.getTime()), (o) => o.retentionAnchor().getTime(), (o) => o.id).slice(0, limit);
  }
}

export class InMemoryDataSubjectRequestRepository implements D.DataSubjectRequestRepository {
  constructor(private readonly db: InMemoryDatabase) {}
  async get(ws: Ws | null, id: D.DataSubjectRequestId) { const r = this.db.read<D.DataSubjectRequest>('data_subject_requests', id); return r && r.workspaceId === ws ? r : null; }
  async listByWorkspace(ws: Ws) { return sortBy(this.db.scan<D.DataSubjectRequest>('data_subject_requests', (r) => r.workspaceId === ws), (r) => r.requestedAt.getTime(), (r) => r.id); }
  async save(r: D.DataSubjectRequest) { this.db.write('data_subject_requests', r.id, r); }
}

export class InMemoryReceiptRepository implements D.ReceiptRepository {
  constructor(private readonly db: InMemoryDatabase) {}
  async save(r: D.PrivacyReceipt) { this.db.write('privacy_receipts', r.id, r); }
  async listByWorkspace(ws: Ws) { return sortBy(this.db.scan<D.PrivacyReceipt>('privacy_receipts', (r) => r.workspaceId === ws), (r) => r.createdAt.getTime(), (r) => r.id); }
  async deleteMany(ws: Ws | null, ids: readonly D.ReceiptId[]) {
    for (const id of ids) if (this.db.read<D.PrivacyReceipt>('privacy_receipts', id)?.workspaceId === ws) this.db.remove('privacy_receipts', id);
  }
}

export class InMemoryAuditLog implements D.AuditLog {
  constructor(private readonly db: InMemoryDatabase) {}
  async append(e: D.AuditEntry) { this.db.write('audit_entries', e.id, e); }
  async list(ws: Ws, f: D.AuditFilter = {}) {
    const rows = this.db.scan<D.AuditEntry>('audit_entries', (e) => e.workspaceId === ws
      && (f.action === undefined || e.action === f.action)
      && (f.actorId === undefined || e.actor.id === f.actorId)
      && (f.from === undefined || e.at.getTime() >= f.from.getTime())
      && (f.to === undefined || e.at.getTime() < f.to.getTime())
      && (f.after === undefined || e.at.getTime() < f.after.at.getTime() || (e.at.getTime() === f.after.at.getTime() && e.id < f.after.id)));
    // Newest first; entries of the same millisecond by id descending (UUIDv7 ids grow with time).
    return rows.sort((x, y) => y.at.getTime() - x.at.getTime() || (x.id < y.id ? 1 : x.id > y.id ? -1 : 0)).slice(0, f.limit ?? 100);
  }
  async deleteOlderThan(cutoff: Date, limit: number) {
    const old = this.db.scan<D.AuditEntry>('audit_entries', (e) => e.at.getTime() <= cutoff.getTime()).slice(0, limit);
    for (const e of old) this.db.remove('audit_entries', e.id);
    return old.length;
  }
}

export class InMemoryDailyMetricsRepository implements D.DailyMetricsRepository {
  constructor(private readonly db: InMemoryDatabase) {}
  async add(deltas: readonly D.MetricDelta[]) {
    for (const d of deltas) {
      const key = byKey(d.workspaceId, d.day, d.metric, d.dimension);
      const prev = this.db.read<D.DailyMetric>('daily_metrics', key);
      this.db.write('daily_metrics', key, prev ? { ...prev, count: prev.count + d.count, sum: prev.sum + d.sum } : { ...d });
    }
  }
  async query(ws: Ws, f: { metric?: string; fromDay: string; toDay: string }) {
    return sortBy(this.db.scan<D.DailyMetric>('daily_metrics', (m) => m.workspaceId === ws && (f.metric === undefined || m.metric === f.metric) && m.day >= f.fromDay && m.day <= f.toDay),
      (m) => m.day, (m) => `${m.metric}|${m.dimension}`);
  }
}

function sortBy<T>(rows: T[], primary: (r: T) => number | string, tie: (r: T) => string): T[] {
  return rows.sort((a, b) => {
    const pa = primary(a);
    const pb = primary(b);
    if (pa < pb) return -1;
    if (pa > pb) return 1;
    return tie(a) < tie(b) ? -1 : tie(a) > tie(b) ? 1 : 0;
  });
}



export class InMemorySessionRepository implements D.SessionRepository {
  constructor(private readonly db: InMemoryDatabase) {}
  async get(tokenHash: string) { return this.db.read<D.Session>('sessions', tokenHash); }
  async save(s: D.Session) { this.db.write('sessions', s.id, s); }
  async revokeAllForUser(userId: D.UserId, now: Date) {
    const active = this.db.scan<D.Session>('sessions', (s) => s.userId === userId && s.isActive(now));
    for (const s of active) { s.revoke(now); this.db.write('sessions', s.id, s); }
    return active.length;
  }
  async deleteEndedBefore(cutoff: Date, limit: number) {
    const ended = this.db.scan<D.Session>('sessions', (s) => (s.revokedAt !== null && s.revokedAt <= cutoff) || s.absoluteExpiresAt <= cutoff || s.idleExpiresAt <= cutoff).slice(0, limit);
    for (const s of ended) this.db.remove('sessions', s.id);
    return ended.length;
  }
}

export class InMemoryInvitationRepository implements D.InvitationRepository {
  constructor(private readonly db: InMemoryDatabase) {}
  async get(ws: Ws, id: string) { const i = this.db.read<D.Invitation>('invitations', id); return i && i.workspaceId === ws ? i : null; }
  async findByTokenHash(tokenHash: string) { return this.db.scan<D.Invitation>('invitations', (i) => i.tokenHash === tokenHash)[0] ?? null; }
  async listPending(ws: Ws, now: Date) {
    return sortBy(this.db.scan<D.Invitation>('invitations', (i) => i.workspaceId === ws && i.acceptedAt === null && i.revokedAt === null && i.expiresAt > now), (i) => i.createdAt.getTime(), (i) => i.id);
  }
  async save(i: D.Invitation) { this.db.write('invitations', i.id, i); }
}
