import { describe, expect, it } from 'vitest';
import { OfflineAssistant } from '../../src/index.js';
import { evalCases, runCase, scoreTable } from '../assistant-eval/harness.js';

describe('evaluation set against the offline assistant', () => {
  it('has at least 40 cases in English and Spanish', () => {
    expect(evalCases.length).toBeGreaterThanOrEqual(40);
    expect(evalCases.some((c) => c.id.startsWith('es-'))).toBe(true);
  });

  it('scores at least 90% with every handoff decision right and every figure grounded', async () => {
    const engine = new OfflineAssistant();
    const results = [];
    for (const c of evalCases) results.push(await runCase(engine, c));
    const table = scoreTable('offline assistant (rules-v1)', results);
    console.log(table.text);
    expect(results.every((r) => r.figures)).toBe(true);
    expect(results.every((r) => r.handoffOk)).toBe(true);
    expect(table.score).toBeGreaterThanOrEqual(0.9);
  });
});
