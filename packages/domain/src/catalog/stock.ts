import type { OrderId, StockMovementId, VariantId, WorkspaceId } from '../shared/ids.js';
import { err, ok, type Result } from '../shared/result.js';

export type MovementKind = 'adjustment' | 'import' | 'reservation' | 'release' | 'shipment' | 'return';

export type StockActor = { readonly kind: 'user'; readonly id: string } | { readonly kind: 'system' | 'assistant' | 'import'; readonly id?: string };

/**
 * One line of the append-only stock ledger. The level of a variant is always the sum of its
 * movements: on hand = Σ onHandDelta, reserved = Σ reservedDelta.
 */
export interface StockMovement {
  readonly id: StockMovementId;
  readonly workspaceId: WorkspaceId;
  readonly variantId: VariantId;
  readonly kind: MovementKind;
  readonly onHandDelta: number;
  readonly reservedDelta: number;
  readonly orderId: OrderId | null;
  readonly reason: string | null;
  readonly actor: StockActor;
  readonly at: Date;
}

export type StockError =
  | { readonly kind: 'InvalidQuantity'; readonly quantity: number }
  | { readonly kind: 'InsufficientStock'; readonly variantId: VariantId; readonly requested: number; readonly available: number }
  | { readonly kind: 'ReleaseExceedsReserved'; readonly variantId: VariantId; readonly requested: number; readonly reserved: number }
  | { readonly kind: 'AdjustmentBelowReserved'; readonly variantId: VariantId; readonly onHand: number; readonly reserved: number };

type MovementDraft = Omit<StockMovement, 'id' | 'workspaceId' | 'variantId'>;

/**
 * On hand vs reserved for one variant (Medusa's model): available = on hand − reserved. Every
 * change returns the movement to append, and the invariants 0 ≤ reserved ≤ on hand always hold.
 */
export class StockLevel {
  private constructor(
    readonly variantId: VariantId,
    readonly workspaceId: WorkspaceId,
    private _onHand: number,
    private _reserved: number,
    private _updatedAt: Date,
    readonly version: number = 1,
  ) {}

  static empty(variantId: VariantId, workspaceId: WorkspaceId, now: Date): StockLevel {
    return new StockLevel(variantId, workspaceId, 0, 0, now);
  }

  /**
   * A level as the store holds it, for an adapter that applied a guarded change itself
   * (`StockRepository.applyMovements`) and hands back the figures it wrote.
   */
  static of(input: { variantId: VariantId; workspaceId: WorkspaceId; onHand: number; reserved: number; updatedAt: Date; version: number }): StockLevel {
    return new StockLevel(input.variantId, input.workspaceId, input.onHand, input.reserved, input.updatedAt, input.version);
  }

  get onHand(): number { return this._onHand; }
  get reserved(): number { return this._reserved; }
  get available(): number { return this._onHand - this._reserved; }
  get updatedAt(): Date { return this._updatedAt; }

  /** Sets on hand to an absolute count (a stock take) or moves it by a delta; never below what is reserved. */
  adjust(input: { delta: number; kind?: 'adjustment' | 'import' | 'return'; reason: string | null; actor: StockActor; at: Date; orderId?: OrderId | null }): Result<MovementDraft, StockError> {
    if (!Number.isSafeInteger(input.delta)) return err({ kind: 'InvalidQuantity', quantity: input.delta });
    const next = this._onHand + input.delta;
    if (!Number.isSafeInteger(next)) return err({ kind: 'InvalidQuantity', quantity: input.delta });
    if (next < this._reserved) return err({ kind: 'AdjustmentBelowReserved', variantId: this.variantId, onHand: next, reserved: this._reserved });
    this._onHand = next;
    this._updatedAt = input.at;
    return ok({ kind: input.kind ?? 'adjustment', onHandDelta: input.delta, reservedDelta: 0, orderId: input.orderId ?? null, reason: input.reason, actor: input.actor, at: input.at });
  }

  setOnHand(count: number, reason: string | null, actor: StockActor, at: Date, kind: 'adjustment' | 'import' = 'adjustment'): Result<MovementDraft, StockError> {
    if (!Number.isSafeInteger(count) || count < 0) return err({ kind: 'InvalidQuantity', quantity: count });
    return this.adjust({ delta: count - this._onHand, kind, reason, actor, at });
  }

  reserve(quantity: number, orderId: OrderId | null, actor: StockActor, at: Date): Result<MovementDraft, StockError> {
    if (!Number.isSafeInteger(quantity) || quantity <= 0) return err({ kind: 'InvalidQuantity', quantity });
    if (quantity > this.available) return err({ kind: 'InsufficientStock', variantId: this.variantId, requested: quantity, available: this.available });
    this._reserved += quantity;
    this._updatedAt = at;
    return ok({ kind: 'reservation', onHandDelta: 0, reservedDelta: quantity, orderId, reason: null, actor, at });
  }

  release(quantity: number, orderId: OrderId | null, actor: StockActor, at: Date): Result<MovementDraft, StockError> {
    if (!Number.isSafeInteger(quantity) || quantity <= 0) return err({ kind: 'InvalidQuantity', quantity });
    if (quantity > this._reserved) return err({ kind: 'ReleaseExceedsReserved', variantId: this.variantId, requested: quantity, reserved: this._reserved });
    this._reserved -= quantity;
    this._updatedAt = at;
    return ok({ kind: 'release', onHandDelta: 0, reservedDelta: -quantity, orderId, reason: null, actor, at });
  }

  /** Shipping consumes a reservation: the units leave both on hand and reserved. */
  ship(quantity: number, orderId: OrderId, actor: StockActor, at: Date): Result<MovementDraft, StockError> {
    if (!Number.isSafeInteger(quantity) || quantity <= 0) return err({ kind: 'InvalidQuantity', quantity });
    if (quantity > this._reserved) return err({ kind: 'ReleaseExceedsReserved', variantId: this.variantId, requested: quantity, reserved: this._reserved });
    this._reserved -= quantity;
    this._onHand -= quantity;
    this._updatedAt = at;
    return ok({ kind: 'shipment', onHandDelta: -quantity, reservedDelta: -quantity, orderId, reason: null, actor, at });
  }

  isLow(threshold: number): boolean {
    return this.available <= threshold;
  }
}

/** The level a ledger implies; used by tests and by the repair path to check a stored level. */
export function levelFromLedger(movements: readonly Pick<StockMovement, 'onHandDelta' | 'reservedDelta'>[]): { onHand: number; reserved: number } {
  let onHand = 0;
  let reserved = 0;
  for (const m of movements) {
    onHand += m.onHandDelta;
    reserved += m.reservedDelta;
  }
  return { onHand, reserved };
}
