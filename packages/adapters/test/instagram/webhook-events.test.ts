import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { parseWebhookDelivery, normalizeTimestamp } from '../../src/instagram/index.js';

// Meta's documented shapes, copied from the shared reference fixtures.
const fixturesDir = join(import.meta.dirname, 'fixtures/webhooks');
const fixture = (name: string): unknown => JSON.parse(readFileSync(join(fixturesDir, name), 'utf8'));

describe('parseWebhookDelivery on the documented fixtures', () => {
  it('reads every fixture without quarantining anything', () => {
    const files = readdirSync(fixturesDir).filter((f) => f.endsWith('.json'));
    expect(files.length).toBe(10);
    for (const f of files) expect(parseWebhookDelivery(fixture(f)).quarantined, f).toEqual([]);
  });

  it('maps each fixture to its kind', () => {
    const kinds = (f: string) => parseWebhookDelivery(fixture(f)).events.map((e) => e.event.kind);
    expect(kinds('01-message-text.json')).toEqual(['message']);
    expect(kinds('05-message-echo.json')).toEqual(['echo']);
    expect(kinds('06-message-reactions.json')).toEqual(['reaction', 'reaction']);
    expect(kinds('07-messaging-postbacks.json')).toEqual(['postback']);
    expect(kinds('08-messaging-seen.json')).toEqual(['read']);
    expect(kinds('09-message-deleted.json')).toEqual(['unsend']);
    expect(kinds('10-comments.json')).toEqual(['comment']);
  });

  it('keeps text, attachments (URL only), story replies, postback payloads and the account id', () => {
    const [text] = parseWebhookDelivery(fixture('01-message-text.json')).events;
    expect(text!.event).toMatchObject({ kind: 'message', igUserId: '17841455500112233', senderIgsid: '7432198865012345', isSelf: false });
    expect(text!.event.kind === 'message' && text!.event.text).toContain('linen shirt');
    const [img] = parseWebhookDelivery(fixture('02-message-attachments-image.json')).events;
    expect(img!.event.kind === 'message' && img!.event.attachments.map((a) => a.type)).toEqual(['image', 'image']);
    const [mention] = parseWebhookDelivery(fixture('03-message-story-mention.json')).events;
    expect(mention!.event.kind === 'message' && mention!.event.attachments[0]!.type).toBe('story_mention');
    const [reply] = parseWebhookDelivery(fixture('04-message-story-reply.json')).events;
    expect(reply!.event.kind === 'message' && reply!.event.storyReply?.id).toBe('18044455566677788');
    const [pb] = parseWebhookDelivery(fixture('07-messaging-postbacks.json')).events;
    expect(pb!.event.kind === 'postback' && pb!.event.payload).toBe('ORDER_STATUS:10482');
  });

  it('normalises seconds (comments) and milliseconds (messaging) to the same clock', () => {
    const [comment] = parseWebhookDelivery(fixture('10-comments.json')).events;
    expect(comment!.event.at.toISOString()).toBe('2026-01-06T15:56:52.000Z');
    const [text] = parseWebhookDelivery(fixture('01-message-text.json')).events;
    expect(text!.event.at.getTime()).toBe(1767712345120);
    expect(normalizeTimestamp(1767715012).getTime()).toBe(1767715012000);
  });

  it('gives an unsend a different dedupe key from the message it removes, and each reaction its own', () => {
    const msg = parseWebhookDelivery(fixture('01-message-text.json')).events[0]!;
    const del = parseWebhookDelivery(fixture('09-message-deleted.json')).events[0]!;
    expect(msg.event.kind === 'message' && del.event.kind === 'unsend' && msg.event.mid === del.event.mid).toBe(true);
    expect(msg.dedupeKey).not.toBe(del.dedupeKey);
    const reactions = parseWebhookDelivery(fixture('06-message-reactions.json')).events;
    expect(new Set(reactions.map((r) => r.dedupeKey)).size).toBe(2);
    expect(parseWebhookDelivery(fixture('01-message-text.json')).events[0]!.dedupeKey).toBe(msg.dedupeKey);
  });

  it('tolerates read and edit items without sender or recipient', () => {
    const body = { object: 'instagram', entry: [{ id: '17841455500112233', time: 1767712360118, messaging: [
      { timestamp: 1767712359973, read: { mid: 'm1' } },
      { timestamp: 1767712359974, message_edit: { mid: 'm1', text: 'fixed', num_edit: 1 } },
    ] }] };
    const parsed = parseWebhookDelivery(body);
    expect(parsed.quarantined).toEqual([]);
    expect(parsed.events.map((e) => [e.event.kind, e.event.kind === 'read' ? e.event.senderIgsid : 'x'])).toEqual([['read', null], ['edit', 'x']]);
  });

  it('quarantines unknown kinds and malformed items with a reason, keeping the good ones', () => {
    const body = { object: 'instagram', entry: [{ id: '1784', messaging: [
      { sender: { id: '1' }, recipient: { id: '1784' }, timestamp: 1767712345120, message: { mid: 'ok', text: 'hi' } },
      { sender: { id: '1' }, timestamp: 'yesterday', message: { mid: 'bad' } },
      { sender: { id: '1' }, timestamp: 1767712345121, optin: {} },
    ], changes: [{ field: 'mentions', value: {} }] }, { id: '0', messaging: [] }] };
    const parsed = parseWebhookDelivery(body);
    expect(parsed.events.map((e) => e.event.kind)).toEqual(['message']);
    expect(parsed.quarantined.map((q) => q.path)).toEqual(['entry.0.messaging.1', 'entry.0.messaging.2', 'entry.0.changes.0', 'entry.1']);
    expect(parsed.quarantined[0]!.reason).toContain('timestamp');
  });

  it('never throws and never invents events from arbitrary JSON (property)', () => {
    fc.assert(fc.property(fc.jsonValue({ maxDepth: 6 }), (value) => {
      const parsed = parseWebhookDelivery(value);
      if (typeof value !== 'object' || value === null || (value as { object?: unknown }).object !== 'instagram') {
        expect(parsed.events).toEqual([]);
        expect(parsed.quarantined.length).toBe(1);
      }
    }), { numRuns: 500 });
  });
});
