import {
  Contact, Conversation, Ids, InstagramAccount, Membership, Message, Money, Order, Product, User, Variant, Workspace, StockLevel,
  type WorkspaceId, type InstagramAccountId, type ContactId, type ConversationId, type ProductId, type VariantId,
} from '../src/index.js';

/** Builders for valid aggregates; a test states only what it cares about. */
export const knownTimezones = { isKnownTimezone: (tz: string) => { try { new Intl.DateTimeFormat('en', { timeZone: tz }); return true; } catch { return false; } } };

export function unwrap<T>(r: { ok: true; value: T } | { ok: false; error: unknown }): T {
  if (!r.ok) throw new Error(`expected ok, got ${JSON.stringify(r.error)}`);
  return r.value;
}

export const make = {
  workspace: (id: string, now: Date, extra: Partial<{ name: string; timezone: string; currency: string }> = {}) =>
    unwrap(Workspace.create({ id: Ids.workspace(id), name: extra.name ?? 'Shop', timezone: extra.timezone ?? 'Europe/Madrid', defaultCurrency: extra.currency ?? 'EUR', now }, knownTimezones)),
  user: (id: string, email: string, now: Date) => unwrap(User.register({ id: Ids.user(id), name: 'Ana García', email, passwordHash: 'hash', now })),
  membership: (id: string, ws: WorkspaceId, userId: string, role: 'owner' | 'admin' | 'agent' | 'analyst', now: Date) =>
    Membership.create({ id: Ids.membership(id), workspaceId: ws, userId: Ids.user(userId), role, now }),
  account: (id: string, ws: WorkspaceId, igUserId: string, now: Date, tokenRef = uuid(0xffff)) =>
    unwrap(InstagramAccount.connect({ id: Ids.instagramAccount(id), workspaceId: ws, igUserId, username: 'shop', accountType: 'Business',
      grantedScopes: ['instagram_business_basic', 'instagram_business_manage_messages'], tokenRef: Ids.secret(tokenRef), tokenExpiresAt: new Date(now.getTime() + 60 * 86400_000), now })),
  contact: (id: string, ws: WorkspaceId, account: InstagramAccountId, igsid: string, now: Date) =>
    Contact.firstSeen({ id: Ids.contact(id), workspaceId: ws, accountId: account, igsid, username: 'customer', displayName: 'Customer', now }),
  conversation: (id: string, ws: WorkspaceId, account: InstagramAccountId, contact: ContactId, now: Date) =>
    Conversation.open({ id: Ids.conversation(id), workspaceId: ws, accountId: account, contactId: contact, entryPoint: 'organic_dm', now }),
  inbound: (id: string, ws: WorkspaceId, account: InstagramAccountId, conversation: ConversationId, contact: ContactId, mid: string, text: string | null, at: Date) =>
    Message.inbound({ id: Ids.message(id), workspaceId: ws, accountId: account, conversationId: conversation, contactId: contact, platformMessageId: mid, text, sentAt: at, now: at }),
  product: (id: string, ws: WorkspaceId, sku: string, now: Date) => unwrap(Product.create({ id: Ids.product(id), workspaceId: ws, sku, name: `Product ${sku}`, description: 'A thing', now })),
  variant: (id: string, ws: WorkspaceId, product: ProductId, sku: string, priceMinor: number, now: Date, currency = 'EUR') =>
    unwrap(Variant.create({ id: Ids.variant(id), workspaceId: ws, productId: product, sku, price: Money.unsafe(priceMinor, currency), now })),
  level: (variant: VariantId, ws: WorkspaceId, now: Date) => StockLevel.empty(variant, ws, now),
  order: (id: string, ws: WorkspaceId, lines: Array<{ variantId: VariantId; sku: string; priceMinor: number; quantity: number }>, now: Date, currency = 'EUR') =>
    unwrap(Order.draft({ id: Ids.order(id), workspaceId: ws, source: 'dashboard', actor: { kind: 'user', id: 'u1' }, now,
      lines: lines.map((l) => ({ variantId: l.variantId, sku: l.sku, name: l.sku, unitPrice: Money.unsafe(l.priceMinor, currency), quantity: l.quantity })) })),
};

/** UUID-shaped ids, so the same fixtures fit uuid columns. */
export function uuid(n: number, prefix = '00000000'): string {
  return `${prefix}-0000-7000-8000-${n.toString(16).padStart(12, '0')}`;
}
