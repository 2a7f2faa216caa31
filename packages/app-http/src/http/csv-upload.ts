import { createReadStream, createWriteStream } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { Transform } from 'node:stream';
import type { Request } from 'express';
import { HttpProblem } from './problem.js';

/** A 50,000-row catalog is a few megabytes; this leaves room for long descriptions and image lists. */
export const CSV_UPLOAD_LIMIT_BYTES = 64 * 1024 * 1024;

/**
 * Runs `use` over an uploaded CSV without holding it in memory. The importer reads the file twice
 * (check everything, then apply), and a request can be read only once, so the body is spooled to a
 * private temporary file first and streamed from there on each pass; the file goes when `use` ends.
 */
export async function withCsvUpload<T>(req: Request, use: (source: () => AsyncIterable<string | Uint8Array>) => Promise<T>, limitBytes = CSV_UPLOAD_LIMIT_BYTES): Promise<T> {
  const declared = Number(req.headers['content-length'] ?? Number.NaN);
  if (declared > limitBytes) throw tooLarge(limitBytes);
  const dir = await mkdtemp(join(tmpdir(), 'palette-upload-'));
  const file = join(dir, 'upload.csv');
  try {
    let seen = 0;
    const cap = new Transform({
      transform(chunk: Buffer, _encoding, done) {
        seen += chunk.length;
        done(seen > limitBytes ? tooLarge(limitBytes) : null, chunk);
      },
    });
    await pipeline(req, cap, createWriteStream(file, { mode: 0o600 }));
    // Bytes, not text: the CSV parser decodes strictly and reports a file that is not UTF-8.
    return await use(() => createReadStream(file, { highWaterMark: 256 * 1024 }));
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

function tooLarge(limitBytes: number): HttpProblem {
  return new HttpProblem('payload-too-large', { detail: `The file is larger than ${Math.floor(limitBytes / 1024 / 1024)} MB; split it.` });
}
