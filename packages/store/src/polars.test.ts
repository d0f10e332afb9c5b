/**
 * Interoperability: files written by the store open in an independent Arrow implementation,
 * polars (Rust, through nodejs-polars), with the same values: the IPC streams, the IPC files
 * (checkpoint, index), and the Parquet and CSV exports.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import pl from 'nodejs-polars';
import { describe, expect, it } from 'vitest';
import {
  OBSERVABLES,
  FILES,
  TrajectoryWriter,
  exportCsv,
  exportParquet,
  openRun,
  openStudy,
  readIndex,
  runDirName,
  writeRunInfo,
  type Precision,
} from './index.js';
import { seededRandom, tempDir } from './testing/helpers.js';

const D = 3;
const COUNT = 5;

/** Writes a run and returns the values it wrote, as plain arrays. */
function writeRun(dir: string, precision: Precision, seed: number) {
  const random = seededRandom(seed);
  const w = TrajectoryWriter.open({ dir, observables: OBSERVABLES, precision, particleDimension: D, flushEveryRows: 7, flushEverySeconds: 0, config: { seed } });
  const metrics: number[][] = [];
  const particles: { step: number; neuron: number; a: number[]; b: number }[] = [];
  const values = new Float64Array(OBSERVABLES.length);
  const round = precision === 'f32' ? Math.fround : (x: number) => x;
  for (let s = 0; s <= 30; s++) {
    for (let c = 0; c < values.length; c++) values[c] = c === 8 && s % 4 === 0 ? NaN : random() * 100 - 50;
    w.logMetrics(s, s * 0.05, values);
    metrics.push([s, s * 0.05, ...values]);
    if (s % 10 === 0) {
      const neurons = Int32Array.from({ length: COUNT }, (_, j) => j * 3);
      const a = Float64Array.from({ length: COUNT * D }, () => random() - 0.5);
      const b = Float64Array.from({ length: COUNT }, () => random());
      w.logParticles({ step: s, neurons, a, b });
      for (let j = 0; j < COUNT; j++) particles.push({ step: s, neuron: j * 3, a: [...a.subarray(j * D, (j + 1) * D)].map(round), b: round(b[j]) });
    }
  }
  w.close();
  writeRunInfo(dir, { config: { seed }, seed, status: 'done', error: null, backend: 'test', precision, versions: {}, timings: {} });
  return { metrics, particles };
}

function sameNumbers(got: unknown[], want: number[]): void {
  expect(got.length).toBe(want.length);
  for (let i = 0; i < want.length; i++) {
    const g = got[i] as number;
    if (Number.isNaN(want[i])) expect(Number.isNaN(g), `row ${i}`).toBe(true);
    else expect(Object.is(g, want[i]) || g === want[i], `row ${i}: ${g} vs ${want[i]}`).toBe(true);
  }
}

function checkMetrics(df: pl.DataFrame, want: number[][]): void {
  expect(df.columns).toEqual(['step', 'time', ...OBSERVABLES]);
  df.columns.forEach((name, c) => sameNumbers(df.getColumn(name).toArray() as unknown[], want.map((row) => row[c])));
}

function checkParticles(df: pl.DataFrame, want: { step: number; neuron: number; a: number[]; b: number }[]): void {
  sameNumbers(df.getColumn('step').toArray() as number[], want.map((p) => p.step));
  sameNumbers(df.getColumn('neuron').toArray() as number[], want.map((p) => p.neuron));
  sameNumbers((df.getColumn('a').toArray() as unknown as number[][]).flat(), want.flatMap((p) => p.a));
  sameNumbers(df.getColumn('b').toArray() as number[], want.map((p) => p.b));
}

describe('polars reads what the store writes', () => {
  for (const precision of ['f64', 'f32'] as const) {
    it(`reads the metrics and particle streams (${precision})`, () => {
      const dir = tempDir(`polars-${precision}`);
      const want = writeRun(dir, precision, 11);
      const metrics = pl.readIPCStream(fs.readFileSync(path.join(dir, FILES.metrics)));
      expect(metrics.dtypes.map(String)).toEqual(['Int32', 'Float64', ...OBSERVABLES.map(() => 'Float64')].map((t) => `DataType(${t})`));
      checkMetrics(metrics, want.metrics);
      const particles = pl.readIPCStream(fs.readFileSync(path.join(dir, FILES.particles)));
      const float = precision === 'f32' ? 'Float32' : 'Float64';
      expect(String(particles.dtypes[2])).toContain(`FixedSizeList(DataType(${float}),${D})`);
      expect(String(particles.dtypes[3])).toContain(float);
      checkParticles(particles, want.particles);
    });
  }

  it('reads the IPC files: checkpoint.arrow and index.arrow', () => {
    const study = tempDir('polars-study');
    const wants = [0, 1].map((seed) => writeRun(path.join(study, runDirName({ width: 8, seed })), 'f64', seed));
    const run = path.join(study, runDirName({ width: 8, seed: 1 }));
    const w = TrajectoryWriter.open({ dir: run, observables: OBSERVABLES, precision: 'f64', particleDimension: D, resumeFrom: { step: 30 } });
    const a = Float64Array.from({ length: 4 * D }, (_, i) => i / 7);
    w.checkpoint({ step: 30, params: { m: 4, D, a, b: Float64Array.of(1, 2, 3, 4) }, initialParams: { m: 4, D, a, b: new Float64Array(4) }, rng: { init: 9 } });
    w.close();
    const ckpt = pl.readIPC(fs.readFileSync(path.join(run, FILES.checkpoint)));
    const keys = ckpt.getColumn('key').toArray() as string[];
    const values = ckpt.getColumn('values').toArray() as unknown as number[][];
    sameNumbers(values[keys.indexOf('params.a')], [...a]);
    sameNumbers(values[keys.indexOf('step')], [30]);
    sameNumbers(values[keys.indexOf('rng.init')], [9]);

    readIndex(study);
    const index = pl.readIPC(fs.readFileSync(path.join(study, FILES.index)));
    expect(index.height).toBe(2);
    expect(index.getColumn('run').toArray()).toEqual(['width=8/seed=0', 'width=8/seed=1']);
    expect(index.getColumn('seed').toArray()).toEqual([0, 1]);
    expect(index.getColumn('status').toArray()).toEqual(['done', 'done']);
    sameNumbers(index.getColumn('risk_train').toArray() as number[], wants.map((x) => x.metrics[30][2]));
  });

  it('reads the Parquet and CSV exports of a run and of a study', async () => {
    const dir = tempDir('polars-export');
    const want = writeRun(dir, 'f32', 5);
    const run = openRun(dir);
    const parquetPath = path.join(dir, 'metrics.parquet');
    expect((await exportParquet(run.metricsBatches(), parquetPath)).rows).toBe(31);
    checkMetrics(pl.readParquet(parquetPath), want.metrics);
    const particlesParquet = path.join(dir, 'particles.parquet');
    await exportParquet(run.particles(), particlesParquet, { compression: 'snappy' });
    checkParticles(pl.readParquet(particlesParquet), want.particles);

    const csvPath = path.join(dir, 'metrics.csv');
    expect(exportCsv(run.metricsBatches(), csvPath).rows).toBe(31);
    checkMetrics(pl.readCSV(csvPath), want.metrics);
    const particlesCsv = path.join(dir, 'particles.csv');
    exportCsv(run.particleBatches(), particlesCsv);
    const df = pl.readCSV(particlesCsv);
    expect(df.columns).toEqual(['step', 'neuron', 'a_0', 'a_1', 'a_2', 'b']);
    sameNumbers(df.getColumn('a_1').toArray() as number[], want.particles.map((p) => p.a[1]));
    sameNumbers(df.getColumn('b').toArray() as number[], want.particles.map((p) => p.b));

    // A whole study, with the swept keys as columns.
    const study = tempDir('polars-study-export');
    for (const seed of [0, 1]) writeRun(path.join(study, runDirName({ lr: 0.5, seed })), 'f64', seed);
    const out = path.join(study, 'all.parquet');
    await exportParquet(openStudy(study).metricsBatches(), out);
    const all = pl.readParquet(out);
    expect(all.height).toBe(62);
    expect(all.columns.slice(0, 4)).toEqual(['run', 'lr', 'seed', 'step']);
    expect(all.getColumn('lr').toArray().every((v) => v === 0.5)).toBe(true);
  });
});

describe('export edge cases', () => {
  it('exports an empty table to Parquet and refuses an empty bare stream', async () => {
    const dir = tempDir('empty-export');
    TrajectoryWriter.open({ dir, observables: ['l2'], precision: 'f64' }).close();
    const out = path.join(dir, 'empty.parquet');
    expect((await exportParquet(openRun(dir).metrics(), out)).rows).toBe(0);
    const df = pl.readParquet(out);
    expect(df.height).toBe(0);
    expect(df.columns).toEqual(['step', 'time', 'l2']);
    await expect(exportParquet([], path.join(dir, 'x.parquet'))).rejects.toThrow(/x\.parquet: nothing to export/);
    expect(fs.existsSync(path.join(dir, 'x.parquet'))).toBe(false);
  });
});
