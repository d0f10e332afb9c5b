/**
 * Child process for the read-only directory test, started as an unprivileged user because root
 * ignores permissions. Usage: readonly-child.ts DIR. Prints `ready` once its modules loaded (so
 * the test can tell "cannot run as that user" from a failure), then one JSON line per attempt.
 */
import { readOnlyAttempts, tryAttempt } from './readonly-attempts.js';

process.stdout.write('ready\n');
for (const attempt of readOnlyAttempts(process.argv[2])) process.stdout.write(`${JSON.stringify(tryAttempt(attempt))}\n`);
