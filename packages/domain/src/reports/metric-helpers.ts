import type { ContactId, WorkspaceId } from '../shared/ids.js';
import type { EntryPoint } from '../conversations/conversation.js';
import type { AuthorKind } from '../conversations/message.js';
import type { HoldReason } from '../conversations/message.js';
import { dimension, localDay, type MetricDelta } from './daily-metrics.js';

/**
 * The incremental side of the reports. Each helper turns one business event into the deltas (or
 * contact facts) it contributes; the caller adds them with `DailyMetricsRepository.add` (or
 * `ContactFactsRepository.record`) in the SAME unit of work as the event, so a rolled-back event
 * never counts. `rebuildReportData` derives the same values from the source tables; a property test
 * holds the two equal. None of them carries message text or a contact's identity.
 */

const DAY_MS = 86_400_000;
export const DEFLECTION_WINDOW_MS = 7 * DAY_MS;

/**
 * Upper bounds (seconds) of the first-response histogram. Stored as counts per bucket, so the
 * median and p90 of any period can be computed after the messages themselves are deleted.
 * The last bucket is open (≥ 7 days).
 */
export const RESPONSE_BUCKETS_SECONDS: readonly number[] = [10, 30, 60, 120, 300, 600, 900, 1800, 3600, 7200, 14400, 28800, 43200, 86400, 172800, 604800, Infinity];

export function responseBucket(seconds: number): number {
  const s = Math.max(0, seconds);
  const i = RESPONSE_BUCKETS_SECONDS.findIndex((upper) => s <= upper);
  return i === -1 ? RESPONSE_BUCKETS_SECONDS.length - 1 : i;
}

/** Who answered: the assistant and automations are `assistant`; agents and Instagram-app replies are `human`. */
export type Responder = 'assistant' | 'human';
export function responderOf(author: Exclude<AuthorKind, 'customer'>): Responder | null {
  if (author === 'notification') return null;
  return author === 'agent' || author === 'instagram_app_echo' ? 'human' : 'assistant';
}

/** Outcomes of the messaging window (the refusals the "window refusals" figure counts). */
export const WINDOW_REFUSAL_REASONS: readonly HoldReason[] = ['no_customer_message', 'window_closed', 'human_agent_window_closed'];

/**
 * A new conversation thread: call when the first customer message of a thread is stored.
 * (ReceiveInboundMessage already emits this through `messageMetrics` when it opens the thread.)
 */
export function conversationStarted(input: { workspaceId: WorkspaceId; entryPoint: EntryPoint; at: Date; timezone: string }): MetricDelta[] {
  return [{ workspaceId: input.workspaceId, day: localDay(input.at, input.timezone), metric: 'conversations.new', dimension: dimension({ entry: input.entryPoint }), count: 1, sum: 0 }];
}

/**
 * An outbound message went out: call when it is marked `sent` (OutboundSend after the platform
 * accepted it, or when a human's Instagram-app echo is stored), with `at = message.sentAt`.
 * Held, refused and failed sends are not outbound messages.
 */
export function outboundSent(input: { workspaceId: WorkspaceId; author: Exclude<AuthorKind, 'customer'>; at: Date; timezone: string }): MetricDelta[] {
  return [{ workspaceId: input.workspaceId, day: localDay(input.at, input.timezone), metric: 'messages.outbound', dimension: dimension({ author: input.author }), count: 1, sum: 0 }];
}

/**
 * The first reply of a thread: call once per conversation, when the first outbound message that
 * is not a notification is marked `sent` and no earlier one was. `customerMessageAt` is the
 * thread's first customer message (`conversation.createdAt` for threads opened by a DM),
 * `respondedAt` the reply's `sentAt`. Counted on the day of the reply, in a histogram bucket.
 */
export function firstResponse(input: { workspaceId: WorkspaceId; author: Exclude<AuthorKind, 'customer'>; customerMessageAt: Date; respondedAt: Date; timezone: string }): MetricDelta[] {
  const responder = responderOf(input.author);
  if (!responder) return [];
  const seconds = Math.max(0, Math.round((input.respondedAt.getTime() - input.customerMessageAt.getTime()) / 1000));
  const bucket = responseBucket(seconds);
  return [{ workspaceId: input.workspaceId, day: localDay(input.respondedAt, input.timezone), metric: 'response.first', dimension: dimension({ bucket: String(bucket).padStart(2, '0'), responder }), count: 1, sum: seconds }];
}

/**
 * A conversation was handed to a human: call from the assistant's handoff (`initiator:
 * 'assistant'`, including a customer asking for a person) or an agent taking over
 * (`'agent'`). `firstAssistantResponseAt` is when the assistant first answered this thread (null
 * if it never did); `previousHandoffAt` is `conversation.handoffRequestedAt` BEFORE this handoff.
 * A handoff within 7 days of the assistant's first answer takes that conversation out of the
 * deflected ones; it is counted (once) on the day of that first answer so deflection per day is
 * final 7 days later.
 */
export function handoff(input: {
  workspaceId: WorkspaceId; initiator: 'assistant' | 'agent'; at: Date; timezone: string;
  firstAssistantResponseAt: Date | null; previousHandoffAt: Date | null;
}): MetricDelta[] {
  const deltas: MetricDelta[] = [
    { workspaceId: input.workspaceId, day: localDay(input.at, input.timezone), metric: 'handoffs', dimension: dimension({ initiator: input.initiator }), count: 1, sum: 0 },
  ];
  const first = input.firstAssistantResponseAt;
  const alreadyLost = first !== null && input.previousHandoffAt !== null && input.previousHandoffAt >= first;
  if (first && !alreadyLost && input.at >= first && input.at.getTime() - first.getTime() < DEFLECTION_WINDOW_MS) {
    deltas.push({ workspaceId: input.workspaceId, day: localDay(first, input.timezone), metric: 'deflection.lost', dimension: '', count: 1, sum: 0 });
  }
  return deltas;
}

/**
 * An outbound message was refused by the send gate (never goes out): call with the message's
 * `sentAt` (when it was queued), its author and the refusal reason. Window refusals are the reasons
 * in WINDOW_REFUSAL_REASONS; `human` separates agents from automated authors.
 */
export function sendRefused(input: { workspaceId: WorkspaceId; author: Exclude<AuthorKind, 'customer'>; reason: HoldReason; at: Date; timezone: string }): MetricDelta[] {
  const human = input.author === 'agent' || input.author === 'instagram_app_echo';
  return [{ workspaceId: input.workspaceId, day: localDay(input.at, input.timezone), metric: 'sends.refused', dimension: dimension({ human: String(human), reason: input.reason }), count: 1, sum: 0 }];
}

/**
 * The send job was delayed by Instagram's rate limit (or our own pacing): call once per delay with
 * how long the send waits. Not rebuildable from source (no table keeps it): repair leaves it alone.
 */
export function rateLimitDelay(input: { workspaceId: WorkspaceId; delayMs: number; at: Date; timezone: string }): MetricDelta[] {
  return [{ workspaceId: input.workspaceId, day: localDay(input.at, input.timezone), metric: 'sends.rate_limited', dimension: '', count: 1, sum: Math.max(0, Math.round(input.delayMs)) }];
}

/**
 * A pseudonymous per-contact, per-day fact: what the distinct-contact figures (active, new vs
 * returning, repeat purchase) need and daily sums cannot give. Adapters store a hash of the contact
 * id, never the id; `ContactFactsRepository.forgetContact` sweeps them with the contact.
 */
export interface ContactDayFact {
  readonly workspaceId: WorkspaceId;
  readonly contactId: ContactId;
  readonly day: string;
  /** Customer messages that day. */
  readonly inbound: number;
  /** Orders confirmed that day. */
  readonly orders: number;
}

/** A customer message from this contact (call with ReceiveInboundMessage, unless processing is restricted). */
export function contactActive(input: { workspaceId: WorkspaceId; contactId: ContactId; at: Date; timezone: string }): ContactDayFact[] {
  return [{ workspaceId: input.workspaceId, contactId: input.contactId, day: localDay(input.at, input.timezone), inbound: 1, orders: 0 }];
}

/** An order of this contact was confirmed (call with TransitionOrder on `confirmed`, when the order has a contact). */
export function contactPurchased(input: { workspaceId: WorkspaceId; contactId: ContactId; at: Date; timezone: string }): ContactDayFact[] {
  return [{ workspaceId: input.workspaceId, contactId: input.contactId, day: localDay(input.at, input.timezone), inbound: 0, orders: 1 }];
}

export function mergeFacts(facts: readonly ContactDayFact[]): ContactDayFact[] {
  const map = new Map<string, ContactDayFact>();
  for (const f of facts) {
    const key = `${f.workspaceId}|${f.contactId}|${f.day}`;
    const prev = map.get(key);
    map.set(key, prev ? { ...prev, inbound: prev.inbound + f.inbound, orders: prev.orders + f.orders } : { ...f });
  }
  return [...map.values()];
}
