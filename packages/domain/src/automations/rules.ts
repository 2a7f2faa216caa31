import type { WorkspaceId } from '../shared/ids.js';
import { err, ok, type Result } from '../shared/result.js';
import { decidePrivateReply } from '../conversations/messaging-policy.js';
import type { ConversationOwner } from '../conversations/conversation.js';
import { fold } from '../assistant/text.js';

export const AUTOMATION_TRIGGERS = ['dm_keyword', 'comment', 'story_mention'] as const;
export type AutomationTrigger = (typeof AUTOMATION_TRIGGERS)[number];

export interface KeywordMatcher {
  readonly keywords: readonly string[];
  /** `contains`: the keyword appears anywhere; `exact`: the whole message is the keyword. */
  readonly mode: 'contains' | 'exact';
  /** `any`: one keyword is enough; `all`: every keyword must match. */
  readonly combine: 'any' | 'all';
}

export type AutomationAction = { readonly kind: 'reply'; readonly text: string } | { readonly kind: 'handoff'; readonly text: string | null };

export interface AutomationRule {
  readonly id: string;
  readonly workspaceId: WorkspaceId;
  readonly name: string;
  readonly enabled: boolean;
  readonly trigger: AutomationTrigger;
  /** Required for keyword and comment rules; a story-mention rule fires on every mention. */
  readonly matcher: KeywordMatcher | null;
  /** Comment rules: the post they watch (null: every post). */
  readonly postId: string | null;
  readonly action: AutomationAction;
  /** Lower runs first; ties by creation. */
  readonly priority: number;
  readonly createdAt: Date;
  readonly updatedAt: Date;
}

export const MAX_ICE_BREAKERS = 4;

/** What a new conversation sees: the ice-breaker questions and the greeting with its disclosure. */
export interface WelcomeSettings {
  readonly workspaceId: WorkspaceId;
  readonly greetingEnabled: boolean;
  readonly greetingText: string;
  readonly iceBreakers: readonly string[];
  readonly updatedAt: Date;
}

export type AutomationError =
  | { readonly kind: 'InvalidRule'; readonly reason: string }
  | { readonly kind: 'TooManyIceBreakers'; readonly max: number };

/** Normalised message text: folded, punctuation as spaces, single spaces. */
export function normaliseForMatch(text: string): string {
  return fold(text).replace(/[^\p{L}\p{N}]+/gu, ' ').trim();
}

/** Accent- and case-insensitive keyword match; `contains` matches whole words or phrases. */
export function matchesKeywords(text: string, matcher: KeywordMatcher): boolean {
  const t = normaliseForMatch(text);
  const keys = matcher.keywords.map(normaliseForMatch).filter((k) => k.length > 0);
  if (keys.length === 0) return false;
  const one = (k: string) => (matcher.mode === 'exact' ? t === k : ` ${t} `.includes(` ${k} `));
  return matcher.combine === 'all' ? keys.every(one) : keys.some(one);
}

export function validateRule(input: { name: string; trigger: AutomationTrigger; matcher: KeywordMatcher | null; postId: string | null; action: AutomationAction }): Result<void, AutomationError> {
  const bad = (reason: string) => err({ kind: 'InvalidRule', reason } as const);
  if (input.name.trim().length === 0 || input.name.length > 100) return bad('name must be 1-100 characters');
  if (input.trigger !== 'story_mention') {
    if (!input.matcher || input.matcher.keywords.filter((k) => normaliseForMatch(k).length > 0).length === 0) return bad('keyword and comment rules need at least one keyword');
  }
  if (input.matcher && input.matcher.keywords.length > 20) return bad('at most 20 keywords');
  if (input.trigger !== 'comment' && input.postId !== null) return bad('only comment rules watch a post');
  if (input.action.kind === 'reply' && (input.action.text.trim().length === 0 || input.action.text.length > 1000)) return bad('reply text must be 1-1000 characters');
  if (input.trigger === 'comment' && input.action.kind !== 'reply') return bad('a comment rule answers with a private reply');
  return ok(undefined);
}

export function validateWelcome(input: { greetingText: string; iceBreakers: readonly string[] }): Result<void, AutomationError> {
  if (input.iceBreakers.length > MAX_ICE_BREAKERS) return err({ kind: 'TooManyIceBreakers', max: MAX_ICE_BREAKERS });
  if (input.iceBreakers.some((q) => q.trim().length === 0 || q.length > 80)) return err({ kind: 'InvalidRule', reason: 'an ice breaker is 1-80 characters' });
  if (input.greetingText.length > 600) return err({ kind: 'InvalidRule', reason: 'greeting is at most 600 characters' });
  return ok(undefined);
}

const ordered = (rules: readonly AutomationRule[]) => [...rules].sort((a, b) => a.priority - b.priority || a.createdAt.getTime() - b.createdAt.getTime() || a.id.localeCompare(b.id));

export type DmAutomation = { readonly rule: AutomationRule; readonly action: AutomationAction } | null;

/**
 * The first enabled rule a DM triggers. Rules never fire on echoes (our own or a human's sends)
 * nor while a human owns or has paused the conversation.
 */
export function decideDmAutomation(input: { rules: readonly AutomationRule[]; text: string | null; isEcho: boolean; owner: ConversationOwner; storyMention: boolean }): DmAutomation {
  if (input.isEcho || input.owner !== 'assistant') return null;
  for (const rule of ordered(input.rules)) {
    if (!rule.enabled) continue;
    if (rule.trigger === 'story_mention' && input.storyMention) return { rule, action: rule.action };
    if (rule.trigger === 'dm_keyword' && input.text && rule.matcher && matchesKeywords(input.text, rule.matcher)) return { rule, action: rule.action };
  }
  return null;
}

/**
 * Comment-to-DM: a comment on the watched post that matches gets exactly one private reply, within
 * Instagram's 7-day window. Our own comments (echoes) never trigger it.
 */
export function decideCommentAutomation(input: {
  rules: readonly AutomationRule[]; comment: { postId: string; text: string; createdAt: Date; fromOwnAccount: boolean }; alreadyReplied: boolean; now: Date;
}): { rule: AutomationRule; text: string } | { skipped: string } {
  if (input.comment.fromOwnAccount) return { skipped: 'echo' };
  const rule = ordered(input.rules).find((r) => r.enabled && r.trigger === 'comment' && (r.postId === null || r.postId === input.comment.postId)
    && r.matcher !== null && matchesKeywords(input.comment.text, r.matcher));
  if (!rule || rule.action.kind !== 'reply') return { skipped: 'no_rule' };
  const decision = decidePrivateReply({ commentCreatedAt: input.comment.createdAt, alreadyReplied: input.alreadyReplied, now: input.now });
  if (decision.outcome === 'refused') return { skipped: decision.reason };
  return { rule, text: rule.action.text };
}

const DISCLOSURE = {
  en: "You're chatting with an automated assistant; write \"human\" any time to reach a person.",
  es: 'Estás hablando con un asistente automático; escribe "humano" cuando quieras hablar con una persona.',
} as const;

/** The greeting of a new conversation always ends with the automated-chat disclosure. */
export function greetingText(settings: WelcomeSettings | null, storeName: string, lang: 'en' | 'es'): string | null {
  if (settings && !settings.greetingEnabled) return null;
  const base = settings?.greetingText.trim() || (lang === 'es' ? `¡Hola! Gracias por escribir a ${storeName}.` : `Hi! Thanks for writing to ${storeName}.`);
  return fold(base).includes(fold(DISCLOSURE[lang]).slice(0, 30)) ? base : `${base} ${DISCLOSURE[lang]}`;
}

export { DISCLOSURE as AUTOMATED_CHAT_DISCLOSURE };
