import { useCallback, useEffect, useId, useRef, useState, type ReactNode } from 'react';
import { ApiError, describeError } from './api.js';
import type { ApiCatalog, JsonSchema } from './openapi.js';

export function Field(props: {
  label: string;
  name: string;
  type?: string;
  value: string;
  onChange: (value: string) => void;
  error?: string | undefined;
  hint?: string;
  required?: boolean;
  autoComplete?: string;
  multiline?: boolean;
  options?: readonly string[];
  min?: number;
  step?: string;
}) {
  const id = useId();
  const describedBy = [props.hint ? `${id}-hint` : '', props.error ? `${id}-error` : ''].filter(Boolean).join(' ') || undefined;
  const common = {
    id,
    name: props.name,
    value: props.value,
    required: props.required,
    'aria-invalid': props.error ? true : undefined,
    'aria-describedby': describedBy,
  } as const;
  return (
    <div className="field">
      <label htmlFor={id}>
        {props.label}
        {props.required ? <span aria-hidden="true"> *</span> : null}
      </label>
      {props.options ? (
        <select {...common} onChange={(e) => props.onChange(e.target.value)}>
          {props.required ? null : <option value="">—</option>}
          {props.options.map((o) => (
            <option key={o} value={o}>
              {o}
            </option>
          ))}
        </select>
      ) : props.multiline ? (
        <textarea {...common} rows={4} onChange={(e) => props.onChange(e.target.value)} />
      ) : (
        <input {...common} type={props.type ?? 'text'} autoComplete={props.autoComplete} min={props.min} step={props.step} onChange={(e) => props.onChange(e.target.value)} />
      )}
      {props.hint ? <p className="hint" id={`${id}-hint`}>{props.hint}</p> : null}
      {props.error ? <p className="error" id={`${id}-error`}>{props.error}</p> : null}
    </div>
  );
}

export function Alert({ kind = 'error', children }: { kind?: 'error' | 'success' | 'info'; children: ReactNode }) {
  return (
    <div className={`alert alert-${kind}`} role={kind === 'error' ? 'alert' : 'status'}>
      {children}
    </div>
  );
}

export function NotAvailable({ feature, route }: { feature: string; route: string }) {
  return (
    <section className="not-available" aria-labelledby="na-title">
      <h2 id="na-title">{feature} is not available on this server yet</h2>
      <p>
        This page needs <code>{route}</code>, which this Palette server does not offer yet (it is not in its{' '}
        <a href="/api/docs">API reference</a>). It will appear here once the server is updated; nothing is shown rather than made up.
      </p>
    </section>
  );
}

export function Loading({ label = 'Loading…' }: { label?: string }) {
  return (
    <p className="loading" role="status" aria-live="polite">
      {label}
    </p>
  );
}

/** Loads once per `deps` change; `reload` refetches. Errors become text for an Alert. */
export function useLoad<T>(load: (signal: AbortSignal) => Promise<T>, deps: readonly unknown[]): { data: T | undefined; error: string | null; loading: boolean; reload: () => void } {
  const [state, setState] = useState<{ data: T | undefined; error: string | null; loading: boolean }>({ data: undefined, error: null, loading: true });
  const [tick, setTick] = useState(0);
  const loadRef = useRef(load);
  loadRef.current = load;
  useEffect(() => {
    const controller = new AbortController();
    setState((s) => ({ ...s, loading: true }));
    loadRef.current(controller.signal).then(
      (data) => !controller.signal.aborted && setState({ data, error: null, loading: false }),
      (error: unknown) => !controller.signal.aborted && setState({ data: undefined, error: describeError(error), loading: false }),
    );
    return () => controller.abort();
  }, [...deps, tick]);
  const reload = useCallback(() => setTick((t) => t + 1), []);
  return { ...state, reload };
}

/** A form's submit state: busy flag, a top-level message and per-field errors from a 400 problem. */
export function useSubmit() {
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const [fieldErrors, setFieldErrors] = useState<Record<string, string>>({});
  const run = useCallback(async (action: () => Promise<void>) => {
    setBusy(true);
    setError(null);
    setFieldErrors({});
    try {
      await action();
    } catch (e) {
      if (e instanceof ApiError && e.errors.length > 0) setFieldErrors(e.fieldErrors());
      setError(describeError(e));
    } finally {
      setBusy(false);
    }
  }, []);
  return { busy, error, fieldErrors, run, setError };
}

export function formatValue(value: unknown): string {
  if (value === null || value === undefined) return '—';
  if (typeof value === 'string') {
    if (/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}/.test(value)) return new Date(value).toLocaleString();
    return value;
  }
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  if (typeof value === 'object' && value !== null && 'formatted' in value && 'currency' in value) {
    const m = value as { formatted: unknown; currency: unknown };
    return `${String(m.formatted)} ${String(m.currency)}`;
  }
  if (typeof value === 'object' && value !== null && 'amount' in value && 'currency' in value) {
    const m = value as { amount: unknown; currency: unknown };
    return formatMoney(m.amount, String(m.currency));
  }
  if (Array.isArray(value)) return value.length === 0 ? '—' : value.every((v) => typeof v === 'string') ? value.join(', ') : `${value.length} item${value.length === 1 ? '' : 's'}`;
  // Objects the API means to be read as one phrase (a notification's `display`, an actor's `kind`).
  if (typeof value === 'object' && value !== null && typeof (value as { display?: unknown }).display === 'string') return (value as { display: string }).display;
  if (typeof value === 'object' && value !== null && typeof (value as { kind?: unknown }).kind === 'string') return (value as { kind: string }).kind;
  return JSON.stringify(value);
}

/** Money as the API writes it: minor units (integer) or a decimal string, with an ISO currency. */
export function formatMoney(amount: unknown, currency: string): string {
  const n = typeof amount === 'number' ? amount : Number(amount);
  if (!Number.isFinite(n)) return `${String(amount)} ${currency}`;
  try {
    const digits = new Intl.NumberFormat('en', { style: 'currency', currency }).resolvedOptions().maximumFractionDigits ?? 2;
    const value = Number.isInteger(n) && typeof amount === 'number' ? n / 10 ** digits : n;
    return new Intl.NumberFormat(undefined, { style: 'currency', currency }).format(value);
  } catch {
    return `${n} ${currency}`;
  }
}

const humanize = (key: string) => key.replace(/([a-z])([A-Z])/g, '$1 $2').replace(/[_.]/g, ' ').replace(/^./, (c) => c.toUpperCase());

/** Columns a list shows: the item schema's scalar (and money) properties, ids last and hidden after the first. */
export function columnsOf(schema: JsonSchema | undefined, catalog: ApiCatalog, sample: Record<string, unknown> | undefined): string[] {
  const props = schema?.properties ? Object.entries(schema.properties).map(([k, s]) => [k, catalog.resolve(s)] as const) : Object.entries(sample ?? {}).map(([k]) => [k, {} as JsonSchema] as const);
  const isScalar = (s: JsonSchema) => {
    const t = Array.isArray(s.type) ? s.type.find((x) => x !== 'null') : s.type;
    return t === undefined || t === 'string' || t === 'number' || t === 'integer' || t === 'boolean' || (t === 'object' && (s.properties?.amount !== undefined || s.properties?.formatted !== undefined));
  };
  return props
    .filter(([k, s]) => isScalar(s) && !/^(workspaceId|version)$/.test(k) && !(k !== 'id' && /Id$/.test(k)))
    .map(([k]) => k)
    .filter((k) => k !== 'id')
    .slice(0, 7);
}

export function DataTable({ caption, rows, columns, rowLink }: { caption: string; rows: ReadonlyArray<Record<string, unknown>>; columns: readonly string[]; rowLink?: (row: Record<string, unknown>) => ReactNode }) {
  return (
    <div className="table-wrap" tabIndex={0} role="region" aria-label={caption}>
      <table>
        <caption className="sr-only">{caption}</caption>
        <thead>
          <tr>
            {rowLink ? <th scope="col">Open</th> : null}
            {columns.map((c) => (
              <th key={c} scope="col">
                {humanize(c)}
              </th>
            ))}
          </tr>
        </thead>
        <tbody>
          {rows.map((row, i) => (
            <tr key={String(row.id ?? i)}>
              {rowLink ? <td>{rowLink(row)}</td> : null}
              {columns.map((c) => (
                <td key={c} data-label={humanize(c)}>
                  {formatValue(row[c])}
                </td>
              ))}
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}

type FormValue = string | boolean | FormValues;
interface FormValues {
  [key: string]: FormValue;
}

function initialValues(schema: JsonSchema, catalog: ApiCatalog, defaults: Record<string, unknown> = {}): FormValues {
  const out: FormValues = {};
  for (const [key, raw] of Object.entries(schema.properties ?? {})) {
    const s = catalog.resolve(raw);
    const d = defaults[key] ?? s.default;
    if (s.type === 'object' && s.properties) out[key] = initialValues(s, catalog, (d as Record<string, unknown>) ?? {});
    else if (s.type === 'boolean') out[key] = d === true;
    else if (s.type === 'array') out[key] = Array.isArray(d) ? (d.every((x) => typeof x !== 'object') ? d.join('\n') : JSON.stringify(d, null, 2)) : '';
    else out[key] = d === undefined || d === null ? '' : String(d);
  }
  return out;
}

function buildBody(schema: JsonSchema, values: FormValues, catalog: ApiCatalog): Record<string, unknown> {
  const body: Record<string, unknown> = {};
  const required = new Set(schema.required ?? []);
  for (const [key, raw] of Object.entries(schema.properties ?? {})) {
    const s = catalog.resolve(raw);
    const v = values[key];
    if (typeof v === 'object') {
      const nested = buildBody(s, v, catalog);
      if (Object.keys(nested).length > 0 || required.has(key)) body[key] = nested;
      continue;
    }
    if (typeof v === 'boolean') {
      if (v || required.has(key)) body[key] = v;
      continue;
    }
    if (v === undefined || (v.trim() === '' && !required.has(key))) continue;
    if (s.type === 'integer' || s.type === 'number') body[key] = Number(v);
    else if (s.type === 'array') {
      const itemType = s.items ? catalog.resolve(s.items).type : 'string';
      body[key] = itemType === 'object' ? safeParse(v) : v.split('\n').map((x) => x.trim()).filter(Boolean);
    } else body[key] = v;
  }
  return body;
}

const safeParse = (text: string): unknown => {
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
};

/**
 * A form for a request body, built from the route's documented JSON Schema: the dashboard keeps up
 * with API fields without a release of its own, and the server's validation stays the authority.
 */
export function SchemaForm({
  schema,
  catalog,
  submitLabel,
  onSubmit,
  defaults,
  omit = [],
}: {
  schema: JsonSchema;
  catalog: ApiCatalog;
  submitLabel: string;
  onSubmit: (body: Record<string, unknown>) => Promise<void>;
  defaults?: Record<string, unknown>;
  omit?: readonly string[];
}) {
  const [values, setValues] = useState<FormValues>(() => initialValues(schema, catalog, defaults));
  const submit = useSubmit();
  return (
    <form
      className="schema-form"
      onSubmit={(e) => {
        e.preventDefault();
        void submit.run(async () => {
          await onSubmit(buildBody({ ...schema, properties: Object.fromEntries(Object.entries(schema.properties ?? {}).filter(([k]) => !omit.includes(k))) }, values, catalog));
          setValues(initialValues(schema, catalog, defaults));
        });
      }}
    >
      {submit.error ? <Alert>{submit.error}</Alert> : null}
      <SchemaFields schema={schema} catalog={catalog} values={values} onChange={setValues} errors={submit.fieldErrors} prefix="" omit={omit} />
      <button type="submit" className="primary" disabled={submit.busy}>
        {submit.busy ? 'Saving…' : submitLabel}
      </button>
    </form>
  );
}

function SchemaFields({ schema, catalog, values, onChange, errors, prefix, omit }: { schema: JsonSchema; catalog: ApiCatalog; values: FormValues; onChange: (v: FormValues) => void; errors: Record<string, string>; prefix: string; omit: readonly string[] }) {
  const required = new Set(schema.required ?? []);
  return (
    <>
      {Object.entries(schema.properties ?? {})
        .filter(([key]) => !omit.includes(key))
        .map(([key, raw]) => {
          const s = catalog.resolve(raw);
          const path = prefix ? `${prefix}.${key}` : key;
          const v = values[key];
          const set = (next: FormValue) => onChange({ ...values, [key]: next });
          if (s.type === 'object' && s.properties && typeof v === 'object') {
            return (
              <fieldset key={key}>
                <legend>{humanize(key)}</legend>
                <SchemaFields schema={s} catalog={catalog} values={v} onChange={set} errors={errors} prefix={path} omit={[]} />
              </fieldset>
            );
          }
          if (s.type === 'boolean') {
            return (
              <div className="field checkbox" key={key}>
                <label>
                  <input type="checkbox" name={path} checked={v === true} onChange={(e) => set(e.target.checked)} /> {humanize(key)}
                </label>
              </div>
            );
          }
          const itemType = s.type === 'array' && s.items ? catalog.resolve(s.items).type : undefined;
          return (
            <Field
              key={key}
              name={path}
              label={/Minor$/.test(key) ? `${humanize(key.replace(/Minor$/, ''))} in minor units` : humanize(key)}
              value={typeof v === 'string' ? v : ''}
              onChange={set}
              required={required.has(key)}
              error={errors[path]}
              hint={s.type === 'array' ? (itemType === 'object' ? `${s.description ?? ''} (JSON list)`.trim() : 'One per line') : /Minor$/.test(key) ? (s.description ?? 'Cents for EUR or USD: 1990 is 19.90.') : s.description}
              multiline={s.type === 'array' || (s.maxLength ?? 0) > 500}
              {...(s.enum ? { options: s.enum.map(String) } : {})}
              type={s.type === 'integer' || s.type === 'number' ? 'number' : s.format === 'email' ? 'email' : s.format === 'uri' ? 'url' : 'text'}
              {...(s.type === 'number' ? { step: 'any' } : {})}
            />
          );
        })}
    </>
  );
}
