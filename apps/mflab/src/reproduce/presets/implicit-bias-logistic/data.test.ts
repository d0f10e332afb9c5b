import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { makeDataset, parseArrowDataset } from '@mflab/core';
import { cellOf, paperCheckerboard, randomCellLabels, relabelByCell, writeArrowDataset } from './data.js';

describe('checkerboard cells and labels', () => {
  it.each([3, 4])('recovers every point cell: relabelling by parity reproduces core labels exactly (k = %i)', (k) => {
    const data = makeDataset({ kind: 'checkerboard', d: 5, n: 600, nTest: 0, k }, 3);
    const parity = Int8Array.from({ length: k * k }, (_, c) => ((c % k) + Math.floor(c / k)) % 2 === 0 ? 1 : -1);
    const relabelled = { ...data.train, y: new Float64Array(data.train.n) };
    relabelByCell(relabelled, k, parity);
    expect(Array.from(relabelled.y)).toEqual(Array.from(data.train.y));
  });

  it('places a point at a cell centre in that cell', () => {
    const k = 3;
    const delta = 1 / (3 * k - 1);
    for (let u = 0; u < k; u++) for (let v = 0; v < k; v++) expect(cellOf(delta * (1 + 3 * u) - 0.5, delta * (1 + 3 * v) - 0.5, k)).toBe(u + k * v);
  });

  it('labels ⌊k²/2⌋ random cells −1, the same for the same seed', () => {
    for (const k of [2, 3, 4]) {
      for (const seed of [0, 1, 2]) {
        const labels = randomCellLabels(k, seed);
        expect(labels.filter((l) => l === -1).length).toBe(Math.floor((k * k) / 2));
        expect(labels.filter((l) => l === 1).length).toBe(k * k - Math.floor((k * k) / 2));
        expect(randomCellLabels(k, seed)).toEqual(labels);
      }
    }
    const assignments = new Set([0, 1, 2, 3, 4, 5].map((seed) => Array.from(randomCellLabels(3, seed)).join(',')));
    expect(assignments.size).toBeGreaterThan(1);
  });
});

describe('paperCheckerboard and writeArrowDataset', () => {
  it('keeps core points, relabels them by cell, and round-trips through an Arrow file read by core', () => {
    const data = paperCheckerboard(4, 50, 30, 3, 0);
    const core = makeDataset({ kind: 'checkerboard', d: 4, n: 50, nTest: 30, k: 3 }, 0);
    expect(data.train.x).toEqual(core.train.x);
    for (let i = 0; i < 50; i++) expect(data.train.y[i]).toBe(data.labels[cellOf(data.train.x[i * 4], data.train.x[i * 4 + 1], 3)]);
    const dir = mkdtempSync(join(tmpdir(), 'mflab-checkerboard-'));
    try {
      const file = join(dir, 'data.arrow');
      writeArrowDataset(file, data.train, data.test);
      const read = parseArrowDataset(new Uint8Array(readFileSync(file)), file, 4);
      expect(read.train.x).toEqual(data.train.x);
      expect(read.train.y).toEqual(data.train.y);
      expect(read.test.x).toEqual(data.test.x);
      expect(read.test.y).toEqual(data.test.y);
      expect(read.classification).toBe(true);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
