import { z } from 'zod';
import {
  CatalogForAssistant, CatalogQueries, DraftOrder, Ids, OrderDeskForAssistant, QueueOutboundMessage, RespondToCustomer, SendCommentPrivateReply,
  type AssistantRecords, type Clock, type IdGenerator, type JobQueue, type Repositories, type TokenCipher,
} from '@palette/domain';
import { createSqlAssistantRecords } from '@palette/adapters/persistence';
import { SettingsEngineResolver, type LlmConfig } from '@palette/adapters/llm';
import { PALETTE_QUEUES, PermanentJobError, type JobHandler, type JobRegistry } from '@palette/adapters/queue';

/** The `assistant.reply` payload the inbound processing enqueues after a customer message. */
export const AssistantReplyPayload = z.object({ workspaceId: z.uuid(), conversationId: z.uuid(), messageId: z.uuid() }).strip();

/**
 * Answers one inbound message through RespondToCustomer, resolved per job (its own unit of work).
 * The use case never throws for model failures (it falls back and hands off); what throws here is
 * infrastructure, which the queue retries. A retried job is a no-op once the audit record exists.
 */
export function assistantReplyHandler(resolve: () => RespondToCustomer, log?: (fields: Record<string, unknown>) => void): JobHandler {
  return async (job) => {
    const parsed = AssistantReplyPayload.safeParse(job.data);
    if (!parsed.success) throw new PermanentJobError(`Invalid assistant.reply payload: ${parsed.error.issues.map((i) => i.path.join('.') || '(root)').join(', ')}`);
    const outcome = await resolve().execute({
      workspaceId: Ids.workspace(parsed.data.workspaceId), conversationId: Ids.conversation(parsed.data.conversationId), messageId: Ids.message(parsed.data.messageId),
    });
    log?.({ kind: outcome.kind, reason: outcome.reason ?? null });
  };
}

export interface AssistantWorkerDeps {
  /** A fresh unit of work per call. */
  readonly repositories: () => Repositories;
  readonly clock: Clock;
  readonly ids: IdGenerator;
  readonly jobs: () => JobQueue;
  /** Process-wide defaults (LLM_*); `offline` when nothing is configured. */
  readonly llm: LlmConfig;
  /** Decrypts a workspace's stored API key; null: a stored key is an engine error (→ fallback). */
  readonly cipher: TokenCipher | null;
  /** The records over a set of repositories; defaults to the SQL records of a MikroORM set. */
  readonly records?: (repos: Repositories) => AssistantRecords;
}

const sqlRecords = (repos: Repositories): AssistantRecords => createSqlAssistantRecords(repos.uow);

/** RespondToCustomer over one unit of work: SQL records, the live catalog and orders, the send gate. */
export function respondToCustomerFactory(deps: AssistantWorkerDeps): () => RespondToCustomer {
  const recordsOf = deps.records ?? sqlRecords;
  return () => {
    const repos = deps.repositories();
    const records = recordsOf(repos);
    const { clock, ids } = deps;
    return new RespondToCustomer({
      ...repos, aiAudit: records, assistantSettings: records, automations: records,
      catalog: new CatalogForAssistant(new CatalogQueries(repos)),
      orderDesk: new OrderDeskForAssistant({ orders: repos.orders, draft: new DraftOrder({ ...repos, clock, ids }) }),
      engines: new SettingsEngineResolver({ settings: () => records, secrets: () => repos.secrets, cipher: deps.cipher, defaults: deps.llm }),
      outbound: new QueueOutboundMessage({ ...repos, jobs: deps.jobs(), clock, ids }),
      clock, ids,
    });
  };
}

/**
 * Comment-to-DM over one unit of work. The webhook processing calls it for each `comment` event
 * (after the event is recorded); it claims the comment once and enqueues the private reply.
 */
export function commentPrivateReplyFactory(deps: Omit<AssistantWorkerDeps, 'llm' | 'cipher'>): () => SendCommentPrivateReply {
  const recordsOf = deps.records ?? sqlRecords;
  return () => {
    const repos = deps.repositories();
    const records = recordsOf(repos);
    return new SendCommentPrivateReply({ accounts: repos.accounts, automations: records, ledger: records, jobs: deps.jobs(), uow: repos.uow, clock: deps.clock });
  };
}

/** Registers `assistant.reply` when the registry has the queue. */
export function registerAssistantHandlers(registry: JobRegistry, deps: AssistantWorkerDeps, log?: (fields: Record<string, unknown>) => void): void {
  if (registry.queue(PALETTE_QUEUES.assistantReply.name)) {
    registry.handle(PALETTE_QUEUES.assistantReply.name, assistantReplyHandler(respondToCustomerFactory(deps), log));
  }
}
