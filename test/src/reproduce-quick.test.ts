/**
 * Every paper reproduction at `--quick` size, through the CLI: it runs, writes claims.json and
 * claims.md, and its claims file is complete and well-formed (every claim has a statement, the
 * quantity measured, a value, a criterion and a verdict — or an undecided verdict with the
 * reason). Claims may honestly fail at quick sizes; that is not a test failure.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { checkClaims, PRESET_IDS, type ClaimsFile } from 'mflab';
import { assertCliBuilt, runCli, tempWorkspace } from './helpers/cli.js';

describe('mflab reproduce --quick', () => {
  it('lists every preset with its runtimes', async () => {
    assertCliBuilt();
    const ws = tempWorkspace('reproduce-list');
    try {
      const result = await runCli(['reproduce', '--list', '--json'], { cwd: ws.dir });
      expect(result.status, result.stderr).toBe(0);
      const list = JSON.parse(result.stdout) as { id: string; runtime: { quick: string; full: string } }[];
      expect(list.map((p) => p.id)).toEqual([...PRESET_IDS]);
      for (const p of list) expect(p.runtime.quick && p.runtime.full).toBeTruthy();
    } finally {
      ws.dispose();
    }
  });

  // fashion-mnist needs the Debian package dataset-fashion-mnist (.ci/run installs it).
  const fashionDir = process.env.MFLAB_FASHION_MNIST ?? '/usr/share/datasets/fashion-mnist';
  const haveFashion = existsSync(join(fashionDir, 'train-images-idx3-ubyte.gz')) || existsSync(join(fashionDir, 'train-images-idx3-ubyte'));
  const fashionSkip = `no Fashion-MNIST in ${fashionDir} (apt-get install dataset-fashion-mnist)`;
  if (!haveFashion) console.log(`reproduce fashion-mnist --quick: skipped: ${fashionSkip}`);

  it('fashion-mnist without its data (MFLAB_FASHION_MNIST pointing nowhere): exit 2 with one line saying how to get it', async () => {
    const ws = tempWorkspace('reproduce-fashion-missing');
    try {
      const result = await runCli(['reproduce', 'fashion-mnist', '--quick', '--out', 'out'], { cwd: ws.dir, env: { MFLAB_FASHION_MNIST: join(ws.dir, 'nowhere') } });
      expect(result.status).toBe(2);
      // One line besides the "mflab reproduce … → DIR" header.
      const lines = result.stderr.trim().split('\n').filter((line) => !/^mflab reproduce .*→/.test(line));
      expect(lines).toHaveLength(1);
      expect(lines[0]).toMatch(/^mflab reproduce: data: Fashion-MNIST is not in .*apt-get install dataset-fashion-mnist/);
    } finally {
      ws.dispose();
    }
  });

  for (const id of PRESET_IDS) {
    const skip = id === 'fashion-mnist' && !haveFashion;
    it.skipIf(skip)(`${id}: runs and writes a complete claims file${skip ? ` (skipped: ${fashionSkip})` : ''}`, async () => {
      const ws = tempWorkspace(`reproduce-${id}`);
      try {
        const result = await runCli(['reproduce', id, '--quick', '--out', 'out', '--workers', '2'], { cwd: ws.dir, timeoutMs: 180_000 });
        expect(result.status, result.stderr).toBe(0);
        const file = JSON.parse(readFileSync(join(ws.dir, 'out', 'claims.json'), 'utf8')) as ClaimsFile;
        expect(file.preset).toBe(id);
        expect(file.quick).toBe(true);
        expect(file.claims.length).toBeGreaterThan(0);
        expect(() => checkClaims(file.claims)).not.toThrow();
        expect(file.summary.holds + file.summary.fails + file.summary.undecided).toBe(file.claims.length);
        for (const f of file.figures) expect(existsSync(join(ws.dir, 'out', f.svg))).toBe(true);
        const md = readFileSync(join(ws.dir, 'out', 'claims.md'), 'utf8');
        for (const c of file.claims) expect(md).toContain(c.statement.replace(/\|/g, '\\|').replace(/\n/g, ' '));
      } finally {
        ws.dispose();
      }
    }, 240_000);
  }
});
