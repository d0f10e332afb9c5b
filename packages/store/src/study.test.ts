import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import {
  FILES,
  StoreError,
  TrajectoryWriter,
  listRuns,
  openStudy,
  parseRunDirName,
  readArrowFile,
  readIndex,
  runDirName,
  updateRunInfo,
  withStudyLock,
  writeRunInfo,
  type KeyValue,
  type RunStatus,
} from './index.js';
import { tempDir, tsNodeArgs } from './testing/helpers.js';

const CHILD = fileURLToPath(new URL('./testing/study-child.ts', import.meta.url));

function makeRun(study: string, keys: Record<string, KeyValue>, status: RunStatus, observables: readonly string[], rows: number): string {
  const dir = path.join(study, runDirName(keys));
  writeRunInfo(dir, { config: { keys }, seed: 0, status, error: status === 'failed' ? 'boom' : null, backend: 'test', precision: 'f64', versions: {}, timings: {} });
  const w = TrajectoryWriter.open({ dir, observables, precision: 'f64', particleDimension: 2, flushEveryRows: 3, flushEverySeconds: 0 });
  for (let s = 0; s < rows; s++) {
    w.logMetrics(s * 10, s, observables.map((_, c) => Number(keys.width ?? 1) * 1000 + s + c / 10));
    w.logParticles({ step: s * 10, neurons: Int32Array.of(0), a: Float64Array.of(s, -s), b: Float64Array.of(s / 2) });
  }
  w.close();
  return dir;
}

describe('hive run directories', () => {
  it('names runs by swept keys and parses them back, escaping odd characters', () => {
    const keys = { 'model.width': 1024, seed: 3, lr: 0.1, loss: 'square', 'data.path': 'a/b=c d%', bias: true };
    const name = runDirName(keys);
    expect(name.split('/')).toHaveLength(6);
    expect(name.startsWith('model.width=1024/seed=3/lr=0.1/loss=square/')).toBe(true);
    expect(parseRunDirName(name)).toEqual(keys);
    expect(parseRunDirName('width=007/x=1e3')).toEqual({ width: '007', x: '1e3' });
  });
});

describe('study index and readers', () => {
  function study(): string {
    const dir = tempDir('study');
    makeRun(dir, { width: 64, seed: 0 }, 'done', ['risk_train', 'l2'], 5);
    makeRun(dir, { width: 64, seed: 1 }, 'failed', ['risk_train', 'l2'], 3);
    makeRun(dir, { width: 256, seed: 0 }, 'running', ['risk_train', 'l2', 'margin'], 4);
    return dir;
  }

  it('lists and filters runs by swept keys', () => {
    const dir = study();
    expect(listRuns(dir).map((r) => r.relative)).toEqual(['width=256/seed=0', 'width=64/seed=0', 'width=64/seed=1']);
    expect(listRuns(dir, { width: 64 }).map((r) => r.keys.seed)).toEqual([0, 1]);
    expect(listRuns(dir, { width: [256, '64'], seed: (s) => s === 0 })).toHaveLength(2);
    expect(listRuns(dir, { nothing: 1 })).toHaveLength(0);
  });

  it('builds index.arrow with keys, status and final observables, and rebuilds it when runs change', () => {
    const dir = study();
    const index = readIndex(dir);
    expect(index.numRows).toBe(3);
    expect(index.schema.fields.map((f) => f.name)).toEqual(['run', 'width', 'seed', 'status', 'error', 'step', 'time', 'risk_train', 'l2', 'margin']);
    expect([...index.getChild('width')!]).toEqual([256, 64, 64]);
    expect([...index.getChild('status')!]).toEqual(['running', 'done', 'failed']);
    expect([...index.getChild('error')!]).toEqual([null, null, 'boom']);
    expect([...index.getChild('step')!]).toEqual([30, 40, 20]);
    expect(index.getChild('risk_train')!.get(1)).toBe(64_004);
    expect(index.getChild('margin')!.get(0)).toBeCloseTo(256_003.2, 9);
    expect(index.getChild('margin')!.get(1)).toBeNull();
    const file = path.join(dir, FILES.index);
    expect(readArrowFile(file, 'index').numRows).toBe(3);

    // A run changes: the next read sees it, whatever the file on disk says.
    updateRunInfo(path.join(dir, 'width=256/seed=0'), { status: 'diverged', error: 'NaN loss' });
    expect([...readIndex(dir).getChild('status')!]).toEqual(['diverged', 'done', 'failed']);
    // A crash mid-write leaves at worst a stale or broken index file: it is rebuilt, never trusted.
    fs.writeFileSync(file, 'garbage');
    expect(readIndex(dir).numRows).toBe(3);
    makeRun(dir, { width: 1024, seed: 0 }, 'done', ['risk_train', 'l2'], 2);
    expect(readIndex(dir).numRows).toBe(4);
    expect(readIndex(dir, { rebuild: 'never' }).numRows).toBe(4);
    // A run with a broken run.json gets a row with the error, not a failed index.
    fs.writeFileSync(path.join(dir, 'width=1024/seed=0', FILES.runJson), '{');
    const broken = readIndex(dir);
    expect(broken.getChild('status')!.get(0)).toBeNull();
    expect(String(broken.getChild('error')!.get(0))).toMatch(/run\.json: not valid JSON/);
  });

  it('reads a whole study lazily with the swept keys as columns', () => {
    const dir = study();
    const reader = openStudy(dir);
    let batches = 0;
    for (const batch of reader.metricsBatches({ width: 64 })) {
      batches += 1;
      expect(batch.schema.fields.map((f) => f.name)).toEqual(['run', 'width', 'seed', 'step', 'time', 'risk_train', 'l2']);
    }
    expect(batches).toBe(2 + 1); // 5 rows in batches of 3, then 3 rows
    const all = reader.metrics();
    expect(all.numRows).toBe(12);
    const width = all.getChild('width')!;
    const margin = all.getChild('margin')!;
    expect(width.get(0)).toBe(256);
    expect(Number.isNaN(margin.get(5))).toBe(true); // a run without the observable
    expect(all.getChild('run')!.get(11)).toBe('width=64/seed=1');
    const particles = reader.particles({ seed: 0 }, [0, 20]);
    expect(particles.numRows).toBe(4);
    expect([...particles.getChild('step')!]).toEqual([0, 20, 0, 20]);
    expect(() => openStudy(path.join(dir, 'nope'))).toThrow(StoreError);
  });
});

describe('swept key types', () => {
  it('index.arrow and study reads keep int32, float64, bool and utf8 keys, with null where a run lacks a key', () => {
    const dir = tempDir('key-types');
    makeRun(dir, { width: 64, lr: 0.5, bias: true, loss: 'square' }, 'done', ['l2'], 2);
    makeRun(dir, { width: 128, lr: 2, bias: false, loss: 'logistic' }, 'done', ['l2'], 2);
    makeRun(dir, { width: 256, lr: 0.25 }, 'done', ['l2'], 2); // no `bias`, no `loss`
    readIndex(dir);
    // Read back from disk, not from the table just built.
    const index = readIndex(dir, { rebuild: 'never' });
    const types = Object.fromEntries(index.schema.fields.map((f) => [f.name, String(f.type)]));
    expect(types).toMatchObject({ run: 'Utf8', width: 'Int32', lr: 'Float64', bias: 'Bool', loss: 'Utf8', status: 'Utf8', step: 'Int32', time: 'Float64', l2: 'Float64' });
    const byRun = new Map(index.toArray().map((row) => [String(row.run), row.toJSON()]));
    expect(byRun.get('width=64/lr=0.5/bias=true/loss=square')).toMatchObject({ width: 64, lr: 0.5, bias: true, loss: 'square' });
    expect(byRun.get('width=128/lr=2/bias=false/loss=logistic')).toMatchObject({ width: 128, lr: 2, bias: false, loss: 'logistic' });
    expect(byRun.get('width=256/lr=0.25')).toMatchObject({ width: 256, lr: 0.25, bias: null, loss: null });

    const all = openStudy(dir).metrics();
    expect(all.schema.fields.slice(0, 5).map((f) => `${f.name}:${String(f.type)}`)).toEqual(['run:Utf8', 'width:Int32', 'lr:Float64', 'bias:Bool', 'loss:Utf8']);
    const rows = all.toArray().map((row) => row.toJSON());
    expect(rows).toHaveLength(6);
    for (const row of rows) {
      const keys = parseRunDirName(String(row.run));
      expect({ width: row.width, lr: row.lr, bias: row.bias, loss: row.loss }).toEqual({ width: keys.width, lr: keys.lr, bias: keys.bias ?? null, loss: keys.loss ?? null });
    }
  });
});

function spawnChild(args: string[], onLine?: (line: string) => void): Promise<number | null> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, tsNodeArgs(CHILD, args), { stdio: ['ignore', 'pipe', 'inherit'] });
    child.stdout.on('data', (d: Buffer) => onLine?.(String(d)));
    child.on('error', reject);
    child.on('exit', (code) => resolve(code));
  });
}

describe('study lock', () => {
  it('keeps a second process out while held, with a one-line error naming the lock', async () => {
    const dir = tempDir('lock');
    let locked!: () => void;
    const isLocked = new Promise<void>((r) => (locked = r));
    const done = spawnChild(['hold', dir, '1500'], (line) => line.includes('locked') && locked());
    await isLocked;
    let error: unknown;
    try {
      withStudyLock(dir, () => 0, 100);
    } catch (err) {
      error = err;
    }
    expect(error).toBeInstanceOf(StoreError);
    expect((error as Error).message).toMatch(new RegExp(`${FILES.studyLock}: study is held by process \\d+`));
    expect(withStudyLock(dir, () => 'waited', 20_000)).toBe('waited');
    expect(await done).toBe(0);
  });

  it('two processes writing one study leave a correct index', async () => {
    const dir = tempDir('concurrent');
    const codes = await Promise.all([spawnChild(['write', dir, 'a', '6']), spawnChild(['write', dir, 'b', '6'])]);
    expect(codes).toEqual([0, 0]);
    const index = readIndex(dir, { rebuild: 'never' });
    expect(index.numRows).toBe(12);
    expect([...index.getChild('status')!].every((s) => s === 'done')).toBe(true);
    expect(fs.readdirSync(dir).filter((n) => n.includes('.tmp-') || n.includes('.lock'))).toEqual([]);
  });
});
