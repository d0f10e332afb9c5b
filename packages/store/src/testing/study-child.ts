/**
 * Child process for the study tests. `hold DIR MS`: takes the study lock, says "locked", holds it
 * MS ms. `write DIR NAME COUNT`: creates COUNT runs `writer=NAME/i=K` and rebuilds the index after each.
 */
import { TrajectoryWriter, rebuildIndex, runDirName, withStudyLock, writeRunInfo } from '../index.js';
import * as path from 'node:path';

const [mode, dir, arg1, arg2] = process.argv.slice(2);
const sleepCell = new Int32Array(new SharedArrayBuffer(4));

if (mode === 'hold') {
  withStudyLock(dir, () => {
    process.stdout.write('locked\n');
    Atomics.wait(sleepCell, 0, 0, Number(arg1));
  });
} else if (mode === 'write') {
  for (let k = 0; k < Number(arg2); k++) {
    const run = path.join(dir, runDirName({ writer: arg1, i: k }));
    writeRunInfo(run, { config: {}, seed: k, status: 'running', error: null, backend: 'test', precision: 'f64', versions: {}, timings: {} });
    const w = TrajectoryWriter.open({ dir: run, observables: ['l2'], precision: 'f64', flushEverySeconds: 0 });
    for (let s = 0; s <= 10; s++) w.logMetrics(s, s, [k + s]);
    w.close();
    writeRunInfo(run, { config: {}, seed: k, status: 'done', error: null, backend: 'test', precision: 'f64', versions: {}, timings: {} });
    rebuildIndex(dir);
  }
}
