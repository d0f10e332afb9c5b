export {
  DEEP_MODEL_DEFAULTS,
  DEFAULT_INIT,
  DEFAULT_MODEL,
  describesDeepModel,
  equivalentWidth,
  hiddenWidths,
  isDeepModel,
  parameterCount,
  resolveModelSpec,
  twoLayerModel,
  widthOf,
  type DeepInitSpec,
  type DeepModelSpec,
  type InitSpec,
  type ModelSpec,
  type ModelSpecInput,
  type TwoLayerModelInput,
  type TwoLayerModelSpec,
} from './spec.js';
export { driveOf, scalingOf, type Scaling } from './scaling.js';
export { allocateParams, checkParams, cloneParams, copyParams, outputCount, type NetworkParams } from './params.js';
export { initParams } from './init.js';
export { augmentInputs, augmentInto, inputDimension, type AugmentedInputs } from './inputs.js';
