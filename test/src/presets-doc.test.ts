/**
 * The README's table of deep presets (ARCHITECTURE.md §7: "written out in the docs beside §1's
 * table") against the code, `ABC_PRESETS`: every SGD (a, b, c) per layer kind and every Adam c,
 * parsed from the Markdown table, so the docs and the code cannot drift apart.
 */
import { readFileSync } from 'node:fs';
import { ABC_PRESETS, DEEP_PRESETS } from '@mflab/core';
import { describe, expect, it } from 'vitest';

const README = readFileSync(new URL('../../README.md', import.meta.url), 'utf8');

function parseNumber(text: string): number {
  const t = text.trim().replace('−', '-');
  const sign = t.startsWith('-') ? -1 : 1;
  const body = t.replace(/^-/, '');
  return sign * (body === '½' ? 0.5 : Number(body));
}

describe('README presets table', () => {
  it('lists every preset with ABC_PRESETS’ SGD exponents and Adam learning-rate exponents', () => {
    for (const preset of DEEP_PRESETS) {
      const line = README.split('\n').find((l) => l.startsWith(`| \`${preset}\` | `) && l.split('|').length === 8);
      expect(line, `a row for ${preset}`).toBeDefined();
      const cells = (line as string).split('|').slice(1, -1).map((c) => c.trim());
      const [input, hidden, output] = cells.slice(2, 5).map((c) => c.split(',').map(parseNumber));
      const adam = cells[5].split(',').map(parseNumber);
      const { sgd, adam: adamTable } = ABC_PRESETS[preset];
      expect({ input, hidden, output }).toEqual({
        input: [sgd.input.a, sgd.input.b, sgd.input.c],
        hidden: [sgd.hidden.a, sgd.hidden.b, sgd.hidden.c],
        output: [sgd.output.a, sgd.output.b, sgd.output.c],
      });
      expect(adam).toEqual([adamTable.input.c, adamTable.hidden.c, adamTable.output.c]);
      // Adam keeps SGD's a, b.
      for (const kind of ['input', 'hidden', 'output'] as const) expect([adamTable[kind].a, adamTable[kind].b]).toEqual([sgd[kind].a, sgd[kind].b]);
    }
  });

  it('has §1’s two-layer table beside it', () => {
    expect(README).toMatch(/\| `mean-field` \| 1\/m \| 1 \| 1\/m \| m \|/);
    expect(README).toMatch(/\| `ntk` \| 1\/√m \| 1 \| 1 \| 1 \|/);
    expect(README).toMatch(/\| `lazy` \(α\) \| α\/m \| 1\/α² \| 1\/m \| m \|/);
  });
});
