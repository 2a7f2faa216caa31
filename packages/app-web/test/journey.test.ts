import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Locator, Page } from 'playwright-core';
import { startProductInBrowser, type RunningProduct } from './support/product-harness.js';

// The end-to-end journey (issue #10): the real product as `npm start` runs it — HTTP, worker, PGlite,
// the Instagram simulator and the offline assistant in one process — driven only through the
// dashboard in Chromium, from sign-up to a deletion receipt. Nothing is seeded behind the UI's back.

let p: RunningProduct;
const JOURNEY_MS = 120_000;

beforeAll(async () => {
  p = await startProductInBrowser();
}, 90_000);

afterAll(async () => {
  await p?.close();
});

/** The cell under `column` in the table row that contains `rowText`. */
async function cell(table: Locator, rowText: string, column: string): Promise<string> {
  const headers = (await table.locator('thead th').allTextContents()).map((h) => h.trim());
  const index = headers.indexOf(column);
  if (index < 0) throw new Error(`no column ${column} in [${headers.join(', ')}]`);
  const row = table.locator('tbody tr').filter({ hasText: rowText });
  return ((await row.locator('td').nth(index).textContent()) ?? '').trim();
}

/** Every cell under `name`, top to bottom. */
async function column(table: Locator, name: string): Promise<string[]> {
  const headers = (await table.locator('thead th').allTextContents()).map((h) => h.trim());
  const index = headers.indexOf(name);
  if (index < 0) throw new Error(`no column ${name} in [${headers.join(', ')}]`);
  return (await table.locator(`tbody tr td:nth-child(${index + 1})`).allTextContents()).map((t) => t.trim());
}

const menuLink = (page: Page, name: string) => page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name, exact: true });

describe('the merchant journey on the real product (npm start composition, sandbox Instagram)', () => {
  it('registers, connects the simulator, sells from a grounded assistant reply, ships, reports, and erases the customer', async () => {
    const started = Date.now();
    const shop = 'Lisbon Linen Co';
    const { page } = await p.newPage();
    try {
      await journey(page, shop);
    } catch (error) {
      // Where it stopped, for whoever reads the CI artifacts.
      await p.screenshot(page, 'journey-failure').catch(() => undefined);
      throw error;
    }
    console.info(`journey: ${Math.round((Date.now() - started) / 1000)} s in the browser`);
  }, JOURNEY_MS);
});

async function journey(page: Page, shop: string): Promise<void> {
    // 1. Register.
    await page.goto('/signup');
    await page.getByLabel('Your name').fill('Inês Merchant');
    await page.getByLabel('Email').fill('ines@example.com');
    await page.getByLabel('Password').fill('a long violet passphrase');
    await page.getByLabel('Shop name').fill(shop);
    await page.getByRole('button', { name: 'Create account' }).click();
    await page.getByRole('heading', { level: 1, name: `Welcome to ${shop}` }).waitFor();
    const workspaceId = new URL(page.url()).pathname.split('/')[2]!;
    expect(workspaceId).toMatch(/^[0-9a-f-]{36}$/);

    // 2. Connect the simulator's account: Palette → the simulator's consent page → Allow → back.
    await page.getByRole('link', { name: 'Connect the sandbox simulator account' }).click();
    await page.getByRole('heading', { name: /Allow this app to access your Instagram professional account/ }).waitFor();
    expect(new URL(page.url()).port).not.toBe(new URL(p.url).port);
    await p.screenshot(page, 'journey-consent');
    await page.getByRole('button', { name: 'Allow' }).click();
    await page.getByRole('heading', { level: 1, name: 'Instagram connected' }).waitFor();
    await page.getByRole('link', { name: 'Back to Palette' }).click();
    await page.getByRole('heading', { level: 1, name: `Welcome to ${shop}` }).waitFor();
    const account = page.locator('.instagram .card').filter({ hasText: '@palette_demo_shop' });
    await account.getByText('connected', { exact: true }).waitFor();
    await p.screenshot(page, 'journey-home');

    // 3. Two products with stock, through the catalog form.
    await menuLink(page, 'Catalog').click();
    for (const [name, sku, price, stock] of [['Blue canvas tote', 'TOTE-BLUE', '25.00', '5'], ['Linen apron', 'APRON-LINEN', '32.50', '8']] as const) {
      await page.getByLabel('Name').fill(name);
      await page.getByLabel('SKU').fill(sku);
      await page.getByLabel(/^Price/).fill(price);
      await page.getByLabel('Stock on hand').fill(stock);
      await page.getByRole('button', { name: 'Add product' }).click();
      await page.getByText(`${name} is in the catalog`).waitFor();
    }
    await page.getByRole('region', { name: 'Catalog' }).getByRole('link', { name: 'Linen apron' }).waitFor();
    await p.screenshot(page, 'journey-catalog');

    // 4. The Sandbox page (in the menu only because the API says the simulator runs): a customer asks a price.
    await menuLink(page, 'Sandbox').click();
    await page.getByRole('heading', { level: 1, name: 'Sandbox' }).waitFor();
    await page.getByLabel('Instagram handle').fill('marta.rose');
    await page.getByLabel('Display name').fill('Marta Rose');
    await page.getByRole('button', { name: 'Create customer' }).click();
    await page.getByRole('heading', { name: 'Acting as @marta.rose (Marta Rose)' }).waitFor();
    // Every control of the page has a label a screen reader can announce.
    const unlabelled = await page.evaluate(() =>
      Array.from(document.querySelectorAll('input, select, textarea'))
        .filter((el) => (el as HTMLInputElement).type !== 'hidden' && (el as HTMLInputElement).labels?.length === 0 && !el.getAttribute('aria-label'))
        .map((el) => el.outerHTML.slice(0, 120)),
    );
    expect(unlabelled).toEqual([]);
    await page.getByLabel('Direct message').fill('Hi! How much is the blue canvas tote?');
    await page.getByRole('button', { name: 'Send DM' }).click();
    await page.getByText('Sent: your shop received the DM.').waitFor();
    // The assistant's reply reached Instagram (the simulator's thread): the catalog's exact price and stock.
    const thread = page.getByRole('list', { name: 'Instagram thread with @marta.rose' });
    const grounded = 'Blue canvas tote: 25.00 EUR (5 in stock)';
    await thread.getByRole('listitem', { name: 'Shop message' }).filter({ hasText: grounded }).waitFor({ timeout: 20_000 });
    // The customer also loves the answer, replies to a story and comments on a post.
    await page.getByRole('button', { name: `React ❤️ to the shop message “${grounded}”` }).click();
    await page.getByText('Reacted: your shop received the reaction.').waitFor();
    await page.getByLabel('Reply to your story').fill('Is this the tote from your story?');
    await page.getByRole('button', { name: 'Send story reply' }).click();
    await page.getByText('Sent: your shop received the story reply.').waitFor();
    await page.getByLabel('Comment on your post').fill('Gorgeous colours');
    await page.getByRole('button', { name: 'Post comment' }).click();
    await page.getByText('Posted: your shop received the comment.').waitFor();
    const activity = page.getByRole('region', { name: 'Recent customer activity' });
    expect(await column(activity, 'Kind')).toEqual(['Comment', 'Story reply', 'Reaction', 'Direct message']);
    expect(await column(activity, 'Delivered')).toEqual(['yes', 'yes', 'yes', 'yes']);
    await p.screenshot(page, 'journey-sandbox');

    // 5. The same exchange, reaction and story reply included, in the merchant's inbox conversation (live, over SSE).
    await page.getByRole('link', { name: 'Open the conversation with @marta.rose in the inbox' }).click();
    const messages = page.getByRole('list', { name: 'Messages' });
    await messages.getByRole('listitem', { name: 'Customer message' }).filter({ hasText: 'How much is the blue canvas tote?' }).waitFor();
    const reply = messages.getByRole('listitem', { name: 'Assistant message' }).filter({ hasText: grounded });
    await reply.getByLabel('Reactions').getByText('❤️', { exact: false }).waitFor();
    await messages.getByRole('listitem', { name: 'Customer message' }).filter({ hasText: 'Is this the tote from your story?' }).waitFor();
    const conversationPath = new URL(page.url()).pathname;
    await p.screenshot(page, 'journey-conversation');

    // 6. The customer orders from the Sandbox page; the assistant drafts the order.
    await menuLink(page, 'Sandbox').click();
    await page.getByLabel('Direct message').fill("I'd like to order 2 blue canvas tote");
    await page.getByRole('button', { name: 'Send DM' }).click();
    const drafted = thread.getByRole('listitem', { name: 'Shop message' }).filter({ hasText: /I've drafted order #/ });
    await drafted.waitFor({ timeout: 20_000 });
    const draftText = (await drafted.textContent()) ?? '';
    // The line names the variant (its SKU for a product without variants); the total is the catalog's price × 2.
    expect(draftText).toMatch(/2 × (Blue canvas tote|TOTE-BLUE), total 50\.00 EUR/);
    const reference = /drafted order #(\w+)/.exec(draftText)![1]!;

    // 7. The merchant confirms, takes payment and ships it in the Orders UI.
    await menuLink(page, 'Orders').click();
    const orders = page.getByRole('region', { name: 'Orders' });
    await orders.getByRole('link', { name: reference }).click();
    await page.getByRole('heading', { level: 1, name: /^Order / }).getByText('draft', { exact: true }).waitFor();
    for (const next of ['confirmed', 'paid', 'shipped']) {
      await page.getByRole('combobox', { name: 'To', exact: true }).selectOption(next);
      await page.getByRole('button', { name: /transition|status/i }).last().click();
      await page.getByRole('heading', { level: 1, name: /^Order / }).getByText(next, { exact: true }).waitFor();
    }
    await p.screenshot(page, 'journey-order');

    // 8. Stock went down by the two shipped; the other product is untouched.
    await menuLink(page, 'Inventory').click();
    const levels = page.getByRole('region', { name: 'Inventory' });
    await levels.getByText('TOTE-BLUE').waitFor();
    expect(await cell(levels, 'TOTE-BLUE', 'On Hand')).toBe('3');
    expect(await cell(levels, 'TOTE-BLUE', 'Available')).toBe('3');
    expect(await cell(levels, 'APRON-LINEN', 'On Hand')).toBe('8');
    await p.screenshot(page, 'journey-inventory');

    // 9. The sales report counts the order's revenue.
    await menuLink(page, 'Reports').click();
    const sales = page.getByRole('region', { name: /sales/i });
    await sales.getByText('Show the numbers').click();
    const revenue = await column(sales.getByRole('table'), 'Revenue Minor');
    // Booked on confirmation: 2 × 25.00 EUR, in cents, on one day of the period and nowhere else.
    expect(revenue.filter((v) => v !== '0')).toEqual(['5000']);
    await p.screenshot(page, 'journey-reports');

    // 10. Export, then erase, the customer from the conversation's contact panel.
    await page.goto(conversationPath);
    const contact = page.getByRole('region', { name: 'Contact' });
    await contact.getByRole('button', { name: 'Export contact data' }).click();
    const downloadLink = page.getByRole('link', { name: 'Download export' });
    await downloadLink.waitFor({ timeout: 20_000 });
    const [download] = await Promise.all([page.waitForEvent('download'), downloadLink.click()]);
    expect(download.suggestedFilename()).toMatch(/\.(zip|json)$/);
    await contact.getByRole('button', { name: 'Erase contact' }).click();
    await page.getByRole('dialog').getByRole('button', { name: 'Erase', exact: true }).click();
    await page.getByRole('region', { name: 'Contact' }).getByTestId('contact-status').getByText('Erased').waitFor();
    await p.screenshot(page, 'journey-erased');

    // 11. The deletion receipt is on the Privacy page.
    await menuLink(page, 'Privacy').click();
    await page.getByRole('heading', { name: 'Deletion receipts' }).waitFor();
    const receipts = page.getByRole('region', { name: 'Deletion receipts' });
    await receipts.locator('tbody tr').filter({ hasText: 'erasure' }).first().waitFor({ timeout: 15_000 });
    await p.screenshot(page, 'journey-privacy');
}
