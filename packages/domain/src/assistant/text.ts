/** Case- and accent-insensitive form of a text: "Camísa ROJA" and "camisa roja" compare equal. */
export function fold(text: string): string {
  return text.normalize('NFD').replace(/\p{M}+/gu, '').toLowerCase();
}

/** Words of a folded text (letters and digits), for matching and intent detection. */
export function words(text: string): string[] {
  return fold(text).split(/[^\p{L}\p{N}]+/u).filter(Boolean);
}
