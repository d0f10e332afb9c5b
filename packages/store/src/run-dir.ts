/**
 * A run directory: `run.json` (status and provenance, replaced atomically) and the hive-style
 * names that place a run in its study (`width=1024/seed=3/`).
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { writeFileAtomic } from './atomic.js';
import { StoreError, describe, fsError, InvalidInputError } from './errors.js';
import { FILES, FORMAT_VERSION, type Precision } from './schema.js';

/** Lifecycle of a run (§5). */
export type RunStatus = 'running' | 'done' | 'failed' | 'diverged';

const STATUSES: readonly RunStatus[] = ['running', 'done', 'failed', 'diverged'];

/** Contents of `run.json`. Extra fields are kept as they are. */
export interface RunInfo {
  /** The resolved config (any JSON). */
  config: unknown;
  /** The config's fingerprint (opaque to the store): a resume compares it before writing. */
  fingerprint?: string;
  seed: number | null;
  status: RunStatus;
  /** Why the run failed or diverged; null otherwise. */
  error: string | null;
  backend: string | null;
  precision: Precision;
  /** Package versions, e.g. `{ "@mflab/core": "0.1.0" }`. */
  versions: Record<string, string>;
  /** Timings in seconds, e.g. `{ wall: 12.3 }`. */
  timings: Record<string, number>;
  [extra: string]: unknown;
}

/** A swept-key value as it appears in a hive directory name. */
export type KeyValue = string | number | boolean;

/** Writes `dir/run.json` atomically (creating `dir` if needed). */
export function writeRunInfo(dir: string, info: RunInfo): void {
  if (!STATUSES.includes(info.status)) throw new InvalidInputError('status', `expected one of ${STATUSES.join(', ')}, got '${String(info.status)}'`);
  try {
    fs.mkdirSync(dir, { recursive: true });
  } catch (err) {
    throw fsError(dir, 'create run directory', err);
  }
  const text = JSON.stringify({ formatVersion: FORMAT_VERSION, ...info }, null, 2) + '\n';
  writeFileAtomic(path.join(dir, FILES.runJson), text);
}

/** Reads `dir/run.json`; a missing, unparsable or incomplete file throws a one-line {@link StoreError}. */
export function readRunInfo(dir: string): RunInfo {
  const file = path.join(dir, FILES.runJson);
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch (err) {
    throw fsError(file, 'read', err);
  }
  if (text.length === 0) throw new StoreError(file, 'empty file, expected run.json');
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (err) {
    throw new StoreError(file, `not valid JSON: ${describe(err)}`);
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw new StoreError(file, 'not an mflab run.json (not a JSON object)');
  const info = value as Partial<RunInfo>;
  if (!STATUSES.includes(info.status as RunStatus)) throw new StoreError(file, `not an mflab run.json: status '${String(info.status)}' is not one of ${STATUSES.join(', ')}`);
  return info as RunInfo;
}

/** Read-modify-writes `run.json` atomically, e.g. `updateRunInfo(dir, { status: 'failed', error })`. */
export function updateRunInfo(dir: string, patch: Partial<RunInfo>): RunInfo {
  const next = { ...readRunInfo(dir), ...patch } as RunInfo;
  delete (next as { formatVersion?: unknown }).formatVersion;
  writeRunInfo(dir, next);
  return next;
}

function encodePart(s: string): string {
  // Percent-encode everything but a safe set, as Hive does, so any value makes one path segment.
  return encodeURIComponent(s).replace(/[!'()*~]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);
}

/**
 * The hive-style relative directory of a run, in the order of `keys`:
 * `runDirName({ 'model.width': 1024, seed: 3 })` is `model.width=1024/seed=3`.
 */
export function runDirName(keys: Readonly<Record<string, KeyValue>>): string {
  const parts = Object.entries(keys).map(([k, v]) => {
    if (k.length === 0) throw new InvalidInputError('keys', 'swept key names must be non-empty');
    if (typeof v === 'number' && !Number.isFinite(v)) throw new InvalidInputError(`keys.${k}`, 'expected a finite value');
    return `${encodePart(k)}=${encodePart(String(v))}`;
  });
  return parts.length === 0 ? '.' : parts.join('/');
}

/** Parses a hive value back: numbers and booleans that print back identically become typed. */
export function parseKeyValue(raw: string): KeyValue {
  if (raw === 'true') return true;
  if (raw === 'false') return false;
  if (raw.trim() !== '') {
    const n = Number(raw);
    if (Number.isFinite(n) && String(n) === raw) return n;
  }
  return raw;
}

/** The swept keys of a run from its path relative to the study (`a=1/b=x` → `{ a: 1, b: 'x' }`); segments without `=` are ignored. */
export function parseRunDirName(relative: string): Record<string, KeyValue> {
  const keys: Record<string, KeyValue> = {};
  for (const segment of relative.split(/[\\/]/)) {
    const eq = segment.indexOf('=');
    if (eq <= 0) continue;
    keys[decodeURIComponent(segment.slice(0, eq))] = parseKeyValue(decodeURIComponent(segment.slice(eq + 1)));
  }
  return keys;
}
