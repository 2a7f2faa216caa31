import { z } from 'zod';
import { Ids, ReceiveInboundMessage, outboundSendJob, readAccountToken, type JobQueue, type OutboundMessageQueries } from '@palette/domain';
import { sqlRowsOf, SqlInstagramAccountQueries } from '@palette/adapters/instagram';
import type { JobHandler } from '@palette/adapters/queue';
import type { InstagramWorkerDeps } from './outbound-send.js';

export interface BackfillReport {
  readonly conversations: number;
  /** Customer messages Instagram holds that we had not stored, now stored. */
  readonly backfilled: number;
}

/**
 * Compares an account's recent threads on Instagram (Conversations API, within its 2 calls/s) with
 * what we stored, and stores the customer messages that never arrived by webhook. Idempotent: a
 * message already stored (same mid) is skipped. It never asks the assistant to answer: old
 * messages are history, not new questions.
 */
export async function backfillAccount(
  deps: Pick<InstagramWorkerDeps, 'repositories' | 'cipher' | 'instagram' | 'clock' | 'ids'>,
  input: { workspaceId: string; accountId: string; maxConversations?: number },
): Promise<BackfillReport> {
  const repos = deps.repositories();
  const account = await repos.accounts.get(Ids.workspace(input.workspaceId), Ids.instagramAccount(input.accountId));
  if (!account || account.status !== 'connected') return { conversations: 0, backfilled: 0 };
  const token = await readAccountToken({ secrets: repos.secrets, cipher: deps.cipher }, account);
  if (!token) return { conversations: 0, backfilled: 0 };
  const api = deps.instagram.conversations;
  const threads = await api.listConversations(token, account.igUserId, { limit: input.maxConversations ?? 25 });
  if (!threads.ok) {
    if (threads.error.kind === 'TokenInvalid') return { conversations: 0, backfilled: 0 };
    throw new Error(`Conversations API: ${threads.error.kind}`);
  }
  const receive = new ReceiveInboundMessage({ ...repos, clock: deps.clock, ids: deps.ids });
  let backfilled = 0;
  for (const thread of threads.value.items) {
    const page = await api.messages(token, account.igUserId, thread.id, { limit: 20 });
    if (!page.ok) throw new Error(`Conversations API (messages): ${page.error.kind}`);
    // Oldest first, so the thread's window timestamps move forward in order.
    for (const m of [...page.value.items].sort((a, b) => a.createdTime.getTime() - b.createdTime.getTime())) {
      if (!m.from || m.from.id === account.igUserId) continue;
      if (await repos.messages.findByPlatformId(account.id, m.id)) continue;
      const r = await receive.execute({
        igUserId: account.igUserId, senderIgsid: m.from.id, platformMessageId: m.id, text: m.text, attachments: [], replyTo: null, sentAt: m.createdTime, entryPoint: 'organic_dm',
      });
      if (r.ok && !r.value.duplicate) backfilled++;
    }
  }
  return { conversations: threads.value.items.length, backfilled };
}

const Payload = z.object({ workspaceId: z.uuid().optional(), accountId: z.uuid().optional() }).strip();

/** Outbound messages untouched this long are considered stalled (their job was lost or dead-lettered). */
const STALLED_AFTER_MS = 2 * 60_000;

/**
 * `instagram.delivery-gap-check` (every 15 minutes, or for one account on demand): backfills what
 * webhooks missed for each connected account and reports the count; also re-enqueues outbound
 * messages left `pending`/`sending` (a crash between commit and enqueue, a dead-lettered attempt),
 * which the send job then sends or reconciles.
 */
export function deliveryGapHandler(deps: Pick<InstagramWorkerDeps, 'orm' | 'repositories' | 'cipher' | 'instagram' | 'clock' | 'ids' | 'log'> & { jobs: () => JobQueue; queries: OutboundMessageQueries }): JobHandler {
  return async (job) => {
    const data = Payload.parse(job.data ?? {});
    const accounts = data.workspaceId && data.accountId
      ? [{ workspaceId: data.workspaceId, accountId: data.accountId }]
      : await new SqlInstagramAccountQueries(sqlRowsOf(deps.orm.em.fork())).listConnected(500);
    let backfilled = 0;
    let failures = 0;
    for (const a of accounts) {
      try {
        const r = await backfillAccount(deps, a);
        backfilled += r.backfilled;
        if (r.backfilled > 0) deps.log.warn({ accountId: a.accountId, backfilled: r.backfilled }, 'delivery gap: messages missing from webhooks were backfilled');
      } catch (error) {
        failures++;
        deps.log.error({ err: error, accountId: a.accountId }, 'delivery gap check failed for an account');
      }
    }
    const now = deps.clock.now();
    const stalled = await deps.queries.listStalled(new Date(now.getTime() - STALLED_AFTER_MS), 500);
    for (const s of stalled) {
      await deps.jobs().enqueue(outboundSendJob(s.workspaceId, { id: s.messageId, conversationId: Ids.conversation(s.conversationId) }, null, `sweep:${Math.floor(now.getTime() / STALLED_AFTER_MS)}`));
    }
    deps.log.info({ accounts: accounts.length, backfilled, failures, stalledSends: stalled.length }, 'delivery gap check');
  };
}
