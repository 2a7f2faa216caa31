import { Money, sumMoney, type Currency, type MoneyError } from '../shared/money.js';
import type { ContactId, ConversationId, OrderId, VariantId, WorkspaceId } from '../shared/ids.js';
import { err, ok, type Result } from '../shared/result.js';

export const ORDER_STATUSES = ['draft', 'confirmed', 'paid', 'shipped', 'delivered', 'cancelled', 'refunded'] as const;
export type OrderStatus = (typeof ORDER_STATUSES)[number];
export type OrderSource = 'chat' | 'dashboard' | 'api';

/** The whole state machine in one table; everything else derives from it. */
export const ORDER_TRANSITIONS: Readonly<Record<OrderStatus, readonly OrderStatus[]>> = {
  draft: ['confirmed', 'cancelled'],
  confirmed: ['paid', 'cancelled'],
  paid: ['shipped', 'cancelled', 'refunded'],
  shipped: ['delivered', 'refunded'],
  delivered: ['refunded'],
  cancelled: [],
  refunded: [],
};

/** Statuses after which an order is finished: the 5-year retention counts from here. */
export const TERMINAL_OR_COMPLETED: readonly OrderStatus[] = ['delivered', 'cancelled', 'refunded'];

/** Whether stock is held for the order in this status (reservation made at confirmation). */
export function holdsReservation(status: OrderStatus): boolean {
  return status === 'confirmed' || status === 'paid';
}

export type OrderActor = { readonly kind: 'user'; readonly id: string } | { readonly kind: 'contact' | 'assistant' | 'system' | 'api'; readonly id?: string };

export interface OrderLine {
  readonly variantId: VariantId;
  readonly sku: string;
  readonly name: string;
  /** Price at the moment the line was added: later catalog changes never rewrite an order. */
  readonly unitPrice: Money;
  readonly quantity: number;
  readonly lineTotal: Money;
}

export interface StatusChange {
  readonly from: OrderStatus | null;
  readonly to: OrderStatus;
  readonly actor: OrderActor;
  readonly at: Date;
  readonly note: string | null;
}

/** Only what delivery needs (data minimisation): no phone, no email unless the merchant adds one. */
export interface ShippingAddress {
  readonly name: string;
  readonly line1: string;
  readonly line2?: string;
  readonly city: string;
  readonly postalCode: string;
  readonly region?: string;
  readonly country: string;
}

export type OrderError =
  | MoneyError
  | { readonly kind: 'EmptyOrder' }
  | { readonly kind: 'InvalidQuantity'; readonly sku: string; readonly quantity: number }
  | { readonly kind: 'MixedCurrencies'; readonly currencies: readonly string[] }
  | { readonly kind: 'NegativeTotal' }
  | { readonly kind: 'IllegalTransition'; readonly from: OrderStatus; readonly to: OrderStatus; readonly allowed: readonly OrderStatus[] }
  | { readonly kind: 'OrderNotEditable'; readonly status: OrderStatus }
  | { readonly kind: 'OrderAnonymized' };

/**
 * The last customer notification about a status change, as the send gate decided it. `held` waits
 * for the customer's next message (window closed); the outbound sender releases it, not the order.
 */
export interface OrderNotification {
  readonly status: OrderStatus;
  readonly messageId: string | null;
  readonly outcome: 'queued' | 'held' | 'refused' | 'not_sent';
  /** The gate's reason (`window_closed`, `no_customer_message`…) or why nothing was queued (`no_conversation`). */
  readonly reason: string | null;
  /** ISO time, so the JSON column reads back the same on every adapter. */
  readonly at: string;
}

/** What the dashboard shows next to an order: "notification held: window closed". */
export function describeNotification(n: OrderNotification): string {
  const reason = n.reason ? `: ${n.reason.replace(/_/g, ' ')}` : '';
  switch (n.outcome) {
    case 'queued': return 'notification sent';
    case 'held': return `notification held${reason}`;
    case 'refused': return `notification not sent${reason}`;
    case 'not_sent': return `no notification${reason}`;
  }
}

export interface NewLine {
  readonly variantId: VariantId;
  readonly sku: string;
  readonly name: string;
  readonly unitPrice: Money;
  readonly quantity: number;
}

const MAX_QUANTITY = 1_000_000;

function buildLines(lines: readonly NewLine[]): Result<{ lines: OrderLine[]; currency: Currency }, OrderError> {
  if (lines.length === 0) return err({ kind: 'EmptyOrder' });
  const currencies = [...new Set(lines.map((l) => l.unitPrice.currency))];
  if (currencies.length > 1) return err({ kind: 'MixedCurrencies', currencies });
  const built: OrderLine[] = [];
  for (const l of lines) {
    if (!Number.isSafeInteger(l.quantity) || l.quantity <= 0 || l.quantity > MAX_QUANTITY) return err({ kind: 'InvalidQuantity', sku: l.sku, quantity: l.quantity });
    if (l.unitPrice.isNegative()) return err({ kind: 'InvalidAmount', amount: l.unitPrice.amountMinor });
    const total = l.unitPrice.multiply(l.quantity);
    if (!total.ok) return total;
    built.push({ ...l, lineTotal: total.value });
  }
  return ok({ lines: built, currency: currencies[0] as Currency });
}

/** An order: lines with price snapshots, exact integer totals, and an audited status machine. */
export class Order {
  private constructor(
    readonly id: OrderId,
    readonly workspaceId: WorkspaceId,
    readonly source: OrderSource,
    private _contactId: ContactId | null,
    private _conversationId: ConversationId | null,
    private _customerName: string | null,
    private _shippingAddress: ShippingAddress | null,
    private _status: OrderStatus,
    private _lines: OrderLine[],
    private _currency: Currency,
    private _subtotal: Money,
    private _shipping: Money,
    private _discount: Money,
    private _total: Money,
    private _history: StatusChange[],
    private _notes: string | null,
    private _holdExpiresAt: Date | null,
    private _completedAt: Date | null,
    private _anonymizedAt: Date | null,
    readonly createdAt: Date,
    private _updatedAt: Date,
    readonly version: number = 1,
  ) {}

  // A field rather than a constructor parameter: rows loaded before it existed hydrate it as null.
  private _notification: OrderNotification | null = null;

  static draft(input: {
    id: OrderId; workspaceId: WorkspaceId; source: OrderSource; lines: readonly NewLine[]; contactId?: ContactId | null; conversationId?: ConversationId | null;
    customerName?: string | null; shippingAddress?: ShippingAddress | null; shipping?: Money; discount?: Money; notes?: string | null; actor: OrderActor; now: Date;
  }): Result<Order, OrderError> {
    const built = buildLines(input.lines);
    if (!built.ok) return built;
    const { lines, currency } = built.value;
    const shipping = input.shipping ?? Money.zero(currency);
    const discount = input.discount ?? Money.zero(currency);
    const totals = computeTotals(currency, lines, shipping, discount);
    if (!totals.ok) return totals;
    const history: StatusChange[] = [{ from: null, to: 'draft', actor: input.actor, at: input.now, note: null }];
    return ok(new Order(input.id, input.workspaceId, input.source, input.contactId ?? null, input.conversationId ?? null, input.customerName ?? null,
      input.shippingAddress ?? null, 'draft', lines, currency, totals.value.subtotal, shipping, discount, totals.value.total, history,
      input.notes ?? null, null, null, null, input.now, input.now));
  }

  get contactId(): ContactId | null { return this._contactId; }
  get conversationId(): ConversationId | null { return this._conversationId; }
  get customerName(): string | null { return this._customerName; }
  get shippingAddress(): ShippingAddress | null { return this._shippingAddress; }
  get status(): OrderStatus { return this._status; }
  get lines(): readonly OrderLine[] { return this._lines; }
  get currency(): Currency { return this._currency; }
  get subtotal(): Money { return this._subtotal; }
  get shipping(): Money { return this._shipping; }
  get discount(): Money { return this._discount; }
  get total(): Money { return this._total; }
  get history(): readonly StatusChange[] { return this._history; }
  get notes(): string | null { return this._notes; }
  get holdExpiresAt(): Date | null { return this._holdExpiresAt; }
  get completedAt(): Date | null { return this._completedAt; }
  get anonymizedAt(): Date | null { return this._anonymizedAt; }
  get updatedAt(): Date { return this._updatedAt; }
  get notification(): OrderNotification | null { return this._notification ?? null; }
  /** A draft whose stock is reserved for it until `holdExpiresAt` (or until the expiry sweep runs). */
  get holdsStock(): boolean { return this._status === 'draft' && this._holdExpiresAt !== null; }

  recordNotification(n: OrderNotification): void {
    this._notification = n;
  }

  allowedTransitions(): readonly OrderStatus[] {
    return ORDER_TRANSITIONS[this._status];
  }

  /** Lines can change only while the order is a draft (nothing reserved yet). */
  replaceLines(lines: readonly NewLine[], now: Date): Result<void, OrderError> {
    if (this._status !== 'draft') return err({ kind: 'OrderNotEditable', status: this._status });
    const built = buildLines(lines);
    if (!built.ok) return built;
    if (built.value.currency !== this._currency) return err({ kind: 'MixedCurrencies', currencies: [this._currency, built.value.currency] });
    const totals = computeTotals(this._currency, built.value.lines, this._shipping, this._discount);
    if (!totals.ok) return totals;
    this._lines = built.value.lines;
    this._subtotal = totals.value.subtotal;
    this._total = totals.value.total;
    this._updatedAt = now;
    return ok(undefined);
  }

  setCharges(input: { shipping?: Money; discount?: Money }, now: Date): Result<void, OrderError> {
    if (this._status !== 'draft') return err({ kind: 'OrderNotEditable', status: this._status });
    const shipping = input.shipping ?? this._shipping;
    const discount = input.discount ?? this._discount;
    const totals = computeTotals(this._currency, this._lines, shipping, discount);
    if (!totals.ok) return totals;
    this._shipping = shipping;
    this._discount = discount;
    this._subtotal = totals.value.subtotal;
    this._total = totals.value.total;
    this._updatedAt = now;
    return ok(undefined);
  }

  setCustomer(input: { customerName?: string | null; shippingAddress?: ShippingAddress | null }, now: Date): Result<void, OrderError> {
    if (this._anonymizedAt) return err({ kind: 'OrderAnonymized' });
    if (input.customerName !== undefined) this._customerName = input.customerName;
    if (input.shippingAddress !== undefined) this._shippingAddress = input.shippingAddress;
    this._updatedAt = now;
    return ok(undefined);
  }

  /** A draft made in chat may hold stock briefly; the expiry job releases it. */
  holdUntil(expiresAt: Date | null): void {
    this._holdExpiresAt = expiresAt;
  }

  /**
   * Moves along the state machine. Stock effects (reserve on confirm, release on cancel, consume on
   * ship) are applied by the TransitionOrder use case in the same unit of work.
   */
  transition(to: OrderStatus, actor: OrderActor, now: Date, note: string | null = null): Result<StatusChange, OrderError> {
    const allowed = ORDER_TRANSITIONS[this._status];
    if (!allowed.includes(to)) return err({ kind: 'IllegalTransition', from: this._status, to, allowed });
    const change: StatusChange = { from: this._status, to, actor, at: now, note };
    this._status = to;
    this._history = [...this._history, change];
    if (TERMINAL_OR_COMPLETED.includes(to) && !this._completedAt) this._completedAt = now;
    if (to !== 'draft') this._holdExpiresAt = null;
    this._updatedAt = now;
    return ok(change);
  }

  addNote(note: string, now: Date): Result<void, OrderError> {
    if (this._anonymizedAt) return err({ kind: 'OrderAnonymized' });
    this._notes = this._notes ? `${this._notes}\n${note}` : note;
    this._updatedAt = now;
    return ok(undefined);
  }

  /** The retention anchor: completion or cancellation, or creation while still open. */
  retentionAnchor(): Date {
    return this._completedAt ?? this.createdAt;
  }

  /**
   * Irreversible: identifiers and free text go; amounts, products, quantities, statuses and dates
   * stay for tax and reports. Actors that are users keep their id (staff, not the data subject).
   */
  anonymize(now: Date): void {
    this._contactId = null;
    this._conversationId = null;
    this._customerName = null;
    this._shippingAddress = null;
    this._notes = null;
    this._notification = null;
    this._history = this._history.map((h) => ({ ...h, note: null, actor: h.actor.kind === 'contact' ? { kind: 'contact' } : h.actor }));
    this._anonymizedAt = now;
    this._updatedAt = now;
  }
}

export function computeTotals(currency: Currency, lines: readonly OrderLine[], shipping: Money, discount: Money): Result<{ subtotal: Money; total: Money }, OrderError> {
  if (shipping.currency !== currency || discount.currency !== currency) {
    return err({ kind: 'MixedCurrencies', currencies: [...new Set([currency, shipping.currency, discount.currency])] });
  }
  if (shipping.isNegative() || discount.isNegative()) return err({ kind: 'NegativeTotal' });
  const subtotal = sumMoney(currency, lines.map((l) => l.lineTotal));
  if (!subtotal.ok) return subtotal;
  const withShipping = subtotal.value.add(shipping);
  if (!withShipping.ok) return withShipping;
  const total = withShipping.value.subtract(discount);
  if (!total.ok) return total;
  if (total.value.isNegative()) return err({ kind: 'NegativeTotal' });
  return ok({ subtotal: subtotal.value, total: total.value });
}
