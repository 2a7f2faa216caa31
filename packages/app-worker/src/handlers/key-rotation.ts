import { RotateSecrets } from '@palette/domain';
import type { JobHandler } from '@palette/adapters/queue';
import type { InstagramWorkerDeps } from './outbound-send.js';

/**
 * `secrets.key-rotation`: re-encrypts every secret not under the keyring's newest key, batch by
 * batch (each batch commits alone, so a crash resumes where it stopped). Run after putting a new
 * key first in PALETTE_ENCRYPTION_KEYS; once it logs `complete`, the old key can be removed.
 */
export function keyRotationHandler(deps: Pick<InstagramWorkerDeps, 'repositories' | 'cipher' | 'log'>): JobHandler {
  return async () => {
    // A lazily loaded keyring must be read before the current key id can be asked.
    const lazy = deps.cipher as Partial<{ load: () => Promise<unknown> }>;
    if (typeof lazy.load === 'function') await lazy.load();
    const repos = deps.repositories();
    const result = await new RotateSecrets({ secrets: repos.secrets, uow: repos.uow, cipher: deps.cipher }).execute({ batchSize: 100 });
    deps.log.info({ ...result, keyId: deps.cipher.currentKeyId() }, 'secrets key rotation');
    if (!result.complete) throw new Error('Key rotation left secrets under an old key; retrying');
  };
}
