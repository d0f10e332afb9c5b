/**
 * `mflab sweep CONFIG --emit slurm|k8s`: a ready job script — a Slurm job array or a Kubernetes
 * Indexed Job — with one array task per shard, its resources sized from the grid. Each task runs
 * `mflab sweep CONFIG --out DIR --shards N`, which finds its shard in the environment
 * (SLURM_ARRAY_TASK_ID, JOB_COMPLETION_INDEX; see shards.ts). docs/cluster.md walks through both.
 */
import { basename } from 'node:path';
import { stringify } from 'yaml';
import { equivalentWidth } from '@mflab/core';
import type { AppConfig } from '../config/schema.js';
import type { GridCell } from '../config/grid.js';
import { partitionByCost, runCost } from './shards.js';
import { nominalDataSize } from '../config/validate.js';

const MiB = 1024 * 1024;
/** A Node process with the CLI, apache-arrow and the pool loaded, before any run. */
export const PROCESS_BASE_MIB = 256;
/** One pool thread: its V8 isolate and wasm kernel instance. */
export const THREAD_BASE_MIB = 48;
/** Headroom over the counted arrays: GC slack, Arrow encoding copies, transient buffers. */
export const MEMORY_HEADROOM = 1.5;

/**
 * The bytes one run holds, from its config (b = 4 for f32, 8 for f64; D = d + 1 with a bias):
 *   parameters   m·(D+1)·(32 + 3b)       params and initial params in float64, their checkpoint
 *                                         copies, and the kernel's working copies (params, velocity, init) in b
 *   data         (n + nTest)·(D+1)·(8 + b)   inputs and labels in float64 plus the kernel's copy
 *   per sample   8·n·(4 + ⌈m/256⌉)      f, residual, scratch, and one partial output per neuron block (§3)
 *   NTK probe    8·p·m·(D+1) + 8·p²     per-neuron gradients on the probe set and K (when log.ntk.every > 0)
 * For csv/arrow data, n and d are the config's values (the file is not read).
 */
export function runMemoryBytes(config: AppConfig): number {
  const b = config.train.precision === 'f64' ? 8 : 4;
  const d = config.data.d ?? 2;
  const D = d + (config.model.bias ? 1 : 0);
  const m = equivalentWidth(config.model, D, 1);
  const { n, nTest } = nominalDataSize(config);
  const parameters = m * (D + 1) * (32 + 3 * b);
  const data = (n + nTest) * (D + 1) * (8 + b);
  const perSample = 8 * n * (4 + Math.ceil(m / 256));
  const p = config.log.ntk.probe;
  const ntk = config.log.ntk.every > 0 ? 8 * p * m * (D + 1) + 8 * p * p : 0;
  return parameters + data + perSample + ntk;
}

/** Resources of one array task (every task gets the same: those of the heaviest shard). */
export interface ShardResources {
  cpus: number;
  memoryMiB: number;
}

/**
 * CPUs = the threads of one shard (`--workers`). Memory (MiB) = PROCESS_BASE_MIB + THREAD_BASE_MIB · threads
 * + MEMORY_HEADROOM · (the `threads` largest runs of the shard, which may run side by side),
 * maximised over the shards and rounded up to a multiple of 64 MiB.
 */
export function shardResources(cells: readonly GridCell[], shards: number, threads: number): ShardResources {
  const shardOf = partitionByCost(cells.map(runCost), shards);
  let worst = 0;
  for (let s = 0; s < shards; s++) {
    const sizes = cells.filter((_, i) => shardOf[i] === s).map((c) => runMemoryBytes(c.config)).sort((x, y) => y - x);
    worst = Math.max(worst, sizes.slice(0, threads).reduce((sum, x) => sum + x, 0));
  }
  const mib = PROCESS_BASE_MIB + THREAD_BASE_MIB * threads + (MEMORY_HEADROOM * worst) / MiB;
  return { cpus: threads, memoryMiB: Math.ceil(mib / 64) * 64 };
}

export interface EmitOptions {
  /** The study's name (job names). */
  name: string;
  /** The config file, absolute (Slurm: on the shared file system). */
  configPath: string;
  /** The study directory, absolute, on storage every task shares. */
  out: string;
  cells: number;
  shards: number;
  resources: ShardResources;
  /** How a task runs mflab (default `npx mflab`). */
  command?: string;
  /** More arguments for every task's `mflab sweep` (e.g. `--precision f64`). */
  extraArgs?: readonly string[];
  /** Exported to every task when set. */
  claimTimeoutSeconds?: number;
  /** Slurm: `--time` and `--partition`. */
  time?: string;
  partition?: string;
  /** Kubernetes: the container image (with mflab installed) and the ReadWriteMany volume claim holding the study. */
  image?: string;
  volumeClaim?: string;
  /** Kubernetes: the config's text, shipped as a ConfigMap. */
  configText?: string;
}

export const DEFAULT_COMMAND = 'npx mflab';

/** A word for a POSIX shell: quoted unless plainly safe. */
export function shellQuote(word: string): string {
  return /^[A-Za-z0-9_./:=@%+-]+$/.test(word) ? word : `'${word.replace(/'/g, `'\\''`)}'`;
}

/** An sbatch script: one array task per shard, `--array=0-(N-1)`. */
export function emitSlurm(o: EmitOptions): string {
  const command = o.command ?? DEFAULT_COMMAND;
  const jobName = `mflab-${o.name}`.replace(/[^A-Za-z0-9._-]/g, '-');
  const lines = [
    '#!/bin/bash',
    `# mflab sweep "${o.name}": ${o.cells} runs in ${o.shards} shard${o.shards === 1 ? '' : 's'}, one Slurm array task each.`,
    `# Generated by \`mflab sweep --emit slurm\`. Submit from any directory on the shared file system:`,
    `#   sbatch this-file.sh`,
    `# A requeued or resubmitted task (sbatch --array=I this-file.sh) skips the finished runs of its`,
    `# shard and continues interrupted ones from their checkpoints; \`mflab sweep status ${o.out}\` shows where it stands.`,
    `#SBATCH --job-name=${jobName}`,
    `#SBATCH --array=0-${o.shards - 1}`,
    '#SBATCH --ntasks=1',
    `#SBATCH --cpus-per-task=${o.resources.cpus}`,
    `# memory: a Node process, ${o.resources.cpus} pool thread(s) and the largest runs of a shard (see docs/cluster.md)`,
    `#SBATCH --mem=${o.resources.memoryMiB}M`,
    `#SBATCH --output=${jobName}-%A_%a.out`,
    '#SBATCH --open-mode=append',
    '#SBATCH --requeue',
    ...(o.time ? [`#SBATCH --time=${o.time}`] : []),
    ...(o.partition ? [`#SBATCH --partition=${o.partition}`] : []),
    'set -euo pipefail',
    `export MFLAB_SHARDS=${o.shards}`,
    ...(o.claimTimeoutSeconds !== undefined ? [`export MFLAB_CLAIM_TIMEOUT=${o.claimTimeoutSeconds}`] : []),
    'echo "mflab: shard ${SLURM_ARRAY_TASK_ID:-?} of ${MFLAB_SHARDS} on $(hostname), job ${SLURM_ARRAY_JOB_ID:-?}"',
    `exec ${command} sweep ${shellQuote(o.configPath)} --out ${shellQuote(o.out)} --shards ${o.shards} --workers ${o.resources.cpus}${(o.extraArgs ?? []).map((a) => ` ${shellQuote(a)}`).join('')}`,
    '',
  ];
  return lines.join('\n');
}

/** A Kubernetes name: lowercase letters, digits and '-', at most `max` characters. */
export function kubernetesName(name: string, max = 52): string {
  const clean = name
    .toLowerCase()
    .replace(/[^a-z0-9-]+/g, '-')
    .replace(/^-+|-+$/g, '');
  return (clean.slice(0, max).replace(/-+$/, '') || 'study');
}

/**
 * A ConfigMap with the config and an Indexed Job (`completions = parallelism = N`), each pod one
 * shard (`JOB_COMPLETION_INDEX`), the study on a ReadWriteMany volume claim mounted at the study
 * directory's parent. Pods evicted by a disruption (preemption, node drain) do not count against
 * the backoff limit (podFailurePolicy, Kubernetes ≥ 1.26); their replacements resume.
 */
export function emitKubernetes(o: EmitOptions): string {
  const base = `mflab-${kubernetesName(o.name)}`;
  const configFile = basename(o.configPath);
  const mountDir = o.out.replace(/\/[^/]+\/?$/, '') || '/';
  const command = (o.command ?? DEFAULT_COMMAND).split(/\s+/).filter((w) => w !== '');
  const env = [{ name: 'MFLAB_SHARDS', value: String(o.shards) }, ...(o.claimTimeoutSeconds !== undefined ? [{ name: 'MFLAB_CLAIM_TIMEOUT', value: String(o.claimTimeoutSeconds) }] : [])];
  const resources = { cpu: String(o.resources.cpus), memory: `${o.resources.memoryMiB}Mi` };
  const configMap = {
    apiVersion: 'v1',
    kind: 'ConfigMap',
    metadata: { name: `${base}-config`, labels: { app: 'mflab', study: kubernetesName(o.name, 63) } },
    data: { [configFile]: o.configText ?? '' },
  };
  const job = {
    apiVersion: 'batch/v1',
    kind: 'Job',
    metadata: { name: base, labels: { app: 'mflab', study: kubernetesName(o.name, 63) } },
    spec: {
      completionMode: 'Indexed',
      completions: o.shards,
      parallelism: o.shards,
      backoffLimit: 3 * o.shards,
      podFailurePolicy: { rules: [{ action: 'Ignore', onPodConditions: [{ type: 'DisruptionTarget' }] }] },
      template: {
        metadata: { labels: { app: 'mflab', study: kubernetesName(o.name, 63) } },
        spec: {
          restartPolicy: 'Never',
          containers: [
            {
              name: 'mflab',
              image: o.image ?? 'mflab:latest',
              command: [...command, 'sweep', `/etc/mflab/${configFile}`, '--out', o.out, '--shards', String(o.shards), '--workers', String(o.resources.cpus), ...(o.extraArgs ?? [])],
              env,
              resources: { requests: resources, limits: resources },
              volumeMounts: [
                { name: 'config', mountPath: '/etc/mflab', readOnly: true },
                { name: 'studies', mountPath: mountDir },
              ],
            },
          ],
          volumes: [
            { name: 'config', configMap: { name: `${base}-config` } },
            { name: 'studies', persistentVolumeClaim: { claimName: o.volumeClaim ?? 'mflab-studies' } },
          ],
        },
      },
    },
  };
  const header = [
    `# mflab sweep "${o.name}": ${o.cells} runs in ${o.shards} shard${o.shards === 1 ? '' : 's'}, one pod per completion index.`,
    '# Generated by `mflab sweep --emit k8s`. Apply with: kubectl apply -f this-file.yaml',
    `# The study directory ${o.out} lives on the ReadWriteMany volume claim "${o.volumeClaim ?? 'mflab-studies'}" (mounted at ${mountDir}).`,
  ].join('\n');
  // No YAML anchors (the same resources object twice): plain documents read more easily.
  const yaml = (doc: unknown) => stringify(doc, { lineWidth: 0, aliasDuplicateObjects: false });
  return `${header}\n${yaml(configMap)}---\n${yaml(job)}`;
}
