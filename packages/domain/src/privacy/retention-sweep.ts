import type { Clock, IdGenerator, UnitOfWork } from '../shared/ports.js';
import { Ids, type ReceiptId, type WorkspaceId } from '../shared/ids.js';
import type { Digest, ReceiptRepository } from './ports.js';
import type { AiDecisionRecords, BatchOutcome, ReceiptClass, RemovedIds, RetentionStore } from './privacy-store.js';
import { receiptDigestInput, type PrivacyReceipt } from './receipt.js';
import type { ContactFactsRepository } from '../reports/ports.js';
import { DATA_CLASSES, retentionCutoff, retentionDays, type RetentionOverrides } from './retention-policy.js';

// Canonical lowercase UUIDs are the shape of nearly every removed id: kept as 16 bytes, not a string.
const HEX_CODES = new TextEncoder().encode('0123456789abcdef');
const DASH = 0x2d;
const NEWLINE = 0x0a;
const CHUNK = 64 * 1024;

/** Packs a canonical lowercase UUID into `words[at..at+4]`; false (words left as garbage) for any other text. */
function packUuid(id: string, words: Uint32Array, at: number): boolean {
  if (id.length !== 36) return false;
  let word = 0;
  let digits = 0;
  for (let i = 0; i < 36; i++) {
    const c = id.charCodeAt(i);
    if (i === 8 || i === 13 || i === 18 || i === 23) { if (c !== DASH) return false; continue; }
    const v = c >= 0x30 && c <= 0x39 ? c - 0x30 : c >= 0x61 && c <= 0x66 ? c - 0x57 : -1;
    if (v < 0) return false;
    word = word * 16 + v;
    if (++digits % 8 === 0) { words[at + digits / 8 - 1] = word; word = 0; }
  }
  return true;
}

/** One class's ids: UUIDs packed four 32-bit words each (word order = text order), the rest as text. */
class ClassIds {
  words = new Uint32Array(4 * 1024);
  uuids = 0;
  readonly others: string[] = [];

  add(id: string): void {
    const at = this.uuids * 4;
    if (at + 4 > this.words.length) {
      const grown = new Uint32Array(this.words.length * 2);
      grown.set(this.words);
      this.words = grown;
    }
    if (!packUuid(id, this.words, at)) { this.others.push(id); return; }
    this.uuids += 1;
  }

  get size(): number { return this.uuids + this.others.length; }

  /** The packed UUIDs' positions in text order. */
  order(): Uint32Array {
    const words = this.words;
    const order = new Uint32Array(this.uuids);
    for (let i = 0; i < order.length; i++) order[i] = i;
    return order.sort((a, b) => {
      for (let w = 0; w < 4; w++) {
        const x = words[a * 4 + w]!;
        const y = words[b * 4 + w]!;
        if (x !== y) return x < y ? -1 : 1;
      }
      return 0;
    });
  }

  /** Writes the canonical text of packed UUID `i` (36 bytes) at `out[at]`. */
  write(i: number, out: Uint8Array, at: number): void {
    let o = at;
    for (let w = 0; w < 4; w++) {
      const v = this.words[i * 4 + w]!;
      for (let shift = 28; shift >= 0; shift -= 4) {
        if (o - at === 8 || o - at === 13 || o - at === 18 || o - at === 23) out[o++] = DASH;
        out[o++] = HEX_CODES[(v >>> shift) & 0xf]!;
      }
    }
  }

  text(i: number): string {
    const out = new Uint8Array(36);
    this.write(i, out, 0);
    return String.fromCharCode(...out);
  }
}

/**
 * Counts and ids gathered over a run, per receipt class. A retention sweep can remove millions
 * of rows, so ids are packed (16 bytes per UUID instead of a ~70-byte string) and the digest text is
 * produced in 64 KiB pieces in its canonical order: the digest `receiptDigestInput` defines, without
 * the sorted copy and the joined text it would take.
 */
export class RemovalTally {
  private readonly ids = new Map<ReceiptClass, ClassIds>();

  add(removed: RemovedIds): void {
    for (const [cls, ids] of Object.entries(removed) as [ReceiptClass, readonly string[]][]) {
      if (ids.length === 0) continue;
      let list = this.ids.get(cls);
      if (!list) this.ids.set(cls, (list = new ClassIds()));
      for (const id of ids) list.add(String(id));
    }
  }

  get total(): number {
    let n = 0;
    for (const list of this.ids.values()) n += list.size;
    return n;
  }

  counts(): Partial<Record<ReceiptClass, number>> {
    return Object.fromEntries([...this.ids].sort(([a], [b]) => a.localeCompare(b)).map(([cls, list]) => [cls, list.size]));
  }

  /** Every id with its class, so two classes never cancel out in the digest. */
  allIds(): string[] {
    const out: string[] = [];
    for (const [cls, list] of this.ids) {
      for (let i = 0; i < list.uuids; i++) out.push(`${cls}:${list.text(i)}`);
      for (const id of list.others) out.push(`${cls}:${id}`);
    }
    return out;
  }

  /**
   * `receiptDigestInput(allIds())` as UTF-8 pieces. A class name holds no ':', so the sorted
   * `class:id` texts are the classes in the order of their `class:` prefixes, each class's ids in
   * text order within it; packed UUIDs and other ids are merged by their text.
   */
  *digestInput(): Generator<Uint8Array> {
    const encoder = new TextEncoder();
    const classes = [...this.ids.keys()].sort((a, b) => (`${a}:` < `${b}:` ? -1 : `${a}:` > `${b}:` ? 1 : 0));
    let out = new Uint8Array(CHUNK);
    let at = 0;
    let first = true;
    const room = function* (bytes: number): Generator<Uint8Array> {
      if (at + bytes <= out.length) return;
      if (at > 0) yield out.subarray(0, at);
      out = new Uint8Array(Math.max(CHUNK, bytes));
      at = 0;
    };
    for (const cls of classes) {
      const list = this.ids.get(cls)!;
      const prefix = encoder.encode(`${cls}:`);
      const order = list.order();
      const others = [...list.others].sort();
      let i = 0;
      let j = 0;
      while (i < order.length || j < others.length) {
        const takeUuid = i < order.length && (j >= others.length || list.text(order[i]!) <= others[j]!);
        const other = takeUuid ? null : encoder.encode(others[j++]!);
        yield* room(1 + prefix.length + (other ? other.length : 36));
        if (!first) out[at++] = NEWLINE;
        first = false;
        out.set(prefix, at);
        at += prefix.length;
        if (other) { out.set(other, at); at += other.length; } else { list.write(order[i++]!, out, at); at += 36; }
      }
    }
    if (at > 0) yield out.subarray(0, at);
  }
}

/** The policy a receipt names: version plus the effective periods, so a later change of overrides is visible. */
export function retentionPolicyLabel(overrides: RetentionOverrides = {}): string {
  return `retention/v1 ${DATA_CLASSES.map((c) => `${c}=${retentionDays(c, overrides)}d`).join(' ')}`;
}

function receiptDigest(tally: RemovalTally, digest: Digest): string {
  if (digest.sha256HexOfParts) return digest.sha256HexOfParts(tally.digestInput());
  const decoder = new TextDecoder();
  let text = '';
  for (const part of tally.digestInput()) text += decoder.decode(part, { stream: true });
  return digest.sha256Hex(text + decoder.decode());
}

export function buildReceipt(input: {
  id: string; workspaceId: WorkspaceId | null; kind: PrivacyReceipt['kind']; policy: string; tally: RemovalTally; digest: Digest; now: Date;
}): PrivacyReceipt {
  return {
    id: Ids.receipt(input.id), workspaceId: input.workspaceId, kind: input.kind, policy: input.policy,
    counts: input.tally.counts() as PrivacyReceipt['counts'], digest: receiptDigest(input.tally, input.digest), createdAt: input.now,
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
/** The checkpoint receipts a run wrote for one scope (a workspace, or the instance), until its run receipt replaces them. */
interface Checkpoints {
  readonly workspaceId: WorkspaceId | null;
  readonly policy: string;
  readonly ids: ReceiptId[];
}

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

    // Each batch commits with a checkpoint receipt for what it removed, so a run killed halfway
    // still leaves proof of every committed removal; a run that finishes replaces its checkpoints
    // with one receipt (in one transaction), so nothing is ever counted twice.
    const drain = async (label: string, tally: RemovalTally, step: () => Promise<BatchOutcome>, checkpoint: Checkpoints) => {
      for (;;) {
        const outcome = await uow.run(async () => {
          const o = await step();
          if (!o.busy) await this.writeCheckpoint(checkpoint, o.removed, now);
          return o;
        });
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
        const cp: Checkpoints = { workspaceId: ws, policy: retentionPolicyLabel(overrides), ids: [] };
        await drain(`messages:${ws}`, tally, async () => {
          const outcome = await store.sweepConversations(ws, retentionCutoff('messages', now, overrides), batch);
          if (outcome.busy) return outcome;
          const conversations = (outcome.removed.conversations ?? []) as string[];
          const aiIds = conversations.length > 0 ? await ai.deleteForConversations(ws, conversations.map(Ids.conversation)) : [];
          return { ...outcome, removed: { ...outcome.removed, ai_records: aiIds } };
        }, cp);
        await drain(`contact_profiles:${ws}`, tally, () => store.sweepContacts(ws, retentionCutoff('contact_profiles', now, overrides), now, batch), cp);
        await drain(`orders:${ws}`, tally, () => store.anonymizeOrders(ws, retentionCutoff('orders', now, overrides), now, batch), cp);
        await drain(`audit_log:${ws}`, tally, () => store.deleteAuditEntries(ws, retentionCutoff('audit_log', now, overrides), batch), cp);
        // Receipts prove deletions for the audit period, whatever shorter audit period a workspace chose.
        await drain(`receipts:${ws}`, tally, () => store.deleteReceipts(ws, retentionCutoff('audit_log', now), batch), cp);
        if (tally.total > 0) receipts.push(await this.writeReceipt(ws, retentionPolicyLabel(overrides), tally, now, cp));
        removed += tally.total;
      }
      if (page.length === 0) break;
      after = page[page.length - 1]!.workspaceId;
    }

    const instance = new RemovalTally();
    const icp: Checkpoints = { workspaceId: null, policy: retentionPolicyLabel(), ids: [] };
    await drain('audit_log:-', instance, () => store.deleteAuditEntries(null, retentionCutoff('audit_log', now), batch), icp);
    await drain('receipts:-', instance, () => store.deleteReceipts(null, retentionCutoff('audit_log', now), batch), icp);
    await drain('exports', instance, () => store.deleteExpiredExports(now, batch), icp);
    await drain('sessions', instance, () => store.deleteSessions(retentionCutoff('sessions', now), batch), icp);
    // Reset tokens live an hour and mail a day; a week's grace keeps them for support questions only.
    await drain('password_reset_tokens', instance, () => store.deletePasswordResetTokens(new Date(now.getTime() - 7 * DAY_MS), batch), icp);
    await drain('mail_outbox', instance, () => store.deleteMailOutbox(new Date(now.getTime() - 7 * DAY_MS), batch), icp);
    await drain('idempotency_records', instance, () => store.deleteIdempotencyRecords(now, batch), icp);
    receipts.push(await this.writeReceipt(null, retentionPolicyLabel(), instance, now, icp));
    removed += instance.total;

    return { workspaces, removed, receipts, busy };
  }

  private async writeReceipt(ws: WorkspaceId | null, policy: string, tally: RemovalTally, now: Date, checkpoints: Checkpoints): Promise<PrivacyReceipt> {
    const receipt = buildReceipt({ id: this.deps.ids.next(), workspaceId: ws, kind: 'retention', policy, tally, digest: this.deps.digest, now });
    await this.deps.uow.run(async () => {
      await this.deps.receipts.deleteMany(ws, checkpoints.ids);
      await this.deps.receipts.save(receipt);
    });
    checkpoints.ids.length = 0;
    return receipt;
  }

  /** Inside the batch's transaction: proof of what this batch removed, should the run die before its end. */
  private async writeCheckpoint(checkpoints: Checkpoints, removed: RemovedIds, now: Date): Promise<void> {
    const part = new RemovalTally();
    part.add(removed);
    if (part.total === 0) return;
    const receipt = buildReceipt({
      id: this.deps.ids.next(), workspaceId: checkpoints.workspaceId, kind: 'retention', policy: `${checkpoints.policy}; checkpoint of a run that did not finish`,
      tally: part, digest: this.deps.digest, now,
    });
    await this.deps.receipts.save(receipt);
    checkpoints.ids.push(receipt.id);
  }
}

/** Same transaction as the contacts' removal: the report facts never outlive the contact. */
export async function forgetContacts(contactFacts: ContactFactsRepository | undefined, ws: WorkspaceId, removed: RemovedIds | undefined): Promise<void> {
  if (!contactFacts || !removed) return;
  for (const id of [...(removed.contacts_deleted ?? []), ...(removed.contacts_anonymized ?? [])]) await contactFacts.forgetContact(ws, Ids.contact(String(id)));
}
