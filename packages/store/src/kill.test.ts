/**
 * Crash safety, end to end: a child process writing a trajectory is killed with SIGKILL at
 * seeded random moments, again and again on the same run directory. After every kill the files
 * must read (up to the last flushed batch) as a prefix of the uninterrupted trajectory, and the
 * run resumed to the end must be bitwise identical to a run that was never killed.
 */
import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { RecordBatchReader } from 'apache-arrow';
import { describe, expect, it } from 'vitest';
import { openRun, readCheckpoint, readRunInfo } from './index.js';
import { columnBytes, seededRandom, tempDir, tsNodeArgs } from './testing/helpers.js';

const CHILD = fileURLToPath(new URL('./testing/kill-child.ts', import.meta.url));
const STEPS = 3000;
const PAUSE_MS = '0.2';
const KILLS = 24;
const MAX_DELAY_MS = 100;

interface ChildResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  stderr: string;
  /** Whether the child got past opening (resuming) the run before it exited. */
  opened: boolean;
}

/**
 * Runs the child on `dir`; with `killAfterMs`, SIGKILLs it that long after it prints `signal`:
 * `ready` (it is stepping and writing) or `opening` (it is about to resume: cut the streams back).
 */
function runChild(dir: string, killAfterMs?: number, signal: 'ready' | 'opening' = 'ready'): Promise<ChildResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, tsNodeArgs(CHILD, [dir, String(STEPS), PAUSE_MS]), { stdio: ['ignore', 'pipe', 'pipe'] });
    let stderr = '';
    let out = '';
    let armed = killAfterMs !== undefined;
    child.stderr.on('data', (d: Buffer) => (stderr += String(d)));
    child.stdout.on('data', (d: Buffer) => {
      out += String(d);
      if (armed && out.includes(signal)) {
        armed = false;
        setTimeout(() => child.kill('SIGKILL'), killAfterMs);
      }
    });
    child.on('error', reject);
    child.on('exit', (code, signal) => resolve({ code, signal, stderr, opened: out.includes('ready') }));
  });
}

const METRIC_COLUMNS = ['step', 'time', 'risk_train', 'l2', 'move'];
const PARTICLE_COLUMNS = ['step', 'neuron', 'a', 'b'];

/** Rows apache-arrow's own stream reader yields before it stops on the cut tail. */
function arrowReaderRows(file: string): number {
  let rows = 0;
  try {
    for (const batch of RecordBatchReader.from(fs.readFileSync(file))) rows += batch.numRows;
  } catch {
    // a cut tail: the whole batches before it were counted
  }
  return rows;
}

describe('SIGKILL at random points, then resume', () => {
  it(`gives readable prefixes and a bitwise identical trajectory (${KILLS} kill points)`, async () => {
    const root = tempDir('kill');
    const reference = path.join(root, 'reference');
    const killed = path.join(root, 'killed');

    const ref = await runChild(reference);
    expect(ref.code, ref.stderr).toBe(0);
    const refRun = openRun(reference);
    const refMetrics = refRun.metrics();
    const refParticles = refRun.particles();
    expect(refMetrics.numRows).toBe(STEPS + 1);

    const random = seededRandom(20240611);
    let killedMidRun = 0;
    let killedWhileOpening = 0;
    for (let k = 0; k < KILLS; k++) {
      // Every fourth kill aims at the resume (0-2 ms after the child starts opening the run).
      const atResume = k % 4 === 3;
      const delay = Math.floor(random() * (atResume ? 3 : MAX_DELAY_MS));
      const result = await runChild(killed, delay, atResume ? 'opening' : 'ready');
      if (result.signal === 'SIGKILL') {
        killedMidRun += 1;
        if (!result.opened) killedWhileOpening += 1;
      } else {
        expect(result.code, result.stderr).toBe(0);
      }

      // The files open, and read as a prefix of the uninterrupted trajectory.
      const run = openRun(killed);
      const metrics = run.metrics();
      const particles = run.particles();
      const n = metrics.numRows;
      for (const name of METRIC_COLUMNS) {
        const got = columnBytes(metrics, name);
        expect(got.equals(columnBytes(refMetrics, name).subarray(0, got.byteLength)), `${name} after kill ${k}`).toBe(true);
      }
      for (const name of PARTICLE_COLUMNS) {
        const got = columnBytes(particles, name);
        expect(got.equals(columnBytes(refParticles, name).subarray(0, got.byteLength)), `${name} after kill ${k}`).toBe(true);
      }
      // Exactly the whole batches: the same rows apache-arrow's reader gets before the cut tail.
      expect(n).toBe(arrowReaderRows(run.metricsPath));
      expect(particles.numRows).toBe(arrowReaderRows(run.particlesPath));
      // The streams always cover the checkpoint.
      const ckpt = readCheckpoint(killed);
      if (ckpt !== null) expect(n).toBeGreaterThanOrEqual(ckpt.step + 1);
    }
    // Most kills must land while the child is writing, or the test proves little.
    expect(killedMidRun).toBeGreaterThanOrEqual(KILLS - 2);
    console.info(`${KILLS} kill points: ${killedMidRun} killed the child, ${killedWhileOpening} of them before it had resumed`);

    const last = await runChild(killed);
    expect(last.code, last.stderr).toBe(0);
    expect(readRunInfo(killed).status).toBe('done');
    const run = openRun(killed);
    const metrics = run.metrics();
    const particles = run.particles();
    expect(metrics.numRows).toBe(refMetrics.numRows);
    expect(particles.numRows).toBe(refParticles.numRows);
    for (const name of METRIC_COLUMNS) expect(columnBytes(metrics, name).equals(columnBytes(refMetrics, name)), name).toBe(true);
    for (const name of PARTICLE_COLUMNS) expect(columnBytes(particles, name).equals(columnBytes(refParticles, name)), name).toBe(true);
    // The final life removed the temporary files the killed ones left.
    expect(fs.readdirSync(killed).filter((name) => name.includes('.tmp-'))).toEqual([]);
    const a = readCheckpoint(killed, 'two-layer');
    const b = readCheckpoint(reference, 'two-layer');
    expect(a?.step).toBe(b?.step);
    expect(Buffer.from(a!.params.a.buffer).equals(Buffer.from(b!.params.a.buffer))).toBe(true);
    fs.rmSync(root, { recursive: true, force: true });
  }, 120_000);
});
