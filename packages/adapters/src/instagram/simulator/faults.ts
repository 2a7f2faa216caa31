import { randomBytes } from 'node:crypto';

/**
 * What an account's Graph calls can be made to suffer. `latency` delays and lets the call proceed;
 * the others answer in place of the real handler.
 */
export type FaultSpec =
  | { readonly kind: 'latency'; readonly ms: number }
  | { readonly kind: 'serverError'; readonly status?: number }
  | { readonly kind: 'rateLimit'; readonly code?: 4 | 17 | 32 | 613; readonly httpStatus?: number }
  | { readonly kind: 'bucLimit'; readonly regainMinutes: number }
  | { readonly kind: 'tokenExpired' }
  | { readonly kind: 'connectionReset' }
  /** Reports this BUC percentage in `X-Business-Use-Case-Usage` without failing anything. */
  | { readonly kind: 'usage'; readonly percent: number };

/** Neither set: until cleared. Both set: whichever runs out first. */
export interface FaultDuration {
  readonly forMs?: number;
  readonly calls?: number;
}

interface ActiveFault {
  readonly id: string;
  readonly igUserId: string;
  readonly spec: FaultSpec;
  readonly until: number | null;
  callsLeft: number | null;
}

export class Faults {
  private active: ActiveFault[] = [];

  constructor(private readonly now: () => number) {}

  inject(igUserId: string, spec: FaultSpec, duration: FaultDuration = {}): string {
    const id = randomBytes(6).toString('hex');
    this.active.push({ id, igUserId, spec, until: duration.forMs !== undefined ? this.now() + duration.forMs : null, callsLeft: duration.calls ?? null });
    return id;
  }

  clear(filter?: { igUserId?: string; id?: string }): void {
    this.active = this.active.filter((f) => (filter?.igUserId !== undefined && f.igUserId !== filter.igUserId) || (filter?.id !== undefined && f.id !== filter.id));
  }

  list(igUserId?: string): Array<{ id: string; igUserId: string; spec: FaultSpec; until: number | null; callsLeft: number | null }> {
    this.expire();
    return this.active.filter((f) => igUserId === undefined || f.igUserId === igUserId).map((f) => ({ ...f }));
  }

  /** The faults one call meets; each one met uses up one of its calls. */
  take(igUserId: string): FaultSpec[] {
    this.expire();
    const hit = this.active.filter((f) => f.igUserId === igUserId);
    for (const f of hit) if (f.callsLeft !== null) f.callsLeft -= 1;
    this.expire();
    return hit.map((f) => f.spec);
  }

  private expire(): void {
    const now = this.now();
    this.active = this.active.filter((f) => (f.until === null || now < f.until) && (f.callsLeft === null || f.callsLeft > 0));
  }
}
