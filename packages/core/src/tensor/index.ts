/**
 * The TensorFlow.js tensor backend of @mflab/core: GEMM-shaped work (empirical tangent kernel
 * Gram matrices, the analytic kernels of eq. (4) on grids, large-D forward and backward passes)
 * in float32, on tfjs-node when it loads, else tfjs-core with the wasm backend.
 */
export {
  loadTensorBackend,
  tensorBackendInfo,
  type LoadTensorBackendOptions,
  type TensorBackendInfo,
  type TensorBackendName,
} from './backend.js';
export { tensorForward, tensorForwardBackward, type TensorGradients } from './forward.js';
export { tensorReluKernelGram } from './relu-kernels.js';
export { tensorTangentKernel } from './tangent-kernel.js';
