import { err, ok, type Result } from '../shared/result.js';

const DAY_MS = 24 * 60 * 60 * 1000;

/** Every class of data we keep, each with one retention rule. */
export const DATA_CLASSES = ['messages', 'ai_records', 'contact_profiles', 'orders', 'audit_log', 'request_log', 'exports', 'sessions'] as const;
export type DataClass = (typeof DATA_CLASSES)[number];

/** What happens when the period ends: delete the rows, or keep them with identifying fields removed. */
export type RetentionAction = 'delete' | 'anonymize';

export interface RetentionRule {
  readonly dataClass: DataClass;
  /** The published maximum; a workspace may choose a shorter period, never a longer one. */
  readonly maxDays: number;
  readonly action: RetentionAction;
  /** The instant the period counts from, in plain words (docs/privacy). */
  readonly anchor: string;
  /** What "deleted" or "anonymized" means for this class. */
  readonly meaning: string;
}

export const RETENTION_RULES: Readonly<Record<DataClass, RetentionRule>> = {
  messages: {
    dataClass: 'messages', maxDays: 30, action: 'delete', anchor: "the conversation's last interaction",
    meaning: 'Messages, attachment metadata (URLs), reactions and edits are deleted; the conversation row is deleted with them. Daily aggregates, which hold no personal data, stay.',
  },
  ai_records: {
    dataClass: 'ai_records', maxDays: 30, action: 'delete', anchor: "the conversation's last interaction",
    meaning: 'Assistant audit records (prompts sent, tool calls, results) are deleted with the conversation.',
  },
  contact_profiles: {
    dataClass: 'contact_profiles', maxDays: 30, action: 'anonymize', anchor: "the contact's last interaction",
    meaning: 'A contact with no conversation and no order left is deleted; one with orders keeps only an irreversible random token those orders point at (no username, name or Instagram id).',
  },
  orders: {
    dataClass: 'orders', maxDays: 5 * 365 + 1, action: 'anonymize', anchor: "the order's completion or cancellation (its creation while still open)",
    meaning: 'The contact link, customer name, handle and shipping address are removed and notes cleared; amounts, products, quantities, statuses and dates stay for tax and reports.',
  },
  audit_log: {
    dataClass: 'audit_log', maxDays: 365, action: 'delete', anchor: 'the entry time',
    meaning: 'Audit entries are deleted.',
  },
  request_log: {
    dataClass: 'request_log', maxDays: 365, action: 'delete', anchor: 'the request time',
    meaning: 'API request log rows are deleted.',
  },
  exports: {
    dataClass: 'exports', maxDays: 7, action: 'delete', anchor: 'the export bundle creation',
    meaning: 'The export bundle file and its download token are deleted.',
  },
  sessions: {
    dataClass: 'sessions', maxDays: 30, action: 'delete', anchor: 'the session expiry',
    meaning: 'Expired or revoked sessions are deleted.',
  },
};

/** Per-workspace shorter periods, in days. */
export type RetentionOverrides = Partial<Record<DataClass, number>>;

export type RetentionError =
  | { readonly kind: 'RetentionAboveMaximum' | 'RetentionNotPositive'; readonly dataClass: DataClass; readonly days: number; readonly maxDays: number }
  | { readonly kind: 'UnknownDataClass'; readonly dataClass: string };

export function validateRetentionOverrides(overrides: RetentionOverrides): Result<void, RetentionError> {
  for (const [dataClass, days] of Object.entries(overrides) as [DataClass, number][]) {
    if (!Object.hasOwn(RETENTION_RULES, dataClass)) return err({ kind: 'UnknownDataClass', dataClass });
    const rule = RETENTION_RULES[dataClass];
    if (!Number.isInteger(days) || days < 1) return err({ kind: 'RetentionNotPositive', dataClass, days, maxDays: rule.maxDays });
    if (days > rule.maxDays) return err({ kind: 'RetentionAboveMaximum', dataClass, days, maxDays: rule.maxDays });
  }
  return ok(undefined);
}

/** An override counts only if it is a whole number of days in [1, max]; anything else falls back to the maximum. */
export function retentionDays(dataClass: DataClass, overrides: RetentionOverrides = {}): number {
  const max = RETENTION_RULES[dataClass].maxDays;
  const days = overrides[dataClass];
  return days !== undefined && Number.isInteger(days) && days >= 1 && days <= max ? days : max;
}

/** The instant at which data anchored at `anchor` stops being kept. */
export function expiresAt(dataClass: DataClass, anchor: Date, overrides: RetentionOverrides = {}): Date {
  return new Date(anchor.getTime() + retentionDays(dataClass, overrides) * DAY_MS);
}

/** Expired means the full period has passed: at exactly the boundary the data is due. */
export function isExpired(dataClass: DataClass, anchor: Date, now: Date, overrides: RetentionOverrides = {}): boolean {
  return now.getTime() >= expiresAt(dataClass, anchor, overrides).getTime();
}

/**
 * The anchor before which data of this class is expired at `now`. Repositories select with
 * `anchor <= cutoff`, so the rule above and the SQL agree at the boundary.
 */
export function retentionCutoff(dataClass: DataClass, now: Date, overrides: RetentionOverrides = {}): Date {
  return new Date(now.getTime() - retentionDays(dataClass, overrides) * DAY_MS);
}

export function selectExpired<T>(items: readonly T[], anchorOf: (item: T) => Date, dataClass: DataClass, now: Date, overrides: RetentionOverrides = {}): T[] {
  return items.filter((item) => isExpired(dataClass, anchorOf(item), now, overrides));
}
