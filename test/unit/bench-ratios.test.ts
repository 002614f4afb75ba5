import { describe, expect, it } from 'vitest';
import { pairedRatio, type TargetResult } from '../../bench/harness/results.ts';
import type { LoadFigures } from '../../bench/harness/warm.ts';

/** A target whose one scenario measured `cpu` µs per request in each round. */
function target(name: string, cpu: number[]): TargetResult {
  const perRound: LoadFigures[] = cpu.map((value) => ({
    throughputPerSecond: 1e6 / value,
    p50Ms: value / 1000,
    p99Ms: value / 1000,
    cpuMicrosPerRequest: value,
  }));
  return {
    spec: { name, label: name, packages: [], entry: '' },
    warm: [{ name: 'getTask', rounds: cpu.length, requests: 0, ...perRound[0], perRound }],
  } as unknown as TargetResult;
}

describe('pairedRatio', () => {
  it('is the median of the per-round ratios, so slow moments of the machine cancel out where the ratio of medians keeps them', () => {
    // The machine is twice as slow for the last two rounds, and for the API's turn of the third;
    // the API costs 1.1× the floor in every round it shares with it.
    const floor = target('floor', [100, 100, 100, 200, 200]);
    const api = target('api', [110, 110, 220, 220, 220]);

    expect(pairedRatio(api, floor, 0, 'cpuMicrosPerRequest')).toBeCloseTo(1.1, 10);
    expect(pairedRatio(floor, api, 0, 'cpuMicrosPerRequest')).toBeCloseTo(1 / 1.1, 10);
    // The ratio of the medians (220 ÷ 100) would read 2.2×.
  });

  it('refuses targets that ran a different number of rounds', () => {
    expect(() => pairedRatio(target('api', [1, 2, 3]), target('floor', [1, 2]), 0, 'p50Ms')).toThrow(/unequal rounds/);
  });
});
