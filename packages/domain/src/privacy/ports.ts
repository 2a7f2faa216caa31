import type { DataSubjectRequestId, ReceiptId, WorkspaceId } from '../shared/ids.js';
import type { DataSubjectRequest } from './data-subject-request.js';
import type { PrivacyReceipt } from './receipt.js';

export interface DataSubjectRequestRepository {
  get(workspaceId: WorkspaceId | null, id: DataSubjectRequestId): Promise<DataSubjectRequest | null>;
  listByWorkspace(workspaceId: WorkspaceId): Promise<DataSubjectRequest[]>;
  save(request: DataSubjectRequest): Promise<void>;
}

export interface ReceiptRepository {
  save(receipt: PrivacyReceipt): Promise<void>;
  listByWorkspace(workspaceId: WorkspaceId): Promise<PrivacyReceipt[]>;
  /** Removes receipts a later one replaces (a sweep's checkpoints, once its run receipt is written). */
  deleteMany(workspaceId: WorkspaceId | null, ids: readonly ReceiptId[]): Promise<void>;
}

/** SHA-256 lives in an adapter; the core only says what is hashed (receiptDigestInput). */
export interface Digest {
  sha256Hex(text: string): string;
  /** The SHA-256 of the UTF-8 bytes `parts` concatenate, fed piece by piece so a large text (a receipt's ids) never exists whole. */
  sha256HexOfParts?(parts: Iterable<Uint8Array>): string;
}
