import { createServer } from 'node:http';
import type { ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Clock } from '@palette/domain';
import type { SimContext } from './context.js';
import { listConversations, readNode } from './conversations.js';
import { Faults } from './faults.js';
import type { FaultDuration, FaultSpec } from './faults.js';
import { readRequest, sendGraphError, sendJson } from './http.js';
import type { SimRequest } from './http.js';
import { authorizePage, authorizeSubmit, exchangeCode, exchangeLongLived, me, refresh, subscribedApps } from './oauth.js';
import { sendMessage } from './send.js';
import { KNOWN_SCOPES, RATE_LIMITS, SimState } from './state.js';
import type { RateBucket, SimAccount } from './state.js';
import { Webhooks } from './webhooks.js';
import type { BatchOptions, CallbackResult, CustomerAction, CustomerSendResult, DeliveryOptions, DeliveryReport } from './webhooks.js';

export interface SimulatorOptions {
  readonly appId: string;
  readonly appSecret: string;
  /** 0 or absent: an ephemeral port. */
  readonly port?: number;
  readonly host?: string;
  readonly webhookUrl?: string;
  readonly deauthorizeUrl?: string;
  readonly dataDeletionUrl?: string;
  readonly clock?: Clock;
  readonly redirectUris?: readonly string[];
  /** Accounts that exist from the start; one default merchant when absent. */
  readonly accounts?: ReadonlyArray<{ igUserId?: string; username?: string; accountType?: 'Business' | 'Media_Creator'; name?: string }>;
  /** Meta posts webhooks only for subscribed accounts and fields; false delivers everything. */
  readonly requireSubscription?: boolean;
  readonly echoDelayMs?: number;
  readonly webhookTimeoutMs?: number;
}

export interface SendStats {
  /** Highest number of Send API calls (all kinds) inside any 1-second window. */
  readonly maxSendCallsPerSecond: number;
  readonly maxPerWindow: Readonly<Record<RateBucket, number>>;
  readonly rejectedForRate: number;
  readonly limits: typeof RATE_LIMITS;
}

export interface Simulator {
  readonly url: string;
  close(): Promise<void>;
  addAccount(input?: { igUserId?: string; username?: string; accountType?: 'Business' | 'Media_Creator'; name?: string }): SimAccount;
  account(igUserId: string): SimAccount;
  /** A token without the OAuth dance; `ageMs` backdates it (refresh needs ≥ 24 h). */
  issueToken(input: { igUserId: string; kind?: 'short' | 'long'; scopes?: readonly string[]; ageMs?: number }): string;
  subscribe(igUserId: string, fields?: readonly string[]): void;
  setWebhookUrl(url: string | null): void;
  setCustomerUnavailable(igUserId: string, igsid: string, unavailable?: boolean): void;
  /** Moves the simulator's clock forward (it adds to the injected clock). */
  advanceTime(ms: number): void;
  now(): Date;
  injectFault(igUserId: string, fault: FaultSpec, duration?: FaultDuration): string;
  clearFaults(igUserId?: string): void;
  customerSends(action: CustomerAction, opts?: DeliveryOptions): Promise<CustomerSendResult>;
  customerSendsBatch(actions: readonly CustomerAction[], opts?: BatchOptions): Promise<CustomerSendResult[]>;
  sendDeauthorize(igUserId: string, url?: string): Promise<CallbackResult>;
  sendDataDeletion(igUserId: string, url?: string): Promise<CallbackResult & { confirmationCode: string | null; statusUrl: string | null; valid: boolean }>;
  verifyWebhook(verifyToken: string): Promise<{ ok: boolean; status: number | null; body: string }>;
  redeliverFailed(): Promise<DeliveryReport[]>;
  deliveries(): readonly DeliveryReport[];
  /** Waits for queued echoes and deliveries. */
  idle(): Promise<void>;
  stats(igUserId: string): SendStats;
  resetStats(): void;
}

const DEFAULT_ACCOUNT = { igUserId: '17841455500112233', username: 'palette_demo_shop', name: 'Palette Demo Shop' };
const VERSION = /^v\d+\.\d+$/;

export async function createSimulator(options: SimulatorOptions): Promise<Simulator> {
  const clock: Clock = options.clock ?? { now: () => new Date() };
  const state = new SimState(clock);
  for (const a of options.accounts ?? [DEFAULT_ACCOUNT]) state.addAccount(a);
  let webhookUrl = options.webhookUrl ?? null;
  let baseUrl = '';
  const faults = new Faults(() => state.now());
  const webhooks = new Webhooks({
    state, appSecret: options.appSecret, webhookUrl: () => webhookUrl, requireSubscription: options.requireSubscription ?? true,
    echoDelayMs: options.echoDelayMs ?? 0, timeoutMs: options.webhookTimeoutMs ?? 20_000,
  });
  const ctx: SimContext = { state, faults, webhooks, appId: options.appId, appSecret: options.appSecret, redirectUris: options.redirectUris ?? null, baseUrl: () => baseUrl };

  const getAccount = (igUserId: string): SimAccount => {
    const a = state.accounts.get(igUserId);
    if (!a) throw new Error(`Unknown simulated account ${igUserId}`);
    return a;
  };

  const sim: Omit<Simulator, 'url' | 'close'> = {
    addAccount: (input = {}) => state.addAccount(input),
    account: getAccount,
    issueToken: ({ igUserId, kind = 'long', scopes = KNOWN_SCOPES, ageMs = 0 }) => state.issueToken(getAccount(igUserId).igUserId, kind, scopes, state.now() - ageMs).token,
    subscribe: (igUserId, fields = ['messages', 'message_reactions', 'messaging_seen', 'messaging_postbacks', 'messaging_referral', 'message_edit', 'comments']) => {
      getAccount(igUserId).subscribedFields = new Set(fields);
    },
    setWebhookUrl: (url) => { webhookUrl = url; },
    setCustomerUnavailable: (igUserId, igsid, unavailable = true) => {
      const set = getAccount(igUserId).unavailable;
      if (unavailable) set.add(igsid); else set.delete(igsid);
    },
    advanceTime: (ms) => state.advance(ms),
    now: () => new Date(state.now()),
    injectFault: (igUserId, fault, duration) => faults.inject(igUserId, fault, duration),
    clearFaults: (igUserId) => faults.clear(igUserId !== undefined ? { igUserId } : undefined),
    customerSends: (action, opts) => webhooks.customerSends(action, opts),
    customerSendsBatch: (actions, opts) => webhooks.customerSendsBatch(actions, opts),
    sendDeauthorize: (igUserId, url) => webhooks.sendDeauthorize(getAccount(igUserId), requireUrl(url ?? options.deauthorizeUrl, 'deauthorize')),
    sendDataDeletion: (igUserId, url) => webhooks.sendDataDeletion(getAccount(igUserId), requireUrl(url ?? options.dataDeletionUrl, 'data deletion')),
    verifyWebhook: (token) => webhooks.verifyCallback(token),
    redeliverFailed: () => webhooks.redeliverFailed(),
    deliveries: () => webhooks.log,
    idle: () => webhooks.idle(),
    stats: (igUserId) => ({
      maxSendCallsPerSecond: state.sendCalls.peak(igUserId),
      maxPerWindow: { text: state.counters.text.peak(igUserId), media: state.counters.media.peak(igUserId), conversations: state.counters.conversations.peak(igUserId), privateReplies: state.counters.privateReplies.peak(igUserId) },
      rejectedForRate: state.rejectedForRate.get(igUserId) ?? 0,
      limits: RATE_LIMITS,
    }),
    resetStats: () => {
      for (const c of Object.values(state.counters)) c.reset();
      state.sendCalls.reset();
      state.rejectedForRate.clear();
    },
  };

  const server = createServer((req, res) => {
    void (async () => {
      const r = await readRequest(req);
      try {
        await route(r, res);
      } catch (e) {
        if (!res.headersSent) sendGraphError(res, 500, { code: 1, message: `An unknown error occurred (${e instanceof Error ? e.message : String(e)})` });
        else res.destroy();
      }
    })();
  });

  async function route(r: SimRequest, res: ServerResponse): Promise<void> {
    if (r.path.startsWith('/__admin/')) return admin(r, res);
    if (r.path === '/oauth/authorize') return r.method === 'POST' ? authorizeSubmit(ctx, r, res) : authorizePage(ctx, r, res);
    if (r.path === '/oauth/access_token' && r.method === 'POST') return exchangeCode(ctx, r, res);
    const segments = r.path.split('/').filter(Boolean);
    const version = segments[0] && VERSION.test(segments[0]) ? segments.shift()! : 'v25.0';
    const [a, b] = segments;
    if (segments.length === 1 && a === 'access_token' && r.method === 'GET') return exchangeLongLived(ctx, r, res);
    if (segments.length === 1 && a === 'refresh_access_token' && r.method === 'GET') return refresh(ctx, r, res);
    if (a && segments.length === 2 && b === 'messages' && r.method === 'POST') return sendMessage(ctx, r, res, a);
    if (a && segments.length === 2 && b === 'subscribed_apps') return subscribedApps(ctx, r, res, a);
    if (a && segments.length === 2 && b === 'conversations' && r.method === 'GET') return listConversations(ctx, r, res, a, version);
    if (a && r.method === 'GET' && (segments.length === 1 || (segments.length === 2 && b === 'messages'))) {
      if (await readNode(ctx, r, res, a, b === 'messages' ? 'messages' : null, version)) return;
      if (segments.length === 1 && (a === 'me' || state.accounts.has(a))) return me(ctx, r, res, a);
    }
    sendGraphError(res, 400, { code: 100, subcode: 33, message: `Unsupported ${r.method.toLowerCase()} request. Object with ID '${a ?? ''}' does not exist, cannot be loaded due to missing permissions, or does not support this operation.` });
  }

  async function admin(r: SimRequest, res: ServerResponse): Promise<void> {
    const f = r.fields as AdminBody;
    const id = () => need(f.igUserId ?? r.query.get('igUserId') ?? undefined, 'igUserId');
    const opt = <K extends keyof AdminBody>(k: K): Partial<Pick<AdminBody, K>> => (f[k] !== undefined ? ({ [k]: f[k] } as Partial<Pick<AdminBody, K>>) : {});
    try {
      switch (`${r.method} ${r.path}`) {
        case 'POST /__admin/faults': return sendJson(res, 200, { id: sim.injectFault(id(), need(f.fault, 'fault'), { ...opt('forMs'), ...opt('calls') }) });
        case 'GET /__admin/faults': return sendJson(res, 200, { faults: faults.list(f.igUserId ?? r.query.get('igUserId') ?? undefined) });
        case 'DELETE /__admin/faults': sim.clearFaults(f.igUserId ?? r.query.get('igUserId') ?? undefined); return sendJson(res, 200, { success: true });
        case 'POST /__admin/customer-sends': return sendJson(res, 200, await sim.customerSends(need(f.action, 'action'), opt('times')));
        case 'POST /__admin/customer-sends/batch': return sendJson(res, 200, await sim.customerSendsBatch(need(f.actions, 'actions'), { ...opt('shuffle'), ...opt('seed'), ...opt('times'), ...opt('separatePosts') }));
        case 'POST /__admin/accounts': return sendJson(res, 200, sim.addAccount({ ...opt('igUserId'), ...opt('username'), ...opt('accountType'), ...opt('name') }));
        case 'POST /__admin/tokens': return sendJson(res, 200, { access_token: sim.issueToken({ igUserId: id(), ...opt('kind'), ...opt('ageMs') }) });
        case 'POST /__admin/subscribe': sim.subscribe(id(), f.fields); return sendJson(res, 200, { success: true });
        case 'PUT /__admin/webhook': sim.setWebhookUrl(f.url ?? null); return sendJson(res, 200, { success: true });
        case 'POST /__admin/clock': sim.advanceTime(Number(f.advanceMs ?? 0)); return sendJson(res, 200, { now: sim.now().toISOString() });
        case 'POST /__admin/unavailable': sim.setCustomerUnavailable(id(), need(f.igsid, 'igsid'), f.unavailable ?? true); return sendJson(res, 200, { success: true });
        case 'POST /__admin/deauthorize': return sendJson(res, 200, await sim.sendDeauthorize(id(), f.url ?? undefined));
        case 'POST /__admin/data-deletion': return sendJson(res, 200, await sim.sendDataDeletion(id(), f.url ?? undefined));
        case 'POST /__admin/redeliver': return sendJson(res, 200, { deliveries: await sim.redeliverFailed() });
        case 'GET /__admin/stats': return sendJson(res, 200, sim.stats(id()));
        case 'GET /__admin/accounts': return sendJson(res, 200, { accounts: [...state.accounts.values()].map((a) => ({ ...a, subscribedFields: [...a.subscribedFields], unavailable: [...a.unavailable] })) });
        default: return sendJson(res, 404, { error: `no admin route ${r.method} ${r.path}` });
      }
    } catch (e) {
      sendJson(res, 400, { error: e instanceof Error ? e.message : String(e) });
    }
  }

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, options.host ?? '127.0.0.1', () => resolve());
  });
  const address = server.address() as AddressInfo;
  baseUrl = `http://${address.address.includes(':') ? `[${address.address}]` : address.address}:${address.port}`;

  return {
    ...sim,
    url: baseUrl,
    close: async () => {
      await webhooks.idle();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

/** The admin API's JSON bodies; each route reads the fields it needs. */
interface AdminBody {
  igUserId?: string; igsid?: string; fault?: FaultSpec; forMs?: number; calls?: number;
  action?: CustomerAction; actions?: CustomerAction[]; times?: number; shuffle?: boolean; seed?: number; separatePosts?: boolean;
  kind?: 'short' | 'long'; ageMs?: number; fields?: string[]; url?: string | null; advanceMs?: number; unavailable?: boolean;
  username?: string; accountType?: 'Business' | 'Media_Creator'; name?: string;
}

function need<T>(v: T | undefined, name: string): T {
  if (v === undefined || v === null) throw new Error(`${name} is required`);
  return v;
}

function requireUrl(url: string | undefined, what: string): string {
  if (!url) throw new Error(`No ${what} callback URL: pass one or set it in createSimulator options`);
  return url;
}
