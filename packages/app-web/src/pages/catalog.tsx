import { useState, type FormEvent } from 'react';
import { api, idempotencyKey, ws, type Page } from '../api.js';
import { Alert, DataTable, Field, SchemaForm, useLoad, useSubmit } from '../ui.js';
import { CollectionPage } from './resources.js';
import type { WorkspaceContext } from './shell.js';

const PRODUCTS = '/api/workspaces/:workspaceId/products';
const ADJUST = '/api/workspaces/:workspaceId/variants/:variantId/adjustments';

/** Decimal places of a currency (2 for EUR, 0 for JPY): prices travel in minor units. */
export function minorDigits(currency: string): number {
  try {
    return new Intl.NumberFormat('en', { style: 'currency', currency }).resolvedOptions().maximumFractionDigits ?? 2;
  } catch {
    return 2;
  }
}

/** "19.99" → 1999 without floating-point drift; null when it is not a price. */
export function toMinor(text: string, digits: number): number | null {
  const m = /^\s*(\d+)(?:[.,](\d*))?\s*$/.exec(text);
  if (!m) return null;
  const frac = (m[2] ?? '').padEnd(digits, '0');
  if (frac.length > digits) return null;
  return Number(m[1]) * 10 ** digits + (digits === 0 ? 0 : Number(frac));
}

function ProductCreateForm({ ctx, onCreated }: { ctx: WorkspaceContext; onCreated: () => void }) {
  const workspace = useLoad((signal) => api<{ currency: string }>('get', ws(ctx.workspaceId), { signal }), [ctx.workspaceId]);
  const currency = workspace.data?.currency ?? 'EUR';
  const digits = minorDigits(currency);
  const empty = { sku: '', name: '', description: '', price: '', initialStock: '', lowStockThreshold: '' };
  const [form, setForm] = useState(empty);
  const [created, setCreated] = useState<string | null>(null);
  const [key, setKey] = useState(idempotencyKey);
  const submit = useSubmit();
  const set = (k: keyof typeof empty) => (v: string) => setForm({ ...form, [k]: v });
  const onSubmit = (e: FormEvent) => {
    e.preventDefault();
    void submit.run(async () => {
      const priceMinor = toMinor(form.price, digits);
      if (priceMinor === null) throw new Error(`The price must be a number with at most ${digits} decimals, like ${digits ? '19.90' : '1990'}.`);
      await api('post', ws(ctx.workspaceId, '/products'), {
        headers: { 'Idempotency-Key': key },
        body: {
          sku: form.sku, name: form.name, priceMinor, currency,
          ...(form.description ? { description: form.description } : {}),
          ...(form.initialStock ? { initialStock: Number(form.initialStock) } : {}),
          ...(form.lowStockThreshold ? { lowStockThreshold: Number(form.lowStockThreshold) } : {}),
        },
      });
      setCreated(form.name);
      setForm(empty);
      setKey(idempotencyKey());
      onCreated();
    });
  };
  return (
    <section className="action" aria-labelledby="new-product">
      <h2 id="new-product">Add a product</h2>
      <form onSubmit={onSubmit} className="profile-form">
        {submit.error ? <Alert>{submit.error}</Alert> : null}
        {created ? <Alert kind="success">{created} is in the catalog. Add variants (sizes, colours) from its page.</Alert> : null}
        <Field label="Name" name="name" value={form.name} onChange={set('name')} required error={submit.fieldErrors.name} />
        <Field label="SKU" name="sku" value={form.sku} onChange={set('sku')} required hint="Your stock-keeping code, unique in the shop." error={submit.fieldErrors.sku} />
        <Field label={`Price (${currency})`} name="price" value={form.price} onChange={set('price')} required type="text" hint={digits ? 'For example 19.90' : undefined} error={submit.fieldErrors.priceMinor} />
        <Field label="Description" name="description" value={form.description} onChange={set('description')} multiline hint="The assistant quotes from it." error={submit.fieldErrors.description} />
        <Field label="Stock on hand" name="initialStock" value={form.initialStock} onChange={set('initialStock')} type="number" min={0} error={submit.fieldErrors.initialStock} />
        <Field label="Low-stock alert at" name="lowStockThreshold" value={form.lowStockThreshold} onChange={set('lowStockThreshold')} type="number" min={0} error={submit.fieldErrors.lowStockThreshold} />
        <button type="submit" className="primary" disabled={submit.busy}>
          {submit.busy ? 'Adding…' : 'Add product'}
        </button>
      </form>
    </section>
  );
}

interface ImportReport {
  kind: 'catalog' | 'stock';
  dryRun: boolean;
  rows: number;
  applied: boolean;
  issues: Array<{ line: number; column: string; reason: string }>;
  issueCount: number;
  truncated: boolean;
}

/**
 * A CSV file sent as it is to the streaming import route (any size up to its limit, unlike a JSON
 * body): "Check file" is the dry run, "Import" applies it only if every row is clean.
 */
function CsvImport({ ctx, kind, onImported }: { ctx: WorkspaceContext; kind: 'catalog' | 'stock'; onImported: () => void }) {
  const [file, setFile] = useState<File | null>(null);
  const [report, setReport] = useState<ImportReport | null>(null);
  const submit = useSubmit();
  const path = kind === 'catalog' ? '/catalog/import.csv' : '/inventory/import.csv';
  const id = `import-${kind}`;
  const send = (dryRun: boolean) => void submit.run(async () => {
    if (!file) throw new Error('Choose a CSV file first.');
    setReport(null);
    const r = await api<ImportReport>('post', ws(ctx.workspaceId, `${path}${dryRun ? '?dryRun=true' : ''}`), { raw: { contentType: 'text/csv', data: file } });
    setReport(r);
    if (r.applied) onImported();
  });
  return (
    <section className="action" aria-labelledby={id}>
      <h2 id={id}>{kind === 'catalog' ? 'Import products from CSV' : 'Import stock counts from CSV'}</h2>
      <p className="muted">
        {kind === 'catalog'
          ? 'Same columns as the catalog export. Every row is checked first; nothing is imported while one is wrong.'
          : 'Columns sku and on_hand: a stock take. Every row is checked first; nothing changes while one is wrong.'}
      </p>
      {submit.error ? <Alert>{submit.error}</Alert> : null}
      <div className="field">
        <label htmlFor={`${id}-file`}>CSV file</label>
        <input id={`${id}-file`} type="file" accept=".csv,text/csv" onChange={(e) => { setFile(e.target.files?.[0] ?? null); setReport(null); }} />
      </div>
      <div className="actions">
        <button type="button" disabled={submit.busy || !file} onClick={() => send(true)}>Check file</button>
        <button type="button" className="primary" disabled={submit.busy || !file} onClick={() => send(false)}>Import</button>
      </div>
      {report ? (
        report.issueCount > 0 ? (
          <>
            <Alert>{`${report.issueCount} problem${report.issueCount === 1 ? '' : 's'} in ${report.rows} row${report.rows === 1 ? '' : 's'}: nothing was imported.${report.truncated ? ' The first ones are listed.' : ''}`}</Alert>
            <DataTable caption="Problems in the file" rows={report.issues} columns={['line', 'column', 'reason']} />
          </>
        ) : (
          <Alert kind="success">{report.applied ? `Imported ${report.rows} row${report.rows === 1 ? '' : 's'}.` : `All ${report.rows} row${report.rows === 1 ? '' : 's'} are valid. Nothing was imported yet.`}</Alert>
        )
      ) : null}
    </section>
  );
}

export function CatalogPage({ ctx }: { ctx: WorkspaceContext }) {
  const canCreate = ctx.catalog.has('post', PRODUCTS) && ctx.can('catalog.write');
  const canImport = ctx.catalog.has('post', '/api/workspaces/:workspaceId/catalog/import.csv') && ctx.can('catalog.write');
  return (
    <CollectionPage ctx={ctx} title="Catalog" name="products" itemLabel="product" description="What the assistant may sell: it quotes only these prices and this stock." replaceActions={canCreate ? [`post ${PRODUCTS}`] : []}>
      {(reload) => (
        <>
          {canCreate ? <ProductCreateForm ctx={ctx} onCreated={reload} /> : null}
          {canImport ? <CsvImport ctx={ctx} kind="catalog" onImported={reload} /> : null}
        </>
      )}
    </CollectionPage>
  );
}

interface Level {
  variantId: string;
  sku: string;
  productName: string;
  variantTitle: string;
}

function AdjustStock({ ctx, onDone }: { ctx: WorkspaceContext; onDone: () => void }) {
  const levels = useLoad((signal) => api<Page<Level>>('get', ws(ctx.workspaceId, '/inventory?limit=100'), { signal }), [ctx.workspaceId]);
  const [variantId, setVariantId] = useState('');
  const [result, setResult] = useState<{ onHand: number; reserved: number; available: number } | null>(null);
  const schema = ctx.catalog.requestSchema('post', ADJUST);
  const options = levels.data?.items ?? [];
  if (!schema || options.length === 0) return null;
  const chosen = variantId || options[0]!.variantId;
  const label = (l: Level) => `${l.sku} — ${l.productName}${l.variantTitle ? ` (${l.variantTitle})` : ''}`;
  return (
    <section className="action" aria-labelledby="adjust-stock">
      <h2 id="adjust-stock">Adjust stock</h2>
      <p className="muted">{ctx.catalog.operation('post', ADJUST)?.description}</p>
      <div className="field">
        <label htmlFor="adjust-variant">Variant</label>
        <select id="adjust-variant" value={chosen} onChange={(e) => setVariantId(e.target.value)}>
          {options.map((l) => (
            <option key={l.variantId} value={l.variantId}>
              {label(l)}
            </option>
          ))}
        </select>
      </div>
      <SchemaForm
        schema={schema}
        catalog={ctx.catalog}
        submitLabel="Record adjustment"
        onSubmit={async (body) => {
          setResult(await api('post', ws(ctx.workspaceId, `/variants/${encodeURIComponent(chosen)}/adjustments`), { body, headers: { 'Idempotency-Key': idempotencyKey() } }));
          onDone();
        }}
      />
      {result ? <Alert kind="success">Now {result.onHand} on hand, {result.reserved} reserved, {result.available} available.</Alert> : null}
    </section>
  );
}

function LowStock({ ctx }: { ctx: WorkspaceContext }) {
  const events = useLoad((signal) => api<{ items: Array<Record<string, unknown>> }>('get', ws(ctx.workspaceId, '/inventory/low-stock?limit=20'), { signal }), [ctx.workspaceId]);
  return (
    <section aria-labelledby="low-stock">
      <h2 id="low-stock">Low stock</h2>
      {events.error ? <Alert>{events.error}</Alert> : null}
      {events.data?.items.length === 0 ? <p className="empty">Nothing is running low.</p> : null}
      {events.data?.items.length ? <DataTable caption="Low stock" rows={events.data.items} columns={['sku', 'available', 'threshold', 'at']} /> : null}
    </section>
  );
}

export function InventoryPage({ ctx }: { ctx: WorkspaceContext }) {
  return (
    // The file upload below replaces the generic form of the JSON import route (a pasted CSV).
    <CollectionPage ctx={ctx} title="Inventory" name="inventory" itemLabel="stock level" description="Stock per variant: on hand, reserved by orders and chat holds, and available." replaceActions={['post /api/workspaces/:workspaceId/inventory/import', 'post /api/workspaces/:workspaceId/inventory/import.csv']}>
      {(reload) => (
        <>
          {ctx.catalog.has('get', '/api/workspaces/:workspaceId/inventory/low-stock') ? <LowStock ctx={ctx} /> : null}
          {ctx.can('inventory.write') ? <AdjustStock ctx={ctx} onDone={reload} /> : null}
          {ctx.can('inventory.write') && ctx.catalog.has('post', '/api/workspaces/:workspaceId/inventory/import.csv') ? <CsvImport ctx={ctx} kind="stock" onImported={reload} /> : null}
        </>
      )}
    </CollectionPage>
  );
}
