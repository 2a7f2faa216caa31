export const HOUR_MS = 3600_000;
export const STANDARD_WINDOW_MS = 24 * HOUR_MS;
export const HUMAN_AGENT_WINDOW_MS = 7 * 24 * HOUR_MS;
export const PRIVATE_REPLY_WINDOW_MS = 7 * 24 * HOUR_MS;

/** Who wrote an outbound message. Only agents are humans; everything else is automated. */
export type OutboundAuthor = 'assistant' | 'automation' | 'agent' | 'notification';

export function isHumanAuthor(author: OutboundAuthor): boolean {
  return author === 'agent';
}

export type SendRefusalReason =
  | 'no_customer_message'
  | 'window_closed'
  | 'human_agent_window_closed'
  | 'private_reply_already_sent'
  | 'private_reply_window_closed';

export type SendDecision =
  | { readonly outcome: 'allowed'; readonly tag: null; readonly windowClosesAt: Date }
  | { readonly outcome: 'allowed_with_human_agent_tag'; readonly tag: 'HUMAN_AGENT'; readonly windowClosesAt: Date }
  | { readonly outcome: 'refused'; readonly reason: SendRefusalReason; readonly windowClosedAt: Date | null };

/**
 * Instagram's messaging window: anyone may answer within 24 h of the customer's last message; a
 * human may answer with the HUMAN_AGENT tag until 7 days; nothing may be sent after that, and
 * automated authors never get the tag. The boundaries are half-open: at exactly 24 h the standard
 * window is closed.
 */
export function decideDirectMessage(input: { lastCustomerMessageAt: Date | null; author: OutboundAuthor; now: Date }): SendDecision {
  const { lastCustomerMessageAt, author, now } = input;
  if (!lastCustomerMessageAt) return { outcome: 'refused', reason: 'no_customer_message', windowClosedAt: null };
  const standardCloses = new Date(lastCustomerMessageAt.getTime() + STANDARD_WINDOW_MS);
  const humanCloses = new Date(lastCustomerMessageAt.getTime() + HUMAN_AGENT_WINDOW_MS);
  const t = now.getTime();
  if (t < standardCloses.getTime()) return { outcome: 'allowed', tag: null, windowClosesAt: standardCloses };
  if (!isHumanAuthor(author)) return { outcome: 'refused', reason: 'window_closed', windowClosedAt: standardCloses };
  if (t < humanCloses.getTime()) return { outcome: 'allowed_with_human_agent_tag', tag: 'HUMAN_AGENT', windowClosesAt: humanCloses };
  return { outcome: 'refused', reason: 'human_agent_window_closed', windowClosedAt: humanCloses };
}

/** A private reply to a comment: exactly one per comment, within 7 days of the comment. */
export function decidePrivateReply(input: { commentCreatedAt: Date; alreadyReplied: boolean; now: Date }): SendDecision {
  const closes = new Date(input.commentCreatedAt.getTime() + PRIVATE_REPLY_WINDOW_MS);
  if (input.alreadyReplied) return { outcome: 'refused', reason: 'private_reply_already_sent', windowClosedAt: null };
  if (input.now.getTime() >= closes.getTime()) return { outcome: 'refused', reason: 'private_reply_window_closed', windowClosedAt: closes };
  return { outcome: 'allowed', tag: null, windowClosesAt: closes };
}

/** What the reply box tells a human before they type. */
export function describeWindow(lastCustomerMessageAt: Date | null, now: Date): { state: 'open' | 'human_agent_only' | 'closed'; closesAt: Date | null } {
  const d = decideDirectMessage({ lastCustomerMessageAt, author: 'agent', now });
  if (d.outcome === 'allowed') return { state: 'open', closesAt: d.windowClosesAt };
  if (d.outcome === 'allowed_with_human_agent_tag') return { state: 'human_agent_only', closesAt: d.windowClosesAt };
  return { state: 'closed', closesAt: d.windowClosedAt };
}
