import { writeFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { CounterRng, PRECISIONS, Simulation, resolveSimulationConfig, type DataSplit, type Precision } from '@mflab/core';
import { ShardedSimulation } from '@mflab/parallel';
import { EXIT, parse, table, workersOf } from './shared.js';

export const BENCH_HELP = `Usage: mflab bench [options]

Measures this machine: GD steps per second of the single-thread wasm kernels (f32, f64) and of
the sharded engine on all threads, in pairs/s (n·m per second). The full benchmark with the
PyTorch anchor is \`npm run bench\` in a checkout.

Options:
  -w, --workers N   threads for the sharded rows (default: all cores)
      --quick       smaller problems, shorter timings
  -o, --out FILE    also write the results as JSON
  -h, --help        this help

Examples:
  mflab bench --quick
  mflab bench --workers 2 --out bench.json
`;

function syntheticSplit(n: number, d: number): DataSplit {
  const x = new Float64Array(n * d);
  const y = new Float64Array(n);
  const rng = new CounterRng(0, 999);
  for (let i = 0; i < n; i++) {
    const draws = rng.at(i);
    for (let k = 0; k < d; k++) x[i * d + k] = draws.normal();
    y[i] = draws.normal();
  }
  return { train: { n, d, x, y }, test: { n: 0, d, x: new Float64Array(0), y: new Float64Array(0) }, classification: false };
}

async function secondsPerStep(step: (k: number) => unknown, seconds: number): Promise<number> {
  let k = 1;
  for (;;) {
    const t0 = performance.now();
    await step(k);
    if (performance.now() - t0 > 50 || k > 1 << 16) break;
    k *= 4;
  }
  const times: number[] = [];
  const deadline = performance.now() + seconds * 1000;
  while (performance.now() < deadline || times.length < 3) {
    const t0 = performance.now();
    await step(k);
    times.push((performance.now() - t0) / 1000 / k);
  }
  times.sort((a, b) => a - b);
  return times[Math.floor(times.length / 2)];
}

export async function benchCommand(args: string[]): Promise<number> {
  const { values, flags } = parse('bench', args, { workers: { type: 'string', short: 'w' }, quick: { type: 'boolean' }, out: { type: 'string', short: 'o' }, help: { type: 'boolean', short: 'h' } });
  if (flags.help) {
    process.stdout.write(BENCH_HELP);
    return EXIT.ok;
  }
  const workers = workersOf(values.workers);
  const quick = flags.quick === true;
  const seconds = quick ? 0.3 : 1.5;
  const workloads = quick ? [{ n: 256, d: 2, m: 16_384 }, { n: 256, d: 8, m: 16_384 }] : [{ n: 1024, d: 2, m: 65_536 }, { n: 256, d: 8, m: 262_144 }, { n: 1024, d: 16, m: 16_384 }];
  const rows: string[][] = [];
  const results: Record<string, unknown>[] = [];
  process.stderr.write(`mflab bench: ${availableParallelism()} cores, Node ${process.version}\n`);
  for (const w of workloads) {
    const data = syntheticSplit(w.n, w.d);
    const config = (precision: Precision) => ({ model: { width: w.m, init: { sigmaA: 1 / Math.sqrt(w.d) } }, train: { lr: 0.1, precision, backend: 'wasm' as const } });
    for (const precision of PRECISIONS) {
      const sim = Simulation.create(config(precision), data);
      const s = await secondsPerStep((k) => sim.step(k), seconds);
      rows.push([`${w.n}, ${w.d}, ${w.m}`, `wasm/${precision}`, '1', (s * 1e3).toFixed(2), ((w.n * w.m) / s / 1e9).toFixed(3)]);
      results.push({ ...w, engine: 'wasm', precision, threads: 1, ms_per_step: s * 1e3, pairs_per_s: (w.n * w.m) / s });
    }
    if (workers > 1) {
      const sharded = await ShardedSimulation.create(resolveSimulationConfig(config('f32')), data, { workers });
      try {
        const s = await secondsPerStep((k) => sharded.step(k), seconds);
        rows.push([`${w.n}, ${w.d}, ${w.m}`, 'sharded wasm/f32', String(workers), (s * 1e3).toFixed(2), ((w.n * w.m) / s / 1e9).toFixed(3)]);
        results.push({ ...w, engine: 'sharded', precision: 'f32', threads: workers, ms_per_step: s * 1e3, pairs_per_s: (w.n * w.m) / s });
      } finally {
        await sharded.dispose();
      }
    }
  }
  process.stdout.write(`${table(['n, d, m', 'engine', 'threads', 'ms/step', 'G pairs/s'], rows)}\n`);
  if (values.out) writeFileSync(values.out, JSON.stringify({ cores: availableParallelism(), node: process.version, results }, null, 2));
  return EXIT.ok;
}
