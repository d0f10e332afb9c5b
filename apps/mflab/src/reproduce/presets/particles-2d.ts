/**
 * `mflab reproduce particles-2d`: Chizat's 2-D illustrations of gradient descent on a two-layer
 * ReLU network (inputs on the circle, no bias, so each neuron is a particle |b_j|·a_j in the
 * plane). With a small initialization (τ = 0.2) the particles travel onto the teacher's
 * directions; with a large one (τ = 2) they barely move (lazy training); with weight decay the
 * particles gather on a few atoms (a sparse measure). See docs/reproductions/particles-2d.md.
 */
import { join } from 'node:path';
import { CounterRng, RandomStream, allocateParams, cloneParams, makeDataset, teacherOf, type NetworkParams, type ObservableRow, type ParticleSnapshot, type Teacher } from '@mflab/core';
import { rebuildIndex, runDirName } from '@mflab/store';
import type { AppConfig } from '../../config/schema.js';
import { dataSpecOf, validateConfig } from '../../config/validate.js';
import { writeStudyMeta } from '../../study/sweep.js';
import type { Claim, FigureRequest, Preset, PresetContext, PresetResult } from '../types.js';
import { atomsCarrying, atomsOf, massNearTeacher, median } from './particles-2d/analysis.js';
import { bySeedSpec, curvesSpec, pathsSpec, type CurveRow, type SeedRow } from './particles-2d/figures.js';
import { logSchedule, runLogged } from './particles-2d/logged-run.js';

/** The three runs of the illustration, each repeated over the seeds. */
type RegimeId = 'active' | 'lazy' | 'weight-decay';

interface Regime {
  id: RegimeId;
  label: string;
  raw(seed: number): Record<string, unknown>;
  /** Chizat's weight-decay run draws w(0) itself (the engine has no such init). */
  initialParams?(seed: number): { params: NetworkParams; description: string };
}

/** The teacher of Chizat's code: f*(x) = (1/m0) Σ_k c_k σ(θ_k·x), m0 = 3 (`f(X) = (1/m0) * sum(...)`). */
const TEACHER_WIDTH = 3;
const data = (seed: number) => ({ kind: 'circle', n: 15, nTest: 256, teacherWidth: TEACHER_WIDTH, outputScale: 1 / TEACHER_WIDTH, seed });

/** Steps and step size of the τ = 0.2 / τ = 2 runs (10⁵ steps of 0.005: time 500). */
const NO_DECAY_STEPS = 100_000;
/** Chizat's weight-decay run: 10⁴ steps of 1, λ = 0.002 in his objective (λ/m) Σ‖w_j‖², i.e. λ = 0.004 in eq. (2). */
const DECAY_STEPS = 10_000;
const PAPER_LAMBDA = 0.002;
/** Log-spaced logged steps per run (his paths are drawn at 100 log-spaced iterations). */
const LOG_POINTS = 200;

/** τ runs: m = 16, symmetric init (f_{w(0)} = 0) with unit input directions a_j and b_j ~ U[0, 1], all times τ. */
function noDecayRegime(id: RegimeId, tau: number): Regime {
  return {
    id,
    label: `${id} (τ = ${tau})`,
    raw: (seed) => ({
      seed,
      data: data(seed),
      model: { width: 16, parameterization: 'mean-field', bias: false, init: { kind: 'uniform-b', scale: tau, symmetric: true } },
      loss: 'square',
      train: { steps: NO_DECAY_STEPS, lr: 0.005, integrator: 'gd', precision: 'f64' },
      log: { every: NO_DECAY_STEPS / 100, particles: { every: NO_DECAY_STEPS / 100, count: 16 } },
    }),
  };
}

/**
 * w(0) of Chizat's weight-decay illustration: (a_j, b_j) ∈ R³ uniform on the sphere of radius 2
 * (a Gaussian draw normalized to norm 2), neuron j from the init stream at index j (§4).
 */
export function sphereOfRadiusInit(m: number, radius: number, seed: number): NetworkParams {
  const params = allocateParams(m, 2);
  const rng = new CounterRng(seed, RandomStream.init);
  const point = new Float64Array(3);
  for (let j = 0; j < m; j++) {
    rng.at(j).onSphere(point, 0, 3);
    params.a[2 * j] = radius * point[0];
    params.a[2 * j + 1] = radius * point[1];
    params.b[j] = radius * point[2];
  }
  return params;
}

const REGIMES: readonly Regime[] = [
  noDecayRegime('active', 0.2),
  noDecayRegime('lazy', 2),
  {
    id: 'weight-decay',
    label: 'weight decay (λ = 0.002)',
    raw: (seed) => ({
      seed,
      data: data(seed),
      model: { width: 20, parameterization: 'mean-field', bias: false },
      loss: 'square',
      train: { steps: DECAY_STEPS, lr: 1, weightDecay: 2 * PAPER_LAMBDA, integrator: 'gd', precision: 'f64' },
      log: { every: DECAY_STEPS / 100, particles: { every: DECAY_STEPS / 100, count: 20 } },
    }),
    initialParams: (seed) => ({
      params: sphereOfRadiusInit(20, 2, seed),
      description: '(a_j, b_j) uniform on the sphere of radius 2 in R³ (Chizat, illustration_reluNN.jl), replacing model.init',
    }),
  },
];

/** Angular tolerance of "on a teacher direction" and of one atom (the 10°). */
const TOLERANCE_DEGREES = 10;
/** The claims' thresholds, fixed before any run (see docs/reproductions/particles-2d.md). */
const MASS_NEAR_TEACHER_MIN = 0.9;
const MOVE_RATIO_MAX = 0.1;
const FIT_RISK_RATIO_MAX = 0.01;
const ATOM_MASS_SHARE = 0.99;

interface RunOutcome {
  regime: RegimeId;
  seed: number;
  status: string;
  teacher: Teacher;
  final: ObservableRow;
  initialRisk: number;
  params: NetworkParams;
}

function fmt(v: number, digits = 3): string {
  return Number.isFinite(v) ? String(Number(v.toPrecision(digits))) : String(v);
}

async function runAll(context: PresetContext, study: string, seeds: readonly number[]) {
  const outcomes: RunOutcome[] = [];
  const curves: CurveRow[] = [];
  const paths = new Map<RegimeId, ParticleSnapshot[]>();
  for (const seed of seeds) {
    for (const regime of REGIMES) {
      if (context.signal.aborted) return { outcomes, curves, paths };
      const config: AppConfig = validateConfig(regime.raw(seed));
      const dataSplit = makeDataset(dataSpecOf(config), config.data.seed);
      const snapshots: ParticleSnapshot[] = [];
      const result = await runLogged({
        dir: join(study, runDirName({ regime: regime.id, seed })),
        config,
        data: dataSplit,
        initialParams: regime.initialParams?.(seed),
        schedule: logSchedule(config.train.steps, config.log.every, LOG_POINTS),
        signal: context.signal,
        onParticles: seed === seeds[0] ? (s) => snapshots.push(s) : undefined,
      });
      if (seed === seeds[0]) {
        paths.set(regime.id, snapshots);
        for (const row of result.rows) curves.push({ run: regime.label, time: row.time, risk: row.risk_train, move: row.move });
      }
      outcomes.push({
        regime: regime.id,
        seed,
        status: result.status,
        teacher: teacherOf(dataSpecOf(config), config.data.seed),
        final: result.final,
        initialRisk: result.rows[0].risk_train,
        params: cloneParams(result.simulation.params),
      });
      context.log(
        `particles-2d: ${regime.label}, seed ${seed}: ${result.status} at step ${result.final.step}, risk ${result.final.risk_train.toExponential(2)}, move ${fmt(result.final.move)}`,
      );
    }
  }
  return { outcomes, curves, paths };
}

export const preset: Preset = {
  id: 'particles-2d',
  title: "Particles in 2-D: active vs lazy, and sparsity under weight decay (Chizat's illustrations)",
  paper:
    'L. Chizat, E. Oyallon, F. Bach (2019), "On lazy training in differentiable programming", NeurIPS (Fig. 1); L. Chizat (2022), "Sparse optimization on measures with over-parameterized gradient descent", Math. Programming 194, arXiv:1907.10300 — reference code github.com/lchizat/2019-sparse-optim-measures (illustration_reluNN.jl)',
  summary:
    'Gradient descent on a two-layer ReLU network in the mean-field parameterization, inputs on the unit circle (d = 2, no bias), 15 training points labelled by a 3-neuron teacher. Each neuron is a particle |b_j|·a_j of the plane. m = 16, 10⁵ steps of 0.005, symmetric init with unit input directions and b ~ U[0, 1] scaled by τ: at τ = 0.2 the particles travel onto the teacher directions, at τ = 2 they barely move. With weight decay (m = 20, λ = 0.002, step 1, 10⁴ steps, init of norm 2) the particles gather on a few atoms. Repeated over 10 seeds (3 at --quick); the figures show seed 0.',
  runtime: { quick: '5 s', full: '9 s' },

  async run(context: PresetContext): Promise<PresetResult> {
    const study = join(context.out, 'study');
    const seeds = context.quick ? [0, 1, 2] : Array.from({ length: 10 }, (_, s) => s);
    writeStudyMeta(study, {
      name: 'particles-2d',
      title: preset.title,
      description: preset.summary,
      grid: { regime: REGIMES.map((r) => r.id), seed: seeds },
      config: Object.fromEntries(REGIMES.map((r) => [r.id, r.raw(0)])),
    });
    const { outcomes, curves, paths } = await runAll(context, study, seeds);
    rebuildIndex(study);

    const done = (regime: RegimeId) => outcomes.filter((o) => o.regime === regime && o.status === 'done');
    const bySeed = (regime: RegimeId) => new Map(done(regime).map((o) => [o.seed, o]));
    const active = bySeed('active');
    const lazy = bySeed('lazy');
    const decay = bySeed('weight-decay');
    const pairedSeeds = seeds.filter((s) => active.has(s) && lazy.has(s));
    const stoppedNote = context.signal.aborted ? ' The run was stopped early: only the seeds that finished count.' : '';

    const claims: Claim[] = [];
    const seedRows: SeedRow[] = [];

    // 1. Active regime: the particles converge onto the teacher's directions.
    const nearActive = [...active.values()].map((o) => massNearTeacher(o.params, o.teacher, TOLERANCE_DEGREES));
    const nearLazy = [...lazy.values()].map((o) => massNearTeacher(o.params, o.teacher, TOLERANCE_DEGREES));
    [...active.values()].forEach((o, i) => seedRows.push({ panel: 'near', series: 'τ = 0.2', seed: o.seed, value: nearActive[i] }));
    [...lazy.values()].forEach((o, i) => seedRows.push({ panel: 'near', series: 'τ = 2', seed: o.seed, value: nearLazy[i] }));
    const nearMedian = median(nearActive);
    claims.push({
      id: 'active-particles-reach-teacher',
      statement: 'With a small initialization (τ = 0.2) the particles b_j·a_j converge onto the teacher\'s directions.',
      quantity: `fraction of the output mass Σ_j |b_j|‖a_j‖ carried by neurons within ${TOLERANCE_DEGREES}° of a teacher direction θ_k with the sign of c_k, after 10⁵ steps; median over ${active.size} seeds`,
      value: Number.isFinite(nearMedian) ? nearMedian : null,
      criterion: `≥ ${MASS_NEAR_TEACHER_MIN}`,
      holds: Number.isFinite(nearMedian) ? nearMedian >= MASS_NEAR_TEACHER_MIN : null,
      note: Number.isFinite(nearMedian)
        ? `per seed (τ = 0.2): ${nearActive.map((v) => fmt(v)).join(', ')}; the lazy runs (τ = 2) for comparison: ${nearLazy.map((v) => fmt(v)).join(', ')} (median ${fmt(median(nearLazy))}).${stoppedNote}`
        : `no τ = 0.2 run finished.${stoppedNote}`,
    });

    // 2. Lazy regime: the particles barely move (while still fitting the data).
    const ratios = pairedSeeds.map((s) => (lazy.get(s) as RunOutcome).final.move / (active.get(s) as RunOutcome).final.move);
    const fitRatio = (o: RunOutcome) => o.final.risk_train / o.initialRisk;
    const lazyFit = pairedSeeds.map((s) => fitRatio(lazy.get(s) as RunOutcome));
    const activeFit = pairedSeeds.map((s) => fitRatio(active.get(s) as RunOutcome));
    pairedSeeds.forEach((s, i) => seedRows.push({ panel: 'move', series: 'move(τ = 2) / move(τ = 0.2)', seed: s, value: ratios[i] }));
    const ratioMedian = median(ratios);
    const fitsMedian = Math.max(median(lazyFit), median(activeFit));
    claims.push({
      id: 'lazy-particles-barely-move',
      statement: 'With a large initialization (τ = 2) the particles barely move.',
      quantity: `move(τ = 2) / move(τ = 0.2) after 10⁵ steps, move = ‖w(T) − w(0)‖/‖w(0)‖, median over ${pairedSeeds.length} seeds; with the training risk of both runs at the end relative to its start`,
      value: Number.isFinite(ratioMedian) ? ratioMedian : null,
      criterion: `≤ ${MOVE_RATIO_MAX} (an order of magnitude less movement than the active run) while both runs fit the data (median final/initial training risk ≤ ${FIT_RISK_RATIO_MAX})`,
      holds: Number.isFinite(ratioMedian) ? ratioMedian <= MOVE_RATIO_MAX && fitsMedian <= FIT_RISK_RATIO_MAX : null,
      note: Number.isFinite(ratioMedian)
        ? `move at τ = 2: ${pairedSeeds.map((s) => fmt((lazy.get(s) as RunOutcome).final.move)).join(', ')}; at τ = 0.2: ${pairedSeeds.map((s) => fmt((active.get(s) as RunOutcome).final.move)).join(', ')}. Final/initial training risk, median: τ = 2 ${fmt(median(lazyFit))}, τ = 0.2 ${fmt(median(activeFit))}.${stoppedNote}`
        : `no seed has both runs finished.${stoppedNote}`,
    });

    // 3. Weight decay: the solution is sparse.
    const atomCounts = [...decay.values()].map((o) => atomsCarrying(atomsOf(o.params, TOLERANCE_DEGREES), ATOM_MASS_SHARE));
    const nearDecay = [...decay.values()].map((o) => massNearTeacher(o.params, o.teacher, TOLERANCE_DEGREES));
    [...decay.values()].forEach((o, i) => seedRows.push({ panel: 'atoms', series: 'weight decay', seed: o.seed, value: atomCounts[i] }));
    const atomsMedian = median(atomCounts);
    claims.push({
      id: 'weight-decay-sparse',
      statement: 'With weight decay the particles converge to a sparse solution: a few atoms.',
      quantity: `number of atoms (neurons of one sign within ${TOLERANCE_DEGREES}° of each other, grouped heaviest first) that carry ${ATOM_MASS_SHARE * 100}% of the output mass, m = 20 particles, after 10⁴ steps; median over ${decay.size} seeds`,
      value: Number.isFinite(atomsMedian) ? atomsMedian : null,
      criterion: `≤ ${TEACHER_WIDTH} (the teacher's width)`,
      holds: Number.isFinite(atomsMedian) ? atomsMedian <= TEACHER_WIDTH : null,
      note: Number.isFinite(atomsMedian)
        ? `atoms per seed: ${atomCounts.join(', ')}; mass within ${TOLERANCE_DEGREES}° of a teacher neuron: ${nearDecay.map((v) => fmt(v)).join(', ')} (with 15 points the regularized solution need not sit on the teacher).${stoppedNote}`
        : `no weight-decay run finished.${stoppedNote}`,
    });

    const figures: FigureRequest[] = [];
    const firstTeacher = outcomes.find((o) => o.seed === seeds[0])?.teacher;
    if (firstTeacher && REGIMES.every((r) => (paths.get(r.id)?.length ?? 0) > 0)) {
      figures.push({
        name: 'trajectories',
        title: 'Particle paths |b_j|·a_j (seed 0)',
        caption:
          'Paths of the particles |b_j|·a_j of seed 0 over training (grey: start, dots: end, coloured by the sign of b_j), teacher directions θ_k dashed (coloured by c_k). Left: τ = 0.2 (active); middle: τ = 2 (lazy); right: weight decay. Logged at 0, every 1% of the run and 200 log-spaced steps.',
        spec: pathsSpec(REGIMES.map((r) => ({ title: r.label, snapshots: paths.get(r.id) as ParticleSnapshot[], teacher: firstTeacher }))),
      });
      figures.push({
        name: 'risk-and-move',
        title: 'Training risk and move over time (seed 0)',
        caption: 'Training risk (left) and move = ‖w(t) − w(0)‖/‖w(0)‖ (right) against the flow time t = step·η for the three runs of seed 0.',
        spec: curvesSpec(curves, REGIMES.map((r) => r.label)),
      });
    }
    if (seedRows.length > 0) {
      figures.push({
        name: 'claims-by-seed',
        title: 'The claims, seed by seed',
        caption: `Left: mass within ${TOLERANCE_DEGREES}° of a teacher neuron (threshold ${MASS_NEAR_TEACHER_MIN}); middle: move(τ = 2)/move(τ = 0.2) (threshold ${MOVE_RATIO_MAX}); right: atoms carrying ${ATOM_MASS_SHARE * 100}% of the mass under weight decay (threshold ${TEACHER_WIDTH}).`,
        spec: bySeedSpec(seedRows, [
          { name: 'near', title: `mass within ${TOLERANCE_DEGREES}° of the teacher`, threshold: MASS_NEAR_TEACHER_MIN, log: false, domain: [0, 1] },
          { name: 'move', title: 'move ratio lazy / active', threshold: MOVE_RATIO_MAX, log: true },
          { name: 'atoms', title: `atoms carrying ${ATOM_MASS_SHARE * 100}% of the mass`, threshold: TEACHER_WIDTH, log: false },
        ]),
      });
    }

    const notes = [
      `Teacher: core's "circle" data with outputScale 1/3, i.e. f*(x) = (1/3) Σ_k c_k σ(θ_k·x) as in Chizat's code (f = (1/m0) Σ …), but with signs c = (+1, −1, +1) instead of random signs (core's teacher; random signs make an all-positive, convex-like target a quarter of the time). Data, teacher and init all use the run's seed.`,
      `Weight decay: Chizat's objective is ½·mean((f − y)²) + (λ/m) Σ_j ‖w_j‖² with λ = ${PAPER_LAMBDA}; mflab's eq. (2) writes (λ/2)(1/m) Σ_j ‖w_j‖², so the run uses train.weightDecay = ${2 * PAPER_LAMBDA}. Same dynamics: mean-field time, step 1.`,
      'The weight-decay run starts from (a_j, b_j) uniform on the sphere of radius 2 in R³, drawn by the preset (neuron j from the init stream at index j) because no config init does that; its run.json records it.',
      `Each claim is measured on ${seeds.length} seeds (data, teacher, init) rather than on the one run the paper draws; the figures show seed ${seeds[0]}. Thresholds were fixed before running: mass ≥ ${MASS_NEAR_TEACHER_MIN}, move ratio ≤ ${MOVE_RATIO_MAX}, ≤ ${TEACHER_WIDTH} atoms.`,
      ...(context.quick ? ['--quick: 3 seeds instead of 10; every run has the paper\'s full configuration (the runs are small).'] : []),
    ];
    return { claims, figures, notes, study };
  },
};
