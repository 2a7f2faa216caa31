import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ScryptPasswordHasher, Sha256Digest, UuidV7Generator, randomToken } from '../../src/system/index.js';

describe('UuidV7Generator', () => {
  it('produces RFC 9562 version-7 UUIDs that sort in creation order and never repeat', () => {
    const gen = new UuidV7Generator();
    const ids = Array.from({ length: 5000 }, () => gen.next());
    for (const id of ids) expect(id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    expect(new Set(ids).size).toBe(ids.length);
    expect([...ids].sort()).toEqual(ids);
  });
  it('encodes the current time in the first 48 bits', () => {
    const before = Date.now();
    const id = new UuidV7Generator().next();
    const ms = parseInt(id.replace(/-/g, '').slice(0, 12), 16);
    expect(ms).toBeGreaterThanOrEqual(before);
    expect(ms).toBeLessThanOrEqual(Date.now());
  });
});

describe('ScryptPasswordHasher', () => {
  const hasher = new ScryptPasswordHasher({ N: 2 ** 10, r: 8, p: 1 });
  it('verifies the right password and rejects any other (property)', async () => {
    await fc.assert(fc.asyncProperty(fc.string({ minLength: 1, maxLength: 40 }), fc.string({ minLength: 1, maxLength: 40 }), async (a, b) => {
      const h = await hasher.hash(a);
      expect(await hasher.verify(a, h)).toBe(true);
      if (a.normalize('NFKC') !== b.normalize('NFKC')) expect(await hasher.verify(b, h)).toBe(false);
    }), { numRuns: 20 });
  });
  it('salts every hash, never contains the password, and rejects malformed hashes', async () => {
    const a = await hasher.hash('correct horse battery');
    const b = await hasher.hash('correct horse battery');
    expect(a).not.toBe(b);
    expect(a).not.toContain('correct horse');
    expect(a.startsWith('scrypt$1024$8$1$')).toBe(true);
    for (const bad of ['', 'plain', 'scrypt$x$8$1$aa$bb', 'bcrypt$1$2$3$4$5']) expect(await hasher.verify('x', bad)).toBe(false);
  });
  it('verifies hashes made with other parameters (they are encoded in the hash)', async () => {
    const old = await new ScryptPasswordHasher({ N: 2 ** 11, r: 8, p: 1 }).hash('pw-123456789');
    expect(await hasher.verify('pw-123456789', old)).toBe(true);
  });
});

describe('Sha256Digest and randomToken', () => {
  it('hashes the known vector and makes unguessable URL-safe tokens', () => {
    expect(new Sha256Digest().sha256Hex('abc')).toBe('ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad');
    const t = randomToken();
    expect(t).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(randomToken()).not.toBe(t);
  });
});
