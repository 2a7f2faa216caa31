import { describe, expect, it } from 'vitest';
import { Ids, RotateSecrets, type Ciphertext, type TokenCipher } from '../src/index.js';
import { createInMemoryRepositories } from '../in-memory/index.js';
import { uuid } from '../testing/index.js';

/** A reversible fake: enough to prove which key made a ciphertext and that AAD is honoured. */
class FakeCipher implements TokenCipher {
  constructor(private readonly keys: string[]) {}
  currentKeyId() { return this.keys[0]!; }
  async encrypt(plaintext: string, aad: string): Promise<Ciphertext> { return { keyId: this.keys[0]!, data: `${aad}|${[...plaintext].reverse().join('')}` }; }
  async decrypt(c: Ciphertext, aad: string) {
    if (!this.keys.includes(c.keyId)) throw new Error(`no key ${c.keyId}`);
    const [boundTo, body] = c.data.split('|');
    if (boundTo !== aad) throw new Error('aad mismatch');
    return [...body!].reverse().join('');
  }
}

describe('RotateSecrets', () => {
  it('re-encrypts every secret under the new key in batches; then the old key can go', async () => {
    const repos = createInMemoryRepositories();
    const ws = Ids.workspace(uuid(1));
    const old = new FakeCipher(['k1']);
    await repos.uow.run(async () => {
      for (let i = 0; i < 7; i++) {
        await repos.secrets.save({ id: Ids.secret(uuid(100 + i)), workspaceId: ws, purpose: 'instagram_token', ciphertext: await old.encrypt(`token-${i}`, `aad-${i}`), aad: `aad-${i}`, createdAt: new Date() });
      }
    });
    const rotated = new FakeCipher(['k2', 'k1']);
    expect(await new RotateSecrets({ ...repos, cipher: rotated }).execute({ batchSize: 3, maxBatches: 1 })).toEqual({ reencrypted: 3, complete: false });
    expect(await new RotateSecrets({ ...repos, cipher: rotated }).execute({ batchSize: 3 })).toEqual({ reencrypted: 4, complete: true });
    const onlyNew = new FakeCipher(['k2']);
    for (let i = 0; i < 7; i++) {
      const s = (await repos.secrets.get(ws, Ids.secret(uuid(100 + i))))!;
      expect(s.ciphertext.keyId).toBe('k2');
      expect(await onlyNew.decrypt(s.ciphertext, s.aad)).toBe(`token-${i}`);
    }
    expect(await new RotateSecrets({ ...repos, cipher: rotated }).execute()).toEqual({ reencrypted: 0, complete: true });
  });
});
