import type { ContactId, InstagramAccountId, WorkspaceId } from '../shared/ids.js';

export const CONSENT_PURPOSES = ['messaging', 'ai_processing', 'marketing', 'analytics'] as const;
export type ConsentPurpose = (typeof CONSENT_PURPOSES)[number];
export type ConsentSource = 'customer_message' | 'merchant_dashboard' | 'contact_request' | 'system';

/** One append-only line of the consent ledger: entries are never edited or removed, only added. */
export interface ConsentEntry {
  readonly purpose: ConsentPurpose;
  readonly decision: 'granted' | 'withdrawn';
  readonly source: ConsentSource;
  readonly at: Date;
  readonly note?: string;
}

export interface ContactRestrictions {
  /** Art. 21 objection: the contact's data never reaches an LLM and the assistant stays silent. */
  readonly aiProcessingObjected: boolean;
  /** Art. 18 restriction: the data is stored only; no automation, no analytics, no assistant. */
  readonly processingRestricted: boolean;
}

/** A customer who wrote to a merchant's Instagram account (one per Instagram-scoped id). */
export class Contact {
  private constructor(
    readonly id: ContactId,
    readonly workspaceId: WorkspaceId,
    readonly accountId: InstagramAccountId,
    private _igsid: string | null,
    private _username: string | null,
    private _displayName: string | null,
    private _restrictions: ContactRestrictions,
    private _consent: ConsentEntry[],
    private _lastInteractionAt: Date,
    private _anonymizedAt: Date | null,
    readonly createdAt: Date,
    private _updatedAt: Date,
    readonly version: number = 1,
  ) {}

  static firstSeen(input: { id: ContactId; workspaceId: WorkspaceId; accountId: InstagramAccountId; igsid: string; username?: string | null; displayName?: string | null; now: Date }): Contact {
    return new Contact(input.id, input.workspaceId, input.accountId, input.igsid, input.username ?? null, input.displayName ?? null,
      { aiProcessingObjected: false, processingRestricted: false }, [], input.now, null, input.now, input.now);
  }

  get igsid(): string | null { return this._igsid; }
  get username(): string | null { return this._username; }
  get displayName(): string | null { return this._displayName; }
  get restrictions(): ContactRestrictions { return this._restrictions; }
  get consentLedger(): readonly ConsentEntry[] { return this._consent; }
  get lastInteractionAt(): Date { return this._lastInteractionAt; }
  get anonymizedAt(): Date | null { return this._anonymizedAt; }
  get updatedAt(): Date { return this._updatedAt; }
  get isAnonymized(): boolean { return this._anonymizedAt !== null; }

  touch(at: Date): void {
    if (at > this._lastInteractionAt) this._lastInteractionAt = at;
    this._updatedAt = at > this._updatedAt ? at : this._updatedAt;
  }

  updateProfile(fields: { username?: string | null; displayName?: string | null }, now: Date): void {
    if (this.isAnonymized) return;
    if (fields.username !== undefined) this._username = fields.username;
    if (fields.displayName !== undefined) this._displayName = fields.displayName;
    this._updatedAt = now;
  }

  objectToAiProcessing(now: Date, source: ConsentSource): void {
    this._restrictions = { ...this._restrictions, aiProcessingObjected: true };
    this.recordConsent({ purpose: 'ai_processing', decision: 'withdrawn', source, at: now, note: 'objection' });
  }

  liftAiObjection(now: Date, source: ConsentSource): void {
    this._restrictions = { ...this._restrictions, aiProcessingObjected: false };
    this.recordConsent({ purpose: 'ai_processing', decision: 'granted', source, at: now });
  }

  restrictProcessing(restricted: boolean, now: Date): void {
    this._restrictions = { ...this._restrictions, processingRestricted: restricted };
    this._updatedAt = now;
  }

  recordConsent(entry: ConsentEntry): void {
    this._consent = [...this._consent, { ...entry }];
    this._updatedAt = entry.at;
  }

  /** The latest decision per purpose wins; no entry means no recorded consent. */
  consentFor(purpose: ConsentPurpose): 'granted' | 'withdrawn' | 'unknown' {
    for (let i = this._consent.length - 1; i >= 0; i--) {
      const e = this._consent[i]!;
      if (e.purpose === purpose) return e.decision;
    }
    return 'unknown';
  }

  /** May automated processing (assistant, automations, LLM) touch this contact's messages? */
  allowsAutomatedProcessing(): boolean {
    return !this._restrictions.processingRestricted && !this._restrictions.aiProcessingObjected && this.consentFor('ai_processing') !== 'withdrawn';
  }

  /**
   * Erasure and retention keep the row only so orders can still point at it: the Instagram id,
   * handle and name go, the id stays as an irreversible random token.
   */
  anonymize(now: Date): void {
    this._igsid = null;
    this._username = null;
    this._displayName = null;
    this._consent = [];
    this._anonymizedAt = now;
    this._updatedAt = now;
  }
}
