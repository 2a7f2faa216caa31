import type { ReceiptId, WorkspaceId } from '../shared/ids.js';
import type { DataClass } from './retention-policy.js';

export type ReceiptKind = 'erasure' | 'revocation' | 'retention';

/**
 * Proof that data was removed: which classes, how many records, under which policy, and a SHA-256
 * digest over the sorted ids removed (computed by the adapter's hasher). It holds no personal data.
 */
export interface PrivacyReceipt {
  readonly id: ReceiptId;
  readonly workspaceId: WorkspaceId | null;
  readonly kind: ReceiptKind;
  readonly policy: string;
  readonly counts: Readonly<Partial<Record<DataClass, number>>>;
  readonly digest: string;
  readonly createdAt: Date;
}

/** Canonical text the digest is computed over, so anyone holding the ids can verify a receipt. */
export function receiptDigestInput(removedIds: readonly string[]): string {
  return [...removedIds].sort().join('\n');
}
