import type { ContactId, WorkspaceId } from '../shared/ids.js';
import type { Order } from '../orders/order.js';
import type { EntryPoint } from '../conversations/conversation.js';
import type { AuthorKind, DeliveryState, Direction, HoldReason } from '../conversations/message.js';
import { localDay, mergeDeltas, messageMetrics, orderTransitionMetrics, type MetricDelta } from './daily-metrics.js';
import { contactActive, contactPurchased, firstResponse, mergeFacts, outboundSent, responderOf, sendRefused, type ContactDayFact } from './metric-helpers.js';

/** Metrics a repair recomputes from the source tables. */
export const REBUILDABLE_METRICS: readonly string[] = [
  'orders.confirmed', 'orders.units', 'sales.variant', 'orders.paid', 'orders.shipped', 'orders.delivered', 'orders.cancelled', 'orders.cancelled_booked', 'orders.refunded',
  'messages.inbound', 'messages.outbound', 'conversations.new', 'response.first', 'sends.refused',
];
/** Metrics no source table keeps (events, not state): a repair leaves their rows alone. */
export const SOURCELESS_METRICS: readonly string[] = ['handoffs', 'deflection.lost', 'sends.rate_limited'];

/** One message as a repair sees it: no text, no attachments. */
export interface MessageFact {
  readonly direction: Direction;
  readonly authorKind: AuthorKind;
  readonly deliveryState: DeliveryState;
  readonly holdReason: HoldReason | null;
  readonly sentAt: Date;
}

export interface ConversationHistory {
  readonly conversationId: string;
  readonly contactId: ContactId;
  readonly entryPoint: EntryPoint;
  readonly createdAt: Date;
  /** Art. 18: a restricted contact's activity is not analysed, now or in a repair. */
  readonly contactRestricted: boolean;
  /** Oldest first. */
  readonly messages: readonly MessageFact[];
}

/**
 * The batch side of the reports: what the incremental helpers would have recorded for the local
 * days [fromDay, toDay], derived from the source. Both sides call the same helpers, so a repair of
 * an undamaged range changes nothing (the property test in reports-repair.test.ts).
 */
export function rebuildReportData(input: {
  workspaceId: WorkspaceId; timezone: string; fromDay: string; toDay: string;
  orders: readonly Order[]; entryPoints: ReadonlyMap<string, EntryPoint>; conversations: readonly ConversationHistory[];
}): { deltas: MetricDelta[]; facts: ContactDayFact[] } {
  const { workspaceId, timezone: tz, fromDay, toDay } = input;
  const inRange = (at: Date) => { const d = localDay(at, tz); return d >= fromDay && d <= toDay; };
  const deltas: MetricDelta[] = [];
  const facts: ContactDayFact[] = [];

  for (const order of input.orders) {
    const entry = order.conversationId ? input.entryPoints.get(order.conversationId) ?? null : null;
    for (const change of order.history) {
      if (change.from === null || !inRange(change.at)) continue;
      deltas.push(...orderTransitionMetrics(order, change.to, change.at, tz, entry, change.from));
      if (change.to === 'confirmed' && order.contactId) facts.push(...contactPurchased({ workspaceId, contactId: order.contactId, at: change.at, timezone: tz }));
    }
  }

  for (const c of input.conversations) {
    if (c.contactRestricted) continue;
    let firstReplySeen = false;
    let openedCounted = false;
    for (const m of c.messages) {
      if (m.direction === 'inbound') {
        if (!inRange(m.sentAt)) continue;
        const opens = !openedCounted && m.sentAt.getTime() === c.createdAt.getTime();
        if (opens) openedCounted = true;
        deltas.push(...messageMetrics({ workspaceId, authorKind: 'customer', at: m.sentAt, timezone: tz, newConversation: opens, entryPoint: c.entryPoint }));
        facts.push(...contactActive({ workspaceId, contactId: c.contactId, at: m.sentAt, timezone: tz }));
        continue;
      }
      const author = m.authorKind === 'customer' ? 'agent' : m.authorKind;
      if (m.deliveryState === 'refused' && m.holdReason) {
        if (inRange(m.sentAt)) deltas.push(...sendRefused({ workspaceId, author, reason: m.holdReason, at: m.sentAt, timezone: tz }));
        continue;
      }
      if (m.deliveryState !== 'sent') continue;
      if (inRange(m.sentAt)) deltas.push(...outboundSent({ workspaceId, author, at: m.sentAt, timezone: tz }));
      if (!firstReplySeen && responderOf(author) !== null) {
        firstReplySeen = true;
        if (inRange(m.sentAt)) deltas.push(...firstResponse({ workspaceId, author, customerMessageAt: c.createdAt, respondedAt: m.sentAt, timezone: tz }));
      }
    }
  }
  return { deltas: mergeDeltas(deltas), facts: mergeFacts(facts) };
}
