import type { InstagramAccountId, WorkspaceId } from '../src/shared/ids.js';
import type {
  InstagramAccountAliases, InstagramDeletionRequest, InstagramDeletionRequests, InstagramEventLog, InstagramEventRecord, WebhookDelivery, WebhookDeliveryState, WebhookInbox,
} from '../src/instagram/webhook-inbox.js';
import type { InMemoryDatabase } from './database.js';

const INBOX = 'instagram_webhook_inbox';
const EVENTS = 'instagram_events';
const ALIASES = 'instagram_account_aliases';
const DELETIONS = 'instagram_deletion_requests';

type Row = WebhookDelivery;

/** The webhook inbox over the in-memory database; each call is its own write, as the SQL one is outside a transaction. */
export class InMemoryWebhookInbox implements WebhookInbox {
  constructor(private readonly db: InMemoryDatabase) {}

  // Each call is its own transaction: the inbox is written outside use cases, never inside one.
  store(input: { id: string; payloadSha256: string; rawBody: string; receivedAt: Date }) { return this.db.run(async () => this.storeNow(input)); }

  private storeNow(input: { id: string; payloadSha256: string; rawBody: string; receivedAt: Date }) {
    const same = this.db.scan<Row>(INBOX, (r) => r.payloadSha256 === input.payloadSha256)[0];
    if (same) return { id: same.id, duplicate: true };
    this.db.write(INBOX, input.id, { ...input, state: 'received', reason: null, attempts: 0, workspaceId: null, processedAt: null } satisfies Row);
    return { id: input.id, duplicate: false };
  }

  async get(id: string) { return this.db.read<Row>(INBOX, id); }

  recordAttempt(id: string) {
    return this.db.run(async () => {
      const r = this.db.read<Row>(INBOX, id);
      if (!r) return 0;
      this.db.write(INBOX, id, { ...r, attempts: r.attempts + 1 });
      return r.attempts + 1;
    });
  }

  markProcessed(id: string, at: Date, workspaceId: WorkspaceId | null) { return this.update(id, { state: 'processed', reason: null, processedAt: at, workspaceId }); }

  markQuarantined(id: string, reason: string, at: Date, workspaceId: WorkspaceId | null) { return this.update(id, { state: 'quarantined', reason, processedAt: at, workspaceId }); }

  requeue(id: string, workspaceId: WorkspaceId | null) {
    return this.db.run(async () => {
      const r = this.db.read<Row>(INBOX, id);
      if (!r || r.state !== 'quarantined' || (workspaceId !== null && r.workspaceId !== workspaceId)) return false;
      this.db.write(INBOX, id, { ...r, state: 'received' as const });
      return true;
    });
  }

  async listReceivedBefore(cutoff: Date, limit: number) {
    return this.db.scan<Row>(INBOX, (r) => r.state === 'received' && r.receivedAt.getTime() <= cutoff.getTime()).sort((a, b) => a.receivedAt.getTime() - b.receivedAt.getTime()).slice(0, limit);
  }

  async listQuarantined(workspaceId: WorkspaceId | null, limit: number) {
    return this.db.scan<Row>(INBOX, (r) => r.state === 'quarantined' && (workspaceId === null || r.workspaceId === workspaceId)).sort((a, b) => a.receivedAt.getTime() - b.receivedAt.getTime()).slice(0, limit);
  }

  async countByState() {
    const counts: Record<WebhookDeliveryState, number> = { received: 0, processed: 0, quarantined: 0 };
    for (const r of this.db.scan<Row>(INBOX)) counts[r.state] += 1;
    return counts;
  }

  deleteProcessedBefore(cutoff: Date, limit: number) {
    return this.db.run(async () => {
      const old = this.db.scan<Row>(INBOX, (r) => r.state === 'processed' && r.processedAt !== null && r.processedAt.getTime() <= cutoff.getTime()).slice(0, limit);
      for (const r of old) this.db.remove(INBOX, r.id);
      return old.length;
    });
  }

  private update(id: string, patch: Partial<Row>): Promise<void> {
    return this.db.run(async () => {
      const r = this.db.read<Row>(INBOX, id);
      // A delivery keeps the workspace it was attributed to, as the SQL adapter's coalesce does.
      if (r) this.db.write(INBOX, id, { ...r, ...patch, workspaceId: patch.workspaceId ?? r.workspaceId });
    });
  }
}

const byTime = (a: InstagramEventRecord, b: InstagramEventRecord) => a.occurredAt.getTime() - b.occurredAt.getTime() || (a.dedupeKey < b.dedupeKey ? -1 : a.dedupeKey > b.dedupeKey ? 1 : 0);

/** Oldest first, then by key, as the SQL adapter orders. */
export class InMemoryInstagramEventLog implements InstagramEventLog {
  constructor(private readonly db: InMemoryDatabase) {}

  async record(entry: InstagramEventRecord) {
    if (this.db.read(EVENTS, entry.dedupeKey)) return false;
    this.db.write(EVENTS, entry.dedupeKey, { ...entry, data: { ...entry.data } });
    return true;
  }

  async listByMid(accountId: InstagramAccountId, mid: string) {
    return this.db.scan<InstagramEventRecord>(EVENTS, (r) => r.accountId === accountId && r.mid === mid).sort(byTime);
  }

  async listByKind(accountId: InstagramAccountId, kind: string, limit: number) {
    return this.db.scan<InstagramEventRecord>(EVENTS, (r) => r.accountId === accountId && r.kind === kind).sort(byTime).slice(0, limit);
  }
}

export class InMemoryInstagramAccountAliases implements InstagramAccountAliases {
  constructor(private readonly db: InMemoryDatabase) {}
  async remember(appScopedId: string, account: { workspaceId: WorkspaceId; accountId: InstagramAccountId }) { this.db.write(ALIASES, appScopedId, { ...account }); }
  async find(appScopedId: string) { return this.db.read<{ workspaceId: WorkspaceId; accountId: InstagramAccountId }>(ALIASES, appScopedId); }
}

export class InMemoryInstagramDeletionRequests implements InstagramDeletionRequests {
  constructor(private readonly db: InMemoryDatabase) {}
  async save(request: InstagramDeletionRequest) { this.db.write(DELETIONS, request.id, request); }
  async findByCode(code: string) { return this.db.scan<InstagramDeletionRequest>(DELETIONS, (r) => r.confirmationCode === code)[0] ?? null; }
  async markComplete(id: string, at: Date) {
    const r = this.db.read<InstagramDeletionRequest>(DELETIONS, id);
    if (r && r.status !== 'complete') this.db.write(DELETIONS, id, { ...r, status: 'complete', completedAt: at });
  }
}
