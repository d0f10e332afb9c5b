#!/usr/bin/env node
// `npm run bench`: measures, never asserts. Prints tables and writes bench-results/bench.json.
//   npm run bench -- [--quick] [--seconds S] [--no-torch] [--no-kernels] [--no-memory] [--no-parallel] [--no-gemm] [--no-real-data] [--no-deep] [--out FILE]
// Install an optimized BLAS before measuring (apt-get install -y libopenblas0-pthread): the bench
// prints which BLAS torch runs on and reports no mflab/torch ratio against the reference BLAS.
import { spawnSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, totalmem } from 'node:os';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { GEMM_WORKERS, GEMM_WORKLOAD, GEMM_WORKLOAD_QUICK, benchBackends, benchGemmSteps, benchStartup } from './gemm.mjs';
import { KERNEL_WORKLOADS, benchStep, benchTensorStep, describeBlas, invalidBlasLine, runTorchAnchor, torchAvailable } from './kernels.mjs';
import { benchOverhead, benchScaling, defaultWorkerCounts } from './parallel.mjs';
import { benchSweep } from './sweep.mjs';
import { REAL_DATA_WORKLOADS, benchRealData, runTorchRealData } from './real-data.mjs';
import { DEEP_WORKLOADS, DEEP_WORKLOAD_QUICK, benchDeep, runTorchDeep } from './deep.mjs';

const args = process.argv.slice(2);
const flag = (name) => args.includes(name);
const option = (name, fallback) => (args.includes(name) ? args[args.indexOf(name) + 1] : fallback);
const quick = flag('--quick');
const seconds = Number(option('--seconds', quick ? 0.5 : 2));
const root = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const outFile = resolve(option('--out', resolve(root, 'bench-results/bench.json')));

// The load average before and after: other work on the machine slows torch's 2 threads more than one mflab thread.
const load = () => loadavg().map((v) => +v.toFixed(2));
const machine = { cpu: cpus()[0]?.model ?? 'unknown', cores: cpus().length, memory_gib: +(totalmem() / 2 ** 30).toFixed(1), node: process.version, load_at_start: load(), load_at_end: null };
console.log(`mflab bench — ${machine.cpu}, ${machine.cores} cores, ${machine.memory_gib} GiB, Node ${machine.node}; load average ${machine.load_at_start.join(' ')}\n`);

const G = (v) => (v / 1e9).toFixed(3);
/** The BLAS a torch row ran on, for its table cell. */
const blasCell = (a) => (a.blas ? `${a.blas.vendor}${a.valid ? '' : ' (INVALID)'}` : '?');
/** A skipped row's reason for a table cell (the log line and bench.json keep it whole). */
const why = (reason) => `skipped: ${reason.replace(/^(\w*Error: )?[\w.]+: /, '').split(';')[0]}`;
const results = { machine, date: new Date().toISOString(), torch: null, kernels: [], anchor: [], gemm: null, memory: null, sharded: [], overhead: [], sweep: null, realData: [], realDataTorch: [], deep: [], deepTorch: [] };

// Which BLAS torch runs on, probed before anything is timed (tools/bench/torch_blas.py).
const torch = flag('--no-torch') ? { ok: false, reason: '--no-torch' } : torchAvailable();
const torchValid = torch.ok && torch.blas.valid;
if (torch.ok) {
  results.torch = { version: torch.version, blas: torch.blas };
  console.log(`  ${describeBlas(torch.blas)}`);
  if (!torchValid) console.log(`  ${invalidBlasLine(torch.blas)}`);
  console.log('');
}
/** mflab/torch throughput ratio, or '—' when there is no torch figure or the anchor ran on the reference BLAS. */
const ratioOf = (mflab, torchPairs) => (torchValid && Number.isFinite(torchPairs) ? (mflab / torchPairs).toFixed(2) : '—');

// 1. The GD step, one thread, per backend and precision.
const workloads = quick ? KERNEL_WORKLOADS.map((w) => ({ ...w, m: Math.min(w.m, 16_384) })) : KERNEL_WORKLOADS;
const variants = [
  ['wasm', 'f32'],
  ['wasm', 'f64'],
  ['reference', 'f64'],
];
for (const w of flag('--no-kernels') ? [] : workloads) {
  for (const [backend, precision] of variants) {
    // The reference (plain JS) would take minutes on the largest shapes: one pass gives its rate.
    const budget = backend === 'reference' ? Math.min(seconds, 0.5) : seconds;
    if (backend === 'reference' && w.n * w.m * (w.d + 1) > 3e8) continue;
    const r = benchStep(w, backend, precision, budget);
    results.kernels.push(r);
    process.stdout.write(`  step ${w.n},${w.d},${w.m} ${backend}/${precision}: ${G(r.pairs_per_s)} G pairs/s\n`);
  }
  // The tensor path is for GEMM-bound shapes; on small D it would mostly measure chunking overhead.
  if (w.d >= 64) {
    const r = await benchTensorStep(w, seconds);
    results.kernels.push(r);
    process.stdout.write(`  step ${w.n},${w.d},${w.m} ${r.impl}/f32: ${G(r.pairs_per_s)} G pairs/s\n`);
  }
}

// 2. The PyTorch anchor on the same workloads, same script.
if (flag('--no-kernels')) {
  console.log('  --no-kernels: the GD step rows of the kernels workloads and their anchor skipped');
} else if (torch.ok) {
  console.log(`\n  running the PyTorch ${torch.version} anchor (2 threads, float32, then float64; ${torch.blas.vendor})…`);
  const opts = { threads: 2, seconds: quick ? 1 : 3, blas: torch.blas };
  results.anchor = [...runTorchAnchor(workloads, opts), ...runTorchAnchor(workloads, { ...opts, f64: true })];
} else {
  console.log(`\n  PyTorch anchor skipped: ${torch.reason}`);
}

// 2b. The GEMM-bound step at (10 000, 784, 1024): every registered backend, one thread and
//     sharded, beside torch at the same shape; and each engine's start-up in a fresh process.
if (!flag('--no-gemm')) {
  const w = quick ? GEMM_WORKLOAD_QUICK : GEMM_WORKLOAD;
  const backends = benchBackends();
  const shape = `${w.n}, ${w.d}, ${w.m}`;
  console.log(`\n  GEMM-bound GD step at (${shape}), f32, backends ${backends.join(', ')} (from the kernel registry)…`);
  if (quick) console.log(`  --quick: shrunk from (${GEMM_WORKLOAD.n}, ${GEMM_WORKLOAD.d}, ${GEMM_WORKLOAD.m}) to (${shape}); not the issue's shape, for a smoke run only`);
  const logStep = (r) => process.stdout.write(r.skipped ? `  ${r.engine} ${r.backend}: skipped — ${r.skipped}\n` : `  ${r.engine} ${r.backend} → ${r.impl} (${r.threads} thread${r.threads === 1 ? '' : 's'}): ${r.ms_per_step.toFixed(0)} ms/step\n`);
  const steps = await benchGemmSteps(w, { backends, seconds, log: logStep });
  const torchRows = torch.ok ? runTorchAnchor([w], { threads: GEMM_WORKERS, seconds: quick ? 1 : 3, blas: torch.blas }) : [];
  const logStart = (r) => process.stdout.write(r.skipped ? `  start-up ${r.engine} ${r.backend}: skipped — ${r.skipped}\n` : `  start-up ${r.engine} ${r.backend} → ${r.impl}: ${r.startup_ms.toFixed(0)} ms (data ${r.data_ms.toFixed(0)} ms apart)\n`);
  const startup = benchStartup(w, { backends, log: logStart });
  results.gemm = { workload: w, quick, backends, steps, torch: torchRows, startup };
}

// 3. Peak memory of one f32 step at (1024, 2, 4 194 304), in a fresh process.
if (!quick && !flag('--no-memory')) {
  const child = spawnSync(process.execPath, [fileURLToPath(new URL('./peak-memory.mjs', import.meta.url)), '1024', '2', '4194304', 'f32'], { encoding: 'utf8' });
  results.memory = child.status === 0 ? JSON.parse(child.stdout.trim()) : { error: child.stderr.trim().split('\n').pop() };
}

// 4. The partitioner: speed-up of W workers over 1 worker (bitwise the same run), the per-step
//    cost of a tiny problem, and a sweep of 32 small runs with and without the pool.
if (!flag('--no-parallel')) {
  console.log('\n  sharded step (f32)…');
  results.sharded = await benchScaling({ workerCounts: defaultWorkerCounts(), seconds: quick ? 0.5 : seconds, log: (r) => process.stdout.write(`  sharded ${r.n},${r.d},${r.m} × ${r.workers}: ${r.ms_per_step.toFixed(1)} ms/step (×${r.speedup_vs_1_worker.toFixed(2)})\n`) });
  results.overhead = await benchOverhead({ workerCounts: [1, 2].filter((w) => w <= machine.cores), seconds: quick ? 0.5 : seconds });
  console.log('  sweep of 32 runs, sequential vs pool…');
  results.sweep = await benchSweep(quick ? { runs: 8, steps: 500 } : {});
}

// Tables.
const best = (w, dtype, anchor = results.anchor) => {
  const rows = anchor.filter((a) => a.n === w.n && a.d === w.d && a.m === w.m && a.dtype === dtype);
  return rows.length ? Math.max(...rows.map((a) => a.pairs_per_s)) : NaN;
};
if (results.kernels.length) {
  console.log('\nGD step, pairs/s = n·m per second (mflab: one thread; torch: 2 threads, best of autograd/manual)\n');
  console.log('| n, d, m | mflab backend | precision | ms/step | G pairs/s | torch G pairs/s (same dtype) | mflab/torch | target (f32, 1 thread) |');
  console.log('|---|---|---|---:|---:|---:|---:|---:|');
  for (const r of results.kernels) {
    const w = workloads.find((v) => v.n === r.n && v.d === r.d && v.m === r.m);
    const t = best(w, r.precision === 'f32' ? 'float32' : 'float64');
    const ratio = ratioOf(r.pairs_per_s, t);
    const target = r.precision === 'f32' && (r.impl === 'mflab-wasm' || (w.d >= 64 && r.impl.startsWith('mflab-tfjs'))) ? `${G(w.target)} ${r.pairs_per_s >= w.target ? '✓' : '✗'}` : '';
    console.log(`| ${r.n}, ${r.d}, ${r.m} | ${r.impl} | ${r.precision} | ${r.ms_per_step.toFixed(2)} | ${G(r.pairs_per_s)} | ${Number.isFinite(t) ? G(t) : '—'} | ${ratio} | ${target} |`);
  }
}
if (results.anchor.length) {
  console.log('\nPyTorch anchor rows (from the same run)\n');
  console.log('| impl | dtype | n, d, m | threads | ms/step | G pairs/s | BLAS |');
  console.log('|---|---|---|---:|---:|---:|---|');
  for (const a of results.anchor) console.log(`| ${a.impl} | ${a.dtype} | ${a.n}, ${a.d}, ${a.m} | ${a.threads} | ${a.ms_per_step.toFixed(2)} | ${G(a.pairs_per_s)} | ${blasCell(a)} |`);
}
if (results.gemm) {
  const { workload: w, steps, torch: torchRows, startup, quick: shrunk } = results.gemm;
  const t = best(w, 'float32', torchRows);
  const tRow = torchRows.find((a) => a.pairs_per_s === t);
  console.log(`\nGEMM-bound GD step at (${w.n}, ${w.d}, ${w.m}), square loss, mean-field, f32${shrunk ? ' (--quick: shrunk shape)' : ''}; torch: ${GEMM_WORKERS} threads, best of autograd/manual\n`);
  console.log('| train.backend | engine | ran as | threads | ms/step | G pairs/s | torch ms/step | torch G pairs/s | mflab/torch | torch BLAS |');
  console.log('|---|---|---|---:|---:|---:|---:|---:|---:|---|');
  for (const r of steps) {
    if (r.skipped) {
      console.log(`| ${r.backend} | ${r.engine} | ${why(r.skipped)} | | | | | | | |`);
      continue;
    }
    console.log(`| ${r.backend} | ${r.engine} | ${r.impl} | ${r.threads} | ${r.ms_per_step.toFixed(0)} | ${G(r.pairs_per_s)} | ${tRow ? tRow.ms_per_step.toFixed(0) : '—'} | ${Number.isFinite(t) ? G(t) : '—'} | ${ratioOf(r.pairs_per_s, t)} | ${tRow ? blasCell(tRow) : '—'} |`);
  }
  console.log(`\nStart-up at (${w.n}, ${w.d}, ${w.m}), each in a fresh process: construct the engine (after the data exist) → end of the first step; data generation timed apart\n`);
  console.log('| train.backend | engine | ran as | data generation ms | construct ms | first step ms | start-up ms |');
  console.log('|---|---|---|---:|---:|---:|---:|');
  for (const r of startup) {
    if (r.skipped) console.log(`| ${r.backend} | ${r.engine} | ${why(r.skipped)} | | | | |`);
    else console.log(`| ${r.backend} | ${r.engine} | ${r.impl}${r.workers > 1 ? ` × ${r.workers}` : ''} | ${r.data_ms.toFixed(0)} | ${r.construct_ms.toFixed(0)} | ${r.first_step_ms.toFixed(0)} | ${r.startup_ms.toFixed(0)} |`);
  }
}
if (results.memory) {
  const mem = results.memory;
  console.log(mem.error ? `\npeak memory run failed: ${mem.error}` : `\npeak RSS, one f32 GD step at (${mem.n}, ${mem.d}, ${mem.m}): ${mem.peak_rss_mib.toFixed(0)} MiB (target < 1024 MiB) — ${mem.ms_per_step.toFixed(0)} ms/step`);
}
if (results.sharded.length) {
  console.log('\nSharded GD step (f32, @mflab/parallel; bitwise identical for every worker count)\n');
  console.log('| n, d, m | workers | ms/step | G pairs/s | speed-up vs 1 worker | single-thread engine ms/step |');
  console.log('|---|---:|---:|---:|---:|---:|');
  for (const r of results.sharded) console.log(`| ${r.n}, ${r.d}, ${r.m} | ${r.workers} | ${r.ms_per_step.toFixed(1)} | ${G(r.pairs_per_s)} | ${r.speedup_vs_1_worker.toFixed(2)} | ${r.single_thread_ms_per_step.toFixed(1)} |`);
  for (const r of results.overhead) console.log(`\ntiny problem (${r.n}, ${r.d}, ${r.m}), ${r.workers} worker(s): ${r.us_per_step.toFixed(1)} µs per step (single-thread engine ${r.single_thread_us_per_step.toFixed(1)} µs; target < 50 µs)`);
}
if (results.sweep) {
  const s = results.sweep;
  console.log(`\nsweep of ${s.runs ?? 32} runs: ${s.sequentialSeconds.toFixed(1)} s one after another, ${s.poolSeconds.toFixed(1)} s on the pool (${s.workers} threads): ×${s.speedup.toFixed(2)} (target ≥ 1.8)`);
}
// 5. The real-data step (softmax, k = 10, Fashion-MNIST shape) beside PyTorch, same script.
if (!flag('--no-real-data')) {
  const realWorkloads = quick ? REAL_DATA_WORKLOADS.slice(0, 1) : REAL_DATA_WORKLOADS;
  for (const w of realWorkloads) {
    for (const r of await benchRealData(w, { seconds })) {
      results.realData.push(r);
      process.stdout.write(r.skipped ? `  softmax SGD step ${w.n},${w.d},${w.m},k=${w.k} ${r.impl}: skipped — ${r.skipped}\n` : `  softmax SGD step ${w.n},${w.d},${w.m},k=${w.k} ${r.impl} (${r.threads} thread${r.threads === 1 ? '' : 's'}): ${r.ms_per_step.toFixed(1)} ms\n`);
    }
  }
  if (torch.ok) results.realDataTorch = runTorchRealData(realWorkloads, { threads: 2, seconds: quick ? 1 : 3 });
  console.log('\nReal-data SGD step: softmax cross-entropy, k = 10 outputs, batches of B from a finite set, f32 (torch: 2 threads, best of autograd/manual)\n');
  console.log('| B, d, m, k | mflab engine | threads | ms/step | G pairs/s | torch ms/step | torch/mflab time | torch BLAS |');
  console.log('|---|---|---:|---:|---:|---:|---:|---|');
  for (const r of results.realData) {
    if (r.skipped) {
      console.log(`| ${r.n}, ${r.d}, ${r.m}, ${r.k} | ${r.impl}: ${why(r.skipped)} | | | | | | |`);
      continue;
    }
    const t = results.realDataTorch.filter((a) => a.n === r.n && a.d === r.d && a.m === r.m && a.k === r.k).sort((p, q) => p.ms_per_step - q.ms_per_step)[0];
    const valid = t && t.valid;
    console.log(`| ${r.n}, ${r.d}, ${r.m}, ${r.k} | ${r.impl} | ${r.threads} | ${r.ms_per_step.toFixed(1)} | ${G(r.pairs_per_s)} | ${t ? t.ms_per_step.toFixed(1) : '—'} | ${valid ? (t.ms_per_step / r.ms_per_step).toFixed(2) : '—'} | ${t ? blasCell(t) : '—'} |`);
  }
}

// 6. The deep-network step (depth 4, width 2048, B = 256, Fashion-MNIST shape) beside PyTorch.
if (!flag('--no-deep')) {
  const deepWorkloads = quick ? [DEEP_WORKLOAD_QUICK] : DEEP_WORKLOADS;
  for (const w of deepWorkloads) {
    for (const r of await benchDeep(w, { seconds })) {
      results.deep.push(r);
      process.stdout.write(r.skipped ? `  deep SGD step L=${w.depth} ${w.n},${w.d},${w.m} ${r.precision} ×${r.requested_threads}: skipped — ${r.skipped}\n` : `  deep SGD step L=${w.depth} ${w.n},${w.d},${w.m} ${r.precision} ${r.impl} (${r.threads} thread${r.threads === 1 ? '' : 's'}): ${r.ms_per_step.toFixed(1)} ms\n`);
    }
  }
  if (torch.ok) results.deepTorch = runTorchDeep(deepWorkloads, { threads: 2, seconds: quick ? 1 : 3 });
  console.log('\nDeep-network SGD step: ReLU MLP, standard scaling, softmax cross-entropy, k = 10, batches of B (torch: float32, 2 threads, autograd)\n');
  console.log('| L, B, d, m | mflab engine | precision | threads | ms/step | torch ms/step (f32) | torch/mflab time | torch BLAS |');
  console.log('|---|---|---|---:|---:|---:|---:|---|');
  for (const r of results.deep) {
    const t = results.deepTorch.find((a) => a.n === r.n && a.d === r.d && a.m === r.m && a.depth === r.depth);
    if (r.skipped) {
      console.log(`| ${r.depth}, ${r.n}, ${r.d}, ${r.m} | ${why(r.skipped)} | ${r.precision} | ${r.requested_threads} | | ${t ? t.ms_per_step.toFixed(1) : '—'} | | |`);
      continue;
    }
    console.log(`| ${r.depth}, ${r.n}, ${r.d}, ${r.m} | ${r.impl} | ${r.precision} | ${r.threads} | ${r.ms_per_step.toFixed(1)} | ${t ? t.ms_per_step.toFixed(1) : '—'} | ${t && t.valid ? (t.ms_per_step / r.ms_per_step).toFixed(3) : '—'} | ${t ? blasCell(t) : '—'} |`);
  }
}

if (torch.ok && !torchValid) console.log(`\n${invalidBlasLine(torch.blas)}`);
machine.load_at_end = load();
console.log(`\nload average at the end: ${machine.load_at_end.join(' ')} (${machine.cores} cores; a load above the core count slows the 2-thread torch rows most)`);

mkdirSync(dirname(outFile), { recursive: true });
writeFileSync(outFile, JSON.stringify(results, null, 2));
console.log(`\nresults written to ${outFile}`);
