import { Ids, Money, Order, RunRetentionSweep, EraseContact, RunRevocationDeletion, NO_AI_DECISION_RECORDS, type AiDecisionRecords, type Repositories, type WorkspaceId } from '@palette/domain';
import type { FakeClock, SequentialIds } from '@palette/domain/in-memory';
import { make, unwrap } from '@palette/domain/testing';
import { createMikroOrmRepositories, createSqlInstagramWebhookStores, createSqlPrivacyStore, createSqlReportStore, type Database } from '@palette/adapters/persistence';
import { Sha256Digest } from '@palette/adapters/system';

export const DAY = 24 * 3600_000;
export const digest = new Sha256Digest();

/** Services over one fresh unit of work each call, as the worker composes them. */
export function privacy(db: Database, clock: FakeClock, ids: SequentialIds, ai: AiDecisionRecords = NO_AI_DECISION_RECORDS) {
  const repos = createMikroOrmRepositories(db.orm);
  const store = createSqlPrivacyStore(repos.uow);
  const deps = { ...repos, store, ai, clock, ids, digest };
  return { repos, store, sweep: new RunRetentionSweep(deps), erase: new EraseContact({ ...deps, contactFacts: createSqlReportStore(repos.uow) }), revocation: new RunRevocationDeletion({ ...deps, deletions: createSqlInstagramWebhookStores(repos.uow).deletions }) };
}

export async function sql<T = Record<string, unknown>>(db: Database, text: string, params: unknown[] = []): Promise<T[]> {
  return (await db.orm.em.fork().getConnection().execute(text, params as never[])) as T[];
}

export async function count(db: Database, table: string, where = 'true', params: unknown[] = []): Promise<number> {
  const rows = await sql<{ n: string | number }>(db, `select count(*) as n from ${table} where ${where}`, params);
  return Number(rows[0]!.n);
}

/** Every report's source: the daily aggregates and the per-contact day facts, in a stable order. */
export async function reportSnapshot(db: Database): Promise<string> {
  const rows = await sql(db, `select workspace_id, to_char(day, 'YYYY-MM-DD') as day, metric, dimension, count::text as count, sum::text as sum
    from daily_metrics order by workspace_id, day, metric, dimension`);
  const facts = await sql(db, `select workspace_id, encode(contact_key, 'hex') as key, to_char(day, 'YYYY-MM-DD') as day, inbound, orders
    from report_contact_days order by workspace_id, key, day`);
  return JSON.stringify({ rows, facts });
}

export interface Seeded {
  ws: WorkspaceId;
  accountId: string;
  /** contact → its conversation and message ids */
  contacts: Record<'talker' | 'buyer' | 'recent', { id: string; conversation: string; messages: string[] }>;
  orderId: string;
}

/**
 * One workspace: a contact who only talked, one who talked and bought (order delivered at once),
 * one who talked 20 days later; message texts carry the characters that bite (`;`, quotes, emoji).
 */
export async function seedWorkspace(repos: () => Repositories, ids: SequentialIds, clock: FakeClock, igUserId: string): Promise<Seeded> {
  const r = repos();
  const t0 = clock.now();
  const ws = Ids.workspace(ids.next());
  const accountId = ids.next();
  await r.uow.run(async () => {
    await r.workspaces.save(make.workspace(ws, t0));
    await r.accounts.save(make.account(accountId, ws, igUserId, t0, ids.next()));
  });
  const contacts = {} as Seeded['contacts'];
  let orderId = '';
  for (const [name, offsetDays] of [['talker', 0], ['buyer', 0], ['recent', 20]] as const) {
    const at = new Date(t0.getTime() + offsetDays * DAY);
    const rr = repos();
    const contactId = ids.next();
    const conversationId = ids.next();
    const messages = [ids.next(), ids.next()];
    await rr.uow.run(async () => {
      const contact = make.contact(contactId, ws, Ids.instagramAccount(accountId), `igsid-${contactId}`, at);
      await rr.contacts.save(contact);
      const conversation = make.conversation(conversationId, ws, Ids.instagramAccount(accountId), Ids.contact(contactId), at);
      await rr.conversations.save(conversation);
      await rr.messages.save(make.inbound(messages[0]!, ws, Ids.instagramAccount(accountId), Ids.conversation(conversationId), Ids.contact(contactId), `mid-${messages[0]}`, 'hola; "¿tienes talla M?" 👗', at));
      await rr.messages.save(make.inbound(messages[1]!, ws, Ids.instagramAccount(accountId), Ids.conversation(conversationId), Ids.contact(contactId), `mid-${messages[1]}`, 'mi dirección es Calle Mayor 1', at));
      await createSqlReportStore(rr.uow).record([{ workspaceId: ws, contactId: Ids.contact(contactId), day: at.toISOString().slice(0, 10), inbound: 2, orders: name === 'buyer' ? 1 : 0 }]);
      await rr.metrics.add([
        { workspaceId: ws, day: at.toISOString().slice(0, 10), metric: 'messages.inbound', dimension: 'author=customer', count: 2, sum: 0 },
        { workspaceId: ws, day: at.toISOString().slice(0, 10), metric: 'conversations.new', dimension: 'entry=organic_dm', count: 1, sum: 0 },
      ]);
    });
    contacts[name] = { id: contactId, conversation: conversationId, messages };
    if (name === 'buyer') {
      orderId = ids.next();
      const product = ids.next();
      const variant = ids.next();
      await rr.uow.run(async () => {
        await rr.products.save(make.product(product, ws, `SKU-${product.slice(-4)}`, at));
        await rr.variants.save(make.variant(variant, ws, Ids.product(product), `V-${variant.slice(-4)}`, 2500, at));
      });
      const rrr = repos();
      await rrr.uow.run(async () => {
        const order = unwrap(Order.draft({
          id: Ids.order(orderId), workspaceId: ws, source: 'chat', actor: { kind: 'contact', id: contactId }, now: at,
          contactId: Ids.contact(contactId), conversationId: Ids.conversation(conversationId), customerName: 'Lucía Pérez', notes: 'leave at door; ring twice',
          shippingAddress: { name: 'Lucía Pérez', line1: 'Calle Mayor 1', city: 'Madrid', postalCode: '28001', country: 'ES' },
          lines: [{ variantId: Ids.variant(variant), sku: 'V', name: 'Dress', unitPrice: Money.unsafe(2500, 'EUR'), quantity: 2 }],
        }));
        order.transition('cancelled', { kind: 'contact', id: contactId }, at, 'changed my mind');
        await rrr.orders.save(order);
        await rrr.metrics.add([{ workspaceId: ws, day: at.toISOString().slice(0, 10), metric: 'orders.cancelled', dimension: 'currency=EUR', count: 1, sum: 5000 }]);
      });
    }
  }
  return { ws, accountId, contacts, orderId };
}
