import { useState, type FormEvent } from 'react';
import { api, idempotencyKey, ws, type Page } from '../api.js';
import { navigate } from '../router.js';
import { Alert, Field, useLoad, useSubmit } from '../ui.js';
import { CollectionPage } from './resources.js';
import type { WorkspaceContext } from './shell.js';

const ORDERS = '/api/workspaces/:workspaceId/orders';

interface Variant {
  id: string;
  sku: string;
  title: string;
  available: number;
  active: boolean;
  price: { formatted: string; currency: string };
}
interface Product {
  id: string;
  name: string;
  status: string;
  variants: Variant[];
}

/** An order taken by hand (phone, in person): lines picked from the live catalog, priced by the server. */
function OrderCreateForm({ ctx }: { ctx: WorkspaceContext }) {
  const products = useLoad((signal) => api<Page<Product>>('get', ws(ctx.workspaceId, '/products?limit=100&status=active'), { signal }), [ctx.workspaceId]);
  const variants = (products.data?.items ?? []).flatMap((p) => p.variants.filter((v) => v.active).map((v) => ({ ...v, label: `${p.name}${v.title && v.title !== p.name ? ` — ${v.title}` : ''} (${v.sku}, ${v.price.formatted} ${v.price.currency}, ${v.available} available)` })));
  const [lines, setLines] = useState<Array<{ sku: string; quantity: string }>>([{ sku: '', quantity: '1' }]);
  const [customerName, setCustomerName] = useState('');
  const [notes, setNotes] = useState('');
  const [key] = useState(idempotencyKey);
  const submit = useSubmit();
  if (products.data && variants.length === 0) {
    return (
      <section className="action" aria-labelledby="new-order">
        <h2 id="new-order">Create an order</h2>
        <p className="muted">Add a product to the catalog first: orders are priced from it.</p>
      </section>
    );
  }
  const setLine = (i: number, patch: Partial<{ sku: string; quantity: string }>) => setLines(lines.map((l, j) => (j === i ? { ...l, ...patch } : l)));
  const onSubmit = (e: FormEvent) => {
    e.preventDefault();
    void submit.run(async () => {
      const chosen = lines.map((l) => ({ sku: l.sku || variants[0]?.sku || '', quantity: Number(l.quantity) })).filter((l) => l.sku !== '');
      const order = await api<{ id: string }>('post', ws(ctx.workspaceId, '/orders'), {
        headers: { 'Idempotency-Key': key },
        body: { lines: chosen, ...(customerName.trim() ? { customerName: customerName.trim() } : {}), ...(notes.trim() ? { notes: notes.trim() } : {}) },
      });
      navigate(`/w/${ctx.workspaceId}/orders/${order.id}`);
    });
  };
  return (
    <section className="action" aria-labelledby="new-order">
      <h2 id="new-order">Create an order</h2>
      <form onSubmit={onSubmit} className="profile-form">
        {submit.error ? <Alert>{submit.error}</Alert> : null}
        {lines.map((line, i) => (
          <fieldset key={i}>
            <legend>Line {i + 1}</legend>
            <Field label={`Product for line ${i + 1}`} name={`lines.${i}.sku`} value={line.sku || variants[0]?.sku || ''} onChange={(sku) => setLine(i, { sku })} options={variants.map((v) => v.sku)} required hint={variants.find((v) => v.sku === (line.sku || variants[0]?.sku))?.label} />
            <Field label={`Quantity for line ${i + 1}`} name={`lines.${i}.quantity`} type="number" min={1} value={line.quantity} onChange={(quantity) => setLine(i, { quantity })} required />
            {lines.length > 1 ? (
              <button type="button" className="link-button" onClick={() => setLines(lines.filter((_, j) => j !== i))}>
                Remove line {i + 1}
              </button>
            ) : null}
          </fieldset>
        ))}
        <p>
          <button type="button" onClick={() => setLines([...lines, { sku: '', quantity: '1' }])}>
            Add a line
          </button>
        </p>
        <Field label="Customer name" name="customerName" value={customerName} onChange={setCustomerName} />
        <Field label="Notes" name="notes" value={notes} onChange={setNotes} multiline />
        <button type="submit" className="primary" disabled={submit.busy}>
          {submit.busy ? 'Creating…' : 'Create order'}
        </button>
      </form>
    </section>
  );
}

export function OrdersPage({ ctx }: { ctx: WorkspaceContext }) {
  const canCreate = ctx.catalog.has('post', ORDERS) && ctx.can('orders.write') && ctx.catalog.has('get', '/api/workspaces/:workspaceId/products');
  return (
    <CollectionPage
      ctx={ctx}
      title="Orders"
      name="orders"
      itemLabel="order"
      description="Orders from chats and those you create by hand. Open one to move it along."
      columns={['status', 'customerName', 'total', 'source', 'createdAt']}
      replaceActions={canCreate ? [`post ${ORDERS}`] : []}
    >
      {() => (canCreate ? <OrderCreateForm ctx={ctx} /> : null)}
    </CollectionPage>
  );
}
