export { DEFAULT_INIT, DEFAULT_MODEL, resolveModelSpec, type InitSpec, type ModelSpec, type ModelSpecInput } from './spec.js';
export { driveOf, scalingOf, type Scaling } from './scaling.js';
export { allocateParams, checkParams, cloneParams, copyParams, outputCount, type NetworkParams } from './params.js';
export { initParams } from './init.js';
export { augmentInputs, augmentInto, inputDimension, type AugmentedInputs } from './inputs.js';
