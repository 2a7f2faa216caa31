import { LockMode, OptimisticLockError, type MikroORM } from '@mikro-orm/core';
import type { SqlEntityManager } from '@mikro-orm/postgresql';
import {
  ConcurrencyConflictError, Contact, Conversation, DataSubjectRequest, Ids, InstagramAccount, Invitation, Session, Membership, Message, Order, Product, StockLevel, User, Variant, Workspace,
  type AuditEntry, type AuditFilter, type AuditLog, type ContactId, type ContactRepository, type ConversationId, type ConversationRepository, type DailyMetric, type DailyMetricsRepository,
  type DataSubjectRequestId, type DataSubjectRequestRepository, type EncryptedSecret, type InstagramAccountId, type InstagramAccountRepository, type MembershipId,
  type MembershipRepository, type MessageId, type MessageRepository, type MetricDelta, type OrderId, type OrderRepository, type PrivacyReceipt, type ProductId,
  type ProductRepository, type ReceiptRepository, type SecretId, type SecretRepository, type StockMovement, type StockRepository, type UnitOfWork, type UserId,
  type UserRepository, type SessionRepository, type InvitationRepository, type VariantId, type VariantRepository, type WorkspaceId, type WorkspaceRepository, mergeDeltas,
} from '@palette/domain';
import type { LowStockEvent, OrderListFilter, ProductListFilter, ProductSearchHit } from '@palette/domain';
import type { InboxFilter, ReceiptId } from '@palette/domain';
import { SqlReportStore } from '../reports/sql-report-store.js';

/* eslint-disable @typescript-eslint/no-explicit-any */
type Em = SqlEntityManager;
type Row = Record<string, any>;

/**
 * One unit of work: an EntityManager fork plus the set of aggregates the use case explicitly
 * saved. Only those are flushed: an aggregate a use case mutated but did not save is detached
 * before commit, so MikroORM's "flush everything that changed" matches the port's contract.
 */
export class MikroOrmSession implements UnitOfWork {
  readonly saved = new Set<object>();
  constructor(readonly em: Em) {}

  async run<T>(work: () => Promise<T>): Promise<T> {
    if (this.em.isInTransaction()) return work();
    this.saved.clear();
    await this.em.begin();
    try {
      const result = await work();
      if (isErrorResult(result)) {
        await this.em.rollback();
        this.em.clear();
        return result;
      }
      this.detachUnsaved();
      await this.em.commit();
      return result;
    } catch (e) {
      if (this.em.isInTransaction()) await this.em.rollback().catch(() => undefined);
      this.em.clear();
      throw translate(e);
    } finally {
      this.saved.clear();
    }
  }

  /** Stage an aggregate; outside `run` it is written at once. */
  async save(entity: object): Promise<void> {
    this.saved.add(entity);
    this.em.persist(entity);
    if (!this.em.isInTransaction()) {
      try { await this.em.flush(); } catch (e) { throw translate(e); }
    }
  }

  /**
   * Writes what the unit of work has saved so far, ahead of the commit, so that a row lock taken
   * next is held only until that commit. Only when every pending change is a saved aggregate's:
   * otherwise the commit-time flush (which first detaches what was not saved) stays the only one.
   */
  async flushSaved(): Promise<void> {
    if (!this.em.isInTransaction()) return;
    const uow = this.em.getUnitOfWork();
    uow.computeChangeSets();
    const pending = uow.getChangeSets();
    if (pending.length === 0 || pending.some((cs) => !this.saved.has(cs.entity))) return;
    try { await this.em.flush(); } catch (e) { throw translate(e); }
  }

  async remove(entity: object): Promise<void> {
    this.saved.add(entity);
    this.em.remove(entity);
    if (!this.em.isInTransaction()) await this.em.flush();
  }

  /** Raw SQL for the append-only record tables, inside the current transaction. */
  execute<T = Row[]>(sql: string, params: unknown[] = [], method: 'all' | 'run' = 'all'): Promise<T> {
    return this.em.execute(sql, params as any[], method) as Promise<T>;
  }

  private detachUnsaved(): void {
    const uow = this.em.getUnitOfWork();
    for (const entity of uow.getIdentityMap().values()) {
      if (!this.saved.has(entity)) uow.unsetIdentity(entity);
    }
  }
}

function isErrorResult(v: unknown): boolean {
  return typeof v === 'object' && v !== null && 'ok' in v && (v as { ok: unknown }).ok === false;
}

function translate(e: unknown): unknown {
  if (e instanceof OptimisticLockError) {
    const entity = e.entity as { id?: string; variantId?: string } | undefined;
    return new ConcurrencyConflictError(entity?.constructor?.name ?? 'entity', String(entity?.id ?? entity?.variantId ?? '?'));
  }
  return e;
}

const tenant = <T>(entity: T | null, ws: WorkspaceId | null): T | null => (entity && (entity as any).workspaceId === ws ? entity : null);

export class MikroOrmWorkspaceRepository implements WorkspaceRepository {
  constructor(private readonly s: MikroOrmSession) {}
  get(id: WorkspaceId) { return this.s.em.findOne(Workspace, { id } as any); }
  save(w: Workspace) { return this.s.save(w); }
}

export class MikroOrmUserRepository implements UserRepository {
  constructor(private readonly s: MikroOrmSession) {}
  get(id: UserId) { return this.s.em.findOne(User, { id } as any); }
  findByEmail(email: string) { return this.s.em.findOne(User, { _email: email } as any); }
  save(u: User) { return this.s.save(u); }
}

export class MikroOrmMembershipRepository implements MembershipRepository {
  constructor(private readonly s: MikroOrmSession) {}
  get(ws: WorkspaceId, id: MembershipId) { return this.s.em.findOne(Membership, { id, workspaceId: ws } as any); }
  find(ws: WorkspaceId, userId: UserId) { return this.s.em.findOne(Membership, { workspaceId: ws, userId } as any); }
  listByWorkspace(ws: WorkspaceId) { return this.s.em.find(Membership, { workspaceId: ws } as any, { orderBy: { createdAt: 'asc', id: 'asc' } as any }); }
  listByUser(userId: UserId) { return this.s.em.find(Membership, { userId } as any, { orderBy: { createdAt: 'asc', id: 'asc' } as any }); }
  save(m: Membership) { return this.s.save(m); }
  remove(m: Membership) { return this.s.remove(m); }
}

export class MikroOrmInstagramAccountRepository implements InstagramAccountRepository {
  constructor(private readonly s: MikroOrmSession) {}
  get(ws: WorkspaceId, id: InstagramAccountId) { return this.s.em.findOne(InstagramAccount, { id, workspaceId: ws } as any); }
  findByIgUserId(igUserId: string) { return this.s.em.findOne(InstagramAccount, { igUserId } as any); }
  listByWorkspace(ws: WorkspaceId) { return this.s.em.find(InstagramAccount, { workspaceId: ws } as any, { orderBy: { createdAt: 'asc', id: 'asc' } as any }); }
  save(a: InstagramAccount) { return this.s.save(a); }
}

const secretFromRow = (r: Row): EncryptedSecret => ({
  id: Ids.secret(r.id), workspaceId: Ids.workspace(r.workspace_id), purpose: r.purpose, ciphertext: { keyId: r.key_id, data: r.ciphertext }, aad: r.aad, createdAt: new Date(r.created_at),
});

export class MikroOrmSecretRepository implements SecretRepository {
  constructor(private readonly s: MikroOrmSession) {}
  async get(ws: WorkspaceId, id: SecretId) {
    const rows = await this.s.execute('select * from secrets where id = ? and workspace_id = ?', [id, ws]);
    return rows[0] ? secretFromRow(rows[0]) : null;
  }
  async save(x: EncryptedSecret) {
    await this.s.execute(
      `insert into secrets (id, workspace_id, purpose, key_id, ciphertext, aad, created_at) values (?, ?, ?, ?, ?, ?, ?)
       on conflict (id) do update set key_id = excluded.key_id, ciphertext = excluded.ciphertext`,
      [x.id, x.workspaceId, x.purpose, x.ciphertext.keyId, x.ciphertext.data, x.aad, x.createdAt], 'run');
  }
  async destroy(ws: WorkspaceId, id: SecretId) { await this.s.execute('delete from secrets where id = ? and workspace_id = ?', [id, ws], 'run'); }
  async listByKeyIdNot(keyId: string, limit: number) {
    return (await this.s.execute('select * from secrets where key_id <> ? order by id limit ?', [keyId, limit])).map(secretFromRow);
  }
}

export class MikroOrmContactRepository implements ContactRepository {
  constructor(private readonly s: MikroOrmSession) {}
  get(ws: WorkspaceId, id: ContactId) { return this.s.em.findOne(Contact, { id, workspaceId: ws } as any); }
  findByIgsid(accountId: InstagramAccountId, igsid: string) { return this.s.em.findOne(Contact, { accountId, _igsid: igsid } as any); }
  save(c: Contact) { return this.s.save(c); }
  delete(c: Contact) { return this.s.remove(c); }
}

export class MikroOrmConversationRepository implements ConversationRepository {
  constructor(private readonly s: MikroOrmSession) {}
  get(ws: WorkspaceId, id: ConversationId) { return this.s.em.findOne(Conversation, { id, workspaceId: ws } as any); }
  findByContact(accountId: InstagramAccountId, contactId: ContactId) { return this.s.em.findOne(Conversation, { accountId, contactId } as any); }
  listInactiveSince(ws: WorkspaceId, cutoff: Date, limit: number) {
    return this.s.em.find(Conversation, { workspaceId: ws, _lastInteractionAt: { $lte: cutoff } } as any, { orderBy: { _lastInteractionAt: 'asc', id: 'asc' } as any, limit });
  }
  save(c: Conversation) { return this.s.save(c); }
  delete(c: Conversation) { return this.s.remove(c); }
  /** Ids by SQL (the search reaches the contact and the thread's last message), then the aggregates, kept in that order. */
  async listInbox(ws: WorkspaceId, f: InboxFilter) {
    const where: string[] = ['c.workspace_id = ?'];
    const params: unknown[] = [ws];
    if (f.owner !== undefined) { where.push('c.owner = ?'); params.push(f.owner); }
    if (f.unread !== undefined) where.push(f.unread ? 'c.unread_count > 0' : 'c.unread_count = 0');
    if (f.entryPoint !== undefined) { where.push('c.entry_point = ?'); params.push(f.entryPoint); }
    if (f.after) { where.push('(c.last_interaction_at < ? or (c.last_interaction_at = ? and c.id < ?))'); params.push(f.after.at, f.after.at, f.after.id); }
    const needle = f.search?.trim();
    if (needle) {
      const like = `%${needle.replace(/[\\%_]/g, '\\$&')}%`;
      where.push(`(k.username ilike ? or k.display_name ilike ? or (select m.text from messages m where m.conversation_id = c.id order by m.sent_at desc, m.id desc limit 1) ilike ?)`);
      params.push(like, like, like);
    }
    params.push(f.limit);
    const rows = await this.s.execute<Row[]>(`select c.id from conversations c left join contacts k on k.id = c.contact_id where ${where.join(' and ')} order by c.last_interaction_at desc, c.id desc limit ?`, params);
    if (rows.length === 0) return [];
    const found = await this.s.em.find(Conversation, { id: { $in: rows.map((r) => r.id) }, workspaceId: ws } as any);
    const byId = new Map(found.map((c) => [c.id as string, c]));
    return rows.map((r) => byId.get(r.id)).filter((c): c is Conversation => c !== undefined);
  }
  listUpdatedSince(ws: WorkspaceId, since: Date, limit: number) {
    return this.s.em.find(Conversation, { workspaceId: ws, _updatedAt: { $gte: since } } as any, { orderBy: { _updatedAt: 'asc', id: 'asc' } as any, limit });
  }
}

export class MikroOrmMessageRepository implements MessageRepository {
  constructor(private readonly s: MikroOrmSession) {}
  get(ws: WorkspaceId, id: MessageId) { return this.s.em.findOne(Message, { id, workspaceId: ws } as any); }
  findByPlatformId(accountId: InstagramAccountId, mid: string) { return this.s.em.findOne(Message, { accountId, _platformMessageId: mid } as any); }
  async listByConversation(ws: WorkspaceId, conversationId: ConversationId, options: { limit?: number; newest?: boolean } = {}) {
    const where = { workspaceId: ws, conversationId } as any;
    if (options.newest && options.limit !== undefined) {
      const rows = await this.s.em.find(Message, where, { orderBy: { sentAt: 'desc', id: 'desc' } as any, limit: options.limit });
      return rows.reverse();
    }
    return this.s.em.find(Message, where, { orderBy: { sentAt: 'asc', id: 'asc' } as any, ...(options.limit !== undefined ? { limit: options.limit } : {}) });
  }
  save(m: Message) { return this.s.save(m); }
  pageByConversation(ws: WorkspaceId, conversationId: ConversationId, o: { before?: { at: Date; id: string }; limit: number }) {
    const where: Row = { workspaceId: ws, conversationId };
    if (o.before) where.$or = [{ sentAt: { $lt: o.before.at } }, { sentAt: o.before.at, id: { $lt: o.before.id } }];
    return this.s.em.find(Message, where as any, { orderBy: { sentAt: 'desc', id: 'desc' } as any, limit: o.limit });
  }
  listCreatedSince(ws: WorkspaceId, since: Date, limit: number) {
    return this.s.em.find(Message, { workspaceId: ws, createdAt: { $gte: since } } as any, { orderBy: { createdAt: 'asc', id: 'asc' } as any, limit });
  }
  async deleteByConversation(ws: WorkspaceId, conversationId: ConversationId) {
    const rows = await this.s.execute<Row[]>('delete from messages where workspace_id = ? and conversation_id = ? returning id', [ws, conversationId]);
    return rows.map((r) => Ids.message(r.id));
  }
}

export class MikroOrmProductRepository implements ProductRepository {
  constructor(private readonly s: MikroOrmSession) {}
  get(ws: WorkspaceId, id: ProductId) { return this.s.em.findOne(Product, { id, workspaceId: ws } as any); }
  findBySku(ws: WorkspaceId, sku: string) { return this.s.em.findOne(Product, { workspaceId: ws, _sku: sku } as any); }
  findManyBySku(ws: WorkspaceId, skus: readonly string[]) { return skus.length === 0 ? Promise.resolve([]) : this.s.em.find(Product, { workspaceId: ws, _sku: { $in: [...new Set(skus)] } } as any); }
  save(p: Product) { return this.s.save(p); }
  list(ws: WorkspaceId, f: ProductListFilter) {
    const where: Row = { workspaceId: ws };
    if (f.status) where._status = f.status;
    if (f.after) {
      const at = new Date(Number(f.after.sortKey));
      where.$or = [{ createdAt: { $gt: at } }, { createdAt: at, id: { $gt: f.after.id } }];
    }
    return this.s.em.find(Product, where as any, { orderBy: { createdAt: 'asc', id: 'asc' } as any, limit: f.limit });
  }
  /**
   * tsvector (`simple`, prefix terms, all must match) over SKU, name and description, or the whole
   * query as a variant-SKU prefix; an exact SKU ranks first. Terms are reduced to letters and
   * digits before they reach to_tsquery, so no input can break its syntax.
   */
  async search(ws: WorkspaceId, query: string, options: { limit: number; includeArchived?: boolean }): Promise<ProductSearchHit[]> {
    const terms = query.toLowerCase().split(/[^\p{L}\p{N}]+/u).filter((t) => t.length > 0).slice(0, 12);
    if (terms.length === 0) return [];
    const tsquery = terms.map((t) => `${t}:*`).join(' & ');
    const sku = query.trim().toLowerCase();
    const rows = await this.s.execute<Row[]>(
      `select p.id, ts_rank(p.search_vector, q.tsq)
              + case when lower(p.sku) = ? or exists (select 1 from variants v where v.product_id = p.id and lower(v.sku) = ?) then 1 else 0 end
              + case when exists (select 1 from variants v where v.product_id = p.id and left(lower(v.sku), length(?)) = ?) then 0.5 else 0 end as score
         from products p, (select to_tsquery('simple', ?) as tsq) q
        where p.workspace_id = ? and (p.status = 'active' or ?)
          and (p.search_vector @@ q.tsq or exists (select 1 from variants v where v.product_id = p.id and v.workspace_id = p.workspace_id and left(lower(v.sku), length(?)) = ?))
        order by score desc, p.name, p.id
        limit ?`,
      [sku, sku, sku, sku, tsquery, ws, options.includeArchived === true, sku, sku, options.limit]);
    if (rows.length === 0) return [];
    const products = new Map((await this.s.em.find(Product, { id: { $in: rows.map((r) => r.id) }, workspaceId: ws } as any)).map((p) => [p.id as string, p]));
    return rows.flatMap((r) => { const product = products.get(r.id); return product ? [{ product, score: Number(r.score) }] : []; });
  }
}

export class MikroOrmVariantRepository implements VariantRepository {
  constructor(private readonly s: MikroOrmSession) {}
  get(ws: WorkspaceId, id: VariantId) { return this.s.em.findOne(Variant, { id, workspaceId: ws } as any); }
  getMany(ws: WorkspaceId, ids: readonly VariantId[]) { return this.s.em.find(Variant, { id: { $in: [...ids] }, workspaceId: ws } as any); }
  findBySku(ws: WorkspaceId, sku: string) { return this.s.em.findOne(Variant, { workspaceId: ws, _sku: sku } as any); }
  findManyBySku(ws: WorkspaceId, skus: readonly string[]) { return skus.length === 0 ? Promise.resolve([]) : this.s.em.find(Variant, { workspaceId: ws, _sku: { $in: [...new Set(skus)] } } as any); }
  listByProduct(ws: WorkspaceId, productId: ProductId) { return this.s.em.find(Variant, { workspaceId: ws, productId } as any, { orderBy: { createdAt: 'asc', id: 'asc' } as any }); }
  listByProducts(ws: WorkspaceId, productIds: readonly ProductId[]) {
    return productIds.length === 0 ? Promise.resolve([]) : this.s.em.find(Variant, { workspaceId: ws, productId: { $in: [...productIds] } } as any, { orderBy: { createdAt: 'asc', id: 'asc' } as any });
  }
  save(v: Variant) { return this.s.save(v); }
}

const movementFromRow = (r: Row): StockMovement => ({
  id: Ids.stockMovement(r.id), workspaceId: Ids.workspace(r.workspace_id), variantId: Ids.variant(r.variant_id), kind: r.kind,
  onHandDelta: Number(r.on_hand_delta), reservedDelta: Number(r.reserved_delta), orderId: r.order_id ? Ids.order(r.order_id) : null,
  reason: r.reason, actor: r.actor, at: new Date(r.at),
});

export class MikroOrmStockRepository implements StockRepository {
  constructor(private readonly s: MikroOrmSession) {}
  get(ws: WorkspaceId, variantId: VariantId) { return this.s.em.findOne(StockLevel, { variantId, workspaceId: ws } as any); }
  /** SELECT … FOR UPDATE in id order, so concurrent multi-line confirmations cannot deadlock. */
  lock(ws: WorkspaceId, variantIds: readonly VariantId[]) {
    const ids = [...new Set(variantIds)].sort();
    return this.s.em.find(StockLevel, { variantId: { $in: ids }, workspaceId: ws } as any, { lockMode: LockMode.PESSIMISTIC_WRITE, orderBy: { variantId: 'asc' } as any, refresh: true });
  }
  save(l: StockLevel) { return this.s.save(l); }
  /**
   * One statement: lock the levels in variant order (concurrent multi-line orders cannot
   * deadlock), add the summed deltas where the reserved range still holds, and append the ledger
   * rows only if every level took its change. The earlier writes of the unit of work go first.
   */
  async applyMovements(ws: WorkspaceId, ms: readonly StockMovement[]) {
    await this.s.flushSaved();
    const rows = await this.s.execute(
      `with m as (
         select * from jsonb_to_recordset(?::jsonb) as m(id uuid, variant_id uuid, kind text, on_hand_delta int, reserved_delta int, order_id uuid, reason text, actor jsonb, at timestamptz)
       ), d as (
         select variant_id, sum(on_hand_delta)::int as on_hand_delta, sum(reserved_delta)::int as reserved_delta, max(at) as at from m group by variant_id
       ), locked as materialized (
         select s.variant_id, s.on_hand, s.reserved, s.updated_at, s.version from stock_levels s
          where s.workspace_id = ? and s.variant_id in (select variant_id from d) order by s.variant_id for update
       ), upd as (
         update stock_levels s set on_hand = s.on_hand + d.on_hand_delta, reserved = s.reserved + d.reserved_delta, version = s.version + 1, updated_at = d.at
           from d join locked l on l.variant_id = d.variant_id
          where s.workspace_id = ? and s.variant_id = d.variant_id
            and s.reserved + d.reserved_delta >= 0 and s.reserved + d.reserved_delta <= s.on_hand + d.on_hand_delta
         returning s.variant_id, s.on_hand, s.reserved, s.updated_at, s.version
       ), ins as (
         insert into stock_movements (id, workspace_id, variant_id, kind, on_hand_delta, reserved_delta, order_id, reason, actor, at)
         select m.id, ?, m.variant_id, m.kind, m.on_hand_delta, m.reserved_delta, m.order_id, m.reason, m.actor, m.at from m
          where (select count(*) from upd) = (select count(*) from d)
       )
       select d.variant_id, l.variant_id is not null as found, u.variant_id is not null as applied,
              coalesce(u.on_hand, l.on_hand) as on_hand, coalesce(u.reserved, l.reserved) as reserved,
              coalesce(u.updated_at, l.updated_at) as updated_at, coalesce(u.version, l.version) as version
         from d left join locked l on l.variant_id = d.variant_id left join upd u on u.variant_id = d.variant_id
        order by d.variant_id`,
      [JSON.stringify(ms.map((m) => ({ id: m.id, variant_id: m.variantId, kind: m.kind, on_hand_delta: m.onHandDelta, reserved_delta: m.reservedDelta, order_id: m.orderId, reason: m.reason, actor: m.actor, at: m.at.toISOString() }))), ws, ws, ws],
    );
    const level = (r: Row) => StockLevel.of({ variantId: Ids.variant(r.variant_id), workspaceId: ws, onHand: Number(r.on_hand), reserved: Number(r.reserved), updatedAt: new Date(r.updated_at), version: Number(r.version) });
    const refused = rows.find((r) => !r.applied);
    if (refused) return { ok: false as const, variantId: Ids.variant(refused.variant_id), level: refused.found ? level(refused) : null };
    return { ok: true as const, levels: rows.map(level) };
  }
  async appendMovements(ms: readonly StockMovement[]) {
    // Multi-row inserts: an import appends hundreds per batch, one round trip each would dominate.
    for (let i = 0; i < ms.length; i += 200) {
      const chunk = ms.slice(i, i + 200);
      await this.s.execute(
        `insert into stock_movements (id, workspace_id, variant_id, kind, on_hand_delta, reserved_delta, order_id, reason, actor, at) values ${chunk.map(() => '(?, ?, ?, ?, ?, ?, ?, ?, ?::jsonb, ?)').join(', ')}`,
        chunk.flatMap((m) => [m.id, m.workspaceId, m.variantId, m.kind, m.onHandDelta, m.reservedDelta, m.orderId, m.reason, JSON.stringify(m.actor), m.at]), 'run');
    }
  }
  async listMovements(ws: WorkspaceId, variantId: VariantId) {
    return (await this.s.execute('select * from stock_movements where workspace_id = ? and variant_id = ? order by at, id', [ws, variantId])).map(movementFromRow);
  }
  getMany(ws: WorkspaceId, variantIds: readonly VariantId[]) {
    return variantIds.length === 0 ? Promise.resolve([]) : this.s.em.find(StockLevel, { variantId: { $in: [...new Set(variantIds)] }, workspaceId: ws } as any, { orderBy: { variantId: 'asc' } as any });
  }
  async listMovementsByOrder(ws: WorkspaceId, orderId: OrderId) {
    return (await this.s.execute('select * from stock_movements where workspace_id = ? and order_id = ? order by at, id', [ws, orderId])).map(movementFromRow);
  }
  async appendLowStockEvents(events: readonly LowStockEvent[]) {
    for (const e of events) {
      await this.s.execute('insert into low_stock_events (id, workspace_id, variant_id, sku, available, threshold, at) values (?, ?, ?, ?, ?, ?, ?)',
        [e.id, e.workspaceId, e.variantId, e.sku, e.available, e.threshold, e.at], 'run');
    }
  }
  async listLowStockEvents(ws: WorkspaceId, limit: number): Promise<LowStockEvent[]> {
    const rows = await this.s.execute('select * from low_stock_events where workspace_id = ? order by at desc, id desc limit ?', [ws, limit]);
    return rows.map((r) => ({ id: r.id, workspaceId: Ids.workspace(r.workspace_id), variantId: Ids.variant(r.variant_id), sku: r.sku, available: Number(r.available), threshold: Number(r.threshold), at: new Date(r.at) }));
  }
}

export class MikroOrmOrderRepository implements OrderRepository {
  constructor(private readonly s: MikroOrmSession) {}
  get(ws: WorkspaceId, id: OrderId) { return this.s.em.findOne(Order, { id, workspaceId: ws } as any); }
  save(o: Order) { return this.s.save(o); }
  list(ws: WorkspaceId, f: OrderListFilter) {
    const where: Row = { workspaceId: ws };
    if (f.status) where._status = f.status;
    if (f.contactId) where._contactId = f.contactId;
    if (f.from || f.to) where.createdAt = { ...(f.from ? { $gte: f.from } : {}), ...(f.to ? { $lt: f.to } : {}) };
    if (f.after) {
      const at = new Date(Number(f.after.sortKey));
      where.$and = [{ $or: [{ createdAt: { $lt: at } }, { createdAt: at, id: { $lt: f.after.id } }] }];
    }
    return this.s.em.find(Order, where as any, { orderBy: { createdAt: 'desc', id: 'desc' } as any, limit: f.limit });
  }
  async listExpiredHolds(cutoff: Date, limit: number) {
    const rows = await this.s.execute(`select id, workspace_id from orders where status = 'draft' and hold_expires_at is not null and hold_expires_at <= ? order by hold_expires_at, id limit ?`, [cutoff, limit]);
    return rows.map((r) => ({ workspaceId: Ids.workspace(r.workspace_id), orderId: Ids.order(r.id) }));
  }
  listDueForAnonymization(ws: WorkspaceId, cutoff: Date, limit: number) {
    return this.s.em.find(Order, { workspaceId: ws, _anonymizedAt: null, _completedAt: { $ne: null, $lte: cutoff } } as any, { orderBy: { _completedAt: 'asc', id: 'asc' } as any, limit });
  }
}

export class MikroOrmDataSubjectRequestRepository implements DataSubjectRequestRepository {
  constructor(private readonly s: MikroOrmSession) {}
  async get(ws: WorkspaceId | null, id: DataSubjectRequestId) { return tenant(await this.s.em.findOne(DataSubjectRequest, { id } as any), ws); }
  listByWorkspace(ws: WorkspaceId) { return this.s.em.find(DataSubjectRequest, { workspaceId: ws } as any, { orderBy: { requestedAt: 'asc', id: 'asc' } as any }); }
  save(r: DataSubjectRequest) { return this.s.save(r); }
}

export class MikroOrmReceiptRepository implements ReceiptRepository {
  constructor(private readonly s: MikroOrmSession) {}
  async save(r: PrivacyReceipt) {
    await this.s.execute('insert into privacy_receipts (id, workspace_id, kind, policy, counts, digest, created_at) values (?, ?, ?, ?, ?::jsonb, ?, ?)',
      [r.id, r.workspaceId, r.kind, r.policy, JSON.stringify(r.counts), r.digest, r.createdAt], 'run');
  }
  async listByWorkspace(ws: WorkspaceId) {
    const rows = await this.s.execute('select * from privacy_receipts where workspace_id = ? order by created_at, id', [ws]);
    return rows.map((r): PrivacyReceipt => ({ id: Ids.receipt(r.id), workspaceId: r.workspace_id, kind: r.kind, policy: r.policy, counts: r.counts, digest: r.digest, createdAt: new Date(r.created_at) }));
  }
  async deleteMany(ws: WorkspaceId | null, ids: readonly ReceiptId[]) {
    if (ids.length === 0) return;
    await this.s.execute(`delete from privacy_receipts where workspace_id is not distinct from ?::uuid and id in (${ids.map(() => '?').join(', ')})`, [ws, ...ids], 'run');
  }
}

export class MikroOrmAuditLog implements AuditLog {
  constructor(private readonly s: MikroOrmSession) {}
  async append(e: AuditEntry) {
    await this.s.execute(
      'insert into audit_entries (id, workspace_id, actor, actor_id, action, target_type, target_id, at, request_id, details) values (?, ?, ?::jsonb, ?, ?, ?, ?, ?, ?, ?::jsonb)',
      [e.id, e.workspaceId, JSON.stringify(e.actor), e.actor.id ?? null, e.action, e.target?.type ?? null, e.target?.id ?? null, e.at, e.requestId, JSON.stringify(e.details)], 'run');
  }
  async list(ws: WorkspaceId, f: AuditFilter = {}) {
    const where = ['workspace_id = ?'];
    const params: unknown[] = [ws];
    if (f.action !== undefined) { where.push('action = ?'); params.push(f.action); }
    if (f.actorId !== undefined) { where.push('actor_id = ?'); params.push(f.actorId); }
    if (f.from !== undefined) { where.push('at >= ?'); params.push(f.from); }
    if (f.to !== undefined) { where.push('at < ?'); params.push(f.to); }
    if (f.after !== undefined) { where.push('(at < ? or (at = ? and id < ?))'); params.push(f.after.at, f.after.at, f.after.id); }
    params.push(f.limit ?? 100);
    const rows = await this.s.execute(`select * from audit_entries where ${where.join(' and ')} order by at desc, id desc limit ?`, params);
    return rows.map((r): AuditEntry => ({
      id: Ids.auditEntry(r.id), workspaceId: r.workspace_id, actor: r.actor, action: r.action,
      target: r.target_type ? { type: r.target_type, id: r.target_id } : null, at: new Date(r.at), requestId: r.request_id, details: r.details,
    }));
  }
  async deleteOlderThan(cutoff: Date, limit: number) {
    const rows = await this.s.execute('delete from audit_entries where id in (select id from audit_entries where at <= ? order by at limit ?) returning id', [cutoff, limit]);
    return rows.length;
  }
}

export class MikroOrmDailyMetricsRepository implements DailyMetricsRepository {
  constructor(private readonly s: MikroOrmSession) {}
  /** An additive upsert: concurrent writers add to the same row without a read-modify-write race. */
  async add(deltas: readonly MetricDelta[]) {
    for (const d of mergeDeltas(deltas)) {
      await this.s.execute(
        `insert into daily_metrics (workspace_id, day, metric, dimension, count, sum) values (?, ?::date, ?, ?, ?, ?)
         on conflict (workspace_id, day, metric, dimension) do update set count = daily_metrics.count + excluded.count, sum = daily_metrics.sum + excluded.sum`,
        [d.workspaceId, d.day, d.metric, d.dimension, d.count, d.sum], 'run');
    }
  }
  async query(ws: WorkspaceId, f: { metric?: string; fromDay: string; toDay: string }) {
    const rows = await this.s.execute(
      `select workspace_id, to_char(day, 'YYYY-MM-DD') as day, metric, dimension, count, sum from daily_metrics
       where workspace_id = ? and day >= ?::date and day <= ?::date ${f.metric !== undefined ? 'and metric = ?' : ''} order by day, metric, dimension`,
      f.metric !== undefined ? [ws, f.fromDay, f.toDay, f.metric] : [ws, f.fromDay, f.toDay]);
    return rows.map((r): DailyMetric => ({ workspaceId: r.workspace_id, day: r.day, metric: r.metric, dimension: r.dimension, count: Number(r.count), sum: Number(r.sum) }));
  }
}

export class MikroOrmSessionRepository implements SessionRepository {
  constructor(private readonly s: MikroOrmSession) {}
  get(tokenHash: string) { return this.s.em.findOne(Session, { id: tokenHash } as any); }
  save(x: Session) { return this.s.save(x); }
  async revokeAllForUser(userId: UserId, now: Date) {
    const rows = await this.s.execute<Row[]>(
      'update sessions set revoked_at = ?, version = version + 1 where user_id = ? and revoked_at is null and idle_expires_at > ? and absolute_expires_at > ? returning token_hash',
      [now, userId, now, now]);
    return rows.length;
  }
  async deleteEndedBefore(cutoff: Date, limit: number) {
    const rows = await this.s.execute<Row[]>(
      `delete from sessions where token_hash in (select token_hash from sessions
         where revoked_at <= ? or absolute_expires_at <= ? or idle_expires_at <= ? limit ?) returning token_hash`, [cutoff, cutoff, cutoff, limit]);
    return rows.length;
  }
}

export class MikroOrmInvitationRepository implements InvitationRepository {
  constructor(private readonly s: MikroOrmSession) {}
  get(ws: WorkspaceId, id: string) { return this.s.em.findOne(Invitation, { id, workspaceId: ws } as any); }
  findByTokenHash(tokenHash: string) { return this.s.em.findOne(Invitation, { tokenHash } as any); }
  listPending(ws: WorkspaceId, now: Date) {
    return this.s.em.find(Invitation, { workspaceId: ws, _acceptedAt: null, _revokedAt: null, expiresAt: { $gt: now } } as any, { orderBy: { createdAt: 'asc', id: 'asc' } as any });
  }
  save(i: Invitation) { return this.s.save(i); }
}

/** Every repository over one fresh unit of work. Create one per request or job. */
export function createMikroOrmRepositories(orm: MikroORM) {
  const session = new MikroOrmSession(orm.em.fork() as Em);
  return {
    session,
    uow: session as UnitOfWork,
    workspaces: new MikroOrmWorkspaceRepository(session),
    users: new MikroOrmUserRepository(session),
    memberships: new MikroOrmMembershipRepository(session),
    accounts: new MikroOrmInstagramAccountRepository(session),
    secrets: new MikroOrmSecretRepository(session),
    contacts: new MikroOrmContactRepository(session),
    conversations: new MikroOrmConversationRepository(session),
    messages: new MikroOrmMessageRepository(session),
    products: new MikroOrmProductRepository(session),
    variants: new MikroOrmVariantRepository(session),
    stock: new MikroOrmStockRepository(session),
    orders: new MikroOrmOrderRepository(session),
    requests: new MikroOrmDataSubjectRequestRepository(session),
    receipts: new MikroOrmReceiptRepository(session),
    audit: new MikroOrmAuditLog(session),
    metrics: new MikroOrmDailyMetricsRepository(session),
    contactFacts: new SqlReportStore(session),
    sessions: new MikroOrmSessionRepository(session),
    invitations: new MikroOrmInvitationRepository(session),
  };
}

