/**
 * `@mflab/core/internal` — what sibling packages build engines from, and users need not see:
 * the shared-memory build of the wasm kernels (for @mflab/parallel's shard workers), the engine
 * base class, and the low-level layout helpers. Not a stable API: it changes with the engines.
 *
 * @packageDocumentation
 */
export { EngineBase } from './engine/engine.js';
export { TwoLayerEngineBase } from './engine/two-layer-engine.js';
export { EpochBatches, gatherRows } from './engine/batches.js';
export { sampleStride, writeSampleMinor } from './engine/wasm-kernel.js';
export {
  SHARED_MEMORY_BASE,
  SHARED_MEMORY_MAX_BYTES,
  createSharedWasmMemory,
  instantiateSharedWasmKernels,
  kernelsOf,
  type PrecisionKernels,
  type SharedWasmMemory,
  type WasmKernelExports,
} from './engine/wasm-module.js';
export {
  DEEP_BLOCK_SIZE,
  DeepBlockRunner,
  TS_BLOCK_KERNEL,
  allocateDeepStepBuffers,
  deltaBlock,
  deltaTopBlock,
  forwardBlock,
  gradientScratchLength,
  outputRows,
  ownedNeurons,
  sgdBlockUpdate,
  updateLayerBlock,
  updateOutputBlock,
  type BlockUpdate,
  type BlockUpdateCoefficients,
  type DeepBlockKernel,
  type DeepBlockStep,
  type DeepParamsOf,
  type DeepStepBuffers,
  type DeepUpdateCoefficients,
  type RealArray,
  type RealArrayConstructor,
} from './deep/blocks.js';
export type { StepAllocator } from './deep/engine.js';
