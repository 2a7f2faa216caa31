import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import fc from 'fast-check';
import {
  ConcurrencyConflictError, DataSubjectRequest, Ids, Ids as I, Invitation, Money, Session, TransitionOrder, err, ok, receiptDigestInput,
  type Repositories, type StockMovement,
} from '../src/index.js';
import { FakeClock, SequentialIds } from '../in-memory/system.js';
import { make, uuid } from './fixtures.js';

/** Everything a contract needs from an adapter family, over one unit of work. */
export type RepositorySet = Repositories;

export interface ContractHarness {
  /** Repositories over a fresh unit of work (a new EntityManager fork) on the same database. */
  session(): RepositorySet;
  /** Empties every table between tests. */
  reset(): Promise<void>;
  teardown(): Promise<void>;
}

const T0 = new Date('2026-03-01T12:00:00.000Z');
const WS = Ids.workspace(uuid(1, 'aaaaaaaa'));
const WS2 = Ids.workspace(uuid(2, 'aaaaaaaa'));
const DAY = 86400_000;

/**
 * Strings customers really type: `;`, quotes, backslashes, `$1`, emoji, long text. Never NUL
 * (PostgreSQL text cannot hold it) and never a leading U+FEFF, which PGlite drops on read
 * (docs/decisions/0005; recorded by a test in packages/adapters).
 */
export const storableText = () =>
  fc.string({ unit: 'grapheme', maxLength: 200 }).map((s) => s.split(String.fromCharCode(0)).join('').replace(/^\uFEFF+/, ''));

/**
 * The behaviour every adapter of the repository ports must share. Run by the in-memory, PGlite
 * and PostgreSQL test files with their own harness.
 */
export function repositoryContracts(adapterName: string, setup: () => Promise<ContractHarness>, options: { concurrency?: boolean } = {}): void {
  describe(`repository contracts: ${adapterName}`, () => {
    let h: ContractHarness;
    beforeAll(async () => { h = await setup(); });
    afterAll(async () => { await h?.teardown(); });
    beforeEach(async () => { await h.reset(); });

    async function seedWorkspace(id = WS) {
      const s = h.session();
      await s.uow.run(async () => { await s.workspaces.save(make.workspace(id, T0)); });
    }
    async function seedThread() {
      await seedWorkspace();
      const s = h.session();
      const account = make.account(uuid(10), WS, '17841455500112233', T0);
      const contact = make.contact(uuid(20), WS, account.id, '7432198865012345', T0);
      const conversation = make.conversation(uuid(30), WS, account.id, contact.id, T0);
      await s.uow.run(async () => { await s.accounts.save(account); await s.contacts.save(contact); await s.conversations.save(conversation); });
      return { account, contact, conversation };
    }
    async function seedVariant(onHand: number, sku = 'TEE-RED-M') {
      await seedWorkspace();
      const s = h.session();
      const product = make.product(uuid(40), WS, 'TEE', T0);
      const variant = make.variant(uuid(41), WS, product.id, sku, 1999, T0);
      const level = make.level(variant.id, WS, T0);
      const moved = level.setOnHand(onHand, 'count', { kind: 'system' }, T0);
      if (!moved.ok) throw new Error('seed');
      await s.uow.run(async () => {
        await s.products.save(product); await s.variants.save(variant); await s.stock.save(level);
        await s.stock.appendMovements([{ ...moved.value, id: I.stockMovement(uuid(42)), workspaceId: WS, variantId: variant.id }]);
      });
      return { product, variant };
    }

    describe('UnitOfWork', () => {
      it('commits what was saved when the work returns normally', async () => {
        const s = h.session();
        await s.uow.run(async () => { await s.workspaces.save(make.workspace(WS, T0)); return ok(1); });
        expect(await h.session().workspaces.get(WS)).not.toBeNull();
      });
      it('writes nothing when the work returns an error Result', async () => {
        const s = h.session();
        const r = await s.uow.run(async () => { await s.workspaces.save(make.workspace(WS, T0)); return err({ kind: 'Nope' }); });
        expect(r.ok).toBe(false);
        expect(await h.session().workspaces.get(WS)).toBeNull();
      });
      it('writes nothing when the work throws', async () => {
        const s = h.session();
        await expect(s.uow.run(async () => { await s.workspaces.save(make.workspace(WS, T0)); throw new Error('boom'); })).rejects.toThrow('boom');
        expect(await h.session().workspaces.get(WS)).toBeNull();
      });
      it('does not persist a change made to a loaded aggregate that was never saved', async () => {
        await seedWorkspace();
        const s = h.session();
        await s.uow.run(async () => {
          const w = await s.workspaces.get(WS);
          w!.rename('Renamed', T0);
          await s.users.save(make.user(uuid(5), 'x@example.com', T0));
        });
        expect((await h.session().workspaces.get(WS))!.name).toBe('Shop');
      });
      it('refuses a stale write with ConcurrencyConflictError (optimistic version)', async () => {
        await seedWorkspace();
        const a = h.session();
        const b = h.session();
        const wa = await a.workspaces.get(WS);
        const wb = await b.workspaces.get(WS);
        wa!.rename('First', T0);
        await a.uow.run(async () => { await a.workspaces.save(wa!); });
        wb!.rename('Second', T0);
        await expect(b.uow.run(async () => { await b.workspaces.save(wb!); })).rejects.toBeInstanceOf(ConcurrencyConflictError);
        expect((await h.session().workspaces.get(WS))!.name).toBe('First');
      });
    });

    describe('WorkspaceRepository', () => {
      it('returns null for an unknown id', async () => {
        expect(await h.session().workspaces.get(WS2)).toBeNull();
      });
      it('round-trips every field, including the business profile and retention overrides', async () => {
        const w = make.workspace(WS, T0, { timezone: 'America/Mexico_City', currency: 'MXN' });
        w.updateBusinessProfile({ storeName: 'Tienda; "Luna"', tone: 'warm', shippingPolicy: '2-3 días', returnPolicy: '30 days', openingHours: '9-18', faq: [{ question: '¿Envío?', answer: 'Sí 🚚' }] }, T0);
        expect(w.setRetention({ messages: 14 }, T0).ok).toBe(true);
        const s = h.session();
        await s.uow.run(async () => { await s.workspaces.save(w); });
        const got = (await h.session().workspaces.get(WS))!;
        expect(got.name).toBe('Shop');
        expect(got.timezone).toBe('America/Mexico_City');
        expect(got.defaultCurrency).toBe('MXN');
        expect(got.businessProfile).toEqual(w.businessProfile);
        expect(got.retention).toEqual({ messages: 14 });
        expect(got.createdAt.toISOString()).toBe(T0.toISOString());
        expect(got.rename('Again', T0).ok).toBe(true);
      });
    });

    describe('UserRepository', () => {
      it('finds by normalised email and refuses a second account with the same email', async () => {
        const s = h.session();
        await s.uow.run(async () => { await s.users.save(make.user(uuid(5), 'Ana@Shop.com', T0)); });
        const found = await h.session().users.findByEmail('ana@shop.com');
        expect(found?.id).toBe(uuid(5));
        expect(found?.name).toBe('Ana García');
        const s2 = h.session();
        await expect(s2.uow.run(async () => { await s2.users.save(make.user(uuid(6), 'ana@shop.com', T0)); })).rejects.toThrow();
      });
      it('persists preferences and erasure', async () => {
        const s = h.session();
        const u = make.user(uuid(5), 'a@b.co', T0);
        u.updatePreferences({ language: 'es', dashboard: { compact: true } }, T0);
        await s.uow.run(async () => { await s.users.save(u); });
        const s2 = h.session();
        const loaded = (await s2.users.get(u.id))!;
        expect(loaded.preferences).toEqual({ language: 'es', dashboard: { compact: true } });
        loaded.erase(T0, 'tok123');
        await s2.uow.run(async () => { await s2.users.save(loaded); });
        const erased = (await h.session().users.get(u.id))!;
        expect(erased.erasedAt?.toISOString()).toBe(T0.toISOString());
        expect(erased.email).toBe('erased-tok123@invalid');
      });
    });

    describe('MembershipRepository', () => {
      it('lists per workspace and per user, scopes by workspace, and removes', async () => {
        await seedWorkspace(WS); await seedWorkspace(WS2);
        const s = h.session();
        const m1 = make.membership(uuid(7), WS, uuid(5), 'owner', T0);
        const m2 = make.membership(uuid(8), WS2, uuid(5), 'agent', T0);
        await s.uow.run(async () => { await s.users.save(make.user(uuid(5), 'a@b.co', T0)); await s.memberships.save(m1); await s.memberships.save(m2); });
        const r = h.session();
        expect((await r.memberships.listByWorkspace(WS)).map((m) => m.role)).toEqual(['owner']);
        expect((await r.memberships.listByUser(Ids.user(uuid(5)))).length).toBe(2);
        expect(await r.memberships.get(WS2, m1.id)).toBeNull();
        expect((await r.memberships.find(WS2, Ids.user(uuid(5))))?.role).toBe('agent');
        await r.uow.run(async () => { await r.memberships.remove((await r.memberships.get(WS2, m2.id))!); });
        expect(await h.session().memberships.find(WS2, Ids.user(uuid(5)))).toBeNull();
      });
    });

    describe('InstagramAccountRepository and SecretRepository', () => {
      it('finds an account by its IG user id and persists status changes', async () => {
        const { account } = await seedThread();
        const s = h.session();
        const loaded = (await s.accounts.findByIgUserId('17841455500112233'))!;
        expect(loaded.id).toBe(account.id);
        expect(loaded.grantedScopes).toEqual(['instagram_business_basic', 'instagram_business_manage_messages']);
        loaded.markTokenExpired('error 190', T0);
        await s.uow.run(async () => { await s.accounts.save(loaded); });
        const again = (await h.session().accounts.get(WS, account.id))!;
        expect(again.status).toBe('token_expired');
        expect(again.statusReason).toBe('error 190');
        expect(await h.session().accounts.get(WS2, account.id)).toBeNull();
        expect((await h.session().accounts.listByWorkspace(WS)).length).toBe(1);
      });
      it('stores, finds by key id and destroys secrets within their workspace only', async () => {
        await seedWorkspace();
        const s = h.session();
        const secret = { id: Ids.secret(uuid(50)), workspaceId: WS, purpose: 'instagram_token' as const, ciphertext: { keyId: 'k1', data: 'b64:abc' }, aad: `${WS}:acct`, createdAt: T0 };
        await s.uow.run(async () => { await s.secrets.save(secret); });
        expect(await h.session().secrets.get(WS, secret.id)).toEqual(secret);
        expect(await h.session().secrets.get(WS2, secret.id)).toBeNull();
        expect((await h.session().secrets.listByKeyIdNot('k2', 10)).map((x) => x.id)).toEqual([secret.id]);
        expect(await h.session().secrets.listByKeyIdNot('k1', 10)).toEqual([]);
        const d = h.session();
        await d.uow.run(async () => { await d.secrets.destroy(WS2, secret.id); });
        expect(await h.session().secrets.get(WS, secret.id)).not.toBeNull();
        await d.uow.run(async () => { await d.secrets.destroy(WS, secret.id); });
        expect(await h.session().secrets.get(WS, secret.id)).toBeNull();
      });
    });

    describe('ContactRepository', () => {
      it('round-trips restrictions and the consent ledger; an anonymised contact is no longer found by Instagram id', async () => {
        const { contact, account } = await seedThread();
        const s = h.session();
        const c = (await s.contacts.findByIgsid(account.id, '7432198865012345'))!;
        c.recordConsent({ purpose: 'marketing', decision: 'granted', source: 'customer_message', at: T0 });
        c.objectToAiProcessing(new Date(T0.getTime() + 1000), 'merchant_dashboard');
        await s.uow.run(async () => { await s.contacts.save(c); });
        const loaded = (await h.session().contacts.get(WS, contact.id))!;
        expect(loaded.restrictions).toEqual({ aiProcessingObjected: true, processingRestricted: false });
        expect(loaded.consentLedger.map((e) => [e.purpose, e.decision])).toEqual([['marketing', 'granted'], ['ai_processing', 'withdrawn']]);
        expect(loaded.consentLedger[1]!.at.toISOString()).toBe(new Date(T0.getTime() + 1000).toISOString());
        expect(loaded.allowsAutomatedProcessing()).toBe(false);
        const s2 = h.session();
        loaded.anonymize(T0);
        await s2.uow.run(async () => { await s2.contacts.save(loaded); });
        expect(await h.session().contacts.findByIgsid(account.id, '7432198865012345')).toBeNull();
        expect((await h.session().contacts.get(WS, contact.id))!.username).toBeNull();
      });
    });

    describe('ConversationRepository', () => {
      it('finds the thread of a contact and lists inactive threads up to and including the cutoff', async () => {
        const { conversation, account, contact } = await seedThread();
        const s = h.session();
        const c = (await s.conversations.findByContact(account.id, contact.id))!;
        c.customerActed(new Date(T0.getTime() + 5000), true);
        c.requestHandoff(T0);
        await s.uow.run(async () => { await s.conversations.save(c); });
        const loaded = (await h.session().conversations.get(WS, conversation.id))!;
        expect(loaded.owner).toBe('human');
        expect(loaded.unreadCount).toBe(1);
        expect(loaded.lastCustomerMessageAt!.toISOString()).toBe(new Date(T0.getTime() + 5000).toISOString());
        const at = loaded.lastInteractionAt;
        expect((await h.session().conversations.listInactiveSince(WS, at, 10)).map((x) => x.id)).toEqual([conversation.id]);
        expect(await h.session().conversations.listInactiveSince(WS, new Date(at.getTime() - 1), 10)).toEqual([]);
        expect(await h.session().conversations.listInactiveSince(WS2, at, 10)).toEqual([]);
      });
      it('lists the inbox newest activity first with filters, search and a keyset cursor, and feeds changes since a time', async () => {
        const { account, contact, conversation } = await seedThread();
        const s = h.session();
        const lucia = make.contact(uuid(21), WS, account.id, '7432198865099999', T0);
        lucia.updateProfile({ username: 'lucia_ceramics', displayName: 'Lucía 100%' }, T0);
        const second = make.conversation(uuid(31), WS, account.id, lucia.id, T0);
        second.customerActed(new Date(T0.getTime() + 60_000), true);
        second.takeOver(new Date(T0.getTime() + 60_000));
        await s.uow.run(async () => {
          await s.contacts.save(lucia);
          await s.conversations.save(second);
          await s.messages.save(make.inbound(uuid(80), WS, account.id, conversation.id, contact.id, 'inbox-1', 'old: do you ship to Lisbon?', T0));
          await s.messages.save(make.inbound(uuid(81), WS, account.id, conversation.id, contact.id, 'inbox-2', 'price of the blue vase?', new Date(T0.getTime() + 1000)));
          await s.messages.save(make.inbound(uuid(82), WS, account.id, second.id, lucia.id, 'inbox-3', 'hello', new Date(T0.getTime() + 60_000)));
        });
        const r = h.session();
        const ids = async (f: Partial<Parameters<typeof r.conversations.listInbox>[1]>) => (await r.conversations.listInbox(WS, { limit: 10, ...f })).map((c) => c.id);
        expect(await ids({})).toEqual([second.id, conversation.id]);
        expect(await ids({ owner: 'human' })).toEqual([second.id]);
        expect(await ids({ unread: true })).toEqual([second.id]);
        expect(await ids({ unread: false })).toEqual([conversation.id]);
        expect(await ids({ entryPoint: 'ad_referral' })).toEqual([]);
        expect(await ids({ search: 'LUCIA_' })).toEqual([second.id]);
        expect(await ids({ search: '100%' })).toEqual([second.id]);
        // The last message only: an older message's text does not match.
        expect(await ids({ search: 'blue vase' })).toEqual([conversation.id]);
        expect(await ids({ search: 'Lisbon' })).toEqual([]);
        expect(await ids({ search: '%' })).toEqual([second.id]);
        expect(await ids({ limit: 1 })).toEqual([second.id]);
        expect(await ids({ after: { at: second.lastInteractionAt, id: second.id } })).toEqual([conversation.id]);
        expect(await r.conversations.listInbox(WS2, { limit: 10 })).toEqual([]);
        expect((await r.conversations.listUpdatedSince(WS, new Date(T0.getTime() + 1), 10)).map((c) => c.id)).toEqual([second.id]);
        expect((await r.conversations.listUpdatedSince(WS, T0, 10)).map((c) => c.id)).toEqual([conversation.id, second.id]);
        expect(await r.conversations.listUpdatedSince(WS2, T0, 10)).toEqual([]);
        const page1 = await r.messages.pageByConversation(WS, conversation.id, { limit: 1 });
        expect(page1.map((m) => m.text)).toEqual(['price of the blue vase?']);
        expect((await r.messages.pageByConversation(WS, conversation.id, { limit: 5, before: { at: page1[0]!.sentAt, id: page1[0]!.id } })).map((m) => m.text)).toEqual(['old: do you ship to Lisbon?']);
        expect(await r.messages.pageByConversation(WS2, conversation.id, { limit: 5 })).toEqual([]);
        expect((await r.messages.listCreatedSince(WS, new Date(T0.getTime() + 1000), 10)).map((m) => m.id)).toEqual([uuid(81), uuid(82)]);
        expect(await r.messages.listCreatedSince(WS2, T0, 10)).toEqual([]);
      });
    });

    describe('MessageRepository', () => {
      it('round-trips attachments and reactions, finds by platform id, and refuses a duplicate mid per account', async () => {
        const { account, contact, conversation } = await seedThread();
        const s = h.session();
        const m = make.inbound(uuid(60), WS, account.id, conversation.id, contact.id, 'aWdfZAG1faXRlbTox;mid', 'hola; ¿precio?', T0);
        m.react({ by: 'merchant', emoji: '❤️', at: T0 });
        await s.uow.run(async () => { await s.messages.save(m); });
        const got = (await h.session().messages.findByPlatformId(account.id, 'aWdfZAG1faXRlbTox;mid'))!;
        expect(got.text).toBe('hola; ¿precio?');
        expect(got.reactions).toEqual([{ by: 'merchant', emoji: '❤️', at: T0 }]);
        expect(got.deliveryState).toBe('received');
        const dup = make.inbound(uuid(61), WS, account.id, conversation.id, contact.id, 'aWdfZAG1faXRlbTox;mid', 'again', T0);
        const s2 = h.session();
        await expect(s2.uow.run(async () => { await s2.messages.save(dup); })).rejects.toThrow();
      });
      it('lists a conversation in time order, the newest N on request, and deletes it returning the ids', async () => {
        const { account, contact, conversation } = await seedThread();
        const s = h.session();
        await s.uow.run(async () => {
          for (let i = 0; i < 5; i++) await s.messages.save(make.inbound(uuid(70 + i), WS, account.id, conversation.id, contact.id, `mid-${i}`, `m${i}`, new Date(T0.getTime() + (4 - i) * 1000)));
        });
        const r = h.session();
        expect((await r.messages.listByConversation(WS, conversation.id)).map((m) => m.text)).toEqual(['m4', 'm3', 'm2', 'm1', 'm0']);
        expect((await r.messages.listByConversation(WS, conversation.id, { limit: 2, newest: true })).map((m) => m.text)).toEqual(['m1', 'm0']);
        expect(await r.messages.listByConversation(WS2, conversation.id)).toEqual([]);
        const ids = await r.uow.run(() => r.messages.deleteByConversation(WS, conversation.id));
        expect([...ids].sort()).toEqual([0, 1, 2, 3, 4].map((i) => uuid(70 + i)));
        expect(await h.session().messages.listByConversation(WS, conversation.id)).toEqual([]);
      });
      it('stores any text byte-exact (property)', async () => {
        const { account, contact, conversation } = await seedThread();
        let n = 0;
        await fc.assert(fc.asyncProperty(storableText(), async (text) => {
          n += 1;
          const s = h.session();
          const m = make.inbound(uuid(1000 + n), WS, account.id, conversation.id, contact.id, `p-${n}-${text.slice(0, 20)}`, text, T0);
          await s.uow.run(async () => { await s.messages.save(m); });
          const back = await h.session().messages.findByPlatformId(account.id, `p-${n}-${text.slice(0, 20)}`);
          expect(back?.text).toBe(text);
        }), { numRuns: 40 });
      });
    });

    describe('Catalog repositories', () => {
      it('round-trips products and variants with money, and keeps SKUs unique per workspace only', async () => {
        const { product, variant } = await seedVariant(3);
        const r = h.session();
        expect((await r.products.findBySku(WS, 'TEE'))!.id).toBe(product.id);
        const v = (await r.variants.findBySku(WS, 'TEE-RED-M'))!;
        expect(v.price.equals(Money.unsafe(1999, 'EUR'))).toBe(true);
        expect((await r.variants.getMany(WS, [variant.id])).length).toBe(1);
        expect((await r.variants.listByProduct(WS, product.id)).map((x) => x.sku)).toEqual(['TEE-RED-M']);
        expect(await r.variants.get(WS2, variant.id)).toBeNull();
        const s = h.session();
        await expect(s.uow.run(async () => { await s.variants.save(make.variant(uuid(43), WS, product.id, 'TEE-RED-M', 100, T0)); })).rejects.toThrow();
        await seedWorkspace(WS2);
        const s2 = h.session();
        await s2.uow.run(async () => { await s2.products.save(make.product(uuid(44), WS2, 'TEE', T0)); await s2.variants.save(make.variant(uuid(45), WS2, Ids.product(uuid(44)), 'TEE-RED-M', 100, T0)); });
        expect((await h.session().variants.findBySku(WS2, 'TEE-RED-M'))!.id).toBe(uuid(45));
      });
      it('keeps the stock level equal to the sum of its ledger (property)', async () => {
        const { variant } = await seedVariant(0);
        const op = fc.oneof(
          fc.record({ t: fc.constant('adjust' as const), n: fc.integer({ min: -5, max: 10 }) }),
          fc.record({ t: fc.constant('reserve' as const), n: fc.integer({ min: 1, max: 4 }) }),
          fc.record({ t: fc.constant('release' as const), n: fc.integer({ min: 1, max: 4 }) }),
          fc.record({ t: fc.constant('ship' as const), n: fc.integer({ min: 1, max: 4 }) }),
        );
        let seq = 0;
        await fc.assert(fc.asyncProperty(fc.array(op, { maxLength: 8 }), async (ops) => {
          for (const o of ops) {
            const s = h.session();
            await s.uow.run(async () => {
              const [level] = await s.stock.lock(WS, [variant.id]);
              const at = new Date(T0.getTime() + ++seq);
              const oid = Ids.order(uuid(9000 + seq));
              const moved = o.t === 'adjust' ? level!.adjust({ delta: o.n, reason: 'prop', actor: { kind: 'system' }, at })
                : o.t === 'reserve' ? level!.reserve(o.n, oid, { kind: 'system' }, at)
                : o.t === 'release' ? level!.release(o.n, oid, { kind: 'system' }, at)
                : level!.ship(o.n, oid, { kind: 'system' }, at);
              if (!moved.ok) return moved;
              await s.stock.save(level!);
              const m: StockMovement = { ...moved.value, id: Ids.stockMovement(uuid(20000 + seq)), workspaceId: WS, variantId: variant.id };
              await s.stock.appendMovements([m]);
              return ok(undefined);
            });
          }
          const r = h.session();
          const level = (await r.stock.get(WS, variant.id))!;
          const ledger = await r.stock.listMovements(WS, variant.id);
          const onHand = ledger.reduce((a, m) => a + m.onHandDelta, 0);
          const reserved = ledger.reduce((a, m) => a + m.reservedDelta, 0);
          expect({ onHand: level.onHand, reserved: level.reserved }).toEqual({ onHand, reserved });
          expect(level.reserved).toBeGreaterThanOrEqual(0);
          expect(level.reserved).toBeLessThanOrEqual(level.onHand);
        }), { numRuns: 15 });
      });
    });

    describe('OrderRepository', () => {
      it('round-trips lines, totals, history and address, and selects finished orders due for anonymisation', async () => {
        const { variant } = await seedVariant(10);
        const s = h.session();
        const o = make.order(uuid(80), WS, [{ variantId: variant.id, sku: variant.sku, priceMinor: 1999, quantity: 3 }], T0);
        expect(o.setCustomer({ customerName: 'Ana', shippingAddress: { name: 'Ana', line1: 'Calle 1; 2º', city: 'Madrid', postalCode: '28001', country: 'ES' } }, T0).ok).toBe(true);
        expect(o.transition('cancelled', { kind: 'user', id: 'u1' }, new Date(T0.getTime() + DAY), 'changed mind').ok).toBe(true);
        await s.uow.run(async () => { await s.orders.save(o); });
        const got = (await h.session().orders.get(WS, o.id))!;
        expect(got.total.equals(Money.unsafe(5997, 'EUR'))).toBe(true);
        expect(got.lines[0]!.unitPrice.equals(Money.unsafe(1999, 'EUR'))).toBe(true);
        expect(got.lines[0]!.lineTotal.amountMinor).toBe(5997);
        expect(got.history.map((h2) => h2.to)).toEqual(['draft', 'cancelled']);
        expect(got.history[1]!.at.toISOString()).toBe(new Date(T0.getTime() + DAY).toISOString());
        expect(got.shippingAddress?.line1).toBe('Calle 1; 2º');
        expect(got.status).toBe('cancelled');
        expect(got.allowedTransitions()).toEqual([]);
        expect(await h.session().orders.get(WS2, o.id)).toBeNull();
        const done = got.completedAt!;
        expect((await h.session().orders.listDueForAnonymization(WS, done, 10)).map((x) => x.id)).toEqual([o.id]);
        expect(await h.session().orders.listDueForAnonymization(WS, new Date(done.getTime() - 1), 10)).toEqual([]);
        const a = h.session();
        const loaded = (await a.orders.get(WS, o.id))!;
        loaded.anonymize(T0);
        await a.uow.run(async () => { await a.orders.save(loaded); });
        const anon = (await h.session().orders.get(WS, o.id))!;
        expect(anon.customerName).toBeNull();
        expect(anon.shippingAddress).toBeNull();
        expect(anon.total.amountMinor).toBe(5997);
        expect(await h.session().orders.listDueForAnonymization(WS, done, 10)).toEqual([]);
      });
    });

    describe('privacy, audit and metrics repositories', () => {
      it('keeps data subject requests and receipts per workspace', async () => {
        await seedWorkspace();
        const s = h.session();
        const req = DataSubjectRequest.receive({ id: Ids.dataSubjectRequest(uuid(90)), workspaceId: WS, subject: { kind: 'contact', contactId: Ids.contact(uuid(20)) }, type: 'erasure', requestedBy: Ids.user(uuid(5)), now: T0 });
        expect(req.complete(T0, 'Erased', Ids.receipt(uuid(91))).ok).toBe(true);
        const receipt = { id: Ids.receipt(uuid(91)), workspaceId: WS, kind: 'erasure' as const, policy: 'erasure-request', counts: { messages: 3 }, digest: receiptDigestInput(['b', 'a']), createdAt: T0 };
        await s.uow.run(async () => { await s.requests.save(req); await s.receipts.save(receipt); });
        const r = h.session();
        const got = (await r.requests.get(WS, req.id))!;
        expect(got.status).toBe('completed');
        expect(got.subject).toEqual({ kind: 'contact', contactId: uuid(20) });
        expect(got.receiptId).toBe(uuid(91));
        expect(await r.requests.get(WS2, req.id)).toBeNull();
        expect((await r.requests.listByWorkspace(WS)).length).toBe(1);
        expect(await r.receipts.listByWorkspace(WS)).toEqual([receipt]);
      });
      it('filters the audit log and deletes entries older than the cutoff', async () => {
        await seedWorkspace();
        const s = h.session();
        await s.uow.run(async () => {
          for (let i = 0; i < 4; i++) {
            await s.audit.append({ id: Ids.auditEntry(uuid(100 + i)), workspaceId: WS, actor: { kind: 'user', id: i % 2 ? 'u1' : 'u2' }, action: i < 2 ? 'login' : 'order.transition', target: { type: 'order', id: 'o1' }, at: new Date(T0.getTime() + i * DAY), requestId: `req-${i}`, details: { to: 'paid' } });
          }
        });
        const r = h.session();
        expect((await r.audit.list(WS)).map((e) => e.requestId)).toEqual(['req-3', 'req-2', 'req-1', 'req-0']);
        expect((await r.audit.list(WS, { action: 'login' })).length).toBe(2);
        expect((await r.audit.list(WS, { actorId: 'u1' })).map((e) => e.requestId)).toEqual(['req-3', 'req-1']);
        expect((await r.audit.list(WS, { from: new Date(T0.getTime() + DAY), to: new Date(T0.getTime() + 3 * DAY) })).length).toBe(2);
        expect(await r.audit.list(WS2)).toEqual([]);
        const deleted = await r.uow.run(() => r.audit.deleteOlderThan(new Date(T0.getTime() + DAY), 100));
        expect(deleted).toBe(2);
        expect((await h.session().audit.list(WS)).length).toBe(2);
      });
      it('accumulates metric deltas and queries a day range', async () => {
        await seedWorkspace(WS); await seedWorkspace(WS2);
        const s = h.session();
        const d = { workspaceId: WS, metric: 'orders.confirmed', dimension: 'currency=EUR;source=chat' };
        await s.uow.run(async () => {
          await s.metrics.add([{ ...d, day: '2026-03-01', count: 1, sum: 1000 }, { ...d, day: '2026-03-01', count: 1, sum: 500 }]);
          await s.metrics.add([{ ...d, day: '2026-03-02', count: 2, sum: 10 }, { ...d, workspaceId: WS2, day: '2026-03-01', count: 9, sum: 9 }]);
        });
        const rows = await h.session().metrics.query(WS, { fromDay: '2026-03-01', toDay: '2026-03-01' });
        expect(rows).toEqual([{ ...d, day: '2026-03-01', count: 2, sum: 1500 }]);
        expect((await h.session().metrics.query(WS, { metric: 'orders.confirmed', fromDay: '2026-02-01', toDay: '2026-03-31' })).length).toBe(2);
      });
    });

    describe('SessionRepository and InvitationRepository', () => {
      it('finds a session by token hash, persists touches, revokes all of a user, and deletes ended ones', async () => {
        await seedWorkspace();
        const s = h.session();
        const user = make.user(uuid(5), 'a@b.co', T0);
        const a = Session.start({ tokenHash: 'hash-a', userId: user.id, now: T0 });
        const b = Session.start({ tokenHash: 'hash-b', userId: user.id, now: T0 });
        await s.uow.run(async () => { await s.users.save(user); await s.sessions.save(a); await s.sessions.save(b); });
        const r = h.session();
        const loaded = (await r.sessions.get('hash-a'))!;
        expect(loaded.userId).toBe(user.id);
        const later = new Date(T0.getTime() + 3600_000);
        loaded.touch(later);
        await r.uow.run(async () => { await r.sessions.save(loaded); });
        expect((await h.session().sessions.get('hash-a'))!.lastSeenAt.toISOString()).toBe(later.toISOString());
        expect(await h.session().sessions.get('nope')).toBeNull();
        const x = h.session();
        expect(await x.uow.run(() => x.sessions.revokeAllForUser(user.id, later))).toBe(2);
        expect((await h.session().sessions.get('hash-b'))!.isActive(later)).toBe(false);
        const d = h.session();
        expect(await d.uow.run(() => d.sessions.deleteEndedBefore(new Date(later.getTime() - 1), 10))).toBe(0);
        expect(await d.uow.run(() => d.sessions.deleteEndedBefore(later, 10))).toBe(2);
        expect(await h.session().sessions.get('hash-a')).toBeNull();
      });
      it('finds invitations by token hash and lists only pending ones of the workspace', async () => {
        await seedWorkspace(WS); await seedWorkspace(WS2);
        const s = h.session();
        const inv = Invitation.issue({ id: uuid(200), workspaceId: WS, email: 'New@Shop.com', role: 'agent', tokenHash: 'tok-1', invitedBy: Ids.user(uuid(5)), now: T0 });
        const used = Invitation.issue({ id: uuid(201), workspaceId: WS, email: 'b@shop.com', role: 'analyst', tokenHash: 'tok-2', invitedBy: Ids.user(uuid(5)), now: T0 });
        expect(used.accept('b@shop.com', T0).ok).toBe(true);
        await s.uow.run(async () => { await s.invitations.save(inv); await s.invitations.save(used); });
        const r = h.session();
        const found = (await r.invitations.findByTokenHash('tok-1'))!;
        expect({ email: found.email, role: found.role, expiresAt: found.expiresAt.getTime() }).toEqual({ email: 'new@shop.com', role: 'agent', expiresAt: T0.getTime() + 7 * DAY });
        expect((await r.invitations.listPending(WS, T0)).map((i) => i.id)).toEqual([uuid(200)]);
        expect(await r.invitations.listPending(WS, new Date(T0.getTime() + 7 * DAY))).toEqual([]);
        expect(await r.invitations.get(WS2, uuid(200))).toBeNull();
        expect(found.accept('new@shop.com', T0).ok).toBe(true);
        await r.uow.run(async () => { await r.invitations.save(found); });
        expect((await h.session().invitations.get(WS, uuid(200)))!.accept('new@shop.com', T0)).toEqual({ ok: false, error: { kind: 'InvitationUsed' } });
      });
    });

    if (options.concurrency !== false) {
      describe('no oversell under concurrency', () => {
        it('20 parallel confirmations for the last 5 units: exactly 5 succeed and nothing goes negative', async () => {
          const { variant } = await seedVariant(5);
          const setup = h.session();
          const orders = Array.from({ length: 20 }, (_, i) => make.order(uuid(300 + i), WS, [{ variantId: variant.id, sku: variant.sku, priceMinor: 1999, quantity: 1 }], T0));
          await setup.uow.run(async () => { for (const o of orders) await setup.orders.save(o); });
          const clock = new FakeClock(T0);
          const results = await Promise.all(orders.map(async (o, i) => {
            const s = h.session();
            const uc = new TransitionOrder({ ...s, clock, ids: new SequentialIds(`bbbbbb${(i + 16).toString(16)}`) });
            return uc.execute({ workspaceId: WS, orderId: o.id, to: 'confirmed', actor: { kind: 'user', id: 'u1' } });
          }));
          const succeeded = results.filter((r) => r.ok).length;
          const kinds = results.filter((r) => !r.ok).map((r) => (r.ok ? '' : r.error.kind));
          expect(succeeded).toBe(5);
          expect(new Set(kinds)).toEqual(new Set(['InsufficientStock']));
          const level = (await h.session().stock.get(WS, variant.id))!;
          expect({ onHand: level.onHand, reserved: level.reserved, available: level.available }).toEqual({ onHand: 5, reserved: 5, available: 0 });
          const ledger = await h.session().stock.listMovements(WS, variant.id);
          expect(ledger.filter((m) => m.kind === 'reservation').length).toBe(5);
        });
      });
    }
  });
}
