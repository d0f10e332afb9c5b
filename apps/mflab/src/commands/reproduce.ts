import { resolve } from 'node:path';
import { ConfigError } from '../config/validate.js';
import { isPresetId, loadPreset, PRESET_IDS } from '../reproduce/registry.js';
import { runPreset } from '../reproduce/run-preset.js';
import { prepareReproduceDirectory } from '../study/out-dir.js';
import { EXIT, interruptFlag, parse, table, workersOf } from './shared.js';

export const REPRODUCE_HELP = `Usage: mflab reproduce ID [options]
       mflab reproduce --list

Runs a paper's experiment from an embedded preset: the study, the figures that correspond to the
paper's, and claims.md + claims.json (each claim, the quantity measured, its value, whether it
holds). Presets: ${PRESET_IDS.join(', ')}.

Options:
  -o, --out DIR     output directory (default: mflab-out/reproduce/ID, or ID-quick)
  -w, --workers N   threads (default: all cores)
      --quick       a reduced version (under a minute); claims may fail at that size
      --overwrite   move an earlier reproduction in the output directory aside and start afresh
                    (without it, a directory holding results is refused)
      --list        list the presets with their runtimes on the reference machine
      --json        with --list: as JSON
  -h, --help        this help

Examples:
  mflab reproduce --list
  mflab reproduce particles-2d --quick
  mflab reproduce lazy-vs-active --out results/lazy-vs-active
`;

export async function reproduceCommand(args: string[]): Promise<number> {
  const { values, flags, positionals } = parse('reproduce', args, {
    out: { type: 'string', short: 'o' },
    workers: { type: 'string', short: 'w' },
    quick: { type: 'boolean' },
    overwrite: { type: 'boolean' },
    list: { type: 'boolean' },
    json: { type: 'boolean' },
    help: { type: 'boolean', short: 'h' },
  });
  if (flags.help) {
    process.stdout.write(REPRODUCE_HELP);
    return EXIT.ok;
  }
  if (flags.list) {
    const presets = await Promise.all(PRESET_IDS.map((id) => loadPreset(id)));
    if (flags.json) process.stdout.write(`${JSON.stringify(presets.map((p) => ({ id: p.id, title: p.title, paper: p.paper, runtime: p.runtime })), null, 2)}\n`);
    else process.stdout.write(`${table(['id', 'title', 'quick', 'full', 'paper'], presets.map((p) => [p.id, p.title, p.runtime.quick, p.runtime.full, p.paper]))}\n`);
    return EXIT.ok;
  }
  if (positionals.length !== 1) throw new ConfigError('ID', `expected one preset id (${PRESET_IDS.join(', ')}) or --list`);
  const id = positionals[0];
  if (!isPresetId(id)) throw new ConfigError('ID', `unknown preset "${id}"; presets are ${PRESET_IDS.join(', ')} (see \`mflab reproduce --list\`)`);
  const preset = await loadPreset(id);
  const quick = flags.quick === true;
  const out = resolve(values.out ?? `mflab-out/reproduce/${id}${quick ? '-quick' : ''}`);
  const moved = prepareReproduceDirectory(out, flags.overwrite === true);
  if (moved) process.stderr.write(`mflab reproduce: ${moved}\n`);
  const controller = new AbortController();
  const interrupt = interruptFlag((signal) => {
    process.stderr.write(`\n${signal}: stopping…\n`);
    controller.abort();
  });
  try {
    process.stderr.write(`mflab reproduce ${id}${quick ? ' --quick' : ''} → ${out}\n`);
    const claims = await runPreset(preset, { out, quick, workers: workersOf(values.workers), signal: controller.signal, log: (line) => process.stderr.write(`${line}\n`) });
    const rows = claims.claims.map((c) => [c.id, c.value === null ? '—' : String(typeof c.value === 'number' ? Number(c.value.toPrecision(4)) : c.value), c.criterion, c.holds === null ? 'undecided' : c.holds ? 'yes' : 'NO']);
    process.stdout.write(`${table(['claim', 'value', 'criterion', 'holds'], rows)}\n`);
    process.stdout.write(`${claims.summary.holds} hold, ${claims.summary.fails} fail, ${claims.summary.undecided} undecided — ${claims.seconds.toFixed(1)} s — ${out}/claims.md\n`);
    return controller.signal.aborted ? interrupt.exitCode() : EXIT.ok;
  } finally {
    interrupt.dispose();
  }
}
