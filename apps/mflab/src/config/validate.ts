/**
 * Config validation: zod's schema first (types, allowed values, unknown keys), then core's own
 * checks of what depends on several fields (a symmetric init needs an even width, a file data
 * kind needs a path, ...). Every failure is one `ConfigError`: the path of the field, the value
 * and what is allowed — the CLI prints its message and exits 2.
 */
import { DATA_DEFAULTS, InvalidInputError, resolveDataSpec, resolveSimulationConfig, type DataSpec, type SimulationConfig } from '@mflab/core';
import { z } from 'zod';
import { configSchema, type AppConfig, type ParsedConfig } from './schema.js';
import { clip, keyPart, oneLine, quote } from './text.js';

/** Longest field and detail a message carries (a backstop: the longest written message is ≈ 320 characters). */
const MAX_FIELD = 120;
const MAX_DETAIL = 500;

/**
 * A bad config: the InvalidInputError of the app; the CLI prints `source: field: detail` as one
 * line and exits 2. `field` is the dotted path (`model.width`, `grid.seed[2]`) or `config`;
 * `source` the file, when known. The message is kept one line and short whatever went into it (a
 * key with a newline, a 100 MB value): the places that quote user text clip it themselves, and
 * this is the backstop.
 *
 * @example
 * throw new ConfigError('model.width', 'expected an integer ≥ 1, got -4', 'my-run.yaml');
 */
export class ConfigError extends InvalidInputError {
  override readonly name = 'ConfigError';

  constructor(field: string, detail: string, source?: string) {
    super(oneLine(clip(field, MAX_FIELD)), oneLine(clip(detail, MAX_DETAIL)), source);
  }
}

type PathKey = PropertyKey;

const show = (value: unknown): string => {
  if (value === undefined) return 'nothing';
  if (typeof value === 'string') return quote(value);
  if (Array.isArray(value)) return value.length === 0 ? 'an empty list' : 'a list';
  if (value === null) return 'null';
  if (typeof value === 'object') return 'an object';
  return String(value);
};

const fieldName = (path: readonly PathKey[]): string =>
  path.length === 0 ? 'config' : path.map((k, i) => (typeof k === 'number' ? `[${k}]` : keyPart(String(k), i === 0))).join('');

function valueAt(input: unknown, path: readonly PathKey[]): unknown {
  let v = input;
  for (const key of path) {
    if (v === null || typeof v !== 'object') return undefined;
    v = (v as Record<PropertyKey, unknown>)[key];
  }
  return v;
}

/** The keys an object schema allows at `path` (for "unknown key" messages). */
export function allowedKeys(path: readonly PathKey[]): string[] {
  let schema: z.ZodType = configSchema;
  for (const key of path) {
    schema = unwrap(schema);
    if (schema instanceof z.ZodObject) schema = (schema.shape as Record<string, z.ZodType>)[String(key)];
    else return [];
    if (!schema) return [];
  }
  schema = unwrap(schema);
  return schema instanceof z.ZodObject ? Object.keys(schema.shape) : [];
}

/**
 * Whether the schema at `path` takes integers only (`model.depth`, `model.width` and its list
 * entries, `train.steps`): a too-small value is then "expected an integer ≥ 1".
 */
function isIntegerAt(path: readonly PathKey[]): boolean {
  let schema: z.ZodType | undefined = configSchema;
  const pick = (s: z.ZodType, key: PathKey | undefined): z.ZodType | undefined => {
    let u = unwrap(s);
    if (u instanceof z.ZodUnion) {
      const options = u.options as z.ZodType[];
      u = (typeof key === 'number' ? options.find((o) => unwrap(o) instanceof z.ZodArray) : options.find((o) => unwrap(o) instanceof z.ZodNumber)) ?? u;
      u = unwrap(u);
    }
    return u;
  };
  for (const key of path) {
    const s: z.ZodType | undefined = schema === undefined ? undefined : pick(schema, key);
    if (s instanceof z.ZodObject) schema = (s.shape as Record<string, z.ZodType>)[String(key)];
    else if (s instanceof z.ZodArray && typeof key === 'number') schema = s.element as z.ZodType;
    else return false;
  }
  const last = schema === undefined ? undefined : pick(schema, undefined);
  return last instanceof z.ZodNumber && last.isInt === true;
}

function unwrap(schema: z.ZodType): z.ZodType {
  let s = schema;
  for (let k = 0; k < 8; k++) {
    if (s instanceof z.ZodDefault || s instanceof z.ZodPrefault || s instanceof z.ZodOptional || s instanceof z.ZodNullable) s = s.unwrap() as z.ZodType;
    // `data` is an object with a transform after it (a pipe): its keys are the object's.
    else if (s instanceof z.ZodPipe) s = s.in as z.ZodType;
    else break;
  }
  return s;
}

const LENGTH_HINTS: Record<string, string> = {
  name: 'shorten it (it names the output directory)',
  title: 'shorten it (the description holds more)',
  description: 'shorten it (a summary; longer notes belong in a file beside the config)',
};

const EXPECTED: Record<string, string> = { int: 'an integer', number: 'a number', string: 'a string', boolean: 'true or false', object: 'an object', array: 'a list', record: 'an object' };

function describeIssue(issue: z.core.$ZodIssue, input: unknown): [string, string] {
  const value = valueAt(input, issue.path);
  const got = `got ${show(value)}`;
  switch (issue.code) {
    case 'unrecognized_keys': {
      const key = issue.keys[0];
      const allowed = allowedKeys(issue.path);
      return [fieldName([...issue.path, key]), `unknown key${allowed.length ? `; allowed keys are ${allowed.join(', ')}` : ''}`];
    }
    case 'invalid_type':
      if (value === undefined) return [fieldName(issue.path), `is required (${EXPECTED[issue.expected] ?? issue.expected})`];
      return [fieldName(issue.path), `expected ${EXPECTED[issue.expected] ?? issue.expected}, ${got}`];
    case 'invalid_value':
      return [fieldName(issue.path), `expected one of ${issue.values.map((v) => JSON.stringify(v)).join(', ')}, ${got}`];
    case 'too_small': {
      if (issue.origin === 'array') return [fieldName(issue.path), `expected a non-empty list, ${got}`];
      if (issue.origin === 'string') return [fieldName(issue.path), `expected a non-empty string, ${got}`];
      const op = issue.inclusive ? '≥' : '>';
      return [fieldName(issue.path), `expected ${isIntegerAt(issue.path) ? 'an integer' : 'a number'} ${op} ${String(issue.minimum)}, ${got}`];
    }
    case 'too_big':
      // A string or list over its cap is not echoed: its length says enough.
      if (issue.origin === 'string' && typeof value === 'string') {
        const field = fieldName(issue.path);
        return [field, `expected at most ${String(issue.maximum)} characters, got ${value.length}; ${LENGTH_HINTS[field] ?? 'shorten it'}`];
      }
      if (issue.origin === 'array' && Array.isArray(value)) return [fieldName(issue.path), `expected at most ${String(issue.maximum)} values, got ${value.length}`];
      return [fieldName(issue.path), `expected a number ${issue.inclusive ? '≤' : '<'} ${String(issue.maximum)}, ${got}`];
    case 'invalid_key':
      // A grid key that is empty or too long to be a config path (the only record is the grid).
      return [fieldName(issue.path), 'not a valid key; grid keys are config paths such as model.width (1 to 200 characters)'];
    case 'invalid_union': {
      if (issue.path[0] === 'grid') return [fieldName(issue.path), `expected a number, a string or true/false, ${got}`];
      // A key of several forms (model.width: a number or one per layer): describe the branch that
      // got furthest (a bad entry of a list), else list the forms allowed.
      const firsts = (issue.errors ?? []).map((branch) => branch[0]).filter((i): i is z.core.$ZodIssue => i !== undefined);
      const specific = firsts.find((i) => i.code !== 'invalid_type');
      if (specific) return describeIssue({ ...specific, path: [...issue.path, ...specific.path] } as z.core.$ZodIssue, input);
      const form = (i: z.core.$ZodIssue): string => {
        if (i.code !== 'invalid_type') return '';
        return i.expected === 'number' && isIntegerAt(issue.path) ? 'an integer' : (EXPECTED[i.expected] ?? i.expected);
      };
      const forms = firsts.map(form).filter((f) => f !== '');
      return [fieldName(issue.path), `expected ${forms.map((f) => (f === 'a list' ? 'a list of them (one per layer)' : f)).join(' or ')}, ${got}`];
    }
    default:
      return [fieldName(issue.path), `${issue.message}, ${got}`];
  }
}

/**
 * The config as the engines take it: an AppConfig is a core `SimulationConfig` (seed, model,
 * loss, train, log) resolved by core once, in {@link validateConfig}, plus the app's own keys
 * (data, name, title, description, grid, train.maxRisk, log.checkpointEvery), which the engines
 * ignore. Nothing is resolved again: this only narrows the type.
 */
export function simulationConfigOf(config: AppConfig): SimulationConfig {
  return config;
}

/**
 * The data size a config implies before any file is read: generated kinds state n and nTest; a
 * file's are its caps when written, else the generated defaults stand in (an estimate for cost
 * and memory planning only — the file decides).
 */
export function nominalDataSize(config: AppConfig): { n: number; nTest: number } {
  return { n: config.data.n ?? DATA_DEFAULTS.n, nTest: config.data.nTest ?? DATA_DEFAULTS.nTest };
}

/**
 * The run's length before the data is read: `train.steps`, or with `train.epochs` (finite-data
 * SGD) epochs · ⌊n/B⌋ on the nominal n — exact for generated data and capped files.
 */
export function nominalSteps(config: AppConfig): number {
  const { train } = config;
  if (train.epochs === null || train.integrator !== 'sgd') return train.steps;
  const { n } = nominalDataSize(config);
  return train.epochs * Math.max(1, Math.floor(n / Math.min(n, train.batchSize ?? n)));
}

export function dataSpecOf(config: Pick<AppConfig, 'data'>): DataSpec {
  const { seed: _seed, ...spec } = config.data;
  return spec;
}

/** Validates a parsed config object; returns it with every default filled in. */
export function validateConfig(input: unknown, source?: string): AppConfig {
  if (input === null || typeof input !== 'object' || Array.isArray(input)) {
    throw new ConfigError('config', `expected a mapping of keys (seed, data, model, loss, train, log, grid), got ${show(input)}`, source);
  }
  const parsed = configSchema.safeParse(input);
  if (!parsed.success) {
    const issues = parsed.error.issues;
    const [field, detail] = describeIssue(issues[0], input);
    throw new ConfigError(field, issues.length > 1 ? `${detail} (and ${issues.length - 1} more problem${issues.length > 2 ? 's' : ''})` : detail, source);
  }
  return resolveWithCore(parsed.data, source);
}

/**
 * The one resolution: zod has checked types, allowed values and keys (its defaults are core's
 * constants); core's resolvers add what depends on several fields (a symmetric init needs an
 * even width, a file data kind needs a path, …). Their result is the config every engine runs,
 * merged back with the app's own keys. Core's errors become ConfigErrors.
 */
function resolveWithCore(config: ParsedConfig, source?: string): AppConfig {
  try {
    resolveDataSpec(dataSpecOf(config));
    const { maxRisk, ...train } = config.train;
    const { checkpointEvery, ...log } = config.log;
    const core = resolveSimulationConfig({ seed: config.seed, model: config.model, loss: config.loss, train, log });
    return { ...config, ...core, train: { ...core.train, maxRisk }, log: { ...core.log, checkpointEvery } };
  } catch (error) {
    if (error instanceof InvalidInputError) throw new ConfigError(error.field, error.detail, source);
    throw error;
  }
}
