/**
 * The executor as an app uses it, in a child process on the built package: Ctrl-C stops a sweep
 * cleanly, and a process that ran a sweep ends on its own (no thread left holding it).
 */
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { tempDir, testingScript } from '../testing/sweep-helpers.js';
import type { SweepOutcome } from './types.js';

interface ChildResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
  /** Whether we had to kill it because it did not end by itself in time. */
  hung: boolean;
}

/** Runs a script of src/testing/ with plain `node` (default conditions: it imports dist). */
function runChild(script: string, args: string[], options: { sigintOn?: string; deadlineMs: number }): Promise<ChildResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [testingScript(script), ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    let hung = false;
    const deadline = setTimeout(() => {
      hung = true;
      child.kill('SIGKILL');
    }, options.deadlineMs);
    child.stdout.on('data', (chunk: Buffer) => {
      stdout += String(chunk);
      if (options.sigintOn && stdout.includes(options.sigintOn)) {
        options.sigintOn = undefined;
        child.kill('SIGINT');
      }
    });
    child.stderr.on('data', (chunk: Buffer) => (stderr += String(chunk)));
    child.on('error', reject);
    child.on('exit', (code, signal) => {
      clearTimeout(deadline);
      resolve({ code, signal, stdout, stderr, hung });
    });
  });
}

describe('in a child process', () => {
  it('SIGINT stops the sweep after the current step, flushes, prints the outcomes and exits 0', async () => {
    const dir = tempDir('sigint');
    const child = await runChild('sigint-sweep.mjs', [dir], { sigintOn: 'running\n', deadlineMs: 20_000 });
    expect(child.hung).toBe(false);
    expect(child.stderr).toBe('');
    expect([child.code, child.signal]).toEqual([0, null]);
    const [announced, json] = child.stdout.trim().split('\n');
    expect(announced).toBe('running');
    const outcomes = JSON.parse(json) as SweepOutcome<{ status: 'stopped'; steps: number }>[];
    expect(outcomes.map((o) => o.status)).toEqual(['stopped', 'stopped', 'not-started', 'not-started']);
    // SIGINT came when one task had made 3 steps; the other may have started a little later.
    expect(Math.max(...outcomes.slice(0, 2).map((o) => o.result?.steps as number))).toBeGreaterThanOrEqual(3);
    for (const outcome of outcomes.slice(0, 2)) {
      const steps = outcome.result?.steps as number;
      expect(steps).toBeGreaterThanOrEqual(1);
      expect(steps).toBeLessThan(1000);
      expect(readFileSync(join(dir, `${outcome.id}.txt`), 'utf8').trim().split('\n')).toHaveLength(steps);
    }
  });

  for (const close of [true, false]) {
    it(`ends on its own after a sweep with crashed runs${close ? ', once closed' : ', idle pool not closed'}`, async () => {
      const child = await runChild('sweep-then-exit.mjs', close ? [] : ['--no-close'], { deadlineMs: 10_000 });
      expect(child.hung).toBe(false);
      expect(child.stderr).toBe('');
      expect([child.code, child.signal]).toEqual([0, null]);
      expect(child.stdout.trim()).toBe('done failed done failed done');
    });
  }
});
