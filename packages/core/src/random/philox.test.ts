import { describe, expect, it } from 'vitest';
import { philox4x32 } from './philox.js';
import { CounterRng, RandomStream } from './streams.js';

const hex = (w: Uint32Array) => Array.from(w, (v) => v.toString(16).padStart(8, '0'));

describe('philox4x32-10', () => {
  // Known-answer vectors from Random123's kat_vectors (philox4x32 10 rounds).
  it('matches the Random123 known-answer vectors', () => {
    const out = new Uint32Array(4);
    philox4x32(0, 0, 0, 0, 0, 0, out);
    expect(hex(out)).toEqual(['6627e8d5', 'e169c58d', 'bc57ac4c', '9b00dbd8']);
    philox4x32(0xffffffff, 0xffffffff, 0xffffffff, 0xffffffff, 0xffffffff, 0xffffffff, out);
    expect(hex(out)).toEqual(['408f276d', '41c83b0e', 'a20bc7c6', '6d5451fd']);
    philox4x32(0x243f6a88, 0x85a308d3, 0x13198a2e, 0x03707344, 0xa4093822, 0x299f31d0, out);
    expect(hex(out)).toEqual(['d16cfe09', '94fdcceb', '5001e420', '24126ea1']);
  });
});

describe('CounterRng', () => {
  it('depends only on (seed, stream, index), not on call order', () => {
    const rng = new CounterRng(42, RandomStream.init);
    const forward = [0, 1, 2, 3].map((j) => rng.at(j).normal());
    const backward = [3, 2, 1, 0].map((j) => new CounterRng(42, RandomStream.init).at(j).normal()).reverse();
    expect(forward).toEqual(backward);
    expect(new CounterRng(43, RandomStream.init).at(0).normal()).not.toEqual(forward[0]);
    expect(new CounterRng(42, RandomStream.trainData).at(0).normal()).not.toEqual(forward[0]);
  });

  it('gives uniforms on [0,1) and standard normals with the right moments (5σ bounds)', () => {
    const rng = new CounterRng(7, RandomStream.init);
    const N = 200_000;
    let su = 0;
    let sz = 0;
    let sz2 = 0;
    let sz4 = 0;
    for (let i = 0; i < N; i++) {
      const d = rng.at(i);
      const u = d.uniform();
      expect(u >= 0 && u < 1).toBe(true);
      su += u;
      const z = d.normal();
      sz += z;
      sz2 += z * z;
      sz4 += z ** 4;
    }
    // Standard errors: uniform mean 1/sqrt(12N); normal mean 1/sqrt(N); E z² var 2/N; E z⁴ var 96/N.
    expect(Math.abs(su / N - 0.5)).toBeLessThan(5 / Math.sqrt(12 * N));
    expect(Math.abs(sz / N)).toBeLessThan(5 / Math.sqrt(N));
    expect(Math.abs(sz2 / N - 1)).toBeLessThan(5 * Math.sqrt(2 / N));
    expect(Math.abs(sz4 / N - 3)).toBeLessThan(5 * Math.sqrt(96 / N));
  });

  it('draws points on the unit sphere', () => {
    const out = new Float64Array(5);
    new CounterRng(1, RandomStream.init).at(9).onSphere(out, 0, 5);
    expect(Math.hypot(...out)).toBeCloseTo(1, 14);
  });

  it('rejects seeds that are not non-negative safe integers, naming the field', () => {
    expect(() => new CounterRng(-1, 1)).toThrow(/seed/);
    expect(() => new CounterRng(1.5, 1)).toThrow(/seed/);
  });
});
