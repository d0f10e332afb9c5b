import { createRequire } from 'node:module';
import { describe, expect, it } from 'vitest';
import { loadTensorBackend, tensorBackendInfo } from './index.js';

// tfjs-node is an optional dependency that cannot install on the development machine; where it
// is present, the default load must pick it instead.
function tfjsNodePresent(): boolean {
  try {
    createRequire(import.meta.url).resolve('@tensorflow/tfjs-node');
    return true;
  } catch {
    return false;
  }
}

describe('loadTensorBackend', () => {
  it('loads tfjs-wasm from the installed package when tfjs-node is absent, once per process', async () => {
    expect(tensorBackendInfo()).toBeNull();
    const first = loadTensorBackend();
    const second = loadTensorBackend({ prefer: 'wasm' });
    const info = await first;
    expect(await second).toBe(info);
    expect(await loadTensorBackend()).toBe(info);
    expect(tensorBackendInfo()).toBe(info);
    if (tfjsNodePresent()) {
      expect(['tfjs-node', 'tfjs-wasm']).toContain(info.name);
      return;
    }
    expect(info.name).toBe('tfjs-wasm');
    expect(info.version).toBe('4.22.0');
    expect(typeof info.simd).toBe('boolean');
    expect(info.threads).toBeGreaterThanOrEqual(1);
  });
});
