import { spawn } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

const root = join(import.meta.dirname, '..', '..');

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer().listen(0, '127.0.0.1', () => {
      const { port } = srv.address() as { port: number };
      srv.close(() => resolve(port));
    });
    srv.on('error', reject);
  });
}

// The fresh-machine contract: `npm start` on an empty data folder runs HTTP and the worker in one
// process, reports database and queue ready, serves the API, and stops cleanly on SIGTERM.
describe('npm start (scripts/start.ts)', () => {
  it('starts on a fresh PGlite folder, is ready with database and queue, and exits 0 on SIGTERM', async () => {
    const dataDir = await mkdtemp(join(tmpdir(), 'palette-start-'));
    const port = await freePort();
    // Run exactly what `npm start` runs, minus npm. It must be plain node with tsx as a loader: the tsx
    // CLI relays SIGTERM to a child it SIGKILLs unless the child acknowledges within 30 ms, which a
    // busy machine misses — a hard kill instead of a graceful stop (exit 143 here).
    const manifest = JSON.parse(await readFile(join(root, 'package.json'), 'utf8')) as { scripts: Record<string, string> };
    const [command, ...args] = manifest.scripts['start']!.split(' ');
    expect(command).toBe('node');
    const child = spawn(process.execPath, args, {
      cwd: root, env: { ...process.env, PORT: String(port), PALETTE_DATA_DIR: dataDir, DATABASE_URL: '', INSTAGRAM_GRAPH_URL: '', LOG_LEVEL: 'warn' }, stdio: ['ignore', 'pipe', 'pipe'],
    });
    try {
      let out = '';
      child.stdout.on('data', (d: Buffer) => { out += d.toString(); });
      child.stderr.on('data', (d: Buffer) => { out += d.toString(); });
      const deadline = Date.now() + 60_000;
      while (!out.includes('Palette is running at') && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
      expect(out).toContain(`Palette is running at http://127.0.0.1:${port}/`);
      const ready = await fetch(`http://127.0.0.1:${port}/readyz`);
      expect(ready.status).toBe(200);
      expect(await ready.json()).toEqual({ status: 'ok', checks: { database: 'ok', queue: 'ok' } });
      const register = await fetch(`http://127.0.0.1:${port}/api/auth/register`, {
        method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ name: 'Ana', email: 'ana@example.com', password: 'a long passphrase' }),
      });
      expect(register.status).toBe(201);
      // Sandbox mode (no INSTAGRAM_GRAPH_URL): the simulator runs in-process and the sandbox API is live.
      const cookie = register.headers.getSetCookie().map((c) => c.split(';')[0]).join('; ');
      const me = (await (await fetch(`http://127.0.0.1:${port}/api/me`, { headers: { cookie } })).json()) as { memberships: Array<{ workspaceId: string }> };
      const sandbox = await fetch(`http://127.0.0.1:${port}/api/workspaces/${me.memberships[0]!.workspaceId}/sandbox`, { headers: { cookie } });
      expect(sandbox.status).toBe(200);
      expect(await sandbox.json()).toEqual({ account: null, customers: [], sends: [] });
      expect(out).toMatch(/Instagram sandbox \(simulator\) at http:\/\/127\.0\.0\.1:\d+\//);
      const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
      child.kill('SIGTERM');
      expect(await exited).toBe(0);
    } finally {
      if (child.exitCode === null) child.kill('SIGKILL');
      await rm(dataDir, { recursive: true, force: true });
    }
  }, 90_000);
});
