// npm run bench:reports -- [--scale 0.1] [--workspaces 50] [--runs 20] [--keep]
//
// Seeds a scratch PostgreSQL database (on TEST_DATABASE_URL / DATABASE_URL, default the local
// server) deterministically with orders and messages across 50 workspaces — at --scale 1,
// 1,000,000 orders and 5,000,000 messages over 400 days — builds the report aggregates from that
// source with SQL, then prints p50/p95 latency of each report (ReadReports over SqlReportStore)
// for 90 days and 1 year, next to a plain SQL aggregate over the source tables for the same range.
// The database is dropped afterwards unless --keep is given.
import { cpus, totalmem } from 'node:os';
import { openDatabase, persistenceModule, createMikroOrmRepositories, createSqlReportStore, type Database } from '@palette/adapters/persistence';
import { Ids, ReadReports, RESPONSE_BUCKETS_SECONDS, addDays, type Granularity, type ReportRequest } from '@palette/domain';

function arg(name: string, fallback: string): string {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 && process.argv[i + 1] !== undefined ? process.argv[i + 1]! : fallback;
}
const SCALE = Number(arg('scale', '1'));
const WORKSPACES = Number(arg('workspaces', '50'));
const RUNS = Number(arg('runs', '20'));
const KEEP = process.argv.includes('--keep');
if (!(SCALE > 0) || !(WORKSPACES > 0) || !(RUNS > 0)) throw new Error('--scale, --workspaces and --runs must be positive numbers');

const ORDERS = Math.round(1_000_000 * SCALE);
const MESSAGES = Math.round(5_000_000 * SCALE);
const CONTACTS_PER_WS = Math.max(20, Math.round(MESSAGES / WORKSPACES / 20));
const DAYS = 400;
const LAST_DAY = '2026-11-28';
const FIRST_DAY = addDays(LAST_DAY, -(DAYS - 1));
const TIMEZONES = ['Europe/Madrid', 'America/New_York', 'Asia/Kolkata', 'UTC', 'America/Los_Angeles'];

const serverUrl = process.env.TEST_DATABASE_URL || process.env.DATABASE_URL || 'postgres://postgres@127.0.0.1:5432/postgres';
const name = `palette_bench_reports_${Date.now().toString(36)}`;
const url = new URL(serverUrl);
url.pathname = `/${name}`;

/** uuid(kind, n): deterministic ids, one prefix per table. */
const uuidSql = (kind: number, expr: string) => `('0000b${kind.toString().padStart(3, '0')}-0000-7000-8000-' || lpad(to_hex(${expr}), 12, '0'))::uuid`;
const uuidJs = (kind: number, n: number) => `0000b${kind.toString().padStart(3, '0')}-0000-7000-8000-${n.toString(16).padStart(12, '0')}`;

async function timed<T>(label: string, work: () => Promise<T>): Promise<T> {
  const began = performance.now();
  const out = await work();
  process.stdout.write(`  ${label}: ${((performance.now() - began) / 1000).toFixed(1)} s\n`);
  return out;
}

async function seed(db: Database): Promise<void> {
  const sql = (text: string) => db.orm.em.getConnection().execute(text, [], 'run');
  const tzArray = `array[${TIMEZONES.map((t) => `'${t}'`).join(',')}]`;
  const C = CONTACTS_PER_WS;
  // A multiplicative hash keeps the data deterministic and spread without random().
  const h = (expr: string, mod: number) => `((((${expr})::bigint * 2654435761) % 4294967291) % ${mod})`;
  const start = `'${FIRST_DAY}T00:00:00Z'::timestamptz`;

  await timed('workspaces, accounts, catalog', async () => {
    await sql(`insert into workspaces (id, name, timezone, default_currency, created_at, updated_at)
      select ${uuidSql(1, 'w')}, 'Bench ' || w, (${tzArray})[1 + w % ${TIMEZONES.length}], case when w % 4 = 0 then 'USD' else 'EUR' end, ${start}, ${start} from generate_series(0, ${WORKSPACES - 1}) w`);
    await sql(`insert into instagram_accounts (id, workspace_id, ig_user_id, username, account_type, status, granted_scopes, created_at, updated_at)
      select ${uuidSql(2, 'w')}, ${uuidSql(1, 'w')}, '178414' || lpad(w::text, 8, '0'), 'bench' || w, 'Business', 'connected', '[]'::jsonb, ${start}, ${start} from generate_series(0, ${WORKSPACES - 1}) w`);
    await sql(`insert into products (id, workspace_id, sku, name, status, created_at, updated_at)
      select ${uuidSql(7, 'p')}, ${uuidSql(1, 'p / 5')}, 'P-' || p, 'Product ' || (p % 5), 'active', ${start}, ${start} from generate_series(0, ${WORKSPACES * 5 - 1}) p`);
    await sql(`insert into variants (id, workspace_id, product_id, sku, title, price_amount_minor, price_currency, created_at, updated_at)
      select ${uuidSql(8, 'p')}, ${uuidSql(1, 'p / 5')}, ${uuidSql(7, 'p')}, 'V-' || p, 'Default', 1000 + (p % 5) * 500, case when (p / 5) % 4 = 0 then 'USD' else 'EUR' end, ${start}, ${start}
      from generate_series(0, ${WORKSPACES * 5 - 1}) p`);
  });

  await timed(`contacts and conversations (${WORKSPACES * C})`, async () => {
    await sql(`insert into contacts (id, workspace_id, account_id, igsid, restrictions, last_interaction_at, created_at, updated_at)
      select ${uuidSql(3, 'c')}, ${uuidSql(1, 'c / ' + C)}, ${uuidSql(2, 'c / ' + C)}, 'igsid-' || c, '{"aiProcessingObjected":false,"processingRestricted":false}'::jsonb,
        ${start} + ${h('c', DAYS)} * interval '1 day', ${start} + ${h('c', DAYS)} * interval '1 day', ${start} + ${h('c', DAYS)} * interval '1 day'
      from generate_series(0, ${WORKSPACES * C - 1}) c`);
    await sql(`insert into conversations (id, workspace_id, account_id, contact_id, entry_point, owner, last_interaction_at, created_at, updated_at)
      select ${uuidSql(4, 'c')}, ${uuidSql(1, 'c / ' + C)}, ${uuidSql(2, 'c / ' + C)}, ${uuidSql(3, 'c')},
        (array['organic_dm','ad_referral','story_reply','comment','link_referral'])[1 + ${h('c + 7', 5)}], 'assistant',
        ${start} + ${h('c', DAYS)} * interval '1 day', ${start} + ${h('c', DAYS)} * interval '1 day', ${start} + ${h('c', DAYS)} * interval '1 day'
      from generate_series(0, ${WORKSPACES * C - 1}) c`);
  });

  // Messages: each contact's thread starts on its conversation day; messages fall within 30 days of it.
  await timed(`messages (${MESSAGES})`, async () => {
    for (let from = 0; from < MESSAGES; from += 500_000) {
      const to = Math.min(MESSAGES, from + 500_000) - 1;
      await sql(`insert into messages (id, workspace_id, account_id, conversation_id, contact_id, direction, author_kind, platform_message_id, text, delivery_state, hold_reason, sent_at, created_at)
        select ${uuidSql(5, 'm')}, ${uuidSql(1, 'w')}, ${uuidSql(2, 'w')}, ${uuidSql(4, 'c')}, ${uuidSql(3, 'c')},
          case when m % 2 = 0 then 'inbound' else 'outbound' end,
          case when m % 2 = 0 then 'customer' when m % 6 = 1 then 'assistant' when m % 6 = 3 then 'agent' else 'notification' end,
          'mid-' || m, 'bench message', case when m % 2 = 0 then 'received' when m % 50 = 1 then 'refused' else 'sent' end,
          case when m % 2 = 1 and m % 50 = 1 then 'window_closed' end,
          least(${start} + ${h('c', DAYS)} * interval '1 day' + ${h('m', 30 * 86400)} * interval '1 second', '${LAST_DAY}T23:59:59Z'::timestamptz),
          ${start}
        from (select m, m % ${WORKSPACES} as w, (m % ${WORKSPACES}) * ${C} + ${h('m / ' + WORKSPACES, C)} as c from generate_series(${from}, ${to}) m) x`);
    }
  });

  // Orders: a third without a contact (dashboard/api), the rest in chat; statuses spread over the machine.
  await timed(`orders (${ORDERS})`, async () => {
    for (let from = 0; from < ORDERS; from += 250_000) {
      const to = Math.min(ORDERS, from + 250_000) - 1;
      await sql(`insert into orders (id, workspace_id, source, contact_id, conversation_id, status, lines, currency, subtotal_amount_minor, subtotal_currency, shipping_amount_minor, shipping_currency,
          discount_amount_minor, discount_currency, total_amount_minor, total_currency, history, created_at, updated_at, completed_at)
        select ${uuidSql(6, 'o')}, ${uuidSql(1, 'w')}, case when o % 3 = 0 then (case when o % 2 = 0 then 'dashboard' else 'api' end) else 'chat' end,
          case when o % 3 <> 0 then ${uuidSql(3, 'c')} end, case when o % 3 <> 0 then ${uuidSql(4, 'c')} end, st,
          jsonb_build_array(jsonb_build_object('variantId', ${uuidSql(8, 'v')}, 'sku', 'V-' || v, 'name', 'Product', 'quantity', q,
            'unitPrice', jsonb_build_object('amountMinor', price, 'currency', cur), 'lineTotal', jsonb_build_object('amountMinor', price * q, 'currency', cur))),
          cur, price * q, cur, 0, cur, 0, cur, price * q, cur,
          jsonb_build_array(jsonb_build_object('from', null, 'to', 'draft', 'at', created, 'actor', jsonb_build_object('kind', 'system'), 'note', null))
            || case when st = 'draft' then '[]'::jsonb else jsonb_build_array(jsonb_build_object('from', 'draft', 'to', 'confirmed', 'at', created + interval '1 hour', 'actor', jsonb_build_object('kind', 'system'), 'note', null)) end
            || case when st in ('draft', 'confirmed') then '[]'::jsonb
                    when st in ('cancelled', 'paid') then jsonb_build_array(jsonb_build_object('from', 'confirmed', 'to', st, 'at', created + interval '2 hours', 'actor', jsonb_build_object('kind', 'system'), 'note', null))
                    else jsonb_build_array(jsonb_build_object('from', 'confirmed', 'to', 'paid', 'at', created + interval '2 hours', 'actor', jsonb_build_object('kind', 'system'), 'note', null),
                                           jsonb_build_object('from', 'paid', 'to', st, 'at', created + interval '3 hours', 'actor', jsonb_build_object('kind', 'system'), 'note', null)) end,
          created, created + interval '3 hours', case when st in ('cancelled', 'refunded', 'delivered') then created + interval '3 hours' end
        from (select o, o % ${WORKSPACES} as w, (o % ${WORKSPACES}) * ${C} + ${h('o / ' + WORKSPACES, C)} as c, (o % ${WORKSPACES}) * 5 + o % 5 as v, 1 + o % 3 as q,
                     1000 + (o % 5) * 500 as price, case when (o % ${WORKSPACES}) % 4 = 0 then 'USD' else 'EUR' end as cur,
                     (array['draft','cancelled','refunded','confirmed','confirmed','paid','paid','shipped','shipped','delivered'])[1 + ${h('o + 3', 10)}] as st,
                     ${start} + ${h('o', DAYS * 86400)} * interval '1 second' as created
              from generate_series(${from}, ${to}) o) x`);
    }
  });

  // The aggregates the incremental path would have written, built from the source in one pass each.
  await timed('aggregates from source', async () => {
    const local = (ts: string, w = 'ws') => `((${ts}) at time zone ${w}.timezone)::date`;
    const confirmedAt = `(o.created_at + interval '1 hour')`;
    await sql(`insert into daily_metrics (workspace_id, day, metric, dimension, count, sum)
      select o.workspace_id, ${local(confirmedAt)}, 'orders.confirmed', 'currency=' || o.currency || ';entry=' || coalesce(c.entry_point, 'none') || ';source=' || o.source, count(*), sum(o.total_amount_minor)
      from orders o join workspaces ws on ws.id = o.workspace_id left join conversations c on c.id = o.conversation_id where o.status <> 'draft' group by 1, 2, 3, 4
      union all
      select o.workspace_id, ${local(confirmedAt)}, 'orders.units', 'currency=' || o.currency, count(*), sum((o.lines->0->>'quantity')::int)
      from orders o join workspaces ws on ws.id = o.workspace_id where o.status <> 'draft' group by 1, 2, 3, 4
      union all
      select o.workspace_id, ${local(confirmedAt)}, 'sales.variant', 'currency=' || o.currency || ';variant=' || (o.lines->0->>'variantId'), sum((o.lines->0->>'quantity')::int), sum(o.total_amount_minor)
      from orders o join workspaces ws on ws.id = o.workspace_id where o.status <> 'draft' group by 1, 2, 3, 4
      union all
      select o.workspace_id, ${local("o.created_at + interval '2 hours'")}, k.metric, 'currency=' || o.currency || ';source=' || o.source, count(*), sum(o.total_amount_minor)
      from orders o join workspaces ws on ws.id = o.workspace_id cross join (values ('orders.cancelled'), ('orders.cancelled_booked')) k (metric)
      where o.status = 'cancelled' group by 1, 2, 3, 4
      union all
      select o.workspace_id, ${local("o.created_at + interval '3 hours'")}, 'orders.refunded', 'currency=' || o.currency || ';source=' || o.source, count(*), sum(o.total_amount_minor)
      from orders o join workspaces ws on ws.id = o.workspace_id where o.status = 'refunded' group by 1, 2, 3, 4
      union all
      select m.workspace_id, ${local('m.sent_at')}, case when m.direction = 'inbound' then 'messages.inbound' when m.delivery_state = 'refused' then 'sends.refused' else 'messages.outbound' end,
        case when m.delivery_state = 'refused' then 'human=' || (m.author_kind = 'agent')::text || ';reason=' || m.hold_reason else 'author=' || m.author_kind end, count(*), 0
      from messages m join workspaces ws on ws.id = m.workspace_id group by 1, 2, 3, 4
      union all
      select c.workspace_id, ${local('c.created_at')}, 'conversations.new', 'entry=' || c.entry_point, count(*), 0
      from conversations c join workspaces ws on ws.id = c.workspace_id group by 1, 2, 3, 4`);
    const bounds = `array[${RESPONSE_BUCKETS_SECONDS.filter(Number.isFinite).join(',')}]`;
    await sql(`insert into daily_metrics (workspace_id, day, metric, dimension, count, sum)
      select workspace_id, ${local('at', 'x')}, 'response.first', 'bucket=' || lpad((select count(*) from unnest(${bounds}) b where b < secs)::text, 2, '0') || ';responder=' || responder, count(*), sum(secs)
      from (select distinct on (m.conversation_id) m.workspace_id, ws.timezone, m.sent_at as at, greatest(0, round(extract(epoch from m.sent_at - c.created_at)))::bigint as secs,
              case when m.author_kind = 'agent' then 'human' else 'assistant' end as responder
            from messages m join conversations c on c.id = m.conversation_id join workspaces ws on ws.id = m.workspace_id
            where m.direction = 'outbound' and m.delivery_state = 'sent' and m.author_kind <> 'notification'
            order by m.conversation_id, m.sent_at, m.id) x
      group by 1, 2, 3, 4`);
    await sql(`insert into report_contact_days (workspace_id, contact_key, day, inbound, orders)
      select workspace_id, sha256(convert_to(workspace_id::text || ':' || contact_id::text, 'UTF8')), day, sum(inbound), sum(orders) from (
        select m.workspace_id, m.contact_id, ${local('m.sent_at')} as day, 1 as inbound, 0 as orders from messages m join workspaces ws on ws.id = m.workspace_id where m.direction = 'inbound'
        union all
        select o.workspace_id, o.contact_id, ${local(confirmedAt)}, 0, 1 from orders o join workspaces ws on ws.id = o.workspace_id where o.status <> 'draft' and o.contact_id is not null
      ) f group by 1, 2, 3`);
    await sql('analyze');
  });
}

function percentile(xs: readonly number[], p: number): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.max(0, Math.ceil(p * s.length) - 1))]!;
}

type Kind = 'sales' | 'messaging' | 'engagement';
/** The straightforward query over the source tables that answers the same question, per day. */
function plainSql(kind: Kind): string {
  const local = (ts: string) => `((${ts}) at time zone ws.timezone)::date`;
  switch (kind) {
    case 'sales':
      return `select ${local('o.created_at')} as day, o.currency, count(*) filter (where o.status <> 'draft') as orders, sum(o.total_amount_minor) filter (where o.status <> 'draft') as revenue,
          count(*) filter (where o.status = 'refunded') as refunds, count(*) filter (where o.status = 'cancelled') as cancellations
        from orders o join workspaces ws on ws.id = o.workspace_id
        where o.workspace_id = ? and o.created_at >= ?::timestamptz and o.created_at < ?::timestamptz group by 1, 2`;
    case 'messaging':
      return `select ${local('m.sent_at')} as day, m.direction, m.author_kind, m.delivery_state, count(*)
        from messages m join workspaces ws on ws.id = m.workspace_id
        where m.workspace_id = ? and m.sent_at >= ?::timestamptz and m.sent_at < ?::timestamptz group by 1, 2, 3, 4`;
    case 'engagement':
      return `select count(distinct m.contact_id) as active,
          (select count(distinct o.contact_id) from orders o where o.workspace_id = ws.id and o.status <> 'draft' and o.created_at >= ?::timestamptz and o.created_at < ?::timestamptz) as purchasers
        from messages m join workspaces ws on ws.id = m.workspace_id
        where m.workspace_id = ? and m.direction = 'inbound' and m.sent_at >= ?::timestamptz and m.sent_at < ?::timestamptz group by ws.id`;
  }
}

async function measure(db: Database, kind: Kind, days: number, granularity: Granularity): Promise<{ report: number[]; plain: number[] }> {
  const report: number[] = [];
  const plain: number[] = [];
  const toDay = LAST_DAY;
  const fromDay = addDays(toDay, -(days - 1));
  const from = `${fromDay}T00:00:00Z`;
  const to = `${addDays(toDay, 1)}T00:00:00Z`;
  for (let i = -2; i < RUNS; i++) { // two warm-up runs
    const w = ((i + 2) * 7) % WORKSPACES;
    const workspaceId = Ids.workspace(uuidJs(1, w));
    const req: ReportRequest = { workspaceId, fromDay, toDay, granularity, timezone: TIMEZONES[w % TIMEZONES.length]!, today: LAST_DAY };
    let began = performance.now();
    const repos = createMikroOrmRepositories(db.orm);
    const reports = new ReadReports(createSqlReportStore(repos.uow));
    await (kind === 'sales' ? reports.sales(req) : kind === 'messaging' ? reports.messaging(req) : reports.engagement(req));
    if (i >= 0) report.push(performance.now() - began);
    began = performance.now();
    const params = kind === 'engagement' ? [from, to, workspaceId, from, to] : [workspaceId, from, to];
    await db.orm.em.fork().getConnection().execute(plainSql(kind), params);
    if (i >= 0) plain.push(performance.now() - began);
  }
  return { report, plain };
}

const admin = await openDatabase({ databaseUrl: serverUrl, dataDir: 'unused', ...persistenceModule() });
await admin.orm.em.getConnection().execute(`create database ${name}`);
const database = await openDatabase({ databaseUrl: url.toString(), dataDir: 'unused', ...persistenceModule() });
try {
  await database.migrate();
  process.stdout.write(`bench:reports on ${cpus().length} cores, ${(totalmem() / 2 ** 30).toFixed(0)} GiB; scale ${SCALE}: ${ORDERS} orders, ${MESSAGES} messages, ${WORKSPACES * CONTACTS_PER_WS} contacts, ${WORKSPACES} workspaces, ${DAYS} days\nseeding ${name}\n`);
  await seed(database);
  const counts = await database.orm.em.getConnection().execute<Array<{ t: string; n: string }>>(
    `select 'daily_metrics' as t, count(*)::text as n from daily_metrics union all select 'report_contact_days', count(*)::text from report_contact_days`);
  process.stdout.write(`aggregates: ${counts.map((c) => `${c.t} ${c.n} rows`).join(', ')}\n\n`);
  process.stdout.write(`${RUNS} runs per cell, one workspace per run (~${Math.round(ORDERS / WORKSPACES)} orders, ~${Math.round(MESSAGES / WORKSPACES)} messages each), milliseconds\n`);
  process.stdout.write('report      range  granularity  report p50  report p95  plain SQL p50  plain SQL p95\n');
  for (const kind of ['sales', 'messaging', 'engagement'] as const) {
    for (const [label, days, granularity] of [['90 d', 90, 'day'], ['1 y', 365, 'week']] as const) {
      const { report, plain } = await measure(database, kind, days, granularity);
      const f = (n: number) => n.toFixed(1).padStart(10);
      process.stdout.write(`${kind.padEnd(11)} ${label.padEnd(6)} ${granularity.padEnd(11)} ${f(percentile(report, 0.5))}  ${f(percentile(report, 0.95))}  ${f(percentile(plain, 0.5)).padStart(13)}  ${f(percentile(plain, 0.95)).padStart(13)}\n`);
    }
  }
} finally {
  await database.close();
  if (!KEEP) await admin.orm.em.getConnection().execute(`drop database if exists ${name} with (force)`);
  else process.stdout.write(`kept ${url.toString()}\n`);
  await admin.close();
}
