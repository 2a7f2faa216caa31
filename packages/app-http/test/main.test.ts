import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';

const repoRoot = join(import.meta.dirname, '..', '..', '..');
const mainPath = join(repoRoot, 'packages', 'app-http', 'src', 'main.ts');

interface Run {
  readonly child: ChildProcess;
  stdout: string;
  stderr: string;
  readonly exited: Promise<number | null>;
}

const running: ChildProcess[] = [];
afterEach(() => {
  for (const child of running.splice(0)) if (child.exitCode === null) child.kill('SIGKILL');
});

/** Runs `main.ts` as `npm start` does (tsx), with only the variables given: nothing leaks in from CI. */
function runMain(env: Record<string, string>): Run {
  const child = spawn(process.execPath, ['--import', 'tsx', mainPath], {
    cwd: repoRoot,
    env: { PATH: process.env['PATH'] ?? '', HOME: process.env['HOME'] ?? '', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  running.push(child);
  const run: Run = {
    child,
    stdout: '',
    stderr: '',
    exited: new Promise((resolve) => child.once('exit', (code) => resolve(code))),
  };
  child.stdout?.on('data', (chunk: Buffer) => (run.stdout += chunk.toString()));
  child.stderr?.on('data', (chunk: Buffer) => (run.stderr += chunk.toString()));
  return run;
}

async function waitFor(predicate: () => boolean, what: string, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!predicate()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

describe('main.ts', () => {
  it('exits 1 on a bad environment, listing each bad variable and no stack trace', async () => {
    const run = runMain({ PORT: 'eighty', LOG_LEVEL: 'loud', CORS_ORIGINS: '*' });
    expect(await run.exited).toBe(1);
    expect(run.stderr.trim().split('\n')).toEqual([
      'Palette cannot start: some environment variables are invalid.',
      '  PORT: must be an integer between 0 and 65535 (got "eighty")',
      expect.stringMatching(/^ {2}LOG_LEVEL: must be one of .* \(got "loud"\)$/),
      expect.stringMatching(/^ {2}CORS_ORIGINS: "\*" is not an origin/),
    ]);
    expect(run.stderr).not.toMatch(/^\s+at /m);
    expect(run.stdout).toBe('');
  });

  it('starts on embedded PGlite, migrates, prints its URL, is ready, and exits 0 on SIGTERM', async () => {
    const run = runMain({ PORT: '0', PALETTE_DATA_DIR: 'memory://', LOG_LEVEL: 'warn' });
    await waitFor(() => run.stdout.includes('Palette is running at') || run.child.exitCode !== null, 'the start line', 80_000);
    const line = run.stdout.trim().split('\n').at(-1) ?? '';
    expect(line).toMatch(/^Palette is running at http:\/\/127\.0\.0\.1:\d+\/$/);
    const url = line.replace('Palette is running at ', '');

    const ready = await fetch(`${url}readyz`);
    expect(ready.status).toBe(200);
    expect(await ready.json()).toEqual({ status: 'ok', checks: { database: 'ok', queue: 'ok' } });

    run.child.kill('SIGTERM');
    expect(await run.exited).toBe(0);
    expect(run.stderr).toBe('');
    await expect(fetch(`${url}healthz`)).rejects.toThrow();
  }, 120_000);
});
