/**
 * A seeded fuzz test of the file loaders: valid seed files of every kind (CSV, an IDX dataset
 * plain and gzipped, Arrow IPC file and stream, Parquet) are mutated at random (byte flips,
 * truncation, duplicated and deleted ranges, huge numbers written over header fields, random
 * text) and loaded. Every case must end in a DataSplit or in an InvalidInputError whose message
 * is one line of bounded length: any other error (a TypeError from deep inside a reader), a
 * multi-line message or a stack trace is a bug. Inputs stay under 256 KiB and the input memory
 * budget is 64 MiB, so no case can be slow or large. The PRNG is seeded: a failure names the
 * case, which reproduces.
 */
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { Table, makeVector, tableToIPC, vectorFromArray } from 'apache-arrow';
import * as parquetWasm from 'parquet-wasm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { InvalidInputError } from '../errors.js';
import { CounterRng } from '../random/index.js';
import type { DataSplit } from '../types.js';
import { idxBytes } from '../testing/data-files.js';
import { IDX_FILE_NAMES, type IdxRole } from './idx.js';
import { loadDataset } from './load.js';
import type { DataSpec } from './spec.js';

/** Cases per seed kind; five kinds. MFLAB_FUZZ_CASES and MFLAB_FUZZ_SEED explore further. */
const CASES = Number(process.env.MFLAB_FUZZ_CASES ?? 300);
const SEED = Number(process.env.MFLAB_FUZZ_SEED ?? 0x5eed);
const MAX_INPUT = 256 * 1024;
const BUDGET = 64 * 2 ** 20;
const MAX_MESSAGE = 400;

let root = '';
beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), 'mflab-fuzz-'));
});
afterAll(async () => {
  await rm(root, { recursive: true, force: true });
});

/** Seeded uniforms on [0, 1): core's counter-based generator, one sequence per seed. */
function prng(seed: number): () => number {
  const draws = new CounterRng(seed, 0).at(0);
  return () => draws.uniform();
}

type Random = () => number;
const below = (random: Random, n: number) => Math.floor(random() * n);
const pick = <T>(random: Random, items: readonly T[]): T => items[below(random, items.length)];
const encode = (text: string) => new TextEncoder().encode(text);

/** Text a CSV parser or a header might choke on. */
const SNIPPETS = [
  ',', '\n', '\r\n', '"', '""', ' ', 'y', 'x0', 'x1', 'x007', 'x4294967296', 'x99999999999999999999', 'split', 'train', 'test',
  '1e999', '-1e-999', '99999999999999999999999', 'NaN', '-inf', '0x1f', '-0', '+.5', '\u2028', '\ufeff', '\u0000', '\ud800', 'é', '😀',
  'a'.repeat(70_000), '7,'.repeat(40_000),
];

/** Values written over 4 or 8 bytes: sizes, counts and lengths a header might claim. */
const HUGE = [0xffffffff, 0x7fffffff, 0x80000000, 3_000_000, 0x10000, 0, 1, 255];

type Mutation = (bytes: Uint8Array, random: Random) => Uint8Array;

const MUTATIONS: Record<string, Mutation> = {
  flip(bytes, random) {
    const out = new Uint8Array(bytes);
    for (let k = 1 + below(random, 4); k > 0 && out.length > 0; k--) out[below(random, out.length)] = below(random, 256);
    return out;
  },
  bit(bytes, random) {
    const out = new Uint8Array(bytes);
    if (out.length > 0) out[below(random, out.length)] ^= 1 << below(random, 8);
    return out;
  },
  truncate: (bytes, random) => bytes.slice(0, below(random, bytes.length + 1)),
  duplicate(bytes, random) {
    const a = below(random, bytes.length + 1);
    const b = a + below(random, bytes.length - a + 1);
    const at = below(random, bytes.length + 1);
    return concat(bytes.subarray(0, at), bytes.subarray(a, b), bytes.subarray(at));
  },
  remove(bytes, random) {
    const a = below(random, bytes.length + 1);
    const b = a + below(random, Math.min(64, bytes.length - a) + 1);
    return concat(bytes.subarray(0, a), bytes.subarray(b));
  },
  text(bytes, random) {
    const at = below(random, bytes.length + 1);
    return concat(bytes.subarray(0, at), encode(pick(random, SNIPPETS)), bytes.subarray(at));
  },
  /** A huge number over a 4- or 8-byte field, mostly near the start where headers are. */
  huge(bytes, random) {
    const out = new Uint8Array(bytes);
    const width = random() < 0.7 ? 4 : 8;
    if (out.length < width) return out;
    const span = random() < 0.6 ? Math.min(out.length - width + 1, 64) : out.length - width + 1;
    const at = below(random, span);
    const view = new DataView(out.buffer);
    const value = pick(random, HUGE);
    const littleEndian = random() < 0.5;
    if (width === 4) view.setUint32(at, value, littleEndian);
    else view.setBigUint64(at, BigInt(value) * (random() < 0.3 ? 2n ** 32n : 1n), littleEndian);
    return out;
  },
};

function concat(...parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const part of parts) {
    out.set(part, at);
    at += part.length;
  }
  return out;
}

/** 1 to 3 random mutations; the names applied go into `log`. */
function mutate(bytes: Uint8Array, random: Random, log: string[]): Uint8Array {
  let out = bytes;
  for (let k = 1 + below(random, 3); k > 0; k--) {
    const name = pick(random, Object.keys(MUTATIONS));
    log.push(name);
    out = MUTATIONS[name](out, random);
    if (out.length > MAX_INPUT) out = out.subarray(0, MAX_INPUT);
  }
  return out;
}

// The seeds.
const CSV = encode('x0,x1,y,split\n1,2,1,train\n3,4,-1,test\n-5e-1, .25 ,+1,train\n"7",8,1,train\n');
const SEED_TABLE = () =>
  new Table({
    x0: makeVector(new Float64Array([0.5, 1.5, -2, 4])),
    x1: makeVector(new Int16Array([1, -2, 3, 4])),
    y: makeVector(new Float64Array([1, -1, 1, 1])),
    split: vectorFromArray(['train', 'test', 'train', 'train']),
  });
const ARROW_FILE = tableToIPC(SEED_TABLE(), 'file');
const ARROW_STREAM = tableToIPC(SEED_TABLE(), 'stream');
const PARQUET = parquetWasm.writeParquet(parquetWasm.Table.fromIPCStream(tableToIPC(SEED_TABLE(), 'stream')));
const IDX: Record<IdxRole, Uint8Array> = {
  trainImages: idxBytes('ubyte', [5, 2, 3], Array.from({ length: 30 }, (_, k) => 8 * k)),
  trainLabels: idxBytes('ubyte', [5], [2, 0, 1, 1, 0]),
  testImages: idxBytes('float32', [2, 2, 3], [0.5, -1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11]),
  testLabels: idxBytes('ubyte', [2], [1, 2]),
};
const ROLES = Object.keys(IDX) as IdxRole[];

/**
 * Writes one case's file(s) into `dir`, each seed passed through `change` (a mutation, or
 * nothing), and returns the spec that loads them.
 */
type Case = (random: Random, log: string[], dir: string, change: (bytes: Uint8Array) => Uint8Array) => Promise<DataSpec>;

const KINDS: Record<string, Case> = {
  async csv(_random, _log, dir, change) {
    const path = join(dir, 'data.csv');
    await writeFile(path, change(CSV));
    return { kind: 'csv', path };
  },
  async arrow(random, log, dir, change) {
    const path = join(dir, 'data.arrow');
    const stream = random() < 0.5;
    log.push(stream ? 'stream' : 'file');
    await writeFile(path, change(stream ? ARROW_STREAM : ARROW_FILE));
    return { kind: 'arrow', path };
  },
  async parquet(_random, _log, dir, change) {
    const path = join(dir, 'data.parquet');
    await writeFile(path, change(PARQUET));
    return { kind: 'parquet', path };
  },
  async 'idx plain'(random, log, dir, change) {
    const target = pick(random, ROLES);
    log.push(target);
    for (const role of ROLES) await writeFile(join(dir, IDX_FILE_NAMES[role]), role === target ? change(IDX[role]) : IDX[role]);
    return { kind: 'idx', path: dir };
  },
  async 'idx gzipped'(random, log, dir, change) {
    const target = pick(random, ROLES);
    // Mutate the compressed stream, or the content before it is compressed (a well-formed
    // stream of a malformed file).
    const inside = random() < 0.5;
    log.push(target, inside ? 'content' : 'stream');
    for (const role of ROLES) {
      let bytes: Uint8Array = role === target && inside ? change(IDX[role]) : IDX[role];
      bytes = gzipSync(bytes);
      if (role === target && !inside) bytes = change(bytes);
      await writeFile(join(dir, `${IDX_FILE_NAMES[role]}.gz`), bytes);
    }
    return { kind: 'idx', path: dir };
  },
};

/** Why an outcome is not acceptable, or undefined when it is. */
function verdict(outcome: { split: DataSplit } | { error: unknown }): string | undefined {
  if ('split' in outcome) {
    for (const set of [outcome.split.train, outcome.split.test]) {
      if (set.x.length !== set.n * set.d || set.y.length !== set.n) return `inconsistent set: n ${set.n}, d ${set.d}, x ${set.x.length}, y ${set.y.length}`;
      if (!set.x.every(Number.isFinite) || !set.y.every(Number.isFinite)) return 'non-finite values';
    }
    return undefined;
  }
  const { error } = outcome;
  if (!(error instanceof InvalidInputError)) return `not an InvalidInputError: ${error instanceof Error ? `${error.name}: ${error.message}\n${error.stack}` : String(error)}`;
  if (/[\n\r\u2028\u2029]/.test(error.message)) return `message on several lines: ${JSON.stringify(error.message.slice(0, 500))}`;
  if (error.message.length >= MAX_MESSAGE) return `message of ${error.message.length} characters: ${error.message.slice(0, 500)}`;
  if (/\bat .+:\d+:\d+/.test(error.message)) return `stack trace in the message: ${error.message}`;
  return undefined;
}

describe('fuzzed data files end in a DataSplit or a one-line InvalidInputError', () => {
  for (const [index, [kind, makeCase]] of Object.entries(KINDS).entries()) {
    it(`${kind}: ${CASES} mutated files`, async () => {
      const random = prng(SEED + index);
      const dir = join(root, kind.replace(' ', '-'));
      await mkdir(dir);
      const failures: string[] = [];
      const ends = { split: 0, error: 0 };
      for (let c = 0; c < CASES; c++) {
        const log: string[] = [];
        const spec = await makeCase(random, log, dir, (bytes) => mutate(bytes, random, log));
        let outcome: { split: DataSplit } | { error: unknown };
        try {
          outcome = { split: await loadDataset(spec, 0, { maxInputBytes: BUDGET }) };
          ends.split++;
        } catch (error) {
          outcome = { error };
          ends.error++;
        }
        const problem = verdict(outcome);
        if (problem !== undefined) failures.push(`${kind} case ${c} (${log.join(', ')}): ${problem}`);
      }
      console.info(`${kind}: ${ends.split} loaded, ${ends.error} refused`);
      expect(failures.slice(0, 5)).toEqual([]);
      // The readers still work after all that (parquet-wasm, for one, after its traps).
      const clean = join(dir, 'clean');
      await mkdir(clean);
      const data = await loadDataset(await makeCase(random, [], clean, (bytes) => bytes), 0);
      expect(data.train.n).toBeGreaterThan(0);
    }, 120_000);
  }

  it('the seeds themselves load', async () => {
    const dir = join(root, 'seeds');
    await mkdir(dir);
    const write = async (name: string, bytes: Uint8Array) => {
      await writeFile(join(dir, name), bytes);
      return join(dir, name);
    };
    const csv = await loadDataset({ kind: 'csv', path: await write('s.csv', CSV) }, 0);
    expect([csv.train.n, csv.test.n, csv.train.d]).toEqual([3, 1, 2]);
    for (const [name, bytes, kind] of [['s.arrow', ARROW_FILE, 'arrow'], ['s.arrows', ARROW_STREAM, 'arrow'], ['s.parquet', PARQUET, 'parquet']] as const) {
      const data = await loadDataset({ kind, path: await write(name, bytes) }, 0);
      expect([data.train.n, data.test.n, data.train.d]).toEqual([3, 1, 2]);
    }
    for (const role of ROLES) await write(IDX_FILE_NAMES[role], IDX[role]);
    const idx = await loadDataset({ kind: 'idx', path: dir }, 0);
    expect([idx.train.n, idx.test.n, idx.train.d, idx.classes]).toEqual([5, 2, 6, 3]);
  });
});
