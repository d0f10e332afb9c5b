/**
 * Real-data runs end to end (issue #9): a multi-class CSV file and an IDX directory through
 * `mflab run` — softmax cross-entropy or square loss on one-hot targets, k outputs, minibatch
 * SGD by epochs — leave a run directory whose particles carry b as FixedSizeList[k], whose
 * outputs.arrow has k outputs and a prediction per test point, and whose metrics have the
 * argmax error; a sharded run (2 threads) is bitwise the single-thread run; a loss that does not
 * fit the data is a one-line error naming the field.
 */
import { gzipSync } from 'node:zlib';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { FixedSizeList } from 'apache-arrow';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { STACK_LINE, assertCliBuilt, linesOf, readArrow, readRunJson, runCli, tempWorkspace, valueBytes } from './helpers/cli.js';

let ws: ReturnType<typeof tempWorkspace>;
beforeAll(() => {
  assertCliBuilt();
  ws = tempWorkspace('multiclass');
});
afterAll(() => ws?.dispose());

/** n points of 3 Gaussian blobs in R^4 (deterministic), labels 0..2, the last quarter marked test. */
function blobsCsv(n: number): string {
  const lines = ['x0,x1,x2,x3,y,split'];
  let state = 12345;
  const uniform = () => {
    state = (1103515245 * state + 12345) % 2147483648;
    return state / 2147483648;
  };
  for (let i = 0; i < n; i++) {
    const label = i % 3;
    const x = [0, 1, 2, 3].map((q) => (q === label ? 3 : 0) + (uniform() - 0.5) * 2);
    lines.push(`${x.map((v) => v.toFixed(5)).join(',')},${label},${i >= (3 * n) / 4 ? 'test' : 'train'}`);
  }
  return `${lines.join('\n')}\n`;
}

/** An IDX pair: `count` 4×4 uint8 images whose bright column is the label (0..3), gzip'ed. */
function writeIdx(dir: string, prefix: string, count: number): void {
  const images = Buffer.alloc(16 + count * 16);
  images.writeUInt32BE(0x00000803, 0);
  images.writeUInt32BE(count, 4);
  images.writeUInt32BE(4, 8);
  images.writeUInt32BE(4, 12);
  const labels = Buffer.alloc(8 + count);
  labels.writeUInt32BE(0x00000801, 0);
  labels.writeUInt32BE(count, 4);
  for (let i = 0; i < count; i++) {
    const label = (i * 7) % 4;
    labels[8 + i] = label;
    for (let p = 0; p < 16; p++) images[16 + i * 16 + p] = (p % 4 === label ? 200 : 20) + ((i * 31 + p * 17) % 40);
  }
  writeFileSync(join(dir, `${prefix}-images-idx3-ubyte.gz`), gzipSync(images));
  writeFileSync(join(dir, `${prefix}-labels-idx1-ubyte.gz`), gzipSync(labels));
}

const csvConfig = (extra = '') => `seed: 2
data: { kind: csv, path: blobs.csv, classes: 3, standardize: true }
model: { width: 24 }
loss: softmax
train: { integrator: sgd, batchSize: 10, epochs: 4, lr: 0.5, precision: f64 }
log: { every: 3, particles: { every: 6, count: 5 } }
${extra}`;

describe('mflab run on multi-class files', () => {
  it('softmax on a CSV with classes: k = 3 outputs through metrics, particles and outputs.arrow', async () => {
    ws.write('blobs.csv', blobsCsv(120));
    const config = ws.write('softmax.yaml', csvConfig());
    const result = await runCli(['run', config, '--out', 'softmax'], { cwd: ws.dir });
    expect(result.stderr).not.toMatch(STACK_LINE);
    expect(result.status, result.stderr).toBe(0);
    const dir = ws.path('softmax');
    expect(readRunJson(dir).status).toBe('done');
    // 90 training rows, batches of 10: 9 steps per epoch, 4 epochs.
    const metrics = readArrow(join(dir, 'metrics.arrows'));
    const steps = Array.from(metrics.getChild('step')!.toArray() as Int32Array);
    expect(steps.at(-1)).toBe(36);
    const errors = Array.from(metrics.getChild('error_test')!.toArray() as Float64Array);
    const risks = Array.from(metrics.getChild('risk_train')!.toArray() as Float64Array);
    expect(risks[0]).toBeGreaterThan(risks.at(-1)!);
    expect(errors.at(-1)).toBeLessThan(0.2);
    expect(Number.isFinite(Array.from(metrics.getChild('margin')!.toArray() as Float64Array).at(-1))).toBe(true);
    // Particles: b_j ∈ R^3 as a fixed-size list in float64.
    const particles = readArrow(join(dir, 'particles.arrows'));
    const bType = particles.schema.fields[3].type as FixedSizeList;
    expect(bType.listSize).toBe(3);
    expect(particles.numRows % 5).toBe(0);
    // outputs.arrow: 30 test points, f ∈ R^3, and the argmax prediction.
    const outputs = readArrow(join(dir, 'outputs.arrow'));
    expect(outputs.numRows).toBe(30);
    expect((outputs.schema.fields[1].type as FixedSizeList).listSize).toBe(3);
    const prediction = Array.from(outputs.getChild('prediction')!.toArray() as Int32Array);
    const f0 = Array.from((outputs.getChild('f')!.get(0) as { toArray(): Float64Array }).toArray());
    expect(prediction[0]).toBe(f0.indexOf(Math.max(...f0)));
  });

  it('square loss on one-hot targets runs with the same k, and --workers 2 (sharded) is bitwise the 1-thread run', async () => {
    const wide = csvConfig().replace('width: 24', 'width: 30000').replace('epochs: 4', 'epochs: 1').replace('loss: softmax', 'loss: square').replace('precision: f64', 'precision: f32');
    const config = ws.write('square.yaml', wide);
    const one = await runCli(['run', config, '--out', 'square-1', '--workers', '1'], { cwd: ws.dir, timeoutMs: 120_000 });
    expect(one.status, one.stderr).toBe(0);
    const two = await runCli(['run', config, '--out', 'square-2', '--workers', '2'], { cwd: ws.dir, timeoutMs: 120_000 });
    expect(two.status, two.stderr).toBe(0);
    expect(readRunJson(ws.path('square-2')).backend).toMatch(/sharded/);
    expect(readRunJson(ws.path('square-1')).backend).toMatch(/1 thread/);
    expect(valueBytes(readArrow(join(ws.path('square-2'), 'metrics.arrows')))).toEqual(valueBytes(readArrow(join(ws.path('square-1'), 'metrics.arrows'))));
    expect(valueBytes(readArrow(join(ws.path('square-2'), 'outputs.arrow')))).toEqual(valueBytes(readArrow(join(ws.path('square-1'), 'outputs.arrow'))));
  }, 240_000);

  it('an IDX directory (gzip) trains a 4-class network', async () => {
    const dir = ws.path('idx-data');
    mkdirSync(dir, { recursive: true });
    writeIdx(dir, 'train', 80);
    writeIdx(dir, 't10k', 20);
    const config = ws.write('idx.yaml', `data: { kind: idx, path: idx-data, standardize: true, inputScale: 0.25 }\nmodel: { width: 32 }\nloss: softmax\ntrain: { integrator: sgd, batchSize: 16, epochs: 5, lr: 2, precision: f64 }\nlog: { every: 5, particles: { every: 0 } }\n`);
    const result = await runCli(['run', config, '--out', 'idx'], { cwd: ws.dir });
    expect(result.status, result.stderr).toBe(0);
    const metrics = readArrow(join(ws.path('idx'), 'metrics.arrows'));
    expect(Array.from(metrics.getChild('step')!.toArray() as Int32Array).at(-1)).toBe(25);
    expect(Array.from(metrics.getChild('error_test')!.toArray() as Float64Array).at(-1)).toBeLessThan(0.25);
    expect((readArrow(join(ws.path('idx'), 'outputs.arrow')).schema.fields[1].type as FixedSizeList).listSize).toBe(4);
  });

  it('a sweep over widths on the CSV, then report: the test-error-vs-width figure of a classification study', async () => {
    const config = ws.write('sweep.yaml', `${csvConfig().replace('width: 24', 'width: 8')}grid: { model.width: [8, 32] }\n`);
    const sweep = await runCli(['sweep', config, '--out', 'sweep', '--workers', '2'], { cwd: ws.dir, timeoutMs: 120_000 });
    expect(sweep.status, sweep.stderr).toBe(0);
    const report = await runCli(['report', 'sweep'], { cwd: ws.dir, timeoutMs: 120_000 });
    expect(report.status, report.stderr).toBe(0);
    expect(existsSync(join(ws.path('sweep'), 'figures', 'error-vs-width.svg'))).toBe(true);
    expect(readFileSync(join(ws.path('sweep'), 'report.md'), 'utf8')).toContain('](figures/error-vs-width.svg)');
  }, 240_000);

  const errors: [string, string, RegExp][] = [
    ['logistic loss on 3 classes', csvConfig().replace('loss: softmax', 'loss: logistic'), /^mflab run: loss: logistic loss is for ±1 labels/],
    ['softmax without classes', csvConfig().replace('classes: 3, ', ''), /^mflab run: loss: softmax cross-entropy needs multi-class data/],
    ['epochs with gd', csvConfig().replace('integrator: sgd', 'integrator: gd'), /train\.epochs: /],
    ['a batch larger than the training set', csvConfig().replace('batchSize: 10', 'batchSize: 1000'), /train\.batchSize: a batch of 1000 is larger than the 90 training points/],
    ['classes too small for the labels', csvConfig().replace('classes: 3', 'classes: 2'), /data\.classes/],
  ];
  for (const [name, text, pattern] of errors) {
    it(`${name}: exit 2, one line naming the field`, async () => {
      const config = ws.write(`bad-${name.replace(/\W+/g, '-')}.yaml`, text);
      const result = await runCli(['run', config, '--out', `bad-${name.replace(/\W+/g, '-')}`], { cwd: ws.dir });
      expect(result.stderr).not.toMatch(STACK_LINE);
      expect(result.status, result.stderr).toBe(2);
      // The one line besides the "mflab run → DIR" header printed before the data is read.
      const lines = linesOf(result.stderr.trim()).filter((line) => !line.startsWith('mflab run →'));
      expect(lines).toHaveLength(1);
      expect(lines[0]).toMatch(pattern);
    });
  }
});
