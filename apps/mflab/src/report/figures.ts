/**
 * The report's figures: from the loaded runs to tidy rows, fits and a Vega-Lite spec each. A
 * figure whose data is missing (no particle snapshots, ntk_drift never computed, a single width,
 * a single seed) is returned as skipped with the reason, never as an error.
 *
 * What is fitted (each a power law c·m^p on log–log axes, one fit per parameterization × λ):
 * - `spread-vs-width`: the across-seed standard deviation of the final test output f(x_i), as
 *   the root mean square over test points i: sqrt((1/N) Σ_i Var_seeds f(x_i)).
 * - `move-vs-width`, `ntk-drift-vs-width`: the final `move` and the last computed `ntk_drift`,
 *   averaged over seeds.
 * - `risk-gap-vs-width`: sup_t |R̄_m(t) − R̄_m'(t)| between the seed-mean risk curves of each
 *   width m and the next larger width m' (a Cauchy criterion: if R_m = R_∞ + c m^(−p), the gap
 *   on a geometric width grid is ∝ m^(−p), so a negative slope means the curves converge).
 */
import type { TopLevelSpec } from 'vega-lite';
import { fitPowerLaw, powerLawAt, type PowerLawFit } from './fit.js';
import { OUTPUTS_FILE, readOutputs, readParticleProjections, type LoadedStudy, type RunRecord } from './load.js';
import {
  layerSeriesSpec,
  objectiveSpec,
  particlesSpec,
  riskVsTimeSpec,
  widthSeriesSpec,
  type FacetOrder,
  type LayerSeriesRow,
  type ObjectiveRow,
  type ParticleRow,
  type RiskRow,
  type WidthSeriesRow,
} from './specs.js';

/** What theory predicts for a fitted exponent. */
export type Expectation =
  | { kind: 'value'; value: number; why: string }
  /** A bound: the quantity shrinks at least as fast as m^value. */
  | { kind: 'atMost'; value: number; why: string }
  | { kind: 'negative'; why: string }
  | { kind: 'none'; why: string };

/**
 * How far from a predicted exponent a fit may sit and still agree: widths of 32…8192 are not
 * infinite, and the next-order terms (m^(−1) beside m^(−1/2)) tilt a fitted slope by a few
 * hundredths to a tenth. An exponent agrees when its 95% interval meets [p − 0.1, p + 0.1].
 */
export const EXPONENT_TOLERANCE = 0.1;

/** One fitted exponent of the report's table. */
export interface ReportFit {
  /** The figure it belongs to. */
  figure: string;
  /** What is fitted, in words. */
  quantity: string;
  family: string;
  weightDecay: number;
  /** The widths with a value (the fit's x). */
  widths: number[];
  /** The per-width values that were fitted. */
  values: number[];
  fit: PowerLawFit | null;
  expected: Expectation;
  /**
   * Whether the expectation holds: the 95% CI meets [p − 0.1, p + 0.1] (`value`), reaches below
   * p + 0.1 (`atMost`), or lies below 0 (`negative`). See {@link EXPONENT_TOLERANCE}.
   */
  verdict: 'yes' | 'no' | 'no CI' | 'no prediction' | 'no fit';
  /** The slope between the two largest widths: where the fitted exponent is heading. */
  localSlope: number | null;
}

/** A figure ready to render. */
export interface FigurePlan {
  name: string;
  title: string;
  caption: string;
  spec: TopLevelSpec;
}

/** A figure left out, with the reason. */
export interface SkippedFigure {
  name: string;
  title: string;
  reason: string;
}

export interface FigureSet {
  figures: FigurePlan[];
  skipped: SkippedFigure[];
  fits: ReportFit[];
  notes: string[];
}

/** Most points drawn per risk curve (log-spaced in time): keeps a 100-run SVG small. */
const MAX_CURVE_POINTS = 160;

export function lambdaLabel(weightDecay: number): string {
  return `λ = ${weightDecay}`;
}

/** Compact number for labels: 3 significant digits, plain minus. */
export function formatNumber(v: number): string {
  if (!Number.isFinite(v)) return String(v);
  if (v === 0) return '0';
  const a = Math.abs(v);
  return a >= 1e-3 && a < 1e5 ? String(Number(v.toPrecision(3))) : v.toExponential(2);
}

/** The text written in a panel: slope, interval and expectation on separate lines. */
function panelLabel(fit: PowerLawFit | null, widths: number, expected: Expectation): string {
  if (widths < 2 || fit === null) return 'one width: no fit';
  const lines = [`slope ${formatNumber(fit.slope)}`, fit.ci95 === null ? '2 widths: no CI' : `95% CI [${formatNumber(fit.ci95[0])}, ${formatNumber(fit.ci95[1])}]`];
  if (expected.kind === 'value') lines.push(`expected ${formatNumber(expected.value)}`);
  else if (expected.kind === 'atMost') lines.push(`expected ≤ ${formatNumber(expected.value)}`);
  else if (expected.kind === 'negative') lines.push('expected < 0');
  return lines.join('\n');
}

function verdictOf(fit: PowerLawFit | null, expected: Expectation): ReportFit['verdict'] {
  if (fit === null) return 'no fit';
  if (expected.kind === 'none') return 'no prediction';
  if (fit.ci95 === null) return 'no CI';
  if (expected.kind === 'negative') return fit.ci95[1] < 0 ? 'yes' : 'no';
  const tol = EXPONENT_TOLERANCE;
  if (expected.kind === 'atMost') return fit.ci95[0] <= expected.value + tol ? 'yes' : 'no';
  return fit.ci95[0] <= expected.value + tol && expected.value - tol <= fit.ci95[1] ? 'yes' : 'no';
}

/** ln(y_last / y_prev) / ln(m_last / m_prev) over the two largest widths with a positive value. */
export function localSlopeOf(widths: readonly number[], values: readonly number[]): number | null {
  const points = widths.map((w, i) => [w, values[i]] as const).filter(([w, v]) => w > 0 && v > 0 && Number.isFinite(v));
  if (points.length < 2) return null;
  points.sort((a, b) => a[0] - b[0]);
  const [w0, v0] = points[points.length - 2];
  const [w1, v1] = points[points.length - 1];
  return Math.log(v1 / v0) / Math.log(w1 / w0);
}

/** Runs grouped by (family, λ): the unit of a facet panel and of a fit. */
interface Group {
  family: string;
  weightDecay: number;
  runs: RunRecord[];
}

function groupRuns(runs: readonly RunRecord[]): Group[] {
  const groups = new Map<string, Group>();
  for (const r of runs) {
    const key = `${r.family}\u0000${r.weightDecay}`;
    let g = groups.get(key);
    if (g === undefined) {
      g = { family: r.family, weightDecay: r.weightDecay, runs: [] };
      groups.set(key, g);
    }
    g.runs.push(r);
  }
  return [...groups.values()].sort((a, b) => (a.family < b.family ? -1 : a.family > b.family ? 1 : a.weightDecay - b.weightDecay));
}

function byWidth(runs: readonly RunRecord[]): Map<number, RunRecord[]> {
  const m = new Map<number, RunRecord[]>();
  for (const r of [...runs].sort((a, b) => a.width - b.width || a.seed - b.seed)) {
    const list = m.get(r.width) ?? [];
    list.push(r);
    m.set(r.width, list);
  }
  return m;
}

function facetOrder(groups: readonly Group[]): FacetOrder {
  const families = [...new Set(groups.map((g) => g.family))];
  const lambdas = [...new Set(groups.map((g) => g.weightDecay))].sort((a, b) => a - b).map(lambdaLabel);
  return { families, lambdas };
}

const mean = (xs: readonly number[]) => xs.reduce((s, v) => s + v, 0) / xs.length;

/** The seed-mean risk curve of a set of runs, on the steps all of them logged. */
function meanCurve(runs: readonly RunRecord[]): { time: number[]; risk: number[] } {
  const common = new Map<number, { time: number; sum: number; count: number }>();
  for (const [k, r] of runs.entries()) {
    const m = r.metrics;
    if (m === null) continue;
    for (let i = 0; i < m.step.length; i++) {
      const s = m.step[i];
      const entry = common.get(s);
      if (k === 0) common.set(s, { time: m.time[i], sum: m.risk[i], count: 1 });
      else if (entry !== undefined && entry.count === k) {
        entry.sum += m.risk[i];
        entry.count += 1;
      }
    }
  }
  const time: number[] = [];
  const risk: number[] = [];
  for (const [, e] of [...common.entries()].sort((a, b) => a[0] - b[0])) {
    if (e.count !== runs.length) continue;
    time.push(e.time);
    risk.push(e.sum / e.count);
  }
  return { time, risk };
}

/** Indices of at most `max` points of a curve, log-spaced in time (time > 0 only: log axis). */
function logSpacedIndices(time: readonly number[], max: number): number[] {
  const positive = time.map((t, i) => [t, i] as const).filter(([t]) => t > 0);
  if (positive.length <= max) return positive.map(([, i]) => i);
  const lo = Math.log(positive[0][0]);
  const hi = Math.log(positive[positive.length - 1][0]);
  const out: number[] = [];
  let next = lo;
  const stride = (hi - lo) / (max - 1);
  for (const [t, i] of positive) {
    if (Math.log(t) >= next - 1e-12) {
      out.push(i);
      next = Math.log(t) + stride;
    }
  }
  const last = positive[positive.length - 1][1];
  if (out[out.length - 1] !== last) out.push(last);
  return out;
}

function riskFigures(groups: readonly Group[], order: FacetOrder, out: FigureSet): void {
  const rows: RiskRow[] = [];
  const gapRows: WidthSeriesRow[] = [];
  const riskColumns = new Set<string>();
  let gapPoints = 0;
  for (const g of groups) {
    const lambda = lambdaLabel(g.weightDecay);
    const curves: { width: number; time: number[]; risk: number[] }[] = [];
    for (const [width, runs] of byWidth(g.runs)) {
      for (const r of runs) if (r.metrics) riskColumns.add(r.metrics.riskColumn);
      const curve = meanCurve(runs);
      curves.push({ width, ...curve });
      for (const i of logSpacedIndices(curve.time, MAX_CURVE_POINTS)) {
        if (curve.risk[i] > 0 && Number.isFinite(curve.risk[i])) rows.push({ family: g.family, lambda, width, time: curve.time[i], risk: curve.risk[i] });
      }
    }
    // The Cauchy gap between successive widths, at the times both logged.
    const widths: number[] = [];
    const values: number[] = [];
    for (let k = 0; k + 1 < curves.length; k++) {
      const next = new Map(curves[k + 1].time.map((t, i) => [t, curves[k + 1].risk[i]]));
      let gap = -Infinity;
      for (let i = 0; i < curves[k].time.length; i++) {
        const other = next.get(curves[k].time[i]);
        if (other !== undefined) gap = Math.max(gap, Math.abs(curves[k].risk[i] - other));
      }
      if (gap > 0 && Number.isFinite(gap)) {
        widths.push(curves[k].width);
        values.push(gap);
      }
    }
    if (widths.length > 0) {
      gapPoints += widths.length;
      addWidthSeries(gapRows, out.fits, {
        figure: 'risk-gap-vs-width',
        quantity: 'sup over logged t of |seed-mean risk(m) − seed-mean risk(next larger m)|',
        group: g,
        widths,
        values,
        expected: { kind: 'negative', why: 'risk curves converge as m grows (the gap shrinks)' },
      });
    }
  }
  const riskTitle = riskColumns.size === 1 && riskColumns.has('risk_train') ? 'train risk (seed mean)' : 'test risk (seed mean)';
  if (rows.length === 0) {
    out.skipped.push({ name: 'risk-vs-time', title: 'Risk vs time', reason: 'no positive, finite risk at a time t > 0 in any run' });
  } else {
    out.figures.push({
      name: 'risk-vs-time',
      title: 'Risk vs time, per width',
      caption: `Seed-mean ${riskTitle.replace(' (seed mean)', '')} against the flow time t = step·η, one line per width (log–log). Under mean-field scaling the curves converge as m grows.`,
      spec: riskVsTimeSpec(rows, order, riskTitle),
    });
  }
  if (gapPoints === 0) {
    out.skipped.push({ name: 'risk-gap-vs-width', title: 'Risk-curve gap vs width', reason: 'needs at least 2 widths with common logged times in one parameterization and λ' });
  } else {
    out.figures.push({
      name: 'risk-gap-vs-width',
      title: 'Gap between successive risk curves vs width',
      caption:
        'sup over logged times of |R̄_m(t) − R̄_m′(t)|, m′ the next larger width, with a fitted power law: a negative exponent means the risk curves converge as m grows.',
      spec: widthSeriesSpec(gapRows, order, 'risk gap to next width'),
    });
  }
}

interface SeriesInput {
  figure: string;
  quantity: string;
  group: Group;
  widths: number[];
  values: number[];
  /** Per-seed values per width, drawn as small points. */
  seeds?: { width: number; value: number }[];
  expected: Expectation;
}

/** Fits one panel's series, records the fit, and appends its rows (seeds, means, fitted line, label). */
function addWidthSeries(rows: WidthSeriesRow[], fits: ReportFit[], input: SeriesInput): void {
  const { family, weightDecay } = input.group;
  const lambda = lambdaLabel(weightDecay);
  const fit = input.widths.length >= 2 ? fitPowerLaw(input.widths, input.values) : null;
  fits.push({
    figure: input.figure,
    quantity: input.quantity,
    family,
    weightDecay,
    widths: input.widths,
    values: input.values,
    fit,
    expected: input.expected,
    verdict: verdictOf(fit, input.expected),
    localSlope: localSlopeOf(input.widths, input.values),
  });
  for (const s of input.seeds ?? []) if (s.value > 0) rows.push({ kind: 'seed', family, lambda, width: s.width, value: s.value });
  input.widths.forEach((w, i) => {
    if (input.values[i] > 0) rows.push({ kind: 'mean', family, lambda, width: w, value: input.values[i] });
  });
  if (fit !== null) {
    const lo = Math.min(...input.widths);
    const hi = Math.max(...input.widths);
    rows.push({ kind: 'fit', family, lambda, width: lo, value: powerLawAt(fit, lo) });
    rows.push({ kind: 'fit', family, lambda, width: hi, value: powerLawAt(fit, hi) });
  }
  rows.push({ kind: 'label', family, lambda, label: panelLabel(fit, input.widths.length, input.expected) });
}

/** Expected exponent of `move` and `ntk_drift` in m (see the module comment of {@link reportFigures}). */
function driftExpectation(parameterization: string, weightDecay: number, quantity: 'move' | 'ntk_drift'): Expectation {
  if (parameterization === 'ntk') {
    if (weightDecay > 0) return { kind: 'none', why: 'weight decay moves every parameter by O(λt) whatever m' };
    if (quantity === 'ntk_drift') {
      return {
        kind: 'atMost',
        value: -0.5,
        why: 'lazy training: ‖K_t − K_0‖ = O(m^(-1/2)) is the classical bound (Jacot et al. 2018, Lee et al. 2019); for ReLU the first-order changes average out over neurons and the activation flips of a fraction m^(-1/2) of neurons give ≈ m^(-3/4)',
      };
    }
    return { kind: 'value', value: -0.5, why: 'lazy training: each weight moves O(m^(-1/2))' };
  }
  return { kind: 'value', value: 0, why: 'mean-field: particles move O(1) whatever m' };
}

function finalValueFigure(
  groups: readonly Group[],
  order: FacetOrder,
  out: FigureSet,
  spec: { name: string; title: string; caption: string; yTitle: string; quantity: string; value: (r: RunRecord) => number; missing: string },
): void {
  const rows: WidthSeriesRow[] = [];
  let fitted = 0;
  let anyValue = false;
  for (const g of groups) {
    const widths: number[] = [];
    const values: number[] = [];
    const seeds: { width: number; value: number }[] = [];
    for (const [width, runs] of byWidth(g.runs)) {
      const vs = runs.map(spec.value).filter((v) => Number.isFinite(v));
      if (vs.length === 0) continue;
      anyValue = true;
      for (const v of vs) seeds.push({ width, value: v });
      widths.push(width);
      values.push(mean(vs));
    }
    if (widths.length === 0) continue;
    if (widths.length >= 2) fitted += 1;
    addWidthSeries(rows, out.fits, {
      figure: spec.name,
      quantity: spec.quantity,
      group: g,
      widths,
      values,
      seeds,
      expected: driftExpectation(g.runs[0].parameterization, g.weightDecay, spec.name === 'ntk-drift-vs-width' ? 'ntk_drift' : 'move'),
    });
  }
  if (!anyValue) out.skipped.push({ name: spec.name, title: spec.title, reason: spec.missing });
  else if (fitted === 0) out.skipped.push({ name: spec.name, title: spec.title, reason: 'a single width: nothing to plot against m' });
  else out.figures.push({ name: spec.name, title: spec.title, caption: spec.caption, spec: widthSeriesSpec(rows, order, spec.yTitle) });
}

function spreadFigure(groups: readonly Group[], order: FacetOrder, out: FigureSet): void {
  const name = 'spread-vs-width';
  const title = 'Across-seed spread of test outputs vs width';
  const rows: WidthSeriesRow[] = [];
  let fitted = 0;
  let missingOutputs = 0;
  for (const g of groups) {
    const widths: number[] = [];
    const values: number[] = [];
    for (const [width, runs] of byWidth(g.runs)) {
      const outputs = runs.map((r) => readOutputs(r)).filter((o): o is NonNullable<typeof o> => o !== null);
      missingOutputs += runs.length - outputs.length;
      if (outputs.length < 2) continue;
      const n = outputs[0].f.length;
      if (n === 0 || outputs.some((o) => o.f.length !== n || o.point.some((p, i) => p !== outputs[0].point[i]))) {
        out.notes.push(`${name}: the seeds of ${g.family}, ${lambdaLabel(g.weightDecay)}, m = ${width} have different test points; left out`);
        continue;
      }
      // Sample variance across seeds at each test point, then the mean over points (RMS spread).
      let sumVar = 0;
      for (let i = 0; i < n; i++) {
        let s = 0;
        for (const o of outputs) s += o.f[i];
        const mu = s / outputs.length;
        let ss = 0;
        for (const o of outputs) ss += (o.f[i] - mu) ** 2;
        sumVar += ss / (outputs.length - 1);
      }
      widths.push(width);
      values.push(Math.sqrt(sumVar / n));
    }
    if (widths.length === 0) continue;
    if (widths.length >= 2) fitted += 1;
    addWidthSeries(rows, out.fits, {
      figure: name,
      quantity: 'across-seed SD of the final test output f(x), RMS over test points',
      group: g,
      widths,
      values,
      expected: { kind: 'value', value: -0.5, why: 'fluctuations of a sum of m independent neurons, CLT' },
    });
  }
  if (missingOutputs > 0) out.notes.push(`${missingOutputs} finished run(s) have no ${OUTPUTS_FILE}: left out of ${name}`);
  if (rows.length === 0) out.skipped.push({ name, title, reason: 'needs outputs.arrow from at least 2 seeds per width' });
  else if (fitted === 0) out.skipped.push({ name, title, reason: 'a single width: nothing to plot against m' });
  else {
    out.figures.push({
      name,
      title,
      caption: 'Standard deviation across seeds of the final network output on each test point, root-mean-squared over the test set, with a fitted power law (expected m^(−1/2)).',
      spec: widthSeriesSpec(rows, order, 'across-seed SD of f(x)'),
    });
  }
}

/** The steps at which a run snapshotted particles, from its config (0, every k, and the last step). */
function snapshotSteps(run: RunRecord): number[] | null {
  const last = run.metrics?.finalStep ?? run.steps;
  if (run.particlesEvery <= 0 || last === null || last === undefined) return null;
  const steps: number[] = [];
  for (let s = 0; s <= last; s += run.particlesEvery) steps.push(s);
  if (steps[steps.length - 1] !== last) steps.push(last);
  return steps;
}

function timeOfStep(run: RunRecord, step: number): number {
  const m = run.metrics;
  if (m === null) return NaN;
  const i = m.step.indexOf(step);
  if (i >= 0) return m.time[i];
  const j = m.step.length - 1;
  return m.step[j] > 0 ? (m.time[j] / m.step[j]) * step : NaN;
}

function particleFigure(groups: readonly Group[], out: FigureSet): void {
  const name = 'particles';
  const title = 'Particles b_j·a_j (2-D projection)';
  const rows: ParticleRow[] = [];
  const panels: string[] = [];
  let columns = 1;
  for (const g of groups) {
    // The widest run with snapshots (smallest seed), at its first, middle and last snapshot.
    const run = [...g.runs].sort((a, b) => b.width - a.width || a.seed - b.seed).find((r) => snapshotSteps(r) !== null);
    if (run === undefined) continue;
    const all = snapshotSteps(run) as number[];
    const chosen = [...new Set([all[0], all[Math.floor((all.length - 1) / 2)], all[all.length - 1]])];
    const snaps = readParticleProjections(run, chosen);
    if (snaps === null || snaps.length === 0) continue;
    columns = Math.max(columns, snaps.length);
    for (const [k, s] of snaps.entries()) {
      const stage = k === snaps.length - 1 ? 'last' : k === 0 ? 'first' : 'middle';
      const panel = `${g.family} · ${lambdaLabel(g.weightDecay)} · ${stage}`;
      panels.push(panel);
      rows.push({ kind: 'label', panel, label: `t = ${formatNumber(timeOfStep(run, s.step))} (step ${s.step})\nm = ${run.width}, seed ${run.seed}` });
      for (let i = 0; i < s.x.length; i++) {
        rows.push({ kind: 'point', panel, x: s.x[i], y: s.y[i], sign: s.positive[i] ? 'b > 0' : 'b < 0' });
      }
    }
  }
  if (rows.length === 0) {
    out.skipped.push({ name, title, reason: 'no particle snapshots (log.particles.every = 0), or a_j has fewer than 2 coordinates' });
    return;
  }
  out.figures.push({
    name,
    title,
    caption:
      'Each tracked neuron as the 2-D projection (first two input coordinates) of b_j·a_j, coloured by the sign of b_j, for the widest run of each parameterization and λ at its first, middle and last snapshot.',
    spec: particlesSpec(rows, panels, columns),
  });
}

/**
 * A final value per run against the width: per seed (small points) and averaged over seeds
 * (line), one colour per λ, one panel per family. With no value at all the figure is skipped
 * with `none` as the reason, or not listed when `none` is null (it does not apply to the study).
 */
function finalPerWidthFigure(
  groups: readonly Group[],
  order: FacetOrder,
  out: FigureSet,
  spec: { name: string; title: string; caption: string; value: (r: RunRecord) => number; keep: (v: number) => boolean; none: string | null; axis: { title: string; log: boolean } },
): void {
  const rows: ObjectiveRow[] = [];
  let multiWidth = false;
  for (const g of groups) {
    const lambda = lambdaLabel(g.weightDecay);
    const widths = byWidth(g.runs);
    if (widths.size >= 2) multiWidth = true;
    for (const [width, runs] of widths) {
      const vs = runs.map(spec.value).filter(spec.keep);
      for (const v of vs) rows.push({ kind: 'seed', family: g.family, lambda, width, value: v });
      if (vs.length > 0) rows.push({ kind: 'mean', family: g.family, lambda, width, value: mean(vs) });
    }
  }
  const { name, title } = spec;
  if (rows.length === 0) {
    if (spec.none !== null) out.skipped.push({ name, title, reason: spec.none });
  } else if (!multiWidth) out.skipped.push({ name, title, reason: 'a single width: nothing to plot against m' });
  else out.figures.push({ name, title, caption: spec.caption, spec: objectiveSpec(rows, order, spec.axis) });
}

function objectiveFigure(groups: readonly Group[], order: FacetOrder, out: FigureSet): void {
  finalPerWidthFigure(groups, order, out, {
    name: 'objective-vs-width',
    title: 'Final objective vs width, with and without weight decay',
    caption: 'Final objective F(w) of eq. (2) (risk plus the weight-decay penalty), per seed (small points) and averaged over seeds (line), one colour per λ.',
    value: (r) => r.metrics?.finalObjective ?? NaN,
    keep: (v) => v > 0 && Number.isFinite(v),
    none: 'no positive final objective',
    axis: { title: 'final objective F(w)', log: true },
  });
}

/** Final test error vs width, for classification studies only: a regression study does not list it. */
function errorFigure(groups: readonly Group[], order: FacetOrder, out: FigureSet): void {
  finalPerWidthFigure(groups, order, out, {
    name: 'error-vs-width',
    title: 'Final test error vs width',
    caption: 'Test error at the last logged step (argmax of the k outputs against the label; sign of f for ±1 labels), per seed (small points) and averaged over seeds (line), one colour per λ.',
    value: (r) => r.metrics?.finalErrorTest ?? NaN,
    keep: Number.isFinite,
    none: null,
    axis: { title: 'final test error', log: false },
  });
}

/**
 * A per-layer final value of deep networks (ARCHITECTURE.md §7) against the width, one line per
 * layer. Not listed for a study without deep runs; skipped with the reason for a single width.
 */
function layerFigure(
  groups: readonly Group[],
  order: FacetOrder,
  out: FigureSet,
  spec: { name: string; title: string; caption: string; yTitle: string; value: (r: RunRecord) => number[] | null; label: (l: number, count: number) => string },
): void {
  const rows: LayerSeriesRow[] = [];
  let multiWidth = false;
  for (const g of groups) {
    const lambda = lambdaLabel(g.weightDecay);
    const widths = byWidth(g.runs);
    let plotted = 0;
    for (const [width, runs] of widths) {
      const lists = runs.map(spec.value).filter((v): v is number[] => v !== null && v.length > 0);
      if (lists.length === 0) continue;
      plotted += 1;
      const count = Math.max(...lists.map((v) => v.length));
      for (let l = 0; l < count; l++) {
        const layer = spec.label(l, count);
        const vs = lists.map((v) => v[l]).filter((v) => v > 0 && Number.isFinite(v));
        for (const v of vs) rows.push({ kind: 'seed', family: g.family, lambda, layer, layerIndex: l, width, value: v });
        if (vs.length > 0) rows.push({ kind: 'mean', family: g.family, lambda, layer, layerIndex: l, width, value: mean(vs) });
      }
    }
    if (plotted >= 2) multiWidth = true;
  }
  if (rows.length === 0) return;
  if (!multiWidth) out.skipped.push({ name: spec.name, title: spec.title, reason: 'a single width: nothing to plot against m' });
  else out.figures.push({ name: spec.name, title: spec.title, caption: spec.caption, spec: layerSeriesSpec(rows, order, spec.yTitle) });
}

/** Per-layer movement of deep networks vs width: the weights' (`move_layers`) and the features' (`feature_move`). */
function layerFigures(groups: readonly Group[], order: FacetOrder, out: FigureSet): void {
  layerFigure(groups, order, out, {
    name: 'layer-move-vs-width',
    title: 'Per-layer movement vs width (deep networks)',
    caption:
      'Final ‖θ_l(t) − θ_l(0)‖_F/‖θ_l(0)‖_F of every layer l = 1…L+1 (weights and bias), per seed (faint) and averaged over seeds (line), one colour per layer. Under ntk every layer’s relative move shrinks with m; under mup the input and output layers move O(1), while a hidden layer’s low-rank update of a full-rank matrix shrinks as m^(−1/2) in relative Frobenius norm — the features it produces still move O(1) (feature-move-vs-width).',
    yTitle: 'move of layer l (final)',
    value: (r) => r.metrics?.finalMoveLayers ?? null,
    label: (l, count) => `layer ${l + 1}${l === 0 ? ' (input)' : l === count - 1 ? ' (output)' : ''}`,
  });
  layerFigure(groups, order, out, {
    name: 'feature-move-vs-width',
    title: 'Per-layer feature movement vs width (deep networks)',
    caption:
      'Final RMS of h_l(t) − h_l(0) over the probe inputs and the units of every hidden layer l = 1…L (the μP coordinate check), per seed (faint) and averaged over seeds (line): flat in width under mup, shrinking under ntk.',
    yTitle: 'feature movement of h_l (final)',
    value: (r) => r.metrics?.finalFeatureMove ?? null,
    label: (l) => `h_${l + 1}`,
  });
}

/** Builds every figure the loaded study supports, with the fits and the reasons for those it cannot. */
export function reportFigures(study: LoadedStudy): FigureSet {
  const out: FigureSet = { figures: [], skipped: [], fits: [], notes: [] };
  const groups = groupRuns(study.runs);
  const order = facetOrder(groups);
  if (groups.length === 0) {
    const reason = 'no finished run to plot';
    for (const [name, title] of [
      ['risk-vs-time', 'Risk vs time'],
      ['risk-gap-vs-width', 'Risk-curve gap vs width'],
      ['move-vs-width', 'move vs width'],
      ['ntk-drift-vs-width', 'ntk_drift vs width'],
      ['spread-vs-width', 'Across-seed spread vs width'],
      ['particles', 'Particles'],
      ['objective-vs-width', 'Final objective vs width'],
    ]) {
      out.skipped.push({ name, title, reason });
    }
    return out;
  }
  riskFigures(groups, order, out);
  finalValueFigure(groups, order, out, {
    name: 'move-vs-width',
    title: 'move vs width',
    caption: 'Final relative distance ‖w(t) − w(0)‖/‖w(0)‖ per seed (grey) and its seed mean (blue) with the fitted power law (red, dashed): m^(−1/2) under ntk, O(1) under mean-field.',
    yTitle: 'move (final)',
    quantity: 'final move = ||w(t) - w(0)|| / ||w(0)||, mean over seeds',
    value: (r) => r.metrics?.finalMove ?? NaN,
    missing: 'move is NaN in every run',
  });
  finalValueFigure(groups, order, out, {
    name: 'ntk-drift-vs-width',
    title: 'ntk_drift vs width',
    caption: 'Last computed relative tangent-kernel change ‖K_t − K_0‖_F/‖K_0‖_F per seed and its seed mean with the fitted power law: at most m^(−1/2) under ntk (ReLU: ≈ m^(−3/4)), O(1) under mean-field.',
    yTitle: 'ntk_drift (last computed)',
    quantity: 'last computed ntk_drift = ||K_t - K_0||_F / ||K_0||_F, mean over seeds',
    value: (r) => r.metrics?.lastNtkDrift ?? NaN,
    missing: 'ntk_drift was never computed (log.ntk.every = 0 in every run)',
  });
  spreadFigure(groups, order, out);
  particleFigure(groups, out);
  objectiveFigure(groups, order, out);
  errorFigure(groups, order, out);
  layerFigures(groups, order, out);
  // The table lists the claims in their order: fluctuations, move, ntk_drift, convergence.
  const fitOrder = ['spread-vs-width', 'move-vs-width', 'ntk-drift-vs-width', 'risk-gap-vs-width'];
  out.fits.sort((a, b) => fitOrder.indexOf(a.figure) - fitOrder.indexOf(b.figure));
  return out;
}
