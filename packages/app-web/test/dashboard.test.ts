import request from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Page } from 'playwright-core';
import type { Container } from 'inversify';
import { catalogRoutes } from '../../app-http/src/routes/catalog.route.js';
import { featureRoutes } from '../../app-http/src/routes/feature-routes.js';
import { inventoryRoutes } from '../../app-http/src/routes/inventory.route.js';
import { ordersRoutes } from '../../app-http/src/routes/orders.route.js';
import { startDashboard, type Dashboard } from './support/browser-harness.js';
import { Ids, ReceiveInboundMessage, type WorkspaceId } from '@palette/domain';
import { make } from '@palette/domain/testing';
import { TOKENS } from '../../app-http/src/tokens.js';
import { InMemoryDatabase, InMemoryPrivacyStores } from '@palette/domain/in-memory';
import { call, seedShop } from './support/seed.js';

let d: Dashboard;
// A page flow takes a few seconds here; the bound is for a busy 2-core CI machine, not a target.
const BROWSER_TEST_MS = 90_000;

/**
 * Every feature route, plus the catalog, inventory and order routes if the table does not mount
 * them yet (they landed as files before being wired), so the commerce pages run against real routes.
 */
function withCommerce(c: Container) {
  const base = featureRoutes(c);
  const mounted = (path: string) => base.some((r) => r.path === path);
  return [
    ...base,
    ...(mounted('/api/workspaces/:workspaceId/products') ? [] : catalogRoutes(c)),
    ...(mounted('/api/workspaces/:workspaceId/inventory') ? [] : inventoryRoutes(c)),
    ...(mounted('/api/workspaces/:workspaceId/orders') ? [] : ordersRoutes(c)),
  ];
}

beforeAll(async () => {
  d = await startDashboard({ routes: withCommerce });
}, 60_000);

afterAll(async () => {
  await d?.close();
});

let counter = 0;
const newMerchant = () => {
  counter += 1;
  return { name: `Ana Merchant ${counter}`, email: `ana${counter}-${Date.now()}@example.com`, password: `violet harbour lantern ${counter}`, shop: `Ana's Ceramics ${counter}` };
};

async function signUp(page: Page, m: ReturnType<typeof newMerchant>, path = '/signup') {
  await page.goto(path);
  await page.getByLabel('Your name').fill(m.name);
  await page.getByLabel('Email').fill(m.email);
  await page.getByLabel('Password').fill(m.password);
  await page.getByLabel('Shop name').fill(m.shop);
  await page.getByRole('button', { name: 'Create account' }).click();
}

/** Every form control on the page has an accessible name from a label (or aria-label). */
async function unlabelledControls(page: Page): Promise<string[]> {
  return page.evaluate(() =>
    Array.from(document.querySelectorAll('input, select, textarea'))
      .filter((el) => {
        const c = el as HTMLInputElement;
        if (c.type === 'hidden') return false;
        return c.labels?.length === 0 && !c.getAttribute('aria-label') && !c.getAttribute('aria-labelledby');
      })
      .map((el) => el.outerHTML.slice(0, 120)),
  );
}

describe('the dashboard in Chromium', () => {
  it('is served at / with its client routes, and leaves /api, /healthz and unknown API paths alone', async () => {
    const page = await request(d.app.app).get('/reset-password').set('Accept', 'text/html');
    expect(page.status).toBe(200);
    expect(page.text).toContain('<div id="root"></div>');
    expect(page.headers['cache-control']).toBe('no-cache');
    const health = await request(d.app.app).get('/healthz').set('Accept', 'text/html');
    expect(health.status).toBe(200);
    expect(health.text).not.toContain('id="root"');
    const api = await request(d.app.app).get('/api/nowhere').set('Accept', 'text/html');
    expect(api.status).toBe(404);
    expect(api.headers['content-type']).toContain('application/problem+json');
    // Non-browser clients asking for an unknown path still get the problem document.
    expect((await request(d.app.app).get('/nowhere')).status).toBe(404);
    expect((await request(d.app.app).post('/orders').set('Accept', 'text/html')).status).toBe(404);
  }, BROWSER_TEST_MS);

  it('signs up, lands in the workspace, saves the business profile, logs out and back in', async () => {
    const m = newMerchant();
    const { page } = await d.newPage();
    await page.goto('/');
    await expect.poll(() => new URL(page.url()).pathname).toBe('/login');
    expect(await unlabelledControls(page)).toEqual([]);
    await page.getByRole('link', { name: 'Create an account' }).click();
    expect(await unlabelledControls(page)).toEqual([]);
    await d.screenshot(page, 'signup');

    // A too-short password is refused by the server and shown next to its field.
    await signUp(page, { ...m, password: 'short' });
    await page.getByText('must be at least 10 characters').first().waitFor();
    await page.getByLabel('Password').fill(m.password);
    await page.getByRole('button', { name: 'Create account' }).click();

    await page.getByRole('heading', { level: 1, name: `Welcome to ${m.shop}` }).waitFor();
    expect(new URL(page.url()).pathname).toMatch(/^\/w\/[0-9a-f-]{36}$/);
    await page.getByLabel('Store name').fill(m.shop);
    await page.getByLabel('Tone of voice').fill('Warm and brief');
    await page.getByRole('button', { name: 'Add a question' }).click();
    await page.getByLabel('Question 1').fill('Do you ship to Madeira?');
    await page.getByLabel('Answer 1').fill('Yes, in 3 to 5 days.');
    await page.getByRole('button', { name: 'Save business profile' }).click();
    await page.getByText('The business profile is saved').waitFor();
    expect(await unlabelledControls(page)).toEqual([]);
    await d.screenshot(page, 'home-onboarding');

    const workspaceId = new URL(page.url()).pathname.split('/')[2]!;
    const stored = await page.evaluate(async (id) => (await fetch(`/api/workspaces/${id}`)).json(), workspaceId);
    expect(stored.businessProfile).toMatchObject({ storeName: m.shop, tone: 'Warm and brief', faq: [{ question: 'Do you ship to Madeira?', answer: 'Yes, in 3 to 5 days.' }] });

    // The settings page shows the audit trail of that change.
    await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Settings' }).click();
    await page.getByRole('heading', { level: 1, name: 'Settings' }).waitFor();
    await page.getByRole('region', { name: 'Audit log' }).getByText('workspace.settings_changed').first().waitFor();
    await d.screenshot(page, 'settings');

    await page.getByRole('button', { name: 'Log out' }).click();
    await page.getByRole('heading', { name: 'Log in' }).waitFor();
    await page.getByLabel('Email').fill(m.email);
    await page.getByLabel('Password').fill('not the password at all');
    await page.getByRole('button', { name: 'Log in' }).click();
    await page.getByRole('alert').getByText('The email or password is wrong.').waitFor();
    await page.getByLabel('Password').fill(m.password);
    await page.getByRole('button', { name: 'Log in' }).click();
    await page.getByRole('heading', { level: 1, name: `Welcome to ${m.shop}` }).waitFor();
  }, BROWSER_TEST_MS);

  it('resets a forgotten password through the emailed link', async () => {
    const m = newMerchant();
    const { page, context } = await d.newPage();
    await signUp(page, m);
    await page.getByRole('heading', { level: 1, name: `Welcome to ${m.shop}` }).waitFor();
    await context.clearCookies();

    await page.goto('/login');
    await page.getByRole('link', { name: 'Forgot your password?' }).click();
    await page.getByLabel('Email').fill(m.email);
    await page.getByRole('button', { name: 'Send reset link' }).click();
    await page.getByText(`If an account uses ${m.email}`).waitFor();

    await page.goto(d.linkFrom('password_reset', m.email));
    await page.getByRole('heading', { name: 'Choose a new password' }).waitFor();
    const fresh = `${m.password} renewed`;
    await page.getByLabel('New password').fill(fresh);
    await page.getByRole('button', { name: 'Change password' }).click();
    await page.getByText('Your password is changed').waitFor();
    // The token left the address bar: it is single-use and must not linger in history.
    expect(new URL(page.url()).hash).toBe('');

    await page.getByRole('link', { name: 'Log in' }).first().click();
    await page.getByLabel('Email').fill(m.email);
    await page.getByLabel('Password').fill(fresh);
    await page.getByRole('button', { name: 'Log in' }).click();
    await page.getByRole('heading', { level: 1, name: `Welcome to ${m.shop}` }).waitFor();
  }, BROWSER_TEST_MS);

  it('invites a teammate who signs up from the link, accepts, and sees only what an agent may', async () => {
    const owner = newMerchant();
    const { page } = await d.newPage();
    await signUp(page, owner);
    await page.getByRole('heading', { level: 1, name: `Welcome to ${owner.shop}` }).waitFor();
    await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Team' }).click();
    await page.getByRole('heading', { level: 1, name: 'Team' }).waitFor();
    const agent = newMerchant();
    await page.getByLabel('Email to invite').fill(agent.email);
    await page.getByLabel('Role').selectOption('agent');
    await page.getByRole('button', { name: 'Send invitation' }).click();
    await page.getByText(`Invitation sent to ${agent.email}`).waitFor();
    await page.getByRole('button', { name: `Revoke the invitation to ${agent.email}` }).waitFor();
    expect(await unlabelledControls(page)).toEqual([]);
    await d.screenshot(page, 'team');

    const invited = await d.newPage();
    await invited.page.goto(d.linkFrom('invitation', agent.email));
    await invited.page.getByRole('heading', { name: 'You are invited to a Palette workspace' }).waitFor();
    await invited.page.getByRole('link', { name: 'Create an account' }).click();
    await signUp(invited.page, agent, invited.page.url());
    await invited.page.getByRole('heading', { name: 'Join the workspace' }).waitFor();
    await invited.page.getByRole('button', { name: 'Accept invitation' }).click();
    await invited.page.getByRole('heading', { level: 1, name: `Welcome to ${owner.shop}` }).waitFor();
    // The agent now belongs to two workspaces (their own and this one) and can switch.
    await invited.page.getByRole('combobox', { name: 'Workspace' }).waitFor();
    const menu = invited.page.getByRole('navigation', { name: 'Main' });
    await menu.getByRole('link', { name: 'Inbox' }).waitFor();
    expect(await menu.getByRole('link', { name: 'Reports' }).count()).toBe(0);
    expect(await menu.getByRole('link', { name: 'Privacy' }).count()).toBe(0);
    await menu.getByRole('link', { name: 'Team' }).click();
    await invited.page.getByText(owner.email).waitFor();
    expect(await invited.page.getByRole('button', { name: 'Send invitation' }).count()).toBe(0);

    // Back on the owner's side the member is listed with a role control.
    await page.reload();
    await page.getByRole('combobox', { name: `Role of ${agent.name}` }).waitFor();
  }, BROWSER_TEST_MS);

  it('opens catalog, orders, inventory, inbox, reports and privacy: working forms where the API has routes, a clear notice where not', async () => {
    const m = newMerchant();
    const { page } = await d.newPage();
    await signUp(page, m);
    await page.getByRole('heading', { level: 1, name: `Welcome to ${m.shop}` }).waitFor();
    const paths = Object.keys(d.app.app.openApi.paths);
    const menu = page.getByRole('navigation', { name: 'Main' });

    const pages: Array<[label: string, heading: string, route: string]> = [
      ['Contacts', 'Contacts', '/api/workspaces/{workspaceId}/contacts'],
      ['Catalog', 'Catalog', '/api/workspaces/{workspaceId}/products'],
      ['Orders', 'Orders', '/api/workspaces/{workspaceId}/orders'],
      ['Inventory', 'Inventory', '/api/workspaces/{workspaceId}/inventory'],
      ['Inbox', 'Inbox', '/api/workspaces/{workspaceId}/conversations'],
      ['Privacy', 'Privacy centre', '/api/workspaces/{workspaceId}/privacy'],
      ['Reports', 'Reports', '/api/workspaces/{workspaceId}/reports'],
    ];
    for (const [label, heading, route] of pages) {
      await menu.getByRole('link', { name: label }).click();
      await page.getByRole('heading', { level: 1, name: heading }).waitFor();
      const offered = paths.some((p) => p === route || p.startsWith(`${route}/`));
      if (!offered) await page.getByRole('heading', { name: `${heading} is not available on this server yet` }).waitFor();
      else expect(await page.getByText('is not available on this server yet').count()).toBe(0);
      expect(await unlabelledControls(page)).toEqual([]);
      await d.screenshot(page, label.toLowerCase());
    }

    if (paths.includes('/api/workspaces/{workspaceId}/reports/messaging')) {
      await menu.getByRole('link', { name: 'Reports' }).click();
      await page.getByRole('region', { name: /messaging/i }).locator('.recharts-surface').first().waitFor();
      await page.getByLabel('Granularity').selectOption('week');
      await page.getByRole('region', { name: /messaging/i }).locator('.recharts-surface').first().waitFor();
      const [download] = await Promise.all([page.waitForEvent('download'), page.getByRole('button', { name: /Download CSV of .*messaging/i }).click()]);
      expect(download.suggestedFilename()).toMatch(/^messaging-.*-week\.csv$/);
      await d.screenshot(page, 'reports');
    }

  }, BROWSER_TEST_MS);

  it('imports a catalog CSV file: the check lists every bad row, nothing is imported until it is clean; stock counts too; the request log shows in settings', async () => {
    const m = newMerchant();
    const { page } = await d.newPage();
    await signUp(page, m);
    await page.getByRole('heading', { level: 1, name: `Welcome to ${m.shop}` }).waitFor();
    const menu = page.getByRole('navigation', { name: 'Main' });
    await menu.getByRole('link', { name: 'Catalog' }).click();
    const importer = page.getByRole('region', { name: 'Import products from CSV', exact: true });
    const header = 'product_sku,product_name,description,image_urls,status,variant_sku,variant_title,price,currency,stock,low_stock_threshold\n';
    const bad = `${header}JUG,Milk jug,,,active,JUG-S,Small,14.00,EUR,6,1\nBOWL,Bowl,,,active,BOWL-L,Large,twelve,EUR,3,1\n`;
    await importer.getByLabel('CSV file').setInputFiles({ name: 'catalog.csv', mimeType: 'text/csv', buffer: Buffer.from(bad) });
    await importer.getByRole('button', { name: 'Check file' }).click();
    await importer.getByText('1 problem in 2 rows: nothing was imported.').waitFor();
    expect(await importer.getByRole('table', { name: 'Problems in the file' }).locator('tbody tr').allInnerTexts()).toEqual([expect.stringMatching(/^3\s+price\s+/)]);
    await importer.getByRole('button', { name: 'Import' }).click();
    await importer.getByText('1 problem in 2 rows: nothing was imported.').waitFor();
    expect(await page.getByRole('region', { name: 'Catalog' }).getByRole('link', { name: 'Milk jug' }).count()).toBe(0);

    const good = `${header}JUG,Milk jug,,,active,JUG-S,Small,14.00,EUR,6,1\nBOWL,Bowl,,,active,BOWL-L,Large,12.00,EUR,3,1\n`;
    await importer.getByLabel('CSV file').setInputFiles({ name: 'catalog.csv', mimeType: 'text/csv', buffer: Buffer.from(good) });
    await importer.getByRole('button', { name: 'Check file' }).click();
    await importer.getByText('All 2 rows are valid. Nothing was imported yet.').waitFor();
    await importer.getByRole('button', { name: 'Import' }).click();
    await importer.getByText('Imported 2 rows.').waitFor();
    await page.getByRole('region', { name: 'Catalog' }).getByRole('link', { name: 'Milk jug' }).waitFor();

    await menu.getByRole('link', { name: 'Inventory' }).click();
    const stock = page.getByRole('region', { name: 'Import stock counts from CSV', exact: true });
    await stock.getByLabel('CSV file').setInputFiles({ name: 'stock.csv', mimeType: 'text/csv', buffer: Buffer.from('sku,on_hand\nJUG-S,9\n') });
    await stock.getByRole('button', { name: 'Import' }).click();
    await stock.getByText('Imported 1 row.').waitFor();
    await page.getByRole('region', { name: 'Inventory' }).getByRole('row').filter({ hasText: 'JUG-S' }).getByRole('cell', { name: '9', exact: true }).first().waitFor();
    await d.screenshot(page, 'inventory-after-import');

    // The request log is written in batches about a second after each response: reload until it shows.
    await menu.getByRole('link', { name: 'Settings' }).click();
    const logged = page.getByRole('table', { name: 'API requests' }).getByText('/api/workspaces/:workspaceId/inventory/import.csv');
    for (let i = 0; i < 20 && (await logged.count()) === 0; i++) {
      await page.waitForTimeout(500);
      await page.reload();
      await page.getByRole('heading', { name: 'API requests' }).waitFor();
    }
    expect(await logged.count()).toBeGreaterThan(0);
  }, BROWSER_TEST_MS);

  it('adds a product, adjusts its stock, takes an order by hand and moves it to shipped', async () => {
    const m = newMerchant();
    const { page } = await d.newPage();
    await signUp(page, m);
    await page.getByRole('heading', { level: 1, name: `Welcome to ${m.shop}` }).waitFor();
    const menu = page.getByRole('navigation', { name: 'Main' });
    {
      await menu.getByRole('link', { name: 'Catalog' }).click();
      await page.getByRole('heading', { name: 'Add a product' }).waitFor();
      await page.getByLabel('Name').fill('Speckled mug');
      await page.getByLabel('SKU').fill('MUG-001');
      await page.getByLabel(/^Price/).fill('18.50');
      await page.getByLabel('Stock on hand').fill('12');
      await page.getByRole('button', { name: 'Add product' }).click();
      await page.getByText('Speckled mug is in the catalog').waitFor();
      await page.getByRole('region', { name: 'Catalog' }).getByRole('link', { name: 'Speckled mug' }).waitFor();
      expect(await unlabelledControls(page)).toEqual([]);
      await d.screenshot(page, 'catalog-with-product');

      await menu.getByRole('link', { name: 'Inventory' }).click();
      await page.getByRole('region', { name: 'Inventory' }).getByText('MUG-001').waitFor();
      await page.getByLabel('Delta').fill('5');
      await page.getByLabel('Reason').fill('Delivery from the kiln');
      await page.getByRole('button', { name: 'Record adjustment' }).click();
      await page.getByText('Now 17 on hand, 0 reserved, 17 available.').waitFor();

      // An order taken by hand, then moved along: only the allowed next statuses are offered.
      await menu.getByRole('link', { name: 'Orders' }).click();
      await page.getByRole('heading', { name: 'Create an order' }).waitFor();
      await page.getByLabel('Quantity for line 1').fill('2');
      await page.getByLabel('Customer name').fill('Rita');
      await page.getByRole('button', { name: 'Create order' }).click();
      await page.getByRole('heading', { level: 1, name: /^Order / }).getByText('draft').waitFor();
      const to = page.getByRole('combobox', { name: 'To', exact: true });
      expect(await to.locator('option').allTextContents()).toEqual(['confirmed', 'cancelled']);
      for (const next of ['confirmed', 'paid', 'shipped']) {
        await page.getByRole('combobox', { name: 'To', exact: true }).selectOption(next);
        await page.getByRole('button', { name: /transition|status/i }).last().click();
        await page.getByRole('heading', { level: 1, name: /^Order / }).getByText(next, { exact: true }).waitFor();
      }
      expect(await page.getByRole('combobox', { name: 'To', exact: true }).locator('option').allTextContents()).toEqual(['delivered', 'refunded']);
      await page.getByRole('region', { name: 'history' }).getByText('shipped').first().waitFor();
      expect(await unlabelledControls(page)).toEqual([]);
      await d.screenshot(page, 'order-detail');

      await menu.getByRole('link', { name: 'Orders' }).click();
      await page.getByRole('combobox', { name: 'Status', exact: true }).selectOption('shipped');
      await page.getByRole('region', { name: 'Orders' }).getByText('Rita').waitFor();
      await page.getByRole('combobox', { name: 'Status', exact: true }).selectOption('draft');
      await page.getByText('No orders match.').waitFor();
    }
  }, BROWSER_TEST_MS);

  it('lets the keyboard drive the main menu: skip link first, arrows between items, Enter opens, focus lands on the page', async () => {
    const m = newMerchant();
    const { page } = await d.newPage();
    await signUp(page, m);
    await page.getByRole('heading', { level: 1, name: `Welcome to ${m.shop}` }).waitFor();
    await page.goto(new URL(page.url()).pathname);
    await page.getByRole('heading', { level: 1, name: `Welcome to ${m.shop}` }).waitFor();

    await page.keyboard.press('Tab');
    expect(await page.evaluate(() => document.activeElement?.textContent)).toBe('Skip to content');
    const menu = page.getByRole('navigation', { name: 'Main' });
    await menu.getByRole('link', { name: 'Home' }).focus();
    await page.keyboard.press('ArrowDown');
    expect(await page.evaluate(() => document.activeElement?.textContent)).toBe('Inbox');
    await page.keyboard.press('ArrowDown');
    expect(await page.evaluate(() => document.activeElement?.textContent)).toBe('Contacts');
    await page.keyboard.press('End');
    expect(await page.evaluate(() => document.activeElement?.textContent)).toBe('Settings');
    await page.keyboard.press('ArrowDown');
    expect(await page.evaluate(() => document.activeElement?.textContent)).toBe('Home');
    await page.keyboard.press('ArrowUp');
    await page.keyboard.press('ArrowUp');
    expect(await page.evaluate(() => document.activeElement?.textContent)).toBe('Team');
    await page.keyboard.press('Enter');
    await page.getByRole('heading', { level: 1, name: 'Team' }).waitFor();
    await expect.poll(() => page.evaluate(() => document.activeElement?.tagName)).toBe('H1');
    expect(await menu.getByRole('link', { name: 'Team' }).getAttribute('aria-current')).toBe('page');
    // Browser history works: Back returns to the home page.
    await page.goBack();
    await page.getByRole('heading', { level: 1, name: `Welcome to ${m.shop}` }).waitFor();
  }, BROWSER_TEST_MS);

  it('shows the inbox: a customer DM arrives, the merchant opens it, takes over, replies, and a new message arrives live', async () => {
    const m = newMerchant();
    const { page } = await d.newPage();
    await signUp(page, m);
    await page.getByRole('heading', { level: 1, name: `Welcome to ${m.shop}` }).waitFor();
    const workspaceId = Ids.workspace(new URL(page.url()).pathname.split('/')[2]!);
    // A connected account and a customer's DM, through the same use case the webhook worker runs.
    const c = d.app.container;
    const repos = c.get(TOKENS.Repositories);
    const ids = c.get(TOKENS.Ids);
    const igUserId = `1784140${Date.now()}`;
    await repos.accounts.save(make.account(ids.next(), workspaceId as WorkspaceId, igUserId, d.app.clock.now()));
    const receive = new ReceiveInboundMessage({ ...repos, clock: d.app.clock, ids });
    const dm = async (mid: string, text: string) => {
      const r = await receive.execute({ igUserId, senderIgsid: '7432100099', platformMessageId: mid, text, attachments: [], replyTo: null, sentAt: d.app.clock.now(), entryPoint: 'story_reply' });
      if (!r.ok) throw new Error(JSON.stringify(r.error));
      return r.value;
    };
    const first = await dm('mid-browser-1', 'Hi! Is the blue vase still available?');
    first.contact.updateProfile({ username: 'marta.rose', displayName: 'Marta Rose' }, d.app.clock.now());
    await repos.contacts.save(first.contact);

    const menu = page.getByRole('navigation', { name: 'Main' });
    await menu.getByRole('link', { name: 'Inbox' }).click();
    await page.getByRole('heading', { level: 1, name: 'Inbox' }).waitFor();
    const list = page.getByRole('list', { name: 'Conversations' });
    await list.getByText('Hi! Is the blue vase still available?').waitFor();
    await list.getByText(/Window closes in 2[34] h/).waitFor();
    await list.getByText('Story reply').waitFor();
    await list.getByText('1 unread').waitFor();
    await page.getByLabel('Search conversations').fill('marta');
    await page.getByRole('button', { name: 'Search' }).click();
    await list.getByRole('link', { name: /Marta Rose/ }).waitFor();
    expect(await unlabelledControls(page)).toEqual([]);
    await d.screenshot(page, 'inbox');

    await list.getByRole('link', { name: /Marta Rose/ }).click();
    await page.getByRole('heading', { level: 1, name: 'Marta Rose' }).waitFor();
    const messages = page.getByRole('list', { name: 'Messages' });
    await messages.getByText('Hi! Is the blue vase still available?').waitFor();
    // The reply box says what the policy allows before anyone types.
    await page.getByTestId('reply-policy').getByText(/Window closes in 2[34] h\./).waitFor();
    await page.getByRole('button', { name: 'Take over' }).click();
    await page.getByRole('button', { name: 'Hand back to assistant' }).waitFor();
    expect(await page.getByTestId('owner').textContent()).toBe('Human');
    await page.getByLabel('Your reply').fill('Yes! It ships tomorrow.');
    await page.getByRole('button', { name: 'Send reply' }).click();
    await page.getByText('Reply queued.').waitFor();
    await messages.getByRole('listitem', { name: 'You (agent) message' }).getByText('Yes! It ships tomorrow.').waitFor();
    expect(await messages.getByRole('listitem', { name: 'You (agent) message' }).textContent()).toContain('pending');

    // A new DM recorded elsewhere (the webhook worker) reaches the open page over server-sent events.
    await dm('mid-browser-2', 'Great, I will take two.');
    await messages.getByText('Great, I will take two.').waitFor({ timeout: 8000 });
    expect(await unlabelledControls(page)).toEqual([]);
    await d.screenshot(page, 'conversation');
  }, BROWSER_TEST_MS);

  it('fits a phone: the menu folds behind a button and nothing scrolls sideways', async () => {
    const m = newMerchant();
    const { page } = await d.newPage({ viewport: { width: 375, height: 740 } });
    await signUp(page, m);
    await page.getByRole('heading', { level: 1, name: `Welcome to ${m.shop}` }).waitFor();
    const toggle = page.getByRole('button', { name: 'Menu' });
    expect(await toggle.getAttribute('aria-expanded')).toBe('false');
    expect(await page.getByRole('navigation', { name: 'Main' }).isVisible()).toBe(false);
    await toggle.click();
    expect(await toggle.getAttribute('aria-expanded')).toBe('true');
    await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Team' }).click();
    await page.getByRole('heading', { level: 1, name: 'Team' }).waitFor();
    expect(await page.getByRole('navigation', { name: 'Main' }).isVisible()).toBe(false);
    for (const path of ['', '/team', '/settings', '/orders']) {
      await page.goto(`${new URL(page.url()).pathname.split('/').slice(0, 3).join('/')}${path}`);
      await page.locator('h1').first().waitFor();
      const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
      expect(overflow, `horizontal overflow on ${path || 'home'}`).toBeLessThanOrEqual(0);
    }
    await d.screenshot(page, 'phone-orders');
  }, BROWSER_TEST_MS);
});

describe('contact panel, AI audit, privacy centre and connection health (in-memory harness)', () => {
  const completeExport = async (workspaceId: string) => {
    const repos = d.app.container.get(TOKENS.Repositories);
    if (!(repos.uow instanceof InMemoryDatabase)) throw new Error('in-memory harness expected');
    const entry = (await repos.audit.list(Ids.workspace(workspaceId), { action: 'contact.export_requested', limit: 1 }))[0];
    const exportId = String(entry?.details.exportId);
    // What the export-bundle job does once it has built the zip.
    new InMemoryPrivacyStores(repos.uow).complete(exportId, new Uint8Array([80, 75, 5, 6]), 'e'.repeat(64), new Date());
    return exportId;
  };

  it('shows the contact beside the conversation and runs its privacy actions: object, restrict, withdraw, export, erase', async () => {
    const { page } = await d.newPage();
    const shop = await seedShop(d, page);
    await page.goto(`/w/${shop.workspaceId}/conversations/${shop.conversationId}`);
    const panel = page.getByRole('region', { name: 'Contact' });
    await panel.getByText('Marta Rose').waitFor();
    await panel.getByText(/^@marta\.rose/).waitFor();
    await panel.getByRole('link', { name: /^Order / }).waitFor();
    expect(await panel.getByRole('link', { name: /^Order / }).getAttribute('href')).toBe(`/w/${shop.workspaceId}/orders/${shop.orderId}`);

    await panel.getByRole('button', { name: 'Object to AI processing' }).click();
    await panel.getByText('Objects to AI processing: yes').waitFor();
    await panel.getByRole('button', { name: 'Restrict processing' }).click();
    await panel.getByText('Processing restricted: yes').waitFor();
    expect(await panel.getByRole('button', { name: 'Restrict processing' }).getAttribute('aria-pressed')).toBe('true');
    await panel.getByRole('button', { name: 'Withdraw Marketing consent' }).click();
    await panel.getByText('Marketing: withdrawn').waitFor();
    await panel.getByText(/Consent ledger \(\d\)/).click();
    await panel.getByRole('list', { name: 'Consent ledger' }).getByText(/Marketing withdrawn \(contact request\)/).waitFor();
    const stored = await call<{ restrictions: object; consent: Record<string, string> }>(page, 'GET', `/api/workspaces/${shop.workspaceId}/contacts/${shop.contactId}`);
    expect(stored.body.restrictions).toEqual({ aiProcessingObjected: true, processingRestricted: true });
    expect(stored.body.consent.marketing).toBe('withdrawn');
    expect(await unlabelledControls(page)).toEqual([]);

    // Export: the 202 body's id is polled until the job has built the bundle, then the link appears.
    await panel.getByRole('button', { name: 'Export contact data' }).click();
    await panel.getByText('Export being built…').waitFor();
    const exportId = await completeExport(shop.workspaceId);
    const link = panel.getByRole('link', { name: 'Download export' });
    await link.waitFor({ timeout: 8000 });
    expect(await link.getAttribute('href')).toBe(`/api/me/exports/${exportId}/download`);
    await d.screenshot(page, 'contact-panel');

    // Erase: a confirmation first; cancelling changes nothing.
    await panel.getByRole('button', { name: 'Erase contact' }).click();
    const dialog = page.getByRole('dialog', { name: 'Erase this contact?' });
    await dialog.getByRole('button', { name: 'Cancel' }).click();
    await dialog.waitFor({ state: 'hidden' });
    expect((await call(page, 'GET', `/api/workspaces/${shop.workspaceId}/contacts/${shop.contactId}`)).body).toMatchObject({ anonymized: false });
    await panel.getByRole('button', { name: 'Erase contact' }).click();
    await dialog.getByRole('button', { name: 'Erase' }).click();
    await page.getByRole('heading', { level: 1, name: 'Erased contact' }).waitFor();
    await page.getByTestId('erased-thread').waitFor();
    expect(await panel.getByTestId('contact-status').textContent()).toBe('Erased');
    const requests = await call<{ items: Array<{ type: string; contactId: string; status: string }> }>(page, 'GET', `/api/workspaces/${shop.workspaceId}/privacy/requests`);
    expect(requests.body.items).toContainEqual(expect.objectContaining({ type: 'erasure', contactId: shop.contactId, status: 'completed' }));
    expect((await call(page, 'GET', `/api/workspaces/${shop.workspaceId}/conversations/${shop.conversationId}`)).status).toBe(404);
  }, BROWSER_TEST_MS);

  it('expands the AI audit of an assistant reply: tools, checked figures, guardrail outcome, provider and model', async () => {
    const { page } = await d.newPage();
    const shop = await seedShop(d, page);
    await page.goto(`/w/${shop.workspaceId}/conversations/${shop.conversationId}`);
    const reply = page.getByRole('list', { name: 'Messages' }).getByRole('listitem', { name: 'Assistant message' });
    await reply.getByText('Yes, 17 in stock at 18.50 EUR.').waitFor();
    // Customer messages carry no audit; the assistant's reply has exactly one.
    expect(await page.getByRole('listitem', { name: 'Customer message' }).getByText('AI audit').count()).toBe(0);
    expect(await reply.getByText('Guardrail outcome').isVisible()).toBe(false);
    await reply.getByText('AI audit').click();
    await reply.getByText('Guardrail outcome').waitFor();
    const text = await reply.locator('details').textContent();
    expect(text).toContain('replied');
    expect(text).toContain('offline / rules-v1');
    expect(text).toContain('search_catalog');
    expect(text).toContain('Passed: figures grounded — 18.50 EUR and 17 in stock match the catalog');
    expect(text).toContain('310 in / 24 out');
  }, BROWSER_TEST_MS);

  it('runs the privacy centre: retention within the published maximum, requests, exports and deletion receipts with verification', async () => {
    const { page } = await d.newPage();
    const shop = await seedShop(d, page);
    await call(page, 'POST', `/api/workspaces/${shop.workspaceId}/contacts/${shop.contactId}/exports`);
    const exportId = await completeExport(shop.workspaceId);
    await page.goto(`/w/${shop.workspaceId}/privacy`);
    await page.getByRole('heading', { level: 1, name: 'Privacy centre' }).waitFor();

    // Above the maximum: the API refuses it and the page shows its reason next to the field.
    await page.getByLabel('Messages (days)').fill('45');
    await page.getByRole('button', { name: 'Save retention periods' }).click();
    await page.getByText('must be at most 30 days, the published maximum').waitFor();
    expect(await page.getByLabel('Messages (days)').getAttribute('aria-invalid')).toBe('true');
    await page.getByLabel('Messages (days)').fill('14');
    await page.getByRole('button', { name: 'Save retention periods' }).click();
    await page.getByText('Retention periods saved.').waitFor();
    await page.reload();
    await expect.poll(() => page.getByLabel('Messages (days)').inputValue()).toBe('14');
    const retention = await call<{ classes: Array<{ dataClass: string; days: number }> }>(page, 'GET', `/api/workspaces/${shop.workspaceId}/privacy/retention`);
    expect(retention.body.classes.find((c) => c.dataClass === 'messages')?.days).toBe(14);

    await page.getByRole('region', { name: 'Data-subject requests' }).getByRole('cell', { name: 'erasure' }).waitFor();
    const download = page.getByRole('list', { name: 'Exports' }).getByRole('link', { name: /^Download/ });
    expect(await download.getAttribute('href')).toBe(`/api/me/exports/${exportId}/download`);
    await page.getByText('@shop: connected').waitFor();

    // The receipts table follows its heading, one row per receipt.
    const heading = page.getByRole('heading', { name: 'Deletion receipts' });
    const table = page.locator('h2:text("Deletion receipts") + .table-wrap table');
    await heading.waitFor();
    const receipts = await call<{ items: Array<{ id: string }> }>(page, 'GET', `/api/workspaces/${shop.workspaceId}/privacy/receipts`);
    expect(await table.locator('tbody tr').count()).toBe(receipts.body.items.length);
    expect(receipts.body.items.length).toBeGreaterThan(0);
    const row = table.locator('tbody tr').first();
    expect(await row.locator('td').nth(1).textContent()).toBe('erasure');
    expect(await row.locator('td').nth(2).textContent()).toMatch(/1 contacts? deleted|1 messages/);
    await row.getByRole('button', { name: /^Verify/ }).click();
    await page.getByLabel('Removed ids').fill('messages:not-a-removed-id');
    await page.getByRole('button', { name: 'Check receipt' }).click();
    await page.getByText('Not valid: the ids do not match this receipt.').waitFor();
    expect(await unlabelledControls(page)).toEqual([]);
    await d.screenshot(page, 'privacy-centre');
  }, BROWSER_TEST_MS);

  it('shows Instagram connection health in settings: account, token expiry and refresh, last webhook message, delivery gaps', async () => {
    const { page } = await d.newPage();
    const shop = await seedShop(d, page);
    await page.goto(`/w/${shop.workspaceId}/settings`);
    const section = page.getByRole('region', { name: 'Instagram connection health' });
    await section.getByRole('heading', { name: '@shop' }).waitFor();
    const card = section.getByRole('listitem');
    const value = async (term: string) => (await card.locator(`dt:text-is("${term}") + dd`).textContent()) ?? '';
    expect(await value('Account')).toBe('connected');
    expect(await value('Token expires')).toMatch(/\(in (59|60) days\)$/);
    expect(await value('Token last refreshed')).not.toBe('never');
    expect(await value('Last webhook message received')).not.toBe('never');
    expect(await section.getByTestId('delivery-gaps').textContent()).toBe('Delivery gaps: none — every webhook delivery was applied.');
  }, BROWSER_TEST_MS);
});
