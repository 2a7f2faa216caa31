// npm run bench:retention -- [--messages 1000000] [--per-conversation 100] [--workspaces 5] [--batch 500] [--keep]
//
// Seeds a scratch PostgreSQL database (on TEST_DATABASE_URL / DATABASE_URL, default the local server)
// deterministically with --messages expired messages: conversations whose last interaction is 31 to
// 90 days old, spread over a few workspaces, plus 2% fresh conversations that must survive. Then:
//   1. Palette: the worker's retention sweep (RunRetentionSweep over SqlPrivacyStore, built as the
//      worker builds it) until no expired message is left; rows/s and the peak RSS of this process
//      (sampled every 100 ms);
//   2. baseline: the same seed re-created, then one plain DELETE of the expired messages; rows/s.
// Both figures count messages only; the sweep also deletes the conversations and contacts and writes
// receipts, which the baseline does not. The database is dropped afterwards unless --keep is given.
// Migration 000012 indexes the foreign keys the cascades follow; before it, every deleted contact made
// PostgreSQL scan the whole messages heap (the figures before/after are in docs/benchmarks.md).
import { cpus, totalmem } from 'node:os';
import { openDatabase, persistenceModule, createSqlAssistantRecords, type Database } from '@palette/adapters/persistence';
import { SystemClock, UuidV7Generator } from '@palette/adapters/system';
import { privacyServicesFactory } from '../src/handlers/retention-sweep.js';

function arg(name: string, fallback: string): string {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 && process.argv[i + 1] !== undefined ? process.argv[i + 1]! : fallback;
}
const MESSAGES = Number(arg('messages', '1000000'));
const PER_CONVERSATION = Number(arg('per-conversation', '100'));
const WORKSPACES = Number(arg('workspaces', '5'));
const BATCH = Number(arg('batch', '500'));
const KEEP = process.argv.includes('--keep');
for (const [k, v] of Object.entries({ MESSAGES, PER_CONVERSATION, WORKSPACES, BATCH })) {
  if (!Number.isInteger(v) || v <= 0) throw new Error(`${k} must be a positive integer`);
}
const CONVERSATIONS = Math.ceil(MESSAGES / PER_CONVERSATION);
const FRESH = Math.max(1, Math.round(CONVERSATIONS / 50));
const RSS_LIMIT_MB = 300;

const serverUrl = process.env.TEST_DATABASE_URL || process.env.DATABASE_URL || 'postgres://postgres@127.0.0.1:5432/postgres';
const name = `palette_bench_retention_${Date.now().toString(36)}`;
const url = new URL(serverUrl);
url.pathname = `/${name}`;

const uuidSql = (kind: number, expr: string) => `('0000c${kind.toString().padStart(3, '0')}-0000-7000-8000-' || lpad(to_hex(${expr}), 12, '0'))::uuid`;

async function timed<T>(label: string, work: () => Promise<T>): Promise<{ out: T; seconds: number }> {
  const began = performance.now();
  const out = await work();
  const seconds = (performance.now() - began) / 1000;
  process.stdout.write(`  ${label}: ${seconds.toFixed(1)} s\n`);
  return { out, seconds };
}

const exec = (db: Database, text: string) => db.orm.em.fork().getConnection().execute(text, [], 'run');
const count = async (db: Database, text: string): Promise<number> =>
  Number((await db.orm.em.fork().getConnection().execute<Array<{ n: string }>>(text))[0]!.n);

/**
 * Conversations 0..CONVERSATIONS-1 are expired (31..90 days idle), the next FRESH are 1 day idle;
 * every conversation has its own contact, and PER_CONVERSATION messages (the last one short).
 */
async function seed(db: Database): Promise<void> {
  const total = CONVERSATIONS + FRESH;
  const idle = (c: string) => `case when ${c} < ${CONVERSATIONS} then 31 + (${c} * 7919) % 60 else 1 end`;
  const at = (c: string) => `now() - (${idle(c)}) * interval '1 day'`;
  await exec(db, `insert into workspaces (id, name, timezone, default_currency, created_at, updated_at)
    select ${uuidSql(1, 'w')}, 'Bench ' || w, 'UTC', 'EUR', now() - interval '400 days', now() - interval '400 days' from generate_series(0, ${WORKSPACES - 1}) w`);
  await exec(db, `insert into instagram_accounts (id, workspace_id, ig_user_id, username, account_type, status, granted_scopes, created_at, updated_at)
    select ${uuidSql(2, 'w')}, ${uuidSql(1, 'w')}, '178415' || lpad(w::text, 8, '0'), 'bench' || w, 'Business', 'connected', '[]'::jsonb, now() - interval '400 days', now() - interval '400 days'
    from generate_series(0, ${WORKSPACES - 1}) w`);
  await exec(db, `insert into contacts (id, workspace_id, account_id, igsid, restrictions, last_interaction_at, created_at, updated_at)
    select ${uuidSql(3, 'c')}, ${uuidSql(1, `c % ${WORKSPACES}`)}, ${uuidSql(2, `c % ${WORKSPACES}`)}, 'igsid-' || c, '{"aiProcessingObjected":false,"processingRestricted":false}'::jsonb,
      ${at('c')}, ${at('c')} - interval '30 days', ${at('c')}
    from generate_series(0, ${total - 1}) c`);
  await exec(db, `insert into conversations (id, workspace_id, account_id, contact_id, entry_point, owner, last_interaction_at, created_at, updated_at)
    select ${uuidSql(4, 'c')}, ${uuidSql(1, `c % ${WORKSPACES}`)}, ${uuidSql(2, `c % ${WORKSPACES}`)}, ${uuidSql(3, 'c')}, 'organic_dm', 'assistant',
      ${at('c')}, ${at('c')} - interval '30 days', ${at('c')}
    from generate_series(0, ${total - 1}) c`);
  const totalMessages = MESSAGES + FRESH * PER_CONVERSATION;
  for (let from = 0; from < totalMessages; from += 250_000) {
    const to = Math.min(totalMessages, from + 250_000) - 1;
    // Message m belongs to conversation m / PER_CONVERSATION; fresh ones start after the expired block.
    const conv = `(case when m < ${MESSAGES} then m / ${PER_CONVERSATION} else ${CONVERSATIONS} + (m - ${MESSAGES}) / ${PER_CONVERSATION} end)`;
    await exec(db, `insert into messages (id, workspace_id, account_id, conversation_id, contact_id, direction, author_kind, platform_message_id, text, delivery_state, sent_at, created_at)
      select ${uuidSql(5, 'm')}, ${uuidSql(1, `c % ${WORKSPACES}`)}, ${uuidSql(2, `c % ${WORKSPACES}`)}, ${uuidSql(4, 'c')}, ${uuidSql(3, 'c')},
        case when m % 2 = 0 then 'inbound' else 'outbound' end, case when m % 2 = 0 then 'customer' else 'assistant' end,
        'mid-' || m, 'bench message ' || m, case when m % 2 = 0 then 'received' else 'sent' end,
        ${at('c')} - (${PER_CONVERSATION} - m % ${PER_CONVERSATION}) * interval '1 minute', ${at('c')} - interval '30 days'
      from (select m, ${conv} as c from generate_series(${from}, ${to}) m) x`);
  }
  // Both runs start from a vacuumed, analysed, checkpointed table, so neither pays for the seed.
  await exec(db, 'vacuum analyze');
  await exec(db, 'checkpoint');
}

const EXPIRED = `select count(*)::text as n from messages m join conversations c on c.id = m.conversation_id where c.last_interaction_at <= now() - interval '30 days'`;
const FRESH_LEFT = `select count(*)::text as n from messages m join conversations c on c.id = m.conversation_id where c.last_interaction_at > now() - interval '30 days'`;

function rssSampler(): { stop: () => number } {
  let peak = process.memoryUsage().rss;
  const timer = setInterval(() => { peak = Math.max(peak, process.memoryUsage().rss); }, 100);
  return { stop: () => { clearInterval(timer); return Math.max(peak, process.memoryUsage().rss); } };
}

const mb = (bytes: number) => bytes / 2 ** 20;
const admin = await openDatabase({ databaseUrl: serverUrl, dataDir: 'unused', ...persistenceModule() });
await admin.orm.em.getConnection().execute(`create database ${name}`);
const database = await openDatabase({ databaseUrl: url.toString(), dataDir: 'unused', ...persistenceModule() });
try {
  await database.migrate();
  process.stdout.write(`bench:retention on ${cpus().length} cores, ${(totalmem() / 2 ** 30).toFixed(0)} GiB, Node ${process.version}; `
    + `${MESSAGES} expired messages in ${CONVERSATIONS} conversations over ${WORKSPACES} workspaces (+${FRESH * PER_CONVERSATION} fresh messages kept), sweep batch ${BATCH}\n`);

  // 1. Palette's sweep, composed as the worker composes it (with the assistant's AI records).
  process.stdout.write(`seeding ${name}\n`);
  await timed('seed', () => seed(database));
  const expired = await count(database, EXPIRED);
  if (expired !== MESSAGES) throw new Error(`seeded ${expired} expired messages, expected ${MESSAGES}`);
  const services = privacyServicesFactory(database.orm, { clock: new SystemClock(), ids: new UuidV7Generator(), aiFor: (repos) => createSqlAssistantRecords(repos.uow) });
  const rssBefore = process.memoryUsage().rss;
  const sampler = rssSampler();
  let runs = 0;
  let removed = 0;
  const sweep = await timed('retention sweep', async () => {
    // One run drains every class; a second one would only find rows a concurrent sweeper held.
    for (;;) {
      runs++;
      const result = await services().sweep.execute({ batchSize: BATCH });
      removed += result.removed;
      if (result.busy.length === 0 || runs >= 5) break;
    }
  });
  const peakRss = sampler.stop();
  const left = await count(database, EXPIRED);
  const freshLeft = await count(database, FRESH_LEFT);
  if (left !== 0) throw new Error(`${left} expired messages left after the sweep`);
  if (freshLeft !== FRESH * PER_CONVERSATION) throw new Error(`the sweep removed fresh messages: ${freshLeft} of ${FRESH * PER_CONVERSATION} left`);
  const sweepRate = MESSAGES / sweep.seconds;

  // 2. Baseline: the same seed, one plain DELETE.
  process.stdout.write('re-seeding for the baseline\n');
  await exec(database, 'truncate workspaces, privacy_receipts cascade');
  await timed('seed', () => seed(database));
  const plain = await timed('plain DELETE', () => exec(database,
    `delete from messages where conversation_id in (select id from conversations where last_interaction_at <= now() - interval '30 days')`));
  const plainLeft = await count(database, EXPIRED);
  if (plainLeft !== 0) throw new Error(`${plainLeft} expired messages left after the plain DELETE`);
  const plainRate = MESSAGES / plain.seconds;

  const ratio = sweepRate / plainRate;
  const f = (n: number) => Math.round(n).toLocaleString('en-US');
  process.stdout.write(`\nretention sweep: ${f(MESSAGES)} messages (+${f(removed - MESSAGES)} conversations, contacts and other rows) in ${sweep.seconds.toFixed(1)} s `
    + `= ${f(sweepRate)} messages/s; ${runs} run(s); RSS ${mb(rssBefore).toFixed(0)} MB before, peak ${mb(peakRss).toFixed(0)} MB\n`);
  process.stdout.write(`plain DELETE:    ${f(MESSAGES)} messages in ${plain.seconds.toFixed(1)} s = ${f(plainRate)} messages/s\n`);
  process.stdout.write(`ratio sweep/plain: ${ratio.toFixed(2)}x (target >= 0.5x: ${ratio >= 0.5 ? 'met' : 'MISSED'}); `
    + `peak RSS ${mb(peakRss).toFixed(0)} MB (target < ${RSS_LIMIT_MB} MB: ${mb(peakRss) < RSS_LIMIT_MB ? 'met' : 'MISSED'})\n`);
} finally {
  await database.close();
  if (!KEEP) await admin.orm.em.getConnection().execute(`drop database if exists ${name} with (force)`);
  else process.stdout.write(`kept ${url.toString()}\n`);
  await admin.close();
}
