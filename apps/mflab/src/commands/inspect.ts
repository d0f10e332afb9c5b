import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { listRuns, openRun, readRunInfo, type RunInfo } from '@mflab/store';
import { ConfigError } from '../config/validate.js';
import { EXIT, fmt, parse, studyOrRunDirectory, table } from './shared.js';

export const INSPECT_HELP = `Usage: mflab inspect DIR [options]

Prints a summary table of a study (one row per run: swept keys, status, final observables) or
of one run (its status and logged metrics).

Options:
  -h, --help     this help

Examples:
  mflab inspect mflab-out/default
  mflab inspect "mflab-out/default/model.parameterization=ntk/model.width=512/train.weightDecay=0/seed=0"
`;

interface FinalRow {
  risk_train?: number;
  risk_test?: number;
  error_test?: number;
  objective?: number;
  move?: number;
  ntk_drift?: number;
}

export async function inspectCommand(args: string[]): Promise<number> {
  const { flags, positionals } = parse('inspect', args, { help: { type: 'boolean', short: 'h' } });
  if (flags.help) {
    process.stdout.write(INSPECT_HELP);
    return EXIT.ok;
  }
  if (positionals.length !== 1) throw new ConfigError('DIR', 'expected one study or run directory (see `mflab inspect --help`)');
  const dir = studyOrRunDirectory(positionals[0], 'inspect');
  if (existsSync(join(dir, 'run.json'))) {
    process.stdout.write(inspectRun(dir));
    return EXIT.ok;
  }
  process.stdout.write(inspectStudy(dir));
  return EXIT.ok;
}

function describeRun(info: RunInfo): string[] {
  const f = (info.final ?? {}) as FinalRow;
  const timings = info.timings ?? {};
  return [
    String(info.status) + (info.interrupted ? ' (interrupted)' : ''),
    fmt(f.risk_train ?? NaN),
    fmt(f.risk_test ?? NaN),
    fmt(f.error_test ?? NaN),
    fmt(f.objective ?? NaN),
    fmt(f.move ?? NaN),
    fmt(f.ntk_drift ?? NaN),
    info.backend ?? '',
    timings.wall !== undefined ? timings.wall.toFixed(1) : '',
    info.error ?? '',
  ];
}

export function inspectStudy(dir: string): string {
  const runs = listRuns(dir).sort((a, b) => a.relative.localeCompare(b.relative, 'en', { numeric: true }));
  let title = '';
  const metaFile = join(dir, 'study.json');
  if (existsSync(metaFile)) {
    const meta = JSON.parse(readFileSync(metaFile, 'utf8')) as { name?: string; title?: string; grid?: Record<string, unknown[]> };
    title = `${meta.title ?? meta.name ?? dir}\ngrid: ${Object.entries(meta.grid ?? {}).map(([k, v]) => `${k} × ${Array.isArray(v) ? v.length : '?'}`).join(', ') || '(none)'}\n`;
  }
  const keyNames = [...new Set(runs.flatMap((r) => Object.keys(r.keys)))];
  const rows = runs.map((r) => {
    let info: RunInfo | null = null;
    try {
      info = readRunInfo(r.dir);
    } catch {
      info = null;
    }
    return [...keyNames.map((k) => String(r.keys[k] ?? '')), ...(info ? describeRun(info) : ['no run.json', '', '', '', '', '', '', '', '', ''])];
  });
  const counts = new Map<string, number>();
  for (const row of rows) counts.set(row[keyNames.length], (counts.get(row[keyNames.length]) ?? 0) + 1);
  return `${title}${table([...keyNames, 'status', 'risk_train', 'risk_test', 'error_test', 'objective', 'move', 'ntk_drift', 'backend', 'seconds', 'error'], rows)}\n${runs.length} runs: ${[...counts].map(([s, n]) => `${n} ${s}`).join(', ')}\n`;
}

export function inspectRun(dir: string): string {
  const reader = openRun(dir);
  const info = reader.info();
  const metrics = reader.metrics();
  const names = ['step', 'time', 'risk_train', 'risk_test', 'error_test', 'objective', 'move', 'l2', 'ntk_drift'].filter((n) => metrics.schema.fields.some((f) => f.name === n));
  const columns = names.map((n) => metrics.getChild(n)!);
  const count = metrics.numRows;
  const pick = count <= 12 ? [...Array(count).keys()] : [...[0, 1, 2, 3, 4, 5].map((k) => Math.round((k * (count - 1)) / 11)), ...[6, 7, 8, 9, 10, 11].map((k) => Math.round((k * (count - 1)) / 11))];
  const rows = [...new Set(pick)].map((i) => columns.map((c, k) => (k === 0 ? String(c.get(i)) : fmt(Number(c.get(i))))));
  const head = table(['status', 'risk_train', 'risk_test', 'error_test', 'objective', 'move', 'ntk_drift', 'backend', 'seconds', 'error'], [describeRun(info)]);
  return `${dir}\n${head}\n\n${count} logged steps:\n${table(names, rows)}\n`;
}
