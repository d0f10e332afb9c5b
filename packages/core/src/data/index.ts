/**
 * Datasets: the generated families (teacher, gaussian-mixture, stripe, checkerboard, circle),
 * CSV and Arrow files, and population samplers for online SGD.
 */
export { DATA_DEFAULTS, FILE_DATA_KINDS, checkerboardDelta, isClassificationKind, isFileKind, resolveDataSpec } from './spec.js';
export type { DataSpec, ResolvedDataSpec } from './spec.js';
export { evaluateTeacher, makeTeacher, teacherOf, teacherOutput } from './teacher.js';
export type { Teacher } from './teacher.js';
export { STRIPE_INTERVAL, makeDataset, makePopulationSampler } from './generators.js';
export { parseCsvDataset } from './csv.js';
export { parseArrowDataset } from './arrow.js';
export { loadDataset } from './load.js';
