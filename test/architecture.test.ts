import { describe, expect, it } from 'vitest';
import { findCycles, unitGraph } from '../scripts/check-cycles.js';

// Dependencies point one way (docs/ARCHITECTURE.md "Layers"): entry → pipeline → stages →
// edges → leaves. A folder-level import cycle fails here, naming its units.

describe('layers', () => {
  it('the units of shared/, local/ and functions/ import each other without a cycle', () => {
    const graph = unitGraph();
    expect(graph.size).toBeGreaterThan(20);
    expect(graph.get('shared/pipeline')?.size).toBeGreaterThan(5);
    expect(findCycles(graph).map((c) => c.join(' → '))).toEqual([]);
  });

  it('the checker finds a cycle when there is one', () => {
    const graph = new Map([
      ['a', new Set(['b'])],
      ['b', new Set(['c'])],
      ['c', new Set(['a'])],
      ['d', new Set(['a'])],
    ]);
    expect(findCycles(graph)).toEqual([['a', 'b', 'c']]);
  });
});
