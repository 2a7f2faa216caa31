import type { Clock, IdGenerator, UnitOfWork } from '../shared/ports.js';
import { Ids, type WorkspaceId } from '../shared/ids.js';
import type { Digest, ReceiptRepository } from './ports.js';
import type { AiDecisionRecords, BatchOutcome, ReceiptClass, RemovedIds, RetentionStore } from './privacy-store.js';
import { receiptDigestInput, type PrivacyReceipt } from './receipt.js';
import type { ContactFactsRepository } from '../reports/ports.js';
import { DATA_CLASSES, retentionCutoff, retentionDays, type RetentionOverrides } from './retention-policy.js';

/** Counts and ids gathered over a run, per receipt class. */
export class RemovalTally {
  private readonly ids = new Map<ReceiptClass, string[]>();

  add(removed: RemovedIds): void {
    for (const [cls, ids] of Object.entries(removed) as [ReceiptClass, readonly string[]][]) {
      if (ids.length === 0) continue;
      const list = this.ids.get(cls) ?? [];
      // Not push(...ids): spreading ~120,000+ arguments overflows the call stack on Node 20.
      for (const id of ids) list.push(id);
      this.ids.set(cls, list);
    }
  }

  get total(): number {
    let n = 0;
    for (const list of this.ids.values()) n += list.length;
    return n;
  }

  counts(): Partial<Record<ReceiptClass, number>> {
    return Object.fromEntries([...this.ids].sort(([a], [b]) => a.localeCompare(b)).map(([cls, list]) => [cls, list.length]));
  }

  /** Every id with its class, so two classes never cancel out in the digest. */
  allIds(): string[] {
    return [...this.ids].flatMap(([cls, list]) => list.map((id) => `${cls}:${id}`));
  }
}

/** The policy a receipt names: version plus the effective periods, so a later change of overrides is visible. */
export function retentionPolicyLabel(overrides: RetentionOverrides = {}): string {
  return `retention/v1 ${DATA_CLASSES.map((c) => `${c}=${retentionDays(c, overrides)}d`).join(' ')}`;
}

export function buildReceipt(input: {
  id: string; workspaceId: WorkspaceId | null; kind: PrivacyReceipt['kind']; policy: string; tally: RemovalTally; digest: Digest; now: Date;
}): PrivacyReceipt {
  return {
    id: Ids.receipt(input.id), workspaceId: input.workspaceId, kind: input.kind, policy: input.policy,
    counts: input.tally.counts() as PrivacyReceipt['counts'], digest: input.digest.sha256Hex(receiptDigestInput(input.tally.allIds())), createdAt: input.now,
  };
}

/**
 * Checks a receipt against the ids someone claims it covers (as `class:id`, the form the digest is
 * computed over) and its counts: true only when both match exactly.
 */
export function verifyReceipt(receipt: Pick<PrivacyReceipt, 'digest' | 'counts'>, classifiedIds: readonly string[], digest: Digest): boolean {
  const counts: Record<string, number> = {};
  for (const id of classifiedIds) {
    const cls = id.slice(0, id.indexOf(':'));
    counts[cls] = (counts[cls] ?? 0) + 1;
  }
  const expected = Object.entries(receipt.counts as Record<string, number>).filter(([, n]) => n > 0);
  if (expected.length !== Object.keys(counts).length) return false;
  for (const [cls, n] of expected) if (counts[cls] !== n) return false;
  return digest.sha256Hex(receiptDigestInput(classifiedIds)) === receipt.digest;
}

export interface RetentionSweepResult {
  readonly workspaces: number;
  readonly removed: number;
  readonly receipts: readonly PrivacyReceipt[];
  /** Class/workspace pairs another sweeper held during this run; it removes those rows instead. */
  readonly busy: readonly string[];
}

const DAY_MS = 24 * 60 * 60 * 1000;

/**
 * The hourly retention sweep over every class. Each batch is its own transaction, so a crash keeps
 * what was done and the next run continues; a receipt is written per workspace that lost rows, and
 * one for the instance-wide classes (sessions, reset tokens, mail, idempotency, exports) every run.
 */
export class RunRetentionSweep {
  constructor(private readonly deps: {
    store: RetentionStore; ai: AiDecisionRecords; receipts: ReceiptRepository; uow: UnitOfWork; clock: Clock; ids: IdGenerator; digest: Digest;
  }) {}

  async execute(input: { batchSize?: number; workspacePage?: number } = {}): Promise<RetentionSweepResult> {
    const { store, ai, uow, clock } = this.deps;
    const batch = input.batchSize ?? 500;
    const now = clock.now();
    const receipts: PrivacyReceipt[] = [];
    const busy: string[] = [];
    let removed = 0;
    let workspaces = 0;

    const drain = async (label: string, tally: RemovalTally, step: () => Promise<BatchOutcome>) => {
      for (;;) {
        const outcome = await uow.run(step);
        if (outcome.busy) { busy.push(label); return; }
        tally.add(outcome.removed);
        if (outcome.rows < batch) return;
      }
    };

    let after: WorkspaceId | null = null;
    for (;;) {
      const page = await uow.run(() => store.listWorkspaces(after, input.workspacePage ?? 100));
      for (const { workspaceId: ws, overrides } of page) {
        workspaces++;
        const tally = new RemovalTally();
        await drain(`messages:${ws}`, tally, async () => {
          const outcome = await store.sweepConversations(ws, retentionCutoff('messages', now, overrides), batch);
          if (outcome.busy) return outcome;
          const conversations = (outcome.removed.conversations ?? []) as string[];
          const aiIds = conversations.length > 0 ? await ai.deleteForConversations(ws, conversations.map(Ids.conversation)) : [];
          return { ...outcome, removed: { ...outcome.removed, ai_records: aiIds } };
        });
        await drain(`contact_profiles:${ws}`, tally, () => store.sweepContacts(ws, retentionCutoff('contact_profiles', now, overrides), now, batch));
        await drain(`orders:${ws}`, tally, () => store.anonymizeOrders(ws, retentionCutoff('orders', now, overrides), now, batch));
        await drain(`audit_log:${ws}`, tally, () => store.deleteAuditEntries(ws, retentionCutoff('audit_log', now, overrides), batch));
        // Receipts prove deletions for the audit period, whatever shorter audit period a workspace chose.
        await drain(`receipts:${ws}`, tally, () => store.deleteReceipts(ws, retentionCutoff('audit_log', now), batch));
        if (tally.total > 0) receipts.push(await this.writeReceipt(ws, retentionPolicyLabel(overrides), tally, now));
        removed += tally.total;
      }
      if (page.length === 0) break;
      after = page[page.length - 1]!.workspaceId;
    }

    const instance = new RemovalTally();
    await drain('audit_log:-', instance, () => store.deleteAuditEntries(null, retentionCutoff('audit_log', now), batch));
    await drain('receipts:-', instance, () => store.deleteReceipts(null, retentionCutoff('audit_log', now), batch));
    await drain('exports', instance, () => store.deleteExpiredExports(now, batch));
    await drain('sessions', instance, () => store.deleteSessions(retentionCutoff('sessions', now), batch));
    // Reset tokens live an hour and mail a day; a week's grace keeps them for support questions only.
    await drain('password_reset_tokens', instance, () => store.deletePasswordResetTokens(new Date(now.getTime() - 7 * DAY_MS), batch));
    await drain('mail_outbox', instance, () => store.deleteMailOutbox(new Date(now.getTime() - 7 * DAY_MS), batch));
    await drain('idempotency_records', instance, () => store.deleteIdempotencyRecords(now, batch));
    receipts.push(await this.writeReceipt(null, retentionPolicyLabel(), instance, now));
    removed += instance.total;

    return { workspaces, removed, receipts, busy };
  }

  private async writeReceipt(ws: WorkspaceId | null, policy: string, tally: RemovalTally, now: Date): Promise<PrivacyReceipt> {
    const receipt = buildReceipt({ id: this.deps.ids.next(), workspaceId: ws, kind: 'retention', policy, tally, digest: this.deps.digest, now });
    await this.deps.uow.run(() => this.deps.receipts.save(receipt));
    return receipt;
  }
}

/** Same transaction as the contacts' removal: the report facts never outlive the contact. */
export async function forgetContacts(contactFacts: ContactFactsRepository | undefined, ws: WorkspaceId, removed: RemovedIds | undefined): Promise<void> {
  if (!contactFacts || !removed) return;
  for (const id of [...(removed.contacts_deleted ?? []), ...(removed.contacts_anonymized ?? [])]) await contactFacts.forgetContact(ws, Ids.contact(String(id)));
}
