/**
 * Claims: so that two processes — two shards, a requeued array task and its still-running
 * predecessor, a sweep started twice — never run one grid cell at once, even on different hosts
 * sharing the study directory.
 *
 * A claim is the file `<run dir>/.claim`, created with O_EXCL (atomic on local file systems and on
 * NFSv3+, Lustre, GPFS, CephFS), holding its owner's pid, host and a random token. Its owner
 * touches it (mtime) at the run's log points and on a timer: that is the heartbeat. A claim is
 * stale, and may be taken over, when
 * - its owner is on this host, in this pid namespace, and its process is gone (killed, crashed),
 *   or is this very pid but not this process's token (an earlier container incarnation with the
 *   same pid), or
 * - its heartbeat is older than the claim timeout (`MFLAB_CLAIM_TIMEOUT`, seconds, default 300):
 *   the only test possible for an owner on another host — a preempted node sends no goodbye.
 * The timeout must exceed the heartbeat interval plus clock skew between hosts and the shared
 * file system's attribute caching (NFS: up to 60 s). An owner paused longer than the timeout
 * (SIGSTOP, a frozen VM) loses its claim: that is the price of leases.
 */
import { randomUUID } from 'node:crypto';
import * as fs from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { InvalidInputError } from '@mflab/core';
import { FILES } from '@mflab/store';

export const CLAIM_FILE = '.claim';
export const DEFAULT_CLAIM_TIMEOUT_S = 300;
/** A claim file younger than this whose content cannot be read may be being written right now. */
const UNREADABLE_GRACE_MS = 5_000;
/** Touch a claim at most this often from log points (a timer covers long gaps). */
const MIN_TOUCH_INTERVAL_MS = 1_000;

/** What a claim file holds. */
export interface ClaimOwner {
  pid: number;
  host: string;
  token: string;
  /** `I/N` when a shard took it. */
  shard: string | null;
  since: string;
  /**
   * The owner's pid namespace (`/proc/self/ns/pid`; '' where unknown): containers on one host may
   * share its host name (host networking) but not their pids, so a pid is only checked within one namespace.
   */
  pidNamespace: string;
}

/** This process's pid namespace, '' where /proc does not tell. */
export const PID_NAMESPACE = (() => {
  try {
    return fs.readlinkSync('/proc/self/ns/pid');
  } catch {
    return '';
  }
})();

/** The claim timeout in ms from `MFLAB_CLAIM_TIMEOUT` (seconds; default {@link DEFAULT_CLAIM_TIMEOUT_S}). */
export function claimTimeoutMs(env: NodeJS.ProcessEnv = process.env): number {
  const raw = env.MFLAB_CLAIM_TIMEOUT;
  if (raw === undefined || raw.trim() === '') return DEFAULT_CLAIM_TIMEOUT_S * 1000;
  const seconds = Number(raw);
  if (!Number.isFinite(seconds) || seconds <= 0) throw new InvalidInputError('MFLAB_CLAIM_TIMEOUT', `expected a positive number of seconds (default ${DEFAULT_CLAIM_TIMEOUT_S}), got "${raw}"`);
  return seconds * 1000;
}

/** How often an owner touches its claims: a tenth of the timeout, between 0.2 s and 30 s. */
export function heartbeatIntervalMs(timeoutMs: number): number {
  return Math.min(30_000, Math.max(200, timeoutMs / 10));
}

/** Who is asking whether a claim is stale (injectable for tests). */
export interface StalenessContext {
  now: number;
  host: string;
  pidNamespace: string;
  pid: number;
  timeoutMs: number;
  isAlive: (pid: number) => boolean;
  /** Tokens of the claims this process holds (any registry). */
  ownTokens: ReadonlySet<string>;
}

/**
 * Why a claim is stale, or null when its owner must be presumed alive. `owner` is null when the
 * file's content could not be read; `heartbeatMs` is its mtime.
 */
export function claimStaleness(owner: ClaimOwner | null, heartbeatMs: number, ctx: StalenessContext): string | null {
  const age = ctx.now - heartbeatMs;
  if (owner === null) return age > UNREADABLE_GRACE_MS ? `an unreadable claim file, ${seconds(age)} old` : null;
  if (ctx.ownTokens.has(owner.token)) return null;
  if (owner.host === ctx.host && owner.pidNamespace === ctx.pidNamespace) {
    if (owner.pid === ctx.pid) return `left by an earlier process with this pid (${owner.pid}) on ${owner.host}`;
    if (!ctx.isAlive(owner.pid)) return `its owner, process ${owner.pid} on ${owner.host}, is gone`;
  }
  // Past the timeout even a same-host owner whose pid looks alive is presumed gone: the pid may have been reused.
  if (age > ctx.timeoutMs) return `no heartbeat from process ${owner.pid} on ${owner.host} for ${seconds(age)} (MFLAB_CLAIM_TIMEOUT = ${seconds(ctx.timeoutMs)})`;
  return null;
}

const seconds = (ms: number): string => `${Math.round(ms / 1000)} s`;

export function isProcessAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as { code?: string }).code === 'EPERM';
  }
}

function errnoCode(err: unknown): string | undefined {
  return (err as { code?: string } | null)?.code;
}

/** The owner and heartbeat of a claim file; 'gone' when there is none. */
export function readClaim(file: string): { owner: ClaimOwner | null; heartbeatMs: number } | 'gone' {
  let text: string;
  let heartbeatMs: number;
  try {
    heartbeatMs = fs.statSync(file).mtimeMs;
    text = fs.readFileSync(file, 'utf8');
  } catch (err) {
    if (errnoCode(err) === 'ENOENT') return 'gone';
    throw err;
  }
  try {
    const o = JSON.parse(text) as Partial<ClaimOwner>;
    if (typeof o.pid === 'number' && typeof o.host === 'string' && typeof o.token === 'string') {
      const owner = { pid: o.pid, host: o.host, token: o.token, shard: typeof o.shard === 'string' ? o.shard : null, since: String(o.since ?? ''), pidNamespace: typeof o.pidNamespace === 'string' ? o.pidNamespace : '' };
      return { owner, heartbeatMs };
    }
  } catch {
    // unreadable content: judged by its age
  }
  return { owner: null, heartbeatMs };
}

/** The outcome of {@link ClaimRegistry.tryClaim}. */
export type ClaimAttempt = { ok: true; tookOver: string | null } | { ok: false; holder: string };

export interface ClaimRegistryOptions {
  /** Default: {@link claimTimeoutMs} of the environment. */
  timeoutMs?: number;
  /** Recorded in the claim (`I/N`). */
  shard?: string | null;
  /** Called once per claim this process lost to another (it was judged stale elsewhere). */
  onLost?: (dir: string, detail: string) => void;
}

/** Tokens of every claim held in this process (by any registry): a same-pid claim not among them is an earlier incarnation's. */
const processTokens = new Set<string>();

interface Held {
  file: string;
  token: string;
  lastTouch: number;
}

/**
 * This process's claims: takes them, keeps their heartbeat (a timer, plus {@link touch} at log
 * points), releases them. Release everything with {@link close} (idempotent).
 */
export class ClaimRegistry {
  readonly timeoutMs: number;
  readonly shard: string | null;
  readonly host = hostname();
  readonly #held = new Map<string, Held>();
  readonly #onLost: ((dir: string, detail: string) => void) | undefined;
  #timer: NodeJS.Timeout | null = null;

  constructor(options: ClaimRegistryOptions = {}) {
    this.timeoutMs = options.timeoutMs ?? claimTimeoutMs();
    this.shard = options.shard ?? null;
    this.#onLost = options.onLost;
  }

  /** The run directories this process holds. */
  get held(): string[] {
    return [...this.#held.keys()];
  }

  #context(): StalenessContext {
    return { now: Date.now(), host: this.host, pidNamespace: PID_NAMESPACE, pid: process.pid, timeoutMs: this.timeoutMs, isAlive: isProcessAlive, ownTokens: processTokens };
  }

  /**
   * Claims run directory `dir` (created if needed): succeeds when nobody holds it or its holder is
   * stale (then the stale claim and the dead owner's run lock are removed), fails naming the live
   * holder otherwise.
   */
  tryClaim(dir: string): ClaimAttempt {
    if (this.#held.has(dir)) return { ok: true, tookOver: null };
    fs.mkdirSync(dir, { recursive: true });
    const file = join(dir, CLAIM_FILE);
    let tookOver: string | null = null;
    for (let attempt = 0; attempt < 8; attempt++) {
      const owner: ClaimOwner = { pid: process.pid, host: this.host, token: randomUUID(), shard: this.shard, since: new Date().toISOString(), pidNamespace: PID_NAMESPACE };
      try {
        const fd = fs.openSync(file, 'wx', 0o644);
        try {
          fs.writeSync(fd, JSON.stringify(owner));
        } finally {
          fs.closeSync(fd);
        }
        this.#held.set(dir, { file, token: owner.token, lastTouch: Date.now() });
        processTokens.add(owner.token);
        this.#startTimer();
        return { ok: true, tookOver };
      } catch (err) {
        if (errnoCode(err) !== 'EEXIST') throw err;
      }
      const seen = readClaim(file);
      if (seen === 'gone') continue;
      const reason = claimStaleness(seen.owner, seen.heartbeatMs, this.#context());
      if (reason === null) {
        const who = seen.owner === null ? 'another process (claim being written)' : `process ${seen.owner.pid} on ${seen.owner.host}${seen.owner.shard ? ` (shard ${seen.owner.shard})` : ''}`;
        return { ok: false, holder: `${who}, heartbeat ${seconds(Date.now() - seen.heartbeatMs)} ago` };
      }
      if (breakStaleClaim(dir, file, seen.owner)) tookOver = reason;
    }
    return { ok: false, holder: 'other processes racing for it' };
  }

  /** Heartbeat of one claim (throttled): call it at the run's log points. */
  touch(dir: string): void {
    const held = this.#held.get(dir);
    if (held && Date.now() - held.lastTouch >= MIN_TOUCH_INTERVAL_MS) this.#beat(dir, held);
  }

  /** Heartbeat of every claim held. */
  heartbeat(): void {
    for (const [dir, held] of this.#held) this.#beat(dir, held);
  }

  #beat(dir: string, held: Held): void {
    held.lastTouch = Date.now();
    const seen = readClaim(held.file);
    if (seen === 'gone' || seen.owner?.token !== held.token) {
      // Taken over: this process was judged stale (paused past the timeout). Stop touching it.
      this.#held.delete(dir);
      processTokens.delete(held.token);
      this.#onLost?.(dir, seen === 'gone' ? 'its claim file was removed' : `now held by process ${seen.owner?.pid ?? '?'} on ${seen.owner?.host ?? '?'}`);
      return;
    }
    const now = new Date();
    try {
      fs.utimesSync(held.file, now, now);
    } catch {
      // a missed beat is not fatal: the next one retries, the timeout spans many beats
    }
  }

  /** Releases the claim on `dir` (only if it is still this process's). */
  release(dir: string): void {
    const held = this.#held.get(dir);
    if (!held) return;
    this.#held.delete(dir);
    processTokens.delete(held.token);
    try {
      const seen = readClaim(held.file);
      if (seen !== 'gone' && seen.owner?.token === held.token) fs.unlinkSync(held.file);
    } catch {
      // a claim that cannot be removed goes stale once this process has exited
    }
    if (this.#held.size === 0) this.#stopTimer();
  }

  /** Releases every claim and stops the heartbeat timer. */
  close(): void {
    for (const dir of [...this.#held.keys()]) this.release(dir);
    this.#stopTimer();
  }

  #startTimer(): void {
    if (this.#timer) return;
    this.#timer = setInterval(() => this.heartbeat(), heartbeatIntervalMs(this.timeoutMs));
    this.#timer.unref();
  }

  #stopTimer(): void {
    if (this.#timer) clearInterval(this.#timer);
    this.#timer = null;
  }
}

function sameOwner(a: ClaimOwner | null, b: ClaimOwner | null): boolean {
  return a === null ? b === null : b !== null && a.token === b.token;
}

/**
 * Removes a stale claim: renamed aside first, so two processes breaking it cannot both win, and
 * removed only if what was moved is the claim judged stale (a racer's fresh claim is put back).
 * The stale owner's run lock goes with it: the store trusts a lock from another host forever, and
 * a lock of this very pid (a restarted container) never looks stale to it — but a claim's owner
 * and its run's writer are one process, so a stale claim means a dead writer.
 */
function breakStaleClaim(dir: string, file: string, stale: ClaimOwner | null): boolean {
  const aside = `${file}.stale-${process.pid}-${randomUUID().slice(0, 8)}`;
  try {
    fs.renameSync(file, aside);
  } catch {
    return false; // another process broke it first
  }
  const moved = readClaim(aside);
  if (moved !== 'gone' && !sameOwner(moved.owner, stale)) {
    // A fresh claim slipped in between our read and the rename: put it back (link fails if yet another exists).
    try {
      fs.linkSync(aside, file);
    } catch {
      // its owner notices at its next heartbeat
    }
    fs.rmSync(aside, { force: true });
    return false;
  }
  fs.rmSync(aside, { force: true });
  if (stale !== null) removeRunLockOf(dir, stale);
  return true;
}

/** The store's run lock records pid and host; a claim's owner wrote it when both match. */
function removeRunLockOf(dir: string, owner: ClaimOwner): void {
  const lock = join(dir, FILES.runLock);
  try {
    const held = JSON.parse(fs.readFileSync(lock, 'utf8')) as { pid?: unknown; host?: unknown };
    if (held.pid === owner.pid && held.host === owner.host) fs.rmSync(lock, { force: true });
  } catch {
    // no lock, or not one we can read: the store's own staleness rules apply
  }
}
