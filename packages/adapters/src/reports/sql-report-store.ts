import {
  Order, mergeDeltas, mergeFacts,
  type ContactDayFact, type ContactId, type ContactPeriodSummary, type ConversationHistory, type DailyMetric, type EntryPoint, type MetricDelta,
  type ReportPeriod, type ReportSource, type ReportStore, type UnitOfWork, type VariantInfo, type WorkspaceId,
} from '@palette/domain';
import { MikroOrmSession } from '../persistence/mikro-orm-repositories.js';

/* eslint-disable @typescript-eslint/no-explicit-any */
type Row = Record<string, any>;

/**
 * The contact key: SHA-256 of `workspace:contact`, computed by the database so the id never
 * reaches the facts table. It is pseudonymous (whoever holds the contact id can recompute it),
 * which is why the facts are swept with the contact (`forgetContact`).
 */
const CONTACT_KEY = `sha256(convert_to(?::text || ':' || ?::text, 'UTF8'))`;
const BATCH = 500;

const placeholders = (rows: number, perRow: string) => Array.from({ length: rows }, () => perRow).join(', ');
function chunks<T>(items: readonly T[], size: number): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += size) out.push(items.slice(i, i + size));
  return out;
}

/** Reports over PostgreSQL/PGlite, inside the unit of work of a `createMikroOrmRepositories` set. */
export class SqlReportStore implements ReportStore, ReportSource {
  constructor(private readonly s: MikroOrmSession) {}

  async metrics(ws: WorkspaceId, fromDay: string, toDay: string, metrics: readonly string[]): Promise<DailyMetric[]> {
    if (metrics.length === 0) return [];
    const rows = await this.s.execute<Row[]>(
      `select to_char(day, 'YYYY-MM-DD') as day, metric, dimension, count, sum from daily_metrics
       where workspace_id = ? and metric in (${metrics.map(() => '?').join(', ')}) and day between ?::date and ?::date
       order by day, metric, dimension`,
      [ws, ...metrics, fromDay, toDay]);
    return rows.map((r) => ({ workspaceId: ws, day: r.day, metric: r.metric, dimension: r.dimension, count: Number(r.count), sum: Number(r.sum) }));
  }

  async record(facts: readonly ContactDayFact[]): Promise<void> {
    for (const batch of chunks(mergeFacts(facts), BATCH)) {
      await this.s.execute(
        `insert into report_contact_days (workspace_id, contact_key, day, inbound, orders)
         values ${placeholders(batch.length, `(?, ${CONTACT_KEY}, ?::date, ?, ?)`)}
         on conflict (workspace_id, contact_key, day) do update
           set inbound = report_contact_days.inbound + excluded.inbound, orders = report_contact_days.orders + excluded.orders`,
        batch.flatMap((f) => [f.workspaceId, f.workspaceId, f.contactId, f.day, f.inbound, f.orders]), 'run');
    }
  }

  async forgetContact(ws: WorkspaceId, contactId: ContactId): Promise<number> {
    const rows = await this.s.execute<Row[]>(`delete from report_contact_days where workspace_id = ? and contact_key = ${CONTACT_KEY} returning day`, [ws, ws, contactId]);
    return rows.length;
  }

  async contactSummary(ws: WorkspaceId, periods: readonly ReportPeriod[]): Promise<ContactPeriodSummary[]> {
    if (periods.length === 0) return [];
    // One pass over the facts of the requested span: a running sum per contact gives the orders
    // up to each period's end (the largest running total inside the period, since orders ≥ 0);
    // first-seen day and orders before the span come from the primary key, per active contact.
    const rows = await this.s.execute<Row[]>(
      `with p (key, f, t) as (values ${placeholders(periods.length, '(?::text, ?::date, ?::date)')}),
       span as (select min(f) as f, max(t) as t from p),
       d as (
         select x.contact_key, x.day, x.inbound, x.orders, sum(x.orders) over (partition by x.contact_key order by x.day) as cum
         from report_contact_days x, span where x.workspace_id = ? and x.day between span.f and span.t
       ),
       k as (select distinct contact_key from d),
       firsts as (select y.contact_key, min(y.day) as first_day from report_contact_days y join k on k.contact_key = y.contact_key where y.workspace_id = ? group by y.contact_key),
       prior as (select y.contact_key, sum(y.orders) as orders from report_contact_days y join k on k.contact_key = y.contact_key, span where y.workspace_id = ? and y.day < span.f group by y.contact_key),
       pc as (
         select p.key, p.f, d.contact_key, sum(d.inbound) as inbound, sum(d.orders) as orders, max(d.cum) as cum
         from p join d on d.day between p.f and p.t group by p.key, p.f, d.contact_key
       )
       select pc.key,
         count(*) filter (where pc.inbound > 0) as active,
         count(*) filter (where pc.inbound > 0 and firsts.first_day >= pc.f) as new_contacts,
         count(*) filter (where pc.orders > 0) as purchasers,
         count(*) filter (where pc.orders > 0 and coalesce(prior.orders, 0) + pc.cum >= 2) as repeat_purchasers
       from pc join firsts on firsts.contact_key = pc.contact_key left join prior on prior.contact_key = pc.contact_key
       group by pc.key`,
      [...periods.flatMap((p) => [p.key, p.fromDay, p.toDay]), ws, ws, ws]);
    const byKey = new Map(rows.map((r) => [r.key as string, r]));
    return periods.map((p) => {
      const r = byKey.get(p.key);
      return { key: p.key, active: Number(r?.active ?? 0), newContacts: Number(r?.new_contacts ?? 0), purchasers: Number(r?.purchasers ?? 0), repeatPurchasers: Number(r?.repeat_purchasers ?? 0) };
    });
  }

  async variants(ws: WorkspaceId, variantIds: readonly string[]): Promise<VariantInfo[]> {
    const uuids = variantIds.filter((v) => /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i.test(v));
    const rows = uuids.length === 0 ? [] : await this.s.execute<Row[]>(
      `select v.id, v.sku, p.id as product_id, p.name as product_name from variants v join products p on p.id = v.product_id
       where v.workspace_id = ? and v.id in (${uuids.map(() => '?').join(', ')})`, [ws, ...uuids]);
    const byId = new Map(rows.map((r) => [r.id as string, r]));
    return variantIds.map((variantId) => {
      const r = byId.get(variantId);
      return { variantId, productId: r?.product_id ?? null, productName: r?.product_name ?? null, sku: r?.sku ?? null };
    });
  }

  async replaceRange(input: { workspaceId: WorkspaceId; fromDay: string; toDay: string; metrics: readonly string[]; deltas: readonly MetricDelta[]; facts: readonly ContactDayFact[] }): Promise<void> {
    const { workspaceId: ws, fromDay, toDay } = input;
    const outside = [...input.deltas.map((d) => d.day), ...input.facts.map((f) => f.day)].find((d) => d < fromDay || d > toDay);
    if (outside !== undefined) throw new RangeError(`replaceRange: ${outside} is outside ${fromDay}..${toDay}`);
    if (input.metrics.length > 0) {
      await this.s.execute(
        `delete from daily_metrics where workspace_id = ? and metric in (${input.metrics.map(() => '?').join(', ')}) and day between ?::date and ?::date`,
        [ws, ...input.metrics, fromDay, toDay], 'run');
    }
    await this.s.execute('delete from report_contact_days where workspace_id = ? and day between ?::date and ?::date', [ws, fromDay, toDay], 'run');
    for (const batch of chunks(mergeDeltas(input.deltas), BATCH)) {
      await this.s.execute(
        `insert into daily_metrics (workspace_id, day, metric, dimension, count, sum) values ${placeholders(batch.length, '(?, ?::date, ?, ?, ?, ?)')}
         on conflict (workspace_id, day, metric, dimension) do update set count = daily_metrics.count + excluded.count, sum = daily_metrics.sum + excluded.sum`,
        batch.flatMap((d) => [d.workspaceId, d.day, d.metric, d.dimension, d.count, d.sum]), 'run');
    }
    await this.record(input.facts);
  }

  ordersChangedBetween(ws: WorkspaceId, from: Date, to: Date): Promise<Order[]> {
    return this.s.em.find(Order, { workspaceId: ws, createdAt: { $lt: to }, _updatedAt: { $gte: from } } as any, { orderBy: { createdAt: 'asc', id: 'asc' } as any });
  }

  async entryPoints(ws: WorkspaceId, conversationIds: readonly string[]): Promise<ReadonlyMap<string, EntryPoint>> {
    const out = new Map<string, EntryPoint>();
    for (const batch of chunks(conversationIds, BATCH)) {
      const rows = await this.s.execute<Row[]>(`select id, entry_point from conversations where workspace_id = ? and id in (${batch.map(() => '?').join(', ')})`, [ws, ...batch]);
      for (const r of rows) out.set(r.id, r.entry_point);
    }
    return out;
  }

  /** Never selects `text` or attachments: a repair needs who, when and what became of it. */
  async conversationsActiveBetween(ws: WorkspaceId, from: Date, to: Date): Promise<ConversationHistory[]> {
    const rows = await this.s.execute<Row[]>(
      `select c.id as conversation_id, c.contact_id, c.entry_point, c.created_at, coalesce((ct.restrictions->>'processingRestricted')::boolean, false) as restricted,
              m.direction, m.author_kind, m.delivery_state, m.hold_reason, m.sent_at
       from conversations c
       join contacts ct on ct.id = c.contact_id
       join messages m on m.conversation_id = c.id
       where c.workspace_id = ? and c.id in (select distinct conversation_id from messages where workspace_id = ? and sent_at >= ? and sent_at < ?)
       order by c.id, m.sent_at, m.id`,
      [ws, ws, from, to]);
    const out: ConversationHistory[] = [];
    let current: { head: Omit<ConversationHistory, 'messages'>; messages: ConversationHistory['messages'][number][] } | null = null;
    for (const r of rows) {
      if (!current || current.head.conversationId !== r.conversation_id) {
        if (current) out.push({ ...current.head, messages: current.messages });
        current = { head: { conversationId: r.conversation_id, contactId: r.contact_id, entryPoint: r.entry_point, createdAt: new Date(r.created_at), contactRestricted: r.restricted === true || r.restricted === 't' }, messages: [] };
      }
      current.messages.push({ direction: r.direction, authorKind: r.author_kind, deliveryState: r.delivery_state, holdReason: r.hold_reason ?? null, sentAt: new Date(r.sent_at) });
    }
    if (current) out.push({ ...current.head, messages: current.messages });
    return out;
  }
}

/** The store over the unit of work of a `createMikroOrmRepositories` set, so a repair commits in one transaction. */
export function createSqlReportStore(uow: UnitOfWork): SqlReportStore {
  if (!(uow instanceof MikroOrmSession)) throw new TypeError('createSqlReportStore needs the unit of work of createMikroOrmRepositories');
  return new SqlReportStore(uow);
}
