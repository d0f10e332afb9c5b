/**
 * The per-layer observables of deep networks (ARCHITECTURE.md §7) as Arrow List<Float64> columns
 * of metrics.arrows: written in batches, read back by the store and by an independent reader
 * (polars, Rust), cut and resumed inside a batch, exported to Parquet, left out of the index;
 * and a deep network's layers in checkpoint.arrow.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import pl from 'nodejs-polars';
import { describe, expect, it } from 'vitest';
import {
  DEEP_OBSERVABLES,
  FILES,
  LAYER_OBSERVABLES,
  OBSERVABLES,
  TrajectoryWriter,
  exportParquet,
  openRun,
  readCheckpoint,
  readIndex,
  runDirName,
  writeCheckpoint,
  writeRunInfo,
  type LayeredParams,
} from './index.js';
import { seededRandom, tempDir } from './testing/helpers.js';

const L = 3;
const SCALARS = [...OBSERVABLES, ...DEEP_OBSERVABLES];
const LENGTHS: Record<(typeof LAYER_OBSERVABLES)[number], number> = { move_layers: L + 1, feature_move: L, feature_scale: L, corr_layers: L, ntk_layers: L + 1 };

type Row = Record<string, number | number[]>;

function rowAt(step: number, random: () => number): Row {
  const row: Row = {};
  for (const name of SCALARS) row[name] = name.startsWith('jacobian') && step > 0 ? NaN : random();
  for (const name of LAYER_OBSERVABLES) row[name] = Array.from({ length: LENGTHS[name] }, () => (name === 'corr_layers' && step > 0 ? NaN : random()));
  return row;
}

function writeDeepRun(dir: string, steps: number[], seed: number, resumeFrom?: { step: number }): Row[] {
  const random = seededRandom(seed);
  const w = TrajectoryWriter.open({ dir, observables: SCALARS, listObservables: LAYER_OBSERVABLES, precision: 'f64', flushEveryRows: 7, flushEverySeconds: 0, resumeFrom: resumeFrom ?? null });
  const rows: Row[] = [];
  for (const s of steps) {
    const row = rowAt(s, random);
    w.logMetrics(s, s * 0.1, row);
    rows.push(row);
  }
  w.close();
  return rows;
}

function same(got: unknown, want: number): void {
  if (Number.isNaN(want)) expect(Number.isNaN(got as number)).toBe(true);
  else expect(got).toBe(want);
}

describe('per-layer list columns in metrics.arrows', () => {
  it('are List<Float64> in layer order, read back by the store and by polars with the exact values', () => {
    const dir = tempDir('layers');
    const steps = Array.from({ length: 20 }, (_, i) => i * 5);
    const rows = writeDeepRun(dir, steps, 3);
    const schema = openRun(dir).metricsSchema();
    expect(schema.fields.map((f) => f.name)).toEqual(['step', 'time', ...SCALARS, ...LAYER_OBSERVABLES]);
    for (const name of LAYER_OBSERVABLES) expect(String(schema.fields.find((f) => f.name === name)?.type)).toBe('List<Float64>');

    const table = openRun(dir).metrics();
    expect(table.numRows).toBe(20);
    for (const name of LAYER_OBSERVABLES) {
      const col = table.getChild(name)!;
      for (let i = 0; i < rows.length; i++) {
        const got = Array.from(col.get(i)!.toArray() as Float64Array);
        const want = rows[i][name] as number[];
        expect(got.length).toBe(LENGTHS[name]);
        want.forEach((v, l) => same(got[l], v));
      }
    }

    const df = pl.readIPCStream(fs.readFileSync(path.join(dir, FILES.metrics)));
    expect(df.columns).toEqual(['step', 'time', ...SCALARS, ...LAYER_OBSERVABLES]);
    for (const name of LAYER_OBSERVABLES) {
      expect(String(df.getColumn(name).dtype)).toContain('List(DataType(Float64))');
      const lists = df.getColumn(name).toArray() as unknown as number[][];
      expect(lists.map((v) => v.length)).toEqual(rows.map(() => LENGTHS[name]));
      lists.forEach((v, i) => v.forEach((x, l) => same(x, (rows[i][name] as number[])[l])));
    }
    (df.getColumn('jacobian_mean').toArray() as number[]).forEach((x, i) => same(x, rows[i].jacobian_mean as number));
  });

  it('resume inside a batch keeps the rows up to the checkpoint and appends after them', () => {
    const dir = tempDir('layers-resume');
    const before = writeDeepRun(dir, [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10], 4);
    // Cut at step 8: inside the second batch of 7 rows.
    const after = writeDeepRun(dir, [9, 10, 11], 5, { step: 8 });
    const table = openRun(dir).metrics();
    expect(Array.from(table.getChild('step')!.toArray() as Int32Array)).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11]);
    const want = [...before.slice(0, 9), ...after];
    const col = table.getChild('move_layers')!;
    for (let i = 0; i < want.length; i++) expect(Array.from(col.get(i)!.toArray() as Float64Array)).toEqual(want[i].move_layers);
    const df = pl.readIPCStream(fs.readFileSync(path.join(dir, FILES.metrics)));
    expect(df.height).toBe(12);
  });

  it('export to Parquet (polars reads the lists) and stay out of index.arrow', async () => {
    const study = tempDir('layers-study');
    const dir = path.join(study, runDirName({ width: 16, seed: 0 }));
    const rows = writeDeepRun(dir, [0, 10, 20], 6);
    writeRunInfo(dir, { config: {}, seed: 0, status: 'done', error: null, backend: 'test', precision: 'f64', versions: {}, timings: {} });
    const out = path.join(dir, 'metrics.parquet');
    expect((await exportParquet(openRun(dir).metricsBatches(), out)).rows).toBe(3);
    const df = pl.readParquet(out);
    expect((df.getColumn('feature_scale').toArray() as unknown as number[][]).map((v) => [...v])).toEqual(rows.map((r) => r.feature_scale));
    const index = readIndex(study);
    expect(index.schema.fields.map((f) => f.name)).toContain('jacobian_spread');
    for (const name of LAYER_OBSERVABLES) expect(index.schema.fields.map((f) => f.name)).not.toContain(name);
  });
});

describe("a deep network's layers in checkpoint.arrow", () => {
  it('round-trip bit for bit (empty bias vectors included), and a two-layer reader refuses them', () => {
    const dir = tempDir('layers-ckpt');
    const random = seededRandom(9);
    const layered = (): LayeredParams => ({
      weights: [12, 16, 4].map((n) => Float64Array.from({ length: n }, () => random() - 0.5)),
      biases: [0, 4, 0].map((n) => Float64Array.from({ length: n }, () => random())),
    });
    const params = layered();
    const initialParams = layered();
    writeCheckpoint(dir, { step: 7, params, initialParams });
    const back = readCheckpoint(dir)!;
    expect(back.step).toBe(7);
    const got = back.params as LayeredParams;
    expect(got.weights.map((w) => Array.from(w))).toEqual(params.weights.map((w) => Array.from(w)));
    expect(got.biases.map((b) => Array.from(b))).toEqual(params.biases.map((b) => Array.from(b)));
    expect((back.initialParams as LayeredParams).weights[2]).toEqual(initialParams.weights[2]);
    expect(() => readCheckpoint(dir, 'two-layer')).toThrow(/holds a deep network's layers/);
  });
});
