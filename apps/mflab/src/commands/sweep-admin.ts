/**
 * `mflab sweep status DIR` and `mflab sweep merge DIR`: looking after a study that several
 * processes write (docs/cluster.md). `status` recomputes the shard partition from study.json's
 * grid and reads each run's run.json and claim; `merge` rebuilds index.arrow from the run directories.
 */
import { existsSync, readFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { join, resolve } from 'node:path';
import { readRunInfo, rebuildIndex, runDirName } from '@mflab/store';
import { expandGrid } from '../config/grid.js';
import { CLAIM_FILE, PID_NAMESPACE, claimStaleness, claimTimeoutMs, isProcessAlive, readClaim } from '../study/claim.js';
import { parseShardCount, partitionByCost, runCost } from '../study/shards.js';
import { EXIT, UsageError, table } from './shared.js';

/** Where one run stands. `interrupted`: started, nobody runs it now; the next pass of its shard resumes it. */
export type CellState = 'done' | 'diverged' | 'running' | 'interrupted' | 'failed' | 'not-started';
export const CELL_STATES: readonly CellState[] = ['done', 'diverged', 'running', 'interrupted', 'failed', 'not-started'];

export interface CellReport {
  id: string;
  shard: number;
  state: CellState;
  detail: string;
}

function readStudyJson(dir: string): { grid: Record<string, unknown>; config: Record<string, unknown>; shards?: number } {
  const file = join(dir, 'study.json');
  if (!existsSync(file)) throw new UsageError(`${dir}: no study.json here; expected a study directory written by \`mflab sweep\``);
  try {
    const meta = JSON.parse(readFileSync(file, 'utf8')) as { grid?: unknown; config?: unknown; shards?: unknown };
    const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
    return { grid: isObject(meta.grid) ? meta.grid : {}, config: isObject(meta.config) ? meta.config : {}, shards: typeof meta.shards === 'number' ? meta.shards : undefined };
  } catch (error) {
    throw new UsageError(`${file}: not valid JSON (${(error as Error).message.split('\n')[0]})`);
  }
}

/** Whether a live process holds the run's claim (and a word about it). */
function liveClaim(runDir: string, timeoutMs: number): string | null {
  const seen = readClaim(join(runDir, CLAIM_FILE));
  if (seen === 'gone') return null;
  const stale = claimStaleness(seen.owner, seen.heartbeatMs, { now: Date.now(), host: hostname(), pidNamespace: PID_NAMESPACE, pid: process.pid, timeoutMs, isAlive: isProcessAlive, ownTokens: new Set() });
  if (stale !== null) return null;
  return seen.owner ? `process ${seen.owner.pid} on ${seen.owner.host}` : 'a process';
}

export function cellState(runDir: string, timeoutMs: number): { state: CellState; detail: string } {
  const holder = liveClaim(runDir, timeoutMs);
  if (!existsSync(join(runDir, 'run.json'))) return holder ? { state: 'running', detail: `starting (${holder})` } : { state: 'not-started', detail: '' };
  let info;
  try {
    info = readRunInfo(runDir);
  } catch (error) {
    return { state: 'failed', detail: (error as Error).message.split('\n')[0] };
  }
  const error = typeof info.error === 'string' ? info.error : '';
  switch (info.status) {
    case 'done':
      return { state: 'done', detail: '' };
    case 'diverged':
      return { state: 'diverged', detail: error };
    case 'failed':
      return holder ? { state: 'running', detail: `retrying (${holder})` } : { state: 'failed', detail: error };
    default:
      if (holder) return { state: 'running', detail: holder };
      return { state: 'interrupted', detail: typeof info.interrupted === 'string' ? info.interrupted : 'its process is gone; the next pass of its shard resumes it' };
  }
}

/** Every cell of the study's grid with its shard and state. */
export function studyStatus(dir: string, shards: number): CellReport[] {
  const meta = readStudyJson(dir);
  const cells = expandGrid({ ...meta.config, grid: meta.grid }, join(dir, 'study.json'));
  const shardOf = partitionByCost(cells.map(runCost), shards);
  const timeoutMs = claimTimeoutMs();
  return cells.map((cell, i) => {
    const id = runDirName(cell.keys);
    return { id, shard: shardOf[i], ...cellState(join(dir, id), timeoutMs) };
  });
}

export function statusCommand(dirArg: string, shardsFlag: string | undefined): number {
  const dir = resolve(dirArg);
  const meta = readStudyJson(dir);
  const shards = shardsFlag !== undefined ? parseShardCount('--shards', shardsFlag) : (meta.shards ?? 1);
  const cells = studyStatus(dir, shards);
  const rows: string[][] = [];
  for (let s = 0; s < shards; s++) {
    const mine = cells.filter((c) => c.shard === s);
    rows.push([`${s}/${shards}`, String(mine.length), ...CELL_STATES.map((state) => String(mine.filter((c) => c.state === state).length))]);
  }
  const count = (state: CellState) => cells.filter((c) => c.state === state).length;
  rows.push(['all', String(cells.length), ...CELL_STATES.map((state) => String(count(state)))]);
  process.stdout.write(`${table(['shard', 'runs', ...CELL_STATES], rows)}\n`);
  const open = cells.filter((c) => c.state !== 'done' && c.state !== 'not-started');
  if (open.length > 0) {
    process.stdout.write(`\n${table(['run', 'shard', 'state', 'detail'], open.slice(0, 40).map((c) => [c.id, String(c.shard), c.state, c.detail]))}\n`);
    if (open.length > 40) process.stdout.write(`… and ${open.length - 40} more\n`);
  }
  const finished = count('done') + count('diverged');
  process.stdout.write(`\n${finished} of ${cells.length} runs finished${finished === cells.length ? '' : `; resubmit the shards with unfinished runs (they skip what is done)`}\n`);
  return EXIT.ok;
}

export function mergeCommand(dirArg: string): number {
  const dir = resolve(dirArg);
  readStudyJson(dir);
  const index = rebuildIndex(dir);
  const statuses = (index.getChild('status')?.toArray() ?? []) as (string | null)[];
  const counts = new Map<string, number>();
  for (const s of statuses) counts.set(s ?? 'unreadable', (counts.get(s ?? 'unreadable') ?? 0) + 1);
  process.stdout.write(`index.arrow rebuilt: ${index.numRows} runs (${[...counts].map(([s, n]) => `${n} ${s}`).join(', ') || 'none'}) → ${join(dir, 'index.arrow')}\n`);
  return EXIT.ok;
}
