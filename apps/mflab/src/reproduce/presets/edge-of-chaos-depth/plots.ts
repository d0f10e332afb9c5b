/** Vega-Lite specs of the edge-of-chaos figures (house style of report/specs.ts: inline data, one panel). */
import type { TopLevelSpec } from 'vega-lite';

const PANEL = { width: 380, height: 260 } as const;
const BASE_CONFIG = { view: { stroke: '#ccc' }, axis: { grid: true, gridColor: '#eee' }, legend: { labelLimit: 320, titleLimit: 320 } } as const;

/** One point of a curve: `series` names the initialization (or a reference curve), `group` an input pair. */
export interface DepthRow {
  series: string;
  group: string;
  depth: number;
  value: number;
}

/**
 * Lines of `value` against depth, one colour per series and one line per (series, group);
 * `reference` series are drawn dashed in grey, and horizontal rules mark `levels`.
 */
export function depthCurvesSpec(options: {
  rows: readonly DepthRow[];
  seriesOrder: readonly string[];
  yTitle: string;
  logX: boolean;
  logY: boolean;
  /** The depth axis runs over [1, maxDepth]. */
  maxDepth: number;
  references?: readonly string[];
  levels?: readonly { value: number; label: string }[];
}): TopLevelSpec {
  const references = new Set(options.references ?? []);
  const domain = [1, options.maxDepth];
  const x = { field: 'depth', type: 'quantitative', title: 'depth L', scale: options.logX ? { type: 'log', domain, nice: false } : { domain, nice: false } } as const;
  const y = { field: 'value', type: 'quantitative', title: options.yTitle, scale: options.logY ? { type: 'log' } : { zero: false } } as const;
  const curves = options.rows.filter((r) => !references.has(r.series));
  const dashed = options.rows.filter((r) => references.has(r.series));
  const levels = options.levels ?? [];
  return {
    ...PANEL,
    layer: [
      {
        data: { values: curves as DepthRow[] },
        mark: { type: 'line', strokeWidth: 1.6 },
        encoding: {
          x,
          y,
          color: { field: 'series', type: 'nominal', sort: [...options.seriesOrder], title: 'initialization (σ_w², σ_b²)' },
          detail: { field: 'group', type: 'nominal' },
          order: { field: 'depth', type: 'quantitative' },
        },
      },
      ...(dashed.length
        ? [
            {
              data: { values: dashed as DepthRow[] },
              mark: { type: 'line' as const, strokeDash: [6, 4], color: '#555', strokeWidth: 1.2 },
              encoding: { x, y, detail: { field: 'series', type: 'nominal' as const }, order: { field: 'depth', type: 'quantitative' as const } },
            },
          ]
        : []),
      ...(levels.length
        ? [
            {
              data: { values: levels.map((l) => ({ ...l })) },
              mark: { type: 'rule' as const, strokeDash: [2, 3], color: '#999' },
              encoding: { y: { field: 'value', type: 'quantitative' as const } },
            },
            {
              data: { values: levels.map((l) => ({ ...l })) },
              mark: { type: 'text' as const, align: 'left' as const, dx: 4, dy: -6, fontSize: 10, color: '#666' },
              encoding: { x: { value: 0 }, y: { field: 'value', type: 'quantitative' as const }, text: { field: 'label', type: 'nominal' as const } },
            },
          ]
        : []),
    ],
    config: BASE_CONFIG,
  } as TopLevelSpec;
}
