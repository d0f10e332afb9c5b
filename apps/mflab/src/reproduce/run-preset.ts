/** Runs one preset end to end: the experiment, its figures (SVG + PNG), claims.json and claims.md. */
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { detectFonts, rasterize, renderSvg } from '../report/render.js';
import { writeFileAtomic } from '@mflab/store';
import { REPRODUCE_MARKER } from '../study/out-dir.js';
import { packageVersions } from '../study/versions.js';
import { writeClaims, type ClaimsFile } from './claims.js';
import type { Preset, PresetContext } from './types.js';

export async function runPreset(preset: Preset, context: PresetContext): Promise<ClaimsFile> {
  const started = performance.now();
  mkdirSync(context.out, { recursive: true });
  // Marks the directory as this reproduction's before any result: a later command recognises it (study/out-dir.ts).
  writeFileAtomic(join(context.out, REPRODUCE_MARKER), `${JSON.stringify({ preset: preset.id, quick: context.quick, started: new Date().toISOString(), versions: packageVersions() }, null, 2)}\n`);
  const result = await preset.run(context);
  const figuresDir = join(context.out, 'figures');
  mkdirSync(figuresDir, { recursive: true });
  const fonts = detectFonts();
  const figures: ClaimsFile['figures'] = [];
  for (const f of result.figures) {
    const svg = await renderSvg(f.spec);
    writeFileAtomic(join(figuresDir, `${f.name}.svg`), svg);
    let png: string | null = `figures/${f.name}.png`;
    try {
      writeFileAtomic(join(context.out, png), rasterize(svg, fonts));
    } catch {
      png = null;
    }
    figures.push({ name: f.name, title: f.title, svg: `figures/${f.name}.svg`, png });
  }
  return writeClaims(context.out, preset, result, { quick: context.quick, seconds: (performance.now() - started) / 1000, versions: packageVersions(), figures });
}
