import { z } from 'zod';
import type { Container } from 'inversify';
import { Ids, ORDER_STATUSES, MAX_HOLD_MINUTES, MAX_NOTE_LENGTH, type Order, type OrderDetail, type VariantId } from '@palette/domain';
import { exportOrdersCsv } from '@palette/adapters/catalog';
import { IDEMPOTENCY_DESCRIPTION, idempotent } from '../http/idempotency.js';
import { decodeCursor, pageFrom, pageOf, pageQuery } from '../http/pagination.js';
import { HttpProblem } from '../http/problem.js';
import { defineRoute } from '../http/route.js';
import { TOKENS } from '../tokens.js';
import { commerce, commerceProblem, CURRENCY, MINOR_UNITS, money, MoneyDto, QUANTITY, sendCsv, SKU } from './commerce-services.js';

const Status = z.enum(ORDER_STATUSES);
const Actor = z.object({ kind: z.string(), id: z.string().optional() });

const AddressDto = z.object({
  name: z.string().trim().min(1).max(200), line1: z.string().trim().min(1).max(200), line2: z.string().trim().max(200).optional(),
  city: z.string().trim().min(1).max(100), postalCode: z.string().trim().min(1).max(20), region: z.string().trim().max(100).optional(), country: z.string().regex(/^[A-Z]{2}$/, 'must be an ISO 3166-1 alpha-2 code'),
}).strict().meta({ id: 'ShippingAddress', description: 'Only what delivery needs (data minimisation).' });

const OrderDto = z.object({
  id: z.uuid(), reference: z.string(), status: Status, source: z.enum(['chat', 'dashboard', 'api']),
  contactId: z.uuid().nullable(), conversationId: z.uuid().nullable(), customerName: z.string().nullable(), shippingAddress: AddressDto.nullable(),
  currency: z.string(),
  lines: z.array(z.object({ variantId: z.uuid(), sku: z.string(), name: z.string(), quantity: z.number().int(), unitPrice: MoneyDto, lineTotal: MoneyDto })),
  subtotal: MoneyDto, shipping: MoneyDto, discount: MoneyDto, total: MoneyDto,
  history: z.array(z.object({ from: Status.nullable(), to: Status, actor: Actor, at: z.iso.datetime(), note: z.string().nullable() })),
  allowedTransitions: z.array(Status), notes: z.string().nullable(), holdExpiresAt: z.iso.datetime().nullable(),
  notification: z.object({ status: Status, outcome: z.enum(['queued', 'held', 'refused', 'not_sent']), reason: z.string().nullable(), messageId: z.string().nullable(), at: z.string(), display: z.string().nullable() }).nullable()
    .describe('The last customer notification; `display` reads like "notification held: window closed".'),
  createdAt: z.iso.datetime(), updatedAt: z.iso.datetime(),
}).meta({ id: 'Order' });

const toOrderDto = (o: Order, notificationStatus: string | null = null): z.input<typeof OrderDto> => ({
  id: o.id, reference: o.id.slice(-6).toUpperCase(), status: o.status, source: o.source, contactId: o.contactId, conversationId: o.conversationId,
  customerName: o.customerName, shippingAddress: o.shippingAddress ? { ...o.shippingAddress } : null, currency: o.currency,
  lines: o.lines.map((l) => ({ variantId: l.variantId, sku: l.sku, name: l.name, quantity: l.quantity, unitPrice: money(l.unitPrice), lineTotal: money(l.lineTotal) })),
  subtotal: money(o.subtotal), shipping: money(o.shipping), discount: money(o.discount), total: money(o.total),
  history: o.history.map((h) => ({ from: h.from, to: h.to, actor: h.actor.id === undefined ? { kind: h.actor.kind } : { kind: h.actor.kind, id: h.actor.id }, at: h.at.toISOString(), note: h.note })),
  allowedTransitions: [...o.allowedTransitions()], notes: o.notes, holdExpiresAt: o.holdExpiresAt?.toISOString() ?? null,
  notification: o.notification ? { ...o.notification, display: notificationStatus } : null,
  createdAt: o.createdAt.toISOString(), updatedAt: o.updatedAt.toISOString(),
});
const detailDto = (d: OrderDetail) => toOrderDto(d.order, d.notificationStatus);

const wsParams = z.object({ workspaceId: z.uuid() });
const orderParams = z.object({ workspaceId: z.uuid(), orderId: z.uuid() });

const OrderFilter = {
  status: Status.optional(),
  from: z.iso.datetime({ offset: true }).optional().describe('Created at or after.'),
  to: z.iso.datetime({ offset: true }).optional().describe('Created before.'),
  contactId: z.uuid().optional(),
};
const filterOf = (q: { status?: Order['status']; from?: string; to?: string; contactId?: string }) => ({
  ...(q.status ? { status: q.status } : {}), ...(q.from ? { from: new Date(q.from) } : {}), ...(q.to ? { to: new Date(q.to) } : {}),
  ...(q.contactId ? { contactId: Ids.contact(q.contactId) } : {}),
});

const CreateOrderBody = z.object({
  lines: z.array(z.object({ variantId: z.uuid().optional(), sku: SKU.optional(), quantity: QUANTITY }).strict()
    .refine((l) => (l.variantId === undefined) !== (l.sku === undefined), { message: 'give exactly one of variantId and sku', path: ['variantId'] })).min(1).max(100),
  currency: CURRENCY.optional().describe('When given, the catalog prices must be in it (422 `money.currency_mismatch`).'),
  customerName: z.string().trim().min(1).max(200).optional(), shippingAddress: AddressDto.optional(),
  shippingMinor: MINOR_UNITS.optional(), discountMinor: MINOR_UNITS.optional(), notes: z.string().trim().max(MAX_NOTE_LENGTH).optional(),
  contactId: z.uuid().optional(), conversationId: z.uuid().optional(),
  holdMinutes: z.number().int().min(1).max(MAX_HOLD_MINUTES).optional().describe('Hold the stock now for this long (a draft otherwise reserves at confirmation).'),
}).strict();

const CREATE_ROUTE = 'POST /api/workspaces/:workspaceId/orders';

export const ordersRoutes = (c: Container) => [
  defineRoute(
    {
      method: 'get', path: '/api/workspaces/:workspaceId/orders', tags: ['orders'], auth: 'session', permission: 'orders.read', params: wsParams,
      summary: 'Orders, newest first, filtered by status, date and contact',
      query: z.object({ ...pageQuery, ...OrderFilter }),
      responses: { 200: { description: 'One page of orders', body: pageOf(OrderDto, 'OrderPage') } },
    },
    async ({ principal, query }) => {
      const after = decodeCursor(query.cursor);
      if (after !== undefined && typeof after.sortKey !== 'number') throw HttpProblem.validation([{ path: 'query.cursor', message: 'is not a cursor this API issued', code: 'invalid_cursor' }]);
      const rows = await commerce(c).orderQueries.list(principal.workspaceId, { ...filterOf(query), limit: query.limit + 1, after });
      const page = pageFrom(rows, query.limit, (o) => ({ sortKey: o.createdAt.getTime(), id: o.id }));
      return { status: 200, body: { items: page.items.map((o) => toOrderDto(o)), nextCursor: page.nextCursor } };
    },
  ),
  defineRoute(
    {
      method: 'post', path: '/api/workspaces/:workspaceId/orders', tags: ['orders'], auth: 'session', permission: 'orders.write', params: wsParams,
      summary: 'Create a draft order',
      description: `Lines name a variant by id or SKU; prices are taken from the catalog at this moment (422 \`order.unknown_sku\`, \`order.variant_unavailable\` for archived products, \`money.currency_mismatch\`). With \`holdMinutes\` the stock is held now (409 \`inventory.insufficient_stock\` when it is not there). ${IDEMPOTENCY_DESCRIPTION}`,
      body: CreateOrderBody,
      responses: { 201: { description: 'The draft', body: OrderDto } },
      problems: ['conflict', 'unprocessable'],
    },
    async ({ principal, body, req }) => {
      const x = commerce(c);
      return idempotent({ store: x.services.idempotency, clock: x.clock, digest: x.services.digest }, { req, workspaceId: principal.workspaceId, route: CREATE_ROUTE, request: body }, async (remember) => {
        const lines: Array<{ variantId: VariantId; quantity: number }> = [];
        for (const l of body.lines) {
          if (l.variantId !== undefined) { lines.push({ variantId: Ids.variant(l.variantId), quantity: l.quantity }); continue; }
          const v = await x.repos.variants.findBySku(principal.workspaceId, l.sku!);
          if (!v) throw new HttpProblem('unprocessable', { detail: `No variant has SKU ${l.sku}.`, code: 'order.unknown_sku', extensions: { sku: l.sku } });
          lines.push({ variantId: v.id, quantity: l.quantity });
        }
        const made = await x.draft.execute({
          workspaceId: principal.workspaceId, source: 'api', lines, currency: body.currency, customerName: body.customerName, shippingAddress: body.shippingAddress,
          shippingMinor: body.shippingMinor, discountMinor: body.discountMinor, notes: body.notes,
          contactId: body.contactId === undefined ? null : Ids.contact(body.contactId), conversationId: body.conversationId === undefined ? null : Ids.conversation(body.conversationId),
          holdStock: body.holdMinutes !== undefined, holdMinutes: body.holdMinutes, actor: { kind: 'user', id: principal.userId },
          inTransaction: (order) => remember({ status: 201, body: toOrderDto(order) }),
        });
        if (!made.ok) throw commerceProblem(made.error, 'body');
        return { status: 201 as const, body: toOrderDto(made.value) };
      });
    },
  ),
  defineRoute(
    {
      method: 'get', path: '/api/workspaces/:workspaceId/orders/:orderId', tags: ['orders'], auth: 'session', permission: 'orders.read', params: orderParams,
      summary: 'One order: lines, totals, history, allowed next statuses and notification state',
      responses: { 200: { description: 'The order', body: OrderDto } },
    },
    async ({ principal, params }) => {
      const found = await commerce(c).orderQueries.get(principal.workspaceId, Ids.order(params.orderId));
      if (!found.ok) throw HttpProblem.notFound();
      return { status: 200, body: detailDto(found.value) };
    },
  ),
  defineRoute(
    {
      method: 'post', path: '/api/workspaces/:workspaceId/orders/:orderId/transitions', tags: ['orders'], auth: 'session', permission: 'orders.write', params: orderParams,
      summary: 'Move an order to another status',
      description: 'draft → confirmed reserves stock (all lines or none), cancelling releases it, shipping consumes it. An illegal move is 409 `order.illegal_transition` with `allowed` naming the legal ones. The customer is told by DM through the send gate unless `notifyCustomer: false`; outside the messaging window the notification is held and the order says so.',
      body: z.object({ to: Status, note: z.string().trim().min(1).max(500).optional(), notifyCustomer: z.boolean().default(true) }).strict(),
      responses: { 200: { description: 'The order in its new status', body: OrderDto } },
      problems: ['conflict', 'unprocessable'],
    },
    async ({ principal, params, body }) => {
      const x = commerce(c);
      const moved = await x.transition.execute({ workspaceId: principal.workspaceId, orderId: Ids.order(params.orderId), to: body.to, actor: { kind: 'user', id: principal.userId }, note: body.note ?? null, notifyCustomer: body.notifyCustomer });
      if (!moved.ok) throw commerceProblem(moved.error);
      const found = await commerce(c).orderQueries.get(principal.workspaceId, moved.value.id);
      return { status: 200, body: found.ok ? detailDto(found.value) : toOrderDto(moved.value) };
    },
  ),
  defineRoute(
    {
      method: 'post', path: '/api/workspaces/:workspaceId/orders/:orderId/notes', tags: ['orders'], auth: 'session', permission: 'orders.write', params: orderParams,
      summary: 'Add an internal note to an order', description: 'Staff only; never sent to the customer. Appended on a new line.',
      body: z.object({ note: z.string().trim().min(1).max(MAX_NOTE_LENGTH) }).strict(),
      responses: { 200: { description: 'The order', body: OrderDto } },
      problems: ['conflict', 'unprocessable'],
    },
    async ({ principal, params, body }) => {
      const added = await commerce(c).notes.execute({ workspaceId: principal.workspaceId, orderId: Ids.order(params.orderId), note: body.note });
      if (!added.ok) throw commerceProblem(added.error);
      return { status: 200, body: toOrderDto(added.value) };
    },
  ),
  defineRoute(
    {
      method: 'get', path: '/api/workspaces/:workspaceId/orders.csv', tags: ['orders'], auth: 'session', permission: 'orders.read', params: wsParams,
      summary: 'Orders as CSV, with the list filters', query: z.object(OrderFilter),
      description: 'Columns: order_id, reference, created_at, status, source, customer_name, country, currency, subtotal, shipping, discount, total, items, lines, notification. Streamed, newest first.',
      responses: { 200: { description: 'CSV, one order per line', contentType: 'text/csv' } },
    },
    async ({ principal, query, res }) => {
      await sendCsv(res, 'orders.csv', exportOrdersCsv(principal.workspaceId, () => c.get(TOKENS.Repositories).orders, filterOf(query)));
    },
  ),
];
