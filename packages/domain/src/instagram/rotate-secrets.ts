import type { UnitOfWork } from '../shared/ports.js';
import type { SecretRepository, TokenCipher } from './ports.js';

/**
 * Re-encrypts, in batches, every secret not under the cipher's current key. Run after adding a new
 * key in front of the keyring; once it reports `complete: true`, the old key can be removed.
 * Each batch commits on its own, so a crash loses at most one batch of work and a rerun resumes.
 */
export class RotateSecrets {
  constructor(private readonly deps: { secrets: SecretRepository; cipher: TokenCipher; uow: UnitOfWork }) {}

  async execute(input: { batchSize?: number; maxBatches?: number } = {}): Promise<{ reencrypted: number; complete: boolean }> {
    const { secrets, cipher, uow } = this.deps;
    const batchSize = input.batchSize ?? 100;
    const current = cipher.currentKeyId();
    let reencrypted = 0;
    for (let batch = 0; batch < (input.maxBatches ?? Number.POSITIVE_INFINITY); batch++) {
      const done = await uow.run(async () => {
        const stale = await secrets.listByKeyIdNot(current, batchSize);
        for (const secret of stale) {
          const plaintext = await cipher.decrypt(secret.ciphertext, secret.aad);
          await secrets.save({ ...secret, ciphertext: await cipher.encrypt(plaintext, secret.aad) });
        }
        return stale.length;
      });
      reencrypted += done;
      if (done < batchSize) break;
    }
    const complete = (await secrets.listByKeyIdNot(current, 1)).length === 0;
    return { reencrypted, complete };
  }
}
