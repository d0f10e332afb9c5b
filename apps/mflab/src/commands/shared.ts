/** What the commands share: usage errors, config loading with CLI overrides, output paths, printing. */
import { statSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { basename, extname, resolve } from 'node:path';
import { parseArgs, type ParseArgsConfig } from 'node:util';

type ParseArgsOptionsConfig = NonNullable<ParseArgsConfig['options']>;
import { stringify } from 'yaml';
import { readConfigFile } from '../config/load.js';
import { ConfigError, validateConfig } from '../config/validate.js';
import type { AppConfig } from '../config/schema.js';
import { checkBudget, freeResources, type RunEstimate, type SweepEstimate } from '../study/estimate.js';

/** Exit codes (ARCHITECTURE.md §6). */
export const EXIT = { ok: 0, runFailure: 1, usage: 2, interrupted: 130 } as const;

import { UsageError } from '../errors.js';

export { UsageError };

export const COMMON_OPTIONS = {
  out: { type: 'string', short: 'o' },
  workers: { type: 'string', short: 'w' },
  backend: { type: 'string' },
  precision: { type: 'string' },
  help: { type: 'boolean', short: 'h' },
} as const satisfies ParseArgsOptionsConfig;

/** Parsed flags: string options are strings, boolean options true (absent ones undefined). */
export interface ParsedArgs {
  values: Readonly<Record<string, string | undefined>>;
  flags: Readonly<Record<string, boolean>>;
  positionals: string[];
}

export function parse(command: string, args: string[], options: ParseArgsOptionsConfig): ParsedArgs {
  try {
    const parsed = parseArgs({ args, options, allowPositionals: true, strict: true });
    const values: Record<string, string | undefined> = {};
    const flags: Record<string, boolean> = {};
    for (const [key, value] of Object.entries(parsed.values)) {
      if (typeof value === 'string') values[key] = value;
      else if (value === true) flags[key] = true;
    }
    return { values, flags, positionals: parsed.positionals };
  } catch (error) {
    throw new UsageError(`${(error as Error).message.split('\n')[0]} (see \`mflab ${command} --help\`)`, command);
  }
}

export function workersOf(value: string | undefined): number {
  if (value === undefined) return availableParallelism();
  const n = Number(value);
  if (!Number.isSafeInteger(n) || n < 1 || n > 256) throw new UsageError(`--workers: expected an integer from 1 to 256, got "${value}"`);
  return n;
}

/** Reads CONFIG (or the defaults when it is absent) with --backend/--precision applied, validated. */
export function configFromArgs(path: string | undefined, flags: { backend?: string; precision?: string }, embedded?: Record<string, unknown>): { config: AppConfig; raw: Record<string, unknown>; source: string } {
  const source = path ?? '(embedded config)';
  const rawIn = path ? readConfigFile(path) : (embedded ?? {});
  if (rawIn === null || typeof rawIn !== 'object' || Array.isArray(rawIn)) return { config: validateConfig(rawIn, source), raw: {}, source };
  const raw = structuredClone(rawIn) as Record<string, unknown>;
  if (flags.backend !== undefined || flags.precision !== undefined) {
    const train = { ...((raw.train as Record<string, unknown> | undefined) ?? {}) };
    if (flags.backend !== undefined) train.backend = flags.backend;
    if (flags.precision !== undefined) train.precision = flags.precision;
    raw.train = train;
  }
  try {
    const config = validateConfig(raw, source);
    if (path && config.data.path && !config.data.path.startsWith('/')) config.data.path = resolve(path, '..', config.data.path);
    if (path && typeof (raw.data as Record<string, unknown> | undefined)?.path === 'string') {
      (raw.data as Record<string, unknown>).path = config.data.path;
    }
    return { config, raw, source };
  } catch (error) {
    // A flag's value is the user's, not the file's: name the flag.
    if (error instanceof ConfigError && error.field === 'train.backend' && flags.backend !== undefined) throw new UsageError(`--backend: ${error.detail}`);
    if (error instanceof ConfigError && error.field === 'train.precision' && flags.precision !== undefined) throw new UsageError(`--precision: ${error.detail}`);
    throw error;
  }
}

export function studyName(config: AppConfig, path: string | undefined): string {
  return config.name ?? (path ? basename(path, extname(path)) : 'run');
}

/**
 * Refuses (exit 2, one line naming the key to change) a run or sweep whose estimated memory,
 * disk, metric rows or time is above this machine's budget (study/estimate.ts); `--force` lifts
 * all but the hard limits (what could not complete at all).
 */
export function enforceBudget(estimate: RunEstimate | SweepEstimate, dir: string, force: boolean, command: string): void {
  const refusal = checkBudget(estimate, { ...freeResources(dir), force });
  if (refusal) throw new UsageError(refusal.message, command);
}

/** DIR of `inspect`/`report`: an existing directory, else a usage error (exit 2) saying what it is. */
export function studyOrRunDirectory(arg: string, command: string): string {
  const dir = resolve(arg);
  let stat;
  try {
    stat = statSync(dir);
  } catch {
    throw new UsageError(`DIR: ${dir} does not exist (see \`mflab ${command} --help\`)`, command);
  }
  if (!stat.isDirectory()) throw new UsageError(`DIR: ${dir} is a file; give a study or run directory (the --out of mflab sweep or mflab run)`, command);
  return dir;
}

export function outDir(flag: string | undefined, name: string): string {
  return resolve(flag ?? `mflab-out/${name}`);
}

export function printConfig(config: AppConfig): string {
  return stringify(config, { lineWidth: 0 });
}

export const fmt = (v: number, digits = 4): string => (Number.isFinite(v) ? (Math.abs(v) >= 1e4 || (Math.abs(v) < 1e-3 && v !== 0) ? v.toExponential(digits - 1) : v.toPrecision(digits)) : String(v));

/** A plain text table (column-aligned), for terminals and logs alike. */
export function table(header: string[], rows: string[][]): string {
  const widths = header.map((h, c) => Math.max(h.length, ...rows.map((r) => (r[c] ?? '').length)));
  const line = (cells: string[]) => cells.map((cell, c) => cell.padEnd(widths[c])).join('  ').trimEnd();
  return [line(header), line(widths.map((w) => '-'.repeat(w))), ...rows.map(line)].join('\n');
}

/**
 * Exit codes of a command stopped by a signal: 128 + the signal's number, as shells report a
 * process killed by it — so a scheduler sees the same code whether mflab stopped cleanly or not.
 */
export const SIGNAL_EXIT: Readonly<Record<StopSignal, number>> = { SIGINT: 130, SIGTERM: 143, SIGHUP: 129 };

/** The signals a run or sweep stops on: Ctrl-C, the scheduler's stop (Slurm, Kubernetes), a closed terminal. */
export type StopSignal = 'SIGINT' | 'SIGTERM' | 'SIGHUP';

/** A stop request from a signal: what the run loop polls, and the exit code to return. */
export interface Interrupt {
  stopped(): boolean;
  /** The signal that asked to stop, or null. */
  readonly signal: StopSignal | null;
  /** {@link SIGNAL_EXIT} of the signal (130 when none). */
  exitCode(): number;
  dispose(): void;
}

/**
 * SIGINT, SIGTERM and SIGHUP → a stop flag the run polls between steps: the runs flush, write
 * their status and release their locks, and the command exits with {@link SIGNAL_EXIT}. A second
 * signal exits at once (the way out when a step takes long).
 */
export function interruptFlag(onFirst: (signal: StopSignal) => void): Interrupt {
  let signal: StopSignal | null = null;
  const handler = (name: StopSignal) => {
    if (signal !== null) process.exit(SIGNAL_EXIT[name]);
    signal = name;
    // After SIGHUP the terminal is gone: a write to it must not turn into an uncaught error.
    if (name === 'SIGHUP') process.stderr.on('error', () => undefined);
    try {
      onFirst(name);
    } catch {
      // the message is a courtesy; stopping is what matters
    }
  };
  const names = Object.keys(SIGNAL_EXIT) as StopSignal[];
  for (const name of names) process.on(name, handler);
  return {
    stopped: () => signal !== null,
    get signal() {
      return signal;
    },
    exitCode: () => (signal === null ? EXIT.interrupted : SIGNAL_EXIT[signal]),
    dispose: () => {
      for (const name of names) process.off(name, handler);
    },
  };
}

/** `--overwrite` and `--resume` as an output intent (they exclude each other: see study/out-dir.ts). */
export const OUTPUT_OPTIONS = {
  resume: { type: 'boolean' },
  overwrite: { type: 'boolean' },
  force: { type: 'boolean' },
} as const satisfies ParseArgsOptionsConfig;
