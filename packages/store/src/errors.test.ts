/**
 * Bad files and bad directories give one-line StoreErrors that name the path, never a raw
 * exception from the Arrow reader.
 */
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { tempPathFor } from './atomic.js';
import {
  OBSERVABLES,
  FILES,
  StoreError,
  StreamFile,
  TrajectoryWriter,
  openRun,
  readArrowFile,
  readCheckpoint,
  readIndex,
  readRunInfo,
  updateRunInfo,
  writeCheckpoint,
  writeFileAtomic,
  writeRunInfo,
} from './index.js';
import { seededRandom, tempDir, tsNodeArgs } from './testing/helpers.js';
import { readOnlyAttempts, tryAttempt, type ReadOnlyOutcome } from './testing/readonly-attempts.js';

const READONLY_CHILD = fileURLToPath(new URL('./testing/readonly-child.ts', import.meta.url));

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
  const w = TrajectoryWriter.open({ dir, observables: OBSERVABLES, precision: 'f64', particleDimension: 2, flushEveryRows: 2, flushEverySeconds: 0 });
  for (let s = 0; s < 6; s++) w.logMetrics(s, s, new Float64Array(OBSERVABLES.length).fill(s));
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

  it('reports missing files, and a directory where a file is expected, naming the path', () => {
    const study = tempDir('dirs');
    const dir = path.join(study, 'width=4');
    fs.cpSync(writtenRun(), dir, { recursive: true });
    readIndex(study);
    const files = {
      metrics: path.join(dir, FILES.metrics),
      particles: path.join(dir, FILES.particles),
      checkpoint: path.join(dir, FILES.checkpoint),
      runJson: path.join(dir, FILES.runJson),
      index: path.join(study, FILES.index),
    };
    const reads: [string, () => unknown][] = [
      [files.metrics, () => openRun(dir).metrics()],
      [files.metrics, () => StreamFile.open(files.metrics)],
      [files.particles, () => openRun(dir).particles()],
      [files.checkpoint, () => readArrowFile(files.checkpoint)],
      [files.runJson, () => readRunInfo(dir)],
      [files.index, () => readIndex(study, { rebuild: 'never' })],
    ];
    for (const file of Object.values(files)) fs.renameSync(file, `${file}.aside`);
    for (const [file, read] of reads) expect(storeError(read, file), file).toMatch(/no such file or directory \(ENOENT\)/);
    expect(readCheckpoint(dir)).toBeNull(); // no checkpoint yet is not an error
    for (const file of Object.values(files)) fs.mkdirSync(file);
    for (const [file, read] of reads) expect(storeError(read, file), file).toMatch(/is a directory/);
    expect(storeError(() => readCheckpoint(dir), files.checkpoint)).toMatch(/is a directory/);
    // Writers: a fresh stream cannot replace the directory, and a resume cannot read it.
    const options = { dir, observables: OBSERVABLES, precision: 'f64', particleDimension: 2 } as const;
    expect(storeError(() => TrajectoryWriter.open(options), files.metrics)).toMatch(/is a directory \(EISDIR\)/);
    expect(storeError(() => TrajectoryWriter.open({ ...options, resumeFrom: { step: 3 } }), files.metrics)).toMatch(/is a directory/);
    expect(storeError(() => updateRunInfo(dir, { status: 'failed' }), files.runJson)).toMatch(/is a directory/);
  });

  it('reports an Arrow file (checkpoint.arrow, index.arrow) cut at any length', () => {
    const study = tempDir('cut-file');
    const dir = path.join(study, 'width=4');
    fs.cpSync(writtenRun(), dir, { recursive: true });
    readIndex(study);
    for (const [file, read] of [
      [path.join(dir, FILES.checkpoint), () => readCheckpoint(dir)],
      [path.join(study, FILES.index), () => readIndex(study, { rebuild: 'never' })],
    ] as const) {
      const bytes = fs.readFileSync(file);
      for (let cut = 0; cut < bytes.byteLength; cut++) {
        fs.writeFileSync(file, bytes.subarray(0, cut));
        const message = storeError(read, file);
        if (cut === 0) expect(message).toMatch(/empty file/);
        else if (cut >= 12) expect(message, `cut at ${cut}`).toMatch(/truncated Arrow IPC file|corrupt Arrow IPC file/);
      }
      fs.writeFileSync(file, bytes);
      expect(() => read()).not.toThrow();
    }
  });

  it('corrupt bytes anywhere in any store file give a read or a one-line StoreError, never a crash', () => {
    // Seeded byte flips. Before the metadata was verified, such flips made apache-arrow loop over
    // a "billion-element" vector until the process ran out of memory, or report billions of rows.
    const study = tempDir('corrupt');
    const dir = path.join(study, 'width=4');
    fs.cpSync(writtenRun(), dir, { recursive: true });
    readIndex(study);
    const random = seededRandom(12345);
    const targets: [string, () => unknown][] = [
      [path.join(dir, FILES.metrics), () => openRun(dir).metrics()],
      [path.join(dir, FILES.particles), () => openRun(dir).particles()],
      [path.join(dir, FILES.checkpoint), () => readCheckpoint(dir)],
      [path.join(study, FILES.index), () => readIndex(study, { rebuild: 'never' }).toArray()],
    ];
    let errors = 0;
    let reads = 0;
    for (const [file, read] of targets) {
      const bytes = fs.readFileSync(file);
      for (let trial = 0; trial < 400; trial++) {
        const corrupt = Buffer.from(bytes);
        const flips = 1 + Math.floor(random() * 3);
        for (let f = 0; f < flips; f++) corrupt[Math.floor(random() * corrupt.length)] = Math.floor(random() * 256);
        fs.writeFileSync(file, corrupt);
        try {
          read();
          reads += 1;
        } catch (err) {
          expect(err, `${path.basename(file)}, trial ${trial}: ${String(err)}`).toBeInstanceOf(StoreError);
          expect((err as StoreError).message.startsWith(`${file}: `)).toBe(true);
          expect((err as StoreError).message).not.toMatch(/[\r\n]/);
          errors += 1;
        }
      }
      fs.writeFileSync(file, bytes);
    }
    // Both outcomes occur: flips in the values read back, flips in the metadata are reported.
    expect(errors).toBeGreaterThan(400);
    expect(reads).toBeGreaterThan(100);
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

  it('a read-only directory: every write fails with one line naming the path (EACCES)', (ctx) => {
    // mkdtemp makes the directory 0700: open it to others, so an unprivileged child can reach it.
    const parent = tempDir('ro');
    fs.chmodSync(parent, 0o755);
    const dir = path.join(parent, 'read-only');
    fs.mkdirSync(dir, { mode: 0o555 });
    fs.chmodSync(dir, 0o555);
    let outcomes: ReadOnlyOutcome[];
    if (process.getuid?.() === 0) {
      // Root ignores permissions, so the writes run in a child as `nobody` (uid/gid 65534).
      const result = spawnSync(process.execPath, tsNodeArgs(READONLY_CHILD, [dir]), { uid: 65534, gid: 65534, encoding: 'utf8', timeout: 30_000 });
      const lines = result.stdout.split('\n').filter((l) => l.length > 0);
      if (lines[0] !== 'ready') {
        const why = result.error?.message ?? result.stderr.split('\n').find((l) => /error|denied/i.test(l)) ?? `exit ${result.status}`;
        // Only when `nobody` cannot load the sources (e.g. a checkout under a private home directory).
        return ctx.skip(`cannot run the store as uid 65534 here: ${why}`);
      }
      expect(result.status, result.stderr).toBe(0);
      outcomes = lines.slice(1).map((l) => JSON.parse(l) as ReadOnlyOutcome);
    } else {
      outcomes = readOnlyAttempts(dir).map(tryAttempt);
    }
    expect(outcomes.map((o) => o.what)).toEqual(readOnlyAttempts(dir).map((a) => a.what));
    for (const o of outcomes) {
      expect(o.other, o.what).toBeNull();
      const message = o.storeError ?? '';
      expect(message.startsWith(`${o.path}: `), `${o.what}: ${message}`).toBe(true);
      expect(message, o.what).toMatch(/permission denied \(EACCES\)$/);
      expect(message, o.what).not.toMatch(/[\r\n]/);
    }
    // Nothing was left behind (no temporary file, no lock).
    expect(fs.readdirSync(dir)).toEqual([]);
    fs.chmodSync(dir, 0o755);
  });

  it('a full device (ENOSPC) while replacing checkpoint.arrow or run.json keeps the old file', () => {
    if (!fs.existsSync('/dev/full')) return expect(process.platform).not.toBe('linux');
    const dir = writtenRun();
    for (const [file, write] of [
      [path.join(dir, FILES.checkpoint), () => writeCheckpoint(dir, { step: 9, params: { m: 1, D: 1, a: Float64Array.of(9), b: Float64Array.of(9) }, initialParams: { m: 1, D: 1, a: Float64Array.of(0), b: Float64Array.of(0) } })],
      [path.join(dir, FILES.runJson), () => updateRunInfo(dir, { status: 'failed' })],
    ] as const) {
      const before = fs.readFileSync(file);
      // The next temporary name this process will use, made a link to /dev/full: the write fills the device.
      const next = tempPathFor(file).replace(/-(\d+)$/, (_, n: string) => `-${Number(n) + 1}`);
      fs.symlinkSync('/dev/full', next);
      expect(storeError(write, file)).toMatch(/no space left on device \(ENOSPC\)/);
      expect(fs.readFileSync(file).equals(before)).toBe(true);
      expect(fs.existsSync(next)).toBe(false);
    }
    expect(readCheckpoint(dir)?.step).toBe(5);
    expect(readRunInfo(dir).status).toBe('done');
  });
});
