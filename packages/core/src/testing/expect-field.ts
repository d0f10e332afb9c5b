/** Test assertion shared by the suites that check input validation (imports vitest: tests only). */
import { expect } from 'vitest';
import { InvalidInputError } from '../errors.js';

/** Asserts that `fn` throws an InvalidInputError on `field` whose message starts with `field: ` (and matches `detail`). */
export function expectFieldError(fn: () => unknown, field: string, detail?: RegExp): void {
  let caught: unknown;
  try {
    fn();
  } catch (error) {
    caught = error;
  }
  expect(caught).toBeInstanceOf(InvalidInputError);
  const error = caught as InvalidInputError;
  expect(error.field).toBe(field);
  expect(error.message.startsWith(`${field}: `)).toBe(true);
  if (detail) expect(error.message).toMatch(detail);
}

/** Awaits `promise`, asserts it rejects with a one-line InvalidInputError, and returns that error. */
export async function oneLineInputError(promise: Promise<unknown>): Promise<InvalidInputError> {
  let caught: unknown;
  try {
    await promise;
  } catch (error) {
    caught = error;
  }
  expect(caught).toBeInstanceOf(InvalidInputError);
  const error = caught as InvalidInputError;
  expect(error.message).not.toContain('\n');
  return error;
}
