import type { UserId } from '../shared/ids.js';
import { err, ok, type Result } from '../shared/result.js';

export type UserError =
  | { readonly kind: 'InvalidName' }
  | { readonly kind: 'InvalidEmail'; readonly email: string };

export interface UserPreferences {
  readonly timezone?: string;
  readonly language?: string;
  readonly theme?: 'light' | 'dark' | 'system';
  readonly dashboard?: Readonly<Record<string, string | number | boolean>>;
  /** Whether the user agreed to non-essential cookies; without it only the session cookie is set. */
  readonly cookieConsent?: boolean;
}

const EMAIL = /^[^\s@]+@[^\s@]+\.[^\s@]+$/;

/** A display name: trimmed, 1–120 characters. Shared by users and workspaces. */
export function validName(name: string): string | null {
  const trimmed = name.trim();
  return trimmed.length === 0 || trimmed.length > 120 ? null : trimmed;
}

function validEmail(email: string): string | null {
  const normalized = normalizeEmail(email);
  return EMAIL.test(normalized) && normalized.length <= 254 ? normalized : null;
}

/** Normalised so that "Ana@Shop.com" and "ana@shop.com" are one account. */
export function normalizeEmail(email: string): string {
  return email.trim().toLowerCase();
}

/** A person who signs in. We keep only what the account needs: name, email, password hash. */
export class User {
  private constructor(
    readonly id: UserId,
    private _name: string,
    private _email: string,
    private _passwordHash: string,
    private _preferences: UserPreferences,
    readonly createdAt: Date,
    private _updatedAt: Date,
    private _erasedAt: Date | null,
    readonly version: number = 1,
  ) {}

  static register(input: { id: UserId; name: string; email: string; passwordHash: string; now: Date }): Result<User, UserError> {
    const name = validName(input.name);
    if (name === null) return err({ kind: 'InvalidName' });
    const email = validEmail(input.email);
    if (email === null) return err({ kind: 'InvalidEmail', email: input.email });
    return ok(new User(input.id, name, email, input.passwordHash, {}, input.now, input.now, null));
  }

  get name(): string { return this._name; }
  get email(): string { return this._email; }
  get passwordHash(): string { return this._passwordHash; }
  get preferences(): UserPreferences { return this._preferences; }
  get updatedAt(): Date { return this._updatedAt; }
  get erasedAt(): Date | null { return this._erasedAt; }

  correct(fields: { name?: string; email?: string }, now: Date): Result<void, UserError> {
    const name = fields.name === undefined ? undefined : validName(fields.name);
    if (name === null) return err({ kind: 'InvalidName' });
    const email = fields.email === undefined ? undefined : validEmail(fields.email);
    if (email === null) return err({ kind: 'InvalidEmail', email: fields.email ?? '' });
    if (name !== undefined) this._name = name;
    if (email !== undefined) this._email = email;
    this._updatedAt = now;
    return ok(undefined);
  }

  changePassword(passwordHash: string, now: Date): void {
    this._passwordHash = passwordHash;
    this._updatedAt = now;
  }

  updatePreferences(preferences: UserPreferences, now: Date): void {
    this._preferences = { ...this._preferences, ...preferences };
    this._updatedAt = now;
  }

  /** PUT semantics: what is not given is gone, unlike `updatePreferences`, which merges. */
  replacePreferences(preferences: UserPreferences, now: Date): void {
    this._preferences = { ...preferences };
    this._updatedAt = now;
  }

  /** Erasure keeps the row (memberships and audit entries point at it) but nothing that identifies. */
  erase(now: Date, anonymousToken: string): void {
    this._name = 'Erased user';
    this._email = `erased-${anonymousToken}@invalid`;
    this._passwordHash = '';
    this._preferences = {};
    this._erasedAt = now;
    this._updatedAt = now;
  }
}
