/**
 * What a directory given as an output (`--out`) already holds, so that a command can refuse
 * before it writes anything: nothing (absent or empty), an mflab run, an mflab study, something
 * else (a user's own files, which mflab never writes among), or not a directory at all. And the
 * one way mflab replaces results: moving the old directory aside, never deleting it.
 *
 * Links: the path the user gives is resolved as the operating system does (a study on a
 * symlinked scratch volume is fine), but inside a study no link is followed — `listRuns` refuses
 * a linked run directory, so no command reads results from, or writes them to, outside the study.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { StoreError, errnoCode, fsError } from './errors.js';
import { readRunInfo, type RunStatus } from './run-dir.js';
import { FILES } from './schema.js';
import { listRuns } from './study.js';

/** The kinds of {@link describeOutputDirectory}. */
export type OutputDirectoryKind = 'absent' | 'empty' | 'run' | 'study' | 'foreign' | 'not-a-directory';

/** What a directory holds. */
export interface OutputDirectory {
  kind: OutputDirectoryKind;
  /** The path as given, resolved to an absolute path. */
  path: string;
  /** `run`: its status. */
  status?: RunStatus;
  /** `study`: the run directories found, by status (`{ done: 10, running: 2 }`). */
  runs?: Record<string, number>;
  /** `foreign` / `not-a-directory`: why, in a few words (`holds notes.txt, data/`). */
  detail?: string;
}

/** Names that mflab itself writes at the top of a study or run (derived files and locks included). */
const OWN_NAMES = new Set<string>([
  FILES.runJson,
  FILES.metrics,
  FILES.particles,
  FILES.checkpoint,
  FILES.index,
  FILES.studyJson,
  FILES.runLock,
  FILES.studyLock,
  'outputs.arrow',
  'report.html',
  'report.md',
  'figures',
]);

/**
 * Says what `dir` holds. A run directory is one whose `run.json` is mflab's; a study is one with
 * mflab's `study.json`, or whose entries are all hive-style run directories (`model.width=64`)
 * and mflab's own files. Anything else non-empty is `foreign`.
 *
 * @example
 * describeOutputDirectory('mflab-out/widths'); // { kind: 'study', path: '/…/mflab-out/widths', runs: { done: 8 } }
 */
export function describeOutputDirectory(dir: string): OutputDirectory {
  const abs = path.resolve(dir);
  let stat: fs.Stats;
  try {
    stat = fs.statSync(abs);
  } catch (err) {
    if (errnoCode(err) === 'ENOENT') return { kind: 'absent', path: abs };
    throw fsError(abs, 'look at the output directory', err);
  }
  if (!stat.isDirectory()) return { kind: 'not-a-directory', path: abs, detail: stat.isFile() ? 'a file' : 'not a regular directory' };
  let names: string[];
  try {
    names = fs.readdirSync(abs);
  } catch (err) {
    throw fsError(abs, 'list the output directory', err);
  }
  if (names.length === 0) return { kind: 'empty', path: abs };
  if (names.includes(FILES.runJson)) {
    try {
      return { kind: 'run', path: abs, status: readRunInfo(abs).status };
    } catch (err) {
      return { kind: 'foreign', path: abs, detail: `its run.json is not mflab's (${err instanceof StoreError ? err.reason : String(err)})` };
    }
  }
  const hive = (name: string) => name.indexOf('=') > 0;
  // A temporary file of an atomic write in flight (another shard writing study.json) is mflab's too.
  const own = (name: string) => OWN_NAMES.has(name.replace(/\.tmp-\d+-\d+$/, ''));
  const strangers = names.filter((n) => !(n.startsWith('.') || own(n) || hive(n)));
  // mflab's own study.json makes a study whatever else lies beside it (a scheduler's log files);
  // a study.json that is not mflab's makes the directory someone else's.
  const studyJson = names.includes(FILES.studyJson) ? isOwnStudyJson(path.join(abs, FILES.studyJson)) : null;
  const isStudy = studyJson === true || (studyJson === null && strangers.length === 0);
  if (!isStudy) {
    if (studyJson === false) return { kind: 'foreign', path: abs, detail: 'its study.json is not mflab\'s' };
    const shown = strangers.slice(0, 3).join(', ');
    return { kind: 'foreign', path: abs, detail: `holds ${shown}${strangers.length > 3 ? ` and ${strangers.length - 3} more` : ''}` };
  }
  const runs: Record<string, number> = {};
  for (const run of listRuns(abs)) {
    let status = 'unreadable';
    try {
      status = readRunInfo(run.dir).status;
    } catch {
      // counted as unreadable: still a result not to be overwritten
    }
    runs[status] = (runs[status] ?? 0) + 1;
  }
  return { kind: 'study', path: abs, runs };
}

/** Whether a study.json is mflab's: a JSON object with a `grid` and a `config` object. */
function isOwnStudyJson(file: string): boolean {
  try {
    const meta = JSON.parse(fs.readFileSync(file, 'utf8')) as unknown;
    const isObject = (v: unknown) => typeof v === 'object' && v !== null && !Array.isArray(v);
    return isObject(meta) && isObject((meta as Record<string, unknown>).grid) && isObject((meta as Record<string, unknown>).config);
  } catch {
    return false;
  }
}

/** `{ done: 3, running: 1 }` → `4 runs: 3 done, 1 running`. */
export function describeRunCounts(runs: Readonly<Record<string, number>>): string {
  const total = Object.values(runs).reduce((a, b) => a + b, 0);
  const parts = Object.entries(runs).map(([status, n]) => `${n} ${status}`);
  return `${total} run${total === 1 ? '' : 's'}${parts.length > 0 ? `: ${parts.join(', ')}` : ''}`;
}

/**
 * Moves `dir` aside to a hidden sibling `.<name>.replaced-<UTC time>` and returns the new path:
 * how `--overwrite` replaces results without deleting them. Hidden, so no study listing (its
 * parent may itself be a study) ever picks the old runs up again.
 *
 * @example
 * moveAside('mflab-out/widths'); // '/…/mflab-out/.widths.replaced-2026-12-05T08-01-02Z'
 */
export function moveAside(dir: string): string {
  const abs = path.resolve(dir);
  const stamp = new Date().toISOString().replace(/\.\d+Z$/, 'Z').replaceAll(':', '-');
  const base = path.join(path.dirname(abs), `.${path.basename(abs)}.replaced-${stamp}`);
  for (let attempt = 1; ; attempt++) {
    const target = attempt === 1 ? base : `${base}-${attempt}`;
    try {
      fs.renameSync(abs, target);
      return target;
    } catch (err) {
      const code = errnoCode(err);
      if ((code === 'EEXIST' || code === 'ENOTEMPTY') && attempt < 100) continue;
      throw fsError(abs, `move aside to ${target}`, err);
    }
  }
}
