import type { ContactId, ConversationId, WorkspaceId } from '../shared/ids.js';
import type { AiToolCallRecord, AssistantCatalog, AssistantOrderDesk, AssistantToolbox, OrderView, ToolName, ToolOutcome } from './ports.js';
import { TOOL_NAMES } from './ports.js';

/** Tool descriptions shared by every engine (the LLM adapters turn them into tool schemas). */
export const TOOL_DESCRIPTIONS: Readonly<Record<ToolName, string>> = {
  search_products: 'Search the live catalog. Args: {query: string, limit?: 1-10}. Returns products with variants, prices (decimal strings with currency) and available stock.',
  get_product: 'One product by productId with its variants, prices and availability. Args: {productId: string}.',
  create_order_draft: 'Draft an order for this customer with a short stock hold. Args: {lines: [{variantId: string, quantity: 1-100}]}. Returns the draft with its reference and total.',
  get_order_status: "This customer's own orders, or one of them by reference. Args: {reference?: string}.",
  handoff_to_human: 'Hand the conversation to a human team member. Args: {reason: string}.',
};

export const HOLD_MINUTES = 30;
const MAX_QUANTITY = 100;

type Args = Record<string, unknown>;
const isObj = (v: unknown): v is Args => typeof v === 'object' && v !== null && !Array.isArray(v);
const str = (v: unknown, max: number): v is string => typeof v === 'string' && v.trim().length > 0 && v.length <= max;

/** Argument validation in the core (no zod here); the adapters also validate with zod at the edge. */
export function validateToolArgs(tool: string, args: unknown): { ok: true; tool: ToolName; args: Args } | { ok: false; error: string } {
  if (!(TOOL_NAMES as readonly string[]).includes(tool)) return { ok: false, error: `unknown tool "${tool}"` };
  if (!isObj(args)) return { ok: false, error: 'arguments must be a JSON object' };
  const name = tool as ToolName;
  switch (name) {
    case 'search_products':
      if (!str(args.query, 200)) return { ok: false, error: 'query must be a non-empty string' };
      if (args.limit !== undefined && !(Number.isInteger(args.limit) && (args.limit as number) >= 1 && (args.limit as number) <= 10)) return { ok: false, error: 'limit must be an integer 1-10' };
      return { ok: true, tool: name, args };
    case 'get_product':
      return str(args.productId, 100) ? { ok: true, tool: name, args } : { ok: false, error: 'productId must be a string' };
    case 'create_order_draft': {
      const lines = args.lines;
      if (!Array.isArray(lines) || lines.length === 0 || lines.length > 20) return { ok: false, error: 'lines must be a non-empty array (at most 20)' };
      for (const l of lines) {
        if (!isObj(l) || !str(l.variantId, 100) || !Number.isInteger(l.quantity) || (l.quantity as number) < 1 || (l.quantity as number) > MAX_QUANTITY) {
          return { ok: false, error: `each line needs variantId (string) and quantity (integer 1-${MAX_QUANTITY})` };
        }
      }
      return { ok: true, tool: name, args };
    }
    case 'get_order_status':
      return args.reference === undefined || args.reference === null || str(args.reference, 64) ? { ok: true, tool: name, args } : { ok: false, error: 'reference must be a string' };
    case 'handoff_to_human':
      return str(args.reason, 500) ? { ok: true, tool: name, args } : { ok: false, error: 'reason must be a non-empty string' };
  }
}

/**
 * The tools of one turn. The workspace and contact come from the conversation, never from the
 * model's arguments, so no message can widen what a tool reaches. Every call is recorded.
 */
export class ScopedToolbox implements AssistantToolbox {
  readonly calls: AiToolCallRecord[] = [];
  handoffReason: string | null = null;
  draftedOrderIds: string[] = [];
  invalidCalls = 0;

  constructor(
    private readonly scope: { workspaceId: WorkspaceId; contactId: ContactId; conversationId: ConversationId },
    private readonly deps: { catalog: AssistantCatalog; orders: AssistantOrderDesk },
  ) {}

  /** Results of the successful calls, the only source a quoted figure may come from. */
  results(): unknown[] {
    return this.calls.filter((c) => c.ok).map((c) => c.result);
  }

  async call(tool: string, rawArgs: unknown): Promise<ToolOutcome> {
    const valid = validateToolArgs(tool, rawArgs);
    if (!valid.ok) {
      this.invalidCalls += 1;
      this.calls.push({ tool, args: rawArgs ?? null, ok: false, result: { error: valid.error } });
      return { ok: false, tool, error: valid.error };
    }
    const outcome = await this.run(valid.tool, valid.args);
    this.calls.push({ tool, args: valid.args, ok: outcome.ok, result: outcome.ok ? outcome.result : { error: outcome.error } });
    return outcome;
  }

  private async run(tool: ToolName, args: Args): Promise<ToolOutcome> {
    const { workspaceId, contactId, conversationId } = this.scope;
    const { catalog, orders } = this.deps;
    switch (tool) {
      case 'search_products': {
        const products = await catalog.search(workspaceId, String(args.query), (args.limit as number | undefined) ?? 5);
        return { ok: true, tool, result: { products } };
      }
      case 'get_product': {
        const product = await catalog.getProduct(workspaceId, String(args.productId));
        return product ? { ok: true, tool, result: { product } } : { ok: false, tool, error: 'no such product' };
      }
      case 'create_order_draft': {
        const lines = (args.lines as Args[]).map((l) => ({ variantId: String(l.variantId), quantity: l.quantity as number }));
        const drafted = await orders.draftForContact({ workspaceId, contactId, conversationId, lines, holdMinutes: HOLD_MINUTES });
        if (!drafted.ok) return { ok: false, tool, error: `${drafted.error.kind}: ${drafted.error.detail}` };
        this.draftedOrderIds.push(drafted.value.orderId);
        return { ok: true, tool, result: { order: drafted.value, holdMinutes: HOLD_MINUTES } };
      }
      case 'get_order_status': {
        const mine = await orders.listForContact(workspaceId, contactId, 10);
        const ref = typeof args.reference === 'string' ? normaliseReference(args.reference) : null;
        if (ref === null) return { ok: true, tool, result: { orders: mine } };
        const match = mine.filter((o) => matchesReference(o, ref));
        // The same answer whether the order is someone else's or does not exist.
        return match.length > 0 ? { ok: true, tool, result: { orders: match } } : { ok: false, tool, error: 'no order with that reference for this customer' };
      }
      case 'handoff_to_human':
        this.handoffReason = String(args.reason).slice(0, 200);
        return { ok: true, tool, result: { handedOff: true } };
    }
  }
}

const normaliseReference = (s: string): string => s.trim().replace(/^#/, '').toLowerCase();
const matchesReference = (o: OrderView, ref: string): boolean => o.reference.toLowerCase() === ref || o.orderId.toLowerCase() === ref;

/** The short reference shown to customers: the last 8 hex digits of the order id, upper-case. */
export function orderReference(orderId: string): string {
  return orderId.replace(/-/g, '').slice(-8).toUpperCase();
}
