import { createHash } from 'node:crypto';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { buildReceipt, EraseContact, Ids, NO_AI_DECISION_RECORDS, RECEIPT_CLASSES, RemovalTally, retentionPolicyLabel, verifyReceipt, type Digest } from '@palette/domain';
import { createInMemoryRepositories, FakeClock, InMemoryPrivacyStores, SequentialIds } from '@palette/domain/in-memory';
import { make } from '@palette/domain/testing';

const sha: Digest = { sha256Hex: (text) => createHash('sha256').update(text, 'utf8').digest('hex') };
const removal = fc.array(fc.tuple(fc.constantFrom(...RECEIPT_CLASSES), fc.uuid()), { maxLength: 40 })
  .map((pairs) => [...new Map(pairs.map(([c, id]) => [`${c}:${id}`, [c, id] as const])).values()]);

describe('privacy receipts', () => {
  it('verify accepts exactly the removed ids, in any order, and rejects one missing, one extra or one reclassified', () => {
    fc.assert(fc.property(removal, fc.uuid(), fc.integer(), (pairs, extra, seed) => {
      const tally = new RemovalTally();
      for (const [cls, id] of pairs) tally.add({ [cls]: [id] });
      const receipt = buildReceipt({ id: extra, workspaceId: null, kind: 'retention', policy: retentionPolicyLabel(), tally, digest: sha, now: new Date(0) });
      const ids = pairs.map(([c, id]) => `${c}:${id}`);
      const shuffled = [...ids].sort(() => (seed % 2 === 0 ? 1 : -1));
      expect(verifyReceipt(receipt, shuffled, sha)).toBe(true);
      expect(verifyReceipt(receipt, [...ids, `messages:${extra}`], sha)).toBe(false);
      if (ids.length > 0) {
        expect(verifyReceipt(receipt, ids.slice(1), sha)).toBe(false);
        const [cls, id] = pairs[0]!;
        const other = RECEIPT_CLASSES.find((c) => c !== cls)!;
        expect(verifyReceipt(receipt, [`${other}:${id}`, ...ids.slice(1)], sha)).toBe(false);
      }
      // Counts per class agree with the ids, and the receipt text holds nothing but ids' digest.
      const total = Object.values(receipt.counts as Record<string, number>).reduce((a, b) => a + b, 0);
      expect(total).toBe(ids.length);
      expect(receipt.digest).toMatch(/^[0-9a-f]{64}$/);
    }));
  });

  it('names the effective periods in its policy, capped at the published maxima', () => {
    expect(retentionPolicyLabel({ messages: 7 })).toContain('messages=7d');
    expect(retentionPolicyLabel({ messages: 90 })).toContain('messages=30d');
    expect(retentionPolicyLabel()).toContain('orders=1826d');
  });
});

describe('EraseContact on the in-memory adapters', () => {
  it('deletes DMs and the contact, anonymises the contact\'s orders, completes the request and writes a verifiable receipt', async () => {
    const repos = createInMemoryRepositories();
    const clock = new FakeClock('2026-05-01T10:00:00Z');
    const ids = new SequentialIds('0190d000');
    const now = clock.now();
    const ws = Ids.workspace(ids.next());
    const account = make.account(ids.next(), ws, 'ig-1', now, ids.next());
    const contact = make.contact(ids.next(), ws, account.id, 'igsid-1', now);
    const conversation = make.conversation(ids.next(), ws, account.id, contact.id, now);
    const message = make.inbound(ids.next(), ws, account.id, conversation.id, contact.id, 'mid-1', 'hello', now);
    const product = make.product(ids.next(), ws, 'P', now);
    const variant = make.variant(ids.next(), ws, product.id, 'V', 1000, now);
    const order = make.order(ids.next(), ws, [{ variantId: variant.id, sku: 'V', priceMinor: 1000, quantity: 1 }], now);
    Object.assign(order, { _contactId: contact.id, _customerName: 'Ana' });
    await repos.uow.run(async () => {
      await repos.workspaces.save(make.workspace(ws, now));
      await repos.accounts.save(account);
      await repos.contacts.save(contact);
      await repos.conversations.save(conversation);
      await repos.messages.save(message);
      await repos.orders.save(order);
    });
    const store = new InMemoryPrivacyStores(repos.db);
    const result = await new EraseContact({ ...repos, store, ai: NO_AI_DECISION_RECORDS, clock, ids, digest: sha })
      .execute({ workspaceId: ws, contactId: contact.id, actor: { kind: 'user', id: ids.next() } });
    if (!result.ok) throw new Error('expected ok');
    expect(await repos.contacts.get(ws, contact.id)).toBeNull();
    expect(await repos.messages.get(ws, message.id)).toBeNull();
    const kept = await repos.orders.get(ws, order.id);
    expect(kept).toMatchObject({ contactId: null, customerName: null });
    expect(kept!.total.amountMinor).toBe(1000);
    expect(verifyReceipt(result.value.receipt, [`messages:${message.id}`, `conversations:${conversation.id}`, `orders_anonymized:${order.id}`, `contacts_deleted:${contact.id}`], sha)).toBe(true);
    expect((await repos.requests.get(ws, result.value.requestId))?.status).toBe('completed');
    expect(await repos.contacts.findByIgsid(account.id, 'igsid-1')).toBeNull();
  });
});
