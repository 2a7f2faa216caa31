import { describeNotification, type Order, type OrderListFilter, type OrderRepository, type WorkspaceId } from '@palette/domain';
import { csvLine } from './csv.js';

export const ORDER_CSV_COLUMNS = [
  'order_id', 'reference', 'created_at', 'status', 'source', 'customer_name', 'country', 'currency', 'subtotal', 'shipping', 'discount', 'total', 'items', 'lines', 'notification',
] as const;

/** One order per line; money as exact decimals in the order's currency, lines as `SKU x qty @ price`, separated by `; `. */
export function orderCsvLine(o: Order): string {
  return csvLine([
    o.id, o.id.slice(-6).toUpperCase(), o.createdAt.toISOString(), o.status, o.source, o.customerName, o.shippingAddress?.country ?? null, o.currency,
    o.subtotal.toDecimalString(), o.shipping.toDecimalString(), o.discount.toDecimalString(), o.total.toDecimalString(),
    o.lines.reduce((n, l) => n + l.quantity, 0), o.lines.map((l) => `${l.sku} x ${l.quantity} @ ${l.unitPrice.toDecimalString()}`).join('; '),
    o.notification ? describeNotification(o.notification) : null,
  ]);
}

/** Orders matching the filter, newest first, as CSV lines; pages by keyset so any number streams. */
export async function* exportOrdersCsv(workspaceId: WorkspaceId, orders: () => OrderRepository, filter: Omit<OrderListFilter, 'limit' | 'after'>, pageSize = 500): AsyncGenerator<string> {
  yield csvLine([...ORDER_CSV_COLUMNS]);
  let after: OrderListFilter['after'];
  for (;;) {
    const page = await orders().list(workspaceId, { ...filter, limit: pageSize, after });
    if (page.length === 0) return;
    yield page.map(orderCsvLine).join('');
    const last = page[page.length - 1]!;
    after = { sortKey: last.createdAt.getTime(), id: last.id };
    if (page.length < pageSize) return;
  }
}
