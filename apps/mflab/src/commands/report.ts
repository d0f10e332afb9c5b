import { resolve } from 'node:path';
import { generateReport } from '../report/index.js';
import { ConfigError } from '../config/validate.js';
import { EXIT, parse, studyOrRunDirectory } from './shared.js';

export const REPORT_HELP = `Usage: mflab report DIR [options]

Writes the report of a study (or of one run): report.html (self-contained: figures inlined, no
network), report.md, and every figure as SVG and PNG under figures/. Figures: risk vs time per
width, move and ntk_drift vs width with fitted slopes, the across-seed spread of the test
outputs vs width with its fitted slope, particle scatter plots, final objective vs width.

Options:
  -o, --out DIR    where to write (default: DIR itself)
  -h, --help       this help

Examples:
  mflab report mflab-out/default
  mflab report mflab-out/widths --out /tmp/widths-report
`;

export async function reportCommand(args: string[]): Promise<number> {
  const { values, flags, positionals } = parse('report', args, { out: { type: 'string', short: 'o' }, help: { type: 'boolean', short: 'h' } });
  if (flags.help) {
    process.stdout.write(REPORT_HELP);
    return EXIT.ok;
  }
  if (positionals.length !== 1) throw new ConfigError('DIR', 'expected one study or run directory (see `mflab report --help`)');
  const dir = studyOrRunDirectory(positionals[0], 'report');
  return reportOn(dir, resolve(values.out ?? dir));
}

export async function reportOn(dir: string, out: string): Promise<number> {
  const result = await generateReport(dir, { out });
  process.stdout.write(`${result.summary}\n`);
  return EXIT.ok;
}
