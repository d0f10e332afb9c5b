/**
 * A long trajectory streams: 1 000 000 metrics rows are written and read back record batch by
 * record batch, with resident memory staying flat (far below the file's size).
 */
import * as fs from 'node:fs';
import * as v8 from 'node:v8';
import * as vm from 'node:vm';
import { describe, expect, it } from 'vitest';
import { OBSERVABLES, TrajectoryWriter, openRun } from './index.js';
import { tempDir } from './testing/helpers.js';

const ROWS = 1_000_000;

/** V8's collector, made callable so the test measures what the reader retains, not GC timing. */
function collector(): () => void {
  v8.setFlagsFromString('--expose-gc');
  return vm.runInNewContext('gc') as () => void;
}
const MB = 1024 * 1024;

describe('1 000 000 metrics rows', () => {
  it('are written and read back exactly with flat memory', () => {
    const dir = tempDir('large');
    const gc = collector();
    const live = () => {
      const u = process.memoryUsage();
      return u.heapUsed + u.arrayBuffers;
    };
    const values = new Float64Array(OBSERVABLES.length);
    const rssBeforeWrite = process.memoryUsage().rss;
    let peakWrite = rssBeforeWrite;
    gc();
    const liveBeforeWrite = live();
    let peakWriteLive = liveBeforeWrite;
    const t0 = performance.now();
    const w = TrajectoryWriter.open({ dir, observables: OBSERVABLES, precision: 'f64', flushEveryRows: 4096, flushEverySeconds: 0 });
    for (let s = 0; s < ROWS; s++) {
      for (let c = 0; c < values.length; c++) values[c] = s * 0.5 + c;
      w.logMetrics(s, s * 1e-3, values);
      if ((s & 0xffff) === 0xffff) {
        // Every 16 flushes: what the writer retains (after a collection) must not grow with the file.
        peakWrite = Math.max(peakWrite, process.memoryUsage().rss);
        gc();
        peakWriteLive = Math.max(peakWriteLive, live());
      }
    }
    w.close();
    const writeMs = performance.now() - t0;
    const growthWriteRetained = (peakWriteLive - liveBeforeWrite) / MB;
    const fileBytes = fs.statSync(openRun(dir).metricsPath).size;

    // Pass 1, as a user would run it: V8 collects when it likes (its external-memory trigger is
    // tens of MiB), so RSS growth is bounded by that policy, not by the file.
    const rssBeforeRead = process.memoryUsage().rss;
    let peakRead = rssBeforeRead;
    let rows = 0;
    let batches = 0;
    let mismatches = 0;
    const t1 = performance.now();
    for (const batch of openRun(dir).metricsBatches()) {
      const step = batch.getChildAt(0)!.toArray() as Int32Array;
      const l2 = batch.getChild('l2')!.toArray() as Float64Array;
      for (let i = 0; i < step.length; i++) {
        const s = rows + i;
        if (step[i] !== s || l2[i] !== s * 0.5 + 6) mismatches += 1;
      }
      rows += batch.numRows;
      batches += 1;
      if ((batches & 7) === 0) peakRead = Math.max(peakRead, process.memoryUsage().rss);
    }
    const readMs = performance.now() - t1;
    const growthRead = (peakRead - rssBeforeRead) / MB;
    const growthWrite = (peakWrite - rssBeforeWrite) / MB;

    // Pass 2, collecting every 16 batches: the live bytes (JS heap + ArrayBuffers) the reader
    // retains stay flat. The control pass keeps every batch, as one big table would.
    const retainedGrowth = (keep: boolean): number => {
      const kept: unknown[] = [];
      gc();
      const base = live();
      let peak = base;
      let count = 0;
      for (const batch of openRun(dir).metricsBatches()) {
        if (keep) kept.push(batch);
        if ((++count & 15) === 0) {
          gc();
          peak = Math.max(peak, live());
        }
      }
      gc();
      peak = Math.max(peak, live());
      kept.length = 0;
      return (peak - base) / MB;
    };
    const growthRetained = retainedGrowth(false);
    const growthControl = retainedGrowth(true);
    console.info(
      `1M rows: write ${writeMs.toFixed(0)} ms, read ${readMs.toFixed(0)} ms, file ${(fileBytes / MB).toFixed(1)} MiB, ` +
        `${batches} batches, peak RSS growth: write ${growthWrite.toFixed(1)} MiB, read ${growthRead.toFixed(1)} MiB ` +
        `(live bytes with a GC every 16 batches: write ${growthWriteRetained.toFixed(1)} MiB, read ${growthRetained.toFixed(1)} MiB streaming, ${growthControl.toFixed(1)} MiB keeping every batch)`,
    );
    expect(growthControl).toBeGreaterThan((fileBytes / MB) * 0.8);
    expect(rows).toBe(ROWS);
    expect(mismatches).toBe(0);
    expect(batches).toBe(Math.ceil(ROWS / 4096));
    // One big table would hold the whole file (~88 MiB); streaming retains a window or two.
    expect(growthRetained).toBeLessThan((fileBytes / MB) * 0.25);
    expect(growthWriteRetained).toBeLessThan((fileBytes / MB) * 0.25);
    expect(growthRead).toBeLessThan((fileBytes / MB) * 1.5);
    expect(growthWrite).toBeLessThan((fileBytes / MB) * 1.5);
    fs.rmSync(dir, { recursive: true, force: true });
  });
});
