import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  AesGcmTokenCipher, generateKeyringEntry, makeSignedRequest, parseKeyring, parseSignedRequest, signHubPayload, tokenAad, verifyHubSignature,
} from '../../src/crypto/index.js';

const k1 = parseKeyring(generateKeyringEntry('k1'));
const k2 = parseKeyring(generateKeyringEntry('k2'));

describe('AesGcmTokenCipher', () => {
  it('round-trips any token and never stores it in the clear (property)', async () => {
    const cipher = new AesGcmTokenCipher(k1);
    await fc.assert(fc.asyncProperty(fc.string({ maxLength: 300 }), async (token) => {
      const c = await cipher.encrypt(token, tokenAad('ws', 'acct'));
      expect(c.keyId).toBe('k1');
      if (token.length >= 4) expect(c.data).not.toContain(token);
      expect(await cipher.decrypt(c, tokenAad('ws', 'acct'))).toBe(token);
    }), { numRuns: 100 });
  });

  it('uses a fresh nonce every time', async () => {
    const cipher = new AesGcmTokenCipher(k1);
    const a = await cipher.encrypt('IGAAtoken', 'aad');
    const b = await cipher.encrypt('IGAAtoken', 'aad');
    expect(a.data).not.toBe(b.data);
  });

  it('fails to decrypt a ciphertext moved to another row (AAD binding) or altered', async () => {
    const cipher = new AesGcmTokenCipher(k1);
    const c = await cipher.encrypt('IGAAsecret', tokenAad('ws-a', 'acct-1'));
    await expect(cipher.decrypt(c, tokenAad('ws-b', 'acct-1'))).rejects.toThrow(/authentication/);
    await expect(cipher.decrypt(c, tokenAad('ws-a', 'acct-2'))).rejects.toThrow(/authentication/);
    const parts = c.data.split('.');
    const body = Buffer.from(parts[2]!, 'base64url');
    body[0] = body[0]! ^ 1;
    await expect(cipher.decrypt({ ...c, data: [parts[0], parts[1], body.toString('base64url'), parts[3]].join('.') }, tokenAad('ws-a', 'acct-1'))).rejects.toThrow();
  });

  it('rotates: the newest key encrypts, old keys still decrypt, and a removed key is a clear error', async () => {
    const old = new AesGcmTokenCipher(k1);
    const c = await old.encrypt('tok', 'aad');
    const rotated = new AesGcmTokenCipher([...k2, ...k1]);
    expect(rotated.currentKeyId()).toBe('k2');
    expect(await rotated.decrypt(c, 'aad')).toBe('tok');
    const reencrypted = await rotated.encrypt(await rotated.decrypt(c, 'aad'), 'aad');
    expect(reencrypted.keyId).toBe('k2');
    const afterRemoval = new AesGcmTokenCipher(k2);
    expect(await afterRemoval.decrypt(reencrypted, 'aad')).toBe('tok');
    await expect(afterRemoval.decrypt(c, 'aad')).rejects.toThrow(/No key "k1"/);
  });

  it('refuses malformed keyrings with a reason', () => {
    expect(() => parseKeyring('')).toThrow(/empty/);
    expect(() => parseKeyring('nokey')).toThrow(/id/);
    expect(() => parseKeyring('k1:c2hvcnQ=')).toThrow(/32 bytes/);
    const e = generateKeyringEntry('k1');
    expect(() => parseKeyring(`${e},${e}`)).toThrow(/share an id/);
  });
});

describe('Meta signatures', () => {
  const secret = 'app-secret';
  it('accepts X-Hub-Signature-256 over the exact bytes and nothing else', () => {
    const raw = Buffer.from('{"object":"instagram","entry":[{"id":"1","text":"caf\\u00e9"}]}');
    const sig = signHubPayload(raw, secret);
    expect(verifyHubSignature(raw, sig, secret)).toBe(true);
    expect(verifyHubSignature(Buffer.from(JSON.stringify(JSON.parse(raw.toString()))), sig, secret)).toBe(false);
    expect(verifyHubSignature(raw, sig, 'other-secret')).toBe(false);
    expect(verifyHubSignature(raw, undefined, secret)).toBe(false);
    expect(verifyHubSignature(raw, sig.replace('sha256=', 'sha1='), secret)).toBe(false);
    expect(verifyHubSignature(raw, 'sha256=zz', secret)).toBe(false);
  });

  it('parses a valid signed_request and refuses forged, re-signed or malformed ones', () => {
    const good = makeSignedRequest({ algorithm: 'HMAC-SHA256', user_id: '17841455500112233', issued_at: 1 }, secret);
    expect(parseSignedRequest(good, secret)).toMatchObject({ ok: true, payload: { user_id: '17841455500112233' } });
    expect(parseSignedRequest(good, 'wrong')).toEqual({ ok: false, reason: 'bad signature' });
    expect(parseSignedRequest(makeSignedRequest({ algorithm: 'none', user_id: '1' }, secret), secret)).toEqual({ ok: false, reason: 'unsupported algorithm' });
    const [sig] = good.split('.');
    const forgedPayload = Buffer.from(JSON.stringify({ algorithm: 'HMAC-SHA256', user_id: 'victim' })).toString('base64url');
    expect(parseSignedRequest(`${sig}.${forgedPayload}`, secret).ok).toBe(false);
    for (const bad of ['', '.', 'abc', 'a.b.c', '!!.??', `${sig}.`]) expect(parseSignedRequest(bad, secret).ok).toBe(false);
  });

  it('never throws on arbitrary input (property)', () => {
    fc.assert(fc.property(fc.string({ maxLength: 400 }), (s) => {
      expect(parseSignedRequest(s, secret).ok).toBe(false);
    }), { numRuns: 500 });
  });
});
