#!/usr/bin/env node
// Builds docs/reproductions.md from the per-preset pages docs/reproductions/<id>.md (each: the
// paper, what is reproduced, deviations from the paper's setup and why, results), in the order
// of the presets, with an index on top. Run after editing a page: `node tools/scripts/reproductions-doc.mjs`.
import { readFileSync, writeFileSync } from 'node:fs';

const ids = ['lazy-vs-active', 'width-scaling', 'particles-2d', 'sparse-weight-decay', 'implicit-bias-logistic', 'ntk-linearization', 'ntk-drift', 'edge-of-chaos-depth', 'fashion-mnist'];
const root = new URL('../../docs/', import.meta.url);
const pages = ids.map((id) => ({ id, text: readFileSync(new URL(`reproductions/${id}.md`, root), 'utf8').trim() }));
const title = (text) => text.split('\n')[0].replace(/^#\s*/, '');
const out = [
  '# Paper reproductions',
  '',
  '`mflab reproduce ID` runs a preset and writes its study, its figures and `claims.md` + `claims.json`',
  '(`mflab reproduce --list` for the runtimes, `--quick` for a reduced version). For each preset below:',
  'the paper, what is reproduced, the deviations from the paper\'s setup and why, and the results of a',
  'full run on the 2-core reference machine. Generated from `docs/reproductions/<id>.md` by',
  '`tools/scripts/reproductions-doc.mjs`.',
  '',
  ...pages.map((p) => `- [${title(p.text)}](reproductions/${p.id}.md)`),
  '',
  ...pages.map((p) => `${p.text.replace(/^# /, '## ').replace(/\n(#{2,5}) /g, '\n#$1 ')}\n`),
];
writeFileSync(new URL('reproductions.md', root), `${out.join('\n')}\n`);
console.log(`docs/reproductions.md: ${pages.length} presets`);
