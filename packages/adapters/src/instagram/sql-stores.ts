import { createHash } from 'node:crypto';
import { Ids } from '@palette/domain';
import type { ContactDeliveryFlags, ContactId, InstagramAccountId, InstagramAccountQueries, MessageId, OutboundMessageQueries, WorkspaceId } from '@palette/domain';
import type { SqlRows } from './rate-limiter.js';

const sha256 = (s: string): string => createHash('sha256').update(s).digest('hex');
const date = (v: unknown): Date => (v instanceof Date ? v : new Date(String(v)));

export type OAuthStateCheck =
  | { readonly ok: true; readonly workspaceId: WorkspaceId }
  | { readonly ok: false; readonly reason: 'unknown' | 'used' | 'expired' | 'other_session' };

/**
 * OAuth `state` values: random, single use, short-lived, bound to the session and workspace that
 * started the flow. Only a hash is stored: a database reader cannot complete someone's flow.
 */
export class SqlOAuthStates {
  constructor(private readonly sql: SqlRows) {}

  async create(input: { state: string; workspaceId: string; userId: string; sessionHash: string; now: Date; ttlMs: number }): Promise<void> {
    await this.sql(
      `insert into instagram_oauth_states (state_hash, workspace_id, user_id, session_hash, created_at, expires_at) values (?, ?, ?, ?, ?::timestamptz, ?::timestamptz)`,
      [sha256(input.state), input.workspaceId, input.userId, input.sessionHash, input.now.toISOString(), new Date(input.now.getTime() + input.ttlMs).toISOString()],
    );
    // Abandoned flows leave rows behind; they are worthless after expiry.
    await this.sql(`delete from instagram_oauth_states where expires_at < ?::timestamptz`, [new Date(input.now.getTime() - 24 * 3600_000).toISOString()]);
  }

  /**
   * Spends the state in one statement (a second use finds it spent), then says why it is refused
   * if it is. A state presented from another session is spent too: it was exposed.
   */
  async consume(input: { state: string; sessionHash: string; now: Date }): Promise<OAuthStateCheck> {
    // Only the first caller's update matches `used_at is null`: single use, even concurrently.
    const rows = await this.sql(
      `update instagram_oauth_states set used_at = ?::timestamptz where state_hash = ? and used_at is null
       returning workspace_id, session_hash, expires_at`,
      [input.now.toISOString(), sha256(input.state)],
    );
    const row = rows[0];
    if (!row) {
      const known = await this.sql(`select 1 as known from instagram_oauth_states where state_hash = ?`, [sha256(input.state)]);
      return { ok: false, reason: known.length > 0 ? 'used' : 'unknown' };
    }
    if (date(row['expires_at']).getTime() <= input.now.getTime()) return { ok: false, reason: 'expired' };
    if (row['session_hash'] !== input.sessionHash) return { ok: false, reason: 'other_session' };
    return { ok: true, workspaceId: Ids.workspace(String(row['workspace_id'])) };
  }
}

export class SqlInstagramAccountQueries implements InstagramAccountQueries {
  constructor(private readonly sql: SqlRows) {}

  async listTokensExpiringBefore(before: Date, limit: number) {
    const rows = await this.sql(
      `select workspace_id, id from instagram_accounts where status = 'connected' and token_expires_at < ?::timestamptz order by token_expires_at, id limit ?`,
      [before.toISOString(), limit],
    );
    return rows.map((r) => ({ workspaceId: Ids.workspace(String(r['workspace_id'])), accountId: Ids.instagramAccount(String(r['id'])) }));
  }

  async listConnected(limit: number) {
    const rows = await this.sql(`select workspace_id, id, ig_user_id from instagram_accounts where status = 'connected' order by id limit ?`, [limit]);
    return rows.map((r) => ({ workspaceId: Ids.workspace(String(r['workspace_id'])), accountId: Ids.instagramAccount(String(r['id'])), igUserId: String(r['ig_user_id']) }));
  }
}

export class SqlOutboundMessageQueries implements OutboundMessageQueries {
  constructor(private readonly sql: SqlRows) {}

  async listHeld(workspaceId: WorkspaceId, accountId: InstagramAccountId, limit: number): Promise<MessageId[]> {
    const rows = await this.sql(
      `select id from messages where workspace_id = ? and account_id = ? and direction = 'outbound' and delivery_state = 'held' order by created_at, id limit ?`,
      [workspaceId, accountId, limit],
    );
    return rows.map((r) => Ids.message(String(r['id'])));
  }

  async listStalled(olderThan: Date, limit: number) {
    const rows = await this.sql(
      `select workspace_id, id, conversation_id from messages
        where direction = 'outbound' and delivery_state in ('pending', 'sending') and created_at < ?::timestamptz
        order by created_at, id limit ?`,
      [olderThan.toISOString(), limit],
    );
    return rows.map((r) => ({ workspaceId: Ids.workspace(String(r['workspace_id'])), messageId: Ids.message(String(r['id'])), conversationId: String(r['conversation_id']) }));
  }
}

export class SqlContactDeliveryFlags implements ContactDeliveryFlags {
  constructor(private readonly sql: SqlRows) {}

  async flagUnavailable(input: { workspaceId: WorkspaceId; contactId: ContactId; at: Date }): Promise<void> {
    await this.sql(
      `insert into instagram_contact_flags (contact_id, workspace_id, reason, flagged_at) values (?, ?, 'recipient_unavailable', ?::timestamptz)
       on conflict (contact_id) do update set flagged_at = greatest(instagram_contact_flags.flagged_at, excluded.flagged_at)`,
      [input.contactId, input.workspaceId, input.at.toISOString()],
    );
  }

  async unavailableSince(workspaceId: WorkspaceId, contactId: ContactId): Promise<Date | null> {
    const rows = await this.sql(`select flagged_at from instagram_contact_flags where workspace_id = ? and contact_id = ?`, [workspaceId, contactId]);
    return rows[0] ? date(rows[0]['flagged_at']) : null;
  }
}

/** The shape MikroORM's connection and unit of work offer (`execute(sql, params, 'all')`). */
export function sqlRowsOf(target: { execute(sql: string, params?: unknown[], method?: 'all' | 'run' | 'get'): Promise<unknown> }): SqlRows {
  return async (sql, params) => (await target.execute(sql, [...params], 'all')) as Array<Record<string, unknown>>;
}
