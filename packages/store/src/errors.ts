/**
 * The errors of mflab, one hierarchy for every package: {@link MflabError} is the base, its
 * message one line that starts with what is wrong — a field (`model.width: …`) or a path
 * (`/runs/a/run.json: …`) — so a CLI can print it as it is. This module sits in the lowest
 * package (the store depends on apache-arrow only), so core, the partitioner and the app all
 * extend the same base: {@link InvalidInputError} (bad input naming the field; core re-exports
 * it), {@link StoreError} (a file or directory), the app's ConfigError and UsageError.
 */

/** Whether an error is the caller's input (exit code 2 in the CLI) or a failure of the work itself (exit 1). */
export type ErrorKind = 'input' | 'failure';

/**
 * The base of every error mflab throws on purpose.
 *
 * @example
 * import { MflabError, listRuns } from '@mflab/store';
 * try {
 *   await listRuns(dir);
 * } catch (error) {
 *   if (error instanceof MflabError) console.error(error.message); // one line: field or path first
 *   process.exitCode = error instanceof MflabError && error.kind === 'input' ? 2 : 1;
 * }
 */
export abstract class MflabError extends Error {
  /** `input`: the caller's input is wrong; `failure`: the operation failed. */
  abstract readonly kind: ErrorKind;
}

/** Collapses line breaks: every mflab error message is one line. */
const oneLine = (text: string): string => text.replace(/\s*[\r\n\u2028\u2029]+\s*/g, ' ').trim();

/**
 * Bad input to the public API or the CLI. The message starts with the field's path
 * (`model.width: …`), or with its source and then the field (`my.yaml: model.width: …`), and
 * says what is allowed.
 *
 * @example
 * throw new InvalidInputError('model.width', 'expected an integer ≥ 1, got -4');
 */
export class InvalidInputError extends MflabError {
  override readonly name: string = 'InvalidInputError';
  readonly kind: ErrorKind = 'input';
  /** Dotted path of the offending field (`model.width`, `grid.seed[2]`), or an argument name. */
  readonly field: string;
  /** What is wrong and what is allowed, without the field. */
  readonly detail: string;
  /** Where the input came from (a config file), when known. */
  readonly source?: string;

  constructor(field: string, detail: string, source?: string) {
    const f = oneLine(field);
    const d = oneLine(detail);
    const s = source === undefined ? undefined : oneLine(source);
    super(`${s ? `${s}: ` : ''}${f}: ${d}`);
    this.field = f;
    this.detail = d;
    if (s !== undefined) this.source = s;
  }
}

/**
 * An error about one file or directory of the store. The message is `path: reason`, one line.
 * A link inside a study (`ELINK`) or a path that is not a directory (`ENOTDIR`) is the caller's
 * input; everything else a failure.
 */
export class StoreError extends MflabError {
  override readonly name = 'StoreError';
  /** The file or directory concerned. */
  readonly path: string;
  /** What is wrong, without the path. */
  readonly reason: string;
  /** The errno code (`ENOENT`, `ENOSPC`, ...) when a system call failed, or mflab's `ELINK`. */
  readonly code: string | undefined;

  constructor(path: string, reason: string, options: { cause?: unknown; code?: string } = {}) {
    const text = oneLine(reason);
    super(`${path}: ${text}`, options.cause === undefined ? undefined : { cause: options.cause });
    this.path = path;
    this.reason = text;
    this.code = options.code;
  }

  get kind(): ErrorKind {
    return this.code === 'ELINK' || this.code === 'ENOTDIR' ? 'input' : 'failure';
  }
}

const ERRNO_TEXT: Record<string, string> = {
  ENOENT: 'no such file or directory',
  EACCES: 'permission denied',
  EPERM: 'operation not permitted',
  EROFS: 'read-only file system',
  ENOSPC: 'no space left on device',
  EDQUOT: 'disk quota exceeded',
  ENOTDIR: 'a parent of this path is not a directory',
  EISDIR: 'is a directory',
  EEXIST: 'already exists',
  EMFILE: 'too many open files',
  EIO: 'input/output error',
  EFBIG: 'file too large',
};

/** The errno code of a Node system error, if it is one. */
export function errnoCode(err: unknown): string | undefined {
  const code = (err as { code?: unknown } | null)?.code;
  return typeof code === 'string' ? code : undefined;
}

/**
 * Wraps a failed file-system call as a one-line {@link StoreError}: `path: cannot ACTION: text (CODE)`.
 * A StoreError passes through unchanged so that wrapping twice keeps the innermost path.
 */
export function fsError(path: string, action: string, err: unknown): StoreError {
  if (err instanceof StoreError) return err;
  const code = errnoCode(err);
  const text = code !== undefined ? `${ERRNO_TEXT[code] ?? 'system error'} (${code})` : describe(err);
  return new StoreError(path, `cannot ${action}: ${text}`, code === undefined ? { cause: err } : { cause: err, code });
}

/** A short one-line description of any thrown value, for wrapping foreign exceptions. */
export function describe(err: unknown): string {
  const text = err instanceof Error ? err.message : String(err);
  const line = text.split(/\r?\n/)[0]?.trim() ?? '';
  return line.length > 200 ? `${line.slice(0, 197)}...` : line;
}
