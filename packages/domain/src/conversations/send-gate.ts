import type { InstagramAccount } from '../instagram/instagram-account.js';
import type { Contact } from '../contacts/contact.js';
import type { Conversation } from './conversation.js';
import type { HoldReason } from './message.js';
import { decideDirectMessage, type OutboundAuthor } from './messaging-policy.js';

export type GateDecision =
  | { readonly outcome: 'send'; readonly tag: 'HUMAN_AGENT' | null }
  /** Not now, but it may go out later (reconnection, the customer writes again). */
  | { readonly outcome: 'hold'; readonly reason: HoldReason }
  /** Never: recorded with the reason so the merchant sees it. */
  | { readonly outcome: 'refuse'; readonly reason: HoldReason };

/**
 * The one gate every outbound message passes: account state, who owns the thread, the contact's
 * restrictions, then Instagram's window. Order of checks matters only for the reason shown.
 */
/**
 * How long before the assistant's own handoff an automated message may have been queued and still
 * count as its announcement ("a member of our team will get back to you"): queued in the same run.
 */
export const HANDOFF_ANNOUNCEMENT_MS = 60_000;

/**
 * `queuedAt` (send time only): when the message was recorded. The holding reply is queued just
 * before the handoff it announces; its send job usually runs after the handoff committed, and
 * must not be refused for the handoff it is part of.
 */
export function gateOutbound(input: { account: InstagramAccount; conversation: Conversation; contact: Contact; author: OutboundAuthor; now: Date; queuedAt?: Date }): GateDecision {
  const { account, conversation, contact, author, now } = input;
  if (account.status === 'token_expired') return { outcome: 'hold', reason: 'token_expired' };
  if (account.status !== 'connected') return { outcome: 'refuse', reason: 'account_not_connected' };

  const automated = author !== 'agent';
  if (automated && contact.restrictions.processingRestricted) return { outcome: 'refuse', reason: 'contact_restricted' };
  if ((author === 'assistant' || author === 'automation') && !contact.allowsAutomatedProcessing()) return { outcome: 'refuse', reason: 'ai_objected' };
  // Transactional notifications may reach a customer whose thread a human owns; bots may not.
  if ((author === 'assistant' || author === 'automation') && !conversation.acceptsAutomatedReplies() && !announcesHandoff(conversation, input.queuedAt)) {
    return { outcome: 'refuse', reason: 'conversation_owned_by_human' };
  }

  const decision = decideDirectMessage({ lastCustomerMessageAt: conversation.lastCustomerMessageAt, author, now });
  if (decision.outcome === 'refused') {
    // An order update waits for the customer's next message instead of being lost.
    return author === 'notification' ? { outcome: 'hold', reason: decision.reason } : { outcome: 'refuse', reason: decision.reason };
  }
  return { outcome: 'send', tag: decision.tag };
}

/** Whether the assistant should be asked at all for this inbound event. */
export function shouldAskAssistant(input: { conversation: Conversation; contact: Contact; account: InstagramAccount; now: Date }): boolean {
  return gateOutbound({ ...input, author: 'assistant' }).outcome === 'send';
}

function announcesHandoff(conversation: Conversation, queuedAt: Date | undefined): boolean {
  const handoffAt = conversation.handoffRequestedAt;
  if (!queuedAt || !handoffAt || conversation.owner !== 'human') return false;
  const lead = handoffAt.getTime() - queuedAt.getTime();
  return lead >= 0 && lead <= HANDOFF_ANNOUNCEMENT_MS;
}
