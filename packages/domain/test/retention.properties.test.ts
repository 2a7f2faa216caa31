import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import {
  DATA_CLASSES, Ids, RETENTION_RULES, expiresAt, isExpired, retentionCutoff, retentionDays, selectExpired, validateRetentionOverrides,
  type DataClass, type RetentionOverrides,
} from '../src/index.js';
import { make, uuid } from '../testing/index.js';

const DAY = 86_400_000;
const dataClass = fc.constantFrom(...DATA_CLASSES);
/** 2001..2100 in ms. */
const ms = fc.integer({ min: 978_307_200_000, max: 4_102_444_800_000 });

/** A valid override for the class (1..max days), or none. */
const validOverride = (c: DataClass) => fc.option(fc.integer({ min: 1, max: RETENTION_RULES[c].maxDays }), { nil: undefined });
const withOverride = dataClass.chain((c) => fc.tuple(fc.constant(c), validOverride(c)));
const overridesOf = (c: DataClass, days: number | undefined): RetentionOverrides => (days === undefined ? {} : { [c]: days });

describe('retention rules', () => {
  it('publish the documented maxima and actions', () => {
    expect(Object.keys(RETENTION_RULES).sort()).toEqual([...DATA_CLASSES].sort());
    const maxima = Object.fromEntries(DATA_CLASSES.map((c) => [c, RETENTION_RULES[c].maxDays]));
    expect(maxima).toEqual({ messages: 30, ai_records: 30, contact_profiles: 30, orders: 5 * 365 + 1, audit_log: 365, request_log: 365, exports: 7, sessions: 30 });
    expect(RETENTION_RULES.orders.action).toBe('anonymize');
    expect(RETENTION_RULES.messages.action).toBe('delete');
    for (const c of DATA_CLASSES) expect(RETENTION_RULES[c].dataClass).toBe(c);
  });
});

describe('isExpired / expiresAt / retentionCutoff', () => {
  it('isExpired ⇔ now − anchor ≥ period, for any anchor, now and valid override', () => {
    fc.assert(fc.property(withOverride, ms, fc.integer({ min: -10 * DAY, max: 2000 * DAY }), ([c, days], anchorMs, age) => {
      const o = overridesOf(c, days);
      const period = (days ?? RETENTION_RULES[c].maxDays) * DAY;
      const anchor = new Date(anchorMs);
      const now = new Date(anchorMs + age);
      expect(isExpired(c, anchor, now, o)).toBe(age >= period);
      expect(expiresAt(c, anchor, o).getTime()).toBe(anchorMs + period);
    }), { numRuns: 300 });
  });

  it('is due at exactly the boundary and not one millisecond before', () => {
    fc.assert(fc.property(withOverride, ms, ([c, days], anchorMs) => {
      const o = overridesOf(c, days);
      const period = retentionDays(c, o) * DAY;
      const anchor = new Date(anchorMs);
      expect(isExpired(c, anchor, new Date(anchorMs + period), o)).toBe(true);
      expect(isExpired(c, anchor, new Date(anchorMs + period - 1), o)).toBe(false);
    }), { numRuns: 300 });
  });

  it('retentionCutoff agrees with isExpired: anchor ≤ cutoff ⇔ expired, including at the boundary', () => {
    fc.assert(fc.property(withOverride, ms, fc.integer({ min: -3, max: 3 }), fc.integer({ min: -2000 * DAY, max: 2000 * DAY }), ([c, days], nowMs, edge, far) => {
      const o = overridesOf(c, days);
      const now = new Date(nowMs);
      const cutoff = retentionCutoff(c, now, o);
      expect(cutoff.getTime()).toBe(nowMs - retentionDays(c, o) * DAY);
      for (const anchorMs of [cutoff.getTime() + edge, cutoff.getTime() + far]) {
        expect(isExpired(c, new Date(anchorMs), now, o)).toBe(anchorMs <= cutoff.getTime());
      }
    }), { numRuns: 300 });
  });
});

describe('selectExpired', () => {
  it('selects everything at least as old as its period and nothing younger, keeping order', () => {
    fc.assert(fc.property(withOverride, ms, fc.array(fc.integer({ min: -60 * DAY, max: 2000 * DAY }), { maxLength: 30 }), ([c, days], nowMs, ages) => {
      const o = overridesOf(c, days);
      const period = retentionDays(c, o) * DAY;
      const items = ages.map((age, i) => ({ i, anchor: new Date(nowMs - age) }));
      const selected = selectExpired(items, (x) => x.anchor, c, new Date(nowMs), o);
      expect(selected.map((x) => x.i)).toEqual(items.filter((x) => nowMs - x.anchor.getTime() >= period).map((x) => x.i));
      for (const x of selected) expect(nowMs - x.anchor.getTime()).toBeGreaterThanOrEqual(period);
    }), { numRuns: 300 });
  });

  it('with a shorter override selects a superset of what the maximum selects', () => {
    fc.assert(fc.property(withOverride, ms, fc.array(fc.integer({ min: 0, max: 2000 * DAY }), { maxLength: 20 }), ([c, days], nowMs, ages) => {
      const items = ages.map((age) => new Date(nowMs - age));
      const withMax = selectExpired(items, (d) => d, c, new Date(nowMs));
      const withShort = selectExpired(items, (d) => d, c, new Date(nowMs), overridesOf(c, days));
      for (const d of withMax) expect(withShort).toContain(d);
    }));
  });
});

describe('retention overrides', () => {
  it('accepts 1..max days per class and the effective period is the override', () => {
    fc.assert(fc.property(withOverride, ([c, days]) => {
      const o = overridesOf(c, days);
      expect(validateRetentionOverrides(o)).toEqual({ ok: true, value: undefined });
      expect(retentionDays(c, o)).toBe(days ?? RETENTION_RULES[c].maxDays);
    }), { numRuns: 300 });
  });

  it('refuses overrides above the maximum', () => {
    fc.assert(fc.property(dataClass.chain((c) => fc.tuple(fc.constant(c), fc.integer({ min: RETENTION_RULES[c].maxDays + 1, max: 1_000_000 }))), ([c, days]) => {
      expect(validateRetentionOverrides({ [c]: days })).toEqual({ ok: false, error: { kind: 'RetentionAboveMaximum', dataClass: c, days, maxDays: RETENTION_RULES[c].maxDays } });
    }), { numRuns: 200 });
  });

  it('refuses zero, negative and fractional periods', () => {
    const bad = fc.oneof(fc.integer({ min: -10_000, max: 0 }), fc.constantFrom(0.5, 1.5, 29.9, Number.NaN, Infinity, -Infinity));
    fc.assert(fc.property(dataClass, bad, (c, days) => {
      const r = validateRetentionOverrides({ [c]: days });
      expect(r).toEqual({ ok: false, error: { kind: 'RetentionNotPositive', dataClass: c, days, maxDays: RETENTION_RULES[c].maxDays } });
    }), { numRuns: 200 });
  });

  it('validates every class of a multi-class override: one bad value refuses the whole set', () => {
    const entry = dataClass.chain((c) => fc.tuple(fc.constant(c), fc.integer({ min: -5, max: RETENTION_RULES[c].maxDays + 5 })));
    fc.assert(fc.property(fc.uniqueArray(entry, { selector: ([c]) => c, maxLength: DATA_CLASSES.length }), (entries) => {
      const o = Object.fromEntries(entries) as RetentionOverrides;
      const allValid = entries.every(([c, d]) => d >= 1 && d <= RETENTION_RULES[c].maxDays);
      expect(validateRetentionOverrides(o).ok).toBe(allValid);
    }), { numRuns: 300 });
  });

  it('never yields an effective period above the published maximum, whatever the override', () => {
    fc.assert(fc.property(dataClass, fc.integer({ min: 1, max: Number.MAX_SAFE_INTEGER }), (c, days) => {
      expect(retentionDays(c, { [c]: days })).toBeLessThanOrEqual(RETENTION_RULES[c].maxDays);
      expect(retentionDays(c, { [c]: days })).toBe(Math.min(days, RETENTION_RULES[c].maxDays));
    }), { numRuns: 300 });
  });

  it('an override of one class does not change another', () => {
    fc.assert(fc.property(withOverride, dataClass, ([c, days], other) => {
      fc.pre(other !== c);
      expect(retentionDays(other, overridesOf(c, days))).toBe(RETENTION_RULES[other].maxDays);
    }));
  });

  it('a workspace refuses an invalid override and keeps its previous settings', () => {
    const T0 = new Date('2026-03-01T12:00:00Z');
    const ws = make.workspace(Ids.workspace(uuid(1)), T0);
    expect(ws.setRetention({ messages: 14 }, T0).ok).toBe(true);
    expect(ws.setRetention({ messages: 31 }, T0)).toMatchObject({ ok: false, error: { kind: 'RetentionAboveMaximum', maxDays: 30 } });
    expect(ws.setRetention({ exports: 0 }, T0)).toMatchObject({ ok: false, error: { kind: 'RetentionNotPositive' } });
    expect(ws.retention).toEqual({ messages: 14 });
  });
});
