import type { InstagramAccountId, SecretId, WorkspaceId } from '../shared/ids.js';
import { err, ok, type Result } from '../shared/result.js';

export type InstagramAccountStatus = 'connected' | 'token_expired' | 'revoked' | 'disconnected';
export type InstagramAccountType = 'Business' | 'Media_Creator';

/** Scopes without which Palette cannot do its job (read and answer DMs). */
export const REQUIRED_SCOPES = ['instagram_business_basic', 'instagram_business_manage_messages'] as const;

export type InstagramAccountError =
  | { readonly kind: 'MissingScopes'; readonly missing: readonly string[] }
  | { readonly kind: 'AccountNotConnected'; readonly status: InstagramAccountStatus };

/**
 * A merchant's Instagram professional account. It holds a reference to the encrypted token,
 * never the token itself.
 */
export class InstagramAccount {
  private constructor(
    readonly id: InstagramAccountId,
    readonly workspaceId: WorkspaceId,
    /** The IG professional account id (`/me.user_id`), which is `entry.id` in webhooks. */
    readonly igUserId: string,
    private _username: string,
    private _accountType: InstagramAccountType,
    private _status: InstagramAccountStatus,
    private _grantedScopes: readonly string[],
    private _tokenRef: SecretId | null,
    private _tokenIssuedAt: Date | null,
    private _tokenExpiresAt: Date | null,
    private _statusReason: string | null,
    readonly createdAt: Date,
    private _updatedAt: Date,
    readonly version: number = 1,
  ) {}

  static connect(input: {
    id: InstagramAccountId; workspaceId: WorkspaceId; igUserId: string; username: string; accountType: InstagramAccountType;
    grantedScopes: readonly string[]; tokenRef: SecretId; tokenExpiresAt: Date; now: Date;
  }): Result<InstagramAccount, InstagramAccountError> {
    const missing = missingScopes(input.grantedScopes);
    if (missing.length > 0) return err({ kind: 'MissingScopes', missing });
    return ok(new InstagramAccount(input.id, input.workspaceId, input.igUserId, input.username, input.accountType, 'connected',
      [...input.grantedScopes], input.tokenRef, input.now, input.tokenExpiresAt, null, input.now, input.now));
  }

  get username(): string { return this._username; }
  get accountType(): InstagramAccountType { return this._accountType; }
  get status(): InstagramAccountStatus { return this._status; }
  get grantedScopes(): readonly string[] { return this._grantedScopes; }
  get tokenRef(): SecretId | null { return this._tokenRef; }
  get tokenIssuedAt(): Date | null { return this._tokenIssuedAt; }
  get tokenExpiresAt(): Date | null { return this._tokenExpiresAt; }
  get statusReason(): string | null { return this._statusReason; }
  get updatedAt(): Date { return this._updatedAt; }

  /** Reconnecting keeps the account row, so its conversations and history stay attached. */
  reconnect(input: { username: string; accountType: InstagramAccountType; grantedScopes: readonly string[]; tokenRef: SecretId; tokenExpiresAt: Date; now: Date }): Result<void, InstagramAccountError> {
    const missing = missingScopes(input.grantedScopes);
    if (missing.length > 0) return err({ kind: 'MissingScopes', missing });
    this._username = input.username;
    this._accountType = input.accountType;
    this._grantedScopes = [...input.grantedScopes];
    this._tokenRef = input.tokenRef;
    this._tokenIssuedAt = input.now;
    this._tokenExpiresAt = input.tokenExpiresAt;
    this._status = 'connected';
    this._statusReason = null;
    this._updatedAt = input.now;
    return ok(undefined);
  }

  /** Only a connected account may call the Send API; everything else holds or refuses sends. */
  canSend(): Result<void, InstagramAccountError> {
    return this._status === 'connected' ? ok(undefined) : err({ kind: 'AccountNotConnected', status: this._status });
  }

  /** Meta allows refreshing a long-lived token that is at least 24 h old and not expired. */
  needsRefresh(now: Date, withinDays = 10): boolean {
    if (this._status !== 'connected' || !this._tokenIssuedAt || !this._tokenExpiresAt) return false;
    const age = now.getTime() - this._tokenIssuedAt.getTime();
    const left = this._tokenExpiresAt.getTime() - now.getTime();
    return age >= 24 * 3600_000 && left > 0 && left <= withinDays * 24 * 3600_000;
  }

  tokenRefreshed(tokenRef: SecretId, expiresAt: Date, now: Date): void {
    this._tokenRef = tokenRef;
    this._tokenIssuedAt = now;
    this._tokenExpiresAt = expiresAt;
    this._updatedAt = now;
  }

  markTokenExpired(reason: string, now: Date): void {
    if (this._status !== 'connected') return;
    this._status = 'token_expired';
    this._statusReason = reason;
    this._updatedAt = now;
  }

  /** Meta's deauthorize or data-deletion callback. Returns the token to destroy, if any. */
  revoke(reason: string, now: Date): SecretId | null {
    return this.detach('revoked', reason, now);
  }

  /** The merchant disconnected from the dashboard. Returns the token to destroy, if any. */
  disconnect(now: Date): SecretId | null {
    return this.detach('disconnected', 'Disconnected by the merchant', now);
  }

  private detach(status: 'revoked' | 'disconnected', reason: string, now: Date): SecretId | null {
    const token = this._tokenRef;
    this._status = status;
    this._statusReason = reason;
    this._tokenRef = null;
    this._tokenIssuedAt = null;
    this._tokenExpiresAt = null;
    this._updatedAt = now;
    return token;
  }
}

export function missingScopes(granted: readonly string[]): string[] {
  return REQUIRED_SCOPES.filter((s) => !granted.includes(s));
}
