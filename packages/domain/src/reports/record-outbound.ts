import type { WorkspaceId } from '../shared/ids.js';
import type { WorkspaceRepository } from '../accounts/ports.js';
import type { ContactRepository } from '../contacts/ports.js';
import type { ConversationRepository, MessageRepository } from '../conversations/ports.js';
import type { Message } from '../conversations/message.js';
import type { DailyMetricsRepository } from './ports.js';
import { firstResponse, outboundSent, rateLimitDelay, responderOf, sendRefused } from './metric-helpers.js';

/**
 * The outbound side of the reports, shared by every place that settles an outbound message (send
 * job, echo reconciliation, queueing). Each call must run inside the unit of work that saves the
 * message's new state, so a rolled-back settlement never counts.
 */
export interface OutboundMetricsDeps {
  workspaces: WorkspaceRepository; contacts: ContactRepository; conversations: ConversationRepository; messages: MessageRepository; metrics: DailyMetricsRepository;
}

const authorOf = (m: Message) => (m.authorKind === 'customer' ? 'agent' : m.authorKind);

/** Art. 18: a restricted contact's activity is not analysed; otherwise the workspace timezone. */
async function timezoneUnlessRestricted(deps: OutboundMetricsDeps, message: Message): Promise<string | null> {
  const contact = await deps.contacts.get(message.workspaceId, message.contactId);
  if (contact?.restrictions.processingRestricted) return null;
  return (await deps.workspaces.get(message.workspaceId))?.timezone ?? 'UTC';
}

/**
 * `message` was just marked `sent` (and is saved in this unit of work): counts it, and the thread's
 * first response when no other non-notification reply of the thread went out before it. The
 * thread's messages are read only for a reply that could be the first one.
 */
export async function recordOutboundSent(deps: OutboundMetricsDeps, message: Message): Promise<void> {
  const timezone = await timezoneUnlessRestricted(deps, message);
  if (timezone === null) return;
  const author = authorOf(message);
  const deltas = outboundSent({ workspaceId: message.workspaceId, author, at: message.sentAt, timezone });
  if (responderOf(author) !== null) {
    const thread = await deps.messages.listByConversation(message.workspaceId, message.conversationId);
    const answeredBefore = thread.some((m) => m.id !== message.id && m.direction === 'outbound' && m.deliveryState === 'sent' && responderOf(authorOf(m)) !== null);
    const conversation = answeredBefore ? null : await deps.conversations.get(message.workspaceId, message.conversationId);
    if (conversation) deltas.push(...firstResponse({ workspaceId: message.workspaceId, author, customerMessageAt: conversation.createdAt, respondedAt: message.sentAt, timezone }));
  }
  await deps.metrics.add(deltas);
}

/** `message` was just refused by the send gate (held ones may still go out and are not counted). */
export async function recordSendRefused(deps: Pick<OutboundMetricsDeps, 'workspaces' | 'contacts' | 'metrics'>, message: Message): Promise<void> {
  if (message.deliveryState !== 'refused' || message.holdReason === null) return;
  const timezone = await timezoneUnlessRestricted(deps as OutboundMetricsDeps, message);
  if (timezone === null) return;
  await deps.metrics.add(sendRefused({ workspaceId: message.workspaceId, author: authorOf(message), reason: message.holdReason, at: message.sentAt, timezone }));
}

/** The send job waited (or was put back) for the rate limit. Not per contact, so never restricted. */
export async function recordRateLimitDelay(deps: Pick<OutboundMetricsDeps, 'workspaces' | 'metrics'>, workspaceId: WorkspaceId, delayMs: number, at: Date): Promise<void> {
  if (delayMs <= 0) return;
  const timezone = (await deps.workspaces.get(workspaceId))?.timezone ?? 'UTC';
  await deps.metrics.add(rateLimitDelay({ workspaceId, delayMs, at, timezone }));
}
