import { existsSync, mkdirSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';
import { createLogger, loadConfig } from '@palette/app-http';
import { openDatabase, persistenceModule } from '@palette/adapters/persistence';
import { startProduct, type Product } from '../../../../scripts/product.js';
import { ARTIFACTS, buildDashboard, CHROMIUM } from './browser-harness.js';


/** Variables the product reads from the process environment; set for the run, restored after. */
const OWNED_ENV = ['PORT', 'HOST', 'PUBLIC_URL', 'PALETTE_DATA_DIR', 'DATABASE_URL', 'LOG_LEVEL', 'PALETTE_ENCRYPTION_KEYS', 'SIMULATOR_PORT', 'SMTP_URL'] as const;
const isOwned = (key: string) => (OWNED_ENV as readonly string[]).includes(key) || /^(INSTAGRAM_|LLM_)/.test(key);

export interface RunningProduct {
  readonly url: string;
  readonly product: Product;
  readonly browser: Browser;
  newPage(): Promise<{ context: BrowserContext; page: Page }>;
  screenshot(page: Page, name: string): Promise<void>;
  close(): Promise<void>;
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer().listen(0, '127.0.0.1', () => {
      const { port } = srv.address() as { port: number };
      srv.close(() => resolve(port));
    });
    srv.on('error', reject);
  });
}

/**
 * The real product as `npm start` composes it (scripts/product.ts): HTTP and worker on embedded
 * PGlite in a fresh data folder, the Instagram simulator in sandbox mode, the offline assistant,
 * serving a fresh build of the dashboard, and Debian's Chromium driving it. The build goes to its
 * own folder: another browser suite may be rebuilding app-web/dist at the same time.
 */
export async function startProductInBrowser(): Promise<RunningProduct> {
  if (!existsSync(CHROMIUM)) throw new Error(`${CHROMIUM} is missing: run scripts/ensure-chromium.sh (apt-get install -y chromium)`);
  mkdirSync(ARTIFACTS, { recursive: true });
  const scratch = await mkdtemp(path.join(tmpdir(), 'palette-journey-'));
  const webRoot = path.join(scratch, 'web');
  await buildDashboard({ build: { outDir: webRoot, emptyOutDir: true } });

  const saved = Object.fromEntries(Object.entries(process.env).filter(([k]) => isOwned(k)));
  const restoreEnv = () => {
    for (const k of Object.keys(process.env)) if (isOwned(k)) delete process.env[k];
    Object.assign(process.env, saved);
  };
  for (const k of Object.keys(process.env)) if (isOwned(k)) delete process.env[k];
  const port = await freePort();
  // The browser must use the public URL's origin: Instagram's consent page redirects back to it,
  // and the session cookie has to come along.
  const url = `http://127.0.0.1:${port}`;
  Object.assign(process.env, { PORT: String(port), PUBLIC_URL: url, PALETTE_DATA_DIR: path.join(scratch, 'data'), LOG_LEVEL: 'error' });

  let product: Product;
  let browser: Browser;
  try {
    const loaded = loadConfig(process.env);
    if (!loaded.ok) throw new Error(JSON.stringify(loaded.error));
    const config = loaded.value;
    const logger = createLogger({ level: config.logLevel });
    const database = await openDatabase({ databaseUrl: config.databaseUrl, dataDir: config.dataDir, ...persistenceModule() });
    await database.migrate();
    // Shutdown must not end the test process: exit is a no-op, and signals stay vitest's.
    const proc = { once: () => undefined, removeListener: () => undefined, exit: () => undefined };
    product = await startProduct({ config, logger, database, webRoot, proc });

    browser = await chromium.launch({
      executablePath: CHROMIUM,
      args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
    });
  } catch (error) {
    // A half-started product must not leave its environment to the next suite in this worker.
    restoreEnv();
    await rm(scratch, { recursive: true, force: true });
    throw error;
  }
  const contexts: BrowserContext[] = [];
  return {
    url,
    product,
    browser,
    async newPage() {
      const context = await browser.newContext({ baseURL: url, viewport: { width: 1280, height: 800 }, acceptDownloads: true });
      contexts.push(context);
      const page = await context.newPage();
      page.setDefaultTimeout(10_000);
      return { context, page };
    },
    async screenshot(page, name) {
      await page.screenshot({ path: path.join(ARTIFACTS, `${name}.png`), fullPage: true });
    },
    async close() {
      for (const c of contexts) await c.close().catch(() => undefined);
      await browser.close().catch(() => undefined);
      // The product's own graceful stop: HTTP drains, then simulator, worker and database, in that order.
      await product.running.shutdown('journey test done');
      restoreEnv();
      await rm(scratch, { recursive: true, force: true });
    },
  };
}
