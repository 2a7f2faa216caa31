import type { Currency } from '../shared/money.js';
import { parseCurrency } from '../shared/money.js';
import type { WorkspaceId } from '../shared/ids.js';
import { err, ok, type Result } from '../shared/result.js';
import { validName } from './user.js';
import { type RetentionOverrides, validateRetentionOverrides, type RetentionError } from '../privacy/retention-policy.js';

export type WorkspaceError =
  | { readonly kind: 'InvalidWorkspaceName' }
  | { readonly kind: 'InvalidTimezone'; readonly timezone: string }
  | { readonly kind: 'InvalidCurrency'; readonly currency: string };

/** What the assistant may say about the shop; none of it is personal data. */
export interface BusinessProfile {
  readonly storeName: string;
  readonly tone: string;
  readonly shippingPolicy: string;
  readonly returnPolicy: string;
  readonly openingHours: string;
  readonly faq: ReadonlyArray<{ readonly question: string; readonly answer: string }>;
}

/**
 * The timezone check must not depend on a platform API inside the core, so it takes the set of
 * zones the edge knows (Intl.supportedValuesOf) through `isKnownTimezone`.
 */
export interface WorkspaceFactoryOptions {
  readonly isKnownTimezone: (tz: string) => boolean;
}

/** A merchant business: the tenant boundary for every other record. */
export class Workspace {
  private constructor(
    readonly id: WorkspaceId,
    private _name: string,
    private _timezone: string,
    private _defaultCurrency: Currency,
    private _businessProfile: BusinessProfile | null,
    private _retention: RetentionOverrides,
    readonly createdAt: Date,
    private _updatedAt: Date,
    readonly version: number = 1,
  ) {}

  static create(
    input: { id: WorkspaceId; name: string; timezone: string; defaultCurrency: string; now: Date },
    options: WorkspaceFactoryOptions,
  ): Result<Workspace, WorkspaceError> {
    const name = validName(input.name);
    if (name === null) return err({ kind: 'InvalidWorkspaceName' });
    if (!options.isKnownTimezone(input.timezone)) return err({ kind: 'InvalidTimezone', timezone: input.timezone });
    const currency = parseCurrency(input.defaultCurrency);
    if (!currency.ok) return err({ kind: 'InvalidCurrency', currency: input.defaultCurrency });
    return ok(new Workspace(input.id, name, input.timezone, currency.value, null, {}, input.now, input.now));
  }

  get name(): string { return this._name; }
  get timezone(): string { return this._timezone; }
  get defaultCurrency(): Currency { return this._defaultCurrency; }
  get businessProfile(): BusinessProfile | null { return this._businessProfile; }
  get retention(): RetentionOverrides { return this._retention; }
  get updatedAt(): Date { return this._updatedAt; }

  rename(name: string, now: Date): Result<void, WorkspaceError> {
    const trimmed = validName(name);
    if (trimmed === null) return err({ kind: 'InvalidWorkspaceName' });
    this._name = trimmed;
    this._updatedAt = now;
    return ok(undefined);
  }

  changeTimezone(timezone: string, options: WorkspaceFactoryOptions, now: Date): Result<void, WorkspaceError> {
    if (!options.isKnownTimezone(timezone)) return err({ kind: 'InvalidTimezone', timezone });
    this._timezone = timezone;
    this._updatedAt = now;
    return ok(undefined);
  }

  updateBusinessProfile(profile: BusinessProfile, now: Date): void {
    this._businessProfile = profile;
    this._updatedAt = now;
  }

  /** Merchants may shorten retention periods, never extend them past the published maximum. */
  setRetention(overrides: RetentionOverrides, now: Date): Result<void, RetentionError> {
    const valid = validateRetentionOverrides(overrides);
    if (!valid.ok) return valid;
    this._retention = { ...overrides };
    this._updatedAt = now;
    return ok(undefined);
  }
}
