import { words } from './text.js';
import type { ProductView } from './ports.js';

const STOPWORDS = new Set([
  'a', 'an', 'the', 'do', 'does', 'you', 'have', 'has', 'is', 'are', 'it', 'its', 'of', 'for', 'in', 'on', 'and', 'or', 'me', 'my', 'i', 'to', 'how', 'much',
  'what', 'whats', 'price', 'prices', 'cost', 'costs', 'stock', 'available', 'any', 'some', 'please', 'pls', 'want', 'would', 'like', 'buy', 'order', 'get',
  'can', 'could', 'still', 'there', 'your', 'this', 'that', 'these', 'those', 'with', 'hi', 'hello', 'hey', 'tell', 'about', 'many', 'left', 'size', 'color', 'colour',
  'el', 'la', 'los', 'las', 'un', 'una', 'unos', 'unas', 'de', 'del', 'y', 'o', 'en', 'que', 'cuanto', 'cuesta', 'cuestan', 'vale', 'precio', 'tienen', 'tienes',
  'hay', 'quiero', 'quisiera', 'me', 'por', 'favor', 'para', 'con', 'es', 'son', 'hola', 'busco', 'comprar', 'pedir', 'disponible', 'disponibles', 'talla', 'mi', 'lo',
  'al', 'se', 'le', 'ese', 'esa', 'este', 'esta', 'sabes', 'info', 'informacion', 'todavia', 'aun', 'queda', 'quedan', 'llevo', 'dame', 'take', 'ill', 'id', 'need', 'necesito',
]);

/** Content words of a customer's phrase: what a product name could match. */
export function contentWords(text: string): string[] {
  return words(text).filter((w) => !STOPWORDS.has(w) && !/^\d+$/.test(w));
}

/**
 * English plural to singular, enough for product nouns: "dresses", "boxes", "watches" lose "es",
 * "totes", "shoes", "mugs" lose "s" ("ss" words such as "dress" stay). Catalog search matches by
 * prefix, so the singular finds both "tote" and "totes" in a product name.
 */
export function stem(w: string): string {
  if (w.length > 4 && /(ss|x|z|ch|sh)es$/.test(w)) return w.slice(0, -2);
  if (w.length > 3 && w.endsWith('s') && !w.endsWith('ss')) return w.slice(0, -1);
  return w;
}

/** The words of a customer's phrase to search the catalog with: content words, singular. */
export function searchTerms(text: string): string {
  return contentWords(text).map(stem).join(' ');
}

function editDistanceAtMostOne(a: string, b: string): boolean {
  if (Math.abs(a.length - b.length) > 1) return false;
  let i = 0, j = 0, edits = 0;
  while (i < a.length && j < b.length) {
    if (a[i] === b[j]) { i++; j++; continue; }
    if (++edits > 1) return false;
    if (a.length > b.length) i++; else if (b.length > a.length) j++; else { i++; j++; }
  }
  return edits + (a.length - i) + (b.length - j) <= 1;
}

/** One query word against one product word: equal, same stem, a typo away, or a long prefix. */
export function wordMatches(q: string, p: string): boolean {
  if (q === p || stem(q) === stem(p)) return true;
  if (q.length >= 5 && p.length >= 5 && editDistanceAtMostOne(stem(q), stem(p))) return true;
  return q.length >= 4 && p.startsWith(q);
}

/** How well a product matches a query: name words count double; zero means no match. */
export function scoreProduct(query: string, product: ProductView): number {
  const q = contentWords(query);
  if (q.length === 0) return 0;
  const name = words(product.name);
  const rest = [...words(product.description), ...product.variants.flatMap((v) => [...words(v.title), ...words(v.sku)])];
  let score = 0;
  for (const w of q) {
    if (name.some((p) => wordMatches(w, p))) score += 2;
    else if (rest.some((p) => wordMatches(w, p))) score += 1;
  }
  return score;
}

/** Fuzzy ranking shared by every AssistantCatalog adapter until the catalog has its own search. */
export function rankProducts(query: string, products: readonly ProductView[], limit: number): ProductView[] {
  return products
    .map((p) => ({ p, s: scoreProduct(query, p) }))
    .filter((x) => x.s > 0)
    .sort((a, b) => b.s - a.s || a.p.name.localeCompare(b.p.name))
    .slice(0, limit)
    .map((x) => x.p);
}
