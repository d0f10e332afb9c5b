/**
 * Bad files and bad directories give one-line StoreErrors that name the path, never a raw
 * exception from the Arrow reader.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  CORE_OBSERVABLES,
  FILES,
  StoreError,
  StreamFile,
  TrajectoryWriter,
  openRun,
  readArrowFile,
  readCheckpoint,
  readRunInfo,
  writeFileAtomic,
  writeRunInfo,
} from './index.js';
import { tempDir } from './testing/helpers.js';

/** Runs `fn`, expecting a one-line StoreError naming `where`; returns the message. */
function storeError(fn: () => unknown, where: string): string {
  let error: unknown;
  try {
    fn();
  } catch (err) {
    error = err;
  }
  expect(error, 'expected a StoreError').toBeInstanceOf(StoreError);
  const message = (error as StoreError).message;
  expect(message).toContain(where);
  expect(message).not.toMatch(/[\r\n]/);
  expect(message).not.toMatch(/\s+at\s+\S+\s+\(/); // no stack frames
  return message;
}

function writtenRun(): string {
  const dir = tempDir('err');
  const w = TrajectoryWriter.open({ dir, observables: CORE_OBSERVABLES, precision: 'f64', particleDimension: 2, flushEveryRows: 2, flushEverySeconds: 0 });
  for (let s = 0; s < 6; s++) w.logMetrics(s, s, new Float64Array(CORE_OBSERVABLES.length).fill(s));
  w.logParticles({ step: 5, neurons: Int32Array.of(1), a: Float64Array.of(1, 2), b: Float64Array.of(3) });
  const p = { m: 1, D: 2, a: Float64Array.of(1, 2), b: Float64Array.of(3) };
  w.checkpoint({ step: 5, params: p, initialParams: p });
  w.close();
  writeRunInfo(dir, { config: {}, seed: 1, status: 'done', error: null, backend: 'test', precision: 'f64', versions: {}, timings: {} });
  return dir;
}

describe('bad files', () => {
  it('reports missing, empty, garbage and foreign stream files', () => {
    const dir = writtenRun();
    const metrics = path.join(dir, FILES.metrics);
    const particles = path.join(dir, FILES.particles);
    expect(storeError(() => StreamFile.open(path.join(dir, 'nope.arrows')), 'nope.arrows')).toMatch(/no such file.*ENOENT/);
    fs.writeFileSync(path.join(dir, 'empty.arrows'), '');
    expect(storeError(() => StreamFile.open(path.join(dir, 'empty.arrows')), 'empty.arrows')).toMatch(/empty file/);
    fs.writeFileSync(path.join(dir, 'garbage.arrows'), 'step,time\n1,2\n');
    expect(storeError(() => StreamFile.open(path.join(dir, 'garbage.arrows')), 'garbage.arrows')).toMatch(/not an Arrow IPC stream/);
    fs.writeFileSync(path.join(dir, 'random.arrows'), Buffer.from(Array.from({ length: 4096 }, (_, i) => (i * 7919) & 0xff)));
    storeError(() => StreamFile.open(path.join(dir, 'random.arrows')), 'random.arrows');
    // A stream of the wrong kind: particles where metrics are expected.
    fs.copyFileSync(particles, metrics);
    expect(storeError(() => openRun(dir).metrics(), metrics)).toMatch(/not an mflab metrics stream.*'particles'/);
    // An Arrow file where a stream is expected.
    fs.copyFileSync(path.join(dir, FILES.checkpoint), metrics);
    expect(storeError(() => openRun(dir).metrics(), metrics)).toMatch(/is an Arrow IPC file/);
  });

  it('reads a stream cut anywhere up to its last whole batch; a cut schema is an error', () => {
    const dir = writtenRun();
    const metrics = path.join(dir, FILES.metrics);
    const bytes = fs.readFileSync(metrics);
    const full = openRun(dir).metrics().numRows;
    expect(full).toBe(6);
    const schemaEnd = StreamFile.open(metrics).schemaBytes.byteLength;
    let last = -1;
    for (let cut = 1; cut < bytes.byteLength; cut += 1) {
      fs.writeFileSync(metrics, bytes.subarray(0, cut));
      if (cut < schemaEnd) {
        expect(storeError(() => openRun(dir).metrics(), metrics)).toMatch(/truncated/);
        continue;
      }
      const reader = openRun(dir);
      const rows = reader.metrics().numRows;
      expect(rows % 2).toBe(0); // whole batches of 2 rows only
      expect(rows).toBeGreaterThanOrEqual(last);
      last = rows;
    }
    expect(last).toBe(full);
  });

  it('reports empty, cut, garbage and foreign Arrow files and run.json', () => {
    const dir = writtenRun();
    const ckpt = path.join(dir, FILES.checkpoint);
    const bytes = fs.readFileSync(ckpt);
    fs.writeFileSync(ckpt, bytes.subarray(0, bytes.byteLength - 9));
    expect(storeError(() => readCheckpoint(dir), ckpt)).toMatch(/truncated Arrow IPC file/);
    fs.writeFileSync(ckpt, '');
    expect(storeError(() => readCheckpoint(dir), ckpt)).toMatch(/empty file/);
    fs.writeFileSync(ckpt, 'ARROW1\0\0 garbage garbage ARROW1');
    expect(storeError(() => readCheckpoint(dir), ckpt)).toMatch(/corrupt Arrow IPC file/);
    fs.writeFileSync(ckpt, fs.readFileSync(path.join(dir, FILES.metrics)));
    expect(storeError(() => readCheckpoint(dir), ckpt)).toMatch(/is an Arrow IPC stream/);
    // A valid Arrow file that is not a checkpoint.
    const other = path.join(dir, 'other.arrow');
    fs.writeFileSync(other, bytes);
    expect(readArrowFile(other, 'checkpoint').numRows).toBeGreaterThan(0);
    expect(storeError(() => readArrowFile(other, 'index'), other)).toMatch(/not an mflab index file/);
    const runJson = path.join(dir, FILES.runJson);
    fs.writeFileSync(runJson, '{"status": "running"');
    expect(storeError(() => readRunInfo(dir), runJson)).toMatch(/not valid JSON/);
    fs.writeFileSync(runJson, '{"status": "sleeping"}');
    expect(storeError(() => readRunInfo(dir), runJson)).toMatch(/status 'sleeping'/);
  });
});

describe('bad directories', () => {
  it('a run directory under a regular file (ENOTDIR)', () => {
    const root = tempDir('notdir');
    const file = path.join(root, 'plain-file');
    fs.writeFileSync(file, 'x');
    const dir = path.join(file, 'run');
    expect(storeError(() => TrajectoryWriter.open({ dir, observables: ['l2'], precision: 'f64' }), dir)).toMatch(/ENOTDIR/);
    expect(storeError(() => writeFileAtomic(path.join(dir, 'run.json'), '{}'), path.join(dir, 'run.json'))).toMatch(/ENOTDIR/);
    expect(storeError(() => openRun(dir), dir)).toMatch(/ENOTDIR/);
  });

  it('a full device (ENOSPC): a stream on /dev/full fails at flush with one line', () => {
    if (!fs.existsSync('/dev/full')) return expect(process.platform).not.toBe('linux');
    const dir = tempDir('full');
    const w = TrajectoryWriter.open({ dir, observables: ['l2'], precision: 'f64', flushEveryRows: 2, flushEverySeconds: 0 });
    // The stream is opened for appending at the first flush: make its path lead to /dev/full.
    const metrics = path.join(dir, FILES.metrics);
    fs.rmSync(metrics);
    fs.symlinkSync('/dev/full', metrics);
    w.logMetrics(0, 0, [1]);
    const message = storeError(() => w.logMetrics(1, 0, [1]), metrics);
    expect(message).toMatch(/no space left on device \(ENOSPC\)/);
    // The writer refuses further rows with the same error, and close releases the lock.
    expect(() => w.logMetrics(2, 0, [1])).toThrow(message);
    w.close();
    fs.rmSync(metrics);
    TrajectoryWriter.open({ dir, observables: ['l2'], precision: 'f64' }).close();
  });

  it('a read-only directory (EACCES where permissions apply)', () => {
    const dir = tempDir('ro');
    fs.chmodSync(dir, 0o555);
    const target = path.join(dir, 'run');
    const isRoot = typeof process.getuid === 'function' && process.getuid() === 0;
    if (isRoot) {
      // Root ignores permissions: the directory is writable, so check the success path instead.
      expect(() => writeRunInfo(target, { config: {}, seed: 0, status: 'running', error: null, backend: null, precision: 'f64', versions: {}, timings: {} })).not.toThrow();
    } else {
      expect(storeError(() => TrajectoryWriter.open({ dir: target, observables: ['l2'], precision: 'f64' }), target)).toMatch(/EACCES/);
    }
    fs.chmodSync(dir, 0o755);
  });
});
