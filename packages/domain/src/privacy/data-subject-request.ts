import type { ContactId, DataSubjectRequestId, ReceiptId, UserId, WorkspaceId } from '../shared/ids.js';
import { err, ok, type Result } from '../shared/result.js';

export const REQUEST_TYPES = ['access', 'correction', 'erasure', 'restriction', 'objection', 'withdrawal'] as const;
export type DataSubjectRequestType = (typeof REQUEST_TYPES)[number];

export type DataSubject =
  | { readonly kind: 'user'; readonly userId: UserId }
  | { readonly kind: 'contact'; readonly contactId: ContactId };

export type DataSubjectRequestStatus = 'received' | 'in_progress' | 'completed' | 'rejected';

export type DataSubjectRequestError = { readonly kind: 'IllegalRequestTransition'; readonly from: DataSubjectRequestStatus; readonly to: DataSubjectRequestStatus };

/** A rights request (GDPR Art. 15–21) for a user's own account or for a merchant's contact. */
export class DataSubjectRequest {
  private constructor(
    readonly id: DataSubjectRequestId,
    readonly workspaceId: WorkspaceId | null,
    readonly subject: DataSubject,
    readonly type: DataSubjectRequestType,
    readonly requestedBy: UserId | null,
    readonly requestedAt: Date,
    private _status: DataSubjectRequestStatus,
    private _completedAt: Date | null,
    private _receiptId: ReceiptId | null,
    private _outcome: string | null,
    readonly version: number = 1,
  ) {}

  static receive(input: { id: DataSubjectRequestId; workspaceId: WorkspaceId | null; subject: DataSubject; type: DataSubjectRequestType; requestedBy: UserId | null; now: Date }): DataSubjectRequest {
    return new DataSubjectRequest(input.id, input.workspaceId, input.subject, input.type, input.requestedBy, input.now, 'received', null, null, null);
  }

  get status(): DataSubjectRequestStatus { return this._status; }
  get completedAt(): Date | null { return this._completedAt; }
  get receiptId(): ReceiptId | null { return this._receiptId; }
  /** A plain-language outcome without personal data, shown to the requester. */
  get outcome(): string | null { return this._outcome; }

  start(): Result<void, DataSubjectRequestError> {
    if (this._status !== 'received') return err({ kind: 'IllegalRequestTransition', from: this._status, to: 'in_progress' });
    this._status = 'in_progress';
    return ok(undefined);
  }

  complete(now: Date, outcome: string, receiptId: ReceiptId | null): Result<void, DataSubjectRequestError> {
    if (this._status !== 'received' && this._status !== 'in_progress') return err({ kind: 'IllegalRequestTransition', from: this._status, to: 'completed' });
    this._status = 'completed';
    this._completedAt = now;
    this._outcome = outcome;
    this._receiptId = receiptId;
    return ok(undefined);
  }

  reject(now: Date, justification: string): Result<void, DataSubjectRequestError> {
    if (this._status === 'completed' || this._status === 'rejected') return err({ kind: 'IllegalRequestTransition', from: this._status, to: 'rejected' });
    this._status = 'rejected';
    this._completedAt = now;
    this._outcome = justification;
    return ok(undefined);
  }
}
