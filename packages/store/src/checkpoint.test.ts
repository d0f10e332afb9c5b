import * as fs from 'node:fs';
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import { FILES, InvalidInputError, readCheckpoint, writeCheckpoint, writeFileAtomic, type CheckpointState, type NetworkParams } from './index.js';
import { seededRandom, tempDir } from './testing/helpers.js';

function bits(x: Float64Array): Buffer {
  return Buffer.from(x.buffer, x.byteOffset, x.byteLength);
}

describe('checkpoint.arrow', () => {
  it('round-trips the full state exactly', () => {
    const dir = tempDir('ckpt');
    const random = seededRandom(7);
    const m = 1000;
    const D = 5;
    const a = Float64Array.from({ length: m * D }, () => (random() - 0.5) * 1e-300);
    a.set([NaN, -0, Infinity, -Infinity, Number.MIN_VALUE], 0);
    const state: CheckpointState = {
      step: 123_456,
      params: { m, D, a, b: Float64Array.from({ length: m }, () => random()) },
      initialParams: { m, D, a: Float64Array.from({ length: m * D }, () => random()), b: new Float64Array(m) },
      rng: { init: 2 ** 53 - 1, data: 17 },
      integrator: { dt: 0.125, momentum: Float64Array.from({ length: m * (D + 1) }, () => random()), empty: new Float64Array(0) },
    };
    expect(readCheckpoint(dir)).toBeNull();
    writeCheckpoint(dir, state, { metrics: 10, particles: 20 });
    const back = readCheckpoint(dir, 'two-layer')!;
    expect(back.step).toBe(123_456);
    expect(back.params.m).toBe(m);
    expect(back.params.D).toBe(D);
    expect(bits(back.params.a).equals(bits(a))).toBe(true);
    expect(bits(back.params.b).equals(bits((state.params as NetworkParams).b))).toBe(true);
    expect(bits(back.initialParams.a).equals(bits((state.initialParams as NetworkParams).a))).toBe(true);
    expect(back.rng).toEqual({ init: 2 ** 53 - 1, data: 17 });
    expect(back.integrator?.dt).toBe(0.125);
    expect(bits(back.integrator?.momentum as Float64Array).equals(bits(state.integrator!.momentum as Float64Array))).toBe(true);
    expect((back.integrator?.empty as Float64Array).length).toBe(0);
    expect(back.streamRows).toEqual({ metrics: 10, particles: 20 });
  });

  it('round-trips k-output parameters (b: m × k) with k, and a file without k reads as k = 1', () => {
    const dir = tempDir('ckpt-k');
    const m = 7;
    const D = 4;
    const k = 3;
    const b = Float64Array.from({ length: m * k }, (_, i) => i / 3 - 2);
    const state: CheckpointState = { step: 5, params: { m, D, k, a: new Float64Array(m * D).fill(0.5), b }, initialParams: { m, D, k, a: new Float64Array(m * D), b: new Float64Array(m * k) } };
    writeCheckpoint(dir, state);
    const back = readCheckpoint(dir, 'two-layer')!;
    expect(back.params.k).toBe(k);
    expect(back.initialParams.k).toBe(k);
    expect(bits(back.params.b).equals(bits(b))).toBe(true);
    expect(() => writeCheckpoint(dir, { ...state, params: { ...state.params, b: new Float64Array(m) } })).toThrow(/params\.b: expected a Float64Array of m·k = 21 values/);
    writeCheckpoint(dir, { step: 1, params: { m, D, a: new Float64Array(m * D), b: new Float64Array(m) }, initialParams: { m, D, a: new Float64Array(m * D), b: new Float64Array(m) } });
    expect(readCheckpoint(dir, 'two-layer')!.params.k).toBeUndefined();
  });

  it('is replaced atomically, leaving no temporary file', () => {
    const dir = tempDir('atomic');
    const p = (v: number) => ({ m: 1, D: 1, a: Float64Array.of(v), b: Float64Array.of(v) });
    for (let step = 0; step < 5; step++) writeCheckpoint(dir, { step, params: p(step), initialParams: p(0) });
    expect(readCheckpoint(dir, 'two-layer')!.params.a[0]).toBe(4);
    expect(fs.readdirSync(dir)).toEqual([FILES.checkpoint]);
    // A temporary file a killed writer left behind does not disturb the reader.
    fs.writeFileSync(path.join(dir, `${FILES.checkpoint}.tmp-999999-1`), 'half');
    expect(readCheckpoint(dir, 'two-layer')!.step).toBe(4);
  });

  it('rejects inconsistent states before writing', () => {
    const dir = tempDir('bad');
    const ok = { m: 2, D: 2, a: new Float64Array(4), b: new Float64Array(2) };
    expect(() => writeCheckpoint(dir, { step: -1, params: ok, initialParams: ok })).toThrow(InvalidInputError);
    expect(() => writeCheckpoint(dir, { step: 1, params: { ...ok, a: new Float64Array(3) }, initialParams: ok })).toThrow(/m·D = 4/);
    expect(fs.existsSync(path.join(dir, FILES.checkpoint))).toBe(false);
    writeFileAtomic(path.join(dir, 'x.txt'), ['a', 'b'].map((s) => Buffer.from(s)));
    expect(fs.readFileSync(path.join(dir, 'x.txt'), 'utf8')).toBe('ab');
  });
});
