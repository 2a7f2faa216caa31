import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import {
  HANDOFF_ANNOUNCEMENT_MS, HUMAN_AGENT_WINDOW_MS, Ids, PRIVATE_REPLY_WINDOW_MS, STANDARD_WINDOW_MS, decideDirectMessage, decidePrivateReply, describeWindow, gateOutbound, shouldAskAssistant,
  type Contact, type Conversation, type GateDecision, type InstagramAccount, type OutboundAuthor, type SendDecision,
} from '../src/index.js';
import { make, uuid } from '../testing/index.js';

const HOUR = 3600_000;
const DAY = 24 * HOUR;
const WS = Ids.workspace(uuid(1, 'aaaaaaaa'));
const AUTHORS: readonly OutboundAuthor[] = ['assistant', 'automation', 'agent', 'notification'];
const AUTOMATED: readonly OutboundAuthor[] = ['assistant', 'automation', 'notification'];

/** Any instant between 2001 and 2100, to the millisecond. */
const instant = fc.integer({ min: 978_307_200_000, max: 4_102_444_800_000 }).map((ms) => new Date(ms));
/** Elapsed time since the customer's message, dense around the 24 h and 7 d edges. */
const elapsed = fc.oneof(
  fc.integer({ min: -DAY, max: 10 * DAY }),
  fc.integer({ min: -3, max: 3 }).map((d) => STANDARD_WINDOW_MS + d),
  fc.integer({ min: -3, max: 3 }).map((d) => HUMAN_AGENT_WINDOW_MS + d),
  fc.constant(0),
);
const author = fc.constantFrom(...AUTHORS);

const decide = (last: Date | null, who: OutboundAuthor, nowMs: number) => decideDirectMessage({ lastCustomerMessageAt: last, author: who, now: new Date(nowMs) });
const rank = (d: SendDecision) => (d.outcome === 'allowed' ? 0 : d.outcome === 'allowed_with_human_agent_tag' ? 1 : 2);

describe('decideDirectMessage', () => {
  it('has the documented window sizes', () => {
    expect(STANDARD_WINDOW_MS).toBe(24 * HOUR);
    expect(HUMAN_AGENT_WINDOW_MS).toBe(7 * DAY);
    expect(PRIVATE_REPLY_WINDOW_MS).toBe(7 * DAY);
  });

  it('is exact at the boundaries: 24 h − 1 ms open, 24 h closed (tag for agents), 7 d − 1 ms tagged, 7 d closed', () => {
    fc.assert(fc.property(instant, (last) => {
      const t = last.getTime();
      for (const who of AUTHORS) {
        expect(decide(last, who, t)).toEqual({ outcome: 'allowed', tag: null, windowClosesAt: new Date(t + STANDARD_WINDOW_MS) });
        expect(decide(last, who, t + STANDARD_WINDOW_MS - 1)).toEqual({ outcome: 'allowed', tag: null, windowClosesAt: new Date(t + STANDARD_WINDOW_MS) });
      }
      for (const who of AUTOMATED) {
        expect(decide(last, who, t + STANDARD_WINDOW_MS)).toEqual({ outcome: 'refused', reason: 'window_closed', windowClosedAt: new Date(t + STANDARD_WINDOW_MS) });
        expect(decide(last, who, t + HUMAN_AGENT_WINDOW_MS - 1)).toMatchObject({ outcome: 'refused', reason: 'window_closed' });
      }
      expect(decide(last, 'agent', t + STANDARD_WINDOW_MS)).toEqual({ outcome: 'allowed_with_human_agent_tag', tag: 'HUMAN_AGENT', windowClosesAt: new Date(t + HUMAN_AGENT_WINDOW_MS) });
      expect(decide(last, 'agent', t + HUMAN_AGENT_WINDOW_MS - 1)).toEqual({ outcome: 'allowed_with_human_agent_tag', tag: 'HUMAN_AGENT', windowClosesAt: new Date(t + HUMAN_AGENT_WINDOW_MS) });
      expect(decide(last, 'agent', t + HUMAN_AGENT_WINDOW_MS)).toEqual({ outcome: 'refused', reason: 'human_agent_window_closed', windowClosedAt: new Date(t + HUMAN_AGENT_WINDOW_MS) });
    }), { numRuns: 200 });
  });

  it('matches the specification for any elapsed time and author', () => {
    fc.assert(fc.property(instant, elapsed, author, (last, e, who) => {
      const d = decide(last, who, last.getTime() + e);
      if (e < STANDARD_WINDOW_MS) expect(d.outcome).toBe('allowed');
      else if (who === 'agent' && e < HUMAN_AGENT_WINDOW_MS) expect(d.outcome).toBe('allowed_with_human_agent_tag');
      else expect(d.outcome).toBe('refused');
    }), { numRuns: 300 });
  });

  it('is monotone in time: never better later, and once refused always refused', () => {
    fc.assert(fc.property(instant, elapsed, fc.integer({ min: 0, max: 10 * DAY }), author, (last, e, later, who) => {
      const t = last.getTime() + e;
      const first = decide(last, who, t);
      const second = decide(last, who, t + later);
      expect(rank(second)).toBeGreaterThanOrEqual(rank(first));
      if (first.outcome === 'refused') expect(second.outcome).toBe('refused');
    }), { numRuns: 300 });
  });

  it('never grants HUMAN_AGENT to assistant, automation or notification', () => {
    fc.assert(fc.property(instant, elapsed, fc.constantFrom(...AUTOMATED), (last, e, who) => {
      const d = decide(last, who, last.getTime() + e);
      expect(d.outcome).not.toBe('allowed_with_human_agent_tag');
      if (d.outcome !== 'refused') expect(d.tag).toBeNull();
    }), { numRuns: 300 });
  });

  it('refuses everyone when the customer never wrote', () => {
    fc.assert(fc.property(instant, author, (now, who) => {
      expect(decideDirectMessage({ lastCustomerMessageAt: null, author: who, now })).toEqual({ outcome: 'refused', reason: 'no_customer_message', windowClosedAt: null });
    }));
  });
});

describe('decidePrivateReply', () => {
  it('allows one private reply per comment, strictly within 7 days', () => {
    fc.assert(fc.property(instant, elapsed, fc.boolean(), (comment, e, already) => {
      const d = decidePrivateReply({ commentCreatedAt: comment, alreadyReplied: already, now: new Date(comment.getTime() + e) });
      const closes = new Date(comment.getTime() + PRIVATE_REPLY_WINDOW_MS);
      if (already) expect(d).toEqual({ outcome: 'refused', reason: 'private_reply_already_sent', windowClosedAt: null });
      else if (e < PRIVATE_REPLY_WINDOW_MS) expect(d).toEqual({ outcome: 'allowed', tag: null, windowClosesAt: closes });
      else expect(d).toEqual({ outcome: 'refused', reason: 'private_reply_window_closed', windowClosedAt: closes });
    }), { numRuns: 300 });
    const c = new Date('2026-03-01T00:00:00Z');
    expect(decidePrivateReply({ commentCreatedAt: c, alreadyReplied: false, now: new Date(c.getTime() + 7 * DAY - 1) }).outcome).toBe('allowed');
    expect(decidePrivateReply({ commentCreatedAt: c, alreadyReplied: false, now: new Date(c.getTime() + 7 * DAY) }).outcome).toBe('refused');
  });
});

describe('describeWindow', () => {
  it('is open, then human-agent-only, then closed', () => {
    const last = new Date('2026-03-01T10:00:00Z');
    const t = last.getTime();
    expect(describeWindow(null, last)).toEqual({ state: 'closed', closesAt: null });
    expect(describeWindow(last, last)).toEqual({ state: 'open', closesAt: new Date(t + STANDARD_WINDOW_MS) });
    expect(describeWindow(last, new Date(t + STANDARD_WINDOW_MS - 1))).toEqual({ state: 'open', closesAt: new Date(t + STANDARD_WINDOW_MS) });
    expect(describeWindow(last, new Date(t + STANDARD_WINDOW_MS))).toEqual({ state: 'human_agent_only', closesAt: new Date(t + HUMAN_AGENT_WINDOW_MS) });
    expect(describeWindow(last, new Date(t + HUMAN_AGENT_WINDOW_MS - 1))).toEqual({ state: 'human_agent_only', closesAt: new Date(t + HUMAN_AGENT_WINDOW_MS) });
    expect(describeWindow(last, new Date(t + HUMAN_AGENT_WINDOW_MS))).toEqual({ state: 'closed', closesAt: new Date(t + HUMAN_AGENT_WINDOW_MS) });
  });

  it('agrees with what an agent may send', () => {
    fc.assert(fc.property(instant, elapsed, (last, e) => {
      const now = new Date(last.getTime() + e);
      const w = describeWindow(last, now);
      const d = decideDirectMessage({ lastCustomerMessageAt: last, author: 'agent', now });
      expect(w.state).toBe(d.outcome === 'allowed' ? 'open' : d.outcome === 'allowed_with_human_agent_tag' ? 'human_agent_only' : 'closed');
    }), { numRuns: 300 });
  });
});

// ----------------------------------------------------------------------------------------------
// gateOutbound

type AccountState = 'connected' | 'token_expired' | 'revoked' | 'disconnected';
type Owner = 'assistant' | 'human' | 'paused';
interface Scenario { account: AccountState; owner: Owner; objected: boolean; restricted: boolean; withdrawnConsent: boolean; elapsed: number | null; author: OutboundAuthor }

const T0 = new Date('2026-03-01T12:00:00.000Z');

function build(s: Scenario): { account: InstagramAccount; conversation: Conversation; contact: Contact; now: Date } {
  const account = make.account(uuid(10), WS, '17841455500112233', T0);
  if (s.account === 'token_expired') account.markTokenExpired('error 190', T0);
  if (s.account === 'revoked') account.revoke('deauthorized', T0);
  if (s.account === 'disconnected') account.disconnect(T0);
  const contact = make.contact(uuid(20), WS, account.id, '7432198865012345', T0);
  if (s.objected) contact.objectToAiProcessing(T0, 'customer_message');
  if (s.withdrawnConsent) contact.recordConsent({ purpose: 'ai_processing', decision: 'withdrawn', source: 'merchant_dashboard', at: T0 });
  if (s.restricted) contact.restrictProcessing(true, T0);
  const conversation = make.conversation(uuid(30), WS, account.id, contact.id, T0);
  if (s.elapsed !== null) conversation.customerActed(T0, true);
  if (s.owner === 'human') conversation.takeOver(T0);
  if (s.owner === 'paused') conversation.pause(T0);
  const now = new Date(T0.getTime() + (s.elapsed ?? 0));
  return { account, conversation, contact, now };
}

const gate = (s: Scenario): GateDecision => gateOutbound({ ...build(s), author: s.author });

const scenario: fc.Arbitrary<Scenario> = fc.record({
  account: fc.constantFrom<AccountState>('connected', 'connected', 'connected', 'token_expired', 'revoked', 'disconnected'),
  owner: fc.constantFrom<Owner>('assistant', 'human', 'paused'),
  objected: fc.boolean(),
  restricted: fc.boolean(),
  withdrawnConsent: fc.boolean(),
  elapsed: fc.option(elapsed, { nil: null, freq: 6 }),
  author,
});

const base: Scenario = { account: 'connected', owner: 'assistant', objected: false, restricted: false, withdrawnConsent: false, elapsed: HOUR, author: 'assistant' };

describe('gateOutbound', () => {
  it('holds every send while the token is expired, whatever else is true', () => {
    fc.assert(fc.property(scenario, (s) => {
      expect(gate({ ...s, account: 'token_expired' })).toEqual({ outcome: 'hold', reason: 'token_expired' });
    }), { numRuns: 200 });
  });

  it('refuses every send on a revoked or disconnected account', () => {
    fc.assert(fc.property(scenario, fc.constantFrom<AccountState>('revoked', 'disconnected'), (s, state) => {
      expect(gate({ ...s, account: state })).toEqual({ outcome: 'refuse', reason: 'account_not_connected' });
    }), { numRuns: 200 });
  });

  it('lets an agent send to any thread of a connected account, deciding only by the window', () => {
    fc.assert(fc.property(scenario, (s0) => {
      const s = { ...s0, account: 'connected' as const, author: 'agent' as const };
      const d = gate(s);
      const w = decideDirectMessage({ lastCustomerMessageAt: s.elapsed === null ? null : T0, author: 'agent', now: new Date(T0.getTime() + (s.elapsed ?? 0)) });
      if (w.outcome === 'refused') expect(d).toEqual({ outcome: 'refuse', reason: w.reason });
      else expect(d).toEqual({ outcome: 'send', tag: w.tag });
    }), { numRuns: 300 });
  });

  it('refuses every automated author for a restricted contact', () => {
    fc.assert(fc.property(scenario, fc.constantFrom(...AUTOMATED), (s, who) => {
      expect(gate({ ...s, account: 'connected', restricted: true, author: who })).toEqual({ outcome: 'refuse', reason: 'contact_restricted' });
    }), { numRuns: 200 });
  });

  it('refuses the assistant and automations for a contact who objected or withdrew AI consent, but not an agent', () => {
    fc.assert(fc.property(scenario, fc.constantFrom<OutboundAuthor>('assistant', 'automation'), fc.boolean(), (s, who, viaConsent) => {
      const objecting = { ...s, account: 'connected' as const, restricted: false, objected: !viaConsent, withdrawnConsent: viaConsent };
      expect(gate({ ...objecting, author: who })).toEqual({ outcome: 'refuse', reason: 'ai_objected' });
      expect(gate({ ...objecting, author: 'agent' }).outcome).toBe(gate({ ...objecting, objected: false, withdrawnConsent: false, author: 'agent' }).outcome);
    }), { numRuns: 200 });
  });

  it('refuses the assistant and automations while a human owns or paused the thread, and still lets the agent send', () => {
    for (const owner of ['human', 'paused'] as const) {
      for (const who of ['assistant', 'automation'] as const) expect(gate({ ...base, owner, author: who })).toEqual({ outcome: 'refuse', reason: 'conversation_owned_by_human' });
      expect(gate({ ...base, owner, author: 'agent' })).toEqual({ outcome: 'send', tag: null });
      expect(gate({ ...base, owner, author: 'notification' })).toEqual({ outcome: 'send', tag: null });
    }
    expect(gate({ ...base, owner: 'assistant', author: 'assistant' })).toEqual({ outcome: 'send', tag: null });
  });

  it("lets through the holding reply queued just before the assistant's own handoff, and nothing older, later or after a manual takeover", () => {
    fc.assert(fc.property(fc.integer({ min: -HOUR, max: 2 * HANDOFF_ANNOUNCEMENT_MS }), fc.constantFrom<OutboundAuthor>('assistant', 'automation'), (lead, who) => {
      const handedOff = build(base);
      const handoffAt = new Date(handedOff.now.getTime() - 1_000);
      handedOff.conversation.requestHandoff(handoffAt);
      const queuedAt = new Date(handoffAt.getTime() - lead);
      const announces = lead >= 0 && lead <= HANDOFF_ANNOUNCEMENT_MS;
      expect(gateOutbound({ ...handedOff, author: who, queuedAt })).toEqual(announces ? { outcome: 'send', tag: null } : { outcome: 'refuse', reason: 'conversation_owned_by_human' });
      // Without queuedAt (when a reply is queued) the handoff refuses, as before.
      expect(gateOutbound({ ...handedOff, author: who })).toEqual({ outcome: 'refuse', reason: 'conversation_owned_by_human' });
      const takenOver = build({ ...base, owner: 'human' });
      expect(gateOutbound({ ...takenOver, author: who, queuedAt: takenOver.now })).toEqual({ outcome: 'refuse', reason: 'conversation_owned_by_human' });
    }), { numRuns: 200 });
  });

  it('never sends for the assistant or automations unless the assistant owns the thread and the contact allows automation', () => {
    fc.assert(fc.property(scenario, fc.constantFrom<OutboundAuthor>('assistant', 'automation'), (s, who) => {
      const d = gate({ ...s, author: who });
      if (d.outcome === 'send') {
        expect(s.account).toBe('connected');
        expect(s.owner).toBe('assistant');
        expect(s.objected || s.restricted || s.withdrawnConsent).toBe(false);
        expect(d.tag).toBeNull();
      }
    }), { numRuns: 300 });
  });

  it('holds (never refuses) a notification outside the window, and sends it inside', () => {
    fc.assert(fc.property(scenario, (s0) => {
      const s = { ...s0, account: 'connected' as const, restricted: false, author: 'notification' as const };
      const d = gate(s);
      if (s.elapsed === null) expect(d).toEqual({ outcome: 'hold', reason: 'no_customer_message' });
      else if (s.elapsed >= STANDARD_WINDOW_MS) expect(d).toEqual({ outcome: 'hold', reason: 'window_closed' });
      else expect(d).toEqual({ outcome: 'send', tag: null });
    }), { numRuns: 300 });
    expect(gate({ ...base, author: 'notification', elapsed: STANDARD_WINDOW_MS })).toEqual({ outcome: 'hold', reason: 'window_closed' });
    expect(gate({ ...base, author: 'notification', elapsed: STANDARD_WINDOW_MS - 1 })).toEqual({ outcome: 'send', tag: null });
  });

  it('refuses the assistant outside 24 h and tags the agent until 7 d', () => {
    expect(gate({ ...base, author: 'assistant', elapsed: STANDARD_WINDOW_MS })).toEqual({ outcome: 'refuse', reason: 'window_closed' });
    expect(gate({ ...base, author: 'automation', elapsed: STANDARD_WINDOW_MS })).toEqual({ outcome: 'refuse', reason: 'window_closed' });
    expect(gate({ ...base, author: 'agent', elapsed: STANDARD_WINDOW_MS })).toEqual({ outcome: 'send', tag: 'HUMAN_AGENT' });
    expect(gate({ ...base, author: 'agent', elapsed: HUMAN_AGENT_WINDOW_MS - 1 })).toEqual({ outcome: 'send', tag: 'HUMAN_AGENT' });
    expect(gate({ ...base, author: 'agent', elapsed: HUMAN_AGENT_WINDOW_MS })).toEqual({ outcome: 'refuse', reason: 'human_agent_window_closed' });
    expect(gate({ ...base, author: 'assistant', elapsed: null })).toEqual({ outcome: 'refuse', reason: 'no_customer_message' });
  });

  it('only grants HUMAN_AGENT to agents, and shouldAskAssistant is "the assistant could send"', () => {
    fc.assert(fc.property(scenario, (s) => {
      const d = gate(s);
      if (d.outcome === 'send' && d.tag === 'HUMAN_AGENT') expect(s.author).toBe('agent');
      const built = build(s);
      expect(shouldAskAssistant(built)).toBe(gateOutbound({ ...built, author: 'assistant' }).outcome === 'send');
    }), { numRuns: 300 });
  });
});
