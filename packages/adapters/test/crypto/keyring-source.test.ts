import { chmod, mkdtemp, readFile, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { AesGcmTokenCipher, generateKeyringEntry, KEY_FILE_NAME, loadKeyring } from '../../src/crypto/index.js';

describe('loadKeyring', () => {
  const dirs: string[] = [];
  const fresh = async () => { const d = await mkdtemp(join(tmpdir(), 'palette-keys-')); dirs.push(d); return d; };
  afterEach(async () => { for (const d of dirs.splice(0)) await rm(d, { recursive: true, force: true }); });

  it('generates a key once into the data folder with mode 0600, then reuses it', async () => {
    const dir = await fresh();
    const first = await loadKeyring({ envKeys: undefined, dataDir: dir });
    expect(first.source).toBe('generated');
    expect((await stat(join(dir, KEY_FILE_NAME))).mode & 0o777).toBe(0o600);
    const second = await loadKeyring({ envKeys: '', dataDir: dir });
    expect(second.source).toBe('file');
    const token = await new AesGcmTokenCipher(first.keys).encrypt('IGAAtoken', 'aad');
    expect(await new AesGcmTokenCipher(second.keys).decrypt(token, 'aad')).toBe('IGAAtoken');
  });

  it('prefers PALETTE_ENCRYPTION_KEYS and writes nothing then', async () => {
    const dir = await fresh();
    const entry = generateKeyringEntry('prod1');
    const loaded = await loadKeyring({ envKeys: entry, dataDir: dir });
    expect(loaded).toMatchObject({ source: 'env' });
    expect(loaded.keys[0]!.id).toBe('prod1');
    await expect(readFile(join(dir, KEY_FILE_NAME))).rejects.toThrow();
  });

  it('refuses a key file others can read', async () => {
    const dir = await fresh();
    await loadKeyring({ envKeys: undefined, dataDir: dir });
    await chmod(join(dir, KEY_FILE_NAME), 0o644);
    await expect(loadKeyring({ envKeys: undefined, dataDir: dir })).rejects.toThrow(/chmod 600/);
  });

  it('two processes starting at once end up with the same key', async () => {
    const dir = await fresh();
    const [a, b] = await Promise.all([loadKeyring({ envKeys: undefined, dataDir: dir }), loadKeyring({ envKeys: undefined, dataDir: dir })]);
    expect(a.keys[0]!.key.equals(b.keys[0]!.key)).toBe(true);
  });
});
