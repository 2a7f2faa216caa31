import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const root = fileURLToPath(new URL('../../../../', import.meta.url));
const policy = readFileSync(`${root}docs/privacy.md`, 'utf8');

/** docs/privacy.md: each numbered sentence names test files by letter and test titles in quotes. */
describe('docs/privacy.md links every sentence to a test that exists', () => {
  const legend = new Map([...policy.matchAll(/\[([A-Z])\]\(\.\.\/([^)]+)\)/g)].map((m) => [m[1]!, m[2]!]));
  const sentences = policy.split('\n').filter((l) => /^\d+\. /.test(l));

  it('has a legend whose files exist', () => {
    expect(legend.size).toBeGreaterThanOrEqual(8);
    for (const file of legend.values()) expect(existsSync(`${root}${file}`), file).toBe(true);
  });

  it('cites, for every sentence, a test file and quotes titles found in that file', () => {
    const problems: string[] = [];
    expect(sentences.length).toBeGreaterThanOrEqual(20);
    for (const s of sentences) {
      const refs = s.split(' — ')[1] ?? '';
      const cited = [...refs.matchAll(/\b([A-Z])\b(?: "([^"]+)")?/g)].filter((m) => legend.has(m[1]!));
      if (cited.length === 0) problems.push(`no test cited: ${s.slice(0, 60)}`);
      for (const [, letter, title] of cited) {
        if (!title) continue;
        const source = readFileSync(`${root}${legend.get(letter!)!}`, 'utf8');
        const needle = title.replace(/…$/, '').replace(/^…/, '').split('…')[0]!.trim();
        if (!source.includes(needle)) problems.push(`${letter} has no test titled "${needle}"`);
      }
    }
    expect(problems).toEqual([]);
  });
});
