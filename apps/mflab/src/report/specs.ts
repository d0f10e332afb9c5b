/**
 * One Vega-Lite spec builder per figure. Each takes tidy rows (one object per mark) and returns a
 * self-contained spec with the data inline, so that rendering needs no loader and no network.
 * Panels are facetted by parameterization (columns) and weight decay (rows), the grouping the
 * fits use.
 */
import type { TopLevelSpec } from 'vega-lite';

/** One layer of a layered spec. */
type Layer = Extract<TopLevelSpec, { layer: unknown }>['layer'][number];

/** Size of one facet panel, in pixels. */
const PANEL = { width: 240, height: 170 } as const;

/**
 * Facet headers. Row labels keep Vega-Lite's vertical default: horizontal ones (labelAngle 0)
 * are placed in a band sized for vertical text when rendered headlessly, far from the panels.
 */
const ROW_HEADER = { title: 'weight decay λ' } as const;
const COLUMN_HEADER = { title: 'parameterization' } as const;

const BASE_CONFIG = { view: { stroke: '#ccc' }, axis: { grid: true, gridColor: '#eee' } } as const;

/** Labels of the facet rows and columns, in the order they are shown. */
export interface FacetOrder {
  families: readonly string[];
  lambdas: readonly string[];
}

/** A row of {@link riskVsTimeSpec}: the seed-mean risk of one width at one logged time. */
export interface RiskRow {
  family: string;
  lambda: string;
  width: number;
  time: number;
  risk: number;
}

/** Risk vs time, one line per width (log–log), facetted by parameterization × λ. */
export function riskVsTimeSpec(rows: readonly RiskRow[], order: FacetOrder, riskTitle: string): TopLevelSpec {
  return {
    data: { values: rows as RiskRow[] },
    facet: {
      row: { field: 'lambda', type: 'nominal', sort: [...order.lambdas], header: ROW_HEADER },
      column: { field: 'family', type: 'nominal', sort: [...order.families], header: COLUMN_HEADER },
    },
    spec: {
      ...PANEL,
      mark: { type: 'line', strokeWidth: 1.5 },
      encoding: {
        x: { field: 'time', type: 'quantitative', scale: { type: 'log' }, title: 'time t = step·η' },
        y: { field: 'risk', type: 'quantitative', scale: { type: 'log' }, title: riskTitle },
        color: { field: 'width', type: 'ordinal', scale: { scheme: 'viridis' }, title: 'width m' },
        order: { field: 'time', type: 'quantitative' },
      },
    },
    config: BASE_CONFIG,
  };
}

/**
 * A row of {@link widthSeriesSpec}. `kind` selects the layer: `seed` (one run's value, small
 * points), `mean` (the per-width value that is fitted, larger points joined by a line), `fit`
 * (the two ends of the fitted power law, dashed) and `label` (the panel's slope and interval).
 */
export interface WidthSeriesRow {
  kind: 'seed' | 'mean' | 'fit' | 'label';
  family: string;
  lambda: string;
  width?: number;
  value?: number;
  label?: string;
}

/** A quantity vs width on log–log axes with its fitted power law, facetted by parameterization × λ. */
export function widthSeriesSpec(rows: readonly WidthSeriesRow[], order: FacetOrder, yTitle: string): TopLevelSpec {
  const x = { field: 'width', type: 'quantitative', scale: { type: 'log' }, title: 'width m' } as const;
  const y = { field: 'value', type: 'quantitative', scale: { type: 'log' }, title: yTitle } as const;
  const seedLayer: Layer = {
    transform: [{ filter: "datum.kind === 'seed'" }],
    mark: { type: 'point', filled: true, size: 18, opacity: 0.45, color: '#888' },
    encoding: { x, y },
  };
  return {
    data: { values: rows as WidthSeriesRow[] },
    facet: {
      row: { field: 'lambda', type: 'nominal', sort: [...order.lambdas], header: ROW_HEADER },
      column: { field: 'family', type: 'nominal', sort: [...order.families], header: COLUMN_HEADER },
    },
    spec: {
      ...PANEL,
      layer: [
        // Vega warns about an empty layer's infinite extent: draw per-seed points only when there are some.
        ...(rows.some((r) => r.kind === 'seed') ? [seedLayer] : []),
        {
          transform: [{ filter: "datum.kind === 'mean'" }],
          mark: { type: 'line', point: { filled: true, size: 45 }, color: '#1f77b4' },
          encoding: { x, y },
        },
        {
          transform: [{ filter: "datum.kind === 'fit'" }],
          mark: { type: 'line', strokeDash: [5, 3], color: '#d62728' },
          encoding: { x, y },
        },
        {
          transform: [{ filter: "datum.kind === 'label'" }],
          mark: { type: 'text', align: 'left', baseline: 'top', fontSize: 10, lineBreak: '\n', color: '#d62728' },
          encoding: { x: { value: 6 }, y: { value: 6 }, text: { field: 'label', type: 'nominal' } },
        },
      ],
    },
    config: BASE_CONFIG,
  };
}

/**
 * A row of {@link particlesSpec}: one neuron's projected b_j·a_j in one snapshot (`point`), or
 * the snapshot's time and run, written in the panel (`label`). `panel` names the facet cell.
 */
export interface ParticleRow {
  kind: 'point' | 'label';
  panel: string;
  x?: number;
  y?: number;
  sign?: 'b > 0' | 'b < 0';
  label?: string;
}

/**
 * Particle scatter: (b_j a_j[0], b_j a_j[1]) coloured by sign(b_j). One panel per (run,
 * snapshot), wrapped `columns` to a row (one row per run when `columns` is the number of
 * snapshots), each panel titled with its parameterization, λ and snapshot.
 */
export function particlesSpec(rows: readonly ParticleRow[], panels: readonly string[], columns: number): TopLevelSpec {
  return {
    data: { values: rows as ParticleRow[] },
    facet: { field: 'panel', type: 'nominal', sort: [...panels], header: { title: null, labelLimit: 0, labelFontSize: 11 } },
    columns,
    spec: {
      width: 170,
      height: 170,
      layer: [
        {
          transform: [{ filter: "datum.kind === 'point'" }],
          mark: { type: 'point', filled: true, size: 14, opacity: 0.75 },
          encoding: {
            x: { field: 'x', type: 'quantitative', title: 'b·a[0]', scale: { zero: true } },
            y: { field: 'y', type: 'quantitative', title: 'b·a[1]', scale: { zero: true } },
            color: { field: 'sign', type: 'nominal', scale: { domain: ['b > 0', 'b < 0'], range: ['#d62728', '#1f77b4'] }, title: 'sign of b' },
          },
        },
        {
          transform: [{ filter: "datum.kind === 'label'" }],
          mark: { type: 'text', align: 'left', baseline: 'top', fontSize: 10, lineBreak: '\n', color: '#333' },
          encoding: { x: { value: 4 }, y: { value: 4 }, text: { field: 'label', type: 'nominal' } },
        },
      ],
    },
    resolve: { scale: { x: 'independent', y: 'independent' } },
    config: BASE_CONFIG,
  };
}

/**
 * A row of {@link layerSeriesSpec}: one run's final per-layer value (`seed`) or its seed mean
 * (`mean`) for one layer of a deep network at one width.
 */
export interface LayerSeriesRow {
  kind: 'seed' | 'mean';
  family: string;
  lambda: string;
  /** The layer's label, e.g. `layer 1 (input)`; `layerIndex` orders the legend. */
  layer: string;
  layerIndex: number;
  width: number;
  value: number;
}

/**
 * A per-layer quantity of deep networks vs width on log–log axes (ARCHITECTURE.md §7): one line
 * per layer (seed means, coloured by layer) over the per-seed points, facetted by
 * parameterization × λ — e.g. the final `move_layers` (how far each layer's weights moved) or
 * `feature_move` (μP's coordinate check: flat in width under mup, growing under standard).
 */
export function layerSeriesSpec(rows: readonly LayerSeriesRow[], order: FacetOrder, yTitle: string): TopLevelSpec {
  const x = { field: 'width', type: 'quantitative', scale: { type: 'log' }, title: 'width m' } as const;
  const y = { field: 'value', type: 'quantitative', scale: { type: 'log' }, title: yTitle } as const;
  const layers = [...new Map(rows.map((r) => [r.layerIndex, r.layer])).entries()].sort((a, b) => a[0] - b[0]).map(([, label]) => label);
  const color = { field: 'layer', type: 'nominal', sort: layers, scale: { scheme: 'viridis' }, title: 'layer' } as const;
  return {
    data: { values: rows as LayerSeriesRow[] },
    facet: {
      row: { field: 'lambda', type: 'nominal', sort: [...order.lambdas], header: ROW_HEADER },
      column: { field: 'family', type: 'nominal', sort: [...order.families], header: COLUMN_HEADER },
    },
    spec: {
      ...PANEL,
      layer: [
        {
          transform: [{ filter: "datum.kind === 'seed'" }],
          mark: { type: 'point', filled: true, size: 16, opacity: 0.35 },
          encoding: { x, y, color },
        },
        {
          transform: [{ filter: "datum.kind === 'mean'" }],
          mark: { type: 'line', point: { filled: true, size: 40 } },
          encoding: { x, y, color, detail: { field: 'layer', type: 'nominal' } },
        },
      ],
    },
    config: BASE_CONFIG,
  };
}

/** A row of {@link objectiveSpec}: one run's final objective (`seed`) or the seed mean (`mean`). */
export interface ObjectiveRow {
  kind: 'seed' | 'mean';
  family: string;
  lambda: string;
  width: number;
  value: number;
}

/** Final objective F(w) vs width, with and without weight decay as colours, one panel per parameterization. */
export function objectiveSpec(rows: readonly ObjectiveRow[], order: FacetOrder, axis: { title: string; log: boolean } = { title: 'final objective F(w)', log: true }): TopLevelSpec {
  const x = { field: 'width', type: 'quantitative', scale: { type: 'log' }, title: 'width m' } as const;
  const y = { field: 'value', type: 'quantitative' as const, scale: axis.log ? { type: 'log' as const } : { zero: false }, title: axis.title };
  const color = { field: 'lambda', type: 'nominal', sort: [...order.lambdas], title: 'weight decay', scale: { scheme: 'category10' } } as const;
  return {
    data: { values: rows as ObjectiveRow[] },
    facet: { column: { field: 'family', type: 'nominal', sort: [...order.families], header: COLUMN_HEADER } },
    spec: {
      ...PANEL,
      layer: [
        {
          transform: [{ filter: "datum.kind === 'seed'" }],
          mark: { type: 'point', filled: true, size: 18, opacity: 0.4 },
          encoding: { x, y, color },
        },
        {
          transform: [{ filter: "datum.kind === 'mean'" }],
          mark: { type: 'line', point: { filled: true, size: 45 } },
          encoding: { x, y, color },
        },
      ],
    },
    config: BASE_CONFIG,
  };
}
