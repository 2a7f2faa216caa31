import type { BusinessProfile } from '../accounts/workspace.js';
import type { AssistantEngine, AssistantTurn, EngineReply, OrderView, ProductView, VariantView } from './ports.js';
import { contentWords, scoreProduct, searchTerms, wordMatches } from './matching.js';
import { fold, words } from './text.js';

export type Language = 'en' | 'es';

const ES_WORDS = new Set(['hola', 'quiero', 'cuanto', 'cuesta', 'precio', 'tienen', 'tienes', 'gracias', 'pedido', 'envio', 'envios', 'favor', 'busco', 'quisiera',
  'hay', 'talla', 'donde', 'esta', 'mi', 'una', 'unos', 'buenas', 'buenos', 'dias', 'hablar', 'persona', 'devolucion', 'devoluciones', 'disponible', 'cuando', 'llega',
  'horario', 'abren', 'necesito', 'comprar', 'camiseta', 'quedan', 'que', 'con', 'por', 'los', 'las', 'del', 'muy', 'adios', 'vale', 'dame', 'llevo', 'pagar', 'y']);

const EN_WORDS = new Set(['the', 'is', 'do', 'you', 'have', 'how', 'much', 'want', 'my', 'order', 'hi', 'hello', 'please', 'what', 'where', 'can', 'i', 'a', 'it',
  'thanks', 'thank', 'and', 'of', 'to', 'for', 'in', 'stock', 'price', 'buy', 'shipping', 'return', 'with', 'are', 'your', 'need', 'like']);

export function detectLanguage(text: string): Language {
  const w = words(text);
  const es = w.filter((x) => ES_WORDS.has(x)).length;
  const en = w.filter((x) => EN_WORDS.has(x)).length;
  if (es !== en) return es > en ? 'es' : 'en';
  return /[¿¡ñáéíóú]/i.test(text) ? 'es' : 'en';
}

const has = (text: string, re: RegExp) => re.test(fold(text));
const HUMAN = /\b(human|humano|real person|a person|una persona|someone real|agent|agente|representative|manager|encargado|operator|operador|hablar con alguien|talk to someone|speak to someone|staff)\b/;
const ANGRY = /\b(scam|estafa|worst|terrible|horrible|furious|angry|enfadad[oa]|molest[oa]|fatal|unacceptable|inaceptable|complaint|queja|reclamacion|denuncia|ridiculous|ridiculo)\b/;
const INJECTION = /\b(ignore (all |your |the )?(previous |prior )?instructions|system prompt|reveal your (prompt|instructions)|olvida (tus|las) instrucciones|ignora (tus|las) instrucciones|you are now|act as)\b/;
const DISCOUNT = /\b(discount|coupon|promo code|cheaper|descuento|cupon|rebaja|mas barato|free)\b/;
const STATUS = /\b(order status|where is my order|my order|track|tracking|status of|estado|mi pedido|donde esta|mi orden|seguimiento|ha llegado|has it shipped|when will .* arrive|cuando llega)\b/;
const SHIPPING = /\b(ship|shipping|delivery|deliver|envio|envios|enviar|entrega|entregas|mandan|send to)\b/;
const RETURNS = /\b(return|returns|refund|exchange|devolucion|devoluciones|devolver|cambio|cambiar|reembolso)\b/;
const HOURS = /\b(hours|open|opening|close|closing|horario|abren|cierran|abierto)\b/;
const GREETING = /^(hi|hello|hey|hola|buenas|buenos dias|buenas tardes|good morning|good afternoon|hey there)\b/;
const THANKS = /\b(thanks|thank you|thx|gracias|bye|goodbye|adios|hasta luego|perfect|perfecto|genial|great)\b/;
const ORDER_INTENT = /\b(i want|i'd like|i would like|i'll take|ill take|i will take|buy|purchase|order|quiero|quisiera|me llevo|comprar|pedir|dame|necesito|reserve|reservar)\b/;

const NUMBER_WORDS: Readonly<Record<string, number>> = {
  a: 1, an: 1, one: 1, two: 2, three: 3, four: 4, five: 5, six: 6, ten: 10, un: 1, una: 1, uno: 1, dos: 2, tres: 3, cuatro: 4, cinco: 5, seis: 6, diez: 10,
};

const T = {
  en: {
    handoff: "I'm passing you to a member of our team now; they'll reply here shortly.",
    injection: 'I can only help with our products, prices, stock and your orders. What are you looking for?',
    discount: "I can't offer discounts or change prices in chat; prices are as listed in our catalog.",
    greeting: (store: string) => `Hi! Welcome to ${store}. I'm an automated assistant: ask me about products, prices, stock or your order.`,
    thanks: "You're welcome! Write any time if you need anything else.",
    notFound: "I couldn't find that in our catalog. Could you tell me the product name, or would you like to talk to a person?",
    unknown: "I'm not sure I understood. You can ask about a product, its price or stock, place an order, or ask for a person.",
    noOrders: "I can't find any orders for you yet. If you'd like to order something, tell me what you need.",
    orderLine: (o: OrderView) => `Order #${o.reference}: ${statusWord('en', o.status)}, total ${o.total} ${o.currency}.`,
    noPolicy: "I don't have that information; a member of our team can help.",
    pick: (names: string) => `Which one do you mean: ${names}?`,
    pickVariant: (name: string, opts: string) => `${name} comes in: ${opts}. Which one would you like?`,
    outOfStock: (name: string) => `Sorry, ${name} is out of stock right now.`,
    onlyLeft: (name: string, n: number) => `Sorry, we only have ${n} of ${name} available.`,
    product: (p: string) => p,
    inStock: (n: number) => `${n} in stock`,
    soldOut: 'out of stock',
    drafted: (o: OrderView, hold: number) => `Done! I've drafted order #${o.reference}: ${o.lines.map((l) => `${l.quantity} × ${l.name}`).join(', ')}, total ${o.total} ${o.currency}. We're holding the stock for ${hold} minutes; our team will confirm payment and delivery with you.`,
    draftFailed: "I couldn't reserve that right now; a member of our team will help you finish the order.",
  },
  es: {
    handoff: 'Te paso con una persona de nuestro equipo; te responderá aquí en breve.',
    injection: 'Solo puedo ayudarte con nuestros productos, precios, stock y tus pedidos. ¿Qué estás buscando?',
    discount: 'No puedo ofrecer descuentos ni cambiar precios por chat; los precios son los del catálogo.',
    greeting: (store: string) => `¡Hola! Bienvenido/a a ${store}. Soy un asistente automático: pregúntame por productos, precios, stock o tu pedido.`,
    thanks: '¡De nada! Escríbenos cuando quieras.',
    notFound: 'No encontré eso en nuestro catálogo. ¿Me dices el nombre del producto, o prefieres hablar con una persona?',
    unknown: 'No estoy seguro de haberte entendido. Puedes preguntar por un producto, su precio o stock, hacer un pedido o pedir hablar con una persona.',
    noOrders: 'No encuentro pedidos tuyos todavía. Si quieres pedir algo, dime qué necesitas.',
    orderLine: (o: OrderView) => `Pedido #${o.reference}: ${statusWord('es', o.status)}, total ${o.total} ${o.currency}.`,
    noPolicy: 'No tengo esa información; una persona del equipo te puede ayudar.',
    pick: (names: string) => `¿Cuál de estos quieres decir: ${names}?`,
    pickVariant: (name: string, opts: string) => `${name} está disponible en: ${opts}. ¿Cuál prefieres?`,
    outOfStock: (name: string) => `Lo siento, ${name} está agotado ahora mismo.`,
    onlyLeft: (name: string, n: number) => `Lo siento, solo nos quedan ${n} de ${name}.`,
    product: (p: string) => p,
    inStock: (n: number) => `${n} disponibles`,
    soldOut: 'agotado',
    drafted: (o: OrderView, hold: number) => `¡Listo! He preparado el pedido #${o.reference}: ${o.lines.map((l) => `${l.quantity} × ${l.name}`).join(', ')}, total ${o.total} ${o.currency}. Te reservamos el stock ${hold} minutos; el equipo te confirmará el pago y la entrega.`,
    draftFailed: 'No pude reservarlo ahora; una persona del equipo te ayudará a terminar el pedido.',
  },
} as const;

function statusWord(lang: Language, status: OrderView['status']): string {
  const en = { draft: 'waiting for confirmation', confirmed: 'confirmed', paid: 'paid', shipped: 'shipped', delivered: 'delivered', cancelled: 'cancelled', refunded: 'refunded' };
  const es = { draft: 'pendiente de confirmación', confirmed: 'confirmado', paid: 'pagado', shipped: 'enviado', delivered: 'entregado', cancelled: 'cancelado', refunded: 'reembolsado' };
  return (lang === 'es' ? es : en)[status];
}

const fmtVariant = (lang: Language, v: VariantView) => `${v.title === 'Default' ? '' : `${v.title}: `}${v.price} ${v.currency} (${v.available > 0 ? T[lang].inStock(v.available) : T[lang].soldOut})`;
const describe = (lang: Language, p: ProductView) => {
  const vs = p.variants.filter((v) => v.active);
  return vs.length === 1 ? `${p.name}: ${fmtVariant(lang, vs[0]!)}` : `${p.name}: ${vs.map((v) => fmtVariant(lang, v)).join('; ')}`;
};

interface ItemRequest { quantity: number; text: string }

/** "2 red shirts and a cap" → [{2, "red shirts"}, {1, "cap"}] */
export function parseItems(text: string): ItemRequest[] {
  const stripped = fold(text).replace(ORDER_INTENT, ' ').replace(/[?!.]/g, ' ');
  return stripped.split(/\s*(?:,|\band\b|\by\b|\+|&|\bplus\b|\bmas\b)\s*/).map((seg) => {
    const ws = words(seg);
    let quantity = 1;
    const qi = ws.findIndex((w) => /^\d{1,3}$/.test(w) || w in NUMBER_WORDS);
    if (qi >= 0) quantity = /^\d+$/.test(ws[qi]!) ? Number(ws[qi]) : NUMBER_WORDS[ws[qi]!]!;
    return { quantity, text: seg };
  }).filter((i) => contentWords(i.text).length > 0);
}

function pickVariant(item: string, p: ProductView): VariantView | 'ambiguous' {
  const active = p.variants.filter((v) => v.active);
  if (active.length === 1) return active[0]!;
  const ws = contentWords(item);
  const scored = active.map((v) => ({ v, s: words(v.title).filter((t) => ws.some((w) => wordMatches(w, t) || (t.length <= 2 && w === t))).length })).sort((a, b) => b.s - a.s);
  if (scored[0] && scored[0].s > 0 && (!scored[1] || scored[1].s < scored[0].s)) return scored[0].v;
  return 'ambiguous';
}

/** Best product for a phrase, or the tied candidates when it is ambiguous. */
function choose(query: string, products: readonly ProductView[]): ProductView | ProductView[] | null {
  const scored = products.map((p) => ({ p, s: scoreProduct(query, p) })).filter((x) => x.s > 0).sort((a, b) => b.s - a.s);
  if (scored.length === 0) return null;
  const tied = scored.filter((x) => x.s === scored[0]!.s);
  return tied.length === 1 ? tied[0]!.p : tied.map((x) => x.p);
}

function answerFromProfile(text: string, lang: Language, profile: BusinessProfile | null): string | null {
  if (!profile) return null;
  if (has(text, RETURNS) && profile.returnPolicy) return profile.returnPolicy;
  if (has(text, SHIPPING) && profile.shippingPolicy) return profile.shippingPolicy;
  if (has(text, HOURS) && profile.openingHours) return profile.openingHours;
  const q = contentWords(text);
  let best: { answer: string; score: number } | null = null;
  for (const f of profile.faq) {
    const fw = contentWords(f.question);
    const score = q.filter((w) => fw.some((x) => wordMatches(w, x))).length;
    if (score >= 2 && (!best || score > best.score)) best = { answer: f.answer, score };
  }
  if (best) return best.answer;
  return has(text, RETURNS) || has(text, SHIPPING) || has(text, HOURS) ? T[lang].noPolicy : null;
}

/**
 * The assistant that needs no model: deterministic intent rules in English and Spanish over the
 * same tools and guardrails as the LLM engines, so `npm start` answers from the live catalog.
 */
export class OfflineAssistant implements AssistantEngine {
  readonly provider = 'offline';
  readonly model = 'rules-v1';
  readonly external = false;

  async respond(turn: AssistantTurn): Promise<EngineReply> {
    const last = [...turn.messages].reverse().find((m) => m.author === 'customer');
    const text = last?.text ?? '';
    const lang = detectLanguage(text);
    const t = T[lang];
    const reply = (s: string): EngineReply => ({ text: s });

    if (has(text, HUMAN) || has(text, ANGRY)) {
      await turn.tools.call('handoff_to_human', { reason: has(text, ANGRY) ? 'customer is upset' : 'customer asked for a person' });
      return reply(t.handoff);
    }
    if (has(text, INJECTION)) return reply(t.injection);
    if (has(text, DISCOUNT)) return reply(t.discount);
    if (has(text, STATUS)) {
      const ref = text.match(/#?\b([0-9A-Fa-f]{8})\b/)?.[1];
      const out = await turn.tools.call('get_order_status', ref ? { reference: ref } : {});
      const orders = out.ok ? (out.result as { orders: OrderView[] }).orders : [];
      if (orders.length === 0) return reply(t.noOrders);
      return reply(orders.slice(0, 3).map(t.orderLine).join('\n'));
    }
    const policy = answerFromProfile(text, lang, turn.businessProfile);
    if (policy) return reply(policy);

    const content = contentWords(text);
    if (content.length === 0 || (has(text, THANKS) && !has(text, ORDER_INTENT) && content.length <= 2)) {
      if (has(text, THANKS)) return reply(t.thanks);
      if (has(text, GREETING)) return reply(t.greeting(turn.businessProfile?.storeName ?? 'our shop'));
      return reply(t.unknown);
    }

    if (has(text, ORDER_INTENT)) {
      const drafted = await this.order(turn, text, lang);
      if (drafted) return reply(drafted);
    }

    const found = await turn.tools.call('search_products', { query: searchTerms(text), limit: 5 });
    const products = found.ok ? (found.result as { products: ProductView[] }).products : [];
    const chosen = choose(text, products);
    if (chosen === null) return reply(t.notFound);
    if (Array.isArray(chosen)) return reply(chosen.length <= 3 ? chosen.map((p) => describe(lang, p)).join('\n') : t.pick(chosen.map((p) => p.name).join(', ')));
    return reply(describe(lang, chosen));
  }

  /** Drafts an order when every item resolves to one in-stock variant; otherwise says why (or null to answer as a question). */
  private async order(turn: AssistantTurn, text: string, lang: Language): Promise<string | null> {
    const t = T[lang];
    const items = parseItems(text);
    if (items.length === 0) return null;
    const lines: Array<{ variantId: string; quantity: number }> = [];
    for (const item of items) {
      const found = await turn.tools.call('search_products', { query: searchTerms(item.text), limit: 5 });
      const products = found.ok ? (found.result as { products: ProductView[] }).products : [];
      const chosen = choose(item.text, products);
      if (chosen === null) return items.length === 1 ? null : t.notFound;
      if (Array.isArray(chosen)) return t.pick(chosen.map((p) => p.name).join(', '));
      const variant = pickVariant(item.text, chosen);
      if (variant === 'ambiguous') return t.pickVariant(chosen.name, chosen.variants.filter((v) => v.active).map((v) => `${v.title} (${v.price} ${v.currency})`).join(', '));
      const label = variant.title === 'Default' ? chosen.name : `${chosen.name} ${variant.title}`;
      if (variant.available <= 0) return t.outOfStock(label);
      if (variant.available < item.quantity) return t.onlyLeft(label, variant.available);
      lines.push({ variantId: variant.variantId, quantity: item.quantity });
    }
    const drafted = await turn.tools.call('create_order_draft', { lines });
    if (!drafted.ok) {
      await turn.tools.call('handoff_to_human', { reason: 'order draft failed' });
      return t.draftFailed;
    }
    const { order, holdMinutes } = drafted.result as { order: OrderView; holdMinutes: number };
    return t.drafted(order, holdMinutes);
  }
}
