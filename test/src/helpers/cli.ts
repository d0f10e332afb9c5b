/**
 * Drives the built `mflab` CLI (apps/mflab/dist/cli.js) as a subprocess, the way a user's shell
 * does: `node cli.js ...args` in a temporary working directory, with its exit status, stdout and
 * stderr. Also small readers for what a run leaves on disk (Arrow IPC files, run.json).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { tableFromIPC, type Table } from 'apache-arrow';

/** The built CLI entry point (the package's `bin`). */
export const CLI_PATH = fileURLToPath(new URL('../../../apps/mflab/dist/cli.js', import.meta.url));

/** Generous: a CLI call here is a tiny problem, but the machine is shared and may be slow. */
export const CLI_TIMEOUT_MS = 60_000;

export interface CliResult {
  /** Exit code; null when the process was ended by a signal. */
  status: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

export interface CliOptions {
  cwd: string;
  timeoutMs?: number;
  /** Extra environment variables for the child. */
  env?: NodeJS.ProcessEnv;
}

/** Fails early, with the fix, when the CLI has not been built. */
export function assertCliBuilt(): void {
  if (!existsSync(CLI_PATH)) {
    throw new Error(`${CLI_PATH} is missing: build first with \`npx nx run-many -t build --output-style=static\``);
  }
}

// MFLAB_DEBUG makes the CLI print stack traces; the tests check what users see without it.
function childEnv(extra: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env, NO_COLOR: '1', ...extra };
  delete env.MFLAB_DEBUG;
  return env;
}

/** A running CLI process and the promise of its result (for tests that signal it meanwhile). */
export interface StartedCli {
  child: ChildProcess;
  result: Promise<CliResult>;
}

export function startCli(args: readonly string[], options: CliOptions): StartedCli {
  const child = spawn(process.execPath, [CLI_PATH, ...args], { cwd: options.cwd, env: childEnv(options.env), stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout!.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk));
  child.stderr!.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
  const timeoutMs = options.timeoutMs ?? CLI_TIMEOUT_MS;
  const result = new Promise<CliResult>((resolvePromise, reject) => {
    // A hung CLI is a failure to report, not a test runner timeout to puzzle over.
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`mflab ${args.join(' ')} did not finish within ${timeoutMs} ms\nstdout: ${stdout}\nstderr: ${stderr}`));
    }, timeoutMs);
    child.on('error', (error) => {
      clearTimeout(timer);
      reject(error);
    });
    child.on('close', (status, signal) => {
      clearTimeout(timer);
      resolvePromise({ status, signal, stdout, stderr });
    });
  });
  return { child, result };
}

/** Runs `mflab ...args` to completion. */
export function runCli(args: readonly string[], options: CliOptions): Promise<CliResult> {
  return startCli(args, options).result;
}

/** A fresh temporary directory to use as the CLI's cwd; `dispose` removes it. */
export function tempWorkspace(label: string): { dir: string; path: (...parts: string[]) => string; write: (name: string, text: string) => string; dispose: () => void } {
  const dir = mkdtempSync(join(tmpdir(), `mflab-cli-${label}-`));
  return {
    dir,
    path: (...parts) => join(dir, ...parts),
    write: (name, text) => {
      const file = join(dir, name);
      writeFileSync(file, text);
      return file;
    },
    dispose: () => rmSync(dir, { recursive: true, force: true }),
  };
}

/** An Arrow IPC file or stream (`.arrow` / `.arrows`) read whole with apache-arrow. */
export function readArrow(file: string): Table {
  return tableFromIPC(readFileSync(file));
}

export interface RunJson {
  status: string;
  error: string | null;
  backend: string | null;
  precision: string;
  seed: number;
  config: { train: { precision: string; backend: string; steps: number }; data: { nTest: number }; model: { width: number } };
  interrupted?: string;
  resumedFrom?: number | null;
  final?: Record<string, number | null>;
}

export function readRunJson(runDir: string): RunJson {
  return JSON.parse(readFileSync(join(runDir, 'run.json'), 'utf8')) as RunJson;
}

/**
 * The bytes of every column of a table, by name: two tables with equal results hold the same
 * values bit for bit (NaN payloads and signed zeros included), however their batches are cut.
 */
export function columnBytes(table: Table): Record<string, string> {
  const out: Record<string, string> = {};
  for (const field of table.schema.fields) {
    const column = table.getChild(field.name)!;
    const values = column.toArray() as ArrayLike<number> & ArrayBufferView;
    out[field.name] = `${column.nullCount} nulls; ${Buffer.from(values.buffer, values.byteOffset, values.byteLength).toString('hex')}`;
  }
  return out;
}

export const STACK_LINE = /^\s+at /m;

/** The lines of a stream, without the trailing newline's empty one. */
export const linesOf = (text: string): string[] => text.split('\n').filter((line, i, all) => line !== '' || i < all.length - 1);

/** Resolves once `check()` holds (polled), or rejects after `timeoutMs`. */
export async function waitFor(check: () => boolean, timeoutMs: number, what: string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

/** Every value of a table as bytes, column by column: equal bytes ⇔ bitwise-equal values, however the batches are cut. */
export function valueBytes(table: Table): Record<string, string> {
  const out: Record<string, string> = {};
  for (const field of table.schema.fields) {
    const column = table.getChild(field.name)!;
    const numbers: number[] = [];
    const texts: string[] = [];
    for (let i = 0; i < column.length; i++) {
      const v: unknown = column.get(i);
      if (v === null) texts.push('∅');
      else if (typeof v === 'number') numbers.push(v);
      else if (typeof v === 'string' || typeof v === 'boolean') texts.push(String(v));
      else numbers.push(...Array.from((v as { toArray(): ArrayLike<number> }).toArray()));
    }
    out[field.name] = `${String(field.type)}: ${Buffer.from(Float64Array.from(numbers).buffer).toString('hex')} ${texts.join('|')}`;
  }
  return out;
}
