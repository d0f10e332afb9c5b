/**
 * mflab — the app: the CLI's commands as a library (run, sweep, report, inspect), the config
 * schema, and the embedded studies.
 *
 * @packageDocumentation
 */
export { main } from './cli.js';
export { configSchema, type AppConfig, type AppConfigInput } from './config/schema.js';
export { ConfigError, validateConfig } from './config/validate.js';
export { readConfigFile } from './config/load.js';
export { expandGrid, type GridCell, type GridValue } from './config/grid.js';
export { executeRun, type RunOutcome, type RunRequest } from './study/run-one.js';
export { runSweep, type SweepRequest, type SweepSummary } from './study/sweep.js';
export { DEFAULT_STUDY, QUICK_DEFAULT_STUDY } from './studies/default.js';
export { checkClaims, writeClaims, type ClaimsFile } from './reproduce/claims.js';
export { PRESET_IDS, isPresetId, loadPreset, type PresetId } from './reproduce/registry.js';
export type { Claim, FigureRequest, Preset, PresetContext, PresetResult } from './reproduce/types.js';
export {
  fitPowerLaw,
  generateReport,
  type ExcludedRun,
  type Expectation,
  type GenerateReportOptions,
  type PowerLawFit,
  type ReportFigure,
  type ReportFit,
  type ReportResult,
  type SkippedFigure,
} from './report/index.js';
