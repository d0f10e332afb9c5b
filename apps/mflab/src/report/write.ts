/**
 * Writing the report: `report.html` (self-contained: the SVGs inline, a stylesheet inline, no
 * script and no URL to fetch) and `report.md` (the same tables, figures linked as files).
 */
import type { ExcludedRun, LoadedStudy } from './load.js';
import { formatNumber, lambdaLabel, type Expectation, type ReportFit, type SkippedFigure } from './figures.js';

/** A rendered figure as the writers need it. */
export interface WrittenFigure {
  name: string;
  title: string;
  caption: string;
  /** SVG text, ids already made unique to this figure. */
  svg: string;
  /** Paths relative to the report. */
  svgFile: string;
  pngFile: string | null;
}

export interface ReportContent {
  study: LoadedStudy;
  title: string;
  figures: WrittenFigure[];
  skipped: SkippedFigure[];
  fits: ReportFit[];
  excluded: ExcludedRun[];
  notes: string[];
}

const escapeHtml = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
const escapeMd = (s: string) => s.replace(/\|/g, '\\|').replace(/\n/g, ' ');

/**
 * Renames every `id` of an SVG (and its `url(#…)` / `href="#…"` references) with a prefix, so
 * that several SVGs inlined in one HTML document do not resolve each other's clip paths.
 */
export function namespaceSvgIds(svg: string, prefix: string): string {
  const ids = new Set<string>();
  for (const m of svg.matchAll(/\sid="([^"]+)"/g)) ids.add(m[1]);
  if (ids.size === 0) return svg;
  const rename = (id: string) => (ids.has(id) ? `${prefix}-${id}` : id);
  return svg
    .replace(/(\sid=")([^"]+)"/g, (_, head: string, id: string) => `${head}${rename(id)}"`)
    .replace(/url\(#([^)]+)\)/g, (_, id: string) => `url(#${rename(id)})`)
    .replace(/(href=")#([^"]+)"/g, (_, head: string, id: string) => `${head}#${rename(id)}"`);
}

function expectedText(e: Expectation): string {
  if (e.kind === 'negative') return '< 0';
  if (e.kind === 'none') return 'none';
  const v = e.value === -0.5 ? '-1/2' : formatNumber(e.value);
  return e.kind === 'atMost' ? `≤ ${v}` : v;
}

function ciText(fit: ReportFit['fit']): string {
  if (fit === null) return '';
  return fit.ci95 === null ? 'n/a (2 widths)' : `[${formatNumber(fit.ci95[0])}, ${formatNumber(fit.ci95[1])}]`;
}

interface FitCells {
  figure: string;
  family: string;
  lambda: string;
  widths: string;
  exponent: string;
  ci: string;
  local: string;
  expected: string;
  verdict: ReportFit['verdict'];
}

function fitCells(f: ReportFit): FitCells {
  const w = f.widths;
  return {
    figure: f.figure,
    family: f.family,
    lambda: lambdaLabel(f.weightDecay),
    widths: w.length === 0 ? '' : w.length === 1 ? `${w[0]}` : `${w.length} (${w[0]}…${w[w.length - 1]})`,
    exponent: f.fit === null ? 'no fit' : formatNumber(f.fit.slope),
    ci: ciText(f.fit),
    local: f.localSlope === null ? '' : formatNumber(f.localSlope),
    expected: expectedText(f.expected),
    verdict: f.verdict,
  };
}

/** What each figure's fits measure, once per figure, for the legend under the table. */
function quantityLegend(fits: readonly ReportFit[]): string[] {
  const seen = new Map<string, string>();
  for (const f of fits) if (!seen.has(f.figure)) seen.set(f.figure, `${f.figure}: ${f.quantity}`);
  return [...seen.values()];
}

/** The distinct expected values and the reasons behind them. */
function expectationLegend(fits: readonly ReportFit[]): string[] {
  const seen = new Map<string, string>();
  for (const f of fits) {
    const key = `${f.figure}\u0000${expectedText(f.expected)}\u0000${f.expected.why}`;
    if (!seen.has(key)) seen.set(key, `${f.figure}: expected ${expectedText(f.expected)} (${f.expected.why})`);
  }
  return [...seen.values()];
}

const FIT_HEADERS = ['Figure', 'Parameterization', 'λ', 'Widths', 'Exponent', '95% CI', 'Local exponent', 'Expected', 'Agrees?'];

const STYLE = `
body { font-family: system-ui, -apple-system, "Segoe UI", "DejaVu Sans", sans-serif; margin: 0; color: #222; background: #fff; }
main { max-width: 1180px; margin: 0 auto; padding: 1.5rem; }
h1 { margin-bottom: 0.2rem; }
.meta { color: #555; margin-top: 0; }
table { border-collapse: collapse; margin: 0.5rem 0 1rem; font-size: 0.9rem; }
th, td { border: 1px solid #ddd; padding: 0.25rem 0.5rem; text-align: left; vertical-align: top; }
th { background: #f4f4f4; }
td.num { text-align: right; font-variant-numeric: tabular-nums; }
.verdict-yes { color: #1a7f37; font-weight: 600; }
.verdict-no { color: #b42318; font-weight: 600; }
figure.figure { margin: 1rem 0 2rem; overflow-x: auto; }
figure.figure svg { display: block; max-width: none; height: auto; }
figcaption { color: #444; font-size: 0.9rem; margin-top: 0.4rem; max-width: 60rem; }
pre { background: #f7f7f7; padding: 0.6rem; overflow-x: auto; font-size: 0.85rem; }
`;

function htmlTable(headers: readonly string[], rows: readonly string[][]): string {
  const head = `<tr>${headers.map((h) => `<th>${escapeHtml(h)}</th>`).join('')}</tr>`;
  return `<table>\n<thead>${head}</thead>\n<tbody>\n${rows.map((r) => `<tr>${r.join('')}</tr>`).join('\n')}\n</tbody>\n</table>`;
}

const td = (s: string, cls?: string) => `<td${cls ? ` class="${cls}"` : ''}>${escapeHtml(s)}</td>`;

function summaryLine(c: ReportContent): string {
  const used = c.study.runs.length;
  const total = used + c.excluded.length;
  return `${total} run${total === 1 ? '' : 's'}: ${used} used, ${c.excluded.length} left out (failed, diverged, running or unreadable).`;
}

/** The self-contained HTML report. */
export function reportHtml(c: ReportContent): string {
  const meta = c.study.meta;
  const parts: string[] = [];
  parts.push(`<!doctype html>\n<html lang="en">\n<head>\n<meta charset="utf-8">\n<meta name="viewport" content="width=device-width, initial-scale=1">`);
  parts.push(`<title>${escapeHtml(c.title)}</title>\n<style>${STYLE}</style>\n</head>\n<body>\n<main>`);
  parts.push(`<h1>${escapeHtml(c.title)}</h1>`);
  parts.push(`<p class="meta">${escapeHtml(summaryLine(c))} Study directory: <code>${escapeHtml(c.study.dir)}</code></p>`);
  if (meta?.description) parts.push(`<p>${escapeHtml(meta.description)}</p>`);

  parts.push('<h2 id="fits">Fitted exponents</h2>');
  if (c.fits.length === 0) parts.push('<p>No fits: the study has fewer than 2 widths (or seeds) with data.</p>');
  else {
    const rows = c.fits.map((f) => {
      const x = fitCells(f);
      return [
        td(x.figure),
        td(x.family),
        td(x.lambda),
        td(x.widths),
        td(x.exponent, 'num'),
        td(x.ci, 'num'),
        td(x.local, 'num'),
        td(x.expected, 'num'),
        td(x.verdict, x.verdict === 'yes' ? 'verdict-yes' : x.verdict === 'no' ? 'verdict-no' : undefined),
      ];
    });
    parts.push(htmlTable(FIT_HEADERS, rows));
    parts.push(`<p>Each exponent is the least-squares slope of ln(value) on ln(m) over the widths listed; the 95% confidence interval uses Student's t with (widths − 2) degrees of freedom. The local exponent is the slope between the two largest widths (where the fit is heading). An exponent agrees with a prediction p when its interval meets [p − 0.1, p + 0.1] (finite widths tilt slopes by next-order terms); a bound ≤ p when its interval reaches below p + 0.1.</p>`);
    parts.push(`<p>What is fitted:</p>\n<ul>${quantityLegend(c.fits).map((l) => `<li>${escapeHtml(l)}</li>`).join('')}</ul>`);
    parts.push(`<p>Expected exponents:</p>\n<ul>${expectationLegend(c.fits).map((l) => `<li>${escapeHtml(l)}</li>`).join('')}</ul>`);
  }

  parts.push('<h2 id="figures">Figures</h2>');
  for (const f of c.figures) {
    const files = [`<a href="${escapeHtml(f.svgFile)}">SVG</a>`, f.pngFile ? `<a href="${escapeHtml(f.pngFile)}">PNG</a>` : ''].filter(Boolean).join(' · ');
    parts.push(`<section id="fig-${f.name}">\n<h3>${escapeHtml(f.title)}</h3>`);
    parts.push(`<figure class="figure" data-figure="${escapeHtml(f.name)}">\n${f.svg}\n<figcaption>${escapeHtml(f.caption)} (${files})</figcaption>\n</figure>\n</section>`);
  }
  if (c.skipped.length > 0) {
    parts.push('<h2 id="skipped">Figures left out</h2>');
    parts.push(`<ul>${c.skipped.map((s) => `<li><strong>${escapeHtml(s.title)}</strong> (${escapeHtml(s.name)}): ${escapeHtml(s.reason)}</li>`).join('\n')}</ul>`);
  }
  if (c.excluded.length > 0) {
    parts.push('<h2 id="excluded">Runs left out of the figures and fits</h2>');
    parts.push(htmlTable(['Run', 'Status', 'Reason'], c.excluded.map((e) => [td(e.run), td(e.status), td(e.reason)])));
  }
  if (c.notes.length > 0) {
    parts.push('<h2 id="notes">Notes</h2>');
    parts.push(`<ul>${c.notes.map((n) => `<li>${escapeHtml(n)}</li>`).join('\n')}</ul>`);
  }
  if (meta?.grid || meta?.versions) {
    parts.push('<h2 id="study">Study</h2>');
    if (meta.grid) parts.push(`<p>Grid:</p>\n<pre>${escapeHtml(JSON.stringify(meta.grid, null, 2))}</pre>`);
    if (meta.versions) parts.push(`<p>Versions:</p>\n<pre>${escapeHtml(JSON.stringify(meta.versions, null, 2))}</pre>`);
  }
  parts.push('</main>\n</body>\n</html>\n');
  return parts.join('\n');
}

function mdTable(headers: readonly string[], rows: readonly string[][]): string {
  const line = (cells: readonly string[]) => `| ${cells.map(escapeMd).join(' | ')} |`;
  return [line(headers), line(headers.map(() => '---')), ...rows.map(line)].join('\n');
}

/** The Markdown report: the same tables, figures as links to their SVG files. */
export function reportMarkdown(c: ReportContent): string {
  const meta = c.study.meta;
  const out: string[] = [`# ${c.title}`, '', summaryLine(c), ''];
  if (meta?.description) out.push(meta.description, '');
  out.push('## Fitted exponents', '');
  if (c.fits.length === 0) out.push('No fits: the study has fewer than 2 widths (or seeds) with data.', '');
  else {
    const rows = c.fits.map((f) => {
      const x = fitCells(f);
      return [x.figure, x.family, x.lambda, x.widths, x.exponent, x.ci, x.local, x.expected, x.verdict === 'no' ? '**no**' : x.verdict];
    });
    out.push(mdTable(FIT_HEADERS, rows), '');
    out.push("Each exponent is the least-squares slope of ln(value) on ln(m) over the widths listed; the 95% confidence interval uses Student's t with (widths − 2) degrees of freedom. The local exponent is the slope between the two largest widths (where the fit is heading). An exponent agrees with a prediction p when its interval meets [p − 0.1, p + 0.1] (finite widths tilt slopes by next-order terms); a bound ≤ p when its interval reaches below p + 0.1.", '');
    out.push('What is fitted:', '');
    for (const l of quantityLegend(c.fits)) out.push(`- ${l}`);
    out.push('', 'Expected exponents:', '');
    for (const l of expectationLegend(c.fits)) out.push(`- ${l}`);
    out.push('');
  }
  out.push('## Figures', '');
  for (const f of c.figures) {
    out.push(`### ${f.title}`, '', `![${f.title}](${f.svgFile})`, '', `${f.caption}${f.pngFile ? ` ([PNG](${f.pngFile}))` : ''}`, '');
  }
  if (c.skipped.length > 0) {
    out.push('## Figures left out', '');
    for (const s of c.skipped) out.push(`- **${s.title}** (${s.name}): ${s.reason}`);
    out.push('');
  }
  if (c.excluded.length > 0) {
    out.push('## Runs left out of the figures and fits', '', mdTable(['Run', 'Status', 'Reason'], c.excluded.map((e) => [e.run, e.status, e.reason])), '');
  }
  if (c.notes.length > 0) {
    out.push('## Notes', '');
    for (const n of c.notes) out.push(`- ${n}`);
    out.push('');
  }
  if (meta?.grid) out.push('## Study grid', '', '```json', JSON.stringify(meta.grid, null, 2), '```', '');
  return out.join('\n');
}
