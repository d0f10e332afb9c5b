/** Vega-Lite specs of the implicit-bias figures (house style of report/specs.ts: inline data, one panel). */
import type { TopLevelSpec } from 'vega-lite';

const PANEL = { width: 340, height: 240 } as const;
const BASE_CONFIG = { view: { stroke: '#ccc' }, axis: { grid: true, gridColor: '#eee' }, legend: { labelLimit: 320, titleLimit: 320 } } as const;

/** One point of a curve. */
export interface SeriesRow {
  series: string;
  x: number;
  y: number;
}

/**
 * Lines with points, one colour per series. `logX`: a log axis of that base (2 for swept sizes
 * that double, with a tick at each swept value; 10 for steps), or false for a linear one.
 */
export function seriesSpec(options: {
  rows: readonly SeriesRow[];
  seriesOrder: readonly string[];
  seriesTitle: string;
  xTitle: string;
  yTitle: string;
  logX: false | 2 | 10;
  points?: boolean;
  /** A horizontal reference line (e.g. y = 0). */
  rule?: number;
  /** Start the y axis at 0 (errors). */
  yZero?: boolean;
}): TopLevelSpec {
  const scale = options.logX ? { type: 'log', base: options.logX } : { zero: false };
  const axis = options.logX === 2 ? { values: [...new Set(options.rows.map((r) => r.x))].sort((p, q) => p - q) } : {};
  const x = { field: 'x', type: 'quantitative', title: options.xTitle, scale, axis } as const;
  const y = { field: 'y', type: 'quantitative', title: options.yTitle, scale: { zero: options.yZero === true } } as const;
  return {
    ...PANEL,
    layer: [
      {
        data: { values: options.rows as SeriesRow[] },
        mark: { type: 'line', point: options.points === false ? false : { filled: true, size: 40 }, strokeWidth: 2 },
        encoding: {
          x,
          y,
          color: { field: 'series', type: 'nominal', sort: [...options.seriesOrder], title: options.seriesTitle },
          order: { field: 'x', type: 'quantitative' },
        },
      },
      ...(options.rule === undefined
        ? []
        : [{ data: { values: [{ y: options.rule }] }, mark: { type: 'rule' as const, strokeDash: [2, 3], color: '#999' }, encoding: { y: { field: 'y', type: 'quantitative' as const } } }]),
    ],
    config: BASE_CONFIG,
  } as TopLevelSpec;
}
