import { useMemo, useState } from 'react';
import { Bar, BarChart, CartesianGrid, Legend, Line, LineChart, ResponsiveContainer, Tooltip, XAxis, YAxis } from 'recharts';
import { api } from '../api.js';
import { Alert, DataTable, Field, Loading, NotAvailable, useLoad } from '../ui.js';
import type { WorkspaceContext } from './shell.js';

const PREFIX = '/api/workspaces/:workspaceId/reports';
const COLORS = ['#6d28d9', '#059669', '#db2777', '#d97706', '#2563eb', '#64748b'];

const isoDay = (d: Date) => d.toISOString().slice(0, 10);

const hasNumbers = (row: unknown) => typeof row === 'object' && row !== null && Object.values(row).some((v) => typeof v === 'number');

/**
 * The series of a report answer, whatever envelope it uses: the first array of objects with
 * numbers in it, searched breadth-first (sales nests one series per currency).
 */
function rowsOf(data: unknown): Array<Record<string, unknown>> {
  const queue: unknown[] = [data];
  for (let seen = 0; queue.length > 0 && seen < 200; seen++) {
    const next = queue.shift();
    if (Array.isArray(next)) {
      if (next.length > 0 && next.every(hasNumbers)) return next as Array<Record<string, unknown>>;
      queue.push(...next.slice(0, 5));
    } else if (typeof next === 'object' && next !== null) {
      const entries = Object.entries(next);
      // Prefer the time series over breakdowns when both are there.
      entries.sort(([a], [b]) => Number(/series|periods/.test(b)) - Number(/series|periods/.test(a)));
      queue.push(...entries.map(([, v]) => v));
    }
  }
  return [];
}

const numericValue = (v: unknown): number | undefined => {
  if (typeof v === 'number') return v;
  if (typeof v === 'object' && v !== null && 'amount' in v) return Number((v as { amount: unknown }).amount);
  return undefined;
};

function Report({ ctx, path, summary, range }: { ctx: WorkspaceContext; path: string; summary: string; range: { from: string; to: string; granularity: string } }) {
  const op = ctx.catalog.operation('get', path);
  const names = new Set((op?.parameters ?? []).filter((p) => p.in === 'query').map((p) => p.name));
  const query = new URLSearchParams();
  if (names.has('from')) query.set('from', range.from);
  if (names.has('to')) query.set('to', range.to);
  if (names.has('granularity')) query.set('granularity', range.granularity);
  const url = `${path.replace(':workspaceId', encodeURIComponent(ctx.workspaceId))}${query.size ? `?${query}` : ''}`;
  const report = useLoad((signal) => api<unknown>('get', url, { signal }), [url]);
  const rows = useMemo(() => rowsOf(report.data), [report.data]);
  const xKey = rows[0] ? (Object.keys(rows[0]).find((k) => /date|day|period|bucket|start|week|month/i.test(k)) ?? Object.keys(rows[0])[0]) : undefined;
  // A handful of lines stays readable; every figure is in the table below the chart.
  const series = rows[0] ? Object.keys(rows[0]).filter((k) => k !== xKey && numericValue(rows[0]![k]) !== undefined).slice(0, 4) : [];
  const chartRows = rows.map((r) => Object.fromEntries(Object.entries(r).map(([k, v]) => [k, k === xKey ? v : (numericValue(v) ?? v)])));
  const csv = /text\/csv/.test(op?.description ?? '');
  const download = async () => {
    // The API picks CSV by content negotiation, which a plain link cannot ask for.
    const res = await fetch(url, { headers: { Accept: 'text/csv' }, credentials: 'same-origin' });
    if (!res.ok) return;
    const name = /filename="([^"]+)"/.exec(res.headers.get('Content-Disposition') ?? '')?.[1] ?? 'report.csv';
    const href = URL.createObjectURL(await res.blob());
    const a = Object.assign(document.createElement('a'), { href, download: name });
    a.click();
    setTimeout(() => URL.revokeObjectURL(href), 1000);
  };
  const Chart = series.length > 2 ? LineChart : BarChart;
  return (
    <section className="report" aria-label={summary}>
      <h2>{summary}</h2>
      {report.error ? <Alert>{report.error}</Alert> : null}
      {report.loading && !report.data ? <Loading /> : null}
      {report.data !== undefined && rows.length === 0 ? <p className="empty">No data in this period.</p> : null}
      {rows.length > 0 && xKey && series.length > 0 ? (
        <div className="chart" role="img" aria-label={`${summary}: ${series.join(', ')} by ${xKey}`}>
          <ResponsiveContainer width="100%" height={260}>
            <Chart data={chartRows}>
              <CartesianGrid strokeDasharray="3 3" />
              <XAxis dataKey={xKey} />
              <YAxis />
              <Tooltip />
              <Legend />
              {series.map((s, i) =>
                Chart === LineChart ? <Line key={s} type="monotone" dataKey={s} stroke={COLORS[i % COLORS.length]} dot={false} /> : <Bar key={s} dataKey={s} fill={COLORS[i % COLORS.length]} />,
              )}
            </Chart>
          </ResponsiveContainer>
        </div>
      ) : null}
      {rows.length > 0 ? (
        <details>
          <summary>Show the numbers</summary>
          <DataTable caption={summary} rows={rows} columns={Object.keys(rows[0]!)} />
        </details>
      ) : null}
      {csv ? (
        <p>
          <button type="button" onClick={() => void download()}>
            Download CSV <span className="sr-only">of {summary}</span>
          </button>
        </p>
      ) : null}
    </section>
  );
}

export default function ReportsPage({ ctx }: { ctx: WorkspaceContext }) {
  const today = new Date();
  const [from, setFrom] = useState(isoDay(new Date(today.getTime() - 29 * 86_400_000)));
  const [to, setTo] = useState(isoDay(today));
  const [granularity, setGranularity] = useState('day');
  const reports = ctx.catalog
    .pathsUnder(PREFIX)
    .filter((p) => p.methods.includes('get') && !p.path.split('/').slice(4).some((s) => s.startsWith(':')) && !p.path.endsWith('.csv'))
    .map((p) => ({ path: p.path, summary: ctx.catalog.operation('get', p.path)?.summary ?? p.path.split('/').at(-1)! }));
  if (reports.length === 0) {
    return (
      <>
        <h1>Reports</h1>
        <NotAvailable feature="Reports" route={`GET ${PREFIX}/…`} />
      </>
    );
  }
  const granularities = ctx.catalog.operation('get', reports[0]!.path)?.parameters?.find((p) => p.name === 'granularity')?.schema?.enum?.map(String) ?? ['day', 'week', 'month'];
  return (
    <>
      <h1>Reports</h1>
      <form className="inline-form" onSubmit={(e) => e.preventDefault()} aria-label="Report period">
        <Field label="From" name="from" type="date" value={from} onChange={setFrom} />
        <Field label="To" name="to" type="date" value={to} onChange={setTo} />
        <Field label="Granularity" name="granularity" value={granularity} onChange={setGranularity} options={granularities} required />
      </form>
      {reports.map((r) => (
        <Report key={r.path} ctx={ctx} path={r.path} summary={r.summary} range={{ from, to, granularity }} />
      ))}
    </>
  );
}
