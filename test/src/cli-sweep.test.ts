/**
 * `mflab sweep`, `inspect` and `report` end to end (issue #6): a 2 widths × 2 seeds grid on 2
 * workers gives a study directory (hive-style run directories, study.json, index.arrow,
 * ARCHITECTURE.md §5); shards of one study written by two processes at once add up to the whole
 * grid; `--resume` keeps finished runs; a diverging run is recorded and the sweep goes on; the
 * report writes html, markdown and every figure as svg and png.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { STACK_LINE, assertCliBuilt, columnBytes, readArrow, readRunJson, runCli, tempWorkspace } from './helpers/cli.js';

const RUN_FILES = ['run.json', 'metrics.arrows', 'particles.arrows', 'checkpoint.arrow', 'outputs.arrow'];
const RUN_IDS = ['model.width=8/seed=0', 'model.width=8/seed=1', 'model.width=16/seed=0', 'model.width=16/seed=1'];

// Tiny runs (40 steps, ≤ 16 neurons, 32 points) with an NTK probe, so every figure has data.
const GRID_YAML = `name: widths
title: Widths test study
data: { kind: teacher, d: 2, n: 32, nTest: 16 }
model: { width: 16 }
train: { steps: 40, lr: 0.1 }
log: { every: 10, particles: { every: 20, count: 4 }, ntk: { every: 20, probe: 8 } }
grid:
  model.width: [8, 16]
  seed: [0, 1]
`;

let ws: ReturnType<typeof tempWorkspace>;
beforeAll(() => {
  assertCliBuilt();
  ws = tempWorkspace('sweep');
  ws.write('widths.yaml', GRID_YAML);
});
afterAll(() => ws?.dispose());

describe('mflab sweep, inspect, report', () => {
  it('sweep --workers 2: 4 hive-style run directories, study.json and a 4-row index.arrow', async () => {
    const result = await runCli(['sweep', 'widths.yaml', '--workers', '2', '--out', 'study'], { cwd: ws.dir });
    expect(result.stderr).not.toMatch(STACK_LINE);
    expect(result.status, result.stderr).toBe(0);
    expect(result.stdout).toMatch(/4 done/);

    const study = ws.path('study');
    for (const id of RUN_IDS) {
      for (const file of RUN_FILES) expect(existsSync(join(study, id, file)), `${id}/${file}`).toBe(true);
      expect(readRunJson(join(study, id)).status).toBe('done');
    }
    // No directories beyond the grid's.
    expect(readdirSync(study).sort()).toEqual(['index.arrow', 'model.width=16', 'model.width=8', 'study.json']);
    // Each run got its own grid values.
    expect(readRunJson(join(study, 'model.width=16/seed=1')).config.model.width).toBe(16);
    expect(readRunJson(join(study, 'model.width=16/seed=1')).seed).toBe(1);

    const meta = JSON.parse(readFileSync(join(study, 'study.json'), 'utf8')) as { name: string; grid: Record<string, unknown[]> };
    expect(meta.name).toBe('widths');
    expect(meta.grid).toEqual({ 'model.width': [8, 16], seed: [0, 1] });

    const index = readArrow(join(study, 'index.arrow'));
    expect(index.numRows).toBe(4);
    const rows = index.toArray().map((r) => r.toJSON() as Record<string, unknown>);
    expect(rows.map((r) => `model.width=${String(r['model.width'])}/seed=${String(r.seed)}`).sort()).toEqual([...RUN_IDS].sort());
    for (const row of rows) {
      expect(row.status).toBe('done');
      expect(row.step).toBe(40);
      expect(Number.isFinite(row.risk_train)).toBe(true);
    }
  });

  it('the seeds of a sweep reproduce a plain run of the same config bitwise', async () => {
    ws.write('one.yaml', GRID_YAML.replace(/grid:[\s\S]*$/, '').replace('width: 16', 'width: 8').replace('name: widths', 'seed: 1'));
    const single = await runCli(['run', 'one.yaml', '--out', 'one'], { cwd: ws.dir });
    expect(single.status).toBe(0);
    expect(columnBytes(readArrow(ws.path('one', 'metrics.arrows')))).toEqual(columnBytes(readArrow(ws.path('study', 'model.width=8/seed=1', 'metrics.arrows'))));
  });

  it('inspect prints a table with the 4 runs', async () => {
    const result = await runCli(['inspect', 'study'], { cwd: ws.dir });
    expect(result.status).toBe(0);
    expect(result.stderr).not.toMatch(STACK_LINE);
    const header = result.stdout.split('\n').find((line) => /\bstatus\b/.test(line) && /risk_train/.test(line));
    expect(header).toBeDefined();
    expect(header).toMatch(/model\.width\s+seed/);
    const runRows = result.stdout.split('\n').filter((line) => /^\s*(8|16)\s+[01]\s+done\b/.test(line));
    expect(runRows).toHaveLength(4);
    expect(result.stdout).toMatch(/4 runs: 4 done/);
  });

  it('inspect on one run directory prints its logged steps', async () => {
    const result = await runCli(['inspect', join('study', 'model.width=8', 'seed=0')], { cwd: ws.dir });
    expect(result.status).toBe(0);
    expect(result.stdout).toMatch(/5 logged steps/);
  });

  it('--resume on a finished study keeps its runs ("finished runs kept") and rewrites nothing', async () => {
    const before = columnBytes(readArrow(ws.path('study', 'model.width=16/seed=0', 'metrics.arrows')));
    const result = await runCli(['sweep', 'widths.yaml', '--workers', '2', '--out', 'study', '--resume'], { cwd: ws.dir });
    expect(result.status, result.stderr).toBe(0);
    expect(result.stderr).toMatch(/4 finished runs kept/);
    expect(readArrow(ws.path('study', 'index.arrow')).numRows).toBe(4);
    for (const id of RUN_IDS) expect(readRunJson(ws.path('study', id)).status).toBe('done');
    expect(columnBytes(readArrow(ws.path('study', 'model.width=16/seed=0', 'metrics.arrows')))).toEqual(before);
  });

  it('--shard 0/2 and --shard 1/2, run at once into one directory, together cover the 4 runs', async () => {
    const [first, second] = await Promise.all([
      runCli(['sweep', 'widths.yaml', '--workers', '1', '--out', 'sharded', '--shard', '0/2'], { cwd: ws.dir }),
      runCli(['sweep', 'widths.yaml', '--workers', '1', '--out', 'sharded', '--shard', '1/2'], { cwd: ws.dir }),
    ]);
    expect(first.status, first.stderr).toBe(0);
    expect(second.status, second.stderr).toBe(0);
    // Each shard ran 2 of the 4 runs (the cost-balanced partition of study/shards.ts).
    expect(first.stdout).toMatch(/2 done/);
    expect(second.stdout).toMatch(/2 done/);
    for (const id of RUN_IDS) {
      expect(readRunJson(ws.path('sharded', id)).status, id).toBe('done');
      // Sharding does not change a run: the same bits as in the one-process study.
      expect(columnBytes(readArrow(ws.path('sharded', id, 'metrics.arrows'))), id).toEqual(columnBytes(readArrow(ws.path('study', id, 'metrics.arrows'))));
    }
    // Each shard rebuilds the index from what is on disk when it ends, so the one that ends last
    // sees all 4 runs finished.
    const index = readArrow(ws.path('sharded', 'index.arrow'));
    expect(index.numRows).toBe(4);
    expect([...(index.getChild('status')!.toArray() as string[])]).toEqual(['done', 'done', 'done', 'done']);
    const listing = await runCli(['inspect', 'sharded'], { cwd: ws.dir });
    expect(listing.stdout).toMatch(/4 runs: 4 done/);
  });

  it('a diverging run is marked diverged, the other runs go on, and the sweep exits 0', async () => {
    ws.write('lrs.yaml', GRID_YAML.replace('name: widths', 'name: lrs\nseed: 1').replace(/grid:[\s\S]*$/, 'grid:\n  train.lr: [0.1, 1000]\n'));
    const result = await runCli(['sweep', 'lrs.yaml', '--workers', '2', '--out', 'lrs'], { cwd: ws.dir });
    expect(result.stderr).not.toMatch(STACK_LINE);
    expect(result.status, result.stderr).toBe(0);
    expect(readRunJson(ws.path('lrs', 'train.lr=0.1')).status).toBe('done');
    const diverged = readRunJson(ws.path('lrs', 'train.lr=1000'));
    expect(diverged.status).toBe('diverged');
    expect(diverged.error).toMatch(/\S/);
    const statuses = readArrow(ws.path('lrs', 'index.arrow')).getChild('status')!.toArray() as string[];
    expect([...statuses].sort()).toEqual(['diverged', 'done']);
  });

  it('a sweep whose runs fail (missing csv) records them as failed and exits 1', async () => {
    ws.write('csv.yaml', 'name: csvs\ndata: { kind: csv, path: no-such-data.csv, d: 2 }\nmodel: { width: 8 }\ntrain: { steps: 5 }\ngrid: { seed: [0, 1] }\n');
    const result = await runCli(['sweep', 'csv.yaml', '--workers', '2', '--out', 'csvs'], { cwd: ws.dir });
    expect(result.stderr).not.toMatch(STACK_LINE);
    expect(result.status).toBe(1);
    expect(result.stderr).toMatch(/data\.path/);
    for (const seed of [0, 1]) {
      const info = readRunJson(ws.path('csvs', `seed=${seed}`));
      expect(info.status).toBe('failed');
      expect(info.error).toMatch(/data\.path/);
    }
  });

  it('report: report.html, report.md and every figure as svg and png', async () => {
    const result = await runCli(['report', 'study'], { cwd: ws.dir });
    expect(result.stderr).not.toMatch(STACK_LINE);
    expect(result.status, result.stderr).toBe(0);
    const study = ws.path('study');
    expect(existsSync(join(study, 'report.html'))).toBe(true);
    expect(existsSync(join(study, 'report.md'))).toBe(true);
    const figures = readdirSync(join(study, 'figures'));
    const svgs = figures.filter((f) => f.endsWith('.svg'));
    const pngs = figures.filter((f) => f.endsWith('.png'));
    expect(svgs.length).toBeGreaterThan(0);
    expect(pngs.map((f) => f.replace(/\.png$/, '')).sort()).toEqual(svgs.map((f) => f.replace(/\.svg$/, '')).sort());
    // Real images, not empty files: an SVG document and the PNG signature.
    expect(readFileSync(join(study, 'figures', svgs[0]), 'utf8')).toMatch(/<svg[\s>]/);
    expect(readFileSync(join(study, 'figures', pngs[0])).subarray(0, 8)).toEqual(Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]));
    // Self-contained html (figures inlined, no network).
    const html = readFileSync(join(study, 'report.html'), 'utf8');
    expect(html).toMatch(/<svg[\s>]|data:image\/(svg\+xml|png)/);
    expect(html).not.toMatch(/<script[^>]+src=["']https?:/);
  });
});
