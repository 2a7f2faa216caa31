import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { decideCommentAutomation, decideDmAutomation, greetingText, Ids, matchesKeywords, validateWelcome, type AutomationRule } from '../../src/index.js';

const ws = Ids.workspace('w');
const rule = (over: Partial<AutomationRule>): AutomationRule => ({
  id: 'r', workspaceId: ws, name: 'r', enabled: true, trigger: 'dm_keyword', matcher: { keywords: ['precio'], mode: 'contains', combine: 'any' },
  postId: null, action: { kind: 'reply', text: 'hi' }, priority: 0, createdAt: new Date(0), updatedAt: new Date(0), ...over,
});
const word = fc.stringMatching(/^[a-z]{2,8}$/);
const accentize = (s: string) => s.replace(/a/g, 'á').replace(/e/g, 'É').replace(/o/g, 'ö');

describe('keyword rules', () => {
  it('contains/any matches regardless of accents and case', () => {
    fc.assert(fc.property(word, fc.array(word, { maxLength: 5 }), fc.array(word, { maxLength: 5 }), (k, pre, post) => {
      const text = [...pre, accentize(k).toUpperCase(), ...post].join(' ') + '?';
      expect(matchesKeywords(text, { keywords: [k], mode: 'contains', combine: 'any' })).toBe(true);
    }));
  });

  it('exact matches only the whole message; all needs every keyword', () => {
    fc.assert(fc.property(word, word, (a, b) => {
      fc.pre(a !== b && !a.includes(b) && !b.includes(a));
      expect(matchesKeywords(`${accentize(a)}!`, { keywords: [a], mode: 'exact', combine: 'any' })).toBe(true);
      expect(matchesKeywords(`${a} ${b}`, { keywords: [a], mode: 'exact', combine: 'any' })).toBe(false);
      expect(matchesKeywords(`${a} only`, { keywords: [a, b], mode: 'contains', combine: 'all' })).toBe(false);
      expect(matchesKeywords(`${b} and ${a}`, { keywords: [a, b], mode: 'contains', combine: 'all' })).toBe(true);
    }));
  });

  it('never fires on echoes or human-owned / paused conversations', () => {
    fc.assert(fc.property(fc.boolean(), fc.constantFrom('assistant', 'human', 'paused' as const), (isEcho, owner) => {
      const d = decideDmAutomation({ rules: [rule({})], text: 'el precio?', isEcho, owner, storyMention: false });
      expect(d !== null).toBe(!isEcho && owner === 'assistant');
    }));
  });
});

describe('comment-to-DM', () => {
  const comment = { postId: 'post-1', text: 'PRECIO por favor', createdAt: new Date('2026-01-01T00:00:00Z'), fromOwnAccount: false };
  const rules = [rule({ trigger: 'comment', postId: 'post-1', action: { kind: 'reply', text: 'Te escribimos por DM' } })];
  it('one private reply per comment, on the chosen post, within 7 days', () => {
    expect(decideCommentAutomation({ rules, comment, alreadyReplied: false, now: new Date('2026-01-02T00:00:00Z') })).toMatchObject({ text: 'Te escribimos por DM' });
    expect(decideCommentAutomation({ rules, comment, alreadyReplied: true, now: new Date('2026-01-02T00:00:00Z') })).toEqual({ skipped: 'private_reply_already_sent' });
    expect(decideCommentAutomation({ rules, comment: { ...comment, postId: 'other' }, alreadyReplied: false, now: new Date('2026-01-02T00:00:00Z') })).toEqual({ skipped: 'no_rule' });
    expect(decideCommentAutomation({ rules, comment, alreadyReplied: false, now: new Date('2026-01-09T00:00:00Z') })).toEqual({ skipped: 'private_reply_window_closed' });
    expect(decideCommentAutomation({ rules, comment: { ...comment, fromOwnAccount: true }, alreadyReplied: false, now: new Date('2026-01-02T00:00:00Z') })).toEqual({ skipped: 'echo' });
  });
});

describe('story mentions, ice breakers, greeting', () => {
  it('a story mention triggers the thank-you rule', () => {
    const d = decideDmAutomation({ rules: [rule({ trigger: 'story_mention', matcher: null, action: { kind: 'reply', text: 'Thanks!' } })], text: null, isEcho: false, owner: 'assistant', storyMention: true });
    expect(d?.action).toEqual({ kind: 'reply', text: 'Thanks!' });
  });
  it('at most 4 ice breakers', () => {
    expect(validateWelcome({ greetingText: '', iceBreakers: ['a', 'b', 'c', 'd'] }).ok).toBe(true);
    expect(validateWelcome({ greetingText: '', iceBreakers: ['a', 'b', 'c', 'd', 'e'] })).toMatchObject({ ok: false, error: { kind: 'TooManyIceBreakers' } });
  });
  it('every greeting carries the automated-chat disclosure', () => {
    fc.assert(fc.property(fc.string({ maxLength: 100 }), fc.constantFrom('en' as const, 'es' as const), (text, lang) => {
      const g = greetingText({ workspaceId: ws, greetingEnabled: true, greetingText: text, iceBreakers: [], updatedAt: new Date(0) }, 'Shop', lang)!;
      expect(g).toMatch(lang === 'es' ? /asistente automático/ : /automated assistant/);
    }));
  });
});
