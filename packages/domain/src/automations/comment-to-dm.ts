import type { Clock, UnitOfWork } from '../shared/ports.js';
import type { JobQueue } from '../shared/jobs.js';
import type { InstagramAccountId, WorkspaceId } from '../shared/ids.js';
import type { InstagramAccountRepository } from '../instagram/ports.js';
import { decideCommentAutomation } from './rules.js';
import type { AutomationRuleRepository, PrivateReplyLedger } from './ports.js';

/** The job that sends one private reply through the Send API (`recipient: { comment_id }`). */
export const PRIVATE_REPLY_JOB = 'instagram.private_reply';

export interface CommentEvent {
  readonly igUserId: string;
  readonly commentId: string;
  /** The commenter; our own account's comments come back as events too. */
  readonly fromId: string | null;
  readonly text: string;
  readonly mediaId: string | null;
  readonly at: Date;
}

export type CommentToDmOutcome =
  | { readonly kind: 'queued'; readonly ruleId: string; readonly workspaceId: WorkspaceId; readonly accountId: InstagramAccountId }
  | { readonly kind: 'skipped'; readonly reason: 'unknown_account' | 'account_cannot_send' | 'echo' | 'no_rule' | 'private_reply_already_sent' | 'private_reply_window_closed' | string };

/**
 * Comment-to-DM: a comment matching a rule on its post gets exactly one private reply, within the
 * 7-day private-reply window. The claim (one row per comment) is committed before the send job is
 * enqueued, so a redelivered or replayed comment event can never send a second reply; a crash
 * between the two loses that reply rather than risking a duplicate, which Instagram refuses anyway.
 */
export class SendCommentPrivateReply {
  constructor(private readonly deps: {
    accounts: InstagramAccountRepository; automations: AutomationRuleRepository; ledger: PrivateReplyLedger; jobs: JobQueue; uow: UnitOfWork; clock: Clock;
  }) {}

  async execute(comment: CommentEvent): Promise<CommentToDmOutcome> {
    const { accounts, automations, ledger, jobs, uow, clock } = this.deps;
    const account = await accounts.findByIgUserId(comment.igUserId);
    if (!account) return { kind: 'skipped', reason: 'unknown_account' };
    if (!account.canSend().ok) return { kind: 'skipped', reason: 'account_cannot_send' };
    const decided = await uow.run(async () => {
      const now = clock.now();
      const decision = decideCommentAutomation({
        rules: await automations.listRules(account.workspaceId),
        comment: { postId: comment.mediaId ?? '', text: comment.text, createdAt: comment.at, fromOwnAccount: comment.fromId === null || comment.fromId === account.igUserId },
        alreadyReplied: await ledger.hasPrivateReply(account.workspaceId, account.id, comment.commentId),
        now,
      });
      if ('skipped' in decision) return decision;
      const claimed = await ledger.claimPrivateReply({ workspaceId: account.workspaceId, accountId: account.id, commentId: comment.commentId, ruleId: decision.rule.id, at: now });
      return claimed ? decision : { skipped: 'private_reply_already_sent' };
    });
    if ('skipped' in decided) return { kind: 'skipped', reason: decided.skipped };
    await jobs.enqueue({
      name: PRIVATE_REPLY_JOB, data: { workspaceId: account.workspaceId, accountId: account.id, commentId: comment.commentId, text: decided.text, commentAt: comment.at.toISOString(), fromId: comment.fromId },
      orderingKey: `account:${account.id}`, dedupeKey: `private-reply:${account.id}:${comment.commentId}`,
    });
    return { kind: 'queued', ruleId: decided.rule.id, workspaceId: account.workspaceId, accountId: account.id };
  }
}
