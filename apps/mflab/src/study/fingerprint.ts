/**
 * What a run directory holds, as one string: the fingerprint of a resolved config is a hash of
 * every key that can change a result (the trajectory, the logged rows, the status), so two
 * configs with the same fingerprint write the same files. `--resume` continues a directory only
 * when the fingerprints agree; otherwise the differing keys are named (see out-dir.ts).
 *
 * Left out, because they cannot change a number: `name`, `title`, `description` (labels),
 * `log.checkpointEvery` (how often the state is saved; a resumed run is bitwise the same for any
 * value), `grid` (a study's own; each run's config already holds its grid values), and the
 * optimizer keys the run's `train.optimizer` does not read (all four for sgd).
 */
import { createHash } from 'node:crypto';

/** Top-level and nested keys that do not enter the fingerprint. */
export const UNFINGERPRINTED_KEYS = ['name', 'title', 'description', 'grid', 'log.checkpointEvery'] as const;

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };

/**
 * The part of a config that decides results: a deep copy without {@link UNFINGERPRINTED_KEYS}
 * (and without `extraOmit`, e.g. a study's swept keys).
 *
 * @example
 * resultsView({ name: 'a', seed: 0, log: { every: 10, checkpointEvery: 1000 } });
 * // → { seed: 0, log: { every: 10 } }
 */
export function resultsView(config: unknown, extraOmit: readonly string[] = []): Json {
  const copy = JSON.parse(JSON.stringify(config ?? null)) as Json;
  for (const path of [...UNFINGERPRINTED_KEYS, ...extraOmit]) deletePath(copy, path.split('.'));
  for (const path of unusedOptimizerKeys(copy)) deletePath(copy, path.split('.'));
  return copy;
}

function deletePath(target: Json, path: string[]): void {
  let node = target;
  for (const key of path.slice(0, -1)) {
    if (node === null || typeof node !== 'object' || Array.isArray(node)) return;
    node = node[key];
  }
  if (node !== null && typeof node === 'object' && !Array.isArray(node)) delete node[path[path.length - 1]];
}

/**
 * The optimizer keys of `train` that cannot change a number: with `sgd` (the default, and what
 * every run had before optimizers existed, so their fingerprints are unchanged) all four; with
 * `momentum` Adam's `betas` and `eps`; with `adam` `momentum`.
 */
function unusedOptimizerKeys(config: Json): string[] {
  const train = config !== null && typeof config === 'object' && !Array.isArray(config) ? config.train : undefined;
  if (train === null || typeof train !== 'object' || Array.isArray(train)) return [];
  const optimizer = train.optimizer ?? 'sgd';
  if (optimizer === 'sgd') return ['train.optimizer', 'train.momentum', 'train.betas', 'train.eps'];
  if (optimizer === 'momentum') return ['train.betas', 'train.eps'];
  return ['train.momentum'];
}

/** JSON with object keys sorted at every level, so equal configs print equally. */
export function canonicalJson(value: unknown): string {
  if (value === null || typeof value !== 'object') return JSON.stringify(value ?? null);
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  const entries = Object.entries(value as Record<string, unknown>)
    .filter(([, v]) => v !== undefined)
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonicalJson(v)}`).join(',')}}`;
}

/**
 * The fingerprint of a resolved config: `sha256:` and 32 hex digits of the hash of its
 * {@link resultsView}.
 *
 * @example
 * configFingerprint(validateConfig({ model: { width: 64 } })) === configFingerprint(validateConfig({ model: { width: 64 }, title: 'x' })); // true
 */
export function configFingerprint(config: unknown, extraOmit: readonly string[] = []): string {
  return `sha256:${createHash('sha256').update(canonicalJson(resultsView(config, extraOmit))).digest('hex').slice(0, 32)}`;
}

/**
 * The dotted paths where two configs' results views differ, in a stable order
 * (`['model.width', 'train.lr']`); a key present in one only counts as different.
 *
 * @example
 * differingKeys({ model: { width: 64 }, seed: 0 }, { model: { width: 128 }, seed: 0 }); // ['model.width']
 */
export function differingKeys(a: unknown, b: unknown, extraOmit: readonly string[] = []): string[] {
  const out: string[] = [];
  const walk = (x: Json | undefined, y: Json | undefined, prefix: string) => {
    const isObject = (v: Json | undefined): v is { [key: string]: Json } => v !== null && v !== undefined && typeof v === 'object' && !Array.isArray(v);
    if (isObject(x) && isObject(y)) {
      const keys = [...new Set([...Object.keys(x), ...Object.keys(y)])].sort();
      for (const key of keys) walk(x[key], y[key], prefix === '' ? key : `${prefix}.${key}`);
      return;
    }
    if (canonicalJson(x) !== canonicalJson(y)) out.push(prefix === '' ? '(the whole config)' : prefix);
  };
  walk(resultsView(a, extraOmit), resultsView(b, extraOmit), '');
  return out;
}

/** A short phrase naming differing keys with both values: `model.width (64 → 128), train.lr (0.1 → 0.2)`. */
export function describeDifferences(before: unknown, after: unknown, keys: readonly string[], limit = 4): string {
  const valueAt = (root: unknown, path: string): string => {
    let node = root as Json | undefined;
    for (const key of path.split('.')) node = node !== null && typeof node === 'object' && !Array.isArray(node) ? node[key] : undefined;
    const text = node === undefined ? 'absent' : JSON.stringify(node);
    return text.length > 24 ? `${text.slice(0, 21)}…` : text;
  };
  const shown = keys.slice(0, limit).map((k) => `${k} (${valueAt(before, k)} → ${valueAt(after, k)})`);
  return `${shown.join(', ')}${keys.length > limit ? ` and ${keys.length - limit} more` : ''}`;
}
