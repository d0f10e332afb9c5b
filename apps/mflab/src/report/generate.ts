/**
 * `mflab report DIR`: loads a study (or one run), builds the figures and fits, renders each
 * figure to SVG and PNG, and writes `report.html`, `report.md` and `figures/`.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { InvalidInputError } from '@mflab/core';
import { writeFileAtomic } from '@mflab/store';
import { reportFigures, type ReportFit, type SkippedFigure } from './figures.js';
import { loadStudy, type ExcludedRun } from './load.js';
import { detectFonts, rasterize, renderSvg, type FontSetup } from './render.js';
import { namespaceSvgIds, reportHtml, reportMarkdown, type WrittenFigure } from './write.js';

/** Options of {@link generateReport}; all optional. */
export interface GenerateReportOptions {
  /** Where to write `report.html`, `report.md` and `figures/` (default: the study directory). */
  out?: string;
  /** Write PNGs next to the SVGs (default true). */
  png?: boolean;
  /**
   * Fonts for the PNGs: `system` (default) uses the machine's fonts; `none` renders shapes only,
   * as on a machine without fonts (text is dropped, nothing fails).
   */
  fonts?: 'system' | 'none';
}

/** A figure written by {@link generateReport}. */
export interface ReportFigure {
  name: string;
  title: string;
  /** Absolute paths of the files. */
  svg: string;
  png: string | null;
  /** The Vega-Lite spec (data inline), as written to `figures/<name>.vl.json`. */
  spec: string;
}

/**
 * What {@link generateReport} wrote and found: the paths of report.html and report.md, the
 * figures, the fitted exponents, the runs left out, and a summary for the terminal.
 */
export interface ReportResult {
  /** The study (or run) directory read. */
  dir: string;
  /** The output directory. */
  out: string;
  /** Absolute path of `report.html`. */
  html: string;
  /** Absolute path of `report.md`. */
  markdown: string;
  figures: ReportFigure[];
  /** Figures left out, with the reason (missing data is not an error). */
  skipped: SkippedFigure[];
  /** Every fitted exponent with its interval and the expected value. */
  fits: ReportFit[];
  /** Runs left out of the figures and fits (failed, diverged, running, unreadable). */
  excluded: ExcludedRun[];
  /** Runs used. */
  runsUsed: number;
  /** Things the reader of the report should know (also written into the report). */
  notes: string[];
  /** Warnings from Vega / Vega-Lite while rendering (empty when the specs are clean). */
  warnings: string[];
  /** A few lines for the terminal: where the report is, what it holds, what was left out. */
  summary: string;
}

function summarize(r: Omit<ReportResult, 'summary'>): string {
  const lines = [`report: ${r.html}`, `        ${r.markdown}`];
  lines.push(`figures: ${r.figures.length} written to ${path.join(r.out, 'figures')}${r.skipped.length > 0 ? `, ${r.skipped.length} left out (${r.skipped.map((s) => s.name).join(', ')})` : ''}`);
  const verdicts = new Map<string, number>();
  for (const f of r.fits) verdicts.set(f.verdict, (verdicts.get(f.verdict) ?? 0) + 1);
  if (r.fits.length > 0) {
    const counts = [...verdicts.entries()].map(([v, n]) => `${n} ${v}`).join(', ');
    lines.push(`fits: ${r.fits.length} exponents; agreeing with the prediction (95% CI within ±0.1 of it): ${counts}`);
  }
  lines.push(`runs: ${r.runsUsed} used, ${r.excluded.length} left out${r.excluded.length > 0 ? ' (tabled in the report)' : ''}`);
  return lines.join('\n');
}

function ensureDir(dir: string): void {
  try {
    fs.mkdirSync(dir, { recursive: true });
  } catch (err) {
    throw new InvalidInputError('out', `cannot create ${dir} (${err instanceof Error ? err.message : String(err)}); choose a writable directory with --out`);
  }
}

/**
 * Writes the report of a study or run directory. Failed and diverged runs are tabled and left
 * out; figures without data are skipped with a note. Throws InvalidInputError (field `dir` or
 * `out`) for a directory that is not a study or run, or an output directory it cannot write.
 */
export async function generateReport(dir: string, options: GenerateReportOptions = {}): Promise<ReportResult> {
  const studyDir = path.resolve(dir);
  const out = path.resolve(options.out ?? studyDir);
  const study = loadStudy(studyDir);
  const set = reportFigures(study);
  const notes = [...study.notes, ...set.notes];

  const fonts: FontSetup = options.fonts === 'none' ? { loadSystemFonts: false, fontFiles: 0 } : detectFonts();
  const wantPng = options.png ?? true;
  if (wantPng && fonts.fontFiles === 0) {
    notes.push(
      options.fonts === 'none'
        ? 'PNGs rendered without fonts (as asked): their text is left out; the SVGs and this report are unaffected'
        : 'no system fonts found: the PNGs have no text (install e.g. fonts-dejavu-core); the SVGs and this report are unaffected',
    );
  }

  const figuresDir = path.join(out, 'figures');
  ensureDir(figuresDir);
  const warnings: string[] = [];
  const written: WrittenFigure[] = [];
  const figures: ReportFigure[] = [];
  for (const plan of set.figures) {
    const figureWarnings: string[] = [];
    const raw = await renderSvg(plan.spec, figureWarnings);
    warnings.push(...figureWarnings.map((w) => `${plan.name}: ${w}`));
    // Unique ids per figure: the SVGs are inlined side by side in report.html.
    const svg = namespaceSvgIds(raw, `fig-${plan.name}`);
    const svgPath = path.join(figuresDir, `${plan.name}.svg`);
    const specPath = path.join(figuresDir, `${plan.name}.vl.json`);
    writeFileAtomic(svgPath, svg);
    writeFileAtomic(specPath, JSON.stringify({ $schema: 'https://vega.github.io/schema/vega-lite/v6.json', ...plan.spec }, null, 1) + '\n');
    let pngPath: string | null = null;
    if (wantPng) {
      pngPath = path.join(figuresDir, `${plan.name}.png`);
      writeFileAtomic(pngPath, rasterize(svg, fonts));
    }
    figures.push({ name: plan.name, title: plan.title, svg: svgPath, png: pngPath, spec: specPath });
    written.push({
      name: plan.name,
      title: plan.title,
      caption: plan.caption,
      svg,
      svgFile: path.relative(out, svgPath).split(path.sep).join('/'),
      pngFile: pngPath === null ? null : path.relative(out, pngPath).split(path.sep).join('/'),
    });
  }

  const title = study.meta?.title ?? study.meta?.name ?? (study.singleRun ? `mflab run ${path.basename(studyDir)}` : `mflab study ${path.basename(studyDir)}`);
  const content = { study, title, figures: written, skipped: set.skipped, fits: set.fits, excluded: study.excluded, notes };
  const html = path.join(out, 'report.html');
  const markdown = path.join(out, 'report.md');
  // Atomic: a report being rewritten (or a killed `mflab report`) never leaves a half-written file.
  writeFileAtomic(html, reportHtml(content));
  writeFileAtomic(markdown, reportMarkdown(content));
  const result = {
    dir: studyDir,
    out,
    html,
    markdown,
    figures,
    skipped: set.skipped,
    fits: set.fits,
    excluded: study.excluded,
    runsUsed: study.runs.length,
    notes,
    warnings,
  };
  return { ...result, summary: summarize(result) };
}
