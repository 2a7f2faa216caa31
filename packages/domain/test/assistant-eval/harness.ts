import { readFileSync, readdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  checkFigures, Ids, ok, err, rankProducts, ScopedToolbox,
  type AssistantCatalog, type AssistantEngine, type AssistantOrderDesk, type BusinessProfile, type ContactId, type OrderView, type ProductView,
} from '../../src/index.js';

const here = dirname(fileURLToPath(import.meta.url));

export interface EvalCase {
  id: string;
  message: string;
  expect: { tools: string[]; handoff: boolean; includes?: string[]; excludes?: string[]; forbid?: string[] };
  /** What a scripted model does: tool calls, then the final text. */
  llm: { calls: Array<[string, Record<string, unknown>]>; reply: string };
  /** When the scripted model legitimately calls other tools than the offline rules (still scoped). */
  llmExpectTools?: string[];
}

export interface Fixture {
  profile: BusinessProfile;
  products: ProductView[];
  orders: Array<OrderView & { contact: 'me' | 'other' }>;
}

export const fixture: Fixture = JSON.parse(readFileSync(join(here, 'fixture.json'), 'utf8')) as Fixture;
export const evalCases: EvalCase[] = readdirSync(here).filter((f) => f.startsWith('cases-') && f.endsWith('.json'))
  .flatMap((f) => JSON.parse(readFileSync(join(here, f), 'utf8')) as EvalCase[]);

export const WS = Ids.workspace('00000000-0000-7000-8000-00000000aaaa');
export const ME = Ids.contact('00000000-0000-7000-8000-00000000bbbb');
export const OTHER = Ids.contact('00000000-0000-7000-8000-00000000cccc');
export const CONV = Ids.conversation('00000000-0000-7000-8000-00000000dddd');

export class FixtureCatalog implements AssistantCatalog {
  searches = 0;
  async search(_ws: unknown, query: string, limit: number) { this.searches++; return rankProducts(query, fixture.products, limit); }
  async getProduct(_ws: unknown, id: string) { return fixture.products.find((p) => p.productId === id) ?? null; }
}

/** Orders of two contacts; a draft is priced from the fixture catalog. */
export class FixtureOrderDesk implements AssistantOrderDesk {
  drafts: OrderView[] = [];
  async listForContact(_ws: unknown, contactId: ContactId) {
    const who = contactId === ME ? 'me' : contactId === OTHER ? 'other' : null;
    return fixture.orders.filter((o) => o.contact === who).map(({ contact: _c, ...o }) => o);
  }
  async draftForContact(input: Parameters<AssistantOrderDesk['draftForContact']>[0]) {
    let cents = 0;
    const lines = [];
    for (const l of input.lines) {
      const v = fixture.products.flatMap((p) => p.variants.map((x) => ({ p, x }))).find((y) => y.x.variantId === l.variantId);
      if (!v) return err({ kind: 'UnknownVariant' as const, detail: l.variantId });
      if (v.x.available < l.quantity) return err({ kind: 'InsufficientStock' as const, detail: `${v.x.sku}: ${v.x.available} available` });
      cents += Math.round(Number(v.x.price) * 100) * l.quantity;
      lines.push({ name: v.p.name, quantity: l.quantity, unitPrice: v.x.price });
    }
    const order: OrderView = { orderId: `00000000-0000-7000-8000-00000000f${String(this.drafts.length).padStart(3, '0')}`, reference: `F${String(this.drafts.length).padStart(3, '0')}`, status: 'draft', currency: 'EUR', total: (cents / 100).toFixed(2), lines, createdAt: new Date(0).toISOString(), holdExpiresAt: null };
    this.drafts.push(order);
    return ok(order);
  }
}

export interface CaseResult {
  id: string; tools: string[]; handoff: boolean; reply: string; error: string | null;
  toolUse: boolean; figures: boolean; handoffOk: boolean; content: boolean; passed: boolean; latencyMs: number;
}

/** Runs one case the way RespondToCustomer runs a turn: scoped toolbox, then the figures check. */
export async function runCase(engine: AssistantEngine, c: EvalCase, options: { expectedTools?: string[] } = {}): Promise<CaseResult> {
  const toolbox = new ScopedToolbox({ workspaceId: WS, contactId: ME, conversationId: CONV }, { catalog: new FixtureCatalog(), orders: new FixtureOrderDesk() });
  const started = performance.now();
  let reply = '';
  let error: string | null = null;
  try {
    reply = (await engine.respond({
      workspaceId: WS, conversationId: CONV, contactId: ME, businessProfile: fixture.profile, orders: await new FixtureOrderDesk().listForContact(WS, ME),
      messages: [{ author: 'customer', text: c.message, at: new Date() }], tools: toolbox, correction: null,
    }, new AbortController().signal)).text;
  } catch (e) {
    error = e instanceof Error ? e.message : String(e);
  }
  const latencyMs = performance.now() - started;
  const tools = [...new Set(toolbox.calls.map((x) => x.tool))];
  const expected = options.expectedTools ?? c.expect.tools;
  const toolUse = expected.every((t) => tools.includes(t)) && (expected.length > 0 || tools.length === 0) && !(c.expect.forbid ?? []).some((t) => tools.includes(t));
  const figures = error === null && checkFigures({ reply, toolResults: toolbox.results(), otherSources: [c.message], trustedTexts: [fixture.profile.shippingPolicy, fixture.profile.returnPolicy, fixture.profile.openingHours, ...fixture.profile.faq.map((f) => f.answer)] }).passed;
  const handoff = toolbox.handoffReason !== null;
  const content = error === null && (c.expect.includes ?? []).every((s) => reply.includes(s)) && !(c.expect.excludes ?? []).some((s) => reply.includes(s));
  const handoffOk = handoff === c.expect.handoff;
  return { id: c.id, tools, handoff, reply, error, toolUse, figures, handoffOk, content, passed: toolUse && figures && handoffOk && content, latencyMs };
}

export function scoreTable(title: string, results: readonly CaseResult[]): { text: string; score: number } {
  const pct = (f: (r: CaseResult) => boolean) => `${results.filter(f).length}/${results.length}`;
  const handoffCases = results.filter((r) => r.handoff || r.handoffOk === false);
  const lat = results.map((r) => r.latencyMs).sort((a, b) => a - b);
  const median = lat.length ? lat[Math.floor(lat.length / 2)]! : 0;
  const rows = [
    `${title}`,
    `| criterion | score |`, `|---|---|`,
    `| correct tool use | ${pct((r) => r.toolUse)} |`,
    `| figures verified | ${pct((r) => r.figures)} |`,
    `| handoff when expected / no handoff when not | ${pct((r) => r.handoffOk)} |`,
    `| reply content | ${pct((r) => r.content)} |`,
    `| all criteria | ${pct((r) => r.passed)} |`,
    `| median latency per reply | ${median.toFixed(1)} ms |`,
    ...results.filter((r) => !r.passed).map((r) => `  ✗ ${r.id}: tools=[${r.tools}] handoff=${r.handoff} ${r.error ?? ''} reply=${JSON.stringify(r.reply.slice(0, 140))}`),
  ];
  void handoffCases;
  return { text: rows.join('\n'), score: results.filter((r) => r.passed).length / Math.max(1, results.length) };
}
