/** Runs one preset end to end: the experiment, its figures (SVG + PNG), claims.json and claims.md. */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { detectFonts, rasterize, renderSvg } from '../report/render.js';
import { packageVersions } from '../study/versions.js';
import { writeClaims, type ClaimsFile } from './claims.js';
import type { Preset, PresetContext } from './types.js';

export async function runPreset(preset: Preset, context: PresetContext): Promise<ClaimsFile> {
  const started = performance.now();
  mkdirSync(context.out, { recursive: true });
  const result = await preset.run(context);
  const figuresDir = join(context.out, 'figures');
  mkdirSync(figuresDir, { recursive: true });
  const fonts = detectFonts();
  const figures: ClaimsFile['figures'] = [];
  for (const f of result.figures) {
    const svg = await renderSvg(f.spec);
    writeFileSync(join(figuresDir, `${f.name}.svg`), svg);
    let png: string | null = `figures/${f.name}.png`;
    try {
      writeFileSync(join(context.out, png), rasterize(svg, fonts));
    } catch {
      png = null;
    }
    figures.push({ name: f.name, title: f.title, svg: `figures/${f.name}.svg`, png });
  }
  return writeClaims(context.out, preset, result, { quick: context.quick, seconds: (performance.now() - started) / 1000, versions: packageVersions(), figures });
}
