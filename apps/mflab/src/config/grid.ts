/**
 * Sweep grids: `grid: { "model.width": [64, 256], seed: "0..9" }` — each key a config path, each
 * value a list (a string "a..b" expands to the integers a…b). The runs are the cartesian product,
 * first key outermost; each is validated as a full config, and a bad value is reported as
 * `grid.<key>[i]`.
 */
import type { AppConfig } from './schema.js';
import { keyPart, quote } from './text.js';
import { ConfigError, allowedKeys, validateConfig } from './validate.js';

/** One value of a grid axis: a config value; in the raw grid a string "a..b" stands for the integers a…b. */
export type GridValue = number | string | boolean;

/** One run of a sweep, as {@link expandGrid} returns it: its swept values and its full config. */
export interface GridCell {
  /** The swept keys of this run, in grid order (its hive directory name). */
  readonly keys: Record<string, GridValue>;
  /** The base config with this cell's values set, validated, every default filled in (no `grid`). */
  readonly config: AppConfig;
}

const RANGE = /^\s*(-?\d+)\s*\.\.\s*(-?\d+)\s*$/;
const MAX_RUNS = 100_000;

/** `grid.<key>` as a message shows it (a key may be any string: quoted and clipped when odd). */
const gridField = (key: string): string => `grid${keyPart(key, false)}`;

/** The values of one axis, with "a..b" ranges expanded; at most MAX_RUNS of them. */
export function expandAxis(key: string, values: readonly GridValue[], source?: string): GridValue[] {
  const out: GridValue[] = [];
  values.forEach((v, i) => {
    const range = typeof v === 'string' ? RANGE.exec(v) : null;
    const field = `${gridField(key)}[${i}]`;
    if (range) {
      const [a, b] = [Number(range[1]), Number(range[2])];
      // Beyond 2^53, x++ stops moving (and "9…9" of 400 digits is Infinity): the loop below would never end.
      if (!Number.isSafeInteger(a) || !Number.isSafeInteger(b)) throw new ConfigError(field, `the range ${quote(v as string)} has a bound beyond ±2^53`, source);
      if (b < a) throw new ConfigError(field, `the range ${quote(v as string)} is empty (write "low..high")`, source);
      if (b - a >= MAX_RUNS) throw new ConfigError(field, `the range ${quote(v as string)} has more than ${MAX_RUNS} values`, source);
      // Many ranges can add up: the axis is bounded, not only each range.
      if (out.length + (b - a + 1) > MAX_RUNS) throw new ConfigError(gridField(key), `the axis has more than ${MAX_RUNS} values`, source);
      for (let x = a; x <= b; x++) out.push(x);
    } else {
      if (out.length + 1 > MAX_RUNS) throw new ConfigError(gridField(key), `the axis has more than ${MAX_RUNS} values`, source);
      out.push(v);
    }
  });
  return out;
}

function setPath(target: Record<string, unknown>, path: string[], value: unknown): void {
  let obj = target;
  for (const key of path.slice(0, -1)) {
    const next = obj[key];
    if (next === undefined || next === null) obj = obj[key] = {};
    else if (typeof next === 'object' && !Array.isArray(next)) obj = next as Record<string, unknown>;
    else return;
  }
  obj[path[path.length - 1]] = value;
}

/** Expands `raw.grid` over the rest of `raw` (the base config). Without a grid: one cell with no keys. */
export function expandGrid(raw: Record<string, unknown>, source?: string): GridCell[] {
  const { grid, ...base } = raw;
  const gridIn = (grid ?? {}) as Record<string, GridValue[]>;
  // The grid's own shape is checked by the schema (validateConfig on the raw input).
  validateConfig(raw, source);
  const axes: [string, GridValue[]][] = [];
  for (const [key, values] of Object.entries(gridIn)) {
    const path = key.split('.');
    const parent = allowedKeys(path.slice(0, -1));
    if (key === 'grid' || !parent.includes(path[path.length - 1])) {
      throw new ConfigError(gridField(key), `not a config key; sweepable keys are config paths such as model.width, seed, train.weightDecay, data.n`, source);
    }
    axes.push([key, expandAxis(key, values, source)]);
  }
  const total = axes.reduce((p, [, v]) => p * v.length, 1);
  if (total > MAX_RUNS) throw new ConfigError('grid', `the grid has ${total} runs; at most ${MAX_RUNS}`, source);
  const cells: GridCell[] = [];
  const index = new Array<number>(axes.length).fill(0);
  for (let c = 0; c < total; c++) {
    const keys: Record<string, GridValue> = {};
    const cellRaw = structuredClone(base) as Record<string, unknown>;
    axes.forEach(([key, values], a) => {
      keys[key] = values[index[a]];
      setPath(cellRaw, key.split('.'), values[index[a]]);
    });
    let config: AppConfig;
    try {
      config = validateConfig(cellRaw, source);
    } catch (error) {
      if (error instanceof ConfigError && Object.hasOwn(keys, error.field)) {
        const a = axes.findIndex(([key]) => key === error.field);
        const i = gridIn[error.field].indexOf(keys[error.field]);
        throw new ConfigError(`${gridField(error.field)}[${i >= 0 ? i : index[a]}]`, error.detail, source);
      }
      throw error;
    }
    cells.push({ keys, config });
    for (let a = axes.length - 1; a >= 0; a--) {
      if (++index[a] < axes[a][1].length) break;
      index[a] = 0;
    }
  }
  return cells;
}
