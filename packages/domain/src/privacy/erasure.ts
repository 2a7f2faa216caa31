import type { Clock, IdGenerator, UnitOfWork } from '../shared/ports.js';
import { Ids, type ContactId, type DataSubjectRequestId, type InstagramAccountId, type UserId, type WorkspaceId } from '../shared/ids.js';
import type { ContactRepository } from '../contacts/ports.js';
import type { MembershipRepository, SessionRepository, UserRepository } from '../accounts/ports.js';
import type { InstagramAccountRepository, SecretRepository } from '../instagram/ports.js';
import type { AuditLog, RequestLog } from '../audit/ports.js';
import type { AuditActor } from '../audit/audit-entry.js';
import type { InstagramDeletionRequests } from '../instagram/webhook-inbox.js';
import type { ContactFactsRepository } from '../reports/ports.js';
import { err, ok, type Result } from '../shared/result.js';
import { DataSubjectRequest } from './data-subject-request.js';
import type { DataSubjectRequestRepository, Digest, ReceiptRepository } from './ports.js';
import type { AiDecisionRecords, ErasureStore } from './privacy-store.js';
import type { PrivacyReceipt } from './receipt.js';
import { buildReceipt, RemovalTally } from './retention-sweep.js';

export const ERASURE_POLICY = 'erasure/v1 dms,attachments,reactions,ai_records,profile=deleted orders=anonymized';
export const REVOCATION_POLICY = 'revocation/v1 dms,attachments,reactions,ai_records,profile=deleted orders=kept contact=anonymized-if-ordered';
export const WORKSPACE_DELETION_POLICY = 'workspace-deletion/v1 tokens=destroyed everything=deleted receipt=instance-wide';
export const USER_ERASURE_POLICY = 'user-erasure/v1 profile,preferences,sessions,reset_tokens,mail=deleted memberships=removed audit=pseudonymous';

type Deps = {
  store: ErasureStore; ai: AiDecisionRecords; contacts: ContactRepository; requests: DataSubjectRequestRepository; receipts: ReceiptRepository;
  audit: AuditLog; uow: UnitOfWork; clock: Clock; ids: IdGenerator; digest: Digest;
};

export type ErasureError = { readonly kind: 'NotFound'; readonly entity: 'contact' | 'user' };

/**
 * Art. 17 for a merchant's contact: DMs, attachments metadata, reactions, AI records and profile
 * go at once; orders stay for the merchant's books but lose every identifying field. The contact's
 * Instagram id goes too, so a later message from them starts a fresh contact. One transaction.
 */
export class EraseContact {
  /**
   * `contactFacts`: the reports' pseudonymous per-day facts (keyed by a hash of the contact id).
   * Erasure removes them too, so new/returning-customer counts may drop; the retention sweep does
   * not (once the contact row is gone nothing holds the id the key is computed from).
   */
  constructor(private readonly deps: Deps & { contactFacts?: ContactFactsRepository }) {}

  async execute(cmd: { workspaceId: WorkspaceId; contactId: ContactId; actor: AuditActor; requestId?: string | null }): Promise<Result<{ receipt: PrivacyReceipt; requestId: DataSubjectRequestId }, ErasureError>> {
    const { store, ai, contacts, requests, receipts, audit, uow, clock, ids, digest } = this.deps;
    return uow.run(async () => {
      const contact = await contacts.get(cmd.workspaceId, cmd.contactId);
      if (!contact) return err({ kind: 'NotFound', entity: 'contact' } as const);
      const now = clock.now();
      const request = DataSubjectRequest.receive({
        id: Ids.dataSubjectRequest(ids.next()), workspaceId: cmd.workspaceId, subject: { kind: 'contact', contactId: cmd.contactId }, type: 'erasure',
        requestedBy: cmd.actor.kind === 'user' ? Ids.user(cmd.actor.id) : null, now,
      });
      const tally = new RemovalTally();
      tally.add({ ai_records: await ai.deleteForContact(cmd.workspaceId, cmd.contactId) });
      tally.add(await store.eraseContact(cmd.workspaceId, cmd.contactId, now));
      const facts = (await this.deps.contactFacts?.forgetContact(cmd.workspaceId, cmd.contactId)) ?? 0;
      // The facts table has no row ids: one `contact/n` entry per row, verifiable by whoever holds the contact id.
      tally.add({ report_contact_facts: Array.from({ length: facts }, (_, i) => `${cmd.contactId}/${i + 1}`) });
      const receipt = buildReceipt({ id: ids.next(), workspaceId: cmd.workspaceId, kind: 'erasure', policy: ERASURE_POLICY, tally, digest, now });
      await receipts.save(receipt);
      request.complete(now, 'Conversations, messages, AI records and profile deleted; orders anonymised.', receipt.id);
      await requests.save(request);
      await audit.append({
        id: Ids.auditEntry(ids.next()), workspaceId: cmd.workspaceId, actor: cmd.actor, action: 'contact.erased', target: { type: 'contact', id: cmd.contactId },
        at: now, requestId: cmd.requestId ?? null, details: { receiptId: receipt.id, ...tally.counts() },
      });
      return ok({ receipt, requestId: request.id });
    });
  }
}

/**
 * The job behind Meta's deauthorize and data-deletion callbacks: every contact of the account
 * loses its DMs and profile (contacts with orders keep only the random id the orders point at).
 * Batches commit one by one; the request is completed and the receipt written in the last one, so
 * a rerun after a crash resumes, and a rerun after completion changes nothing.
 */
export class RunRevocationDeletion {
  /** `deletions`: Meta's deletion requests (their status page); the request id may also name a DataSubjectRequest. */
  constructor(private readonly deps: Deps & { deletions?: Pick<InstagramDeletionRequests, 'markComplete'> }) {}

  async execute(cmd: { workspaceId: WorkspaceId; accountId: InstagramAccountId; requestId: string | null; batchSize?: number }): Promise<{ receipt: PrivacyReceipt | null; contacts: number }> {
    const { store, ai, requests, receipts, audit, uow, clock, ids, digest, deletions } = this.deps;
    const requestId = cmd.requestId === null ? null : Ids.dataSubjectRequest(cmd.requestId);
    const existing = requestId ? await uow.run(() => requests.get(cmd.workspaceId, requestId)) : null;
    if (existing?.status === 'completed') return { receipt: null, contacts: 0 };
    const batch = cmd.batchSize ?? 200;
    const tally = new RemovalTally();
    let contacts = 0;
    for (;;) {
      const step = await uow.run(async () => {
        const result = await store.eraseAccountContacts(cmd.workspaceId, cmd.accountId, clock.now(), batch);
        const conversations = (result.removed.conversations ?? []) as string[];
        const aiIds = conversations.length ? await ai.deleteForConversations(cmd.workspaceId, conversations.map(Ids.conversation)) : [];
        // Report facts are pseudonymous day counts: kept, like the retention sweep keeps them, so past
        // reports stay identical (docs/privacy.md). Only an explicit erasure forgets them.
        return { ...result, removed: { ...result.removed, ai_records: aiIds } };
      });
      tally.add(step.removed);
      contacts += step.contacts;
      if (step.contacts < batch) break;
    }
    const receipt = await uow.run(async () => {
      const now = clock.now();
      const r = buildReceipt({ id: ids.next(), workspaceId: cmd.workspaceId, kind: 'revocation', policy: REVOCATION_POLICY, tally, digest, now });
      await receipts.save(r);
      if (cmd.requestId !== null) await deletions?.markComplete(cmd.requestId, now);
      const request = requestId ? await requests.get(cmd.workspaceId, requestId) : null;
      if (request && request.status !== 'completed') {
        request.complete(now, 'Instagram messages and profiles of this account deleted.', r.id);
        await requests.save(request);
      }
      await audit.append({
        id: Ids.auditEntry(ids.next()), workspaceId: cmd.workspaceId, actor: { kind: 'meta' }, action: 'instagram.data_deleted', target: { type: 'instagram_account', id: cmd.accountId },
        at: now, requestId: null, details: { receiptId: r.id, contacts, ...tally.counts() },
      });
      return r;
    });
    return { receipt, contacts };
  }
}

/**
 * Self-serve erasure of a user: the row stays (memberships and audit entries point at it) without
 * anything identifying; sessions are ended and deleted, reset tokens and mail to them deleted.
 * An owner who is the workspace's only owner must hand over or delete the workspace first.
 */
export class EraseUser {
  constructor(private readonly deps: {
    users: UserRepository; memberships: MembershipRepository; sessions: SessionRepository; store: ErasureStore; requests: DataSubjectRequestRepository;
    receipts: ReceiptRepository; audit: AuditLog; uow: UnitOfWork; clock: Clock; ids: IdGenerator; digest: Digest; requestLog?: RequestLog;
  }) {}

  async execute(cmd: { userId: UserId; requestId?: string | null }): Promise<Result<{ receipt: PrivacyReceipt }, ErasureError | { readonly kind: 'SoleOwner'; readonly workspaceIds: readonly WorkspaceId[] }>> {
    const { users, memberships, store, requests, receipts, audit, uow, clock, ids, digest } = this.deps;
    return uow.run(async () => {
      const user = await users.get(cmd.userId);
      if (!user || user.erasedAt !== null) return err({ kind: 'NotFound', entity: 'user' } as const);
      const mine = await memberships.listByUser(cmd.userId);
      const soleOwnerOf: WorkspaceId[] = [];
      for (const m of mine) {
        if (m.role !== 'owner') continue;
        const owners = (await memberships.listByWorkspace(m.workspaceId)).filter((x) => x.role === 'owner');
        if (owners.length === 1) soleOwnerOf.push(m.workspaceId);
      }
      if (soleOwnerOf.length > 0) return err({ kind: 'SoleOwner', workspaceIds: soleOwnerOf } as const);
      const now = clock.now();
      const tally = new RemovalTally();
      tally.add(await store.eraseUserRecords(cmd.userId, user.email));
      if (this.deps.requestLog) tally.add({ api_request_logs: await this.deps.requestLog.deleteForUser(cmd.userId) });
      for (const m of mine) await memberships.remove(m);
      tally.add({ memberships: mine.map((m) => m.id) });
      user.erase(now, ids.next());
      await users.save(user);
      const receipt = buildReceipt({ id: ids.next(), workspaceId: null, kind: 'erasure', policy: USER_ERASURE_POLICY, tally, digest, now });
      await receipts.save(receipt);
      const request = DataSubjectRequest.receive({
        id: Ids.dataSubjectRequest(ids.next()), workspaceId: null, subject: { kind: 'user', userId: cmd.userId }, type: 'erasure', requestedBy: cmd.userId, now,
      });
      request.complete(now, 'Account erased.', receipt.id);
      await requests.save(request);
      await audit.append({
        id: Ids.auditEntry(ids.next()), workspaceId: null, actor: { kind: 'user', id: cmd.userId }, action: 'user.erased', target: { type: 'user', id: cmd.userId },
        at: now, requestId: cmd.requestId ?? null, details: { receiptId: receipt.id },
      });
      return ok({ receipt });
    });
  }
}

/**
 * The owner deletes the workspace: every Instagram token is destroyed first (sending stops, Meta
 * access ends), then the workspace and everything under it goes in one transaction. The receipt is
 * instance-wide (no workspace), since the workspace's own receipts go with it.
 */
export class DeleteWorkspace {
  constructor(private readonly deps: {
    accounts: InstagramAccountRepository; secrets: SecretRepository; store: ErasureStore; receipts: ReceiptRepository; audit: AuditLog;
    uow: UnitOfWork; clock: Clock; ids: IdGenerator; digest: Digest;
  }) {}

  async execute(cmd: { workspaceId: WorkspaceId; actor: AuditActor; requestId?: string | null }): Promise<PrivacyReceipt> {
    const { accounts, secrets, store, receipts, audit, uow, clock, ids, digest } = this.deps;
    return uow.run(async () => {
      const now = clock.now();
      const tally = new RemovalTally();
      const destroyed: string[] = [];
      for (const account of await accounts.listByWorkspace(cmd.workspaceId)) {
        // The account row goes with the workspace; only the token needs destroying explicitly.
        const token = account.revoke('Workspace deleted', now);
        if (token) { await secrets.destroy(cmd.workspaceId, token); destroyed.push(token); }
      }
      tally.add({ secrets: destroyed });
      tally.add(await store.deleteWorkspace(cmd.workspaceId));
      const receipt = buildReceipt({ id: ids.next(), workspaceId: null, kind: 'erasure', policy: WORKSPACE_DELETION_POLICY, tally, digest, now });
      await receipts.save(receipt);
      await audit.append({
        id: Ids.auditEntry(ids.next()), workspaceId: null, actor: cmd.actor, action: 'workspace.deleted', target: { type: 'workspace', id: cmd.workspaceId },
        at: now, requestId: cmd.requestId ?? null, details: { receiptId: receipt.id },
      });
      return receipt;
    });
  }
}
