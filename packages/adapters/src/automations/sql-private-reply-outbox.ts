import {
  Ids,
  type InstagramAccountId, type PrivateReplyOutbox, type PrivateReplyRecord, type PrivateReplyState, type UnitOfWork, type WorkspaceId,
} from '@palette/domain';
import { MikroOrmSession } from '../persistence/mikro-orm-repositories.js';

/* eslint-disable @typescript-eslint/no-explicit-any */
type Row = Record<string, any>;

/** The comment-to-DM claim rows (automation_private_replies) as the delivery's state machine. */
export class SqlPrivateReplyOutbox implements PrivateReplyOutbox {
  constructor(private readonly s: MikroOrmSession) {}

  async get(ws: WorkspaceId, accountId: InstagramAccountId, commentId: string): Promise<PrivateReplyRecord | null> {
    const rows = await this.s.execute<Row[]>(
      `select workspace_id, account_id, comment_id, state, reason, platform_message_id from automation_private_replies where workspace_id = ? and account_id = ? and comment_id = ?`,
      [ws, accountId, commentId]);
    const r = rows[0];
    return r ? {
      workspaceId: Ids.workspace(r.workspace_id), accountId: Ids.instagramAccount(r.account_id), commentId: r.comment_id,
      state: r.state as PrivateReplyState, reason: r.reason ?? null, platformMessageId: r.platform_message_id ?? null,
    } : null;
  }

  async transition(
    key: { workspaceId: WorkspaceId; accountId: InstagramAccountId; commentId: string },
    from: PrivateReplyState,
    to: { state: PrivateReplyState; reason?: string | null; platformMessageId?: string | null; at: Date },
  ): Promise<boolean> {
    const rows = await this.s.execute<Row[]>(
      `update automation_private_replies set state = ?, reason = ?, platform_message_id = coalesce(?, platform_message_id), updated_at = ?
       where workspace_id = ? and account_id = ? and comment_id = ? and state = ? returning comment_id`,
      [to.state, to.reason ?? null, to.platformMessageId ?? null, to.at, key.workspaceId, key.accountId, key.commentId, from]);
    return rows.length > 0;
  }
}

export function createSqlPrivateReplyOutbox(uow: UnitOfWork): SqlPrivateReplyOutbox {
  if (!(uow instanceof MikroOrmSession)) throw new TypeError('createSqlPrivateReplyOutbox needs the unit of work of createMikroOrmRepositories');
  return new SqlPrivateReplyOutbox(uow);
}
