import { MflabError, type ErrorKind } from '@mflab/store';

/**
 * Bad usage (unknown flag, missing argument, an output directory that may not be written):
 * printed as one line, exit 2. Part of mflab's one error hierarchy (MflabError).
 *
 * @example
 * throw new UsageError('--workers: expected an integer from 1 to 256, got "0"', 'run');
 */
export class UsageError extends MflabError {
  override readonly name: string = 'UsageError';
  readonly kind: ErrorKind = 'input';

  constructor(
    message: string,
    /** The command it is about, when known. */
    readonly command?: string,
  ) {
    super(message);
  }
}
