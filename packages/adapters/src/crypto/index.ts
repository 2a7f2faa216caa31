import { createCipheriv, createDecipheriv, createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import type { Ciphertext, TokenCipher } from '@palette/domain';

export interface KeyringKey {
  readonly id: string;
  readonly key: Buffer;
}

export class KeyringError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'KeyringError';
  }
}

/**
 * `PALETTE_ENCRYPTION_KEYS`: comma-separated `id:base64key` entries, newest first. The first key
 * encrypts; every key decrypts, so a rotation adds a key in front, re-encrypts, then drops the old one.
 */
export function parseKeyring(spec: string): KeyringKey[] {
  const keys = spec.split(',').map((s) => s.trim()).filter(Boolean).map((entry) => {
    const at = entry.indexOf(':');
    if (at <= 0) throw new KeyringError('Each key is "id:base64"; one entry has no id.');
    const id = entry.slice(0, at);
    if (!/^[A-Za-z0-9_.-]{1,32}$/.test(id)) throw new KeyringError(`Key id "${id}" must be 1–32 letters, digits, dot, dash or underscore.`);
    const key = Buffer.from(entry.slice(at + 1), 'base64');
    if (key.length !== 32) throw new KeyringError(`Key "${id}" must be 32 bytes (base64 of 32 random bytes), got ${key.length}.`);
    return { id, key };
  });
  if (keys.length === 0) throw new KeyringError('The keyring is empty.');
  if (new Set(keys.map((k) => k.id)).size !== keys.length) throw new KeyringError('Two keys share an id.');
  return keys;
}

export function generateKeyringEntry(id: string): string {
  return `${id}:${randomBytes(32).toString('base64')}`;
}

const VERSION = 'v1';

/**
 * AES-256-GCM with a fresh 96-bit nonce per encryption. The stored form is
 * `v1.<nonce>.<ciphertext>.<tag>` (base64url) plus the key id; the additional authenticated data
 * (workspace and account) binds a ciphertext to its row: copied to another row, it fails to decrypt.
 */
export class AesGcmTokenCipher implements TokenCipher {
  private readonly byId: Map<string, Buffer>;
  private readonly current: KeyringKey;

  constructor(keys: readonly KeyringKey[]) {
    if (keys.length === 0) throw new KeyringError('The keyring is empty.');
    this.current = keys[0]!;
    this.byId = new Map(keys.map((k) => [k.id, k.key]));
  }

  currentKeyId(): string {
    return this.current.id;
  }

  async encrypt(plaintext: string, aad: string): Promise<Ciphertext> {
    const nonce = randomBytes(12);
    const cipher = createCipheriv('aes-256-gcm', this.current.key, nonce);
    cipher.setAAD(Buffer.from(aad, 'utf8'));
    const body = Buffer.concat([cipher.update(plaintext, 'utf8'), cipher.final()]);
    const tag = cipher.getAuthTag();
    return { keyId: this.current.id, data: [VERSION, nonce, body, tag].map((p) => (typeof p === 'string' ? p : p.toString('base64url'))).join('.') };
  }

  async decrypt(ciphertext: Ciphertext, aad: string): Promise<string> {
    const key = this.byId.get(ciphertext.keyId);
    if (!key) throw new KeyringError(`No key "${ciphertext.keyId}" in the keyring: was it removed before re-encryption finished?`);
    const [version, nonce, body, tag] = ciphertext.data.split('.');
    if (version !== VERSION || !nonce || body === undefined || !tag) throw new KeyringError('Malformed ciphertext.');
    const decipher = createDecipheriv('aes-256-gcm', key, Buffer.from(nonce, 'base64url'));
    decipher.setAAD(Buffer.from(aad, 'utf8'));
    decipher.setAuthTag(Buffer.from(tag, 'base64url'));
    try {
      return Buffer.concat([decipher.update(Buffer.from(body, 'base64url')), decipher.final()]).toString('utf8');
    } catch {
      // GCM says only "unable to authenticate": wrong key, wrong row (AAD) or tampering look alike, on purpose.
      throw new KeyringError('Ciphertext failed authentication (wrong key, moved to another row, or altered).');
    }
  }
}

/** The AAD for an Instagram token: the row it belongs to. */
export function tokenAad(workspaceId: string, accountId: string): string {
  return `instagram_token:${workspaceId}:${accountId}`;
}

/** `X-Hub-Signature-256: sha256=<hex>` over the exact request bytes, compared in constant time. */
export function verifyHubSignature(rawBody: Buffer, header: string | undefined, appSecret: string): boolean {
  if (!header || !header.startsWith('sha256=')) return false;
  const given = Buffer.from(header.slice('sha256='.length), 'hex');
  const expected = createHmac('sha256', appSecret).update(rawBody).digest();
  return given.length === expected.length && timingSafeEqual(given, expected);
}

export function signHubPayload(rawBody: Buffer | string, appSecret: string): string {
  return `sha256=${createHmac('sha256', appSecret).update(rawBody).digest('hex')}`;
}

export interface SignedRequestPayload {
  readonly algorithm: string;
  readonly user_id: string;
  readonly issued_at?: number;
  readonly expires?: number;
  readonly [key: string]: unknown;
}

export type SignedRequestResult = { ok: true; payload: SignedRequestPayload } | { ok: false; reason: string };

/**
 * Meta's deauthorize and data-deletion callbacks: `<sig>.<payload>`, both base64url; HMAC-SHA256
 * over the *encoded* payload segment with the app secret; the algorithm must be HMAC-SHA256.
 */
export function parseSignedRequest(signedRequest: string, appSecret: string): SignedRequestResult {
  if (typeof signedRequest !== 'string' || signedRequest.length > 8192) return { ok: false, reason: 'missing or oversized signed_request' };
  const dot = signedRequest.indexOf('.');
  if (dot <= 0 || dot === signedRequest.length - 1) return { ok: false, reason: 'signed_request is not <signature>.<payload>' };
  const encodedSig = signedRequest.slice(0, dot);
  const encodedPayload = signedRequest.slice(dot + 1);
  if (!/^[A-Za-z0-9_-]+={0,2}$/.test(encodedSig) || !/^[A-Za-z0-9_-]+={0,2}$/.test(encodedPayload)) return { ok: false, reason: 'signed_request is not base64url' };
  let payload: unknown;
  try {
    payload = JSON.parse(Buffer.from(encodedPayload, 'base64url').toString('utf8'));
  } catch {
    return { ok: false, reason: 'payload is not JSON' };
  }
  if (typeof payload !== 'object' || payload === null || Array.isArray(payload)) return { ok: false, reason: 'payload is not an object' };
  const p = payload as Record<string, unknown>;
  if (typeof p['algorithm'] !== 'string' || p['algorithm'].toUpperCase() !== 'HMAC-SHA256') return { ok: false, reason: 'unsupported algorithm' };
  if (typeof p['user_id'] !== 'string' && typeof p['user_id'] !== 'number') return { ok: false, reason: 'payload has no user_id' };
  const expected = createHmac('sha256', appSecret).update(encodedPayload).digest();
  const given = Buffer.from(encodedSig, 'base64url');
  if (given.length !== expected.length || !timingSafeEqual(given, expected)) return { ok: false, reason: 'bad signature' };
  return { ok: true, payload: { ...(p as object), algorithm: p['algorithm'] as string, user_id: String(p['user_id']) } as SignedRequestPayload };
}

/** For the simulator and tests: what Meta would send. */
export function makeSignedRequest(payload: Record<string, unknown>, appSecret: string): string {
  const encoded = Buffer.from(JSON.stringify(payload)).toString('base64url');
  return `${createHmac('sha256', appSecret).update(encoded).digest('base64url')}.${encoded}`;
}

export { loadKeyring, KEY_FILE_NAME } from './keyring-source.js';
