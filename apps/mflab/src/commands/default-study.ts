import { expandGrid } from '../config/grid.js';
import { DEFAULT_STUDY, QUICK_DEFAULT_STUDY } from '../studies/default.js';
import { EXIT, outDir, parse, workersOf } from './shared.js';
import { sweepStudy } from './sweep.js';
import { reportOn } from './report.js';

export const DEFAULT_HELP = `Usage: mflab default [options]

Runs the embedded study "mean-field limit with weight decay" (what \`npm start\` runs) and
writes its report: teacher–student data, widths 32…8192, 4 seeds, mean-field and NTK
parameterizations, λ ∈ {0, 1e-3}; fitted exponents of the across-seed fluctuations, of move
and of ntk_drift against the width, with confidence intervals.

Options:
  -o, --out DIR       study directory (default: mflab-out/default)
  -w, --workers N     pool threads (default: all cores)
      --quick         3 widths, 2 seeds, 100 steps (a few seconds)
      --resume        keep finished runs (also the default when DIR holds this same study)
      --overwrite     move a study already in DIR aside and start afresh
      --print-config  print the study's config (YAML) and exit
  -h, --help          this help

Examples:
  mflab default                     # the full study, then mflab-out/default/report.html
  mflab default --quick --out /tmp/default-quick
  mflab default --print-config > study.yaml && mflab sweep study.yaml   # the same, as a file to edit
`;

export async function defaultCommand(args: string[]): Promise<number> {
  const { values, flags } = parse('default', args, {
    out: { type: 'string', short: 'o' },
    workers: { type: 'string', short: 'w' },
    quick: { type: 'boolean' },
    resume: { type: 'boolean' },
    overwrite: { type: 'boolean' },
    'print-config': { type: 'boolean' },
    help: { type: 'boolean', short: 'h' },
  });
  if (flags.help) {
    process.stdout.write(DEFAULT_HELP);
    return EXIT.ok;
  }
  const study = structuredClone(flags.quick ? QUICK_DEFAULT_STUDY : DEFAULT_STUDY) as unknown as Record<string, unknown>;
  if (flags['print-config']) {
    const { stringify } = await import('yaml');
    process.stdout.write(stringify(study));
    return EXIT.ok;
  }
  const cells = expandGrid(study, '(embedded default study)');
  const out = outDir(values.out, String(study.name));
  const { grid, ...base } = study;
  const code = await sweepStudy(
    {
      cells,
      out,
      name: String(study.name),
      title: String(study.title),
      description: String(study.description),
      config: base,
      grid: grid as Record<string, unknown>,
      workers: workersOf(values.workers),
      resume: flags.resume === true,
      overwrite: flags.overwrite === true,
      // `npm start` twice continues (and re-reports) the same study; another one in DIR is refused.
      resumeIfSame: true,
    },
    false,
  );
  if (code !== EXIT.ok) return code;
  return reportOn(out, out);
}
