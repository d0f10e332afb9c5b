/** Helpers for the sweep executor's tests (imports vitest: tests only, not part of the build). */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { InvalidInputError } from '@mflab/core';
import { expect } from 'vitest';

/** The test task module (plain JavaScript, loaded as is by the pool threads). */
export const BEHAVIOUR_TASK = new URL('./behaviour-task.mjs', import.meta.url);

/** A script of this folder, as a path for `spawn(process.execPath, [path])`. */
export const testingScript = (name: string): string => fileURLToPath(new URL(`./${name}`, import.meta.url));

/** A fresh temporary directory. */
export function tempDir(label: string): string {
  return mkdtempSync(join(tmpdir(), `mflab-sweep-${label}-`));
}

/** Resolves once `condition()` holds, polling every few ms; rejects after `timeoutMs`. */
export async function waitFor(condition: () => boolean, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`condition not met within ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

/** Asserts that `fn` throws (or rejects with) a one-line InvalidInputError on `field` matching `detail`. */
export async function expectFieldError(fn: () => unknown, field: string, detail?: RegExp): Promise<void> {
  let caught: unknown;
  try {
    await fn();
  } catch (error) {
    caught = error;
  }
  expect(caught).toBeInstanceOf(InvalidInputError);
  const error = caught as InvalidInputError;
  expect(error.field).toBe(field);
  expect(error.message.startsWith(`${field}: `)).toBe(true);
  expect(error.message).not.toContain('\n');
  if (detail) expect(error.message).toMatch(detail);
}
