import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { InvalidInputError } from '@mflab/core';
import { afterAll, describe, expect, it } from 'vitest';
import { CLAIM_FILE, ClaimRegistry, PID_NAMESPACE, claimStaleness, claimTimeoutMs, heartbeatIntervalMs, readClaim, type ClaimOwner, type StalenessContext } from './claim.js';

const root = fs.mkdtempSync(join(tmpdir(), 'mflab-claim-'));
afterAll(() => fs.rmSync(root, { recursive: true, force: true }));
let counter = 0;
const freshDir = () => join(root, `run-${counter++}`);

/** The pid of a process that has exited (so certainly not alive now). */
function deadPid(): number {
  const child = spawnSync(process.execPath, ['-e', '']);
  return child.pid as number;
}

const owner = (o: Partial<ClaimOwner>): ClaimOwner => ({ pid: 4242, host: 'node-a', token: 'tok-a', shard: '0/2', since: '', pidNamespace: 'pid:[1]', ...o });

describe('claimStaleness', () => {
  const now = 1_000_000_000;
  const ctx: StalenessContext = { now, host: 'node-a', pidNamespace: 'pid:[1]', pid: 100, timeoutMs: 300_000, isAlive: (pid) => pid === 4242, ownTokens: new Set(['mine']) };
  const cases: [string, ClaimOwner | null, number, boolean][] = [
    ['same host, owner alive, fresh heartbeat', owner({}), now - 1_000, false],
    ['same host, owner process gone', owner({ pid: 777 }), now - 1_000, true],
    ['same host, this very pid but not this process\'s token (an earlier container incarnation)', owner({ pid: 100 }), now - 1_000, true],
    ['this process\'s own claim', owner({ pid: 100, token: 'mine' }), now - 10 * 300_000, false],
    ['same host, pid alive but no heartbeat past the timeout (pid reused)', owner({}), now - 300_001, true],
    ['same host name, another pid namespace (a container with host networking): its pid is not checked here', owner({ pid: 777, pidNamespace: 'pid:[2]' }), now - 1_000, false],
    ['same host name, another pid namespace, no heartbeat past the timeout', owner({ pid: 777, pidNamespace: 'pid:[2]' }), now - 300_001, true],
    ['other host, heartbeat within the timeout', owner({ host: 'node-b', pid: 1 }), now - 299_000, false],
    ['other host, heartbeat older than the timeout (preempted node)', owner({ host: 'node-b', pid: 1 }), now - 301_000, true],
    ['unreadable claim, young (being written)', null, now - 1_000, false],
    ['unreadable claim, old', null, now - 60_000, true],
  ];
  for (const [what, o, heartbeat, stale] of cases) {
    it(`${what}: ${stale ? 'stale' : 'live'}`, () => {
      const reason = claimStaleness(o, heartbeat, ctx);
      if (stale) expect(reason).toMatch(/\S/);
      else expect(reason).toBeNull();
    });
  }

  it('the timeout comes from MFLAB_CLAIM_TIMEOUT (seconds), default 300 s; a bad value names the variable', () => {
    expect(claimTimeoutMs({})).toBe(300_000);
    expect(claimTimeoutMs({ MFLAB_CLAIM_TIMEOUT: '12.5' })).toBe(12_500);
    expect(() => claimTimeoutMs({ MFLAB_CLAIM_TIMEOUT: '0' })).toThrow(InvalidInputError);
    expect(() => claimTimeoutMs({ MFLAB_CLAIM_TIMEOUT: 'soon' })).toThrow(/^MFLAB_CLAIM_TIMEOUT: /);
    // Many beats per timeout, whatever the timeout.
    expect(heartbeatIntervalMs(300_000)).toBe(30_000);
    expect(heartbeatIntervalMs(5_000)).toBe(500);
  });
});

describe('ClaimRegistry on real files', () => {
  it('one claim per run directory: a second registry (even in this process) sees the live holder', () => {
    const dir = freshDir();
    const a = new ClaimRegistry({ timeoutMs: 60_000, shard: '0/2' });
    const b = new ClaimRegistry({ timeoutMs: 60_000 });
    try {
      expect(a.tryClaim(dir)).toEqual({ ok: true, tookOver: null });
      const second = b.tryClaim(dir);
      expect(second.ok).toBe(false);
      expect(second.ok ? '' : second.holder).toContain(`process ${process.pid} on ${hostname()} (shard 0/2)`);
      const seen = readClaim(join(dir, CLAIM_FILE));
      expect(seen !== 'gone' && seen.owner).toMatchObject({ pid: process.pid, host: hostname(), shard: '0/2' });
      a.release(dir);
      expect(fs.existsSync(join(dir, CLAIM_FILE))).toBe(false);
      expect(b.tryClaim(dir).ok).toBe(true);
    } finally {
      a.close();
      b.close();
    }
  });

  it("takes over a dead same-host owner's claim and removes that owner's run lock (not anyone else's)", () => {
    const pid = deadPid();
    const dir = freshDir();
    fs.mkdirSync(dir, { recursive: true });
    fs.writeFileSync(join(dir, CLAIM_FILE), JSON.stringify(owner({ pid, host: hostname(), token: 'dead', pidNamespace: PID_NAMESPACE })));
    fs.writeFileSync(join(dir, '.run.lock'), JSON.stringify({ pid, host: hostname(), time: '' }));
    const other = freshDir();
    fs.mkdirSync(other, { recursive: true });
    fs.writeFileSync(join(other, CLAIM_FILE), JSON.stringify(owner({ pid, host: hostname(), token: 'dead2', pidNamespace: PID_NAMESPACE })));
    fs.writeFileSync(join(other, '.run.lock'), JSON.stringify({ pid: process.pid, host: hostname(), time: '' }));
    const registry = new ClaimRegistry({ timeoutMs: 60_000 });
    try {
      const attempt = registry.tryClaim(dir);
      expect(attempt.ok && attempt.tookOver).toMatch(new RegExp(`process ${pid} .* is gone`));
      expect(fs.existsSync(join(dir, '.run.lock'))).toBe(false);
      expect(registry.tryClaim(other).ok).toBe(true);
      expect(fs.existsSync(join(other, '.run.lock'))).toBe(true); // a different owner's lock stays
      // Nothing renamed aside is left behind.
      expect(fs.readdirSync(dir).filter((f) => f.includes('stale'))).toEqual([]);
    } finally {
      registry.close();
    }
  });

  it('another host\'s claim is honoured until its heartbeat is older than the timeout', () => {
    const dir = freshDir();
    fs.mkdirSync(dir, { recursive: true });
    const file = join(dir, CLAIM_FILE);
    fs.writeFileSync(file, JSON.stringify(owner({ host: `not-${hostname()}`, pid: process.pid })));
    const registry = new ClaimRegistry({ timeoutMs: 60_000 });
    try {
      const fresh = registry.tryClaim(dir);
      expect(fresh.ok).toBe(false);
      const old = new Date(Date.now() - 61_000);
      fs.utimesSync(file, old, old);
      const taken = registry.tryClaim(dir);
      expect(taken.ok && taken.tookOver).toMatch(/no heartbeat .* for 61 s \(MFLAB_CLAIM_TIMEOUT = 60 s\)/);
    } finally {
      registry.close();
    }
  });

  it('the heartbeat moves the mtime forward; a claim taken over meanwhile is reported lost, not touched', () => {
    const dir = freshDir();
    const lost: string[] = [];
    const registry = new ClaimRegistry({ timeoutMs: 60_000, onLost: (d, detail) => lost.push(`${d}: ${detail}`) });
    try {
      expect(registry.tryClaim(dir).ok).toBe(true);
      const file = join(dir, CLAIM_FILE);
      const old = new Date(Date.now() - 30_000);
      fs.utimesSync(file, old, old);
      registry.heartbeat();
      expect(Date.now() - fs.statSync(file).mtimeMs).toBeLessThan(10_000);

      fs.writeFileSync(file, JSON.stringify(owner({ host: 'node-b', token: 'theirs' })));
      fs.utimesSync(file, old, old);
      registry.heartbeat();
      expect(lost).toEqual([`${dir}: now held by process 4242 on node-b`]);
      expect(registry.held).toEqual([]);
      expect(Math.abs(fs.statSync(file).mtimeMs - old.getTime())).toBeLessThan(1_000); // their claim's heartbeat is theirs to give
      registry.release(dir);
      expect(fs.existsSync(file)).toBe(true); // and not ours to remove
    } finally {
      registry.close();
    }
  });
});
