import type { UserId } from '../shared/ids.js';
import { err, ok, type Result } from '../shared/result.js';

export type UserError =
  | { readonly kind: 'InvalidName' }
  | { readonly kind: 'InvalidEmail'; readonly email: string };

export interface UserPreferences {
  readonly timezone?: string;
  readonly language?: string;
  readonly dashboard?: Readonly<Record<string, string | number | boolean>>;
}

const EMAIL = /^[^\s@]+@[^\s@]+\.[^\s@]+$/;

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
    const name = input.name.trim();
    if (name.length === 0 || name.length > 120) return err({ kind: 'InvalidName' });
    const email = normalizeEmail(input.email);
    if (!EMAIL.test(email) || email.length > 254) return err({ kind: 'InvalidEmail', email: input.email });
    return ok(new User(input.id, name, email, input.passwordHash, {}, input.now, input.now, null));
  }

  get name(): string { return this._name; }
  get email(): string { return this._email; }
  get passwordHash(): string { return this._passwordHash; }
  get preferences(): UserPreferences { return this._preferences; }
  get updatedAt(): Date { return this._updatedAt; }
  get erasedAt(): Date | null { return this._erasedAt; }

  correct(fields: { name?: string; email?: string }, now: Date): Result<void, UserError> {
    if (fields.name !== undefined) {
      const name = fields.name.trim();
      if (name.length === 0 || name.length > 120) return err({ kind: 'InvalidName' });
      this._name = name;
    }
    if (fields.email !== undefined) {
      const email = normalizeEmail(fields.email);
      if (!EMAIL.test(email)) return err({ kind: 'InvalidEmail', email: fields.email });
      this._email = email;
    }
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
