/**
 * @mflab/store — the Arrow trajectory store (ARCHITECTURE §5): streaming writers for a run's
 * metrics and particle snapshots, atomic checkpoints and exact resume, the study index and lock,
 * lazy readers, and Parquet/CSV export. It stores what the caller gives it and depends on
 * apache-arrow (and parquet-wasm for export) only.
 */
export { InvalidInputError, MflabError, StoreError, type ErrorKind } from './errors.js';
export {
  COLUMNS,
  CHECKPOINT_COLUMNS,
  DEEP_OBSERVABLES,
  FILES,
  FORMAT_VERSION,
  INDEX_COLUMNS,
  LAYER_OBSERVABLES,
  META,
  OBSERVABLES,
  OUTPUT_COLUMNS,
  checkpointSchema,
  layerListType,
  metricsSchema,
  outputsSchema,
  particlesSchema,
  type FileKind,
  type Precision,
} from './schema.js';
export { writeFileAtomic } from './atomic.js';
export { writeOutputs } from './outputs.js';
export { TrajectoryWriter, type ParticleSnapshot, type TrajectoryWriterOptions } from './trajectory-writer.js';
export {
  readCheckpoint,
  readCheckpointFile,
  writeCheckpoint,
  type CheckpointParams,
  type CheckpointState,
  type LayeredParams,
  type NetworkParams,
  type StoredCheckpoint,
} from './checkpoint.js';
export {
  parseRunDirName,
  readRunInfo,
  runDirName,
  updateRunInfo,
  writeRunInfo,
  type KeyValue,
  type RunInfo,
  type RunStatus,
} from './run-dir.js';
export { acquireLock, type Lock, type LockOptions } from './lock.js';
export {
  buildIndex,
  listRuns,
  matchesFilter,
  readIndex,
  rebuildIndex,
  withStudyLock,
  type KeyFilter,
  type ReadIndexOptions,
  type RunEntry,
} from './study.js';
export { describeOutputDirectory, describeRunCounts, moveAside, type OutputDirectory, type OutputDirectoryKind } from './output-dir.js';
export { RunReader, StudyReader, openRun, openStudy, type StepFilter } from './readers.js';
export { StreamFile, readArrowFile, type StreamBatch, type StreamTail } from './ipc.js';
export { exportCsv, exportParquet, type BatchSource, type ParquetOptions } from './export.js';
