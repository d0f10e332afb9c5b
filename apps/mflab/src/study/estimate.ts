/**
 * What a run or a sweep will cost before it starts: memory, disk and time, from its config alone
 * (plus, for file data, the sizes read from the file's header when the caller has them), and the
 * checks that refuse a run that would not fit — issue "Never lose or mix results, and bounded
 * memory and disk on any input", case 8.
 *
 * - {@link estimateRun} / {@link estimateSweep}: the estimate with its breakdown (`parts`).
 * - {@link checkBudget}: `null`, or a one-line refusal naming the config key(s) to change. Soft
 *   refusals (a share of the free memory or disk, a time limit, a metrics row limit) can be
 *   overridden with `--force`; hard ones (an array larger than a typed array can be, a wasm32
 *   memory over 4 GiB, more memory than the machine has, steps the store cannot record) cannot:
 *   the run would fail anyway, after minutes or days. The CLI exits 2 on either.
 * - {@link freeResources}: free memory and disk of this machine (the only impure function).
 *
 * Everything here is an estimate ("about"): sizes are counted from what the engine, the kernels
 * and the store allocate (see the comments at each part), the time from a conservative
 * throughput model whose constants were measured (see {@link THROUGHPUT}).
 */
import { constants as bufferConstants } from 'node:buffer';
import { existsSync, statfsSync } from 'node:fs';
import { freemem, totalmem } from 'node:os';
import { dirname, resolve } from 'node:path';
import { DATA_DEFAULTS, DEFAULT_LOG, DEFAULT_MODEL, DEFAULT_TRAIN, NATIVE_BLOCK_SIZE, NATIVE_CACHE_BYTES, NATIVE_SAMPLE_CHUNK, equivalentWidth, hiddenWidths, isDeepModel, isFileKind, loadNativeRuntime, nativeStepIsFaster, tfjsStepIsFaster, widthOf, type DataSplit, type LossName, type Precision } from '@mflab/core';
import { SHARED_MEMORY_BASE, SHARED_MEMORY_MAX_BYTES, sampleStride } from '@mflab/core/internal';
import { DEFAULT_LARGE_TASK_COST } from '@mflab/parallel';
import { runDirName } from '@mflab/store';
import type { GridCell } from '../config/grid.js';
import type { AppConfig } from '../config/schema.js';
import { nominalDataSize } from '../config/validate.js';
import { PROCESS_BASE_MIB, THREAD_BASE_MIB } from './emit.js';
import { chooseEngine } from '@mflab/parallel';

const MiB = 1024 * 1024;

// ---------------------------------------------------------------------------------------------
// Constants

/**
 * Throughput of the GD/SGD step per thread, in pair·dims per second: one step visits
 * samples × width pairs and does O(D + k) work per pair (forward z = a·x̃ and f += b σ(z),
 * backward g_a += ⟨b, r⟩ x̃, g_b += r σ(z)), so time = samples · m · (D + k) / THROUGHPUT.
 *
 * Measured with `Simulation.step` (Node 20.20, the 2-core development VM, one thread) at
 * (n, d, m, k) = (256, 2, 16 384, 1), (256, 8, 16 384, 1), (1024, 16, 16 384, 1), (100, 784, 1024, 1),
 * (100, 784, 1024, 10) and (1000, 784, 1024, 10):
 * wasm f32 4.2–5.2 G pair·dim/s, wasm f64 2.1–2.5 G, reference 0.19–0.20 G (the pair·dim rate is
 * flat in D from d = 2 to 784, which is why it is the unit). These agree with STACK-NOTES
 * (fused f32 step 0.11–0.52 G pairs/s at small D ≈ 2 G pair·dim/s; ≈ 24 GFLOP/s per thread at
 * d = 784; plain JS 0.02–0.07 G pairs/s). The constants are half the measured rates: an estimate
 * that errs long, for slower or busier machines. tfjs is chosen (by `auto`) only where it was
 * measured faster than wasm, so it gets wasm f32's rate. The native kernel (ONNX Runtime GEMMs,
 * 4 flops per pair·dim with σ(Z) kept) ran at 60–85 GFLOP/s per thread in f32 at d = 784, ≈ 17 G
 * pair·dim/s; f64 at about half that.
 */
export const THROUGHPUT = {
  'native/f32': 8e9,
  'native/f64': 4e9,
  'wasm/f32': 2e9,
  'wasm/f64': 1e9,
  'tfjs/f32': 2e9,
  'reference/f64': 1e8,
} as const;

/** Each sharded worker beyond the first adds this fraction of one thread's throughput (barriers, memory bandwidth). */
export const SHARD_EFFICIENCY = 0.7;

/**
 * Plain-JS work on the host (observables' parameter statistics, particle copies, the NTK probe's
 * tangent kernel, data generation): values (multiply–adds) per second. The reference kernel —
 * plain JS over typed arrays — measured 0.2 G pair·dim/s; half again.
 */
export const HOST_VALUES_PER_SECOND = 1e8;

/** Writing the store's streams and checkpoints, with their Arrow encoding: the issue measured 6.3 GB of particles in 2 minutes (≈ 52 MB/s). */
export const DISK_BYTES_PER_SECOND = 50e6;

/** Process start, data generation bookkeeping, wasm compilation, the first log point. */
export const START_SECONDS = 1;

/**
 * The largest length of one typed array (elements) on this Node: 2^32 on Node 20
 * (`new Float64Array(2 ** 32 + 1)` throws "Invalid typed array length"); larger on Node ≥ 22.
 */
export const MAX_TYPED_ARRAY_LENGTH: number = bufferConstants.MAX_LENGTH;

/** A wasm32 linear memory addresses at most 4 GiB (65 536 pages): the wasm kernels' and the sharded engine's limit. */
export const WASM_MEMORY_MAX_BYTES: number = SHARED_MEMORY_MAX_BYTES;

/** The store's `step` columns are int32: no step beyond this can be recorded (the last step always is). */
export const MAX_STORED_STEP = 2 ** 31 - 1;

/** A run (or a sweep) estimated to take longer than this is refused unless forced: 7 days. */
export const DEFAULT_MAX_SECONDS = 7 * 24 * 3600;

/**
 * More metric rows than this are refused unless forced: ≈ 100 MB of metrics.arrows, more points
 * than any figure shows, and `mflab report` reads the whole stream into memory.
 */
export const DEFAULT_MAX_METRIC_ROWS = 1_000_000;

/** Default share of the free disk one run (or sweep) may fill. */
export const DEFAULT_DISK_FRACTION = 0.2;

/**
 * Default share of the available memory one run (or the runs a sweep holds at once) may take:
 * larger than the disk's, since memory comes back when the run ends.
 */
export const DEFAULT_MEMORY_FRACTION = 0.5;

// The store's layout (packages/store/src/trajectory-writer.ts, schema.ts, checkpoint.ts), measured
// on real runs: a metrics batch of 12 columns costs ≈ 650 bytes of framing, a particle batch
// ≈ 300, a stream's schema ≈ 650 bytes plus the config JSON in its metadata, a checkpoint's nine
// one-row batches and footer ≈ 3.9 kB, outputs.arrow's framing ≈ 450 bytes.
const METRICS_FLUSH_ROWS = 64;
const PARTICLE_BUFFER_ROWS = 16_384;
const FLUSH_SECONDS = 10;
const METRIC_BATCH_BYTES = 700;
const PARTICLE_BATCH_BYTES = 400;
const SCHEMA_BYTES = 1024;
const CHECKPOINT_FRAMING_BYTES = 4096;
const OUTPUTS_FRAMING_BYTES = 512;
const RUN_JSON_BYTES = 1024;
/** int32 step + float64 time + the 10 float64 observables (OBSERVABLE_COLUMNS). */
const METRIC_ROW_BYTES = 4 + 11 * 8;
/** The tfjs kernel's GEMM intermediates (core/src/tensor/chunks.ts: 4 Mi floats, a few at once). */
const TFJS_WORKSPACE_BYTES = 4 * 16 * MiB;
/** The wasm kernels' neuron block (WasmKernel and ShardedSimulation default). */
const WASM_BLOCK = 256;
/** Forward only (the log's outputs on the test set, and on the training set under SGD) costs about half a step per pair. */
const FORWARD_FRACTION = 0.5;
/** `data.kind: idx` without caps: the MNIST family (Fashion-MNIST, MNIST, KMNIST) stands in. */
const IDX_NOMINAL = { n: 60_000, nTest: 10_000, d: 784, k: 10 };

// ---------------------------------------------------------------------------------------------
// Types

/** Data sizes: training points, test points, input dimension d (before the bias), outputs k. */
export interface DataSizes {
  n: number;
  nTest: number;
  d: number;
  k: number;
}

export interface EstimateOptions {
  /**
   * The real data sizes, when known (file data after reading its header or loading it, see
   * {@link dataSizesOf}); missing fields come from the config. Without them a file's size is
   * nominal: its caps data.n/data.nTest/data.d/data.classes when written, else the MNIST family
   * (n 60 000, nTest 10 000, d 784, k 10) for `idx` and the generated defaults for csv/arrow/parquet.
   */
  sizes?: Partial<DataSizes>;
  /** Threads the run gets (`mflab run --workers`, a sweep's large runs); a shardable run is sharded over them. Default 1. */
  threads?: number;
}

/** Which step kernel the run will use (as `selectKernel` would pick it, TensorFlow.js loaded where it is preferred). */
export type KernelName = 'wasm' | 'native' | 'tfjs' | 'reference';

/** What the estimate was computed for. */
export interface RunShape {
  n: number;
  nTest: number;
  d: number;
  /** d + 1 with a bias. */
  D: number;
  k: number;
  m: number;
  /** Updates of the run (train.steps, or epochs · ⌊n/B⌋). */
  steps: number;
  /** Samples per step: n (full batch) or the SGD batch B. */
  stepSamples: number;
  sgd: boolean;
  /** Minibatch SGD over the finite training set (file data or train.epochs), rather than fresh samples. */
  finiteSgd: boolean;
  kernel: KernelName;
  precision: Precision;
  sharded: boolean;
  threads: number;
  metricRows: number;
  particleSnapshots: number;
  /** Neurons per snapshot: min(log.particles.count, width), 0 when off. */
  particleCount: number;
  particleRows: number;
  checkpoints: number;
  /** NTK probe size p (0 when the probe is off). */
  probe: number;
  ntkEvaluations: number;
  /** True when some size was not known exactly (file data without `sizes`). */
  nominal: boolean;
}

/** Memory parts, by what drives them (so that a refusal can name the key to change). */
export interface MemoryParts {
  /** The Node process (and pool / shard threads): a constant of the CLI, not of the config. */
  runtime: number;
  /** Training set: x and y, x̃ = (x, 1), the kernel's copy, the SGD batch, a file's parse buffers. */
  trainData: number;
  /** Test set: x and y, x̃, the kernel's copy, its outputs and outputs.arrow. */
  testData: number;
  /** w(t) and w(0) in float64 on the host and in the kernel's precision, the checkpoint's encoding, the particle subsample. */
  params: number;
  /** Per-sample outputs and residuals, kernel scratch, the sharded engine's per-block partial sums. */
  buffers: number;
  /** The trajectory writer's particle buffer (16 384 rows) and its encoded batch, a snapshot. */
  particles: number;
  /** The NTK probe: K(0), K(t) and the two p×p sums. */
  ntk: number;
}

export interface DiskParts {
  metrics: number;
  particles: number;
  checkpoint: number;
  /** The checkpoint's temporary copy while it is replaced atomically (peak disk, gone after). */
  checkpointSwap: number;
  outputs: number;
  /** run.json (and, for a sweep, study.json and index.arrow). */
  metadata: number;
}

export interface TimeParts {
  startup: number;
  data: number;
  steps: number;
  /** Each logged row: outputs on the test set (and the training set under SGD), parameter statistics. */
  logging: number;
  ntk: number;
  /** Particle snapshots: copies and their writes. */
  particles: number;
  checkpoints: number;
}

/** Memory, disk and time of one run or one sweep. */
export interface Estimate {
  /** Peak bytes held at once (for a sweep: by the runs that run side by side). */
  memoryBytes: number;
  /** Bytes written (peak: a checkpoint's temporary copy included). */
  diskBytes: number;
  /** Wall-clock seconds (about). */
  seconds: number;
  parts: { memory: MemoryParts; disk: DiskParts; time: TimeParts };
}

/** A hard limit's subject: one array or one wasm memory, and the keys that size it. */
export interface LargestArray {
  what: string;
  elements: number;
  /** What one element is: a float64 value or a byte. */
  unit: 'values' | 'bytes';
  keys: ConfigKey[];
}

export interface RunEstimate extends Estimate {
  kind: 'run';
  shape: RunShape;
  /** Linear memory of the wasm kernel or the sharded engine's shared memory (0 when neither runs). */
  wasmBytes: number;
  /** The part of wasmBytes that dominates (for the refusal's key). */
  wasmDriver: keyof MemoryParts;
  /** The longest typed array the run allocates. */
  largestArray: LargestArray;
  /** The config estimated (for the values quoted in messages). */
  config: AppConfig;
}

export interface SweepEstimate extends Estimate {
  kind: 'sweep';
  workers: number;
  /** Every run's own estimate, with its directory name (e.g. `model.width=256/seed=3`). */
  runs: { id: string; estimate: RunEstimate; large: boolean }[];
}

/** Config keys a refusal may name. */
export type ConfigKey =
  | 'data.n'
  | 'data.nTest'
  | 'data.d'
  | 'model.width'
  | 'train.steps'
  | 'train.epochs'
  | 'train.batchSize'
  | 'train.precision'
  | 'log.every'
  | 'log.particles.count'
  | 'log.particles.every'
  | 'log.ntk.every'
  | 'log.ntk.probe'
  | 'log.checkpointEvery'
  | 'grid';

/** Why a run or sweep is refused. `message` is one line, fit to print as is. */
export interface Refusal {
  message: string;
  /** The config key to change first. */
  key: ConfigKey;
  /** Every key that would help, `key` first. */
  keys: ConfigKey[];
  /** true: refused even with --force (the run could not complete). */
  hard: boolean;
  reason: 'steps' | 'array' | 'wasm' | 'total-memory' | 'memory' | 'disk' | 'rows' | 'time';
}

export interface Budget {
  /** Memory this process may still take (see {@link freeResources}). */
  freeMemoryBytes: number;
  /** Free bytes on the output directory's file system. */
  freeDiskBytes: number;
  /** The machine's (or cgroup's) memory: more than this is a hard refusal. Omit to skip that check. */
  totalMemoryBytes?: number;
  /** The directory the free disk was measured on (quoted in the message). */
  diskPath?: string;
  /** Share of the free disk allowed (default {@link DEFAULT_DISK_FRACTION}); also of the memory when `memoryFraction` is not given. */
  fraction?: number;
  /** Share of the available memory allowed (default {@link DEFAULT_MEMORY_FRACTION}, or `fraction` when that is given). */
  memoryFraction?: number;
  /** Longest wall-clock time allowed (default {@link DEFAULT_MAX_SECONDS}; Infinity: no limit). */
  maxSeconds?: number;
  /** Most metric rows allowed per run (default {@link DEFAULT_MAX_METRIC_ROWS}; Infinity: no limit). */
  maxMetricRows?: number;
  /** `--force`: only the hard limits are checked. */
  force?: boolean;
}

// ---------------------------------------------------------------------------------------------
// Units

/**
 * Bytes in SI units with 2 significant digits.
 * @example formatBytes(6.3e9) // "6.3 GB"; formatBytes(16e9) // "16 GB"; formatBytes(823_000) // "820 kB"
 */
export function formatBytes(bytes: number): string {
  if (!Number.isFinite(bytes)) return String(bytes);
  if (bytes < 1000) return `${Math.round(bytes)} B`;
  const units = ['kB', 'MB', 'GB', 'TB', 'PB', 'EB', 'ZB', 'YB'];
  let i = 0;
  let v = bytes / 1000;
  while (i < units.length - 1 && Number(v.toPrecision(2)) >= 1000) {
    v /= 1000;
    i++;
  }
  return `${formatSignificant(v)} ${units[i]}`;
}

/**
 * A duration in the largest fitting unit with 2 significant digits.
 * @example formatSeconds(42) // "42 s"; formatSeconds(2.8 * 3600) // "2.8 h"; formatSeconds(3e7) // "350 days"
 */
export function formatSeconds(seconds: number): string {
  if (!Number.isFinite(seconds)) return String(seconds);
  if (seconds < 90) return `${formatSignificant(Math.max(seconds, 0))} s`;
  if (seconds < 90 * 60) return `${formatSignificant(seconds / 60)} min`;
  if (seconds < 48 * 3600) return `${formatSignificant(seconds / 3600)} h`;
  if (seconds < 730 * 86400) return `${formatSignificant(seconds / 86400)} days`;
  return `${formatSignificant(seconds / (365.25 * 86400))} years`;
}

/** 2 significant digits, thousands grouped, never in exponent form below 1e21. */
function formatSignificant(v: number): string {
  const rounded = Number(v.toPrecision(2));
  return rounded >= 1000 ? rounded.toLocaleString('en-US') : String(rounded);
}

/** An integer as written in a config: plain below 10^10, else in exponent form with 3 significant digits (1e15, 1.64e10). */
function formatCount(v: number): string {
  if (Math.abs(v) < 1e10) return String(v);
  return Number(v.toPrecision(3)).toExponential().replace('e+', 'e');
}

// ---------------------------------------------------------------------------------------------
// Shape

/**
 * The data sizes of a loaded data set, for {@link EstimateOptions.sizes}: k is the number of
 * classes (multi-class data under softmax or square loss), else 1.
 * @example estimateRun(config, { sizes: dataSizesOf(await loadDataset(dataSpecOf(config), config.data.seed), config.loss) })
 */
export function dataSizesOf(data: Pick<DataSplit, 'train' | 'test' | 'classes'>, loss: LossName): DataSizes {
  return { n: data.train.n, nTest: data.test.n, d: data.train.d, k: data.classes !== undefined && loss !== 'logistic' ? data.classes : 1 };
}

function dataSizesFor(config: AppConfig, override: Partial<DataSizes> = {}): DataSizes & { nominal: boolean } {
  const { data } = config;
  const file = isFileKind(data.kind);
  const idx = data.kind === 'idx';
  const nominalSize = nominalDataSize(config);
  const n = override.n ?? (idx && data.n === undefined ? IDX_NOMINAL.n : nominalSize.n);
  const nTest = override.nTest ?? (idx && data.nTest === undefined ? IDX_NOMINAL.nTest : nominalSize.nTest);
  const d = override.d ?? data.d ?? (idx ? IDX_NOMINAL.d : DATA_DEFAULTS.d);
  const classes = data.classes ?? (idx ? IDX_NOMINAL.k : undefined);
  const k = override.k ?? (file && classes !== undefined && config.loss !== 'logistic' ? classes : 1);
  const nominal = file && (override.n === undefined || override.nTest === undefined || override.d === undefined || override.k === undefined);
  return { n, nTest, d, k, nominal };
}

/** Steps s in [1, T] that are a multiple of at least one of the periods (inclusion–exclusion). */
function multiplesUpTo(T: number, periods: readonly number[]): number {
  const ps = [...new Set(periods.filter((p) => p > 0))];
  let count = 0;
  for (let mask = 1; mask < 1 << ps.length; mask++) {
    let l = 1;
    let bits = 0;
    for (let i = 0; i < ps.length; i++) {
      if (mask & (1 << i)) {
        l = lcm(l, ps[i]);
        bits++;
      }
    }
    if (l <= T) count += (bits % 2 === 1 ? 1 : -1) * Math.floor(T / l);
  }
  return count;
}

function gcd(a: number, b: number): number {
  while (b > 0) [a, b] = [b, a % b];
  return a;
}

function lcm(a: number, b: number): number {
  return (a / gcd(a, b)) * b;
}

function shapeOf(config: AppConfig, options: EstimateOptions): RunShape {
  const sizes = dataSizesFor(config, options.sizes);
  const { n, nTest, d, k } = sizes;
  const { train, model, log } = config;
  const D = d + (model.bias ? 1 : 0);
  // A deep network costs about what a two-layer one with as many parameters does (per sample and step).
  const m = equivalentWidth(model, D, k);
  const deep = isDeepModel(model);
  const sgd = train.integrator === 'sgd';
  const finiteSgd = sgd && (isFileKind(config.data.kind) || train.epochs !== null);
  const batch = train.batchSize ?? n;
  const stepSamples = !sgd ? n : finiteSgd ? Math.min(n, batch) : batch;
  const steps = sgd && train.epochs !== null ? train.epochs * Math.max(1, Math.floor(n / Math.max(1, Math.min(n, batch)))) : train.steps;
  const threads = Math.max(1, Math.floor(options.threads ?? 1));
  // The engine createEngine will choose (one rule, @mflab/parallel's chooseEngine), on the nominal data shape.
  const sharded = chooseEngine(config, { train: { n }, sampler: isFileKind(config.data.kind) ? undefined : true }, threads) === 'sharded';
  // core's selectKernel/prepareKernel: auto → tfjs for f32 where it was measured faster (kernelShapeOf: n = the SGD batch), else wasm.
  const kernelN = sgd ? batch : n;
  let kernel: KernelName;
  // auto → native on GEMM-bound shapes where onnxruntime-node loads (single-thread and sharded alike).
  // Deep networks run on the reference model only (core's resolution refuses the others).
  if (deep) kernel = 'reference';
  else if (train.backend === 'native' || (train.backend === 'auto' && nativeStepIsFaster({ n: kernelN, D, m }) && loadNativeRuntime().ok)) kernel = 'native';
  else if (sharded || train.backend === 'wasm') kernel = 'wasm';
  else if (train.backend === 'reference') kernel = 'reference';
  else if (train.backend === 'tfjs') kernel = 'tfjs';
  else kernel = train.precision === 'f32' && tfjsStepIsFaster({ n: kernelN, D, m }) ? 'tfjs' : 'wasm';

  const pe = log.particles.every;
  const particleCount = pe > 0 && log.particles.count > 0 ? Math.min(log.particles.count, m) : 0;
  const particleSnapshots = pe > 0 ? (steps > 0 ? 2 + Math.floor((steps - 1) / pe) : 1) : 0;
  // core's LogSchedule: a row at step 0, at every multiple of log.every, of particles.every and of ntk.every below T, and at T.
  const metricRows = steps > 0 ? 2 + multiplesUpTo(steps - 1, [log.every, pe, log.ntk.every]) : 1;
  const ce = log.checkpointEvery;
  const checkpoints = (ce > 0 && steps > 0 ? Math.min(metricRows - 1, Math.floor((steps - 1) / ce)) : 0) + 1;
  const probe = log.ntk.every > 0 ? Math.min(log.ntk.probe, n) : 0;
  // K(0) once, then K(t) at step 0 and every multiple of ntk.every up to T.
  const ntkEvaluations = probe > 0 ? 2 + Math.floor(steps / log.ntk.every) : 0;
  return {
    n,
    nTest,
    d,
    D,
    k,
    m,
    steps,
    stepSamples,
    sgd,
    finiteSgd,
    kernel,
    precision: train.precision,
    sharded,
    threads,
    metricRows,
    particleSnapshots,
    particleCount,
    particleRows: particleSnapshots * particleCount,
    checkpoints,
    probe,
    ntkEvaluations,
    nominal: sizes.nominal,
  };
}

// ---------------------------------------------------------------------------------------------
// One run

function emptyMemory(): MemoryParts {
  return { runtime: 0, trainData: 0, testData: 0, params: 0, buffers: 0, particles: 0, ntk: 0 };
}

/** The wasm kernels' scratch for an input set of stride nPad (WasmKernel.ensureScratch): acc and r in T, out in float64, k rows. */
function wasmScratch(nPad: number, D: number, k: number, b: number): number {
  return k * nPad * (2 * b + 8) + 64 * D + 64 * k;
}

/**
 * Memory, disk and time of one run of `config` (every default filled in, as `validateConfig`
 * returns it). Pure: nothing is read or allocated. For file data pass `options.sizes` once the
 * file's sizes are known, else the estimate is nominal (see {@link EstimateOptions.sizes}).
 *
 * Memory counts what core's `Simulation` (or @mflab/parallel's `ShardedSimulation` when the run is
 * sharded), its kernel (wasm: w(t), w(0) and every input set in the run's precision, in its linear
 * memory; tfjs: float32 tensors, inputs twice; reference: the host arrays themselves), the
 * trajectory writer and the checkpoint's encoding allocate, plus the process itself; it is the
 * sum of everything, transient buffers included, so it errs high.
 *
 * @example
 * const estimate = estimateRun(validateConfig({ model: { width: 4096 }, train: { steps: 10_000 } }));
 * estimate.memoryBytes; // ≈ 2.7e8, of which the Node process itself (parts.memory.runtime) is 256 MiB
 * estimate.parts.disk.metrics; // ≈ 1.2e5 bytes: 1 001 rows
 * estimate.seconds; // ≈ 52 (wasm f64 at 1 G pair·dims/s: 10 000 steps of 256 × 4096 pairs × 4, plus the logging)
 */
export function estimateRun(config: AppConfig, options: EstimateOptions = {}): RunEstimate {
  const shape = shapeOf(config, options);
  const { n, nTest, d, D, k, m, steps, stepSamples, sgd, finiteSgd, kernel, sharded, threads } = shape;
  const b = shape.precision === 'f32' ? 4 : 8;
  const centered = config.model.centered;
  const bias = config.model.bias;
  const file = isFileKind(config.data.kind);
  const P = m * (D + k);
  const B = stepSamples;

  // --- memory -------------------------------------------------------------------------------
  const memory = emptyMemory();
  memory.runtime = PROCESS_BASE_MIB * MiB + (sharded ? THREAD_BASE_MIB * MiB * threads : 0);
  // Host data (core/src/data: x n×d and y in float64) and x̃ = (x, 1) (model/inputs.ts: a new n×D array with a bias).
  memory.trainData = n * (d + 1) * 8 + (bias ? n * D * 8 : 0);
  memory.testData = nTest * (d + 1) * 8 + (bias && nTest > 0 ? nTest * D * 8 : 0);
  // File loaders parse into growing column buffers / the decompressed file: about one more copy.
  if (file) memory.trainData += (n + nTest) * (d + 1) * 8;
  // w(0) and w(t) in float64 (initialParams, hostParams), the particle subsample's index permutation.
  memory.params = 2 * P * 8 + m * 4;
  // Per-sample vectors: outputs on both sets, residuals, f_{w(0)} when centered.
  memory.buffers = (n + nTest + 2 * B) * k * 8 + (centered ? (n + nTest + B) * k * 8 : 0);
  // Deep networks (core/src/deep/network.ts): the gradient and the kept pre-activations, activations and their gradients, per layer.
  if (isDeepModel(config.model)) memory.buffers += P * 8 + 3 * Math.max(B, n, nTest) * hiddenWidths(config.model).reduce((a, w) => a + w, 0) * 8;
  if (sgd) {
    // The batch x̃ and y on the host; finite SGD's epoch order.
    memory.trainData += B * D * 8 + B * 8 + (finiteSgd ? n * 8 : B * d * 8);
  }
  if (shape.probe > 0) memory.ntk = 4 * shape.probe * shape.probe * 8 + 4 * shape.probe * 8 + (sharded ? shape.probe * D * 8 : 0);

  // Kernel copies.
  const wasmParts = emptyMemory();
  if (sharded) {
    // parallel/src/shard/layout.ts planLayout (blockSize 256, no data sharding).
    const inputSet = (count: number) => {
      const nPad = sampleStride(count, b);
      return { nPad, bytes: D * nPad * b + nPad * k * 8 * (centered ? 2 : 1) };
    };
    const tr = inputSet(n);
    const te = nTest > 0 ? inputSet(nTest) : { nPad: 0, bytes: 0 };
    const ba = finiteSgd ? inputSet(B) : { nPad: 0, bytes: 0 };
    const nPadMax = Math.max(tr.nPad, te.nPad, ba.nPad);
    const stepPad = finiteSgd ? ba.nPad : tr.nPad;
    wasmParts.trainData = tr.bytes + ba.bytes + (finiteSgd ? ba.nPad * 8 : 0) + tr.nPad * 8;
    wasmParts.testData = te.bytes;
    wasmParts.params = 2 * P * b;
    wasmParts.buffers = SHARED_MEMORY_BASE + k * stepPad * b + Math.ceil(m / WASM_BLOCK) * nPadMax * k * 8 + threads * (k * nPadMax * b + 64 * D + 64 * k + 16);
  } else if (kernel === 'wasm') {
    // core/src/engine/wasm-kernel.ts: a bump allocator in the instance's own memory; scratch grows with each larger input set.
    const trPad = sampleStride(n, b);
    const tePad = nTest > 0 ? sampleStride(nTest, b) : 0;
    const baPad = sgd ? sampleStride(B, b) : 0;
    wasmParts.trainData = D * trPad * b + D * baPad * b;
    wasmParts.testData = D * tePad * b;
    wasmParts.params = 2 * P * b;
    wasmParts.buffers = SHARED_MEMORY_BASE + wasmScratch(trPad, D, k, b) + (tePad > trPad ? wasmScratch(tePad, D, k, b) : 0) + (baPad > Math.max(trPad, tePad) ? wasmScratch(baPad, D, k, b) : 0);
  } else if (kernel === 'tfjs') {
    // core/src/engine/tfjs-kernel.ts: float32 tensors; every input set kept as X̃ and X̃ᵀ row chunks; w(t), w(0) and an update's new copy.
    memory.trainData += 2 * (n + (sgd ? B : 0)) * D * 4;
    memory.testData += 2 * nTest * D * 4;
    memory.params += 3 * P * 4;
    memory.buffers += TFJS_WORKSPACE_BYTES;
  }
  if (kernel === 'native') {
    // core/src/engine/native-kernel.ts: x̃ feature-major in the run's precision and the
    // parameters; sharded, each worker copies the set its steps run on (ONNX Runtime cannot read
    // shared memory) and one sample chunk of the sets it evaluates. Then the kept σ(Z) blocks
    // (bounded) and ONNX Runtime's per-block intermediates (Z, σ(Z), B R: bs × chunk).
    const chunk = Math.min(NATIVE_SAMPLE_CHUNK, Math.max(n, nTest, B));
    const stepSet = D * (finiteSgd ? B : sgd ? B : n) * b;
    if (sharded) {
      memory.trainData += threads * (stepSet + D * chunk * b);
    } else {
      memory.trainData += D * (n + (sgd ? B : 0)) * b;
      memory.testData += D * nTest * b;
    }
    memory.params += 2 * P * b;
    memory.buffers += Math.min(B * m * b, NATIVE_CACHE_BYTES) + (sharded ? threads : 1) * 3 * NATIVE_BLOCK_SIZE * chunk * b;
  }
  const wasmBytes = wasmParts.trainData + wasmParts.testData + wasmParts.params + wasmParts.buffers;
  for (const key of ['trainData', 'testData', 'params', 'buffers'] as const) memory[key] += wasmParts[key];
  const wasmDriver = (['params', 'trainData', 'testData', 'buffers'] as const).reduce((best, key) => (wasmParts[key] > wasmParts[best] ? key : best), 'params' as keyof MemoryParts);

  // The checkpoint's Arrow file is encoded whole in memory (store/src/ipc.ts encodeArrowFile) from a float64 read-back.
  const checkpointFile = 2 * P * 8 + CHECKPOINT_FRAMING_BYTES;
  memory.params += checkpointFile;
  // outputs.arrow: a copy of f and the encoded table.
  const outputsFile = nTest * (4 + 8 * k + (k > 1 ? 4 : 0)) + OUTPUTS_FRAMING_BYTES;
  memory.testData += nTest * k * 8 + outputsFile;
  // Trajectory writer: 16 384 particle rows preallocated (zero pages: only the rows ever filled
  // count), one encoded batch at a flush, one snapshot.
  const particleRowBytes = 8 + (D + k) * b;
  if (shape.particleCount > 0) memory.particles = 2 * Math.min(PARTICLE_BUFFER_ROWS, shape.particleRows) * particleRowBytes + shape.particleCount * (D + k) * 8;
  const memoryBytes = sum(memory);

  // --- time ---------------------------------------------------------------------------------
  const rate = THROUGHPUT[`${kernel}/${kernel === 'reference' ? 'f64' : kernel === 'tfjs' ? 'f32' : shape.precision}` as keyof typeof THROUGHPUT] * (sharded ? 1 + SHARD_EFFICIENCY * (threads - 1) : 1);
  const configJson = JSON.stringify(config).length;
  const time: TimeParts = { startup: START_SECONDS, data: 0, steps: 0, logging: 0, ntk: 0, particles: 0, checkpoints: 0 };
  const generateCost = config.data.kind === 'teacher' || config.data.kind === 'circle' ? d * (2 + config.data.teacherWidth) : 2 * d;
  time.data = ((n + nTest) * (file ? 2 * (d + 1) : generateCost)) / HOST_VALUES_PER_SECOND + (bias ? ((n + nTest) * D) / HOST_VALUES_PER_SECOND : 0);
  time.steps = (steps * B * m * (D + k)) / rate + (sgd && !finiteSgd ? (steps * B * generateCost) / HOST_VALUES_PER_SECOND : 0);
  time.logging = shape.metricRows * ((FORWARD_FRACTION * (nTest + (sgd ? n : 0)) * m * (D + k)) / rate + (2 * P) / HOST_VALUES_PER_SECOND);
  const p = shape.probe;
  time.ntk = (shape.ntkEvaluations * (m * (2 * p * D + 2 * p * p) + p * p * D)) / HOST_VALUES_PER_SECOND;

  // --- disk ---------------------------------------------------------------------------------
  const secondsBeforeDisk = sum(time);
  const metricBatches = Math.ceil(shape.metricRows / METRICS_FLUSH_ROWS) + shape.checkpoints + Math.min(shape.metricRows, Math.floor(secondsBeforeDisk / FLUSH_SECONDS));
  const disk: DiskParts = { metrics: 0, particles: 0, checkpoint: 0, checkpointSwap: 0, outputs: 0, metadata: 0 };
  disk.metrics = SCHEMA_BYTES + configJson + shape.metricRows * METRIC_ROW_BYTES + metricBatches * METRIC_BATCH_BYTES + 8;
  if (shape.particleCount > 0) {
    const particleBatches = Math.ceil(shape.particleRows / PARTICLE_BUFFER_ROWS) + Math.min(shape.particleSnapshots, metricBatches);
    disk.particles = SCHEMA_BYTES + configJson + shape.particleRows * particleRowBytes + particleBatches * PARTICLE_BATCH_BYTES + 8;
  }
  disk.checkpoint = checkpointFile;
  disk.checkpointSwap = checkpointFile;
  disk.outputs = outputsFile;
  disk.metadata = RUN_JSON_BYTES + configJson;
  const diskBytes = sum(disk);

  time.particles = (shape.particleRows * (D + k)) / HOST_VALUES_PER_SECOND + disk.particles / DISK_BYTES_PER_SECOND;
  time.checkpoints = (shape.checkpoints * checkpointFile) / DISK_BYTES_PER_SECOND;

  // --- the longest typed array -------------------------------------------------------------
  const dataKeys = (count: ConfigKey): ConfigKey[] => (file ? [count] : [count, 'data.d']);
  const arrays: LargestArray[] = [
    { what: 'the training inputs x̃ (n × (d+1))', elements: n * D, unit: 'values', keys: dataKeys('data.n') },
    { what: 'the test inputs x̃ (nTest × (d+1))', elements: nTest * D, unit: 'values', keys: dataKeys('data.nTest') },
    { what: 'the parameters a (width × (d+1))', elements: m * D, unit: 'values', keys: file ? ['model.width'] : ['model.width', 'data.d'] },
    { what: 'the encoded checkpoint (2 × width × (d+1+k) × 8 bytes)', elements: checkpointFile, unit: 'bytes', keys: file ? ['model.width'] : ['model.width', 'data.d'] },
    { what: 'a particle snapshot (count × (d+1))', elements: shape.particleCount * D, unit: 'values', keys: ['log.particles.count'] },
    {
      what: "the store's particle buffer (16 384 × (d+1); log.particles.every: 0 writes no particles)",
      elements: shape.particleCount > 0 ? PARTICLE_BUFFER_ROWS * D : 0,
      unit: 'values',
      keys: file ? ['log.particles.every'] : ['data.d'],
    },
    { what: 'the NTK probe kernel (probe²)', elements: p * p, unit: 'values', keys: ['log.ntk.probe'] },
  ];
  const largestArray = arrays.reduce((best, a) => (a.elements > best.elements ? a : best));
  time.logging += disk.metrics / DISK_BYTES_PER_SECOND;

  const seconds = sum(time);
  return { kind: 'run', memoryBytes, diskBytes, seconds, parts: { memory, disk, time }, shape, wasmBytes, wasmDriver, largestArray, config };
}

function sum(parts: object): number {
  return Object.values(parts as Record<string, number>).reduce((s, v) => s + v, 0);
}

// ---------------------------------------------------------------------------------------------
// A sweep

export interface SweepEstimateOptions {
  /** Pool threads (`mflab sweep --workers`). */
  workers: number;
  /** From which cost (n·m·steps) a run runs alone on every thread (default: the executor's, 2^36). */
  largeTaskCost?: number;
  /** Real data sizes, shared by every cell (file data; see {@link EstimateOptions.sizes}). */
  sizes?: Partial<DataSizes>;
}

/**
 * Memory, disk and time of a sweep over `cells` (the cells this process will run: all of them,
 * or a shard's). The rules follow @mflab/parallel's SweepExecutor: small runs go side by side, one
 * per pool thread; a large one (cost n·m·steps ≥ largeTaskCost) runs alone with every thread
 * (sharded when it can be). So:
 * - disk = the sum over the runs (plus, at peak, one checkpoint swap per run that can be running);
 * - memory = the process + one isolate per pool thread + the larger of (the `workers` largest small
 *   runs together, the largest large run alone) — at most workers × the largest run;
 * - time = the large runs one after another + the small runs' total / workers (but at least the
 *   longest small run).
 * A resumed sweep writes less than this (finished runs are skipped): the estimate counts every cell.
 *
 * @example
 * const cells = expandGrid(raw, path);
 * const estimate = estimateSweep(cells, { workers: 4 });
 * const refusal = checkBudget(estimate, { ...freeResources(out), force });
 */
export function estimateSweep(cells: readonly Pick<GridCell, 'keys' | 'config'>[], options: SweepEstimateOptions): SweepEstimate {
  const workers = Math.max(1, Math.floor(options.workers));
  const largeCost = options.largeTaskCost ?? DEFAULT_LARGE_TASK_COST;
  const runs = cells.map((cell) => {
    const small = estimateRun(cell.config, { sizes: options.sizes, threads: 1 });
    const { stepSamples, m, steps } = small.shape;
    const large = workers > 1 && stepSamples * m * Math.max(1, steps) >= largeCost;
    const estimate = large ? estimateRun(cell.config, { sizes: options.sizes, threads: workers }) : small;
    return { id: Object.keys(cell.keys).length > 0 ? runDirName(cell.keys) : '.', estimate, large };
  });
  const base = PROCESS_BASE_MIB * MiB + THREAD_BASE_MIB * MiB * workers;
  const withoutRuntime = (e: RunEstimate): MemoryParts => ({ ...e.parts.memory, runtime: 0 });
  // Memory: the `workers` largest small runs at once, or the largest large run alone.
  const smalls = runs.filter((r) => !r.large).map((r) => r.estimate).sort((x, y) => y.memoryBytes - x.memoryBytes).slice(0, workers);
  const smallParts = smalls.reduce((acc, e) => addParts(acc, withoutRuntime(e)), emptyMemory());
  const largest = runs.filter((r) => r.large).map((r) => r.estimate).reduce<RunEstimate | null>((best, e) => (best === null || e.memoryBytes > best.memoryBytes ? e : best), null);
  const largeParts = largest ? withoutRuntime(largest) : emptyMemory();
  const memory = sum(largeParts) > sum(smallParts) ? largeParts : smallParts;
  memory.runtime = base;
  // Disk: every run, one swap per run that may be running at once.
  const disk: DiskParts = { metrics: 0, particles: 0, checkpoint: 0, checkpointSwap: 0, outputs: 0, metadata: 0 };
  for (const r of runs) addParts(disk, { ...r.estimate.parts.disk, checkpointSwap: 0 });
  const swaps = runs.map((r) => r.estimate.parts.disk.checkpointSwap).sort((x, y) => y - x);
  disk.checkpointSwap = swaps.slice(0, workers).reduce((s, v) => s + v, 0);
  // study.json and index.arrow: a row per run.
  disk.metadata += 4096 + 512 * runs.length;
  // Time: large runs in sequence, small ones packed on the threads.
  const largeSeconds = runs.filter((r) => r.large).reduce((s, r) => s + r.estimate.seconds, 0);
  const smallSeconds = runs.filter((r) => !r.large).map((r) => r.estimate.seconds);
  const packed = Math.max(smallSeconds.reduce((s, v) => s + v, 0) / workers, ...smallSeconds, 0);
  const seconds = largeSeconds + packed;
  // Time parts: the runs' own parts, scaled to add up to the wall-clock estimate.
  const timeSum = runs.reduce((acc, r) => addParts(acc, r.estimate.parts.time), { startup: 0, data: 0, steps: 0, logging: 0, ntk: 0, particles: 0, checkpoints: 0 } as TimeParts);
  const total = sum(timeSum);
  const time = Object.fromEntries(Object.entries(timeSum).map(([key, v]) => [key, total > 0 ? (v * seconds) / total : 0])) as unknown as TimeParts;
  return { kind: 'sweep', memoryBytes: sum(memory), diskBytes: sum(disk), seconds, parts: { memory, disk, time }, workers, runs };
}

function addParts<T extends object>(into: T, add: T): T {
  const target = into as Record<string, number>;
  for (const [key, v] of Object.entries(add as Record<string, number>)) target[key] = (target[key] ?? 0) + v;
  return into;
}

// ---------------------------------------------------------------------------------------------
// Refusals

const RAISE: ReadonlySet<ConfigKey> = new Set(['log.every', 'log.particles.every', 'log.ntk.every', 'log.checkpointEvery']);

/** "lower A or raise B" for the keys, in order. */
function advice(keys: readonly ConfigKey[]): string {
  let verb = '';
  const words = keys.map((key) => {
    const next = key === 'grid' ? 'run fewer' : key === 'train.precision' ? 'use' : RAISE.has(key) ? 'raise' : 'lower';
    const word = `${next === verb ? '' : `${next} `}${key === 'grid' ? 'grid points' : key === 'train.precision' ? 'train.precision: f32' : key}`;
    verb = next;
    return word;
  });
  if (words.length <= 1) return words.join('');
  return `${words.slice(0, -1).join(', ')} or ${words[words.length - 1]}`;
}

/** The value of a key in a config, as a number (for the "data.d = 1000000: …" headline and the blame order). */
function valueOf(config: AppConfig, key: ConfigKey): number | null {
  switch (key) {
    case 'data.n':
      return config.data.n ?? null;
    case 'data.nTest':
      return config.data.nTest ?? null;
    case 'data.d':
      return config.data.d ?? null;
    case 'model.width':
      return widthOf(config.model);
    case 'train.steps':
      return config.train.steps;
    case 'log.every':
      return config.log.every;
    case 'log.particles.count':
      return config.log.particles.count;
    case 'log.particles.every':
      return config.log.particles.every;
    case 'log.ntk.probe':
      return config.log.ntk.probe;
    default:
      return null;
  }
}

/** Typical values: a key far above its typical value (below, for an `every`) is the likelier cause. */
const TYPICAL: Partial<Record<ConfigKey, number>> = {
  'data.n': DATA_DEFAULTS.n,
  'data.nTest': DATA_DEFAULTS.nTest,
  'data.d': DATA_DEFAULTS.d,
  'model.width': DEFAULT_MODEL.width,
  'train.steps': DEFAULT_TRAIN.steps,
  'log.every': DEFAULT_LOG.every,
  'log.particles.count': DEFAULT_LOG.particles.count,
  'log.particles.every': DEFAULT_LOG.particles.every,
  'log.ntk.probe': DEFAULT_LOG.ntk.probe,
};

/** The keys ordered by how far their values are from typical (the likeliest cause first). */
function blame(config: AppConfig, keys: readonly ConfigKey[]): ConfigKey[] {
  const score = (key: ConfigKey) => {
    const v = valueOf(config, key);
    const typical = TYPICAL[key];
    if (v === null || typical === undefined || v <= 0) return 0;
    return RAISE.has(key) ? typical / v : v / typical;
  };
  return [...keys].map((key, i) => ({ key, i, s: score(key) })).sort((x, y) => y.s - x.s || x.i - y.i).map((x) => x.key);
}

function headline(config: AppConfig, key: ConfigKey): string {
  const v = valueOf(config, key);
  return v === null ? '' : `${key} = ${formatCount(v)}: `;
}

const MEMORY_LABEL: Record<keyof MemoryParts, string> = {
  runtime: 'runtime',
  trainData: 'training data',
  testData: 'test data',
  params: 'parameters',
  buffers: 'buffers',
  particles: 'particle buffer',
  ntk: 'NTK probe',
};

function memoryKeys(part: keyof MemoryParts, file: boolean): ConfigKey[] {
  const d: ConfigKey[] = file ? [] : ['data.d'];
  const keys: Record<keyof MemoryParts, ConfigKey[]> = {
    runtime: [],
    trainData: ['data.n', ...d],
    testData: ['data.nTest', ...d],
    params: ['model.width', ...d],
    buffers: ['model.width', 'data.n'],
    particles: ['log.particles.count'],
    ntk: ['log.ntk.probe'],
  };
  return keys[part];
}

/** A sweep's memory keys: those of its largest part, without data.d (its cells may differ in it). */
function sweepMemoryKeys(part: keyof MemoryParts): ConfigKey[] {
  return memoryKeys(part, true);
}

const DISK_KEYS: Record<keyof DiskParts, ConfigKey[]> = {
  metrics: ['log.every', 'train.steps'],
  particles: ['log.particles.count', 'log.particles.every'],
  checkpoint: ['model.width'],
  checkpointSwap: ['model.width'],
  outputs: ['data.nTest'],
  metadata: ['grid'],
};

const TIME_KEYS: Record<keyof TimeParts, ConfigKey[]> = {
  startup: ['grid'],
  data: ['data.n', 'data.nTest'],
  steps: ['train.steps', 'model.width'],
  logging: ['log.every', 'data.nTest'],
  ntk: ['log.ntk.every', 'log.ntk.probe'],
  particles: ['log.particles.every', 'log.particles.count'],
  checkpoints: ['log.checkpointEvery'],
};

/** The largest parts, as "name: 6.3 GB, name: 1.2 GB". */
function topParts<T extends object>(parts: T, label: (key: keyof T) => string, format: (v: number) => string, count = 2): string {
  const entries = (Object.entries(parts) as [keyof T & string, number][]).filter(([, v]) => v > 0).sort((x, y) => y[1] - x[1]).slice(0, count);
  return entries.map(([key, v]) => `${label(key)}: ${format(v)}`).join(', ');
}

function largestPart<T extends object>(parts: T, skip: readonly (keyof T)[] = []): keyof T {
  const entries = (Object.entries(parts) as [keyof T, number][]).filter(([key]) => !skip.includes(key));
  return entries.reduce((best, e) => (e[1] > best[1] ? e : best))[0];
}

function shortPath(path: string): string {
  return path.length <= 48 ? path : `…${path.slice(-47)}`;
}

function percent(fraction: number): string {
  return `${Number((fraction * 100).toPrecision(2))} %`;
}

function refusal(reason: Refusal['reason'], hard: boolean, text: string, keys: ConfigKey[]): Refusal {
  const unique = [...new Set(keys)];
  const fix = advice(unique);
  const message = `${text}${fix ? `: ${fix}` : ''}${hard ? '' : ', or pass --force'}`;
  return { message, key: unique[0] ?? 'grid', keys: unique, hard, reason };
}

/** The run's config key that sizes its data (file data's d is the file's). */
function isFileConfig(config: AppConfig): boolean {
  return isFileKind(config.data.kind);
}

/**
 * The limits no `--force` can lift, because the run would fail (after minutes or days) rather than
 * finish. In this order: a step the store's int32 `step` column cannot record; more memory than
 * the machine has (`totalMemoryBytes`, when given); a wasm32 linear memory over 4 GiB (the wasm
 * kernel, or the sharded engine's shared memory); one typed array longer than this Node allows
 * ({@link MAX_TYPED_ARRAY_LENGTH}). Returns the first one violated, or null. For a sweep, every
 * run is checked (the message starts with its directory name), then the memory of the runs that
 * run side by side.
 *
 * @example
 * hardLimitViolation(estimateRun(validateConfig({ data: { d: 1_000_000 } })), { totalMemoryBytes: 16e9 })?.message
 * // "data.d = 1000000: the run needs about 92 GB of memory (parameters: 49 GB, test data: 25 GB), more than the 16 GB this machine has: lower data.d or model.width"
 */
export function hardLimitViolation(estimate: RunEstimate | SweepEstimate, limits: { totalMemoryBytes?: number } = {}): Refusal | null {
  const total = limits.totalMemoryBytes;
  if (estimate.kind === 'run') return runHardLimit(estimate, total);
  for (const run of estimate.runs) {
    const found = runHardLimit(run.estimate, total);
    if (found) return { ...found, message: `${run.id}: ${found.message}` };
  }
  if (total !== undefined && estimate.memoryBytes > total) {
    const part = largestPart(estimate.parts.memory, ['runtime']);
    return refusal(
      'total-memory',
      true,
      `the runs of this sweep that run side by side (${estimate.workers} threads) need about ${formatBytes(estimate.memoryBytes)} of memory (${topParts(estimate.parts.memory, (k) => MEMORY_LABEL[k], formatBytes)}), more than the ${formatBytes(total)} this machine has; use fewer --workers`,
      [...sweepMemoryKeys(part), 'grid'],
    );
  }
  return null;
}

function runHardLimit(e: RunEstimate, totalMemoryBytes: number | undefined): Refusal | null {
  const { config, shape } = e;
  if (shape.steps > MAX_STORED_STEP) {
    const epochs = config.train.epochs !== null && shape.sgd;
    const stepsText = epochs ? `train.epochs = ${config.train.epochs} (${formatCount(shape.steps)} steps)` : `train.steps = ${formatCount(shape.steps)}`;
    return refusal('steps', true, `${stepsText}: beyond the ${MAX_STORED_STEP} steps the store's int32 step column can record (and about ${formatSeconds(e.seconds)} of training)`, [epochs ? 'train.epochs' : 'train.steps']);
  }
  if (totalMemoryBytes !== undefined && e.memoryBytes > totalMemoryBytes) {
    const part = largestPart(e.parts.memory, ['runtime']);
    const keys = blame(config, memoryKeys(part, isFileConfig(config)));
    return refusal(
      'total-memory',
      true,
      `${headline(config, keys[0])}the run needs about ${formatBytes(e.memoryBytes)} of memory (${topParts(e.parts.memory, (k) => MEMORY_LABEL[k], formatBytes)}), more than the ${formatBytes(totalMemoryBytes)} this machine has`,
      keys,
    );
  }
  if (e.wasmBytes > WASM_MEMORY_MAX_BYTES) {
    const keys = blame(config, memoryKeys(e.wasmDriver, isFileConfig(config)));
    const sizes = { n: shape.n, nTest: shape.nTest, d: shape.d, k: shape.k };
    const f32Fits = shape.precision === 'f64' && runHardLimit(estimateRun({ ...config, train: { ...config.train, precision: 'f32' } }, { sizes, threads: shape.threads }), undefined) === null;
    const engine = shape.sharded ? `the sharded engine's shared memory` : 'the wasm kernel';
    return refusal(
      'wasm',
      true,
      `${headline(config, keys[0])}${engine} needs about ${formatBytes(e.wasmBytes)} (mostly ${MEMORY_LABEL[e.wasmDriver]}), over the 4 GiB a wasm32 memory addresses`,
      f32Fits ? [...keys, 'train.precision'] : keys,
    );
  }
  const big = e.largestArray;
  if (big.elements > MAX_TYPED_ARRAY_LENGTH) {
    const keys = blame(config, big.keys);
    const size = big.unit === 'bytes' ? `one buffer of ${formatBytes(big.elements)}, over the ${formatBytes(MAX_TYPED_ARRAY_LENGTH)}` : `one array of ${formatCount(big.elements)} values, over the ${formatCount(MAX_TYPED_ARRAY_LENGTH)}`;
    return refusal('array', true, `${headline(config, keys[0])}${big.what} would be ${size} a typed array holds on Node ${process.versions.node}`, keys);
  }
  return null;
}

/**
 * Whether a run or a sweep fits: `null`, or a refusal with a one-line message (the estimate, the
 * budget, the config keys to change and — when it can be overridden — "or pass --force").
 * Checks, in order: the hard limits ({@link hardLimitViolation}, never lifted by `force`); then,
 * unless `force`: memory over `memoryFraction` of the available memory, disk over `fraction` of
 * the free disk, more metric rows than `maxMetricRows` in one run, and a time over `maxSeconds`.
 * Pure: the free resources are passed in (see {@link freeResources}).
 *
 * @example
 * const refusal = checkBudget(estimateRun(config, { threads }), { ...freeResources(dir), force: flags.force === true });
 * if (refusal) { process.stderr.write(`mflab run: ${refusal.message}\n`); return EXIT.usage; } // the message already names the key
 */
export function checkBudget(estimate: RunEstimate | SweepEstimate, budget: Budget): Refusal | null {
  const hard = hardLimitViolation(estimate, { totalMemoryBytes: budget.totalMemoryBytes });
  if (hard || budget.force) return hard;
  const sweep = estimate.kind === 'sweep';
  const config = estimate.kind === 'run' ? estimate.config : null;
  const file = config ? isFileConfig(config) : false;
  const subject = sweep ? `the sweep's ${estimate.runs.length} runs` : 'the run';

  const memoryFraction = budget.memoryFraction ?? budget.fraction ?? DEFAULT_MEMORY_FRACTION;
  const memoryAllowed = memoryFraction * budget.freeMemoryBytes;
  if (estimate.memoryBytes > memoryAllowed) {
    const part = largestPart(estimate.parts.memory, ['runtime']);
    const keys: ConfigKey[] = config ? blame(config, memoryKeys(part, file)) : [...sweepMemoryKeys(part), 'grid'];
    const who = sweep ? `the runs of this sweep that run side by side (${estimate.workers} threads) need` : `${config ? headline(config, keys[0]) : ''}the run needs`;
    return refusal(
      'memory',
      false,
      `${who} about ${formatBytes(estimate.memoryBytes)} of memory (${topParts(estimate.parts.memory, (k) => MEMORY_LABEL[k], formatBytes)}); ${percent(memoryFraction)} of the ${formatBytes(budget.freeMemoryBytes)} available is ${formatBytes(memoryAllowed)}${sweep ? '; use fewer --workers' : ''}`,
      keys,
    );
  }

  const diskFraction = budget.fraction ?? DEFAULT_DISK_FRACTION;
  const diskAllowed = diskFraction * budget.freeDiskBytes;
  if (estimate.diskBytes > diskAllowed) {
    const part = largestPart(estimate.parts.disk);
    const keys = [...DISK_KEYS[part], ...(sweep ? (['grid'] as const) : [])];
    const where = budget.diskPath ? ` on ${shortPath(budget.diskPath)}` : '';
    return refusal(
      'disk',
      false,
      `${subject} would write about ${formatBytes(estimate.diskBytes)} (${topParts(estimate.parts.disk, (k) => k, formatBytes)}); ${percent(diskFraction)} of the ${formatBytes(budget.freeDiskBytes)} free${where} is ${formatBytes(diskAllowed)}`,
      keys,
    );
  }

  const maxRows = budget.maxMetricRows ?? DEFAULT_MAX_METRIC_ROWS;
  const runs = estimate.kind === 'run' ? [{ id: '', estimate }] : estimate.runs;
  for (const run of runs) {
    const { shape, config: c } = run.estimate;
    if (shape.metricRows > maxRows) {
      const at = run.id ? `${run.id}: ` : '';
      return refusal(
        'rows',
        false,
        `${at}log.every = ${c.log.every} over ${formatCount(shape.steps)} steps logs ${formatCount(shape.metricRows)} metric rows (about ${formatBytes(run.estimate.parts.disk.metrics)}), over the limit of ${formatCount(maxRows)}`,
        ['log.every', 'train.steps'],
      );
    }
  }

  const maxSeconds = budget.maxSeconds ?? DEFAULT_MAX_SECONDS;
  if (estimate.seconds > maxSeconds) {
    const part = largestPart(estimate.parts.time);
    let keys: ConfigKey[] = [...TIME_KEYS[part]];
    if (config && config.train.epochs !== null && config.train.integrator === 'sgd') keys = keys.map((k) => (k === 'train.steps' ? 'train.epochs' : k));
    if (sweep) keys.push('grid');
    const basis = estimate.kind === 'run' ? ` at ${formatRate(estimate)}` : ` on ${estimate.workers} threads`;
    return refusal(
      'time',
      false,
      `${subject} would take about ${formatSeconds(estimate.seconds)} (${topParts(estimate.parts.time, (k) => k, formatSeconds)})${basis}, over the limit of ${formatSeconds(maxSeconds)}`,
      keys,
    );
  }
  return null;
}

function formatRate(e: RunEstimate): string {
  const { kernel, precision, sharded, threads } = e.shape;
  const p = kernel === 'reference' ? 'f64' : kernel === 'tfjs' ? 'f32' : precision;
  const rate = THROUGHPUT[`${kernel}/${p}` as keyof typeof THROUGHPUT] * (sharded ? 1 + SHARD_EFFICIENCY * (threads - 1) : 1);
  return `${formatSignificant(rate / 1e9)} G pair·dims/s (${kernel}/${p}, ${sharded ? `${threads} threads` : '1 thread'})`;
}

// ---------------------------------------------------------------------------------------------
// This machine

/** This machine's memory and the free disk where a run or study will be written. */
export interface FreeResources {
  /** Memory this process may still take: `process.availableMemory()` (cgroup-aware) where Node has it, else `os.freemem()`. */
  freeMemoryBytes: number;
  /** Physical memory, or the cgroup's limit when lower. */
  totalMemoryBytes: number;
  /** Bytes available to this user on the file system of `diskPath`. */
  freeDiskBytes: number;
  /** The nearest existing ancestor of the directory asked about (where statfs looked). */
  diskPath: string;
}

/**
 * Free memory and free disk for a run or study written to `dir` (which need not exist yet: the
 * nearest existing ancestor's file system is measured).
 * @example checkBudget(estimateRun(config), { ...freeResources('mflab-out/widths'), force: false })
 */
export function freeResources(dir: string): FreeResources {
  let path = resolve(dir);
  while (!existsSync(path) && dirname(path) !== path) path = dirname(path);
  const stats = statfsSync(path);
  const proc = process as NodeJS.Process & { availableMemory?: () => number; constrainedMemory?: () => number };
  const constrained = proc.constrainedMemory?.() ?? 0;
  const total = constrained > 0 && constrained < totalmem() ? constrained : totalmem();
  const available = proc.availableMemory?.() ?? freemem();
  return { freeMemoryBytes: Math.min(available, total), totalMemoryBytes: total, freeDiskBytes: Number(stats.bavail) * Number(stats.bsize), diskPath: path };
}
