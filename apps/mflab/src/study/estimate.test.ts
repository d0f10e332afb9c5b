import { mkdtempSync, readdirSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { expandGrid } from '../config/grid.js';
import { validateConfig } from '../config/validate.js';
import { DEFAULT_STUDY, QUICK_DEFAULT_STUDY } from '../studies/default.js';
import {
  DEFAULT_MAX_METRIC_ROWS,
  MAX_STORED_STEP,
  checkBudget,
  dataSizesOf,
  estimateRun,
  estimateSweep,
  formatBytes,
  formatSeconds,
  freeResources,
  hardLimitViolation,
  type Budget,
  type Refusal,
} from './estimate.js';
import { executeRun } from './run-one.js';

/** A realistic workstation: 16 GB of RAM, 50 GB of free disk. */
const BUDGET: Budget = { freeMemoryBytes: 16e9, totalMemoryBytes: 16e9, freeDiskBytes: 50e9, diskPath: '/scratch/mflab-out/run' };

const dirs: string[] = [];
afterAll(() => {
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
});
function tempDir(label: string): string {
  const dir = mkdtempSync(join(tmpdir(), `mflab-estimate-${label}-`));
  dirs.push(dir);
  return dir;
}

function refusalOf(raw: Record<string, unknown>, budget: Budget = BUDGET): Refusal {
  const refusal = checkBudget(estimateRun(validateConfig(raw)), budget);
  expect(refusal).not.toBeNull();
  return refusal as Refusal;
}

/** One line, short enough to read, saying it is an estimate. */
function expectOneLine(refusal: Refusal): void {
  expect(refusal.message).not.toMatch(/\n/);
  expect(refusal.message.length).toBeLessThan(300);
  expect(refusal.message).toContain('about');
  expect(refusal.message).toContain(refusal.key);
  if (refusal.hard) expect(refusal.message).not.toContain('--force');
  else expect(refusal.message).toMatch(/or pass --force$/);
}

describe('units', () => {
  it('formats bytes with 2 significant digits in SI units', () => {
    expect(formatBytes(512)).toBe('512 B');
    expect(formatBytes(6.3e9)).toBe('6.3 GB');
    expect(formatBytes(16e9)).toBe('16 GB');
    expect(formatBytes(823_000)).toBe('820 kB');
    expect(formatBytes(999_999)).toBe('1 MB');
    expect(formatBytes(4e17)).toBe('400 PB');
  });

  it('formats durations in the largest fitting unit', () => {
    expect(formatSeconds(42)).toBe('42 s');
    expect(formatSeconds(600)).toBe('10 min');
    expect(formatSeconds(2.8 * 3600)).toBe('2.8 h');
    expect(formatSeconds(12 * 86400)).toBe('12 days');
    expect(formatSeconds(1e12)).toBe('32,000 years');
  });
});

describe('the situations of the issue are refused with the key to change', () => {
  it('particles of every neuron at every step at width 10^7: disk, log.particles.count', () => {
    const raw = { model: { width: 10_000_000 }, log: { particles: { every: 1, count: 10_000_000 } } };
    const refusal = refusalOf(raw);
    expectOneLine(refusal);
    expect(refusal).toMatchObject({ reason: 'disk', key: 'log.particles.count', hard: false });
    expect(refusal.keys).toContain('log.particles.every');
    expect(refusal.message).toContain('/scratch/mflab-out/run');
    const estimate = estimateRun(validateConfig(raw));
    // 1001 snapshots × 10^7 neurons × (3 float64 of a, 1 of b, 2 int32 ids) = 400 GB.
    expect(estimate.parts.disk.particles).toBeGreaterThan(3.9e11);
    expect(estimate.parts.disk.particles).toBeLessThan(4.2e11);
    // --force lifts it: nothing here makes the run impossible.
    expect(checkBudget(estimate, { ...BUDGET, force: true })).toBeNull();
  });

  it('log.every: 1 over 10^7 steps: metric rows, log.every', () => {
    const raw = { train: { steps: 10_000_000 }, log: { every: 1 } };
    const refusal = refusalOf(raw);
    expectOneLine(refusal);
    expect(refusal).toMatchObject({ reason: 'rows', key: 'log.every', hard: false });
    expect(refusal.message).toContain('10000001 metric rows');
    const estimate = estimateRun(validateConfig(raw));
    expect(estimate.shape.metricRows).toBe(10_000_001);
    expect(estimate.parts.disk.metrics).toBeGreaterThan(0.9e9);
    expect(estimate.parts.disk.metrics).toBeLessThan(1.1e9);
    // On a small disk it is the disk that refuses.
    expect(refusalOf(raw, { ...BUDGET, freeDiskBytes: 5e9 })).toMatchObject({ reason: 'disk', key: 'log.every' });
    expect(checkBudget(estimate, { ...BUDGET, maxMetricRows: Infinity })).toBeNull();
  });

  it('train.steps: 1e15 is refused even with --force (the int32 step column), with the time it would take', () => {
    const estimate = estimateRun(validateConfig({ train: { steps: 1e15 } }));
    const refusal = checkBudget(estimate, { ...BUDGET, force: true }) as Refusal;
    expectOneLine(refusal);
    expect(refusal).toMatchObject({ reason: 'steps', key: 'train.steps', hard: true });
    expect(refusal.message).toMatch(/^train\.steps = 1e15: .*years/);
    expect(estimate.seconds).toBeGreaterThan(1e10);
    expect(hardLimitViolation(estimateRun(validateConfig({ train: { steps: MAX_STORED_STEP } })))).toBeNull();
  });

  it('a run of more than 7 days is refused by time (train.steps), unless forced', () => {
    // 10^9 steps of the default 256 × 1024 problem: about 12 days at 1 G pair·dims/s.
    const raw = { train: { steps: 1e9 }, log: { every: 1e6, particles: { every: 0 } } };
    const refusal = refusalOf(raw);
    expectOneLine(refusal);
    expect(refusal).toMatchObject({ reason: 'time', key: 'train.steps', hard: false });
    expect(refusal.message).toContain('days');
    expect(checkBudget(estimateRun(validateConfig(raw)), { ...BUDGET, force: true })).toBeNull();
    expect(checkBudget(estimateRun(validateConfig(raw)), { ...BUDGET, maxSeconds: Infinity })).toBeNull();
  });

  it('data.d: 1000000 is refused up front, before 34 s of data generation and "Invalid typed array length"', () => {
    const estimate = estimateRun(validateConfig({ data: { d: 1_000_000 } }));
    const refusal = checkBudget(estimate, { ...BUDGET, force: true }) as Refusal;
    expectOneLine(refusal);
    expect(refusal).toMatchObject({ reason: 'total-memory', key: 'data.d', hard: true });
    expect(refusal.message).toMatch(/^data\.d = 1000000: the run needs about \d+ GB of memory/);
    // Without the machine's total: the wasm kernel's 4 GiB, still hard, still data.d (auto would
    // take the native kernel at this D where onnxruntime-node loads; ask for wasm).
    const wasm = hardLimitViolation(estimateRun(validateConfig({ data: { d: 1_000_000 }, train: { backend: 'wasm' } }))) as Refusal;
    expect(wasm).toMatchObject({ reason: 'wasm', key: 'data.d', hard: true });
    expectOneLine(wasm);
    // The reference kernel has no wasm memory: then the store's particle buffer (16 384 × D values) is too long an array.
    const reference = hardLimitViolation(estimateRun(validateConfig({ data: { d: 1_000_000 }, train: { backend: 'reference' } }))) as Refusal;
    expect(reference).toMatchObject({ reason: 'array', key: 'data.d', hard: true });
    expect(reference.message).toContain(`a typed array holds on Node ${process.versions.node}`);
    expectOneLine({ ...reference, message: `${reference.message} (about)` });
  });

  it('a width no machine holds is refused with model.width', () => {
    const refusal = checkBudget(estimateRun(validateConfig({ model: { width: 2_000_000_000 } })), { ...BUDGET, force: true }) as Refusal;
    expectOneLine(refusal);
    expect(refusal).toMatchObject({ hard: true, key: 'model.width' });
    // A parameter array longer than a typed array can be (reference kernel, no machine total given).
    const array = hardLimitViolation(estimateRun(validateConfig({ model: { width: 2_000_000_000 }, train: { backend: 'reference' }, log: { particles: { every: 0 } } }))) as Refusal;
    expect(array).toMatchObject({ reason: 'array', key: 'model.width' });
    // Over wasm32's 4 GiB (and the checkpoint's 4 GiB buffer) in either precision.
    const wasm = hardLimitViolation(estimateRun(validateConfig({ model: { width: 100_000_000 } }))) as Refusal;
    expect(wasm).toMatchObject({ reason: 'wasm', key: 'model.width' });
    expect(wasm.keys).not.toContain('train.precision');
    expect(hardLimitViolation(estimateRun(validateConfig({ model: { width: 100_000_000 }, train: { precision: 'f32' } })))).toMatchObject({ reason: 'array', key: 'model.width' });
  });

  it('a training set over the 4 GiB of wasm32 in f64 but not in f32: the refusal says so', () => {
    // (backend wasm: at D = 501 auto takes the native kernel, which keeps its data on the host.)
    const raw = { data: { d: 500, n: 1_200_000, nTest: 1000 }, model: { width: 64 }, train: { backend: 'wasm' } };
    const wasm = hardLimitViolation(estimateRun(validateConfig(raw))) as Refusal;
    expectOneLine(wasm);
    expect(wasm).toMatchObject({ reason: 'wasm', key: 'data.n', hard: true });
    expect(wasm.keys).toContain('train.precision');
    expect(hardLimitViolation(estimateRun(validateConfig({ ...raw, train: { backend: 'wasm', precision: 'f32' } })))).toBeNull();
    // The reference and native kernels keep their data on the host: no wasm limit.
    expect(hardLimitViolation(estimateRun(validateConfig({ ...raw, train: { backend: 'reference' } })))).toBeNull();
    expect(hardLimitViolation(estimateRun(validateConfig({ ...raw, train: { backend: 'native' } })))).toBeNull();
  });

  it('too much memory for this machine is a soft refusal below its total', () => {
    const estimate = estimateRun(validateConfig({ data: { d: 500, n: 1_000_000, nTest: 1000 }, model: { width: 64 } }));
    expect(estimate.memoryBytes).toBeGreaterThan(8e9);
    expect(estimate.memoryBytes).toBeLessThan(16e9);
    const refusal = checkBudget(estimate, BUDGET) as Refusal;
    expectOneLine(refusal);
    expect(refusal).toMatchObject({ reason: 'memory', key: 'data.n', hard: false });
    expect(refusal.message).toContain('50 % of the 16 GB available is 8 GB');
  });
});

describe('typical configs pass on a 16 GB / 50 GB machine', () => {
  it('the defaults, the README examples and a Fashion-MNIST-sized run', () => {
    const configs: Record<string, unknown>[] = [
      {},
      { data: { kind: 'teacher', d: 4, n: 256, nTest: 256 }, model: { parameterization: 'mean-field', init: { symmetric: true } }, train: { steps: 1000, lr: 0.5, precision: 'f32' }, log: { every: 20, particles: { every: 200, count: 64 }, ntk: { every: 200, probe: 32 } } },
      {
        data: { kind: 'idx', path: '/usr/share/datasets/fashion-mnist', standardize: true, inputScale: 0.0357 },
        model: { width: 4096, parameterization: 'mean-field', init: { symmetric: true } },
        loss: 'softmax',
        train: { integrator: 'sgd', batchSize: 100, epochs: 5, lr: 4, schedule: 'cosine', precision: 'f32' },
        log: { every: 600, particles: { every: 0 } },
      },
    ];
    for (const raw of configs) {
      const config = validateConfig(raw);
      for (const threads of [1, 16]) expect(checkBudget(estimateRun(config, { threads }), BUDGET)).toBeNull();
    }
    // The Fashion-MNIST run with its real sizes, as read from the files.
    const fashion = estimateRun(validateConfig(configs[2]), { sizes: { n: 60_000, nTest: 10_000, d: 784, k: 10 } });
    expect(fashion.shape).toMatchObject({ n: 60_000, D: 785, k: 10, stepSamples: 100, steps: 3000, nominal: false });
    expect(fashion.memoryBytes).toBeGreaterThan(1e9);
    expect(fashion.memoryBytes).toBeLessThan(4e9);
    expect(checkBudget(fashion, BUDGET)).toBeNull();
  });

  it('the default study and its quick version, at any worker count', () => {
    for (const study of [DEFAULT_STUDY, QUICK_DEFAULT_STUDY]) {
      const cells = expandGrid(study as unknown as Record<string, unknown>);
      for (const workers of [1, 4, 16]) expect(checkBudget(estimateSweep(cells, { workers }), BUDGET)).toBeNull();
    }
  });
});

describe('file data', () => {
  it('is nominal until the real sizes are given', () => {
    const config = validateConfig({ data: { kind: 'idx', path: '/data/mnist' }, loss: 'softmax' });
    const nominal = estimateRun(config);
    expect(nominal.shape).toMatchObject({ n: 60_000, nTest: 10_000, d: 784, k: 10, nominal: true });
    const real = estimateRun(config, {
      sizes: dataSizesOf({ train: { n: 1000, d: 784, x: new Float64Array(0), y: new Float64Array(0) }, test: { n: 100, d: 784, x: new Float64Array(0), y: new Float64Array(0) }, classes: 10 }, 'softmax'),
    });
    expect(real.shape).toMatchObject({ n: 1000, nTest: 100, d: 784, k: 10, nominal: false });
    expect(real.memoryBytes).toBeLessThan(nominal.memoryBytes);
    // A file's caps are its nominal size; its d is the file's, so data.d is never the key to change.
    const capped = validateConfig({ data: { kind: 'csv', path: 'x.csv', n: 2_000_000, d: 3000 } });
    const refusal = checkBudget(estimateRun(capped), BUDGET) as Refusal;
    expect(refusal.keys).not.toContain('data.d');
    expect(refusal.key).toBe('data.n');
  });
});

describe('a sweep', () => {
  const raw = { data: { d: 8, n: 512, nTest: 512 }, train: { steps: 2000 }, grid: { seed: ['0..9'] } };

  it('sums disk over its runs and holds the runs of its workers side by side', () => {
    const cells = expandGrid(raw);
    const one = estimateRun(cells[0].config);
    const sweep = estimateSweep(cells, { workers: 4 });
    expect(sweep.runs).toHaveLength(10);
    expect(sweep.runs[0].id).toBe('seed=0');
    const files = one.diskBytes - one.parts.disk.checkpointSwap;
    expect(sweep.diskBytes).toBeGreaterThan(10 * files);
    expect(sweep.diskBytes).toBeLessThan(10 * files + 4 * one.parts.disk.checkpointSwap + 20_000);
    const held = one.memoryBytes - one.parts.memory.runtime;
    expect(sweep.memoryBytes - sweep.parts.memory.runtime).toBeCloseTo(4 * held, -3);
    // 10 equal runs on 4 threads: 2.5 runs' time.
    expect(sweep.seconds).toBeCloseTo(2.5 * one.seconds, 3);
  });

  it('names the run that breaks a hard limit, and the grid for what the whole sweep writes', () => {
    const bad = expandGrid({ ...raw, grid: { 'model.width': [64, 100_000_000] } });
    const hard = checkBudget(estimateSweep(bad, { workers: 2 }), { ...BUDGET, force: true }) as Refusal;
    expect(hard.message).toMatch(/^model\.width=100000000: model\.width = 100000000: /);
    expect(hard).toMatchObject({ key: 'model.width', hard: true });
    const heavy = expandGrid({ ...raw, log: { every: 1 }, grid: { seed: ['0..999'] } });
    const disk = checkBudget(estimateSweep(heavy, { workers: 2 }), { ...BUDGET, freeDiskBytes: 1e9 }) as Refusal;
    expectOneLine(disk);
    expect(disk).toMatchObject({ reason: 'disk', key: 'log.every' });
    expect(disk.keys).toContain('grid');
    expect(disk.message).toContain("the sweep's 1000 runs would write about");
  });
});

describe('estimates against what a real run uses', () => {
  it('estimates the disk of a small real run within 2× of the files the store writes', async () => {
    const config = validateConfig({ data: { d: 2, n: 64, nTest: 64 }, model: { width: 64 }, train: { steps: 200 }, log: { every: 1, particles: { every: 10, count: 64 } } });
    const dir = tempDir('disk');
    await executeRun({ config, dir });
    const sizes = Object.fromEntries(readdirSync(dir).map((f) => [f, statSync(join(dir, f)).size]));
    const written = Object.values(sizes).reduce((s, v) => s + v, 0);
    const estimate = estimateRun(config);
    expect(estimate.shape).toMatchObject({ metricRows: 201, particleSnapshots: 21, particleRows: 21 * 64 });
    expect(estimate.diskBytes / written).toBeGreaterThan(0.5);
    expect(estimate.diskBytes / written).toBeLessThan(2);
    for (const [file, part] of [['metrics.arrows', 'metrics'], ['particles.arrows', 'particles'], ['checkpoint.arrow', 'checkpoint']] as const) {
      const ratio = estimate.parts.disk[part] / sizes[file];
      expect(ratio, file).toBeGreaterThan(0.5);
      expect(ratio, file).toBeLessThan(2);
    }
  });

  it('estimates the memory of a mid-size run within 3× of what it holds', async () => {
    // About 300 MB of data (train and test x, x̃ and the wasm kernel's copies): far above the noise
    // of the heap. Measured: the peak of external (ArrayBuffers and the wasm memory) + V8 heap
    // during the run, over its value before.
    const config = validateConfig({ data: { d: 200, n: 30_000, nTest: 30_000 }, model: { width: 256 }, train: { steps: 2 }, log: { every: 1, particles: { every: 0 } } });
    const held = () => {
      const u = process.memoryUsage();
      return u.external + u.heapUsed;
    };
    const before = held();
    let peak = before;
    await executeRun({ config, dir: tempDir('memory'), onProgress: () => (peak = Math.max(peak, held())) });
    const measured = peak - before;
    const estimate = estimateRun(config);
    const counted = estimate.memoryBytes - estimate.parts.memory.runtime;
    expect(counted).toBeGreaterThan(2e8);
    expect(counted / measured).toBeGreaterThan(1 / 3);
    expect(counted / measured).toBeLessThan(3);
  });
});

describe('freeResources', () => {
  it('measures the nearest existing ancestor of a directory not yet made', () => {
    const base = tempDir('free');
    const free = freeResources(join(base, 'study', 'model.width=64'));
    expect(free.diskPath).toBe(base);
    expect(free.freeDiskBytes).toBeGreaterThan(0);
    expect(free.freeMemoryBytes).toBeGreaterThan(0);
    expect(free.totalMemoryBytes).toBeGreaterThanOrEqual(free.freeMemoryBytes);
  });
});

describe('the log schedule', () => {
  it('counts the rows core logs: step 0, every multiple of log.every, particles.every and ntk.every, and the last step', () => {
    const shape = (log: Record<string, unknown>, steps: number) => estimateRun(validateConfig({ train: { steps }, log })).shape;
    expect(shape({ every: 10, particles: { every: 0 } }, 1000).metricRows).toBe(101);
    expect(shape({ every: 10, particles: { every: 0 } }, 1005).metricRows).toBe(102);
    expect(shape({ every: 10, particles: { every: 15 } }, 1000).metricRows).toBe(101 + 66 - 33);
    expect(shape({ every: 10, particles: { every: 15 } }, 1000).particleSnapshots).toBe(68);
    expect(shape({ every: 7, particles: { every: 0 } }, 0).metricRows).toBe(1);
    expect(DEFAULT_MAX_METRIC_ROWS).toBe(1_000_000);
  });
});
