/**
 * `mflab sweep --emit slurm` against a real Slurm (issue #8): a one-node cluster on this machine
 * (munged, slurmctld and slurmd as root, with a slurm.conf, state, spool, logs and munge key under
 * a temporary directory, on free ports), the emitted job array submitted with sbatch, waited for,
 * and its study compared bit for bit with the same sweep run in one process. The daemons are
 * stopped in afterAll, whatever happened.
 *
 * Needs Debian's `slurm-wlm` and `munge` (`.ci/run` installs them) and root; without them the test
 * is skipped, with the reason in its name.
 */
import { spawnSync, type SpawnSyncReturns } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { availableParallelism, hostname, tmpdir, totalmem } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CLI_PATH, STACK_LINE, assertCliBuilt, readArrow, readRunJson, runCli, tempWorkspace, valueBytes } from './helpers/cli.js';

const SEARCH_PATH = `${process.env.PATH ?? ''}:/usr/sbin:/sbin:/usr/bin`;
const which = (name: string): string | null => {
  const found = spawnSync('sh', ['-c', `command -v ${name}`], { encoding: 'utf8', env: { ...process.env, PATH: SEARCH_PATH } });
  return found.status === 0 ? found.stdout.trim() : null;
};
const TOOLS = ['munged', 'slurmctld', 'slurmd', 'sbatch', 'squeue', 'scontrol', 'sinfo', 'scancel'] as const;
const tool = Object.fromEntries(TOOLS.map((t) => [t, which(t)])) as Record<(typeof TOOLS)[number], string | null>;
const missing = TOOLS.filter((t) => tool[t] === null);
const isRoot = process.getuid?.() === 0;
const skipReason = missing.length > 0 ? `no ${missing.join(', ')} (apt-get install slurm-wlm munge)` : !isRoot ? 'not root (the test runs slurmctld and slurmd as SlurmUser=root)' : null;
if (skipReason) console.log(`slurm: skipped: ${skipReason}`);

const GRID_YAML = `name: slurmgrid
data: { kind: teacher, d: 2, n: 32, nTest: 8 }
model: { width: 16 }
train: { steps: 300, lr: 0.05 }
log: { every: 20, particles: { every: 100, count: 4 }, checkpointEvery: 100 }
grid:
  model.width: [8, 16, 32]
  seed: [0, 1]
`;
const SHARDS = 3;
const JOB_TIMEOUT_MS = 60_000;


const quote = (word: string): string => `'${word.replace(/'/g, `'\\''`)}'`;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

function pidIn(file: string): number | null {
  try {
    const pid = Number(readFileSync(file, 'utf8').trim());
    return Number.isInteger(pid) && pid > 0 ? pid : null;
  } catch {
    return null;
  }
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** A one-node Slurm cluster (plus munged) under `root`, started by this test and stopped by it. */
class LocalSlurm {
  readonly conf: string;
  readonly env: NodeJS.ProcessEnv;
  readonly node = hostname().split('.')[0];
  private readonly pidFiles: string[];
  private readonly mungeSocket: string;
  private readonly jobs: string[] = [];

  constructor(readonly root: string) {
    this.conf = join(root, 'slurm.conf');
    this.mungeSocket = join(root, 'munge', 'munge.socket');
    this.pidFiles = ['slurmd.pid', 'slurmctld.pid', 'munge/munged.pid'].map((f) => join(root, f));
    // The jobs inherit this environment (sbatch --export=ALL): nothing that would pick a shard for them.
    const env: NodeJS.ProcessEnv = { ...process.env, PATH: SEARCH_PATH, SLURM_CONF: this.conf, NO_COLOR: '1' };
    for (const name of Object.keys(env)) if ((name.startsWith('SLURM_') && name !== 'SLURM_CONF') || name.startsWith('MFLAB_') || name === 'JOB_COMPLETION_INDEX') delete env[name];
    this.env = env;
  }

  private run(command: string, args: string[]): SpawnSyncReturns<string> {
    return spawnSync(command, args, { encoding: 'utf8', env: this.env, cwd: this.root, timeout: 30_000 });
  }

  private logs(): string {
    const dir = join(this.root, 'log');
    return readdirSync(dir)
      .map((f) => `--- ${f}\n${readFileSync(join(dir, f), 'utf8').split('\n').slice(-15).join('\n')}`)
      .join('\n');
  }

  async start(): Promise<void> {
    for (const dir of ['munge', 'state', 'spool', 'log']) mkdirSync(join(this.root, dir), { mode: 0o700 });
    // munged wants a private key file (≥ 32 bytes) owned by its user.
    writeFileSync(join(this.root, 'munge', 'munge.key'), randomBytes(1024), { mode: 0o600 });
    const munged = this.run(tool.munged!, [
      '--force',
      `--socket=${this.mungeSocket}`,
      `--key-file=${join(this.root, 'munge', 'munge.key')}`,
      `--log-file=${join(this.root, 'log', 'munged.log')}`,
      `--pid-file=${join(this.root, 'munge', 'munged.pid')}`,
      `--seed-file=${join(this.root, 'munge', 'munged.seed')}`,
    ]);
    if (munged.status !== 0) throw new Error(`munged did not start: ${munged.stderr}`);
    const [ctldPort, slurmdPort] = [await freePort(), await freePort()];
    const cpus = Math.min(2, availableParallelism());
    const memoryMiB = Math.floor((0.8 * totalmem()) / 2 ** 20);
    writeFileSync(
      this.conf,
      [
        'ClusterName=mflabtest',
        `SlurmctldHost=${this.node}(127.0.0.1)`,
        `SlurmctldPort=${ctldPort}`,
        `SlurmdPort=${slurmdPort}`,
        'AuthType=auth/munge',
        'CredType=cred/munge',
        `AuthInfo=socket=${this.mungeSocket}`,
        'SlurmUser=root',
        'SlurmdUser=root',
        `StateSaveLocation=${join(this.root, 'state')}`,
        `SlurmdSpoolDir=${join(this.root, 'spool')}`,
        `SlurmctldPidFile=${this.pidFiles[1]}`,
        `SlurmdPidFile=${this.pidFiles[0]}`,
        `SlurmctldLogFile=${join(this.root, 'log', 'slurmctld.log')}`,
        `SlurmdLogFile=${join(this.root, 'log', 'slurmd.log')}`,
        // No cgroups, no accounting daemon: what runs in a container.
        'ProctrackType=proctrack/linuxproc',
        'TaskPlugin=task/none',
        'JobAcctGatherType=jobacct_gather/none',
        'AccountingStorageType=accounting_storage/none',
        'JobCompType=jobcomp/none',
        'SchedulerType=sched/builtin',
        'SelectType=select/cons_tres',
        'SelectTypeParameters=CR_CPU',
        'MpiDefault=none',
        'ReturnToService=2',
        'MinJobAge=600',
        `NodeName=${this.node} NodeAddr=127.0.0.1 CPUs=${cpus} RealMemory=${memoryMiB} State=UNKNOWN`,
        `PartitionName=debug Nodes=${this.node} Default=YES MaxTime=INFINITE State=UP`,
        '',
      ].join('\n'),
    );
    for (const daemon of [tool.slurmctld!, tool.slurmd!]) {
      const started = this.run(daemon, ['-f', this.conf]);
      if (started.status !== 0) throw new Error(`${daemon} did not start (${started.stderr.trim()})\n${this.logs()}`);
    }
    const deadline = Date.now() + 30_000;
    while (true) {
      const state = this.run(tool.sinfo!, ['-h', '-o', '%T']).stdout.trim();
      if (state === 'idle') return;
      if (Date.now() > deadline) throw new Error(`the node did not become idle (sinfo: "${state}")\n${this.logs()}`);
      await sleep(250);
    }
  }

  /** sbatch SCRIPT from `cwd`; returns the job id. */
  submit(script: string, cwd: string): string {
    const result = spawnSync(tool.sbatch!, ['--parsable', script], { encoding: 'utf8', env: this.env, cwd });
    if (result.status !== 0) throw new Error(`sbatch failed: ${result.stderr.trim()}`);
    const id = result.stdout.trim().split(';')[0];
    this.jobs.push(id);
    return id;
  }

  /** Waits until the job (every array task) has left the queue. */
  async waitFor(jobId: string, timeoutMs: number): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (true) {
      const queue = this.run(tool.squeue!, ['-h', '-j', jobId, '-o', '%i %T']);
      // squeue exits non-zero once the job id is unknown (finished and purged): gone either way.
      if (queue.status !== 0 || queue.stdout.trim() === '') return;
      if (Date.now() > deadline) throw new Error(`job ${jobId} still queued after ${timeoutMs} ms:\n${queue.stdout}\n${this.logs()}`);
      await sleep(250);
    }
  }

  /** Each array task's final state and exit code, from `scontrol show job`. */
  taskStates(jobId: string): { task: number; state: string; exit: string }[] {
    const shown = this.run(tool.scontrol!, ['show', 'job', jobId, '-o']).stdout;
    return shown
      .split('\n')
      .filter((line) => line.includes('JobState='))
      .map((line) => ({ task: Number(/ArrayTaskId=(\d+)/.exec(line)?.[1] ?? -1), state: /JobState=(\S+)/.exec(line)?.[1] ?? '?', exit: /ExitCode=(\S+)/.exec(line)?.[1] ?? '?' }))
      .sort((a, b) => a.task - b.task);
  }

  /** Cancels our jobs, shuts the daemons down, and ends whatever of them (by their pid files) is left. */
  async stop(): Promise<void> {
    for (const id of this.jobs) this.run(tool.scancel!, [id]);
    this.run(tool.scontrol!, ['shutdown']);
    spawnSync(tool.munged!, ['--stop', `--socket=${this.mungeSocket}`], { timeout: 10_000 });
    const pids = this.pidFiles.map(pidIn).filter((p): p is number => p !== null);
    const deadline = Date.now() + 10_000;
    while (pids.some(alive) && Date.now() < deadline) await sleep(100);
    for (const pid of pids.filter(alive)) {
      try {
        process.kill(pid, 'SIGKILL');
      } catch {
        // already gone
      }
    }
  }
}

let slurm: LocalSlurm | null = null;
let ws: ReturnType<typeof tempWorkspace> | null = null;
let root: string | null = null;

beforeAll(async () => {
  if (skipReason) return;
  assertCliBuilt();
  ws = tempWorkspace('slurm');
  root = mkdtempSync(join(tmpdir(), 'mflab-slurmd-'));
  chmodSync(root, 0o700);
  slurm = new LocalSlurm(root);
  await slurm.start();
}, 60_000);

afterAll(async () => {
  try {
    await slurm?.stop();
  } finally {
    if (root) rmSync(root, { recursive: true, force: true });
    ws?.dispose();
  }
}, 30_000);

describe('mflab sweep --emit slurm on a real Slurm', () => {
  it.skipIf(skipReason !== null)(
    skipReason ? `the emitted job array gives the one-process study (skipped: ${skipReason})` : 'the emitted job array (3 tasks) gives the one-process study bit for bit',
    async () => {
      const w = ws!;
      w.write('grid.yaml', GRID_YAML);
      const reference = await runCli(['sweep', 'grid.yaml', '--workers', '1', '--out', 'one'], { cwd: w.dir });
      expect(reference.status, reference.stderr).toBe(0);

      const emitted = await runCli(['sweep', 'grid.yaml', '--emit', 'slurm', '--shards', String(SHARDS), '--workers', '1', '--out', 'study', '--command', `${quote(process.execPath)} ${quote(CLI_PATH)}`], { cwd: w.dir });
      expect(emitted.stderr).not.toMatch(STACK_LINE);
      expect(emitted.status, emitted.stderr).toBe(0);
      expect(emitted.stdout).toMatch(/^#SBATCH --array=0-2$/m);
      w.write('job.sh', emitted.stdout);

      const jobId = slurm!.submit('job.sh', w.dir);
      await slurm!.waitFor(jobId, JOB_TIMEOUT_MS);
      const outputs = readdirSync(w.dir).filter((f) => f.startsWith(`mflab-slurmgrid-${jobId}_`));
      const logs = outputs.map((f) => `--- ${f}\n${readFileSync(w.path(f), 'utf8')}`).join('\n');
      expect(slurm!.taskStates(jobId), logs).toEqual([0, 1, 2].map((task) => ({ task, state: 'COMPLETED', exit: '0:0' })));
      expect(outputs).toHaveLength(SHARDS);
      for (let task = 0; task < SHARDS; task++) {
        const log = readFileSync(w.path(`mflab-slurmgrid-${jobId}_${task}.out`), 'utf8');
        // Each task found its shard in SLURM_ARRAY_TASK_ID and ran its 2 of the 6 runs.
        expect(log, logs).toMatch(new RegExp(`shard ${task}/${SHARDS} from SLURM_ARRAY_TASK_ID=${task} of ${SHARDS}`));
        expect(log, logs).toMatch(/^2 done in /m);
      }

      const runs = readdirSync(w.path('one'))
        .filter((d) => d.startsWith('model.width='))
        .flatMap((d) => readdirSync(w.path('one', d)).map((s) => `${d}/${s}`));
      expect(runs).toHaveLength(6);
      for (const id of runs) {
        expect(readRunJson(w.path('study', id)).status, id).toBe('done');
        for (const stream of ['metrics.arrows', 'particles.arrows']) expect(valueBytes(readArrow(w.path('study', id, stream))), `${id}/${stream}`).toEqual(valueBytes(readArrow(w.path('one', id, stream))));
        for (const file of ['outputs.arrow', 'checkpoint.arrow']) expect(readFileSync(w.path('study', id, file)).equals(readFileSync(w.path('one', id, file))), `${id}/${file}`).toBe(true);
        expect(existsSync(w.path('study', id, '.claim'))).toBe(false);
      }
      expect(valueBytes(readArrow(w.path('study', 'index.arrow')))).toEqual(valueBytes(readArrow(w.path('one', 'index.arrow'))));
    },
    90_000,
  );
});
