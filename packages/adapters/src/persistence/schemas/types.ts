import { JsonType, type Platform } from '@mikro-orm/core';
import { Money } from '@palette/domain';

type Reviver = (value: unknown) => unknown;

/**
 * A JSON column whose value holds Dates and Money: JSON.stringify writes them as ISO strings and
 * {amountMinor, currency}; reading must turn them back into the domain's types, or a loaded
 * aggregate would carry strings where its methods expect Dates.
 */
class RevivingJsonType extends JsonType {
  constructor(private readonly revive: Reviver) {
    super();
  }
  override convertToJSValue(value: unknown, platform: Platform): unknown {
    const parsed = super.convertToJSValue(value as string, platform);
    return parsed === null || parsed === undefined ? parsed : this.revive(parsed);
  }
}

const date = (v: unknown): Date => new Date(v as string);
const money = (v: unknown): Money => {
  const m = v as { amountMinor: number; currency: string };
  return Money.unsafe(m.amountMinor, m.currency);
};
const mapArray = (f: (x: Record<string, unknown>) => unknown): Reviver => (v) => (v as Record<string, unknown>[]).map(f);

export const ConsentLedgerType = new RevivingJsonType(mapArray((e) => ({ ...e, at: date(e.at) })));
export const ReactionsType = new RevivingJsonType(mapArray((r) => ({ ...r, at: date(r.at) })));
export const OrderLinesType = new RevivingJsonType(mapArray((l) => ({ ...l, unitPrice: money(l.unitPrice), lineTotal: money(l.lineTotal) })));
export const OrderHistoryType = new RevivingJsonType(mapArray((h) => ({ ...h, at: date(h.at) })));
export const PlainJsonType = new JsonType();
