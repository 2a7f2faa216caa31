import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Page } from 'playwright-core';
import { startDashboard, type Dashboard } from './support/browser-harness.js';
import { seedShop, type SeededShop } from './support/seed.js';

const AXE_SOURCE = readFileSync(createRequire(import.meta.url).resolve('axe-core/axe.min.js'), 'utf8');
const BROWSER_TEST_MS = 90_000;

let d: Dashboard;
let shop: SeededShop;
let owner: Page;

/**
 * A page whose context ignores the server's CSP: axe is injected as an inline script, which
 * `script-src 'self'` rightly refuses. The app's own code runs the same either way.
 */
async function newPage(viewport = { width: 1280, height: 800 }) {
  const context = await d.browser.newContext({ baseURL: d.url, viewport, bypassCSP: true });
  const page = await context.newPage();
  page.setDefaultTimeout(10_000);
  return { context, page };
}

beforeAll(async () => {
  d = await startDashboard();
  owner = (await newPage()).page;
  shop = await seedShop(d, owner);
}, 90_000);

afterAll(async () => {
  await d?.close();
});

interface Violation {
  id: string;
  impact: string | null;
  help: string;
  nodes: Array<{ target: unknown[]; failureSummary?: string }>;
}

/** axe-core's serious and critical violations on the page as it is now, one line each (rule, help, where). */
async function seriousViolations(page: Page): Promise<string[]> {
  if (!(await page.evaluate(() => 'axe' in window))) await page.addScriptTag({ content: AXE_SOURCE });
  const violations = await page.evaluate(async () => {
    const axe = (window as unknown as { axe: { run: (ctx: Document, opts: object) => Promise<{ violations: unknown[] }> } }).axe;
    return (await axe.run(document, { resultTypes: ['violations'] })).violations;
  }) as Violation[];
  return violations
    .filter((v) => v.impact === 'serious' || v.impact === 'critical')
    .flatMap((v) => v.nodes.map((n) => `${v.impact} ${v.id}: ${v.help} at ${JSON.stringify(n.target)}${n.failureSummary ? ` (${n.failureSummary.replace(/\s+/g, ' ')})` : ''}`));
}

async function visit(page: Page, path: string, ready: (page: Page) => Promise<unknown>): Promise<string[]> {
  await page.goto(path);
  await ready(page);
  // Data-driven sections load after the heading: wait until nothing says "Loading…".
  await page.waitForFunction(() => !Array.from(document.querySelectorAll('.loading')).some((e) => (e as HTMLElement).offsetParent !== null), undefined, { timeout: 10_000 });
  return (await seriousViolations(page)).map((v) => `${path}: ${v}`);
}

const heading = (name: string | RegExp) => (page: Page) => page.getByRole('heading', { level: 1, name }).waitFor();

describe('accessibility of every dashboard page (axe-core in Chromium, with data present)', () => {
  it('the sign-in pages have no serious or critical violations', async () => {
    const { page } = await newPage();
    const found = [
      ...(await visit(page, '/login', heading('Log in'))),
      ...(await visit(page, '/signup', heading('Create your account'))),
      ...(await visit(page, '/reset-password', (p) => p.locator('h1').first().waitFor())),
      ...(await visit(page, '/invitations/accept', (p) => p.locator('h1').first().waitFor())),
    ];
    expect(found, found.join('\n')).toEqual([]);
    // The checker itself sees a violation when there is one: an image without a text alternative.
    await page.evaluate(() => document.querySelector('h1')!.after(Object.assign(document.createElement('img'), { src: '/nothing.png' })));
    expect((await seriousViolations(page)).join('\n')).toContain('critical image-alt');
  }, BROWSER_TEST_MS);

  it('every workspace page, including a conversation with its contact panel and AI audit open, has no serious or critical violations', async () => {
    const w = `/w/${shop.workspaceId}`;
    const pages: Array<[string, (page: Page) => Promise<unknown>]> = [
      [w, heading(`Welcome to ${shop.shop}`)],
      [`${w}/inbox`, (p) => p.getByRole('list', { name: 'Conversations' }).getByText('Marta Rose').waitFor()],
      [`${w}/contacts`, (p) => p.getByRole('region', { name: 'Contacts' }).waitFor()],
      [`${w}/contacts/${shop.contactId}`, heading(/Contact/)],
      [`${w}/orders`, (p) => p.getByRole('region', { name: 'Orders' }).waitFor()],
      [`${w}/orders/${shop.orderId}`, heading(/^Order /)],
      [`${w}/catalog`, (p) => p.getByRole('region', { name: 'Catalog' }).getByRole('link', { name: 'Speckled mug' }).waitFor()],
      [`${w}/inventory`, (p) => p.getByRole('region', { name: 'Inventory' }).waitFor()],
      [`${w}/reports`, heading('Reports')],
      [`${w}/privacy`, (p) => p.getByRole('heading', { name: 'Deletion receipts' }).waitFor()],
      [`${w}/team`, heading('Team')],
      [`${w}/settings`, (p) => p.getByRole('heading', { name: 'Instagram connection health' }).waitFor()],
    ];
    const found: string[] = [];
    for (const [path, ready] of pages) {
      found.push(...(await visit(owner, path, ready)));
      if (path.endsWith('/privacy') || path.endsWith('/settings')) await d.screenshot(owner, `a11y-${path.split('/').at(-1)}`);
    }

    // The conversation, with the AI audit expanded and the erase dialog open: both must pass too.
    found.push(...(await visit(owner, `${w}/conversations/${shop.conversationId}`, (p) => p.getByRole('region', { name: 'Contact' }).getByText('Marta Rose').waitFor())));
    await owner.getByText('AI audit').first().click();
    await owner.getByText('Guardrail outcome').waitFor();
    found.push(...(await seriousViolations(owner)).map((v) => `conversation (audit open): ${v}`));
    await d.screenshot(owner, 'conversation-with-contact-panel');
    await owner.getByRole('button', { name: 'Erase contact' }).click();
    await owner.getByRole('dialog', { name: 'Erase this contact?' }).waitFor();
    found.push(...(await seriousViolations(owner)).map((v) => `conversation (erase dialog): ${v}`));
    await owner.getByRole('button', { name: 'Cancel' }).click();
    expect(found, found.join('\n')).toEqual([]);
  }, BROWSER_TEST_MS);

  it('at phone width (390×844) the inbox and a conversation do not scroll sideways, and the reply box and contact panel are reachable', async () => {
    const { page, context } = await newPage({ width: 390, height: 844 });
    await context.addCookies(await owner.context().cookies());
    const overflow = () => page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
    const w = `/w/${shop.workspaceId}`;

    await page.goto(`${w}/inbox`);
    await page.getByRole('list', { name: 'Conversations' }).getByText('Marta Rose').waitFor();
    expect(await overflow(), 'horizontal overflow on the inbox').toBeLessThanOrEqual(0);

    await page.getByRole('link', { name: /Marta Rose/ }).click();
    await page.getByRole('heading', { level: 1, name: 'Marta Rose' }).waitFor();
    await page.getByRole('region', { name: 'Contact' }).getByText('Marta Rose').waitFor();
    expect(await overflow(), 'horizontal overflow on the conversation').toBeLessThanOrEqual(0);

    // Reachable: scrolled to, fully inside the viewport's width, and focusable from the keyboard.
    for (const target of [page.getByLabel('Your reply'), page.getByRole('button', { name: 'Erase contact' }), page.getByRole('button', { name: 'Export contact data' })]) {
      await target.scrollIntoViewIfNeeded();
      expect(await target.isVisible()).toBe(true);
      const box = (await target.boundingBox())!;
      expect(box.x).toBeGreaterThanOrEqual(0);
      expect(box.x + box.width).toBeLessThanOrEqual(390);
      await target.focus();
      expect(await target.evaluate((el) => el === document.activeElement)).toBe(true);
    }
    const panel = (await page.getByRole('region', { name: 'Contact' }).boundingBox())!;
    expect(panel.x + panel.width).toBeLessThanOrEqual(390);
    await d.screenshot(page, 'phone-conversation');
    expect(await seriousViolations(page), 'phone-width conversation').toEqual([]);
  }, BROWSER_TEST_MS);
});
