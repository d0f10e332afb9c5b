/**
 * Loading and selecting the TensorFlow.js backend of the tensor path (GEMM-shaped work: the
 * empirical tangent kernel Gram matrix, the analytic kernels on grids, large-D forward passes).
 *
 * Order of preference: `@tensorflow/tfjs-node` (native TensorFlow, an optional dependency whose
 * install downloads libtensorflow, so it is often absent or its binding fails to load), else
 * `@tensorflow/tfjs-core` with `@tensorflow/tfjs-backend-wasm` (XNNPACK, SIMD, no threads in
 * Node). Everything is imported lazily, so importing @mflab/core costs nothing until a tensor
 * function runs. TensorFlow.js keeps one global engine per process, hence one load per process.
 */
import { createRequire } from 'node:module';
import { dirname, join, sep } from 'node:path';
import type * as TfCore from '@tensorflow/tfjs-core';

/** The tfjs namespace the tensor functions call (tfjs-node re-exports all of tfjs-core). */
export type TfNamespace = typeof TfCore;

/** Which TensorFlow.js backend the tensor path runs on. */
export type TensorBackendName = 'tfjs-node' | 'tfjs-wasm';

/** What {@link loadTensorBackend} loaded: recorded with results so a reader knows what ran. */
export interface TensorBackendInfo {
  /** 'tfjs-node' (native TensorFlow) or 'tfjs-wasm' (tfjs-core + the wasm backend). */
  readonly name: TensorBackendName;
  /** The version of the backend package (tfjs-node or tfjs-backend-wasm). */
  readonly version: string;
  /** Wasm only: whether the SIMD binary was loaded. */
  readonly simd?: boolean;
  /** Wasm only: the number of threads of the wasm backend (1 in Node, which has no wasm threads there). */
  readonly threads?: number;
}

/** Options of {@link loadTensorBackend}. */
export interface LoadTensorBackendOptions {
  /**
   * 'node' (default) tries tfjs-node first and falls back to wasm; 'wasm' goes straight to
   * wasm. Ignored once a backend is loaded: the process keeps the first one.
   */
  readonly prefer?: 'node' | 'wasm';
}

/** Internal: a loaded tfjs namespace with what it is. */
export interface LoadedBackend {
  readonly tf: TfNamespace;
  readonly info: TensorBackendInfo;
}

let loading: Promise<LoadedBackend> | null = null;
let loaded: LoadedBackend | null = null;

// A variable specifier keeps TypeScript (and bundlers) from resolving the optional package,
// so the project typechecks and builds where it is not installed.
const TFJS_NODE: string = '@tensorflow/tfjs-node';

/** A CJS module imported from ESM may arrive as its namespace or under `default`. */
function namespaceOf(mod: unknown): TfNamespace {
  const m = mod as { default?: unknown; matMul?: unknown };
  if (typeof m.matMul === 'function') return m as unknown as TfNamespace;
  const d = m.default as { matMul?: unknown } | undefined;
  if (d && typeof d.matMul === 'function') return d as unknown as TfNamespace;
  throw new Error('not a TensorFlow.js namespace (no matMul)');
}

async function loadNode(): Promise<LoadedBackend | null> {
  try {
    const mod: unknown = await import(TFJS_NODE);
    const tf = namespaceOf(mod);
    // Importing tfjs-node registers and selects 'tensorflow'; selecting it again makes a
    // failed native binding surface here rather than in the first kernel call.
    if (!(await tf.setBackend('tensorflow'))) return null;
    await tf.ready();
    const v = (mod as { version?: unknown }).version ?? (mod as { default?: { version?: unknown } }).default?.version;
    const version =
      typeof v === 'string' ? v : typeof v === 'object' && v !== null && typeof (v as Record<string, unknown>)['tfjs-node'] === 'string'
        ? ((v as Record<string, string>)['tfjs-node'])
        : tf.version_core;
    return { tf, info: { name: 'tfjs-node', version } };
  } catch {
    // Absent package (ERR_MODULE_NOT_FOUND) or a native binding that fails to load: fall back.
    return null;
  }
}

async function loadWasm(): Promise<LoadedBackend> {
  const tf = namespaceOf(await import('@tensorflow/tfjs-core'));
  const wasm = (await import('@tensorflow/tfjs-backend-wasm')) as unknown as {
    setWasmPaths?: (prefix: string) => void;
    getThreadsCount?: () => number;
    version_wasm?: string;
    default?: { setWasmPaths?: (prefix: string) => void; getThreadsCount?: () => number; version_wasm?: string };
  };
  const api = typeof wasm.setWasmPaths === 'function' ? wasm : (wasm.default ?? wasm);
  // The .wasm binaries ship in the package's own dist/; pointing there (a directory on disk,
  // trailing separator included, as the loader concatenates) means nothing is fetched.
  const pkg = createRequire(import.meta.url).resolve('@tensorflow/tfjs-backend-wasm/package.json');
  api.setWasmPaths?.(join(dirname(pkg), 'dist') + sep);
  if (!(await tf.setBackend('wasm'))) throw new Error('@tensorflow/tfjs-backend-wasm failed to initialise');
  await tf.ready();
  const simd = Boolean(await tf.env().getAsync('WASM_HAS_SIMD_SUPPORT'));
  let threads = 1;
  try {
    threads = api.getThreadsCount?.() ?? 1;
  } catch {
    // Older builds throw before a threaded init; single-threaded is what Node gets anyway.
  }
  return { tf, info: { name: 'tfjs-wasm', version: api.version_wasm ?? tf.version_core, simd, threads } };
}

/**
 * Loads the TensorFlow.js backend once per process and reports which one runs: tfjs-node
 * when it loads (unless `prefer: 'wasm'`), else tfjs-core with the wasm backend, whose binaries
 * are read from the installed package (no network). Later calls return the same result whatever
 * their options; a failed load may be retried.
 */
export function loadTensorBackend(options?: LoadTensorBackendOptions): Promise<TensorBackendInfo> {
  if (loading === null) {
    const prefer = options?.prefer ?? 'node';
    loading = (async () => {
      const node = prefer === 'node' ? await loadNode() : null;
      const result = node ?? (await loadWasm());
      loaded = result;
      return result;
    })();
    loading.catch(() => {
      loading = null;
    });
  }
  return loading.then((b) => b.info);
}

/** The backend loaded by {@link loadTensorBackend}, or null before (or while) it loads. */
export function tensorBackendInfo(): TensorBackendInfo | null {
  return loaded?.info ?? null;
}

/**
 * Internal: the loaded tfjs namespace and its info, or null before {@link loadTensorBackend}
 * has finished — for synchronous callers (the tfjs step kernel), which cannot await a load.
 */
export function loadedTensorRuntime(): LoadedBackend | null {
  return loaded;
}

/** Internal: the loaded tfjs namespace and its info, loading the default backend if needed. */
export async function tensorRuntime(): Promise<LoadedBackend> {
  await loadTensorBackend();
  return loaded as LoadedBackend;
}
