/**
 * The guard every writing command passes before it writes a byte: results are never overwritten
 * or mixed. A run or study directory knows what it holds (the config fingerprint in run.json and
 * study.json, fingerprint.ts), and
 * - a new or empty directory is written freely;
 * - a directory that holds results is continued only with `--resume`, and only when the configs'
 *   fingerprints agree (otherwise the differing keys are named); it is replaced only with
 *   `--overwrite`, which moves it aside (never deletes it);
 * - a directory that is not empty and not mflab's (a user's files, or a file) is never written;
 * - a symbolic link inside a study is refused by the store's `listRuns`.
 * Every refusal is an {@link OutputRefusedError}: one line, exit code 2, nothing written.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describeOutputDirectory, describeRunCounts, FILES, listRuns, moveAside, readRunInfo, runDirName, StoreError, type OutputDirectory } from '@mflab/store';
import type { GridCell } from '../config/grid.js';
import type { AppConfig } from '../config/schema.js';
import { UsageError } from '../errors.js';
import { configFingerprint, describeDifferences, differingKeys } from './fingerprint.js';

/** A command refused to write into a directory; nothing was written. Exit code 2. */
export class OutputRefusedError extends UsageError {
  override readonly name: string = 'OutputRefusedError';
}

/** What to do with a directory that already holds results. */
export interface OutputIntent {
  /** Continue what is there (when its config matches). */
  resume: boolean;
  /** Move what is there aside and start afresh. */
  overwrite: boolean;
}

const OPTIONS = 'continue it with --resume, replace it with --overwrite (the old one is moved aside, not deleted), or choose another --out';

function checkIntent(intent: OutputIntent): void {
  if (intent.resume && intent.overwrite) throw new OutputRefusedError('--resume and --overwrite exclude each other: continue the results, or move them aside and start again');
}

function refuseNonOwn(found: OutputDirectory, what: string): never {
  if (found.kind === 'not-a-directory') throw new OutputRefusedError(`--out ${found.path} is ${found.detail ?? 'not a directory'}; give a directory path for the ${what}`);
  throw new OutputRefusedError(`${found.path} is not empty and holds no mflab ${what} (${found.detail ?? 'other files'}); mflab writes only into a new or empty directory or its own results — choose another --out`);
}

/**
 * Before `mflab run` writes into `dir`: refuses a study, a foreign or non-directory path, and an
 * existing run without `--resume`/`--overwrite`; with `--overwrite` moves the run aside (the
 * returned note says where). Whether a resumed run's config matches is checked by
 * {@link assertRunMatches}, which `executeRun` calls itself.
 *
 * @example
 * prepareRunDirectory('runs/first', { resume: false, overwrite: false }); // null: a new directory
 */
export function prepareRunDirectory(dir: string, intent: OutputIntent): string | null {
  checkIntent(intent);
  const found = describeOutputDirectory(dir);
  switch (found.kind) {
    case 'absent':
    case 'empty':
      return null;
    case 'foreign':
    case 'not-a-directory':
      return refuseNonOwn(found, 'run');
    case 'study':
      throw new OutputRefusedError(`${found.path} is a study (${describeRunCounts(found.runs ?? {})}); \`mflab run\` writes one run directory — choose another --out (or use \`mflab sweep\`)`);
    case 'run':
      // A run that failed before its first step (a bad data file, say) holds no result: a corrected config may take its place.
      if (!holdsResults(found.path)) return null;
      if (intent.overwrite) return `the earlier run in ${found.path} was moved to ${moveAside(found.path)}`;
      if (!intent.resume) throw new OutputRefusedError(`${found.path} already holds a run (status ${found.status}); ${OPTIONS}`);
      return null;
  }
}

/**
 * Refuses (throws, before anything is written) when `dir` holds a run that `config` does not
 * continue: any run without `resume`, or a run of another config (the differing keys named).
 * Runs written before fingerprints existed are compared by their stored config.
 *
 * @example
 * assertRunMatches('runs/first', config, true); // passes when runs/first was written by the same config
 */
export function assertRunMatches(dir: string, config: AppConfig, resume: boolean): void {
  if (!holdsResults(dir)) return;
  let info;
  try {
    info = readRunInfo(dir);
  } catch (error) {
    throw new OutputRefusedError(`${dir} holds a run.json that is not mflab's (${error instanceof StoreError ? error.reason : String(error)}); choose another --out`);
  }
  if (!resume) throw new OutputRefusedError(`${dir} already holds a run (status ${info.status}); ${OPTIONS}`);
  const stored = typeof info.fingerprint === 'string' ? info.fingerprint : configFingerprint(info.config);
  if (stored === configFingerprint(config)) return;
  const keys = differingKeys(info.config, config);
  throw new OutputRefusedError(
    `${dir} holds a run of another config (${keys.length > 0 ? describeDifferences(info.config, config, keys) : 'its fingerprint differs'}); --resume continues only the same config — use --overwrite or another --out`,
  );
}

/**
 * Whether `dir` holds a run's results: a run.json, unless the run failed before its first logged
 * step (no metrics stream): such a directory holds only the error, and a new run may replace it.
 * A run.json that is not mflab's counts as results (someone's file: never replaced).
 */
export function holdsResults(dir: string): boolean {
  if (!existsSync(join(dir, FILES.runJson))) return false;
  const info = readRunInfoOrNull(dir);
  return info === null || info.status !== 'failed' || existsSync(join(dir, FILES.metrics));
}

/** What a study directory records about itself, to be compared on `--resume`. */
export interface StudyIdentity {
  /** The grid's axes (swept key paths), in order: the run directories' layout. */
  axes: string[];
  /** The fingerprint of the base config, the swept keys left out. */
  fingerprint: string;
  /** The config that fingerprint is of (to name differing keys later). */
  resultsConfig: unknown;
}

/** The identity of a study from its expanded grid (every cell shares the base config). */
export function studyIdentity(cells: readonly GridCell[]): StudyIdentity {
  const axes = Object.keys(cells[0]?.keys ?? {});
  const config = cells[0]?.config ?? {};
  return { axes, fingerprint: configFingerprint(config, axes), resultsConfig: config };
}

/** How a study command treats a directory that already holds a study. */
export interface StudyIntent extends OutputIntent {
  /** `mflab default`: continue silently when the study is the same (re-running it gives the same files). */
  resumeIfSame?: boolean;
}

/**
 * Before a sweep writes into `out`: the same rules as {@link prepareRunDirectory} for a study,
 * and with `--resume` every check that the study is the same one: the grid's axes, the base
 * config, and each existing run's config against its cell (all before anything is written). A
 * grid may grow on resume (more seeds, more widths): new cells run, the others are kept.
 * Returns a line for the log (or null), and whether the study is to be resumed.
 */
export function prepareStudyDirectory(out: string, cells: readonly GridCell[], intent: StudyIntent): { note: string | null; resume: boolean } {
  checkIntent(intent);
  const found = describeOutputDirectory(out);
  switch (found.kind) {
    case 'absent':
    case 'empty':
      return { note: null, resume: intent.resume };
    case 'foreign':
    case 'not-a-directory':
      return refuseNonOwn(found, 'study');
    case 'run':
      throw new OutputRefusedError(`${found.path} is a run directory (written by \`mflab run\`), not a study; choose another --out for the sweep`);
    case 'study':
      break;
  }
  const total = listRuns(found.path).filter((run) => holdsResults(run.dir)).length;
  if (intent.overwrite) return { note: total > 0 || existsSync(join(out, FILES.studyJson)) ? `the earlier study was moved to ${moveAside(found.path)}` : null, resume: false };
  if (total === 0) return { note: null, resume: intent.resume };
  const mismatch = studyMismatch(out, cells);
  if (!intent.resume) {
    if (intent.resumeIfSame && mismatch === null) return { note: `continuing the same study in ${found.path} (${describeRunCounts(found.runs ?? {})})`, resume: true };
    if (mismatch !== null) throw new OutputRefusedError(`${found.path} already holds a study of another config (${describeRunCounts(found.runs ?? {})}; ${mismatch}); replace it with --overwrite (the old one is moved aside, not deleted) or choose another --out`);
    throw new OutputRefusedError(`${found.path} already holds this study (${describeRunCounts(found.runs ?? {})}); ${OPTIONS}`);
  }
  if (mismatch !== null) throw new OutputRefusedError(`${found.path} holds a study of another config (${mismatch}); --resume continues only the same study — use --overwrite or another --out`);
  return { note: null, resume: true };
}

/** Why the study in `out` is not the one `cells` describe, or null when it is. */
function studyMismatch(out: string, cells: readonly GridCell[]): string | null {
  const identity = studyIdentity(cells);
  const stored = readStudyIdentity(out);
  if (stored !== null) {
    if (stored.axes.join('\0') !== identity.axes.join('\0')) return `grid axes ${stored.axes.join(', ') || '(none)'} → ${identity.axes.join(', ') || '(none)'}`;
    if (stored.fingerprint !== identity.fingerprint) {
      const keys = differingKeys(stored.resultsConfig, identity.resultsConfig, identity.axes);
      return keys.length > 0 ? describeDifferences(stored.resultsConfig, identity.resultsConfig, keys) : 'its fingerprint differs';
    }
  }
  // Each existing run against its cell: also catches studies written before fingerprints existed.
  const mismatched: string[] = [];
  let first: string | null = null;
  for (const cell of cells) {
    const dir = join(out, runDirOf(cell));
    if (!holdsResults(dir)) continue;
    try {
      assertRunMatches(dir, cell.config, true);
    } catch (error) {
      if (!(error instanceof OutputRefusedError)) throw error;
      mismatched.push(runDirOf(cell));
      if (first === null) {
        const info = readRunInfoOrNull(dir);
        const keys = info ? differingKeys(info.config, cell.config) : [];
        first = `${runDirOf(cell)}: ${keys.length > 0 ? describeDifferences(info?.config, cell.config, keys) : 'not readable as this cell'}`;
      }
    }
  }
  if (mismatched.length === 0) return null;
  return `${first}${mismatched.length > 1 ? `; ${mismatched.length - 1} more run${mismatched.length > 2 ? 's' : ''} differ` : ''}`;
}

function readRunInfoOrNull(dir: string) {
  try {
    return readRunInfo(dir);
  } catch {
    return null;
  }
}

/** The hive directory of a cell, as the sweep names it. */
const runDirOf = (cell: GridCell): string => runDirName(cell.keys);

function readStudyIdentity(out: string): StudyIdentity | null {
  const file = join(out, FILES.studyJson);
  if (!existsSync(file)) return null;
  try {
    const meta = JSON.parse(readFileSync(file, 'utf8')) as Partial<StudyIdentity>;
    if (!Array.isArray(meta.axes) || typeof meta.fingerprint !== 'string') return null;
    return { axes: meta.axes.map(String), fingerprint: meta.fingerprint, resultsConfig: meta.resultsConfig };
  } catch {
    return null;
  }
}

/** The marker `mflab reproduce` writes first into its output directory (before any result). */
export const REPRODUCE_MARKER = 'reproduce.json';

/**
 * Before `mflab reproduce` writes into `out`: a new or empty directory is used; one holding a
 * reproduction (its marker or claims.json) is replaced only with `--overwrite` (moved aside);
 * anything else is refused. Presets run their own loops, so there is no `--resume`.
 *
 * @example
 * prepareReproduceDirectory('mflab-out/reproduce/particles-2d', false); // null when new
 */
export function prepareReproduceDirectory(out: string, overwrite: boolean): string | null {
  const found = describeOutputDirectory(out);
  if (found.kind === 'absent' || found.kind === 'empty') return null;
  if (found.kind === 'not-a-directory') return refuseNonOwn(found, 'reproduction');
  const ours = existsSync(join(found.path, REPRODUCE_MARKER)) || existsSync(join(found.path, 'claims.json'));
  if (!ours) return refuseNonOwn({ ...found, kind: 'foreign' }, 'reproduction');
  if (!overwrite) throw new OutputRefusedError(`${found.path} already holds a reproduction; replace it with --overwrite (the old one is moved aside, not deleted) or choose another --out`);
  return `the earlier reproduction was moved to ${moveAside(found.path)}`;
}
