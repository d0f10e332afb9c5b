/**
 * The Vega-Lite figures of `particles-2d`: particle paths in the plane like Chizat's (one panel
 * per regime, teacher directions dashed), the risk and `move` over time, and the claims' values
 * seed by seed. Data inline, house style of report/specs.ts (sign of b: red +, blue −).
 */
import type { TopLevelSpec } from 'vega-lite';
import type { ParticleSnapshot, Teacher } from '@mflab/core';

const BASE_CONFIG = { view: { stroke: '#ccc' }, axis: { grid: true, gridColor: '#eee' } } as const;
const SIGN_SCALE = { domain: ['+', '−'], range: ['#d62728', '#1f77b4'] };

/** One row of a path panel: a point of a neuron's path, its end, its start, or a teacher direction's segment end. */
export interface PathRow {
  kind: 'path' | 'start' | 'end' | 'teacher';
  /** Neuron index, or teacher neuron index for `teacher`. */
  id: number;
  /** Step of a path point; 0/1 for the two ends of a teacher segment. */
  order: number;
  x: number;
  y: number;
  sign: '+' | '−';
}

/** One panel of {@link pathsSpec}: a run's snapshots and the teacher it learns. */
export interface PathPanel {
  title: string;
  snapshots: readonly ParticleSnapshot[];
  teacher: Teacher;
}

/**
 * The rows of one panel: neuron j is drawn at |b_j|·a_j (Chizat's figures: b_j a_j, reflected
 * through the origin when b_j < 0, so that a neuron sits on the side of its input direction and
 * meets the teacher neuron it fits), coloured by the sign of b_j at the end; each teacher neuron
 * is a dashed segment from the origin along θ_k, as long as the panel's half-width.
 */
export function pathRows(panel: PathPanel): { rows: PathRow[]; radius: number } {
  const rows: PathRow[] = [];
  const { snapshots, teacher } = panel;
  const last = snapshots[snapshots.length - 1];
  const D = last.a.length / last.b.length;
  let radius = 0;
  const finalSign = new Map<number, '+' | '−'>();
  last.neurons.forEach((j, i) => finalSign.set(j, last.b[i] >= 0 ? '+' : '−'));
  snapshots.forEach((snap, s) => {
    snap.neurons.forEach((j, i) => {
      const scale = Math.abs(snap.b[i]);
      const x = scale * snap.a[i * D];
      const y = scale * snap.a[i * D + 1];
      radius = Math.max(radius, Math.abs(x), Math.abs(y));
      const sign = finalSign.get(j) ?? '+';
      rows.push({ kind: 'path', id: j, order: snap.step, x, y, sign });
      if (s === 0) rows.push({ kind: 'start', id: j, order: snap.step, x, y, sign });
      if (s === snapshots.length - 1) rows.push({ kind: 'end', id: j, order: snap.step, x, y, sign });
    });
  });
  radius = Math.max(1.1 * radius, 1e-3);
  for (let k = 0; k < teacher.width; k++) {
    const sign = teacher.signs[k] >= 0 ? '+' : '−';
    rows.push({ kind: 'teacher', id: k, order: 0, x: 0, y: 0, sign });
    rows.push({ kind: 'teacher', id: k, order: 1, x: radius * teacher.directions[k * 2], y: radius * teacher.directions[k * 2 + 1], sign });
  }
  return { rows, radius };
}

/** Particle paths in the plane, one panel per run, each with its own (square, symmetric) axes. */
export function pathsSpec(panels: readonly PathPanel[]): TopLevelSpec {
  return {
    hconcat: panels.map((panel) => {
      const { rows, radius } = pathRows(panel);
      const domain = [-radius, radius];
      const x = { field: 'x', type: 'quantitative', scale: { domain }, title: '|b_j|·a_j[0]' } as const;
      const y = { field: 'y', type: 'quantitative', scale: { domain }, title: '|b_j|·a_j[1]' } as const;
      const color = { field: 'sign', type: 'nominal', scale: SIGN_SCALE, title: 'sign of b_j / c_k' } as const;
      return {
        title: panel.title,
        width: 230,
        height: 230,
        data: { values: rows },
        layer: [
          {
            transform: [{ filter: "datum.kind === 'teacher'" }],
            mark: { type: 'line', strokeDash: [5, 4], strokeWidth: 1.5, clip: true },
            encoding: { x, y, color, detail: { field: 'id', type: 'nominal' }, order: { field: 'order', type: 'quantitative' } },
          },
          {
            transform: [{ filter: "datum.kind === 'path'" }],
            mark: { type: 'line', strokeWidth: 0.8, color: '#333', clip: true },
            encoding: { x, y, detail: { field: 'id', type: 'nominal' }, order: { field: 'order', type: 'quantitative' } },
          },
          {
            transform: [{ filter: "datum.kind === 'start'" }],
            mark: { type: 'point', size: 12, color: '#888', clip: true },
            encoding: { x, y },
          },
          {
            transform: [{ filter: "datum.kind === 'end'" }],
            mark: { type: 'point', filled: true, size: 40, opacity: 0.9, clip: true },
            encoding: { x, y, color },
          },
        ],
      };
    }),
    config: BASE_CONFIG,
  } as TopLevelSpec;
}

/** A row of {@link curvesSpec}: one run's observable at one logged time. */
export interface CurveRow {
  run: string;
  time: number;
  risk: number;
  move: number;
}

/** Training risk (log–log) and `move` (log time) against the flow's time, one line per run. */
export function curvesSpec(rows: readonly CurveRow[], order: readonly string[]): TopLevelSpec {
  const x = { field: 'time', type: 'quantitative', scale: { type: 'log' }, title: 'time t = step·η' } as const;
  const color = { field: 'run', type: 'nominal', sort: [...order], title: 'run', legend: { labelLimit: 0 } } as const;
  const positive = rows.filter((r) => r.time > 0);
  return {
    data: { values: positive as CurveRow[] },
    hconcat: [
      {
        width: 280,
        height: 200,
        mark: { type: 'line', strokeWidth: 1.5 },
        encoding: { x, y: { field: 'risk', type: 'quantitative', scale: { type: 'log' }, title: 'training risk' }, color, order: { field: 'time', type: 'quantitative' } },
      },
      {
        width: 280,
        height: 200,
        mark: { type: 'line', strokeWidth: 1.5 },
        encoding: { x, y: { field: 'move', type: 'quantitative', scale: { type: 'log' }, title: 'move ‖w(t) − w(0)‖/‖w(0)‖' }, color, order: { field: 'time', type: 'quantitative' } },
      },
    ],
    config: BASE_CONFIG,
  } as TopLevelSpec;
}

/** A row of {@link bySeedSpec}: one claim quantity of one run (seed) with the claim's threshold. */
export interface SeedRow {
  panel: string;
  series: string;
  seed: number;
  value: number;
}

/** The claims' quantities seed by seed, one panel per quantity, the thresholds as dashed rules. */
export function bySeedSpec(rows: readonly SeedRow[], panels: readonly { name: string; title: string; threshold: number; log: boolean; domain?: [number, number] }[]): TopLevelSpec {
  return {
    hconcat: panels.map((panel) => ({
      title: panel.title,
      width: 220,
      height: 180,
      layer: [
        {
          data: { values: rows.filter((r) => r.panel === panel.name && (!panel.log || r.value > 0)) },
          mark: { type: 'point', filled: true, size: 45 },
          encoding: {
            x: { field: 'seed', type: 'ordinal', title: 'seed' },
            y: { field: 'value', type: 'quantitative', scale: panel.log ? { type: 'log' } : panel.domain ? { domain: panel.domain } : { zero: true }, title: null },
            color: { field: 'series', type: 'nominal', title: 'run', legend: { labelLimit: 0 } },
            shape: { field: 'series', type: 'nominal' },
          },
        },
        {
          data: { values: [{ threshold: panel.threshold }] },
          mark: { type: 'rule', strokeDash: [5, 3], color: '#d62728' },
          encoding: { y: { field: 'threshold', type: 'quantitative' } },
        },
      ],
    })),
    config: BASE_CONFIG,
  } as TopLevelSpec;
}
