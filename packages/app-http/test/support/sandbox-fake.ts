import type { SandboxAction, SandboxCustomer, SandboxMessage, SandboxPort, SandboxSend } from '../../src/routes/sandbox-port.js';

/** Every account starts with this customer, so route walks have someone to act as. */
export const FAKE_SANDBOX_IGSID = '17800000000000001';
/** A shop message in that customer's thread, for reactions. */
export const FAKE_SANDBOX_SHOP_MID = 'mid-sandbox-shop-1';

/**
 * The sandbox port without a simulator: every account "lives in the sandbox", sends are recorded,
 * nothing is delivered. For route walks and fuzzing; the real port is tested over a real simulator.
 */
export function fakeSandbox(now: () => Date = () => new Date()): SandboxPort & { readonly sent: SandboxSend[] } {
  const customers = new Map<string, SandboxCustomer[]>();
  const sent: SandboxSend[] = [];
  const of = (igUserId: string) => {
    let list = customers.get(igUserId);
    if (!list) {
      list = [{ igsid: FAKE_SANDBOX_IGSID, username: 'walk.customer', name: null, createdAt: now() }];
      customers.set(igUserId, list);
    }
    return list;
  };
  return {
    sent,
    hasAccount: () => true,
    customers: of,
    addCustomer(igUserId, input) {
      const customer = { igsid: `178000000000${String(10000 + of(igUserId).length).padStart(5, '0')}`, username: input.username, name: input.name, createdAt: now() };
      of(igUserId).push(customer);
      return customer;
    },
    async send(igUserId, igsid, action: SandboxAction) {
      const customer = of(igUserId).find((c) => c.igsid === igsid);
      if (!customer) throw new Error(`Unknown simulated customer ${igsid}`);
      const send: SandboxSend = {
        id: sent.length + 1, igsid, username: customer.username, kind: action.kind, text: action.kind === 'reaction' ? (action.emoji ?? '❤️') : action.text,
        mid: action.kind === 'reaction' ? action.mid : `mid-fake-${sent.length + 1}`, commentId: null, delivered: false, skipped: 'fake sandbox: nothing is delivered', at: now(),
      };
      sent.push(send);
      return send;
    },
    sends: (_igUserId, limit) => [...sent].reverse().slice(0, limit),
    thread: (_igUserId, igsid): SandboxMessage[] => (igsid === FAKE_SANDBOX_IGSID ? [{ mid: FAKE_SANDBOX_SHOP_MID, from: 'shop', text: 'Hello from the shop', at: now() }] : []),
  };
}
