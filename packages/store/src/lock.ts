/**
 * Advisory lock files, so two processes never write one run (or rebuild one study index) at once.
 * A lock is a file created with O_EXCL holding the owner's pid and host. A lock whose owner
 * process is gone (killed with SIGKILL, say) is stale and taken over, so a crash never blocks a
 * resume; a live owner makes the caller wait, then fail with a one-line error naming the file.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import { isProcessAlive, sleepSync, tempPathFor } from './atomic.js';
import { StoreError, errnoCode, fsError } from './errors.js';

/** A held lock; call {@link Lock.release} (idempotent) when done. */
export interface Lock {
  readonly path: string;
  release(): void;
}

interface Owner {
  pid: number;
  host: string;
  time: string;
}

/** Options of {@link acquireLock}. */
export interface LockOptions {
  /** How long to wait for a live owner to release, in ms (0: fail at once). Default 30 000. */
  timeoutMs?: number;
  /** Words for the error, e.g. 'run directory' (default 'lock'). */
  what?: string;
}

/** A lock file younger than this with unreadable content may be being written right now. */
const UNREADABLE_GRACE_MS = 5_000;

function readOwner(lockPath: string): Owner | null | 'gone' {
  let text: string;
  try {
    text = fs.readFileSync(lockPath, 'utf8');
  } catch (err) {
    if (errnoCode(err) === 'ENOENT') return 'gone';
    throw fsError(lockPath, 'read lock file', err);
  }
  try {
    const o = JSON.parse(text) as Partial<Owner>;
    if (typeof o.pid === 'number' && typeof o.host === 'string') return { pid: o.pid, host: o.host, time: String(o.time ?? '') };
  } catch {
    // fall through: unreadable content
  }
  return null;
}

function isStale(lockPath: string, owner: Owner | null): boolean {
  if (owner === null) {
    try {
      return Date.now() - fs.statSync(lockPath).mtimeMs > UNREADABLE_GRACE_MS;
    } catch {
      return true;
    }
  }
  // Only a same-host owner can be checked; a lock from another host is trusted.
  return owner.host === os.hostname() && owner.pid !== process.pid && !isProcessAlive(owner.pid);
}

/**
 * Takes the lock file `lockPath`, waiting up to `timeoutMs` for a live owner. Stale locks (owner
 * process gone) are broken by renaming them away first, so two processes breaking the same stale
 * lock cannot both win.
 */
export function acquireLock(lockPath: string, options: LockOptions = {}): Lock {
  const timeoutMs = options.timeoutMs ?? 30_000;
  const deadline = Date.now() + timeoutMs;
  const body = JSON.stringify({ pid: process.pid, host: os.hostname(), time: new Date().toISOString() });
  let wait = 5;
  while (true) {
    try {
      // Created with its content in one step: the body goes to a private temp file, which is then
      // hard-linked to the lock path (link fails with EEXIST like O_EXCL). A process killed between
      // creating and writing a lock would otherwise leave an empty lock that looks alive for the
      // unreadable-content grace period.
      // (A killed process's temp is removed by removeStaleTemps when the run is next opened.)
      const temp = tempPathFor(lockPath);
      fs.writeFileSync(temp, body, { mode: 0o644 });
      try {
        fs.linkSync(temp, lockPath);
      } finally {
        try {
          fs.unlinkSync(temp);
        } catch {
          // already gone
        }
      }
      let released = false;
      return {
        path: lockPath,
        release() {
          if (released) return;
          released = true;
          try {
            const owner = readOwner(lockPath);
            if (owner !== 'gone' && owner !== null && owner.pid === process.pid) fs.unlinkSync(lockPath);
          } catch {
            // a lock that cannot be removed will be seen as stale once this process exits
          }
        },
      };
    } catch (err) {
      if (errnoCode(err) !== 'EEXIST') throw fsError(lockPath, 'create lock file', err);
    }
    const owner = readOwner(lockPath);
    if (owner === 'gone') continue;
    if (isStale(lockPath, owner)) {
      const aside = `${lockPath}.stale-${process.pid}`;
      try {
        fs.renameSync(lockPath, aside);
        // Only remove what we moved if it is still the stale lock we saw (not a fresh one a racer took).
        const moved = readOwner(aside);
        if (moved !== 'gone' && (moved === null ? owner === null : owner !== null && moved.pid === owner.pid)) fs.unlinkSync(aside);
        else if (moved !== 'gone') fs.renameSync(aside, lockPath);
      } catch {
        // another process broke it first; try again
      }
      continue;
    }
    if (Date.now() >= deadline) {
      const who = owner === null ? 'another process' : `process ${owner.pid} on ${owner.host} (since ${owner.time})`;
      throw new StoreError(lockPath, `${options.what ?? 'lock'} is held by ${who}`, { code: 'ELOCKED' });
    }
    sleepSync(wait);
    wait = Math.min(wait * 2, 100);
  }
}
