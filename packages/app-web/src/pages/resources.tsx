import { useEffect, useState, type ReactNode } from 'react';
import { ORDER_STATUSES, ORDER_TRANSITIONS, type OrderStatus, type Permission } from '@palette/domain';
import { api, idempotencyKey } from '../api.js';
import type { ApiCatalog, JsonSchema } from '../openapi.js';
import { Link } from '../router.js';
import { Alert, columnsOf, DataTable, Field, formatValue, Loading, NotAvailable, SchemaForm, useLoad } from '../ui.js';
import type { WorkspaceContext } from './shell.js';

const WS = '/api/workspaces/:workspaceId';

const fill = (template: string, params: Record<string, string>) => template.replace(/:(\w+)/g, (_, k: string) => encodeURIComponent(params[k] ?? `:${k}`));

function itemSchemaOf(catalog: ApiCatalog, path: string): JsonSchema | undefined {
  const page = catalog.responseSchema('get', path);
  const items = page?.properties?.items?.items ?? (page?.type === 'array' ? page.items : undefined);
  return items ? catalog.resolve(items) : undefined;
}

/** The POST/PUT/PATCH routes one level below `path` (or at it), each an action with its documented body. */
function actionsAt(catalog: ApiCatalog, path: string, includeSelf: boolean) {
  const depth = path.split('/').length;
  return catalog
    .pathsUnder(path)
    .filter((p) => p.path === path ? includeSelf : p.path.split('/').length === depth + 1 && !p.path.split('/').at(-1)!.startsWith(':'))
    .flatMap((p) => p.methods.filter((m) => m === 'post' || m === 'put' || m === 'patch').map((method) => ({ path: p.path, method, op: catalog.operation(method, p.path)! })));
}

function allowed(ctx: WorkspaceContext, method: string, path: string): boolean {
  const permission = ctx.catalog.permission(method, path) as Permission | undefined;
  return permission === undefined || ctx.can(permission);
}

/**
 * A list page for one collection route (`/api/workspaces/:workspaceId/<name>`): its documented
 * items as a table, a link to each item's page when the API has one, and a form for each
 * collection-level action (create, import, adjust) the member's role may use.
 */
export function CollectionPage({ ctx, title, name, description, itemLabel, live, children, replaceActions = [], columns }: { ctx: WorkspaceContext; title: string; name: string; description?: string; itemLabel: string; live?: boolean; children?: (reload: () => void) => ReactNode; replaceActions?: readonly string[]; columns?: readonly string[] }) {
  const listPath = `${WS}/${name}`;
  const available = ctx.catalog.has('get', listPath);
  // Filters the list route documents: a status choice and a text search.
  const queryParams = ctx.catalog.operation('get', listPath)?.parameters?.filter((p) => p.in === 'query') ?? [];
  const statusParam = queryParams.find((p) => p.name === 'status');
  const statusOptions = statusParam?.schema ? (ctx.catalog.resolve(statusParam.schema).enum ?? []).map(String) : [];
  const searchable = queryParams.some((p) => p.name === 'q');
  const [status, setStatus] = useState('');
  const [q, setQ] = useState('');
  const [search, setSearch] = useState('');
  const query = new URLSearchParams({ limit: '50', ...(status ? { status } : {}), ...(search ? { q: search } : {}) });
  const list = useLoad(
    (signal) => (available ? api<{ items: Array<Record<string, unknown>>; nextCursor: string | null }>('get', `${fill(listPath, { workspaceId: ctx.workspaceId })}?${query}`, { signal }) : Promise.resolve(null)),
    [ctx.workspaceId, name, available, query.toString()],
  );
  useLiveReload(ctx, live === true, list.reload);
  const detailPath = ctx.catalog.pathsUnder(`${listPath}/`).find((p) => /\/:\w+$/.test(p.path) && p.path.split('/').length === listPath.split('/').length + 1 && p.methods.includes('get'))?.path;
  const actions = actionsAt(ctx.catalog, listPath, true).filter((a) => allowed(ctx, a.method, a.path) && !replaceActions.includes(`${a.method} ${a.path}`));
  const schema = available ? itemSchemaOf(ctx.catalog, listPath) : undefined;

  if (!available) {
    return (
      <>
        <h1>{title}</h1>
        <NotAvailable feature={title} route={`GET ${listPath}`} />
      </>
    );
  }
  const rows = list.data?.items ?? [];
  return (
    <>
      <h1>{title}</h1>
      {description ? <p className="lead">{description}</p> : null}
      {statusOptions.length > 0 || searchable ? (
        <form
          className="inline-form filters"
          role="search"
          aria-label={`Filter ${title.toLowerCase()}`}
          onSubmit={(e) => {
            e.preventDefault();
            setSearch(q.trim());
          }}
        >
          {searchable ? <Field label="Search" name="q" type="search" value={q} onChange={setQ} /> : null}
          {statusOptions.length > 0 ? <Field label="Status" name="status" value={status} onChange={setStatus} options={statusOptions} /> : null}
          {searchable ? <button type="submit">Search</button> : null}
        </form>
      ) : null}
      {list.error ? <Alert>{list.error}</Alert> : null}
      {list.loading && !list.data ? <Loading /> : null}
      {list.data && rows.length === 0 ? <p className="empty">{status || search ? `No ${itemLabel}s match.` : `No ${itemLabel}s yet.`}</p> : null}
      {rows.length > 0 ? (
        <DataTable
          caption={title}
          rows={rows}
          columns={columns ?? columnsOf(schema, ctx.catalog, rows[0])}
          {...(detailPath ? { rowLink: (row: Record<string, unknown>) => <Link to={`/w/${ctx.workspaceId}/${name}/${encodeURIComponent(String(row.id))}`}>{String(row.name ?? row.reference ?? row.username ?? row.sku ?? 'Open')}</Link> } : {})}
        />
      ) : null}
      {children?.(list.reload)}
      {actions.map((a) => (
        <ActionForm key={`${a.method} ${a.path}`} ctx={ctx} params={{}} action={a} onDone={list.reload} />
      ))}
    </>
  );
}

/** What an action answered (an import's dry-run report, a new level): shown under its form. */
function Outcome({ value }: { value: unknown }) {
  if (value === undefined || value === null || typeof value !== 'object') return <Alert kind="success">Done.</Alert>;
  const entries = Object.entries(value as Record<string, unknown>);
  const lists = entries.filter(([, v]) => Array.isArray(v) && v.length > 0 && typeof v[0] === 'object');
  return (
    <div className="outcome" role="status">
      <dl className="details">
        {entries.filter(([, v]) => !Array.isArray(v)).slice(0, 12).map(([k, v]) => (
          <div key={k}>
            <dt>{k}</dt>
            <dd>{formatValue(v)}</dd>
          </div>
        ))}
      </dl>
      {lists.map(([k, v]) => (
        <DataTable key={k} caption={k} rows={v as Array<Record<string, unknown>>} columns={Object.keys((v as Array<Record<string, unknown>>)[0]!).filter((c) => c !== 'id' && !/Id$/.test(c)).slice(0, 7)} />
      ))}
    </div>
  );
}

export function ActionForm({ ctx, params, action, onDone, narrow, defaults, showOutcome = true }: { ctx: WorkspaceContext; params: Record<string, string>; action: { path: string; method: string; op: { summary?: string; description?: string } }; onDone: () => void; narrow?: Record<string, readonly string[]>; defaults?: Record<string, unknown>; showOutcome?: boolean }) {
  const schema = ctx.catalog.requestSchema(action.method, action.path);
  const url = fill(action.path, { workspaceId: ctx.workspaceId, ...params });
  const [outcome, setOutcome] = useState<{ value: unknown } | null>(null);
  const title = action.op.summary ?? `${action.method.toUpperCase()} ${action.path}`;
  const send = async (body: Record<string, unknown> | undefined) => {
    // Erasure and disconnection cannot be undone: ask once more before sending.
    if (/eras|delet|disconnect|revoke/i.test(action.path) && !confirm(`${title}? This cannot be undone.`)) return;
    setOutcome(null);
    setOutcome({ value: await api(action.method, url, { ...(body ? { body } : {}), headers: { 'Idempotency-Key': idempotencyKey() } }) });
    onDone();
  };
  const narrowed: JsonSchema | undefined = schema && narrow
    ? { ...schema, properties: Object.fromEntries(Object.entries(schema.properties ?? {}).map(([k, s]) => [k, narrow[k] ? { ...ctx.catalog.resolve(s), enum: narrow[k] } : s])) }
    : schema;
  if (narrow && Object.values(narrow).some((v) => v.length === 0)) return null;
  return (
    <section className="action" aria-label={title}>
      <h2>{title}</h2>
      {action.op.description ? <p className="muted">{action.op.description}</p> : null}
      {narrowed && Object.keys(narrowed.properties ?? {}).length > 0 ? (
        <SchemaForm schema={narrowed} catalog={ctx.catalog} submitLabel={title} onSubmit={send} {...(defaults ? { defaults } : {})} />
      ) : (
        <SchemaForm schema={{ type: 'object', properties: {} }} catalog={ctx.catalog} submitLabel={title} onSubmit={() => send(schema ? {} : undefined)} />
      )}
      {outcome ? showOutcome ? <Outcome value={outcome.value} /> : <Alert kind="success">Done.</Alert> : null}
    </section>
  );
}

/** One item (an order, a product, a conversation): its fields, its nested lists, and its actions. */
export function ItemPage({ ctx, name, id, title }: { ctx: WorkspaceContext; name: string; id: string; title: string }) {
  const listPath = `${WS}/${name}`;
  const detailPath = ctx.catalog.pathsUnder(`${listPath}/`).find((p) => /\/:\w+$/.test(p.path) && p.path.split('/').length === listPath.split('/').length + 1 && p.methods.includes('get'))?.path;
  const param = detailPath?.split('/').at(-1)?.slice(1) ?? 'id';
  const item = useLoad((signal) => (detailPath ? api<Record<string, unknown>>('get', fill(detailPath, { workspaceId: ctx.workspaceId, [param]: id }), { signal }) : Promise.resolve(null)), [ctx.workspaceId, detailPath, id]);
  if (!detailPath) return <NotAvailable feature={title} route={`GET ${listPath}/:id`} />;
  const data = item.data;
  const status = typeof data?.status === 'string' ? data.status : undefined;
  // The transitions the order may take now: the server's own list when it sends one, else the domain's table.
  const next = Array.isArray(data?.allowedTransitions) ? (data.allowedTransitions as string[]) : status && (ORDER_STATUSES as readonly string[]).includes(status) ? ORDER_TRANSITIONS[status as OrderStatus] : undefined;
  const actions = [...actionsAt(ctx.catalog, detailPath, false), ...(['patch', 'put'].filter((m) => ctx.catalog.has(m, detailPath)).map((method) => ({ path: detailPath, method, op: ctx.catalog.operation(method, detailPath)! })))].filter((a) => allowed(ctx, a.method, a.path));
  return (
    <>
      <p>
        <Link to={`/w/${ctx.workspaceId}/${name === 'products' ? 'catalog' : name === 'conversations' ? 'inbox' : name}`}>← All {name}</Link>
      </p>
      <h1>
        {title} {String(data?.name ?? data?.reference ?? data?.username ?? '')}
        {status ? <span className={`badge status-${status}`}>{status}</span> : null}
      </h1>
      {item.error ? <Alert>{item.error}</Alert> : null}
      {item.loading && !data ? <Loading /> : null}
      {data ? (
        <>
          <dl className="details">
            {Object.entries(data)
              .filter(([k, v]) => !Array.isArray(v) && k !== 'id' && !/Id$/.test(k) && k !== 'version')
              .map(([k, v]) => (
                <div key={k}>
                  <dt>{k}</dt>
                  <dd>{formatValue(v)}</dd>
                </div>
              ))}
          </dl>
          {Object.entries(data)
            .filter(([, v]) => Array.isArray(v) && v.length > 0 && typeof v[0] === 'object')
            .map(([k, v]) => (
              <section key={k} aria-label={k}>
                <h2>{k}</h2>
                <DataTable caption={k} rows={v as Array<Record<string, unknown>>} columns={Object.keys((v as Array<Record<string, unknown>>)[0]!).filter((c) => c !== 'id' && !/Id$/.test(c)).slice(0, 8)} />
              </section>
            ))}
          {actions.map((a) => {
            const body = ctx.catalog.requestSchema(a.method, a.path);
            const statusField = Object.entries(body?.properties ?? {}).find(([, s]) => (ctx.catalog.resolve(s).enum ?? []).some((e) => (ORDER_STATUSES as readonly unknown[]).includes(e)))?.[0];
            // The answer is the item itself, which the page reloads and shows above.
            return <ActionForm key={`${a.method} ${a.path}`} ctx={ctx} params={{ [param]: id }} action={a} onDone={item.reload} showOutcome={false} {...(statusField && next ? { narrow: { [statusField]: next } } : {})} />;
          })}
        </>
      ) : null}
    </>
  );
}

/** Reloads when the workspace's event stream (if the API offers one) says something happened. */
function useLiveReload(ctx: WorkspaceContext, enabled: boolean, reload: () => void) {
  const stream = enabled ? ctx.catalog.eventStreams().find((p) => p.startsWith(`${WS}/`)) : undefined;
  useEffect(() => {
    if (!stream || typeof EventSource === 'undefined') return;
    const source = new EventSource(fill(stream, { workspaceId: ctx.workspaceId }));
    source.onmessage = () => reload();
    source.addEventListener('message.created', () => reload());
    source.addEventListener('conversation.updated', () => reload());
    return () => source.close();
  }, [stream, ctx.workspaceId, reload]);
}

function Readout({ ctx, path, summary }: { ctx: WorkspaceContext; path: string; summary: string }) {
  const data = useLoad((signal) => api<unknown>('get', fill(path, { workspaceId: ctx.workspaceId }), { signal }), [ctx.workspaceId, path]);
  const value = data.data as Record<string, unknown> | undefined;
  const rows = Array.isArray(value?.items) ? (value.items as Array<Record<string, unknown>>) : Array.isArray(value) ? (value as Array<Record<string, unknown>>) : undefined;
  return (
    <section aria-label={summary}>
      <h2>{summary}</h2>
      {data.error ? <Alert>{data.error}</Alert> : null}
      {data.loading && !data.data ? <Loading /> : null}
      {rows ? (
        rows.length === 0 ? <p className="empty">Nothing yet.</p> : <DataTable caption={summary} rows={rows} columns={columnsOf(itemSchemaOf(ctx.catalog, path), ctx.catalog, rows[0])} />
      ) : value && typeof value === 'object' ? (
        <dl className="details">
          {Object.entries(value).map(([k, v]) => (
            <div key={k}>
              <dt>{k}</dt>
              <dd>{formatValue(v)}</dd>
            </div>
          ))}
        </dl>
      ) : null}
    </section>
  );
}

/** Every readable route and every action under one prefix (the privacy centre's routes, for one). */
export function AreaPage({ ctx, title, prefix, lead }: { ctx: WorkspaceContext; title: string; prefix: string; lead?: string }) {
  const base = `${WS}/${prefix}`;
  const noParams = (p: string) => !p.split('/').slice(4).some((s) => s.startsWith(':'));
  const routes = ctx.catalog.pathsUnder(base).filter((p) => noParams(p.path));
  const reads = routes.filter((p) => p.methods.includes('get') && allowed(ctx, 'get', p.path));
  const actions = routes.flatMap((p) => p.methods.filter((m) => m === 'post' || m === 'put' || m === 'patch').map((method) => ({ path: p.path, method, op: ctx.catalog.operation(method, p.path)! }))).filter((a) => allowed(ctx, a.method, a.path));
  const [tick, setTick] = useStateTick();
  return (
    <>
      <h1>{title}</h1>
      {lead ? <p className="lead">{lead}</p> : null}
      {routes.length === 0 ? <NotAvailable feature={title} route={`${base}/…`} /> : null}
      {reads.map((r) => (
        <Readout key={`${r.path}-${tick}`} ctx={ctx} path={r.path} summary={ctx.catalog.operation('get', r.path)?.summary ?? r.path} />
      ))}
      {actions.map((a) => (
        <ActionForm key={`${a.method} ${a.path}`} ctx={ctx} params={{}} action={a} onDone={setTick} />
      ))}
    </>
  );
}

function useStateTick(): [number, () => void] {
  const [tick, setTick] = useState(0);
  return [tick, () => setTick((t) => t + 1)];
}
