/**
 * The report (`mflab report DIR`): figures declared as Vega-Lite specs, rendered headlessly to
 * SVG and PNG, fitted width exponents with confidence intervals, and a self-contained HTML and
 * Markdown report.
 */
export { generateReport, type GenerateReportOptions, type ReportFigure, type ReportResult } from './generate.js';
export type { Expectation, ReportFit, SkippedFigure } from './figures.js';
export type { ExcludedRun } from './load.js';
export { fitPowerLaw, type PowerLawFit } from './fit.js';
