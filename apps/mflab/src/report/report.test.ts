import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { tableFromIPC } from 'apache-arrow';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { InvalidInputError } from '@mflab/core';
import { readIndex } from '@mflab/store';
import { makeFixtureStudy, type FixtureStudy } from '../testing/fixture-study.js';
import { parseXml, type XmlDocument } from '../testing/xml.js';
import { generateReport, type ReportResult } from './index.js';
import { namespaceSvgIds } from './write.js';

const ALL_FIGURES = ['risk-vs-time', 'risk-gap-vs-width', 'move-vs-width', 'ntk-drift-vs-width', 'spread-vs-width', 'particles', 'objective-vs-width'];
/** The only URLs allowed in report.html: the XML namespaces an inline SVG declares. */
const NAMESPACES = new Set(['http://www.w3.org/2000/svg', 'http://www.w3.org/1999/xlink', 'http://www.w3.org/XML/1998/namespace']);
const PNG_SIGNATURE = [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a];

const temps: string[] = [];
function tempDir(label: string): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), `mflab-report-${label}-`));
  temps.push(dir);
  return dir;
}

/** Width and height from a PNG's IHDR chunk (bytes 16–23, big-endian). */
function pngSize(bytes: Buffer): { width: number; height: number } {
  return { width: bytes.readUInt32BE(16), height: bytes.readUInt32BE(20) };
}

/** Elements whose parent is a Vega mark group of the given class (e.g. `mark-symbol role-mark`). */
function marksIn(doc: XmlDocument, groupClass: string): number {
  return doc.elements.filter((e) => e.parent >= 0 && (doc.elements[e.parent].attributes.class ?? '').startsWith(groupClass)).length;
}

let study: FixtureStudy;
let report: ReportResult;
let html: string;
let reportMs = 0;

beforeAll(async () => {
  study = makeFixtureStudy({ dir: tempDir('study'), withBrokenRuns: true });
  const start = performance.now();
  report = await generateReport(study.dir, { out: tempDir('out') });
  reportMs = performance.now() - start;
  html = fs.readFileSync(report.html, 'utf8');
});

afterAll(() => {
  for (const dir of temps) fs.rmSync(dir, { recursive: true, force: true });
});

describe('generateReport on a fixture study (3 widths × 3 seeds × 2 scalings × 2 λ, one failed and one diverged run)', () => {
  it('writes report.html, report.md and every figure as SVG and PNG, all non-empty', () => {
    console.log(`report of ${study.runs.length} runs generated in ${reportMs.toFixed(0)} ms`);
    expect(report.figures.map((f) => f.name)).toEqual(ALL_FIGURES);
    expect(report.skipped).toEqual([]);
    for (const file of [report.html, report.markdown, ...report.figures.flatMap((f) => [f.svg, f.png as string, f.spec])]) {
      expect(fs.statSync(file).size, file).toBeGreaterThan(100);
    }
    expect(report.warnings).toEqual([]);
    expect(report.summary).toContain(report.html);
  });

  it('renders SVGs that parse as XML and hold the expected marks', () => {
    const docs = new Map(report.figures.map((f) => [f.name, parseXml(fs.readFileSync(f.svg, 'utf8'))]));
    for (const [name, doc] of docs) {
      expect(doc.root, name).toBe('svg');
      expect(Number(doc.elements[0].attributes.width), name).toBeGreaterThan(0);
    }
    // Risk vs time: a line per (panel, width): 4 panels × 3 widths.
    expect(marksIn(docs.get('risk-vs-time') as XmlDocument, 'mark-line role-mark')).toBe(12);
    // move vs width: per panel one point per seed that finished (34 runs) plus 3 means.
    expect(marksIn(docs.get('move-vs-width') as XmlDocument, 'mark-symbol role-mark')).toBe(34 + 4 * 3);
    // Particles: 4 panels rows × 3 snapshots × 32 tracked neurons (log.particles.count).
    expect(marksIn(docs.get('particles') as XmlDocument, 'mark-symbol role-mark')).toBe(4 * 3 * 32);
    // Every width-series panel is labelled with its fitted slope.
    for (const name of ['move-vs-width', 'ntk-drift-vs-width', 'spread-vs-width', 'risk-gap-vs-width']) {
      const svg = fs.readFileSync(report.figures.find((f) => f.name === name)?.svg as string, 'utf8');
      expect(svg.match(/>slope -?\d/g)?.length, name).toBe(4);
    }
  });

  it('writes PNGs with the PNG signature and a size twice the SVG', () => {
    for (const f of report.figures) {
      const png = fs.readFileSync(f.png as string);
      expect([...png.subarray(0, 8)], f.name).toEqual(PNG_SIGNATURE);
      const svgWidth = Number(parseXml(fs.readFileSync(f.svg, 'utf8')).elements[0].attributes.width);
      expect(pngSize(png).width, f.name).toBe(Math.round(2 * svgWidth));
      expect(pngSize(png).height, f.name).toBeGreaterThan(0);
    }
  });

  it('writes a self-contained report.html: inline SVGs, no script, no URL but the SVG namespaces, unique ids', () => {
    expect(html).not.toMatch(/<script/i);
    const urls = [...html.matchAll(/\b(?:https?|ftp):\/\/[^\s"'<>)]+/gi)].map((m) => m[0]);
    expect(urls.filter((u) => !NAMESPACES.has(u))).toEqual([]);
    expect(html).not.toMatch(/<(?:img|link|iframe|object|embed)\b/i);
    for (const name of ALL_FIGURES) expect(html).toMatch(new RegExp(`<figure class="figure" data-figure="${name}">\\s*<svg`));
    const ids = [...html.matchAll(/\sid="([^"]+)"/g)].map((m) => m[1]);
    expect(new Set(ids).size).toBe(ids.length);
  });

  it('tables the failed and diverged runs and leaves them out of the fits', () => {
    expect(report.excluded.map((e) => [e.run, e.status])).toEqual(
      expect.arrayContaining([
        [study.failedRun, 'failed'],
        [study.divergedRun, 'diverged'],
      ]),
    );
    expect(report.excluded).toHaveLength(2);
    expect(report.runsUsed).toBe(study.runs.length - 2);
    const md = fs.readFileSync(report.markdown, 'utf8');
    for (const text of [html, md]) {
      expect(text).toContain(study.failedRun);
      expect(text).toContain('worker exited with code 1 (fixture)');
      expect(text).toContain(study.divergedRun);
      expect(text).toContain('objective became Infinity');
    }
  });

  it('fits the seed-mean final move read independently from the study index (store)', () => {
    const index = readIndex(study.dir);
    const rows = index.toArray().map((r) => r.toJSON() as Record<string, unknown>);
    for (const fit of report.fits.filter((f) => f.figure === 'move-vs-width')) {
      const expected = fit.widths.map((w) => {
        const moves = rows
          .filter((r) => r.status === 'done' && r['model.parameterization'] === fit.family && r['model.width'] === w && r['train.weightDecay'] === fit.weightDecay)
          .map((r) => r.move as number);
        return moves.reduce((s, v) => s + v, 0) / moves.length;
      });
      expect(fit.widths).toEqual([32, 128, 512]);
      fit.values.forEach((v, i) => expect(v).toBeCloseTo(expected[i], 12));
      // The slope is the least-squares slope of ln(value) on ln(width), recomputed here in closed form.
      const lx = fit.widths.map(Math.log);
      const ly = expected.map(Math.log);
      const mx = lx.reduce((s, v) => s + v, 0) / 3;
      const my = ly.reduce((s, v) => s + v, 0) / 3;
      const slope = lx.reduce((s, x, i) => s + (x - mx) * (ly[i] - my), 0) / lx.reduce((s, x) => s + (x - mx) ** 2, 0);
      expect(fit.fit?.slope).toBeCloseTo(slope, 10);
      expect(fit.fit?.ci95).not.toBeNull();
    }
  });

  it('fits the RMS across-seed spread of f recomputed from outputs.arrow', () => {
    const fits = report.fits.filter((f) => f.figure === 'spread-vs-width');
    expect(fits).toHaveLength(4);
    for (const fit of fits) {
      fit.widths.forEach((w, k) => {
        const outputs = [0, 1, 2]
          .map((seed) => path.join(study.dir, `model.parameterization=${fit.family}/model.width=${w}/train.weightDecay=${fit.weightDecay}/seed=${seed}`))
          .filter((dir) => JSON.parse(fs.readFileSync(path.join(dir, 'run.json'), 'utf8')).status === 'done')
          .map((dir) => tableFromIPC(fs.readFileSync(path.join(dir, 'outputs.arrow'))).getChild('f')?.toArray() as Float64Array);
        let total = 0;
        for (let i = 0; i < outputs[0].length; i++) {
          const mu = outputs.reduce((s, o) => s + o[i], 0) / outputs.length;
          total += outputs.reduce((s, o) => s + (o[i] - mu) ** 2, 0) / (outputs.length - 1);
        }
        expect(fit.values[k]).toBeCloseTo(Math.sqrt(total / outputs[0].length), 12);
      });
    }
  });

  it('states the expected exponent beside each fit and whether the CI holds it', () => {
    const byKey = (figure: string, family: string, weightDecay: number) => report.fits.find((f) => f.figure === figure && f.family === family && f.weightDecay === weightDecay);
    expect(byKey('spread-vs-width', 'mean-field', 0)?.expected).toMatchObject({ kind: 'value', value: -0.5 });
    expect(byKey('move-vs-width', 'ntk', 0)?.expected).toMatchObject({ kind: 'value', value: -0.5 });
    expect(byKey('move-vs-width', 'mean-field', 0)?.expected).toMatchObject({ kind: 'value', value: 0 });
    expect(byKey('move-vs-width', 'ntk', 0.001)?.verdict).toBe('no prediction');
    expect(byKey('ntk-drift-vs-width', 'ntk', 0)?.expected).toMatchObject({ kind: 'atMost', value: -0.5 });
    for (const f of report.fits) {
      // The stated rule: a prediction p agrees when the 95% CI meets [p − 0.1, p + 0.1]; a bound ≤ p when the CI reaches below p + 0.1.
      if (f.fit?.ci95 && f.expected.kind === 'value') {
        const meets = f.fit.ci95[0] <= f.expected.value + 0.1 && f.expected.value - 0.1 <= f.fit.ci95[1];
        expect(f.verdict).toBe(meets ? 'yes' : 'no');
      }
      if (f.fit?.ci95 && f.expected.kind === 'atMost') expect(f.verdict).toBe(f.fit.ci95[0] <= f.expected.value + 0.1 ? 'yes' : 'no');
      // the local exponent is the two-point slope at the largest widths
      const n = f.widths.length;
      if (n >= 2 && f.values[n - 1] > 0 && f.values[n - 2] > 0) {
        expect(f.localSlope).toBeCloseTo(Math.log(f.values[n - 1] / f.values[n - 2]) / Math.log(f.widths[n - 1] / f.widths[n - 2]), 12);
      }
    }
    expect(html).toContain('Agrees?');
    expect(fs.readFileSync(report.markdown, 'utf8')).toMatch(/\| move-vs-width \| ntk \| λ = 0 \| 3 \(32…512\) \| -?[\d.]+ \| \[-?[\d.]+, -?[\d.]+\] \| -?[\d.]+ \| -1\/2 \| (yes|\*\*no\*\*) \|/);
  });

  it('links every figure from report.md', () => {
    const md = fs.readFileSync(report.markdown, 'utf8');
    for (const name of ALL_FIGURES) expect(md).toContain(`](figures/${name}.svg)`);
  });
});

describe('generateReport on partial data', () => {
  it('skips the figures a one-width study without particles or NTK cannot have, with the reasons, and renders PNGs without fonts', async () => {
    const small = makeFixtureStudy({ dir: tempDir('small'), widths: [64], seeds: [0, 1], parameterizations: ['mean-field'], weightDecays: [0], steps: 10, particles: false, ntk: false, studyJson: false });
    const result = await generateReport(small.dir, { fonts: 'none' });
    expect(result.out).toBe(path.resolve(small.dir));
    expect(result.figures.map((f) => f.name)).toEqual(['risk-vs-time']);
    const reasons = Object.fromEntries(result.skipped.map((s) => [s.name, s.reason]));
    expect(reasons['ntk-drift-vs-width']).toMatch(/never computed/);
    expect(reasons.particles).toMatch(/no particle snapshots/);
    expect(reasons['move-vs-width']).toMatch(/single width/);
    expect(reasons['spread-vs-width']).toMatch(/single width/);
    expect(reasons['risk-gap-vs-width']).toMatch(/at least 2 widths/);
    expect(result.notes.join('\n')).toMatch(/without fonts/);
    const png = fs.readFileSync(result.figures[0].png as string);
    expect([...png.subarray(0, 8)]).toEqual(PNG_SIGNATURE);
    expect(pngSize(png).width).toBeGreaterThan(0);
    const page = fs.readFileSync(result.html, 'utf8');
    expect(page).toContain('Figures left out');
    expect(page).toContain('never computed');
  });

  it('reports on a single run directory', async () => {
    const small = makeFixtureStudy({ dir: tempDir('one'), widths: [32], seeds: [0], parameterizations: ['ntk'], weightDecays: [0], steps: 10 });
    const result = await generateReport(path.join(small.dir, small.runs[0]), { out: tempDir('one-out'), png: false });
    expect(result.runsUsed).toBe(1);
    expect(result.figures.map((f) => f.name)).toEqual(['risk-vs-time', 'particles']);
    expect(result.figures.every((f) => f.png === null)).toBe(true);
    expect(fs.readFileSync(result.html, 'utf8')).toMatch(/^<!doctype html>/);
  });

  it('rejects a directory that is missing or holds no runs with a one-line InvalidInputError naming dir', async () => {
    const missing = path.join(os.tmpdir(), 'mflab-report-does-not-exist');
    await expect(generateReport(missing)).rejects.toThrow(InvalidInputError);
    await expect(generateReport(missing)).rejects.toThrow(/^dir: .*does not exist/);
    const empty = tempDir('empty');
    await expect(generateReport(empty)).rejects.toThrow(/^dir: no runs \(directories with run\.json\) under /);
    await expect(generateReport(empty)).rejects.toThrow(/^[^\n]*$/);
  });
});

describe('namespaceSvgIds', () => {
  it('renames ids and every reference to them, and nothing else', () => {
    const svg = '<svg><defs><clipPath id="clip1"><rect/></clipPath></defs><g clip-path="url(#clip1)"><use href="#clip1"/><a href="#other"/></g></svg>';
    expect(namespaceSvgIds(svg, 'fig-a')).toBe(
      '<svg><defs><clipPath id="fig-a-clip1"><rect/></clipPath></defs><g clip-path="url(#fig-a-clip1)"><use href="#fig-a-clip1"/><a href="#other"/></g></svg>',
    );
  });
});
