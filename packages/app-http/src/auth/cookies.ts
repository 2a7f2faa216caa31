import type { CookieOptions, Request, Response } from 'express';
import type { UserPreferences } from '@palette/domain';
import { SECURE_SESSION_COOKIE_NAME, SESSION_COOKIE_NAME } from '../http/auth.js';

/** The non-essential cookie: set only with the user's consent, for the UI to paint before the API answers. */
export const PREFERENCES_COOKIE_NAME = 'palette_prefs';
const PREFERENCES_MAX_AGE_MS = 180 * 24 * 3600_000;

/** `req.secure` honours TRUST_PROXY, so behind a TLS-terminating proxy X-Forwarded-Proto decides. */
export function sessionCookieName(req: Request): string {
  return req.secure ? SECURE_SESSION_COOKIE_NAME : SESSION_COOKIE_NAME;
}

export function parseCookies(header: string | undefined): Map<string, string> {
  const cookies = new Map<string, string>();
  for (const part of (header ?? '').split(';')) {
    const eq = part.indexOf('=');
    if (eq <= 0) continue;
    const name = part.slice(0, eq).trim();
    // The first occurrence wins, as in browsers' most-specific-path-first order.
    if (name === '' || cookies.has(name)) continue;
    const raw = part.slice(eq + 1).trim().replace(/^"(.*)"$/, '$1');
    try {
      cookies.set(name, decodeURIComponent(raw));
    } catch {
      cookies.set(name, raw);
    }
  }
  return cookies;
}

/**
 * Over HTTPS only the `__Host-` cookie counts: accepting the plain name there would let a sibling
 * subdomain plant a session of its choosing (fixation), which the prefix exists to prevent.
 */
export function readSessionToken(req: Request): string | null {
  const token = parseCookies(req.headers.cookie).get(sessionCookieName(req));
  return token !== undefined && /^[A-Za-z0-9_-]{16,128}$/.test(token) ? token : null;
}

function baseOptions(req: Request): CookieOptions {
  return { httpOnly: true, sameSite: 'lax', path: '/', secure: req.secure };
}

/** Expires with the session's absolute lifetime; the idle expiry is enforced by the server. */
export function setSessionCookie(req: Request, res: Response, token: string, expiresAt: Date): void {
  res.cookie(sessionCookieName(req), token, { ...baseOptions(req), expires: expiresAt });
}

export function clearSessionCookie(req: Request, res: Response): void {
  res.clearCookie(sessionCookieName(req), baseOptions(req));
}

/** Only what the UI needs before it can call the API; everything else stays server-side. */
function preferencesCookieValue(preferences: UserPreferences): string {
  const params = new URLSearchParams();
  if (preferences.theme !== undefined) params.set('theme', preferences.theme);
  if (preferences.language !== undefined) params.set('lang', preferences.language);
  return params.toString();
}

/** Sets the preferences cookie when the user consented, and removes it when they did not (or withdrew). */
export function syncPreferencesCookie(req: Request, res: Response, preferences: UserPreferences): void {
  // Readable by the page's script on purpose: it exists so the UI can pick theme and language early.
  const options: CookieOptions = { httpOnly: false, sameSite: 'lax', path: '/', secure: req.secure };
  if (preferences.cookieConsent === true) {
    res.cookie(PREFERENCES_COOKIE_NAME, preferencesCookieValue(preferences), { ...options, maxAge: PREFERENCES_MAX_AGE_MS });
  } else if (parseCookies(req.headers.cookie).has(PREFERENCES_COOKIE_NAME) || preferences.cookieConsent === false) {
    res.clearCookie(PREFERENCES_COOKIE_NAME, options);
  }
}
