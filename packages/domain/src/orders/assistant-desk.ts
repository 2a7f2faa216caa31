import { Ids, type ContactId, type WorkspaceId } from '../shared/ids.js';
import { ok, err, type Result } from '../shared/result.js';
import type { AssistantCatalog, AssistantOrderDesk, DraftFailure, OrderView, ProductView } from '../assistant/ports.js';
import type { CatalogQueries, ProductWithAvailability } from '../catalog/manage-catalog.js';
import type { DraftOrder } from './place-order.js';
import type { OrderRepository } from './ports.js';
import type { Order } from './order.js';

/** What a product looks like to the assistant: active variants only, prices as exact decimal strings. */
export function toProductView(p: ProductWithAvailability): ProductView {
  return {
    productId: p.product.id, name: p.product.name, description: p.product.description,
    variants: p.variants.map((v) => ({
      variantId: v.variant.id, sku: v.variant.sku, title: v.variant.title, price: v.variant.price.toDecimalString(), currency: v.variant.price.currency,
      available: Math.max(0, v.available), active: v.variant.active && p.product.isActive,
    })),
  };
}

export function toOrderView(o: Order): OrderView {
  return {
    orderId: o.id, reference: o.id.slice(-6).toUpperCase(), status: o.status, currency: o.currency, total: o.total.toDecimalString(),
    lines: o.lines.map((l) => ({ name: l.name, quantity: l.quantity, unitPrice: l.unitPrice.toDecimalString() })),
    createdAt: o.createdAt.toISOString(), holdExpiresAt: o.holdExpiresAt?.toISOString() ?? null,
  };
}

/**
 * The assistant's `search_products` and `get_product` tools over the live catalog: ranked search,
 * active products only, availability net of reservations and chat holds.
 */
export class CatalogForAssistant implements AssistantCatalog {
  constructor(private readonly queries: CatalogQueries) {}

  async search(workspaceId: WorkspaceId, query: string, limit: number): Promise<ProductView[]> {
    return (await this.queries.searchProducts(workspaceId, query, { limit })).map(toProductView);
  }

  async getProduct(workspaceId: WorkspaceId, productId: string): Promise<ProductView | null> {
    if (!/^[0-9a-fA-F-]{36}$/.test(productId)) return null;
    const found = await this.queries.getProduct(workspaceId, Ids.product(productId));
    return found.ok && found.value.product.isActive ? toProductView(found.value) : null;
  }
}

/**
 * The assistant's `create_order_draft` and `get_order_status` tools, always for the contact of
 * the conversation: a draft holds its stock for `holdMinutes` (the expiry job gives it back).
 */
export class OrderDeskForAssistant implements AssistantOrderDesk {
  constructor(private readonly deps: { orders: OrderRepository; draft: DraftOrder }) {}

  async listForContact(workspaceId: WorkspaceId, contactId: ContactId, limit: number): Promise<OrderView[]> {
    return (await this.deps.orders.list(workspaceId, { contactId, limit })).map(toOrderView);
  }

  async draftForContact(input: Parameters<AssistantOrderDesk['draftForContact']>[0]): Promise<Result<OrderView, DraftFailure>> {
    if (input.lines.some((l) => !/^[0-9a-fA-F-]{36}$/.test(l.variantId))) return err({ kind: 'UnknownVariant', detail: 'no such variant' });
    const made = await this.deps.draft.execute({
      workspaceId: input.workspaceId, source: 'chat', contactId: input.contactId, conversationId: input.conversationId,
      lines: input.lines.map((l) => ({ variantId: Ids.variant(l.variantId), quantity: l.quantity })), holdStock: true, holdMinutes: input.holdMinutes,
      actor: { kind: 'assistant' },
    });
    if (made.ok) return ok(toOrderView(made.value));
    const e = made.error;
    switch (e.kind) {
      case 'NotFound': return err({ kind: 'UnknownVariant', detail: `no such ${e.entity}` });
      case 'VariantUnavailable': return err({ kind: 'Unavailable', detail: `${e.sku} is not for sale` });
      case 'InsufficientStock': return err({ kind: 'InsufficientStock', detail: `only ${Math.max(0, e.available)} available` });
      default: return err({ kind: 'Invalid', detail: e.kind });
    }
  }
}
