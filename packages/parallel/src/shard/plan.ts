/**
 * How one step's work is split over workers. The split never changes a result: forward tiles
 * write per-(block, sample) partials whose values do not depend on the tiling, the reduce sums
 * blocks in block order for each sample, and the update of a neuron (or, data-sharded, the
 * gradient of a (block, sample block) tile) is computed by one worker from fixed inputs. So any
 * worker count gives the same bits — ARCHITECTURE.md §3's promise.
 */
import { SAMPLE_ALIGN } from './layout.js';

/** [start, end) of part `w` of `total` items cut into `parts` nearly equal pieces, on multiples of `align`. */
export function partRange(total: number, parts: number, w: number, align = 1): [number, number] {
  const cut = (k: number) => Math.min(total, Math.round((k * total) / parts / align) * align);
  return [cut(w), w === parts - 1 ? total : cut(w + 1)];
}

/** Forward tiles of one worker: (j0, j1, i0, i1) quadruples, flat. */
export function forwardTiles(m: number, blockSize: number, n: number, workers: number, w: number): Int32Array {
  const blocks = Math.ceil(m / blockSize);
  const tiles: number[] = [];
  if (blocks >= 2 * workers) {
    // Enough blocks: whole blocks per worker, every sample (x̃ streamed once per block).
    const [b0, b1] = partRange(blocks, workers, w);
    for (let blk = b0; blk < b1; blk++) tiles.push(blk * blockSize, Math.min(m, (blk + 1) * blockSize), 0, n);
  } else {
    // Few blocks: every block over this worker's slice of samples.
    const [i0, i1] = partRange(n, workers, w, SAMPLE_ALIGN);
    if (i1 > i0) for (let blk = 0; blk < blocks; blk++) tiles.push(blk * blockSize, Math.min(m, (blk + 1) * blockSize), i0, i1);
  }
  return Int32Array.from(tiles);
}

/** Gradient tiles of one worker in a data-sharded update: (j0, j1, sampleBlock) triples, flat. */
export function gradientTiles(m: number, blockSize: number, sampleBlocks: number, workers: number, w: number): Int32Array {
  const blocks = Math.ceil(m / blockSize);
  const [t0, t1] = partRange(blocks * sampleBlocks, workers, w);
  const tiles: number[] = [];
  for (let t = t0; t < t1; t++) {
    const blk = Math.floor(t / sampleBlocks);
    tiles.push(blk * blockSize, Math.min(m, (blk + 1) * blockSize), t % sampleBlocks);
  }
  return Int32Array.from(tiles);
}
