/**
 * Vega-Lite specs of the NTK reproductions' figures, in the report's house style (specs.ts):
 * data inline, log–log axes for width scalings, seeds as faint points, the fitted power law
 * dashed and reference slopes dotted.
 */
import type { TopLevelSpec } from 'vega-lite';
import type { PowerLawFit } from '../../../report/fit.js';
import { perWidth, type WidthSample } from './width-study.js';

const BASE_CONFIG = { view: { stroke: '#ccc' }, axis: { grid: true, gridColor: '#eee' } } as const;
const PANEL = { width: 300, height: 220 } as const;
/** Legends show whole labels (series names carry the fitted exponents). */
const LEGEND = { labelLimit: 0, orient: 'bottom', direction: 'vertical' } as const;

/** A row of {@link widthScalingSpec}. */
export interface WidthRow {
  /** `seed`: one run; `mean`: the per-width geometric mean; `fit`: the fitted power law; `ref`: a reference slope; `marker`: a single reference value. */
  kind: 'seed' | 'mean' | 'fit' | 'ref' | 'marker';
  series: string;
  width: number;
  value: number;
}

/** One series of a width-scaling figure: its per-run samples and its fit. */
export interface WidthSeries {
  name: string;
  samples: readonly WidthSample[];
  fit: PowerLawFit | null;
}

/** The rows of one series: seeds, geometric means and the fitted line across the measured widths. */
export function widthRows(series: WidthSeries): WidthRow[] {
  const rows: WidthRow[] = series.samples.filter((s) => s.value > 0 && Number.isFinite(s.value)).map((s) => ({ kind: 'seed', series: series.name, width: s.width, value: s.value }));
  const means = perWidth(series.samples);
  for (const m of means) rows.push({ kind: 'mean', series: series.name, width: m.width, value: m.mean });
  if (series.fit && means.length >= 2) {
    for (const w of [means[0].width, means[means.length - 1].width]) rows.push({ kind: 'fit', series: series.name, width: w, value: Math.exp(series.fit.intercept + series.fit.slope * Math.log(w)) });
  }
  return rows;
}

/** A reference slope m^exponent through (width0, value0), drawn across [width0, width1]. */
export function referenceRows(name: string, exponent: number, width0: number, value0: number, width1: number): WidthRow[] {
  return [
    { kind: 'ref', series: name, width: width0, value: value0 },
    { kind: 'ref', series: name, width: width1, value: value0 * (width1 / width0) ** exponent },
  ];
}

/** A single reference value (e.g. a figure quoted by the paper), drawn as a labelled cross. */
export function markerRow(name: string, width: number, value: number): WidthRow {
  return { kind: 'marker', series: name, width, value };
}

/** A quantity vs width on log–log axes: seeds (points), geometric means (lines), fits (dashed), references (dotted grey). */
export function widthScalingSpec(rows: readonly WidthRow[], yTitle: string, seriesOrder: readonly string[]): TopLevelSpec {
  const x = { field: 'width', type: 'quantitative', scale: { type: 'log' }, title: 'width m' } as const;
  const y = { field: 'value', type: 'quantitative', scale: { type: 'log' }, title: yTitle } as const;
  const color = { field: 'series', type: 'nominal', sort: [...seriesOrder], scale: { scheme: 'category10' }, title: null, legend: LEGEND } as const;
  const layers: Extract<TopLevelSpec, { layer: unknown }>['layer'] = [];
  if (rows.some((r) => r.kind === 'seed')) {
    layers.push({ transform: [{ filter: "datum.kind === 'seed'" }], mark: { type: 'point', filled: true, size: 16, opacity: 0.35 }, encoding: { x, y, color } });
  }
  layers.push({ transform: [{ filter: "datum.kind === 'mean'" }], mark: { type: 'line', point: { filled: true, size: 40 } }, encoding: { x, y, color } });
  if (rows.some((r) => r.kind === 'fit')) {
    layers.push({ transform: [{ filter: "datum.kind === 'fit'" }], mark: { type: 'line', strokeDash: [6, 3], strokeWidth: 1.2 }, encoding: { x, y, color, detail: { field: 'series', type: 'nominal' } } });
  }
  if (rows.some((r) => r.kind === 'ref')) {
    layers.push({
      transform: [{ filter: "datum.kind === 'ref'" }],
      mark: { type: 'line', strokeDash: [2, 3], color: '#777' },
      encoding: { x, y, detail: { field: 'series', type: 'nominal' } },
    });
    layers.push({
      transform: [{ filter: "datum.kind === 'ref'" }, { window: [{ op: 'row_number', as: 'rank' }], groupby: ['series'], sort: [{ field: 'width', order: 'descending' }] }, { filter: 'datum.rank === 1' }],
      mark: { type: 'text', align: 'left', dx: 4, fontSize: 10, color: '#555' },
      encoding: { x, y, text: { field: 'series', type: 'nominal' } },
    });
  }
  if (rows.some((r) => r.kind === 'marker')) {
    layers.push({ transform: [{ filter: "datum.kind === 'marker'" }], mark: { type: 'point', shape: 'cross', size: 90, filled: true, color: '#000' }, encoding: { x, y } });
    layers.push({
      transform: [{ filter: "datum.kind === 'marker'" }],
      mark: { type: 'text', align: 'left', dx: 7, dy: -7, fontSize: 10, color: '#000' },
      encoding: { x, y, text: { field: 'series', type: 'nominal' } },
    });
  }
  return { ...PANEL, data: { values: rows as WidthRow[] }, layer: layers, config: BASE_CONFIG };
}

/** A row of {@link curvesSpec}: one point of one curve, in one panel. */
export interface CurveRow {
  panel: string;
  series: string;
  /** Which line the point belongs to (several lines may share a series, e.g. one per seed). */
  line: string;
  /** Drawn dashed when true (e.g. the linearized model against the network). */
  dashed: boolean;
  x: number;
  y: number;
}

/** Curves y(x), one panel per `panel` value, coloured by series, one line per `line`; `dashed` rows drawn dashed. */
export function curvesSpec(
  rows: readonly CurveRow[],
  axes: { x: string; y: string; logX?: boolean; logY?: boolean },
  panels: readonly string[],
  seriesOrder: readonly string[],
): TopLevelSpec {
  const scale = (log: boolean | undefined) => (log ? ({ type: 'log' } as const) : ({ zero: false } as const));
  const x = { field: 'x', type: 'quantitative', title: axes.x, scale: scale(axes.logX) } as const;
  const y = { field: 'y', type: 'quantitative', title: axes.y, scale: scale(axes.logY) } as const;
  const color = { field: 'series', type: 'nominal', sort: [...seriesOrder], scale: { scheme: 'category10' }, title: null, legend: LEGEND } as const;
  return {
    data: { values: rows as CurveRow[] },
    facet: { field: 'panel', type: 'nominal', sort: [...panels], header: { title: null, labelFontSize: 11, labelLimit: 0 } },
    columns: Math.min(panels.length, 3),
    spec: {
      width: 260,
      height: 190,
      mark: { type: 'line', strokeWidth: 1.4 },
      encoding: {
        x,
        y,
        color,
        strokeDash: { field: 'dashed', type: 'nominal', scale: { domain: [false, true], range: [[1, 0], [5, 3]] }, legend: null },
        detail: { field: 'line', type: 'nominal' },
        order: { field: 'x', type: 'quantitative' },
      },
    },
    config: BASE_CONFIG,
  };
}
