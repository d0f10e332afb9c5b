/**
 * The data of Chizat & Bach (2020, §6): a k×k checkerboard of clusters in the first two
 * coordinates, spurious coordinates U[−½, ½] in the others, and **a random half of the cells
 * labelled −1** (their code: `A[randperm(k^2)[1:div(k^2,2)]] .= -1`).
 *
 * Core's `checkerboard` kind draws exactly these points (same centres, jitter and spurious
 * coordinates) but labels the cells by parity (−1)^(u+v), the hardest assignment of all (no two
 * neighbouring cells agree). This module keeps core's points and relabels them with a seeded
 * random half of the cells, as the paper does; the run configs then read the result as an Arrow
 * dataset file (columns x0..x{d−1}, y, split).
 */
import { writeFileSync } from 'node:fs';
import { makeVector, Table, tableToIPC, Utf8, vectorFromArray, type Vector } from 'apache-arrow';
import { CounterRng, checkerboardDelta, makeDataset, type Dataset } from '@mflab/core';

/**
 * The counter-based stream of the cell assignment. Core's own streams are 1…8
 * (RandomStream); a preset-local id far from them keeps the assignment independent of every
 * draw core makes for the same seed.
 */
const ASSIGNMENT_STREAM = 0x1b_c0;

/**
 * The paper's label of each cell: a seeded uniform random set of ⌊k²/2⌋ cells gets −1, the
 * others +1 (Fisher–Yates on the cells, draws from (seed, ASSIGNMENT_STREAM, 0)). Cell (u, v)
 * is entry u + k·v.
 */
export function randomCellLabels(k: number, seed: number): Int8Array {
  const cells = k * k;
  const order = Int32Array.from({ length: cells }, (_, c) => c);
  const draws = new CounterRng(seed, ASSIGNMENT_STREAM).at(0);
  for (let i = cells - 1; i > 0; i--) {
    const j = draws.below(i + 1);
    const t = order[i];
    order[i] = order[j];
    order[j] = t;
  }
  const labels = new Int8Array(cells).fill(1);
  for (let i = 0; i < Math.floor(cells / 2); i++) labels[order[i]] = -1;
  return labels;
}

/**
 * The cell (u + k·v) of a checkerboard point from its first two coordinates: its nearest cluster
 * centre (Δ(1 + 3u) − ½, Δ(1 + 3v) − ½), Δ = 1/(3k − 1). With core's default jitter radius Δ
 * and centres 3Δ apart the nearest centre is the point's own.
 */
export function cellOf(x1: number, x2: number, k: number): number {
  const delta = checkerboardDelta(k);
  const index = (coordinate: number) => Math.min(k - 1, Math.max(0, Math.round(((coordinate + 0.5) / delta - 1) / 3)));
  return index(x1) + k * index(x2);
}

/** Overwrites the labels of a checkerboard point set with the labels of its cells. */
export function relabelByCell(points: Dataset, k: number, labels: Int8Array): void {
  for (let i = 0; i < points.n; i++) points.y[i] = labels[cellOf(points.x[i * points.d], points.x[i * points.d + 1], k)];
}

/** A train/test pair of checkerboard sets with the paper's random cell labels. */
export interface CheckerboardData {
  train: Dataset;
  test: Dataset;
  /** The label of each cell (u + k·v). */
  labels: Int8Array;
}

/**
 * Core's checkerboard points (d coordinates, n training and nTest test points, data seed
 * `seed`) relabelled by {@link randomCellLabels}(k, seed). Point i depends only on (seed, i), so
 * the first n′ < n training points are the set of size n′.
 */
export function paperCheckerboard(d: number, n: number, nTest: number, k: number, seed: number): CheckerboardData {
  const data = makeDataset({ kind: 'checkerboard', d, n, nTest, k }, seed);
  const labels = randomCellLabels(k, seed);
  relabelByCell(data.train, k, labels);
  relabelByCell(data.test, k, labels);
  return { train: data.train, test: data.test, labels };
}

/** The first n points of a set (a view, no copy). */
export function firstPoints(points: Dataset, n: number): Dataset {
  return { n, d: points.d, x: points.x.subarray(0, n * points.d), y: points.y.subarray(0, n) };
}

/** Writes train and test as one Arrow IPC file: float64 columns x0..x{d−1}, y and a string column split. */
export function writeArrowDataset(path: string, train: Dataset, test: Dataset): void {
  const d = train.d;
  const rows = train.n + test.n;
  const columns: Record<string, Vector> = {};
  for (let c = 0; c < d; c++) {
    const column = new Float64Array(rows);
    for (let i = 0; i < train.n; i++) column[i] = train.x[i * d + c];
    for (let i = 0; i < test.n; i++) column[train.n + i] = test.x[i * d + c];
    columns[`x${c}`] = makeVector(column);
  }
  const y = new Float64Array(rows);
  y.set(train.y, 0);
  y.set(test.y, train.n);
  columns.y = makeVector(y);
  columns.split = vectorFromArray(
    Array.from({ length: rows }, (_, i) => (i < train.n ? 'train' : 'test')),
    new Utf8(),
  );
  writeFileSync(path, tableToIPC(new Table(columns), 'file'));
}
