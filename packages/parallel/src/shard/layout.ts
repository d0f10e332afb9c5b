import { InvalidInputError, type Precision } from '@mflab/core';
import { SHARED_MEMORY_BASE, SHARED_MEMORY_MAX_BYTES, sampleStride } from '@mflab/core/internal';
import type { InputSetLayout, ShardLayout, WorkerScratch } from './protocol.js';

/** Every buffer starts on a 16-byte boundary (v128 loads). */
const ALIGN = 16;
/** Sample counts are padded to the f32 SIMD width (a multiple of the f64 one). */
export const SAMPLE_ALIGN = 4;

export interface LayoutRequest {
  kernel: 'wasm' | 'native';
  precision: Precision;
  m: number;
  D: number;
  /** Outputs per sample (1: the scalar network). */
  k: number;
  nTrain: number;
  /** Finite-data SGD batch size, or 0 (steps run on the training set). */
  batchSize: number;
  nTest: number;
  blockSize: number;
  /** 0: the update is not data-sharded. */
  sampleBlockSize: number;
  centered: boolean;
  workers: number;
}

/** Lays out the shared memory of a sharded run (see ShardLayout); throws if it exceeds wasm32's 4 GiB. */
export function planLayout(req: LayoutRequest): ShardLayout {
  const S = req.precision === 'f32' ? 4 : 8;
  let top = SHARED_MEMORY_BASE;
  const take = (bytes: number) => {
    const at = top;
    top += Math.ceil(bytes / ALIGN) * ALIGN;
    return at;
  };
  const inputSet = (n: number): InputSetLayout => {
    // The single-thread engine's stride (odd cache lines: no L1 set conflicts between rows).
    const nPad = sampleStride(n, S);
    return { n, nPad, x: take(req.D * nPad * S), outputs: take(nPad * k * 8), centering: req.centered ? take(nPad * k * 8) : 0 };
  };
  const { m, D, k, blockSize } = req;
  const blocks = Math.ceil(m / blockSize);
  const train = inputSet(req.nTrain);
  const test = req.nTest > 0 ? inputSet(req.nTest) : null;
  const batch = req.batchSize > 0 ? inputSet(req.batchSize) : null;
  const batchY = batch ? take(batch.nPad * 8) : 0;
  const stepping = batch ?? train;
  const nPadMax = Math.max(train.nPad, test?.nPad ?? 0, batch?.nPad ?? 0);
  const a = take(m * D * S);
  const b = take(m * k * S);
  const a0 = take(m * D * S);
  const b0 = take(m * k * S);
  const y = take(train.nPad * 8);
  const residuals = take(k * stepping.nPad * S);
  const partialsStride = nPadMax * k * 8;
  const partials = take(blocks * partialsStride);
  const sampleBlocks = req.sampleBlockSize > 0 ? Math.ceil(stepping.n / req.sampleBlockSize) : 0;
  const gradients = sampleBlocks > 0 ? take(sampleBlocks * m * (k === 1 ? D + 1 : k + D) * 8) : 0;
  const scratch: WorkerScratch[] = [];
  for (let w = 0; w < req.workers; w++) scratch.push({ acc: take(k * nPadMax * S), ga: take(4 * D * 16), gb: k > 1 ? take(4 * k * 16) : 0, coef: take(16) });
  if (top > SHARED_MEMORY_MAX_BYTES) {
    const gib = (top / 2 ** 30).toFixed(1);
    throw new InvalidInputError(
      'model.width',
      `a sharded run of this size needs ${gib} GiB of shared memory, more than the 4 GiB a wasm32 memory can address; use fewer neurons or samples, a larger blockSize, or f32`,
    );
  }
  return {
    kernel: req.kernel,
    precision: req.precision,
    bytesPerValue: S,
    m,
    D,
    k,
    blockSize,
    blocks,
    train,
    test,
    batch,
    batchY,
    a,
    b,
    a0,
    b0,
    y,
    residuals,
    partials,
    partialsStride,
    sampleBlockSize: req.sampleBlockSize,
    sampleBlocks,
    gradients,
    scratch,
    totalBytes: top,
  };
}
