import { ContainerModule } from 'inversify';
import type { ServiceIdentifier } from 'inversify';
import { FakeClock } from '@palette/domain/in-memory';
import { describe, expect, it } from 'vitest';
import { authModule } from '../src/auth/auth-module.js';
import { buildContainer } from '../src/composition-root.js';
import { loadConfig } from '../src/config.js';
import { TOKENS } from '../src/tokens.js';
import { jobsModule } from '../src/jobs/failed-jobs.js';
import { cryptoModule, inMemoryModule, TEST_SCRYPT, useCasesModule } from '../src/modules.js';
import { captureLogs } from './support/harness.js';

const config = (() => {
  const loaded = loadConfig({});
  if (!loaded.ok) throw new Error('the default environment must be valid');
  return loaded.value;
})();

/** Bound by the entry point only when the process has them (a queue producer, an Instagram app, the sandbox simulator); the routes say so when absent. */
const OPTIONAL_TOKENS: ReadonlySet<string> = new Set(['JobQueue', 'Instagram', 'Sandbox']);

describe('composition root', () => {
  it('binds and resolves every token with the app modules loaded', () => {
    const { logger } = captureLogs();
    const container = buildContainer({ config, logger, modules: [cryptoModule({ scrypt: TEST_SCRYPT }), inMemoryModule(), useCasesModule(), authModule(config, logger), jobsModule()] });
    for (const [name, token] of Object.entries(TOKENS) as Array<[string, ServiceIdentifier<unknown>]>) {
      if (OPTIONAL_TOKENS.has(name)) continue;
      expect(container.isBound(token), name).toBe(true);
      expect(container.get(token), name).toBeDefined();
    }
    expect(container.get(TOKENS.Config)).toBe(config);
    expect(container.get(TOKENS.Logger)).toBe(logger);
  });

  it('gives a clock that tells the time', () => {
    const clock = buildContainer({ config, logger: captureLogs().logger }).get(TOKENS.Clock);
    const before = Date.now();
    const now = clock.now().getTime();
    expect(now).toBeGreaterThanOrEqual(before);
    expect(now).toBeLessThanOrEqual(Date.now());
  });

  it('lets a later module replace a binding (tests swap in fakes)', () => {
    const fixed = new Date('2026-01-02T03:04:05Z');
    const fakes = new ContainerModule(({ rebind }) => {
      rebind(TOKENS.Clock).toResolvedValue(() => new FakeClock(fixed));
    });
    const container = buildContainer({ config, logger: captureLogs().logger, modules: [fakes] });
    expect(container.get(TOKENS.Clock).now().toISOString()).toBe(fixed.toISOString());
  });
});
