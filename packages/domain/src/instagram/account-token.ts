import { Ids, type InstagramAccountId, type SecretId, type WorkspaceId } from '../shared/ids.js';
import type { IdGenerator } from '../shared/ports.js';
import type { InstagramAccount } from './instagram-account.js';
import type { EncryptedSecret, SecretRepository, TokenCipher } from './ports.js';

/** The additional authenticated data of an account's token: the row it belongs to (same as the crypto adapter's `tokenAad`). */
export function instagramTokenAad(workspaceId: WorkspaceId | string, accountId: InstagramAccountId | string): string {
  return `instagram_token:${workspaceId}:${accountId}`;
}

type SecretDeps = { secrets: SecretRepository; cipher: TokenCipher; ids: IdGenerator };

/** Encrypts a secret bound to its row (the AAD) into the secrets table, where key rotation finds it; returns its id. */
export async function storeSecret(deps: SecretDeps, input: { workspaceId: WorkspaceId; purpose: EncryptedSecret['purpose']; aad: string; plaintext: string; now: Date }): Promise<SecretId> {
  const id = Ids.secret(deps.ids.next());
  await deps.secrets.save({ id, workspaceId: input.workspaceId, purpose: input.purpose, ciphertext: await deps.cipher.encrypt(input.plaintext, input.aad), aad: input.aad, createdAt: input.now });
  return id;
}

/** Encrypts and stores a token for the account; returns the new secret's id. */
export function storeAccountToken(deps: SecretDeps, input: { workspaceId: WorkspaceId; accountId: InstagramAccountId; token: string; now: Date }): Promise<SecretId> {
  return storeSecret(deps, { workspaceId: input.workspaceId, purpose: 'instagram_token', aad: instagramTokenAad(input.workspaceId, input.accountId), plaintext: input.token, now: input.now });
}

/** The plaintext token, or null when the account holds none (disconnected, revoked) or it was destroyed. */
export async function readAccountToken(deps: { secrets: SecretRepository; cipher: TokenCipher }, account: InstagramAccount): Promise<string | null> {
  if (!account.tokenRef) return null;
  const secret = await deps.secrets.get(account.workspaceId, account.tokenRef);
  if (!secret) return null;
  return deps.cipher.decrypt(secret.ciphertext, instagramTokenAad(account.workspaceId, account.id));
}
