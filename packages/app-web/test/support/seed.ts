import type { Page } from 'playwright-core';
import { Ids, Message, ReceiveInboundMessage, type WorkspaceId } from '@palette/domain';
import { InMemoryAssistantRecords, InMemoryDatabase } from '@palette/domain/in-memory';
import { make } from '@palette/domain/testing';
import { TOKENS } from '../../../app-http/src/tokens.js';
import type { Dashboard } from './browser-harness.js';

export interface SeededShop {
  readonly workspaceId: string;
  readonly email: string;
  readonly password: string;
  readonly shop: string;
  readonly accountId: string;
  readonly contactId: string;
  readonly conversationId: string;
  readonly assistantReplyId: string;
  readonly orderId: string;
}

let counter = 0;

/** Same-origin JSON call from the page, so it carries the session cookie and passes the CSRF check. */
export async function call<T = unknown>(page: Page, method: string, path: string, body?: unknown, headers: Record<string, string> = {}): Promise<{ status: number; body: T }> {
  return page.evaluate(
    async ({ method, path, body, headers }) => {
      const res = await fetch(path, { method, headers: { 'Content-Type': 'application/json', ...headers }, ...(body === undefined ? {} : { body: JSON.stringify(body) }) });
      const text = await res.text();
      return { status: res.status, body: text ? JSON.parse(text) : undefined };
    },
    { method, path, body, headers },
  ) as Promise<{ status: number; body: T }>;
}

/**
 * A signed-in owner whose workspace has something on every page: a connected Instagram account, a
 * customer conversation with an assistant reply and its AI audit, a product with stock, an order for
 * that customer, and a second customer already erased (a receipt and a data-subject request).
 */
export async function seedShop(d: Dashboard, page: Page): Promise<SeededShop> {
  counter += 1;
  const tag = `${counter}-${Date.now()}`;
  const email = `seed${tag}@example.com`;
  const password = `amber orchard lantern ${counter}`;
  const shop = `Seeded Ceramics ${counter}`;
  await page.goto('/login');
  const registered = await call(page, 'POST', '/api/auth/register', { name: 'Sara Seed', email, password, currency: 'EUR', workspaceName: shop, timezone: 'Europe/Lisbon' });
  if (registered.status >= 300) throw new Error(`register: ${registered.status} ${JSON.stringify(registered.body)}`);
  const me = await call<{ memberships: Array<{ workspaceId: string }> }>(page, 'GET', '/api/me');
  const workspaceId = me.body.memberships[0]!.workspaceId;

  const c = d.app.container;
  const repos = c.get(TOKENS.Repositories);
  const ids = c.get(TOKENS.Ids);
  const now = () => d.app.clock.now();
  const igUserId = `1784${Date.now()}${counter}`;
  const account = make.account(ids.next(), workspaceId as WorkspaceId, igUserId, now());
  await repos.accounts.save(account);
  const receive = new ReceiveInboundMessage({ ...repos, clock: d.app.clock, ids });
  const dm = async (sender: string, mid: string, text: string) => {
    const r = await receive.execute({ igUserId, senderIgsid: sender, platformMessageId: mid, text, attachments: [], replyTo: null, sentAt: now(), entryPoint: 'organic_dm' });
    if (!r.ok) throw new Error(JSON.stringify(r.error));
    return r.value;
  };
  const first = await dm(`74321${counter}01`, `mid-seed-${tag}-1`, 'Do you have the speckled mug in stock?');
  first.contact.updateProfile({ username: `marta.rose${counter}`, displayName: 'Marta Rose' }, now());
  await repos.contacts.save(first.contact);

  // An assistant reply and the audit record the assistant job writes with it.
  const reply = Message.outbound({
    id: Ids.message(ids.next()), workspaceId: workspaceId as WorkspaceId, accountId: account.id, conversationId: first.conversation.id, contactId: first.contact.id,
    author: 'assistant', text: 'Yes, 17 in stock at 18.50 EUR.', now: new Date(now().getTime() + 1000),
  });
  await repos.messages.save(reply);
  if (!(repos.uow instanceof InMemoryDatabase)) throw new Error('the dashboard harness runs on in-memory repositories');
  await new InMemoryAssistantRecords(repos.uow).append({
    id: ids.next(), workspaceId: workspaceId as WorkspaceId, conversationId: first.conversation.id, messageId: first.message.id, replyMessageId: reply.id,
    outcome: 'replied', reason: null, provider: 'offline', model: 'rules-v1', latencyMs: 42, inputTokens: 310, outputTokens: 24,
    toolCalls: [{ tool: 'search_catalog', args: { query: 'speckled mug' }, ok: true, result: { hits: 1 } }],
    checks: [{ name: 'figures_grounded', passed: true, detail: '18.50 EUR and 17 in stock match the catalog' }, { name: 'tool_arguments_valid', passed: true, detail: null }],
    redactions: {}, at: now(),
  });

  const product = await call(page, 'POST', `/api/workspaces/${workspaceId}/products`, { sku: `MUG-${counter}`, name: 'Speckled mug', priceMinor: 1850, currency: 'EUR', initialStock: 17 }, { 'Idempotency-Key': `seed-product-${tag}` });
  if (product.status !== 201) throw new Error(`product: ${product.status} ${JSON.stringify(product.body)}`);
  const order = await call<{ id: string }>(page, 'POST', `/api/workspaces/${workspaceId}/orders`, { lines: [{ sku: `MUG-${counter}`, quantity: 2 }], contactId: first.contact.id, customerName: 'Marta Rose' }, { 'Idempotency-Key': `seed-order-${tag}` });
  if (order.status !== 201) throw new Error(`order: ${order.status} ${JSON.stringify(order.body)}`);

  // A second customer, erased: the privacy centre then has a receipt and a completed request.
  const second = await dm(`74321${counter}02`, `mid-seed-${tag}-2`, 'Please delete my data.');
  const erased = await call(page, 'POST', `/api/workspaces/${workspaceId}/contacts/${second.contact.id}/erasure`);
  if (erased.status !== 200) throw new Error(`erasure: ${erased.status} ${JSON.stringify(erased.body)}`);

  return {
    workspaceId, email, password, shop, accountId: account.id, contactId: first.contact.id, conversationId: first.conversation.id, assistantReplyId: reply.id, orderId: order.body.id,
  };
}
