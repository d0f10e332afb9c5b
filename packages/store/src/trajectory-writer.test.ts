import * as fs from 'node:fs';
import * as path from 'node:path';
import { FixedSizeList, Float32, Float64, Int32 } from 'apache-arrow';
import { describe, expect, it } from 'vitest';
import {
  OBSERVABLES,
  FILES,
  InvalidInputError,
  META,
  StoreError,
  TrajectoryWriter,
  openRun,
  readCheckpoint,
  type CheckpointState,
  type TrajectoryWriterOptions,
} from './index.js';
import { columnBytes, seededRandom, tempDir } from './testing/helpers.js';

const SPECIAL = [0, -0, NaN, Infinity, -Infinity, Number.MIN_VALUE, Number.MAX_VALUE, 1 / 3, -2.5e-308, 0.1];

function options(dir: string, extra: Partial<TrajectoryWriterOptions> = {}): TrajectoryWriterOptions {
  return { dir, observables: OBSERVABLES, precision: 'f64', particleDimension: 3, flushEveryRows: 4, flushEverySeconds: 0, ...extra };
}

function state(step: number, m = 2, D = 3): CheckpointState {
  const a = new Float64Array(m * D).map((_, i) => i + step / 7);
  const b = new Float64Array(m).map((_, i) => -i - step / 3);
  return { step, params: { m, D, a, b }, initialParams: { m, D, a: new Float64Array(m * D), b: new Float64Array(m) } };
}

/** Writes rows 0..steps with seeded values; particles every `every` steps. */
function writeRows(w: TrajectoryWriter, from: number, to: number, seed: number, every = 3): void {
  const random = seededRandom(seed);
  const values = new Float64Array(OBSERVABLES.length);
  for (let s = from; s <= to; s++) {
    for (let c = 0; c < values.length; c++) values[c] = random() * 10 - 5;
    w.logMetrics(s, s * 0.1, values);
    if (s % every === 0) {
      w.logParticles({ step: s, neurons: Int32Array.of(0, 7), a: Float64Array.from({ length: 6 }, () => random()), b: Float64Array.of(random(), random()) });
    }
  }
}

describe('TrajectoryWriter round trip', () => {
  it('keeps every metrics value bit for bit (NaN, -0, subnormals, ±Infinity) and the schema', () => {
    const dir = tempDir('rt');
    const w = TrajectoryWriter.open(options(dir, { config: { model: { width: 8 } }, versions: { '@mflab/store': '0.1.0' } }));
    const rows = SPECIAL.length;
    const expected = new Float64Array(rows * OBSERVABLES.length);
    for (let r = 0; r < rows; r++) {
      const values = OBSERVABLES.map((_, c) => SPECIAL[(r + c) % SPECIAL.length]);
      expected.set(values, r * values.length);
      w.logMetrics(r === rows - 1 ? 2 ** 31 - 1 : r, SPECIAL[r], values);
    }
    w.close();
    const table = openRun(dir).metrics();
    expect(table.numRows).toBe(rows);
    expect(table.schema.fields.map((f) => f.name)).toEqual(['step', 'time', ...OBSERVABLES]);
    expect(String(table.schema.fields[0].type)).toBe(String(new Int32()));
    expect(String(table.schema.fields[2].type)).toBe(String(new Float64()));
    expect(JSON.parse(table.schema.metadata.get(META.config)!)).toEqual({ model: { width: 8 } });
    expect(JSON.parse(table.schema.metadata.get(META.versions)!)).toEqual({ '@mflab/store': '0.1.0' });
    expect(table.getChild('step')!.get(rows - 1)).toBe(2 ** 31 - 1);
    expect(columnBytes(table, 'time').equals(Buffer.from(Float64Array.from(SPECIAL).buffer))).toBe(true);
    for (const [c, name] of OBSERVABLES.entries()) {
      const want = Float64Array.from({ length: rows }, (_, r) => expected[r * OBSERVABLES.length + c]);
      expect(columnBytes(table, name).equals(Buffer.from(want.buffer)), name).toBe(true);
    }
    expect(table.batches.length).toBe(Math.ceil(rows / 4));
  });

  it('stores f64 particle snapshots exactly and f32 ones rounded to nearest', () => {
    for (const precision of ['f64', 'f32'] as const) {
      const dir = tempDir(`p-${precision}`);
      const w = TrajectoryWriter.open(options(dir, { precision, particleBufferRows: 5 }));
      const count = 12; // larger than the buffer: split over batches
      const a = Float64Array.from({ length: count * 3 }, (_, i) => SPECIAL[i % SPECIAL.length] + i / 9);
      const b = Float64Array.from({ length: count }, (_, i) => Math.PI * i);
      const neurons = Int32Array.from({ length: count }, (_, i) => 100 + i);
      w.logMetrics(0, 0, new Float64Array(OBSERVABLES.length));
      w.logParticles({ step: 0, neurons, a, b });
      w.logParticles({ step: 5, neurons, a, b });
      w.close();
      const t = openRun(dir).particles();
      expect(t.numRows).toBe(2 * count);
      const aType = t.schema.fields[2].type as FixedSizeList;
      expect(aType).toBeInstanceOf(FixedSizeList);
      expect(aType.listSize).toBe(3);
      expect(String(aType.children[0].type)).toBe(String(precision === 'f32' ? new Float32() : new Float64()));
      expect(t.schema.metadata.get(META.precision)).toBe(precision);
      const F = precision === 'f32' ? Float32Array : Float64Array;
      const twice = (x: Float64Array) => {
        const out = new F(x.length * 2);
        out.set(x, 0);
        out.set(x, x.length);
        return Buffer.from(out.buffer);
      };
      expect(columnBytes(t, 'a').equals(twice(a))).toBe(true);
      expect(columnBytes(t, 'b').equals(twice(b))).toBe(true);
      expect([...(t.getChild('neuron')!.toArray() as Int32Array)]).toEqual([...neurons, ...neurons]);
      expect([...(t.getChild('step')!.toArray() as Int32Array)]).toEqual([...Array(count).fill(0), ...Array(count).fill(5)]);
      expect(t.batches.length).toBeGreaterThan(2);
      expect([...(openRun(dir).particles([5]).getChild('step')!.toArray() as Int32Array)]).toEqual(Array(count).fill(5));
    }
  });

  it('stores k-output particles with b as FixedSizeList[k] (f32 and f64, split over batches) and k in the metadata', () => {
    for (const precision of ['f64', 'f32'] as const) {
      const dir = tempDir(`pk-${precision}`);
      const k = 10;
      const w = TrajectoryWriter.open(options(dir, { precision, particleBufferRows: 5, particleOutputs: k }));
      const count = 12;
      const a = Float64Array.from({ length: count * 3 }, (_, i) => i / 7);
      const b = Float64Array.from({ length: count * k }, (_, i) => SPECIAL[i % SPECIAL.length] - i / 3);
      const neurons = Int32Array.from({ length: count }, (_, i) => i);
      w.logMetrics(0, 0, new Float64Array(OBSERVABLES.length));
      w.logParticles({ step: 0, neurons, a, b });
      expect(() => w.logParticles({ step: 1, neurons, a, b: b.subarray(0, count) })).toThrow(/b of 12×10 values/);
      w.close();
      const t = openRun(dir).particles();
      expect(t.numRows).toBe(count);
      const bType = t.schema.fields[3].type as FixedSizeList;
      expect(bType).toBeInstanceOf(FixedSizeList);
      expect(bType.listSize).toBe(k);
      expect(String(bType.children[0].type)).toBe(String(precision === 'f32' ? new Float32() : new Float64()));
      expect(t.schema.metadata.get(META.outputs)).toBe('10');
      const F = precision === 'f32' ? Float32Array : Float64Array;
      expect(columnBytes(t, 'b').equals(Buffer.from(F.from(b).buffer))).toBe(true);
      // Row 3's b, read as a list value, is b[30..40).
      const row3 = t.getChild('b')!.get(3) as { toArray(): Float32Array | Float64Array };
      expect(Array.from(row3.toArray())).toEqual(Array.from(F.from(b.subarray(30, 40))));
    }
  });

  it('accepts rows by name (missing observables are NaN) and rejects steps that do not increase', () => {
    const dir = tempDir('named');
    const w = TrajectoryWriter.open(options(dir));
    w.logMetrics(0, 0, { risk_train: 1.5, margin: -2 });
    expect(() => w.logMetrics(0, 0, { risk_train: 1 })).toThrow(InvalidInputError);
    expect(() => w.logMetrics(1, 0, [1, 2])).toThrow(new RegExp(`expected ${OBSERVABLES.length} observable values`));
    w.close();
    const t = openRun(dir).metrics();
    expect(t.getChild('risk_train')!.get(0)).toBe(1.5);
    expect(t.getChild('margin')!.get(0)).toBe(-2);
    expect(Number.isNaN(t.getChild('l2')!.get(0))).toBe(true);
    expect(() => w.logMetrics(5, 0, { risk_train: 1 })).toThrow(StoreError);
  });

  it('flushes every k rows and after t seconds, so an open run is readable meanwhile', () => {
    const dir = tempDir('flush');
    const w = TrajectoryWriter.open(options(dir, { flushEveryRows: 3, flushEverySeconds: 0.05 }));
    const values = new Float64Array(OBSERVABLES.length);
    w.logMetrics(0, 0, values);
    w.logMetrics(1, 0, values);
    expect(openRun(dir).metrics().numRows).toBe(0);
    w.logMetrics(2, 0, values);
    expect(openRun(dir).metrics().numRows).toBe(3);
    w.logMetrics(3, 0, values);
    expect(openRun(dir).metrics().numRows).toBe(3);
    const until = Date.now() + 60;
    while (Date.now() < until) {
      // wait past the flush interval
    }
    w.logMetrics(4, 0, values);
    expect(openRun(dir).metrics().numRows).toBe(5);
    w.close();
  });

  it('allows only one writer per run directory', () => {
    const dir = tempDir('lock');
    const w = TrajectoryWriter.open(options(dir));
    let error: unknown;
    try {
      TrajectoryWriter.open(options(dir));
    } catch (err) {
      error = err;
    }
    expect(error).toBeInstanceOf(StoreError);
    expect((error as StoreError).message).toContain(path.join(dir, FILES.runLock));
    expect((error as StoreError).message).toMatch(/held by process \d+/);
    w.close();
    TrajectoryWriter.open(options(dir)).close(); // released on close
  });
});

describe('TrajectoryWriter resume', () => {
  function uninterrupted(last: number): { metrics: Buffer[]; particles: Buffer[] } {
    const dir = tempDir('ref');
    const w = TrajectoryWriter.open(options(dir));
    writeRows(w, 0, last, 1);
    w.close();
    const run = openRun(dir);
    const m = run.metrics();
    const p = run.particles();
    return { metrics: ['step', 'time', ...OBSERVABLES].map((c) => columnBytes(m, c)), particles: ['step', 'neuron', 'a', 'b'].map((c) => columnBytes(p, c)) };
  }

  function sameAs(dir: string, ref: { metrics: Buffer[]; particles: Buffer[] }): void {
    const run = openRun(dir);
    const m = run.metrics();
    const p = run.particles();
    ['step', 'time', ...OBSERVABLES].forEach((c, i) => expect(columnBytes(m, c).equals(ref.metrics[i]), c).toBe(true));
    ['step', 'neuron', 'a', 'b'].forEach((c, i) => expect(columnBytes(p, c).equals(ref.particles[i]), c).toBe(true));
  }

  it('cuts inside a batch, drops later rows, a partial tail and the end marker, then appends', () => {
    const ref = uninterrupted(20);
    const dir = tempDir('cut');
    // First life: rows 0..13 flushed (batches of 4), checkpoint at 7, a partial batch after.
    const w = TrajectoryWriter.open(options(dir));
    writeRows(w, 0, 13, 1);
    w.flush();
    w.close();
    // Simulate a crash that also left half a batch: append garbage bytes of a partial message.
    fs.appendFileSync(path.join(dir, FILES.metrics), Buffer.from([0xff, 0xff, 0xff, 0xff, 0x40, 0, 0, 0, 1, 2, 3]));
    const w2 = TrajectoryWriter.open(options(dir, { resumeFrom: { step: 9 } }));
    expect(w2.rowCounts.metrics).toBe(10);
    expect(w2.lastStep).toBe(9);
    // Same random sequence as the reference: replay the generator to step 9, then continue.
    w2.close();
    const again = TrajectoryWriter.open(options(dir, { resumeFrom: { step: 9 } }));
    const replay = tempDir('replay');
    const r = TrajectoryWriter.open(options(replay));
    writeRows(r, 0, 20, 1);
    r.close();
    // Continue the resumed run with the rows 10..20 of the reference.
    const refRun = openRun(replay);
    const metrics = refRun.metrics();
    const particles = refRun.particles();
    for (let i = 10; i <= 20; i++) {
      const values = OBSERVABLES.map((c) => metrics.getChild(c)!.get(i) as number);
      again.logMetrics(i, metrics.getChild('time')!.get(i) as number, values);
    }
    for (let i = 0; i < particles.numRows; i += 2) {
      const step = particles.getChild('step')!.get(i) as number;
      if (step <= 9) continue;
      const a = Float64Array.from([...(particles.getChild('a')!.get(i)!.toArray() as Float64Array), ...(particles.getChild('a')!.get(i + 1)!.toArray() as Float64Array)]);
      again.logParticles({ step, neurons: Int32Array.of(0, 7), a, b: Float64Array.of(particles.getChild('b')!.get(i) as number, particles.getChild('b')!.get(i + 1) as number) });
    }
    again.close();
    sameAs(dir, ref);
  });

  it('resumes from a checkpoint written by the writer, checking the streams cover it', () => {
    const dir = tempDir('ckpt');
    const w = TrajectoryWriter.open(options(dir));
    writeRows(w, 0, 11, 2);
    w.checkpoint(state(11));
    writeRows(w, 12, 14, 3);
    w.flush();
    w.close();
    const ckpt = readCheckpoint(dir)!;
    expect(ckpt.streamRows).toEqual({ metrics: 12, particles: 8 });
    const w2 = TrajectoryWriter.open(options(dir, { resumeFrom: ckpt }));
    expect(w2.rowCounts).toEqual({ metrics: 12, particles: 8 });
    w2.close();
    // A stream cut short (fewer rows than the checkpoint says) is an error, not silent data loss.
    const file = path.join(dir, FILES.metrics);
    const size = fs.statSync(file).size;
    fs.truncateSync(file, size - 10);
    let error: unknown;
    try {
      TrajectoryWriter.open(options(dir, { resumeFrom: ckpt }));
    } catch (err) {
      error = err;
    }
    expect(error).toBeInstanceOf(StoreError);
    expect(String((error as Error).message)).toMatch(/holds 8 rows up to step 11 but the checkpoint expects 12/);
    expect((error as Error).message).toContain(file);
  });

  it('refuses to resume a stream written with other columns', () => {
    const dir = tempDir('cols');
    TrajectoryWriter.open(options(dir)).close();
    expect(() => TrajectoryWriter.open(options(dir, { observables: ['risk_train'], resumeFrom: { step: 0 } }))).toThrow(/cannot resume: the stream has columns/);
  });
});
