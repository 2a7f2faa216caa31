import { createHash, randomBytes, randomFillSync, scrypt as scryptCb, timingSafeEqual, type ScryptOptions } from 'node:crypto';
import type { Clock, Digest, IdGenerator, PasswordHasher } from '@palette/domain';

export class SystemClock implements Clock {
  now(): Date {
    return new Date();
  }
}

/**
 * RFC 9562 UUIDv7: a millisecond timestamp then randomness, so ids sort by creation time and
 * b-tree inserts stay at the right edge of the index. A counter keeps ids monotonic within a ms.
 */
export class UuidV7Generator implements IdGenerator {
  private lastMs = 0;
  private counter = 0;

  next(): string {
    const bytes = new Uint8Array(16);
    randomFillSync(bytes);
    let ms = Date.now();
    if (ms <= this.lastMs) {
      this.counter = (this.counter + 1) & 0xfff;
      if (this.counter === 0) this.lastMs += 1;
      ms = this.lastMs;
    } else {
      this.lastMs = ms;
      this.counter = bytes[6]! & 0x07;
    }
    bytes[0] = Math.floor(ms / 2 ** 40) & 0xff;
    bytes[1] = Math.floor(ms / 2 ** 32) & 0xff;
    bytes[2] = (ms >>> 24) & 0xff;
    bytes[3] = (ms >>> 16) & 0xff;
    bytes[4] = (ms >>> 8) & 0xff;
    bytes[5] = ms & 0xff;
    bytes[6] = 0x70 | ((this.counter >>> 8) & 0x0f);
    bytes[7] = this.counter & 0xff;
    bytes[8] = 0x80 | (bytes[8]! & 0x3f);
    const hex = Buffer.from(bytes).toString('hex');
    return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
  }
}

export class Sha256Digest implements Digest {
  sha256Hex(text: string): string {
    return createHash('sha256').update(text, 'utf8').digest('hex');
  }

  sha256HexOfParts(parts: Iterable<Uint8Array>): string {
    const hash = createHash('sha256');
    for (const part of parts) hash.update(part);
    return hash.digest('hex');
  }
}

/** 32 random bytes, URL-safe: session cookies, invitation and reset tokens. */
export function randomToken(bytes = 32): string {
  return randomBytes(bytes).toString('base64url');
}

function scrypt(password: string, salt: Buffer, keylen: number, options: ScryptOptions): Promise<Buffer> {
  return new Promise((resolve, reject) => scryptCb(password, salt, keylen, options, (e, key) => (e ? reject(e) : resolve(key))));
}

export interface ScryptParams {
  /** CPU/memory cost (a power of two). 2^15 with r = 8 uses 32 MiB per hash. */
  readonly N: number;
  readonly r: number;
  readonly p: number;
}

/** OWASP's minimum for scrypt is N=2^17 r=8 p=1 when it is the only defence; 2^15 keeps login under ~100 ms on 2 cores. */
export const DEFAULT_SCRYPT: ScryptParams = { N: 2 ** 15, r: 8, p: 1 };

/**
 * Memory-hard password hashing with node:crypto scrypt (no native dependency to build). The
 * encoded hash carries its parameters, so they can be raised later without breaking old hashes.
 */
export class ScryptPasswordHasher implements PasswordHasher {
  constructor(private readonly params: ScryptParams = DEFAULT_SCRYPT) {}

  async hash(password: string): Promise<string> {
    const salt = randomBytes(16);
    const key = await scrypt(password.normalize('NFKC'), salt, 32, { ...this.opts(this.params) });
    return `scrypt$${this.params.N}$${this.params.r}$${this.params.p}$${salt.toString('base64url')}$${key.toString('base64url')}`;
  }

  async verify(password: string, encoded: string): Promise<boolean> {
    const parts = encoded.split('$');
    if (parts.length !== 6 || parts[0] !== 'scrypt') return false;
    const [N, r, p] = parts.slice(1, 4).map(Number) as [number, number, number];
    if (![N, r, p].every((n) => Number.isSafeInteger(n) && n > 0)) return false;
    const salt = Buffer.from(parts[4]!, 'base64url');
    const expected = Buffer.from(parts[5]!, 'base64url');
    const key = await scrypt(password.normalize('NFKC'), salt, expected.length, this.opts({ N, r, p }));
    return key.length === expected.length && timingSafeEqual(key, expected);
  }

  private opts(params: ScryptParams): ScryptOptions {
    return { N: params.N, r: params.r, p: params.p, maxmem: 256 * params.N * params.r + 1024 * 1024 };
  }
}
