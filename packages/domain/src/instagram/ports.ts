import type { InstagramAccountId, SecretId, WorkspaceId } from '../shared/ids.js';
import type { Result } from '../shared/result.js';
import type { InstagramAccount } from './instagram-account.js';

export interface InstagramAccountRepository {
  get(workspaceId: WorkspaceId, id: InstagramAccountId): Promise<InstagramAccount | null>;
  /** Webhooks identify the account by `entry.id` only, before we know the workspace. */
  findByIgUserId(igUserId: string): Promise<InstagramAccount | null>;
  listByWorkspace(workspaceId: WorkspaceId): Promise<InstagramAccount[]>;
  save(account: InstagramAccount): Promise<void>;
}

/** Ciphertext with the id of the key that made it, so rotation can find what to re-encrypt. */
export interface Ciphertext {
  readonly keyId: string;
  readonly data: string;
}

/**
 * AES-256-GCM in the adapter. The additional authenticated data binds a ciphertext to its row
 * (workspace and account): moved elsewhere, it fails to decrypt.
 */
export interface TokenCipher {
  encrypt(plaintext: string, aad: string): Promise<Ciphertext>;
  decrypt(ciphertext: Ciphertext, aad: string): Promise<string>;
  /** The key new ciphertexts use; older key ids still decrypt until rotated away. */
  currentKeyId(): string;
}

export interface EncryptedSecret {
  readonly id: SecretId;
  readonly workspaceId: WorkspaceId;
  readonly purpose: 'instagram_token' | 'llm_api_key';
  readonly ciphertext: Ciphertext;
  readonly aad: string;
  readonly createdAt: Date;
}

export interface SecretRepository {
  get(workspaceId: WorkspaceId, id: SecretId): Promise<EncryptedSecret | null>;
  save(secret: EncryptedSecret): Promise<void>;
  /** Destroying a token deletes its ciphertext row at once (revocation, disconnect). */
  destroy(workspaceId: WorkspaceId, id: SecretId): Promise<void>;
  listByKeyIdNot(keyId: string, limit: number): Promise<EncryptedSecret[]>;
}

export type SendFailure =
  | { readonly kind: 'WindowClosed' }
  | { readonly kind: 'RateLimited'; readonly retryAfterMs: number }
  | { readonly kind: 'TokenInvalid' }
  | { readonly kind: 'RecipientUnavailable' }
  | { readonly kind: 'BadRequest'; readonly message: string }
  | { readonly kind: 'Transient'; readonly message: string };

export type OutboundPayload =
  | { readonly type: 'text'; readonly text: string; readonly quickReplies?: ReadonlyArray<{ title: string; payload: string }> }
  | { readonly type: 'image'; readonly url: string }
  | { readonly type: 'products'; readonly cards: ReadonlyArray<{ title: string; subtitle?: string; imageUrl?: string; url?: string; payload?: string }> };

/** What the domain needs from Instagram's Graph API; the adapter maps vendor errors to SendFailure. */
export interface InstagramGateway {
  send(input: { accessToken: string; igUserId: string; recipient: { igsid: string } | { commentId: string }; payload: OutboundPayload; tag: 'HUMAN_AGENT' | null }): Promise<Result<{ platformMessageId: string }, SendFailure>>;
}

/** A message the account sent, as the Conversations API lists it (reconciliation of an unknown outcome). */
export interface PlatformSentMessage {
  readonly platformMessageId: string;
  readonly text: string | null;
  readonly createdAt: Date;
}

/**
 * Reads what Instagram holds for one thread. `complete` is true only when the answer covers
 * everything sent since `since`: Instagram shows just the 20 most recent messages of a thread.
 */
export interface InstagramConversationsReader {
  sentSince(input: { accessToken: string; igUserId: string; igsid: string; since: Date }): Promise<Result<{ messages: PlatformSentMessage[]; complete: boolean }, SendFailure>>;
}

export interface RefreshedToken {
  readonly accessToken: string;
  readonly expiresAt: Date;
}

export interface InstagramTokenRefresher {
  /** TokenInvalid: error 190 or a token Instagram will not refresh any more (the merchant must log in again). */
  refresh(accessToken: string): Promise<Result<RefreshedToken, SendFailure>>;
}
