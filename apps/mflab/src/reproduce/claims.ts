/** `claims.json` and `claims.md`: what a reproduction claims, measured, and whether it holds. */
import { join } from 'node:path';
import { writeFileAtomic } from '@mflab/store';
import type { Claim, Preset, PresetResult } from './types.js';

/**
 * The content of a reproduction's `claims.json`: the preset, how it ran (quick size, seconds,
 * package versions), its claims, figures and notes, and the count of verdicts.
 */
export interface ClaimsFile {
  preset: string;
  title: string;
  paper: string;
  quick: boolean;
  seconds: number;
  versions: Record<string, string>;
  claims: Claim[];
  /** The figures written, paths relative to the output directory (`figures/<name>.svg`). */
  figures: { name: string; title: string; svg: string; png: string | null }[];
  notes: string[];
  summary: { holds: number; fails: number; undecided: number };
}

/** Throws if a claim is incomplete or malformed (every field present, `holds` consistent with `value`). */
export function checkClaims(claims: readonly Claim[]): void {
  const ids = new Set<string>();
  for (const c of claims) {
    for (const key of ['id', 'statement', 'quantity', 'criterion'] as const) {
      if (typeof c[key] !== 'string' || c[key].trim() === '') throw new Error(`claim ${c.id ?? '?'}: ${key} is missing`);
    }
    if (ids.has(c.id)) throw new Error(`claim ${c.id}: duplicate id`);
    ids.add(c.id);
    if (!(c.value === null || typeof c.value === 'string' || typeof c.value === 'number')) throw new Error(`claim ${c.id}: value must be a number, a string or null`);
    if (!(c.holds === null || typeof c.holds === 'boolean')) throw new Error(`claim ${c.id}: holds must be true, false or null`);
    if (c.holds === null && !c.note) throw new Error(`claim ${c.id}: an undecided claim needs a note saying why`);
    if (c.value === null && c.holds !== null) throw new Error(`claim ${c.id}: no value but a verdict`);
  }
}

const show = (v: Claim['value']): string => (v === null ? '—' : typeof v === 'number' ? (Number.isFinite(v) && (Math.abs(v) >= 1e4 || (Math.abs(v) < 1e-3 && v !== 0)) ? v.toExponential(3) : String(Number(v.toPrecision(4)))) : v);
const escapeMd = (s: string) => s.replace(/\|/g, '\\|').replace(/\n/g, ' ');

/**
 * Checks the claims ({@link checkClaims}, throws on a malformed one), then writes `claims.json`
 * and a readable `claims.md` into `out` (atomically); returns what claims.json holds.
 */
export function writeClaims(out: string, preset: Preset, result: PresetResult, extra: { quick: boolean; seconds: number; versions: Record<string, string>; figures: ClaimsFile['figures'] }): ClaimsFile {
  checkClaims(result.claims);
  const summary = {
    holds: result.claims.filter((c) => c.holds === true).length,
    fails: result.claims.filter((c) => c.holds === false).length,
    undecided: result.claims.filter((c) => c.holds === null).length,
  };
  const file: ClaimsFile = { preset: preset.id, title: preset.title, paper: preset.paper, quick: extra.quick, seconds: extra.seconds, versions: extra.versions, claims: result.claims, figures: extra.figures, notes: result.notes, summary };
  writeFileAtomic(join(out, 'claims.json'), `${JSON.stringify(file, null, 2)}\n`);
  const md: string[] = [
    `# ${preset.title}${extra.quick ? ' (quick)' : ''}`,
    '',
    `${preset.paper}`,
    '',
    preset.summary,
    '',
    `Ran in ${extra.seconds.toFixed(1)} s${extra.quick ? ' at --quick size: claims may fail at this size, the full run is the test' : ''}. ${summary.holds} claims hold, ${summary.fails} fail, ${summary.undecided} undecided.`,
    '',
    '| Claim | Measured | Value | Criterion | Holds |',
    '| --- | --- | --- | --- | --- |',
    ...result.claims.map((c) => `| ${escapeMd(c.statement)} | ${escapeMd(c.quantity)} | ${escapeMd(show(c.value))} | ${escapeMd(c.criterion)} | ${c.holds === null ? `undecided: ${escapeMd(c.note ?? '')}` : c.holds ? 'yes' : '**no**'} |`),
    '',
  ];
  const notes = [...result.claims.filter((c) => c.note && c.holds !== null).map((c) => `${c.id}: ${c.note}`), ...result.notes];
  if (notes.length) md.push('## Notes', '', ...notes.map((n) => `- ${n}`), '');
  if (extra.figures.length) md.push('## Figures', '', ...extra.figures.map((f) => `![${f.title}](${f.svg})`), '');
  writeFileAtomic(join(out, 'claims.md'), md.join('\n'));
  return file;
}
