import type { Response } from 'express';
import type { Container } from 'inversify';
import {
  AddOrderNote, CatalogQueries, DraftOrder, ImportCatalog, ManageCatalog, NotifyOrderCustomer, OrderQueries, QueueOutboundMessage, TransitionOrder,
  assertNever, type DraftOrderError, type JobQueue, type ManageCatalogError, type Money, type TransitionOrderError,
} from '@palette/domain';
import { z } from 'zod';
import { HttpProblem } from '../http/problem.js';
import { TOKENS } from '../tokens.js';
import type { WorkspaceServices } from '../workspace-services.js';

/**
 * The catalog, inventory and order use cases of one request, over ONE unit of work (the
 * WorkspaceServices resolution), so an order, its stock movements and its idempotency record
 * commit together.
 */
export function commerce(c: Container) {
  const s: WorkspaceServices = c.get(TOKENS.WorkspaceServices);
  const ids = c.get(TOKENS.Ids);
  const { repos, clock } = s;
  // Without a queue (tests, embedding) a notification that may go out is recorded, not sent.
  const jobs: JobQueue = c.isBound(TOKENS.JobQueue) ? c.get(TOKENS.JobQueue) : { enqueue: async () => undefined };
  const outbound = new QueueOutboundMessage({ ...repos, jobs, clock, ids });
  return {
    services: s,
    repos,
    clock,
    catalog: new ManageCatalog({ ...repos, clock, ids }),
    catalogQueries: new CatalogQueries(repos),
    imports: () => new ImportCatalog({ ...c.get(TOKENS.Repositories), clock, ids }),
    draft: new DraftOrder({ ...repos, clock, ids }),
    transition: new TransitionOrder({ ...repos, clock, ids, notifications: new NotifyOrderCustomer({ ...repos, outbound, clock }) }),
    notes: new AddOrderNote({ ...repos, clock }),
    orderQueries: new OrderQueries(repos),
  };
}

export const MoneyDto = z.object({
  amountMinor: z.number().int().describe('Integer minor units (cents).'),
  currency: z.string().length(3),
  formatted: z.string().describe('Exact decimal in major units, e.g. "19.99".'),
}).meta({ id: 'MoneyAmount' });

export const money = (m: Money): z.input<typeof MoneyDto> => ({ amountMinor: m.amountMinor, currency: m.currency, formatted: m.toDecimalString() });

/** Minor units a client may send: integers up to 10^13 (100 billion in major units); beyond is a typo or an attack. */
export const MINOR_UNITS = z.number().int().min(0).max(10_000_000_000_000);
export const QUANTITY = z.number().int().min(1).max(1_000_000);
export const CURRENCY = z.string().regex(/^[A-Z]{3}$/, 'must be an ISO 4217 code such as EUR');
export const SKU = z.string().trim().min(1).max(64);

/** Business outcomes of the catalog and order use cases as problems; `where` names what a NotFound refers to. */
export function commerceProblem(e: ManageCatalogError | DraftOrderError | TransitionOrderError | { kind: 'InvalidNote' }, where: 'path' | 'body' = 'path'): HttpProblem {
  switch (e.kind) {
    case 'NotFound':
      return where === 'path' ? HttpProblem.notFound() : new HttpProblem('unprocessable', { detail: `Unknown ${e.entity}: ${e.id}.`, code: `order.unknown_${e.entity}`, extensions: { entity: e.entity, id: e.id } });
    case 'DuplicateSku': return HttpProblem.conflict(`SKU ${e.sku} is already used in this workspace.`, 'catalog.duplicate_sku');
    case 'InvalidSku': return HttpProblem.unprocessable(`"${e.sku}" is not a valid SKU: 1–64 letters, digits or . _ - /, starting with a letter or digit.`, 'catalog.invalid_sku');
    case 'InvalidProductName': return HttpProblem.unprocessable('A product name is 1 to 200 characters.', 'catalog.invalid_name');
    case 'NegativePrice': return HttpProblem.unprocessable('Prices cannot be negative.', 'catalog.negative_price');
    case 'InvalidThreshold': return HttpProblem.unprocessable('The low-stock threshold is a whole number, 0 or more.', 'catalog.invalid_threshold');
    case 'PriceCurrencyMismatch':
    case 'CurrencyMismatch':
      return new HttpProblem('unprocessable', { detail: `Currency mismatch: expected ${e.expected}, got ${e.actual}.`, code: 'money.currency_mismatch', extensions: { expected: e.expected, actual: e.actual } });
    case 'MixedCurrencies': return new HttpProblem('unprocessable', { detail: `One order has one currency; these lines mix ${e.currencies.join(', ')}.`, code: 'money.currency_mismatch', extensions: { currencies: e.currencies } });
    case 'InvalidCurrency': return HttpProblem.unprocessable(`"${e.currency}" is not a currency code.`, 'money.invalid_currency');
    case 'InvalidAmount':
    case 'AmountOverflow':
      return HttpProblem.unprocessable('An amount is too large to be handled exactly.', 'money.amount_overflow');
    case 'NegativeTotal': return HttpProblem.unprocessable('The discount is larger than the order (or a charge is negative).', 'order.negative_total');
    case 'EmptyOrder': return HttpProblem.unprocessable('An order needs at least one line.', 'order.empty');
    case 'InvalidQuantity': return HttpProblem.unprocessable(`Invalid quantity ${e.quantity}.`, 'order.invalid_quantity');
    case 'InsufficientStock':
      return new HttpProblem('conflict', { detail: `Not enough stock: ${e.requested} requested, ${Math.max(0, e.available)} available.`, code: 'inventory.insufficient_stock', extensions: { variantId: e.variantId, requested: e.requested, available: Math.max(0, e.available) } });
    case 'ReleaseExceedsReserved': return HttpProblem.conflict('The stock ledger does not hold this reservation.', 'inventory.not_reserved');
    case 'AdjustmentBelowReserved':
      return new HttpProblem('conflict', { detail: `On hand cannot go below the ${e.reserved} unit(s) reserved by orders (asked for ${e.onHand}).`, code: 'inventory.below_reserved', extensions: { reserved: e.reserved, onHand: e.onHand } });
    case 'IllegalTransition':
      return new HttpProblem('conflict', {
        detail: `An order cannot go from ${e.from} to ${e.to}; from ${e.from} it can go to ${e.allowed.length > 0 ? e.allowed.join(', ') : 'nothing (it is final)'}.`,
        code: 'order.illegal_transition', extensions: { from: e.from, to: e.to, allowed: e.allowed },
      });
    case 'OrderNotEditable': return HttpProblem.conflict(`The order is ${e.status}; only drafts can change.`, 'order.not_editable');
    case 'OrderAnonymized': return HttpProblem.conflict('The order was anonymised; its customer data is gone.', 'order.anonymized');
    case 'VariantUnavailable': return new HttpProblem('unprocessable', { detail: `${e.sku} cannot be ordered (${e.reason.replace('_', ' ')}).`, code: 'order.variant_unavailable', extensions: { sku: e.sku, reason: e.reason } });
    case 'InvalidHold': return HttpProblem.unprocessable(`A hold lasts 1 to 1440 minutes, not ${e.minutes}.`, 'order.invalid_hold');
    case 'InvalidNote': return HttpProblem.unprocessable('A note is 1 to 2000 characters.', 'order.invalid_note');
    default: return assertNever(e);
  }
}

/** Streams CSV lines to the response; the generator pages through the database as it goes. */
export async function sendCsv(res: Response, filename: string, lines: AsyncIterable<string>): Promise<void> {
  res.status(200).type('text/csv; charset=utf-8').setHeader('Content-Disposition', `attachment; filename="${filename}"`);
  res.setHeader('Cache-Control', 'no-store');
  for await (const chunk of lines) {
    if (!res.write(chunk)) await new Promise((resolve) => res.once('drain', resolve));
  }
  res.end();
}
