/**
 * Datasets: the generated families (teacher, gaussian-mixture, stripe, checkerboard, circle),
 * CSV, Arrow and Parquet files, IDX (MNIST-format) directories, and population samplers for
 * online SGD.
 */
export { DATA_DEFAULTS, FILE_DATA_KINDS, checkerboardDelta, isClassificationKind, isFileKind, resolveDataSpec } from './spec.js';
export type { DataSpec, IdxFileNames, ResolvedDataSpec } from './spec.js';
export { evaluateTeacher, makeTeacher, teacherOf, teacherOutput } from './teacher.js';
export type { Teacher } from './teacher.js';
export { STRIPE_INTERVAL, makeDataset, makePopulationSampler } from './generators.js';
export { parseCsvDataset } from './csv.js';
export { parseArrowDataset } from './arrow.js';
export { parseParquetDataset } from './parquet.js';
export { IDX_FILE_NAMES, IDX_TYPES, parseIdx, parseIdxDataset, parseIdxHeader } from './idx.js';
export type { IdxFile, IdxFiles, IdxHeader } from './idx.js';
export { standardizeSplit } from './columns.js';
export type { FileDataOptions, Standardization } from './columns.js';
export { inputMemoryBudget, loadDataset } from './load.js';
export type { LoadOptions } from './load.js';
export { quoteValue } from './columns.js';
