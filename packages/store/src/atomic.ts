/**
 * Atomic file replacement: write a temporary file beside the target, fsync it, rename it over the
 * target, fsync the directory. A reader (or a process restarted after a crash) sees either the old
 * file or the new one, never a mix: this is how `checkpoint.arrow`, `run.json` and `index.arrow`
 * are written.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { fsError } from './errors.js';

let tempCounter = 0;
const TEMP_MARK = '.tmp-';

/** A temporary name next to `target`, unique to this process. */
export function tempPathFor(target: string): string {
  tempCounter += 1;
  return `${target}${TEMP_MARK}${process.pid}-${tempCounter}`;
}

/** Writes all of `data` at the fd's position (writeSync may write less than asked). */
export function writeFully(fd: number, data: Uint8Array, filePath: string): void {
  let done = 0;
  while (done < data.byteLength) {
    let n: number;
    try {
      n = fs.writeSync(fd, data, done, data.byteLength - done);
    } catch (err) {
      throw fsError(filePath, 'write', err);
    }
    done += n;
  }
}

/** fsyncs a directory so that a rename inside it is durable. Some file systems refuse; that is not fatal. */
export function fsyncDir(dir: string): void {
  let fd: number | undefined;
  try {
    fd = fs.openSync(dir, 'r');
    fs.fsyncSync(fd);
  } catch {
    // Directories cannot be fsynced everywhere (EISDIR/EINVAL on some platforms): the rename is still atomic.
  } finally {
    if (fd !== undefined) fs.closeSync(fd);
  }
}

/** Content for {@link writeFileAtomic}: bytes, text, or a sequence of byte chunks (written in order). */
export type AtomicContent = Uint8Array | string | Iterable<Uint8Array>;

/**
 * Replaces `target` atomically with `content` (temp file, fsync, rename, fsync of the directory).
 * On failure the temporary file is removed and a one-line {@link StoreError} naming `target` is thrown.
 */
export function writeFileAtomic(target: string, content: AtomicContent): void {
  const temp = tempPathFor(target);
  let fd: number | undefined;
  try {
    try {
      fd = fs.openSync(temp, 'w', 0o644);
    } catch (err) {
      throw fsError(target, 'create a temporary file', err);
    }
    if (typeof content === 'string') writeFully(fd, Buffer.from(content, 'utf8'), target);
    else if (content instanceof Uint8Array) writeFully(fd, content, target);
    else for (const chunk of content) writeFully(fd, chunk, target);
    try {
      fs.fsyncSync(fd);
    } catch (err) {
      throw fsError(target, 'fsync', err);
    }
    fs.closeSync(fd);
    fd = undefined;
    try {
      fs.renameSync(temp, target);
    } catch (err) {
      throw fsError(target, 'rename the temporary file over', err);
    }
  } catch (err) {
    if (fd !== undefined) {
      try {
        fs.closeSync(fd);
      } catch {
        // already failing: the first error is the one to report
      }
    }
    try {
      fs.unlinkSync(temp);
    } catch {
      // the temp file may not exist
    }
    throw fsError(target, 'write', err);
  }
  fsyncDir(path.dirname(target));
}

/**
 * Removes temporary files a killed process left next to the files of `dir` (`NAME.tmp-PID-N`).
 * Only files whose writer process is gone are removed, so a live writer is never disturbed.
 */
export function removeStaleTemps(dir: string): void {
  let names: string[];
  try {
    names = fs.readdirSync(dir);
  } catch {
    return;
  }
  for (const name of names) {
    const at = name.lastIndexOf(TEMP_MARK);
    if (at < 0) continue;
    const pid = Number(name.slice(at + TEMP_MARK.length).split('-')[0]);
    // Only files of a dead process: a live writer (this one included) may be mid-write.
    if (!Number.isInteger(pid) || pid <= 0 || pid === process.pid || isProcessAlive(pid)) continue;
    try {
      fs.unlinkSync(path.join(dir, name));
    } catch {
      // another process may have removed it
    }
  }
}

/** Whether a process with this pid exists on this machine. */
export function isProcessAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as { code?: string }).code === 'EPERM';
  }
}

const sleepCell = new Int32Array(new SharedArrayBuffer(4));

/** Blocks the thread for `ms` milliseconds (used while waiting for a lock in synchronous code). */
export function sleepSync(ms: number): void {
  Atomics.wait(sleepCell, 0, 0, ms);
}
