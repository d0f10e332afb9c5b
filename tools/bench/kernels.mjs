// The fast-kernels benchmark: times the full GD step (forward, residual, backward, weight
// decay, update — `Simulation.step`) for each backend and precision on the workloads,
// runs the PyTorch anchor (../shared/anchors/torch_gd_step.py) on the same workloads in the
// same script when torch is installed, and reports pairs/s (n·m per second) side by side. Which
// BLAS torch uses is probed first (torch_blas.py); a reference-BLAS anchor yields no ratio.
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { CounterRng, Simulation, loadTensorBackend } from '@mflab/core';

/** Workloads (n, d, m) of the fast-kernels issue, with the target for one mflab thread. */
export const KERNEL_WORKLOADS = [
  { n: 1024, d: 2, m: 65_536, target: 0.6e9 },
  { n: 256, d: 8, m: 1_048_576, target: 0.3e9 },
  { n: 1024, d: 16, m: 16_384, target: 0.2e9 },
  { n: 10_000, d: 784, m: 1024, target: 0.004e9 },
];

const ANCHOR = fileURLToPath(new URL('../../../shared/anchors/torch_gd_step.py', import.meta.url));

/** Random inputs and targets, like the anchor's (the timing does not depend on the values). */
export function syntheticSplit(n, d, seed = 0) {
  const x = new Float64Array(n * d);
  const y = new Float64Array(n);
  const rng = new CounterRng(seed, 999);
  for (let i = 0; i < n; i++) {
    const draws = rng.at(i);
    for (let k = 0; k < d; k++) x[i * d + k] = draws.normal();
    y[i] = draws.normal();
  }
  const train = { n, d, x, y };
  return { train, test: { n: 0, d, x: new Float64Array(0), y: new Float64Array(0) }, classification: false };
}

/** Median seconds per call of `step` over at least `seconds` (and 3 calls), after one warm-up call. */
export function timeSteps(step, seconds) {
  step();
  const times = [];
  const deadline = performance.now() + seconds * 1000;
  while (performance.now() < deadline || times.length < 3) {
    const t0 = performance.now();
    step();
    times.push((performance.now() - t0) / 1000);
  }
  times.sort((a, b) => a - b);
  return times[Math.floor(times.length / 2)];
}

/** Times mflab's GD step for one workload on one backend. */
export function benchStep({ n, d, m }, backend, precision, seconds) {
  const sim = Simulation.create(
    { seed: 0, model: { width: m, parameterization: 'mean-field', init: { sigmaA: 1 / Math.sqrt(d) } }, train: { lr: 0.1, weightDecay: 1e-3, backend, precision } },
    syntheticSplit(n, d),
  );
  const s = timeSteps(() => sim.step(1), seconds);
  return { impl: `mflab-${sim.backendInfo.backend}`, precision, n, d, m, threads: 1, ms_per_step: s * 1e3, pairs_per_s: (n * m) / s };
}

const BLAS_PROBE = fileURLToPath(new URL('./torch_blas.py', import.meta.url));
/** What fixes a reference-BLAS anchor (Debian's torch calls whatever libblas.so.3 resolves to). */
export const BLAS_FIX = 'apt-get install -y libopenblas0-pthread';

/**
 * Whether the anchor can run here (Debian's python3-torch under /usr/bin/python3), and which
 * BLAS its torch computes with: runs tools/bench/torch_blas.py in the environment the anchor
 * scripts will get (the frozen ../shared/anchors/torch_gd_step.py cannot report it itself).
 * `blas.valid` is false on the netlib reference BLAS: its timings are kept, no ratio is drawn.
 */
export function torchAvailable() {
  if (!existsSync(ANCHOR)) return { ok: false, reason: `anchor script not found at ${ANCHOR}` };
  const probe = spawnSync('/usr/bin/python3', [BLAS_PROBE], { encoding: 'utf8' });
  if (probe.status !== 0) {
    if (/No module named .?torch/.test(probe.stderr ?? '') || probe.error) return { ok: false, reason: 'PyTorch is not installed (Debian: apt-get install -y python3-torch)' };
    return { ok: false, reason: `the BLAS probe (${BLAS_PROBE}) failed: ${probe.stderr.trim().split('\n').pop()}` };
  }
  const { torch, blas } = JSON.parse(probe.stdout.trim().split('\n').pop());
  return { ok: true, version: torch, blas };
}

/** The per-row record of the BLAS a torch row ran on (bench.json): library, vendor, validity, and the OpenBLAS variables as set. */
export function blasOfRow(blas) {
  return {
    blas: { vendor: blas.vendor, library: blas.library, core: blas.openblas?.corename ?? null },
    valid: blas.valid,
    openblas_env: { OPENBLAS_CORETYPE: blas.env.OPENBLAS_CORETYPE ?? null, OPENBLAS_L2_SIZE: blas.env.OPENBLAS_L2_SIZE ?? null },
  };
}

/** One line saying which BLAS torch uses and which OpenBLAS variables were set (none are set or unset by the bench). */
export function describeBlas(blas) {
  const core = blas.openblas?.corename ? `, core ${blas.openblas.corename}` : '';
  const env = Object.entries(blas.env).filter(([, v]) => v !== null && v !== undefined).map(([k, v]) => `${k}=${v}`);
  return `torch BLAS: ${blas.vendor} — ${blas.library}${core}; ${env.length ? env.join(', ') : 'OPENBLAS_CORETYPE and OPENBLAS_L2_SIZE not set'} (inherited, unchanged)`;
}

/** The line a reference-BLAS run prints instead of ratios. */
export function invalidBlasLine(blas) {
  return `INVALID ANCHOR: torch runs on the reference BLAS (${blas.library}); its GEMM-bound timings are ~20× too slow, so no mflab/torch ratio is reported from this run (timings kept in bench.json with valid: false). Fix: ${BLAS_FIX}`;
}

/** Runs the PyTorch anchor on the workloads; returns its JSON lines, each with the BLAS `blas` (torchAvailable().blas) recorded. */
export function runTorchAnchor(workloads, { threads = 2, seconds = 3, f64 = false, blas } = {}) {
  const args = [ANCHOR, '--threads', String(threads), '--seconds', String(seconds), ...(f64 ? ['--f64'] : [])];
  for (const w of workloads) args.push('--workload', `${w.n},${w.d},${w.m}`);
  const run = spawnSync('/usr/bin/python3', args, { encoding: 'utf8', maxBuffer: 1 << 24 });
  if (run.status !== 0) throw new Error(`torch anchor failed: ${run.stderr.trim().split('\n').pop()}`);
  const rows = run.stdout.trim().split('\n').filter(Boolean).map((line) => JSON.parse(line));
  return blas ? rows.map((r) => ({ ...r, ...blasOfRow(blas) })) : rows;
}

/**
 * The same GD step on the TensorFlow.js step kernel (`train.backend: tfjs`, float32; tfjs-node
 * when it loads, else tfjs-core on its wasm backend): chunked GEMMs for the forward and backward
 * passes and the update on the device. This is the path for GEMM-bound shapes (large D).
 */
export async function benchTensorStep(workload, seconds) {
  const info = await loadTensorBackend();
  const r = benchStep(workload, 'tfjs', 'f32', seconds);
  return { ...r, impl: `mflab-${info.name}`, threads: info.threads ?? 1 };
}
