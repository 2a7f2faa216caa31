import type { Ciphertext, TokenCipher } from '@palette/domain';
import { AesGcmTokenCipher, loadKeyring } from '../crypto/index.js';

/**
 * The token cipher, with its keyring read (or, on the embedded default, generated into the data
 * folder) on first use rather than at start: a process that never touches a token never creates
 * a key file.
 */
export class LazyKeyringCipher implements TokenCipher {
  private loading: Promise<AesGcmTokenCipher> | undefined;
  private loaded: AesGcmTokenCipher | undefined;

  constructor(private readonly source: { envKeys: string | undefined; dataDir: string }) {}

  load(): Promise<AesGcmTokenCipher> {
    this.loading ??= loadKeyring(this.source).then(({ keys }) => (this.loaded = new AesGcmTokenCipher(keys)));
    return this.loading;
  }

  async encrypt(plaintext: string, aad: string): Promise<Ciphertext> {
    return (await this.load()).encrypt(plaintext, aad);
  }

  async decrypt(ciphertext: Ciphertext, aad: string): Promise<string> {
    return (await this.load()).decrypt(ciphertext, aad);
  }

  currentKeyId(): string {
    if (!this.loaded) throw new Error('The keyring is not loaded yet: await load() first');
    return this.loaded.currentKeyId();
  }
}
