/**
 * The study level: a directory of hive-style run directories, a lock so that two processes
 * writing one study do not corrupt it, and `index.arrow` (one row per run: swept keys, status,
 * final observables). The index is derived data: it is rebuilt from the run directories whenever
 * they changed since it was written (a fingerprint of their sizes and mtimes is kept in its
 * metadata), so a crash can leave it stale on disk but never makes a reader see it wrong.
 */
import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import {
  Bool,
  Float64,
  Int32,
  RecordBatch,
  Schema,
  Table,
  Utf8,
  vectorFromArray,
  type DataType,
  type Vector,
} from 'apache-arrow';
import { removeStaleTemps, writeFileAtomic } from './atomic.js';
import { StoreError, errnoCode, fsError } from './errors.js';
import { encodeArrowFile, readArrowFile, StreamFile } from './ipc.js';
import { acquireLock } from './lock.js';
import { parseRunDirName, readRunInfo, type KeyValue } from './run-dir.js';
import { COLUMNS, FILES, FORMAT_VERSION, INDEX_COLUMNS, INDEX_FINGERPRINT, META } from './schema.js';

/** A run found in a study. */
export interface RunEntry {
  /** Absolute (or study-relative as given) path of the run directory. */
  dir: string;
  /** Path relative to the study, hive style (`width=1024/seed=3`), with `/` separators. */
  relative: string;
  /** The swept keys parsed from {@link relative}. */
  keys: Record<string, KeyValue>;
}

/**
 * Selects runs by swept keys: a value (compared as printed in the directory name), a list of
 * accepted values, or a predicate. `{ 'model.width': [64, 256], seed: (s) => Number(s) < 3 }`.
 */
export type KeyFilter = Readonly<Record<string, KeyValue | readonly KeyValue[] | ((value: KeyValue) => boolean)>>;

/** Whether a run's keys pass a filter (a key the run lacks never matches). */
export function matchesFilter(keys: Readonly<Record<string, KeyValue>>, filter: KeyFilter | undefined): boolean {
  if (filter === undefined) return true;
  for (const [key, want] of Object.entries(filter)) {
    if (!(key in keys)) return false;
    const have = keys[key];
    if (typeof want === 'function') {
      if (!want(have)) return false;
    } else if (Array.isArray(want)) {
      if (!want.some((w) => String(w) === String(have))) return false;
    } else if (String(want) !== String(have)) return false;
  }
  return true;
}

/**
 * Finds the run directories of a study (directories holding `run.json`), sorted by relative
 * path so every reader sees the same order. Hidden directories are skipped; a run directory's
 * own subdirectories are not searched; a symbolic link to a directory inside the study is refused
 * with a {@link StoreError} of code `ELINK` (see output-dir.ts).
 */
export function listRuns(studyDir: string, filter?: KeyFilter): RunEntry[] {
  let stat: fs.Stats;
  try {
    stat = fs.statSync(studyDir);
  } catch (err) {
    throw fsError(studyDir, 'open study directory', err);
  }
  if (!stat.isDirectory()) throw new StoreError(studyDir, 'not a directory, expected a study directory', { code: 'ENOTDIR' });
  const out: RunEntry[] = [];
  const walk = (dir: string, rel: string) => {
    if (fs.existsSync(path.join(dir, FILES.runJson))) {
      const keys = parseRunDirName(rel);
      if (matchesFilter(keys, filter)) out.push({ dir, relative: rel === '' ? '.' : rel, keys });
      return;
    }
    let names: fs.Dirent[];
    try {
      names = fs.readdirSync(dir, { withFileTypes: true });
    } catch (err) {
      throw fsError(dir, 'list directory', err);
    }
    for (const d of names) {
      if (d.name.startsWith('.')) continue;
      if (d.isSymbolicLink()) refuseLinkedRun(path.join(dir, d.name));
      if (!d.isDirectory()) continue;
      walk(path.join(dir, d.name), rel === '' ? d.name : `${rel}/${d.name}`);
    }
  };
  walk(studyDir, '');
  out.sort((x, y) => (x.relative < y.relative ? -1 : x.relative > y.relative ? 1 : 0));
  return out;
}

/**
 * A link inside a study that is (or may be) a run directory is refused rather than skipped or
 * followed: skipping made reports drop the cell silently, following made `sweep --resume` write a
 * run's files outside the study. A dangling hive-named link counts too (a write would go through it).
 */
function refuseLinkedRun(link: string): void {
  let target: fs.Stats | null = null;
  try {
    target = fs.statSync(link);
  } catch {
    target = null;
  }
  if ((target !== null && target.isDirectory()) || (target === null && path.basename(link).includes('='))) {
    throw new StoreError(link, 'is a symbolic link; mflab does not follow links inside a study (move the run directory itself here, or remove the link)', { code: 'ELINK' });
  }
}

/**
 * Runs `fn` holding the study lock (`.study.lock`), waiting up to `timeoutMs` for another
 * process. Use it around anything that writes study-level files.
 */
export function withStudyLock<T>(studyDir: string, fn: () => T, timeoutMs = 30_000): T {
  try {
    fs.mkdirSync(studyDir, { recursive: true });
  } catch (err) {
    throw fsError(studyDir, 'create study directory', err);
  }
  const lock = acquireLock(path.join(studyDir, FILES.studyLock), { timeoutMs, what: 'study' });
  try {
    return fn();
  } finally {
    lock.release();
  }
}

const FINGERPRINT = INDEX_FINGERPRINT;

function fileStamp(file: string): string {
  try {
    const s = fs.statSync(file);
    return `${s.size}:${s.mtimeMs}`;
  } catch (err) {
    if (errnoCode(err) === 'ENOENT') return '-';
    throw fsError(file, 'stat', err);
  }
}

/** A digest of what the index is derived from: the runs' run.json and metrics stream stamps. */
function studyFingerprint(runs: readonly RunEntry[]): string {
  const h = createHash('sha256');
  for (const r of runs) h.update(`${r.relative}\0${fileStamp(path.join(r.dir, FILES.runJson))}\0${fileStamp(path.join(r.dir, FILES.metrics))}\n`);
  return h.digest('hex');
}

interface IndexRow {
  run: string;
  keys: Record<string, KeyValue>;
  status: string | null;
  error: string | null;
  step: number | null;
  time: number | null;
  finals: Map<string, number>;
}

function indexRow(run: RunEntry): IndexRow {
  const row: IndexRow = { run: run.relative, keys: run.keys, status: null, error: null, step: null, time: null, finals: new Map() };
  try {
    const info = readRunInfo(run.dir);
    row.status = info.status;
    row.error = typeof info.error === 'string' ? info.error : null;
  } catch (err) {
    row.error = err instanceof Error ? err.message : String(err);
    return row;
  }
  const metrics = path.join(run.dir, FILES.metrics);
  if (!fs.existsSync(metrics)) return row;
  let sf: StreamFile | undefined;
  try {
    sf = StreamFile.open(metrics, 'metrics');
    const last = sf.lastBatch();
    if (last !== null && last.numRows > 0) {
      const i = last.numRows - 1;
      for (const field of last.schema.fields) {
        const v = last.getChild(field.name)?.get(i) as number;
        if (field.name === COLUMNS.step) row.step = v;
        else if (field.name === COLUMNS.time) row.time = v;
        // Per-layer list columns (deep networks) stay in metrics.arrows: the index holds scalars.
        else if (typeof v === 'number') row.finals.set(field.name, v);
      }
    }
  } catch (err) {
    row.error ??= err instanceof Error ? err.message : String(err);
  } finally {
    sf?.close();
  }
  return row;
}

function keyColumn(values: (KeyValue | undefined)[]): Vector {
  const present = values.filter((v): v is KeyValue => v !== undefined);
  const type: DataType = present.every((v) => typeof v === 'number')
    ? present.every((v) => Number.isInteger(v) && Math.abs(v as number) < 2 ** 31)
      ? new Int32()
      : new Float64()
    : present.every((v) => typeof v === 'boolean')
      ? new Bool()
      : new Utf8();
  const cells = values.map((v) => (v === undefined ? null : type instanceof Utf8 ? String(v) : v));
  return vectorFromArray(cells as never[], type);
}

/** Builds the index table of a study from its run directories (no lock, no write). */
export function buildIndex(studyDir: string, runs: readonly RunEntry[] = listRuns(studyDir), fingerprint = studyFingerprint(runs)): Table {
  const rows = runs.map(indexRow);
  const keyNames: string[] = [];
  const obsNames: string[] = [];
  for (const r of rows) {
    for (const k of Object.keys(r.keys)) if (!keyNames.includes(k)) keyNames.push(k);
    for (const k of r.finals.keys()) if (!obsNames.includes(k)) obsNames.push(k);
  }
  const fixed: string[] = [...Object.values(INDEX_COLUMNS), ...obsNames];
  const columns: Record<string, Vector> = {};
  columns[INDEX_COLUMNS.run] = vectorFromArray(rows.map((r) => r.run), new Utf8());
  for (const k of keyNames) {
    if (fixed.includes(k)) throw new StoreError(studyDir, `swept key '${k}' collides with an index column`);
    columns[k] = keyColumn(rows.map((r) => r.keys[k]));
  }
  columns[INDEX_COLUMNS.status] = vectorFromArray(rows.map((r) => r.status) as never[], new Utf8());
  columns[INDEX_COLUMNS.error] = vectorFromArray(rows.map((r) => r.error) as never[], new Utf8());
  columns[COLUMNS.step] = vectorFromArray(rows.map((r) => r.step) as never[], new Int32());
  columns[COLUMNS.time] = vectorFromArray(rows.map((r) => r.time) as never[], new Float64());
  for (const name of obsNames) columns[name] = vectorFromArray(rows.map((r) => r.finals.get(name) ?? null) as never[], new Float64());
  const table = new Table(columns);
  const metadata = new Map<string, string>([
    [META.kind, 'index'],
    [META.formatVersion, String(FORMAT_VERSION)],
    [FINGERPRINT, fingerprint],
  ]);
  const schema = new Schema(table.schema.fields, metadata);
  return new Table(schema, table.batches.map((b) => new RecordBatch(schema, b.data)));
}

/** Rebuilds `index.arrow` from the run directories under the study lock, writes it atomically, returns it. */
export function rebuildIndex(studyDir: string): Table {
  return withStudyLock(studyDir, () => {
    removeStaleTemps(studyDir);
    const runs = listRuns(studyDir);
    const table = buildIndex(studyDir, runs, studyFingerprint(runs));
    writeFileAtomic(path.join(studyDir, FILES.index), encodeArrowFile(table.schema, table.batches));
    return table;
  });
}

/** Options of {@link readIndex}. */
export interface ReadIndexOptions {
  /** `auto` (default): rebuild when the runs changed since the index was written; `always`; `never` (read the file as is). */
  rebuild?: 'auto' | 'always' | 'never';
}

/**
 * The study index, one row per run: `run`, the swept keys, `status`, `error`, the last logged
 * `step` and `time`, and the final value of every observable. Rebuilt on demand (see the module).
 */
export function readIndex(studyDir: string, options: ReadIndexOptions = {}): Table {
  const mode = options.rebuild ?? 'auto';
  const file = path.join(studyDir, FILES.index);
  if (mode === 'never') return readArrowFile(file, 'index');
  if (mode === 'auto' && fs.existsSync(file)) {
    try {
      const table = readArrowFile(file, 'index');
      if (table.schema.metadata.get(FINGERPRINT) === studyFingerprint(listRuns(studyDir))) return table;
    } catch (err) {
      // A stale, cut or garbage index is rebuilt: it is derived data, the runs are the truth.
      if (!(err instanceof StoreError) || err.code !== undefined) throw err;
    }
  }
  return rebuildIndex(studyDir);
}
