#!/usr/bin/env node
// μP's coordinate check as a figure (ARCHITECTURE.md §7): feature_move (RMS of h_l(t) − h_l(0))
// vs width 256…4096 at steps 1…5 of SGD on one fixed batch, one panel per parametrization × step,
// one line per layer; prints the fitted log–log exponents. The numbers are core's
// `coordinateCheck` (the same run as packages/core/src/deep/coord-check.test.ts); the figure is the
// app's Vega-Lite layer-series spec rendered headless (no browser, no network).
//
//   npm run build && node tools/scripts/coord-check.mjs coord-check.svg
import { writeFileSync } from 'node:fs';
import { coordinateCheck } from '@mflab/core';
import { layerSeriesSpec } from '../../apps/mflab/dist/report/specs.js';
import { renderSvg } from '../../apps/mflab/dist/report/render.js';

const out = process.argv[2];
if (!out || !out.endsWith('.svg')) {
  console.error('usage: node tools/scripts/coord-check.mjs OUT.svg');
  process.exit(2);
}
const result = coordinateCheck();
const presets = Object.keys(result.exponents);
const rows = [];
for (const preset of presets) {
  result.featureMove[preset].forEach((byWidth, t) => {
    byWidth.forEach((layers, w) => {
      layers.forEach((value, l) => {
        // One run per point: it is both the 'seed' point and the line's 'mean'.
        for (const kind of ['seed', 'mean']) rows.push({ kind, family: preset, lambda: `step ${t + 1}`, layer: `layer ${l + 1}`, layerIndex: l, width: result.widths[w], value });
      });
    });
  });
  console.log(`${preset}: exponent of feature_move vs width, per step (layers 1…${result.depth}):`);
  result.exponents[preset].forEach((e, t) => console.log(`  step ${t + 1}: ${e.map((v) => v.toFixed(3)).join('  ')}`));
}
const order = { families: presets, lambdas: Array.from({ length: result.steps }, (_, t) => `step ${t + 1}`) };
const warnings = [];
writeFileSync(out, await renderSvg(layerSeriesSpec(rows, order, 'feature_move (RMS of h_l(t) − h_l(0))'), warnings));
for (const w of warnings) console.error(`warning: ${w}`);
console.log(`wrote ${out}`);
