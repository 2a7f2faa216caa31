import type {
  InstagramAccountAliases, InstagramAccountId, InstagramDeletionRequest, InstagramDeletionRequests, InstagramEventLog, InstagramEventRecord,
  UnitOfWork, WebhookDelivery, WebhookDeliveryState, WebhookInbox, WorkspaceId,
} from '@palette/domain';
import { Ids } from '@palette/domain';
import { MikroOrmSession } from './mikro-orm-repositories.js';

/* eslint-disable @typescript-eslint/no-explicit-any */
type Row = Record<string, any>;

const deliveryOf = (r: Row): WebhookDelivery => ({
  id: r.id, payloadSha256: String(r.payload_sha256).trim(), rawBody: r.raw_body, state: r.state, reason: r.reason ?? null, attempts: Number(r.attempts),
  workspaceId: r.workspace_id ? Ids.workspace(r.workspace_id) : null, receivedAt: new Date(r.received_at), processedAt: r.processed_at ? new Date(r.processed_at) : null,
});

/**
 * The webhook inbox in `instagram_webhook_inbox`. Every call is one statement outside any use
 * case's transaction: the HTTP route stores and acknowledges, the job updates the state.
 */
export class SqlWebhookInbox implements WebhookInbox {
  constructor(private readonly s: MikroOrmSession) {}

  async store(input: { id: string; payloadSha256: string; rawBody: string; receivedAt: Date }) {
    // One round trip for both outcomes: insert, or find the row that already has these bytes.
    const rows = await this.s.execute<Row[]>(
      `with ins as (
         insert into instagram_webhook_inbox (id, payload_sha256, raw_body, state, attempts, received_at)
         values (?, ?, ?, 'received', 0, ?) on conflict (payload_sha256) do nothing returning id)
       select id, true as inserted from ins
       union all select id, false as inserted from instagram_webhook_inbox where payload_sha256 = ? and not exists (select 1 from ins)`,
      [input.id, input.payloadSha256, input.rawBody, input.receivedAt, input.payloadSha256]);
    const row = rows[0];
    if (!row) throw new Error('instagram_webhook_inbox: the delivery was neither stored nor found');
    return { id: String(row.id), duplicate: !(row.inserted === true || row.inserted === 't') };
  }

  async get(id: string) {
    if (!isUuid(id)) return null;
    const rows = await this.s.execute<Row[]>('select * from instagram_webhook_inbox where id = ?', [id]);
    return rows[0] ? deliveryOf(rows[0]) : null;
  }

  async recordAttempt(id: string) {
    const rows = await this.s.execute<Row[]>('update instagram_webhook_inbox set attempts = attempts + 1 where id = ? returning attempts', [id]);
    return rows[0] ? Number(rows[0].attempts) : 0;
  }

  async markProcessed(id: string, at: Date, workspaceId: WorkspaceId | null) {
    await this.s.execute("update instagram_webhook_inbox set state = 'processed', reason = null, processed_at = ?, workspace_id = coalesce(?, workspace_id) where id = ?", [at, workspaceId, id], 'run');
  }

  async markQuarantined(id: string, reason: string, at: Date, workspaceId: WorkspaceId | null) {
    await this.s.execute("update instagram_webhook_inbox set state = 'quarantined', reason = ?, processed_at = ?, workspace_id = coalesce(?, workspace_id) where id = ?",
      [reason.slice(0, 2000), at, workspaceId, id], 'run');
  }

  async requeue(id: string, workspaceId: WorkspaceId | null) {
    if (!isUuid(id)) return false;
    const rows = await this.s.execute<Row[]>(
      `update instagram_webhook_inbox set state = 'received' where id = ? and state = 'quarantined' and (?::uuid is null or workspace_id = ?::uuid) returning id`, [id, workspaceId, workspaceId]);
    return rows.length > 0;
  }

  async listReceivedBefore(cutoff: Date, limit: number) {
    const rows = await this.s.execute<Row[]>("select * from instagram_webhook_inbox where state = 'received' and received_at <= ? order by received_at, id limit ?", [cutoff, limit]);
    return rows.map(deliveryOf);
  }

  async listQuarantined(workspaceId: WorkspaceId | null, limit: number) {
    const rows = await this.s.execute<Row[]>(
      "select * from instagram_webhook_inbox where state = 'quarantined' and (?::uuid is null or workspace_id = ?::uuid) order by received_at, id limit ?", [workspaceId, workspaceId, limit]);
    return rows.map(deliveryOf);
  }

  async countByState() {
    const rows = await this.s.execute<Row[]>('select state, count(*)::int as n from instagram_webhook_inbox group by state');
    const counts: Record<WebhookDeliveryState, number> = { received: 0, processed: 0, quarantined: 0 };
    for (const r of rows) counts[r.state as WebhookDeliveryState] = Number(r.n);
    return counts;
  }

  async deleteProcessedBefore(cutoff: Date, limit: number) {
    const rows = await this.s.execute<Row[]>(
      `delete from instagram_webhook_inbox where id in (select id from instagram_webhook_inbox where state = 'processed' and processed_at <= ? order by processed_at limit ?) returning id`, [cutoff, limit]);
    return rows.length;
  }
}

/** What the webhook acknowledgement needs from the inbox: the insert, nothing else. */
export type WebhookInboxStore = Pick<WebhookInbox, 'store'>;

// SqlWebhookInbox.store for many deliveries in one statement (one commit, so one WAL flush for the
// batch). `existing` reads the snapshot from before the statement; a body repeated inside the batch
// finds its row in `ins`. Numbered parameters, so PostgreSQL keeps it prepared per connection.
const STORE_BATCH_STATEMENT = {
  name: 'palette_webhook_inbox_store_batch',
  text: `with input as (
     select * from unnest($1::uuid[], $2::char(64)[], $3::text[], $4::timestamptz[]) with ordinality as t(id, payload_sha256, raw_body, received_at, n)),
   ins as (
     insert into instagram_webhook_inbox (id, payload_sha256, raw_body, state, attempts, received_at)
     select id, payload_sha256, raw_body, 'received', 0, received_at from input order by n
     on conflict (payload_sha256) do nothing returning id, payload_sha256)
   select i.n, coalesce(ins.id, existing.id) as id, coalesce(ins.id = i.id, false) as inserted
   from input i left join ins on ins.payload_sha256 = i.payload_sha256
   left join instagram_webhook_inbox existing on existing.payload_sha256 = i.payload_sha256
   order by i.n`,
} as const;

/** The most deliveries one statement carries; more wait for the next one. */
const MAX_BATCH = 100;

interface PgClientLike { query(config: { name: string; text: string; values: unknown[] }): Promise<{ rows: Row[] }> }
interface KnexClientLike { readonly driverName?: string; acquireConnection(): Promise<unknown>; releaseConnection(connection: unknown): Promise<unknown> }
type StoreInput = Parameters<WebhookInbox['store']>[0];
type Stored = Awaited<ReturnType<WebhookInbox['store']>>;
interface Pending { readonly input: StoreInput; resolve(stored: Stored): void; reject(error: unknown): void }

/**
 * The inbox insert for the webhook acknowledgement, built once per process. On PostgreSQL it
 * borrows connections from the ORM's own pool (same size, same shutdown) and writes with one
 * prepared statement in autocommit, grouping the deliveries that arrive in the same event-loop
 * turn: the profile of the ack showed MikroORM and knex wrapping a single statement per request
 * (plus a fork per request), then a round trip and a commit per delivery. Each promise resolves
 * only once the statement holding its row has committed. Elsewhere (PGlite) it is the ORM store
 * over one fork kept for the process: every call is a single statement outside any transaction.
 */
export function createWebhookInboxStore(uow: UnitOfWork): WebhookInboxStore {
  if (!(uow instanceof MikroOrmSession)) throw new TypeError('createWebhookInboxStore needs the unit of work of createMikroOrmRepositories');
  const client = (uow.em.getConnection().getKnex() as unknown as { client: KnexClientLike }).client;
  if (client.driverName !== 'pg') return new SqlWebhookInbox(new MikroOrmSession(uow.em.fork() as MikroOrmSession['em']));

  const run = async (items: readonly StoreInput[]): Promise<Array<Stored | undefined>> => {
    const connection = (await client.acquireConnection()) as PgClientLike;
    try {
      const { rows } = await connection.query({
        ...STORE_BATCH_STATEMENT,
        values: [items.map((i) => i.id), items.map((i) => i.payloadSha256), items.map((i) => i.rawBody), items.map((i) => i.receivedAt)],
      });
      return items.map((_, k) => {
        const row = rows[k];
        return row && row.id !== null ? { id: String(row.id), duplicate: row.inserted !== true } : undefined;
      });
    } finally {
      // knex validates a connection before lending it again, so a broken one is dropped, not reused.
      await client.releaseConnection(connection);
    }
  };

  // A body stored by a concurrent, then uncommitted, statement is found by a later one.
  const storeOne = async (input: StoreInput): Promise<Stored> => {
    for (let attempt = 0; attempt < 3; attempt += 1) {
      const [stored] = await run([input]);
      if (stored) return stored;
    }
    throw new Error('instagram_webhook_inbox: the delivery was neither stored nor found');
  };

  const flush = async (batch: Pending[]): Promise<void> => {
    let results: Array<Stored | undefined>;
    try {
      results = await run(batch.map((p) => p.input));
    } catch (error) {
      // One bad body must not fail its neighbours: each is retried alone and answers for itself.
      if (batch.length === 1) { batch[0]!.reject(error); return; }
      results = batch.map(() => undefined);
    }
    await Promise.all(batch.map(async (p, k) => {
      const stored = results[k];
      if (stored) { p.resolve(stored); return; }
      try { p.resolve(await storeOne(p.input)); } catch (error) { p.reject(error); }
    }));
  };

  const queued: Pending[] = [];
  const drain = () => {
    while (queued.length > 0) void flush(queued.splice(0, MAX_BATCH));
  };
  return {
    store(input) {
      return new Promise<Stored>((resolve, reject) => {
        if (queued.length === 0) setImmediate(drain);
        queued.push({ input, resolve, reject });
      });
    },
  };
}

const recordOf = (r: Row): InstagramEventRecord => ({
  dedupeKey: r.dedupe_key, workspaceId: Ids.workspace(r.workspace_id), accountId: Ids.instagramAccount(r.account_id), kind: r.kind, mid: r.mid ?? null,
  occurredAt: new Date(r.occurred_at), data: typeof r.data === 'string' ? JSON.parse(r.data) : (r.data ?? {}), recordedAt: new Date(r.recorded_at),
});

/** Applied events, inside the use case's transaction so a key commits with its effects. */
export class SqlInstagramEventLog implements InstagramEventLog {
  constructor(private readonly s: MikroOrmSession) {}

  async record(e: InstagramEventRecord) {
    const rows = await this.s.execute<Row[]>(
      `insert into instagram_events (dedupe_key, workspace_id, account_id, kind, mid, occurred_at, data, recorded_at)
       values (?, ?, ?, ?, ?, ?, ?::jsonb, ?) on conflict (dedupe_key) do nothing returning dedupe_key`,
      [e.dedupeKey, e.workspaceId, e.accountId, e.kind, e.mid, e.occurredAt, JSON.stringify(e.data), e.recordedAt]);
    return rows.length > 0;
  }

  async listByMid(accountId: InstagramAccountId, mid: string) {
    const rows = await this.s.execute<Row[]>('select * from instagram_events where account_id = ? and mid = ? order by occurred_at, dedupe_key', [accountId, mid]);
    return rows.map(recordOf);
  }

  async listByKind(accountId: InstagramAccountId, kind: string, limit: number) {
    const rows = await this.s.execute<Row[]>('select * from instagram_events where account_id = ? and kind = ? order by occurred_at, dedupe_key limit ?', [accountId, kind, limit]);
    return rows.map(recordOf);
  }
}

export class SqlInstagramAccountAliases implements InstagramAccountAliases {
  constructor(private readonly s: MikroOrmSession) {}
  async remember(appScopedId: string, account: { workspaceId: WorkspaceId; accountId: InstagramAccountId }) {
    await this.s.execute(
      `insert into instagram_account_aliases (app_scoped_id, workspace_id, account_id) values (?, ?, ?)
       on conflict (app_scoped_id) do update set workspace_id = excluded.workspace_id, account_id = excluded.account_id`, [appScopedId, account.workspaceId, account.accountId], 'run');
  }
  async find(appScopedId: string) {
    const rows = await this.s.execute<Row[]>('select workspace_id, account_id from instagram_account_aliases where app_scoped_id = ?', [appScopedId]);
    return rows[0] ? { workspaceId: Ids.workspace(rows[0].workspace_id), accountId: Ids.instagramAccount(rows[0].account_id) } : null;
  }
}

const deletionOf = (r: Row): InstagramDeletionRequest => ({
  id: r.id, confirmationCode: r.confirmation_code, kind: r.kind, workspaceId: r.workspace_id ? Ids.workspace(r.workspace_id) : null,
  accountId: r.account_id ? Ids.instagramAccount(r.account_id) : null, status: r.status, requestedAt: new Date(r.requested_at), completedAt: r.completed_at ? new Date(r.completed_at) : null,
});

export class SqlInstagramDeletionRequests implements InstagramDeletionRequests {
  constructor(private readonly s: MikroOrmSession) {}
  async save(r: InstagramDeletionRequest) {
    await this.s.execute(
      `insert into instagram_deletion_requests (id, confirmation_code, kind, workspace_id, account_id, status, requested_at, completed_at) values (?, ?, ?, ?, ?, ?, ?, ?)
       on conflict (id) do update set status = excluded.status, completed_at = excluded.completed_at`,
      [r.id, r.confirmationCode, r.kind, r.workspaceId, r.accountId, r.status, r.requestedAt, r.completedAt], 'run');
  }
  async findByCode(code: string) {
    const rows = await this.s.execute<Row[]>('select * from instagram_deletion_requests where confirmation_code = ?', [code]);
    return rows[0] ? deletionOf(rows[0]) : null;
  }
  async markComplete(id: string, at: Date) {
    await this.s.execute("update instagram_deletion_requests set status = 'complete', completed_at = ? where id = ? and status <> 'complete'", [at, id], 'run');
  }
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const isUuid = (v: string) => UUID.test(v);

export interface InstagramWebhookStores {
  readonly inbox: WebhookInbox;
  readonly events: InstagramEventLog;
  readonly aliases: InstagramAccountAliases;
  readonly deletions: InstagramDeletionRequests;
}

/** The stores over the unit of work of a `createMikroOrmRepositories` set (events commit with the use case's changes). */
export function createSqlInstagramWebhookStores(uow: UnitOfWork): InstagramWebhookStores {
  if (!(uow instanceof MikroOrmSession)) throw new TypeError('createSqlInstagramWebhookStores needs the unit of work of createMikroOrmRepositories');
  return { inbox: new SqlWebhookInbox(uow), events: new SqlInstagramEventLog(uow), aliases: new SqlInstagramAccountAliases(uow), deletions: new SqlInstagramDeletionRequests(uow) };
}

/**
 * The `instagram.webhook` ordering key of a raw delivery: the merchant account and the customer
 * (sender, or recipient for the merchant's own echoes), so one thread's events run one at a time.
 * Comments have no thread yet and share one key per account.
 */
export function webhookOrderingKey(body: unknown): string {
  const entry = (body as { entry?: Array<Record<string, any>> } | null)?.entry?.[0];
  const account = typeof entry?.['id'] === 'string' || typeof entry?.['id'] === 'number' ? String(entry['id']) : 'unknown';
  const item = Array.isArray(entry?.['messaging']) ? entry['messaging'][0] : undefined;
  if (!item) return `ig:${account}:${Array.isArray(entry?.['changes']) ? 'changes' : 'unknown'}`;
  const sender = item?.sender?.id !== undefined ? String(item.sender.id) : null;
  const recipient = item?.recipient?.id !== undefined ? String(item.recipient.id) : null;
  const customer = sender === account || item?.message?.is_echo === true ? recipient : sender;
  return `ig:${account}:${customer ?? 'unknown'}`;
}
