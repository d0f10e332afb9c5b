/** Bad usage (unknown flag, missing argument, an output directory that may not be written): printed as one line, exit 2. */
export class UsageError extends Error {
  constructor(message: string, readonly command?: string) {
    super(message);
    this.name = 'UsageError';
  }
}
