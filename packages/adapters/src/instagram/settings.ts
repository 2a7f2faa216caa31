import { z } from 'zod';
import { DEFAULT_API_VERSION, DEFAULT_AUTHORIZE_URL, DEFAULT_GRAPH_URL, DEFAULT_OAUTH_URL } from './graph-client.js';

/** What Palette asks merchants for: reading and answering DMs, plus comments for comment-to-DM rules. */
export const DEFAULT_SCOPES = ['instagram_business_basic', 'instagram_business_manage_messages', 'instagram_business_manage_comments'] as const;
/** Subscribed after every (re)connection (instagram-platform.md §1a.7). */
export const WEBHOOK_FIELDS = ['messages', 'message_reactions', 'messaging_seen', 'messaging_postbacks', 'messaging_referral', 'message_edit', 'comments'] as const;
/** The simulator's defaults (`npm run simulator`), so a sandbox needs no configuration. */
export const SANDBOX_APP_ID = 'sim-app-id';
export const SANDBOX_APP_SECRET = 'sim-app-secret';

export interface InstagramSettings {
  readonly graphUrl: string;
  readonly oauthUrl: string;
  readonly authorizeUrl: string;
  readonly apiVersion: string;
  readonly appId: string;
  readonly appSecret: string;
  readonly scopes: readonly string[];
  readonly webhookFields: readonly string[];
  /** Pointed at a local simulator rather than Meta. */
  readonly sandbox: boolean;
  /** False when talking to Meta without an app id: connecting is refused with a clear message. */
  readonly configured: boolean;
}

const url = z.string().trim().refine((v) => /^https?:\/\/[^/]/.test(v), 'must be an http(s) URL').transform((v) => v.replace(/\/+$/, ''));

const schema = z.object({
  INSTAGRAM_GRAPH_URL: url.optional(),
  INSTAGRAM_OAUTH_URL: url.optional(),
  INSTAGRAM_AUTHORIZE_URL: url.optional(),
  INSTAGRAM_API_VERSION: z.string().trim().regex(/^v\d+\.\d+$/, 'must look like v25.0').default(DEFAULT_API_VERSION),
  INSTAGRAM_APP_ID: z.string().trim().min(1).optional(),
  INSTAGRAM_APP_SECRET: z.string().trim().min(1).optional(),
  INSTAGRAM_SCOPES: z.string().trim().transform((v) => v.split(/[,\s]+/).filter(Boolean)).optional(),
});

export type InstagramSettingsResult = { ok: true; value: InstagramSettings } | { ok: false; problems: string[] };

/**
 * `INSTAGRAM_GRAPH_URL` set to anything but Meta's host means a simulator (or proxy) that serves
 * the OAuth pages and token exchange too, on the same origin, as the simulator does.
 */
export function loadInstagramSettings(env: Readonly<Record<string, string | undefined>>): InstagramSettingsResult {
  const present = Object.fromEntries(Object.entries(env).filter(([k, v]) => k.startsWith('INSTAGRAM_') && v !== undefined && v.trim() !== ''));
  const parsed = schema.safeParse(present);
  if (!parsed.success) return { ok: false, problems: parsed.error.issues.map((i) => `${String(i.path[0])}: ${i.message}`) };
  const v = parsed.data;
  const graphUrl = v.INSTAGRAM_GRAPH_URL ?? DEFAULT_GRAPH_URL;
  const sandbox = graphUrl !== DEFAULT_GRAPH_URL;
  const appId = v.INSTAGRAM_APP_ID ?? (sandbox ? SANDBOX_APP_ID : '');
  return {
    ok: true,
    value: {
      graphUrl,
      oauthUrl: v.INSTAGRAM_OAUTH_URL ?? (sandbox ? graphUrl : DEFAULT_OAUTH_URL),
      authorizeUrl: v.INSTAGRAM_AUTHORIZE_URL ?? (sandbox ? `${graphUrl}/oauth/authorize` : DEFAULT_AUTHORIZE_URL),
      apiVersion: v.INSTAGRAM_API_VERSION,
      appId,
      appSecret: v.INSTAGRAM_APP_SECRET ?? SANDBOX_APP_SECRET,
      scopes: v.INSTAGRAM_SCOPES ?? [...DEFAULT_SCOPES],
      webhookFields: [...WEBHOOK_FIELDS],
      sandbox,
      configured: appId !== '',
    },
  };
}
