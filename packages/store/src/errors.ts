/**
 * Errors raised by the store. Every message is one line of the form `PATH: what is wrong`, so a
 * CLI can print it as is and a user knows which file to look at; the original error (an errno
 * from the file system, an exception from the Arrow reader) stays available as `cause`.
 */

/** An error about one file or directory of the store. The message is `path: reason`, one line. */
export class StoreError extends Error {
  /** The file or directory concerned. */
  readonly path: string;
  /** What is wrong, without the path. */
  readonly reason: string;
  /** The errno code (`ENOENT`, `ENOSPC`, ...) when a system call failed. */
  readonly code: string | undefined;

  constructor(path: string, reason: string, options: { cause?: unknown; code?: string } = {}) {
    const oneLine = reason.replace(/\s*[\r\n]+\s*/g, ' ').trim();
    super(`${path}: ${oneLine}`, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'StoreError';
    this.path = path;
    this.reason = oneLine;
    this.code = options.code;
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
