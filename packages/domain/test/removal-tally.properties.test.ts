import { createHash } from 'node:crypto';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { buildReceipt, RECEIPT_CLASSES, RemovalTally, receiptDigestInput, retentionPolicyLabel, type Digest } from '@palette/domain';

const plain: Digest = { sha256Hex: (text) => createHash('sha256').update(text, 'utf8').digest('hex') };
const streaming: Digest = {
  ...plain,
  sha256HexOfParts: (parts) => { const h = createHash('sha256'); for (const p of parts) h.update(p); return h.digest('hex'); },
};
// Packed UUIDs must sort and print exactly as their text does next to ids of any other shape.
const anyId = fc.oneof(fc.uuid(), fc.uuid().map((u) => u.toUpperCase()), fc.string({ maxLength: 40 }), fc.constantFrom('0', 'ffffffff-', 'zz', '00000000-0000-7000-8000-00000000000'));
const batches = fc.array(fc.array(fc.tuple(fc.constantFrom(...RECEIPT_CLASSES), anyId), { maxLength: 30 }), { maxLength: 6 });

function receiptOf(tally: RemovalTally, digest: Digest) {
  return buildReceipt({ id: '00000000-0000-7000-8000-000000000001', workspaceId: null, kind: 'retention', policy: retentionPolicyLabel(), tally, digest, now: new Date(0) });
}

describe('RemovalTally (packed ids, digest fed in pieces)', () => {
  it('gives the digest and counts of sha256(receiptDigestInput(every class:id removed)), duplicates included, with or without a piecewise hasher', () => {
    fc.assert(fc.property(batches, (runs) => {
      const tally = new RemovalTally();
      const expected: string[] = [];
      const counts: Record<string, number> = {};
      for (const batch of runs) {
        const removed: Record<string, string[]> = {};
        for (const [cls, id] of batch) {
          (removed[cls] ??= []).push(id);
          expected.push(`${cls}:${id}`);
          counts[cls] = (counts[cls] ?? 0) + 1;
        }
        tally.add(removed);
      }
      const reference = plain.sha256Hex(receiptDigestInput(expected));
      expect(receiptOf(tally, streaming).digest).toBe(reference);
      expect(receiptOf(tally, plain).digest).toBe(reference);
      expect(receiptOf(tally, plain).counts).toEqual(counts);
      expect(tally.total).toBe(expected.length);
      expect([...tally.allIds()].sort()).toEqual([...expected].sort());
    }), { numRuns: 200 });
  });

  it('keeps 150,000 ids of one batch (past the old push(...ids) stack limit) and digests them like the joined text', () => {
    const ids = Array.from({ length: 150_000 }, (_, i) => {
      const h = createHash('md5').update(String(i)).digest('hex');
      return `${h.slice(0, 8)}-${h.slice(8, 12)}-7${h.slice(13, 16)}-8${h.slice(17, 20)}-${h.slice(20)}`;
    });
    const tally = new RemovalTally();
    tally.add({ messages: ids.slice(0, 125_000), conversations: ids.slice(125_000) });
    const expected = [...ids.slice(0, 125_000).map((id) => `messages:${id}`), ...ids.slice(125_000).map((id) => `conversations:${id}`)];
    expect(receiptOf(tally, streaming).digest).toBe(plain.sha256Hex(receiptDigestInput(expected)));
    expect(receiptOf(tally, streaming).counts).toEqual({ conversations: 25_000, messages: 125_000 });
  });
});
