/**
 * μP's coordinate check (ARCHITECTURE.md §7 "the coordinate check is flat in width under mup"),
 * as microsoft/mup's coord_check runs it: a few steps of SGD on one small fixed batch at growing
 * width, per-layer feature movement per step. Setup (coord-check.ts defaults): depth L = 2 (relu;
 * layer 1 the input layer, layer 2 through the m×m hidden layer), widths 256, 512, 1024, 2048,
 * 4096, η = 0.005 at every width (TP4's c = 0 for both presets), one batch of n = 4 teacher points
 * in R⁴ (full-batch GD on it), steps t = 1…5, seed 0; `feature_move` = RMS of h_l(t) − h_l(0)
 * on the batch; the exponent is the least-squares slope of ln feature_move on ln m.
 *
 * - mup: |exponent| ≤ 0.1 at every step and layer (measured |p| ≤ 0.03).
 * - standard: exponent ≥ 0.3 for the last hidden layer at every step, and for every layer from
 *   step 2 on (measured ≥ 0.6). At step 1 the input layer's movement under SP falls with width
 *   (measured p ≈ −0.36: its gradient passes through two 1/√m-scaled layers); SP's growth starts
 *   at the top and reaches it from step 2, as the output's update grows with m (TP4 Theorem 4.1).
 * The figure: `node tools/scripts/coord-check.mjs coord-check.svg` (after `npm run build`).
 */
import { describe, expect, it } from 'vitest';
import { coordinateCheck, logLogSlope } from './coord-check.js';

describe('logLogSlope', () => {
  it('recovers the exponent of a power law and is NaN without a fit', () => {
    expect(logLogSlope([256, 512, 1024], [256 ** 0.5, 512 ** 0.5, 1024 ** 0.5].map((v) => 3 * v))).toBeCloseTo(0.5, 12);
    expect(Number.isNaN(logLogSlope([1], [1]))).toBe(true);
    expect(Number.isNaN(logLogSlope([1, 2], [1, 0]))).toBe(true);
  });
});

describe('μP coordinate check: feature_move vs width 256…4096, steps 1…5', () => {
  it('is flat in width under mup (|exponent| ≤ 0.1) and grows under standard (≥ 0.3)', () => {
    const result = coordinateCheck();
    expect(result.widths).toEqual([256, 512, 1024, 2048, 4096]);
    const mup = result.exponents.mup as number[][];
    const standard = result.exponents.standard as number[][];
    const summary = `mup ${JSON.stringify(mup.map((r) => r.map((v) => +v.toFixed(3))))}, standard ${JSON.stringify(standard.map((r) => r.map((v) => +v.toFixed(3))))}`;
    console.log(`coordinate check exponents (rows: steps 1…5, columns: layers 1, 2): ${summary}`);
    for (let t = 0; t < result.steps; t++) {
      for (let l = 0; l < result.depth; l++) {
        expect(Math.abs(mup[t][l]), summary).toBeLessThanOrEqual(0.1);
        if (l === result.depth - 1 || t >= 1) expect(standard[t][l], summary).toBeGreaterThanOrEqual(0.3);
      }
    }
    // The movement itself is not zero: under mup it is O(η) at every width.
    for (const row of (result.featureMove.mup as number[][][])[4]) for (const v of row) expect(v).toBeGreaterThan(1e-3);
  }, 120_000);
});
