/**
 * `outputs.arrow`: the network's outputs on the test set at a run's final step, one row per test
 * point (schema: `outputsSchema` in schema.ts). An Arrow file, written whole and atomically.
 */
import * as path from 'node:path';
import { Float64, Int32, RecordBatch, Struct, makeData, type FixedSizeList } from 'apache-arrow';
import { writeFileAtomic } from './atomic.js';
import { encodeArrowFile } from './ipc.js';
import { FILES, outputsSchema } from './schema.js';
import { InvalidInputError } from './errors.js';

/**
 * Writes `dir/outputs.arrow` from f (n × k, sample-major): `point`, `f` and, with k > 1 outputs,
 * the argmax class `prediction` (ties to the lowest class).
 *
 * @example
 * writeOutputs('runs/first', Float64Array.of(0.3, -1.2), 1); // two test points, scalar outputs
 */
export function writeOutputs(dir: string, f: Float64Array, outputs = 1): void {
  const k = outputs;
  const n = f.length / k;
  if (!Number.isInteger(n)) throw new InvalidInputError('f', `${f.length} values are not a whole number of points of k = ${k} outputs`);
  const schema = outputsSchema(k);
  const point = Int32Array.from({ length: n }, (_, i) => i);
  const children = [makeData({ type: new Int32(), data: point })];
  if (k > 1) {
    const prediction = new Int32Array(n);
    for (let i = 0; i < n; i++) for (let c = 1; c < k; c++) if (f[i * k + c] > f[i * k + prediction[i]]) prediction[i] = c;
    const listType = schema.fields[1].type as FixedSizeList<Float64>;
    children.push(makeData({ type: listType, length: n, nullCount: 0, child: makeData({ type: new Float64(), data: f.slice() }) }) as never, makeData({ type: new Int32(), data: prediction }));
  } else {
    children.push(makeData({ type: new Float64(), data: f.slice() }) as never);
  }
  const data = makeData({ type: new Struct(schema.fields), length: n, nullCount: 0, children });
  writeFileAtomic(path.join(dir, FILES.outputs), encodeArrowFile(schema, [new RecordBatch(schema, data)]));
}
