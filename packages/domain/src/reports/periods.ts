/**
 * Calendar arithmetic on local days (YYYY-MM-DD). A local day is a civil date, not an instant, so
 * it is computed in UTC where every day has 24 hours; the timezone was applied once, when the
 * event was bucketed.
 */
import type { ReportPeriod } from './ports.js';

export type Granularity = 'day' | 'week' | 'month';
export const GRANULARITIES: readonly Granularity[] = ['day', 'week', 'month'];

const DAY_RE = /^(\d{4})-(\d{2})-(\d{2})$/;

export function isLocalDay(s: string): boolean {
  const m = DAY_RE.exec(s);
  if (!m) return false;
  const d = new Date(Date.UTC(Number(m[1]), Number(m[2]) - 1, Number(m[3])));
  return d.toISOString().slice(0, 10) === s;
}

const toUtc = (day: string): Date => new Date(`${day}T00:00:00.000Z`);
const fromUtc = (d: Date): string => d.toISOString().slice(0, 10);

export function addDays(day: string, n: number): string {
  const d = toUtc(day);
  d.setUTCDate(d.getUTCDate() + n);
  return fromUtc(d);
}

export function daysBetween(fromDay: string, toDay: string): number {
  return Math.round((toUtc(toDay).getTime() - toUtc(fromDay).getTime()) / 86_400_000);
}

/** The first day of the period holding `day`: itself, its ISO week's Monday, or the 1st of its month. */
export function periodStart(day: string, granularity: Granularity): string {
  if (granularity === 'day') return day;
  if (granularity === 'month') return `${day.slice(0, 7)}-01`;
  const weekday = (toUtc(day).getUTCDay() + 6) % 7; // Monday = 0
  return addDays(day, -weekday);
}

function nextPeriodStart(start: string, granularity: Granularity): string {
  if (granularity === 'day') return addDays(start, 1);
  if (granularity === 'week') return addDays(start, 7);
  const d = toUtc(start);
  d.setUTCMonth(d.getUTCMonth() + 1);
  return fromUtc(d);
}

/** Periods covering [fromDay, toDay], the first and last clipped to the range. */
export function periodsOf(fromDay: string, toDay: string, granularity: Granularity): ReportPeriod[] {
  const out: ReportPeriod[] = [];
  let start = periodStart(fromDay, granularity);
  while (start <= toDay) {
    const next = nextPeriodStart(start, granularity);
    out.push({ key: start, fromDay: start < fromDay ? fromDay : start, toDay: addDays(next, -1) > toDay ? toDay : addDays(next, -1) });
    start = next;
  }
  return out;
}

/**
 * Instants that certainly contain every instant whose local day is in [fromDay, toDay] in any
 * timezone (offsets stay within ±14 h); callers filter by `localDay` afterwards.
 */
export function instantWindow(fromDay: string, toDay: string): { from: Date; to: Date } {
  return { from: new Date(toUtc(fromDay).getTime() - 15 * 3600_000), to: new Date(toUtc(addDays(toDay, 1)).getTime() + 15 * 3600_000) };
}
