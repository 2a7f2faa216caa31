import { randomInt } from 'node:crypto';
import type { CustomerAction, Simulator } from '@palette/adapters/instagram';

/** A simulated Instagram user who writes to the shop's sandbox account. */
export interface SandboxCustomer {
  /** The Instagram-scoped id Meta would give this person for the shop's account. */
  readonly igsid: string;
  readonly username: string;
  readonly name: string | null;
  readonly createdAt: Date;
}

/** What a simulated customer can do from the dashboard's Sandbox page. */
export type SandboxAction =
  | { readonly kind: 'dm'; readonly text: string }
  | { readonly kind: 'story_reply'; readonly text: string; readonly storyId?: string | undefined }
  | { readonly kind: 'comment'; readonly text: string; readonly mediaId?: string | undefined }
  | { readonly kind: 'reaction'; readonly mid: string; readonly emoji?: string | undefined };

export interface SandboxSend {
  readonly id: number;
  readonly igsid: string;
  readonly username: string;
  readonly kind: SandboxAction['kind'];
  /** The text sent, or the emoji of a reaction. */
  readonly text: string;
  /** The new message's Instagram id (DMs, story replies) or the reacted-to message (reactions). */
  readonly mid: string | null;
  readonly commentId: string | null;
  /** True when the shop's webhook answered 2xx. */
  readonly delivered: boolean;
  /** Why nothing reached the shop (no webhook URL, account not subscribed), or null. */
  readonly skipped: string | null;
  readonly at: Date;
}

export interface SandboxMessage {
  readonly mid: string;
  readonly from: 'customer' | 'shop';
  readonly text: string | null;
  readonly at: Date;
}

/**
 * The local Instagram stand-in, as the HTTP app sees it: present only when `npm start` runs the
 * Graph API simulator in this process (sandbox mode), so these routes can never reach Meta.
 */
export interface SandboxPort {
  /** True when this Instagram account lives in the simulator (so acting on it is safe). */
  hasAccount(igUserId: string): boolean;
  customers(igUserId: string): readonly SandboxCustomer[];
  addCustomer(igUserId: string, input: { username: string; name: string | null }): SandboxCustomer;
  send(igUserId: string, igsid: string, action: SandboxAction): Promise<SandboxSend>;
  /** Newest first, at most `limit`. */
  sends(igUserId: string, limit: number): readonly SandboxSend[];
  /** The thread between the account and the customer as Instagram holds it, oldest first. */
  thread(igUserId: string, igsid: string): readonly SandboxMessage[];
}

const MAX_SENDS = 200;

const digits = (n: number): string => {
  let s = String(randomInt(1, 10));
  while (s.length < n) s += String(randomInt(0, 10));
  return s;
};

interface Echo { readonly igsid: string; readonly message: SandboxMessage }

/**
 * The port over the in-process simulator. Customers and sends live in memory, like the
 * simulator's own state: a restart starts a fresh sandbox. The shop's side of each thread is read
 * from the echoes the simulator delivered to the app, so no Graph call (and no rate-limit bucket)
 * is spent on showing it.
 */
export function simulatorSandbox(sim: Simulator): SandboxPort {
  const customers = new Map<string, Map<string, SandboxCustomer>>();
  const sends = new Map<string, SandboxSend[]>();
  const echoes = new Map<string, Echo[]>();
  let seenDeliveries = 0;
  let sequence = 0;

  const customersOf = (igUserId: string) => {
    let m = customers.get(igUserId);
    if (!m) { m = new Map(); customers.set(igUserId, m); }
    return m;
  };

  /** Reads the delivery log from where it stopped: echoes of the shop's messages, once each. */
  const readEchoes = () => {
    const log = sim.deliveries();
    const seenMids = new Set<string>();
    for (const list of echoes.values()) for (const e of list) seenMids.add(e.message.mid);
    for (; seenDeliveries < log.length; seenDeliveries++) {
      let parsed: unknown;
      try { parsed = JSON.parse(log[seenDeliveries]!.body); } catch { continue; }
      for (const entry of (parsed as { entry?: Array<{ id?: string; messaging?: unknown[] }> }).entry ?? []) {
        for (const raw of entry.messaging ?? []) {
          const item = raw as { sender?: { id?: string }; recipient?: { id?: string }; timestamp?: number; message?: { mid?: string; text?: string; is_echo?: boolean } };
          const mid = item.message?.mid;
          if (!item.message?.is_echo || !mid || seenMids.has(mid) || !entry.id || !item.recipient?.id) continue;
          seenMids.add(mid);
          const list = echoes.get(entry.id) ?? [];
          list.push({ igsid: item.recipient.id, message: { mid, from: 'shop', text: item.message.text ?? null, at: new Date(item.timestamp ?? Date.now()) } });
          echoes.set(entry.id, list);
        }
      }
    }
  };

  return {
    hasAccount(igUserId) {
      try {
        sim.account(igUserId);
        return true;
      } catch {
        return false;
      }
    },
    customers: (igUserId) => [...customersOf(igUserId).values()],
    addCustomer(igUserId, input) {
      // Real IGSIDs are 16–17 digit numbers, unique per (customer, account).
      const customer: SandboxCustomer = { igsid: digits(17), username: input.username, name: input.name, createdAt: sim.now() };
      customersOf(igUserId).set(customer.igsid, customer);
      return customer;
    },
    async send(igUserId, igsid, action) {
      const customer = customersOf(igUserId).get(igsid);
      if (!customer) throw new Error(`Unknown simulated customer ${igsid}`);
      const who = { igUserId, igsid, username: customer.username };
      const simAction: CustomerAction =
        action.kind === 'dm' ? { ...who, text: action.text }
          // The story's media URL points at the simulator, not Meta's CDN: nothing in the sandbox leaves this machine.
          : action.kind === 'story_reply' ? { ...who, storyReply: { storyId: action.storyId ?? digits(17), url: `${sim.url}/sandbox-media/story.jpg`, text: action.text } }
            : action.kind === 'comment' ? { ...who, comment: { text: action.text, ...(action.mediaId ? { mediaId: action.mediaId } : {}) } }
              : { ...who, reaction: { mid: action.mid, emoji: action.emoji ?? '\u2764\ufe0f' } };
      const result = await sim.customerSends(simAction);
      sequence += 1;
      const send: SandboxSend = {
        id: sequence, igsid, username: customer.username, kind: action.kind, text: action.kind === 'reaction' ? (action.emoji ?? '\u2764\ufe0f') : action.text,
        mid: action.kind === 'reaction' ? action.mid : result.mid, commentId: result.commentId,
        delivered: result.deliveries.some((d) => d.status !== null && d.status >= 200 && d.status < 300), skipped: result.skipped, at: sim.now(),
      };
      const list = sends.get(igUserId) ?? [];
      list.push(send);
      // A long sandbox session must not grow without bound.
      if (list.length > MAX_SENDS) list.splice(0, list.length - MAX_SENDS);
      sends.set(igUserId, list);
      return send;
    },
    sends: (igUserId, limit) => [...(sends.get(igUserId) ?? [])].reverse().slice(0, limit),
    thread(igUserId, igsid) {
      readEchoes();
      const fromCustomer: SandboxMessage[] = (sends.get(igUserId) ?? [])
        .filter((s) => s.igsid === igsid && (s.kind === 'dm' || s.kind === 'story_reply') && s.mid !== null)
        .map((s) => ({ mid: s.mid!, from: 'customer', text: s.text, at: s.at }));
      const fromShop = (echoes.get(igUserId) ?? []).filter((e) => e.igsid === igsid).map((e) => e.message);
      return [...fromCustomer, ...fromShop].sort((a, b) => a.at.getTime() - b.at.getTime());
    },
  };
}
