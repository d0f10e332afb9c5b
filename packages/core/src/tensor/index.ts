/**
 * The TensorFlow.js tensor backend of @mflab/core (float32): loading it — tfjs-node when it
 * loads, else tfjs-core with the wasm backend — for the tfjs step kernel (engine/tfjs-kernel.ts).
 */
export {
  loadTensorBackend,
  tensorBackendInfo,
  type LoadTensorBackendOptions,
  type TensorBackendInfo,
  type TensorBackendName,
} from './backend.js';
