import { existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';
import { build } from 'vite';
import type { Mailer } from '@palette/domain';
import { buildSessionApp, type SessionApp, type SessionAppOptions } from '../../../app-http/test/support/session-app.js';

const WEB_ROOT = fileURLToPath(new URL('../../', import.meta.url));
/**
 * Builds the dashboard as `npm install` does. Vitest sets NODE_ENV=test, and Vite and the React
 * plugin read it to pick React's development build and JSX runtime; NODE_ENV is production for
 * the duration of the build so the test exercises, and leaves in dist/, what merchants get.
 */
export async function buildDashboard(options: Parameters<typeof build>[0]): Promise<void> {
  const previous = process.env.NODE_ENV;
  process.env.NODE_ENV = 'production';
  try {
    await build({ root: WEB_ROOT, configFile: path.join(WEB_ROOT, 'vite.config.ts'), logLevel: 'warn', mode: 'production', ...options });
  } finally {
    process.env.NODE_ENV = previous;
  }
}
export const CHROMIUM = process.env.PALETTE_CHROMIUM ?? '/usr/bin/chromium';
export const ARTIFACTS = fileURLToPath(new URL('../../../../test-artifacts/app-web/', import.meta.url));

export interface SentMail {
  readonly to: string;
  readonly subject: string;
  readonly text: string;
  readonly kind: string;
}

export interface Dashboard {
  readonly url: string;
  readonly app: SessionApp;
  readonly mails: SentMail[];
  readonly browser: Browser;
  newPage(options?: { viewport?: { width: number; height: number } }): Promise<{ context: BrowserContext; page: Page }>;
  /** The first link in the newest mail of this kind to this address, moved onto the test server's origin. */
  linkFrom(kind: string, to: string): string;
  screenshot(page: Page, name: string): Promise<void>;
  close(): Promise<void>;
}

/**
 * The real HTTP service (every feature route, cookie sessions, CSRF checks, the dashboard
 * middleware) on in-memory repositories, serving a fresh production build of the dashboard,
 * and Debian's Chromium driving it.
 */
export async function startDashboard(options: { routes?: SessionAppOptions['routes'] } = {}): Promise<Dashboard> {
  if (!existsSync(CHROMIUM)) throw new Error(`${CHROMIUM} is missing: run scripts/ensure-chromium.sh (apt-get install -y chromium)`);
  // Always rebuild: the test must exercise the code in the tree, not a stale dist/.
  // Each test file builds into its own folder: files running in parallel never serve one another's
  // half-written build, and dist/ (what `npm start` serves) stays what `npm install` built.
  const webRoot = mkdtempSync(path.join(tmpdir(), 'palette-web-'));
  await buildDashboard({ build: { outDir: webRoot, emptyOutDir: true } });
  mkdirSync(ARTIFACTS, { recursive: true });

  const mails: SentMail[] = [];
  const mailer: Mailer = { send: async (mail) => void mails.push({ to: mail.to, subject: mail.subject, text: mail.text, kind: mail.kind }) };
  const app = buildSessionApp({ mailer, recordRequests: true, webRoot, ...(options.routes ? { routes: options.routes } : {}) });
  // The browser keeps the real calendar: a session cookie dated by the harness's fixed clock
  // would arrive already expired and be dropped. So this app's clock follows the wall clock.
  app.clock.now = () => new Date();
  const server: Server = createServer(app.app);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;

  const browser = await chromium.launch({
    executablePath: CHROMIUM,
    args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
  const contexts: BrowserContext[] = [];

  return {
    url,
    app,
    mails,
    browser,
    async newPage(options = {}) {
      const context = await browser.newContext({ baseURL: url, viewport: options.viewport ?? { width: 1280, height: 800 } });
      contexts.push(context);
      const page = await context.newPage();
      page.setDefaultTimeout(10_000);
      return { context, page };
    },
    linkFrom(kind, to) {
      const mail = mails.filter((m) => m.kind === kind && m.to === to).at(-1);
      const link = mail?.text.match(/https?:\/\/\S+/)?.[0];
      if (!link) throw new Error(`no ${kind} mail with a link to ${to}; sent: ${JSON.stringify(mails.map((m) => [m.kind, m.to]))}`);
      const parsed = new URL(link);
      return `${url}${parsed.pathname}${parsed.search}${parsed.hash}`;
    },
    async screenshot(page, name) {
      await page.screenshot({ path: path.join(ARTIFACTS, `${name}.png`), fullPage: true });
    },
    async close() {
      for (const c of contexts) await c.close().catch(() => undefined);
      await browser.close();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      await app.recorder?.stop();
      rmSync(webRoot, { recursive: true, force: true });
    },
  };
}
