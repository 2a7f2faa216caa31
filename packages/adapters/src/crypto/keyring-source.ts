import { randomBytes } from 'node:crypto';
import { link, mkdir, readFile, stat, unlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { generateKeyringEntry, KeyringError, parseKeyring, type KeyringKey } from './index.js';

export const KEY_FILE_NAME = 'encryption-keys';

/**
 * Where the token keys come from: `PALETTE_ENCRYPTION_KEYS` when set (production: from a secret
 * store); otherwise, on the embedded default, a key generated once into the data folder with mode
 * 0600, so `npm start` works on a fresh machine and tokens survive restarts.
 */
export async function loadKeyring(input: { envKeys: string | undefined; dataDir: string }): Promise<{ keys: KeyringKey[]; source: 'env' | 'file' | 'generated' }> {
  if (input.envKeys && input.envKeys.trim() !== '') return { keys: parseKeyring(input.envKeys), source: 'env' };
  const file = join(input.dataDir, KEY_FILE_NAME);
  try {
    const info = await stat(file);
    if ((info.mode & 0o077) !== 0) throw new KeyringError(`${file} is readable by others (mode ${(info.mode & 0o777).toString(8)}); run chmod 600 on it.`);
    return { keys: parseKeyring((await readFile(file, 'utf8')).trim()), source: 'file' };
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
  }
  await mkdir(input.dataDir, { recursive: true });
  const entry = generateKeyringEntry(`k${new Date().toISOString().slice(0, 10).replace(/-/g, '')}`);
  // Written whole to a private temp file, then linked into place: link fails if another process
  // won the race, and nobody can ever read a half-written key file.
  const tmp = `${file}.${randomBytes(6).toString('hex')}.tmp`;
  await writeFile(tmp, `${entry}\n`, { mode: 0o600, flag: 'wx' });
  try {
    await link(tmp, file);
    return { keys: parseKeyring(entry), source: 'generated' };
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
    return { keys: parseKeyring((await readFile(file, 'utf8')).trim()), source: 'file' };
  } finally {
    await unlink(tmp).catch(() => undefined);
  }
}
