import type * as D from './types.js';
import type { InMemoryDatabase } from './database.js';
import { mergeFacts } from '../src/reports/metric-helpers.js';

type Ws = D.WorkspaceId;
interface StoredFact { workspaceId: string; contactKey: string; day: string; inbound: number; orders: number }

/**
 * A stand-in for the SQL digest: FNV-1a over the ids. Not cryptographic (nothing leaves memory);
 * it keeps the in-memory store keyed the way the SQL one is, by a value that is not the id.
 */
export function inMemoryContactKey(workspaceId: string, contactId: string): string {
  let h = 0xcbf29ce484222325n;
  for (const ch of `${workspaceId}:${contactId}`) { h ^= BigInt(ch.charCodeAt(0)); h = (h * 0x100000001b3n) & 0xffffffffffffffffn; }
  return h.toString(16).padStart(16, '0');
}

/** Reports over the in-memory tables; the same behaviour as the SQL store (reports contract tests). */
export class InMemoryReportStore implements D.ReportStore, D.ReportSource {
  constructor(private readonly db: InMemoryDatabase) {}

  async metrics(ws: Ws, fromDay: string, toDay: string, metrics: readonly string[]) {
    return this.db.scan<D.DailyMetric>('daily_metrics', (m) => m.workspaceId === ws && m.day >= fromDay && m.day <= toDay && metrics.includes(m.metric))
      .sort((a, b) => a.day.localeCompare(b.day) || a.metric.localeCompare(b.metric) || a.dimension.localeCompare(b.dimension));
  }

  async record(facts: readonly D.ContactDayFact[]) {
    for (const f of mergeFacts(facts)) {
      const contactKey = inMemoryContactKey(f.workspaceId, f.contactId);
      const key = `${f.workspaceId}|${contactKey}|${f.day}`;
      const prev = this.db.read<StoredFact>('report_contact_days', key);
      this.db.write('report_contact_days', key, { workspaceId: f.workspaceId, contactKey, day: f.day, inbound: (prev?.inbound ?? 0) + f.inbound, orders: (prev?.orders ?? 0) + f.orders });
    }
  }

  async forgetContact(ws: Ws, contactId: D.ContactId) {
    const contactKey = inMemoryContactKey(ws, contactId);
    const rows = this.db.scan<StoredFact>('report_contact_days', (f) => f.workspaceId === ws && f.contactKey === contactKey);
    for (const f of rows) this.db.remove('report_contact_days', `${f.workspaceId}|${f.contactKey}|${f.day}`);
    return rows.length;
  }

  async contactSummary(ws: Ws, periods: readonly D.ReportPeriod[]) {
    const all = this.db.scan<StoredFact>('report_contact_days', (f) => f.workspaceId === ws);
    const firstDay = new Map<string, string>();
    for (const f of all) if (!firstDay.has(f.contactKey) || f.day < firstDay.get(f.contactKey)!) firstDay.set(f.contactKey, f.day);
    return periods.map((p): D.ContactPeriodSummary => {
      const inPeriod = all.filter((f) => f.day >= p.fromDay && f.day <= p.toDay);
      const active = new Set(inPeriod.filter((f) => f.inbound > 0).map((f) => f.contactKey));
      const purchasers = new Set(inPeriod.filter((f) => f.orders > 0).map((f) => f.contactKey));
      const ordersThrough = (key: string) => all.filter((f) => f.contactKey === key && f.day <= p.toDay).reduce((n, f) => n + f.orders, 0);
      return {
        key: p.key, active: active.size, newContacts: [...active].filter((k) => firstDay.get(k)! >= p.fromDay).length,
        purchasers: purchasers.size, repeatPurchasers: [...purchasers].filter((k) => ordersThrough(k) >= 2).length,
      };
    });
  }

  async variants(ws: Ws, variantIds: readonly string[]) {
    return variantIds.map((variantId): D.VariantInfo => {
      const v = this.db.read<D.Variant>('variants', variantId);
      const p = v && v.workspaceId === ws ? this.db.read<D.Product>('products', v.productId) : null;
      return { variantId, productId: p?.id ?? null, productName: p?.name ?? null, sku: v && v.workspaceId === ws ? v.sku : null };
    });
  }

  async replaceRange(input: { workspaceId: Ws; fromDay: string; toDay: string; metrics: readonly string[]; deltas: readonly D.MetricDelta[]; facts: readonly D.ContactDayFact[] }) {
    const { workspaceId: ws, fromDay, toDay } = input;
    const outside = [...input.deltas.map((d) => d.day), ...input.facts.map((f) => f.day)].find((d) => d < fromDay || d > toDay);
    if (outside !== undefined) throw new RangeError(`replaceRange: ${outside} is outside ${fromDay}..${toDay}`);
    for (const m of this.db.scan<D.DailyMetric>('daily_metrics', (m) => m.workspaceId === ws && m.day >= fromDay && m.day <= toDay && input.metrics.includes(m.metric))) {
      this.db.remove('daily_metrics', [m.workspaceId, m.day, m.metric, m.dimension].join('|'));
    }
    for (const f of this.db.scan<StoredFact>('report_contact_days', (f) => f.workspaceId === ws && f.day >= fromDay && f.day <= toDay)) {
      this.db.remove('report_contact_days', `${f.workspaceId}|${f.contactKey}|${f.day}`);
    }
    for (const d of input.deltas) {
      const key = [d.workspaceId, d.day, d.metric, d.dimension].join('|');
      const prev = this.db.read<D.DailyMetric>('daily_metrics', key);
      this.db.write('daily_metrics', key, prev ? { ...prev, count: prev.count + d.count, sum: prev.sum + d.sum } : { ...d });
    }
    await this.record(input.facts);
  }

  async ordersChangedBetween(ws: Ws, from: Date, to: Date) {
    return this.db.scan<D.Order>('orders', (o) => o.workspaceId === ws && o.createdAt < to && o.updatedAt >= from);
  }

  async entryPoints(ws: Ws, conversationIds: readonly string[]) {
    const out = new Map<string, D.EntryPoint>();
    for (const id of conversationIds) {
      const c = this.db.read<D.Conversation>('conversations', id);
      if (c && c.workspaceId === ws) out.set(id, c.entryPoint);
    }
    return out;
  }

  async conversationsActiveBetween(ws: Ws, from: Date, to: Date) {
    const messages = this.db.scan<D.Message>('messages', (m) => m.workspaceId === ws);
    const active = new Set(messages.filter((m) => m.sentAt >= from && m.sentAt < to).map((m) => m.conversationId));
    return [...active].sort().flatMap((id): D.ConversationHistory[] => {
      const c = this.db.read<D.Conversation>('conversations', id);
      if (!c) return [];
      const contact = this.db.read<D.Contact>('contacts', c.contactId);
      const mine = messages.filter((m) => m.conversationId === id).sort((a, b) => a.sentAt.getTime() - b.sentAt.getTime() || a.id.localeCompare(b.id));
      return [{
        conversationId: id, contactId: c.contactId, entryPoint: c.entryPoint, createdAt: c.createdAt, contactRestricted: contact?.restrictions.processingRestricted ?? false,
        messages: mine.map((m) => ({ direction: m.direction, authorKind: m.authorKind, deliveryState: m.deliveryState, holdReason: m.holdReason, sentAt: m.sentAt })),
      }];
    });
  }
}
