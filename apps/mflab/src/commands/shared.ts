/** What the commands share: usage errors, config loading with CLI overrides, output paths, printing. */
import { availableParallelism } from 'node:os';
import { basename, extname, resolve } from 'node:path';
import { parseArgs, type ParseArgsConfig } from 'node:util';

type ParseArgsOptionsConfig = NonNullable<ParseArgsConfig['options']>;
import { stringify } from 'yaml';
import { readConfigFile } from '../config/load.js';
import { ConfigError, validateConfig } from '../config/validate.js';
import type { AppConfig } from '../config/schema.js';

/** Exit codes (ARCHITECTURE.md §6). */
export const EXIT = { ok: 0, runFailure: 1, usage: 2, interrupted: 130 } as const;

/** Bad usage (unknown flag, missing argument): printed as one line, exit 2. */
export class UsageError extends Error {
  constructor(message: string, readonly command?: string) {
    super(message);
    this.name = 'UsageError';
  }
}

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

/** SIGINT → a stop flag the run polls between steps (a second Ctrl-C exits at once). */
export function interruptFlag(onFirst: () => void): { stopped: () => boolean; dispose: () => void } {
  let stopped = false;
  const handler = () => {
    if (stopped) process.exit(EXIT.interrupted);
    stopped = true;
    onFirst();
  };
  process.on('SIGINT', handler);
  return { stopped: () => stopped, dispose: () => void process.off('SIGINT', handler) };
}
