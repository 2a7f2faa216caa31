import { describe, expect, it } from 'vitest';
import { cloneEntity } from '../in-memory/index.js';

describe('cloneEntity (the in-memory adapters\' copy on read and write)', () => {
  it('copies bytes as bytes, not as a plain object, and shares no memory with the original', () => {
    const zip = new Uint8Array([80, 75, 3, 4]);
    const copy = cloneEntity({ zip, at: new Date(0), lines: [{ n: 1 }] });
    expect(copy.zip).toBeInstanceOf(Uint8Array);
    expect([...copy.zip]).toEqual([80, 75, 3, 4]);
    zip[0] = 0;
    expect(copy.zip[0]).toBe(80);
    expect(copy.at).toEqual(new Date(0));
    expect(copy.lines).toEqual([{ n: 1 }]);
  });
});
