import { spawnSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { parseAllDocuments } from 'yaml';
import { expandGrid } from '../config/grid.js';
import { validateConfig } from '../config/validate.js';
import { emitKubernetes, emitSlurm, kubernetesName, runMemoryBytes, shardResources, shellQuote, type EmitOptions } from './emit.js';

const hasBash = spawnSync('bash', ['-c', 'true']).status === 0;

describe('memory estimate', () => {
  it('runMemoryBytes follows its stated formula (hand-computed for one config)', () => {
    // f64 (b = 8), d = 3 with bias (D = 4), m = 512, n = 1000, nTest = 200, NTK probe p = 16.
    const config = validateConfig({ data: { d: 3, n: 1000, nTest: 200 }, model: { width: 512 }, train: { precision: 'f64' }, log: { ntk: { every: 10, probe: 16 } } });
    const parameters = 512 * 5 * (32 + 24); // 143 360
    const data = 1200 * 5 * 16; // 96 000
    const perSample = 8 * 1000 * (4 + 2); // 48 000
    const ntk = 8 * 16 * 512 * 5 + 8 * 256; // 329 728
    expect(runMemoryBytes(config)).toBe(parameters + data + perSample + ntk);
    // f32 halves the working copies; no NTK probe without ntk.every.
    const f32 = validateConfig({ data: { d: 3, n: 1000, nTest: 200 }, model: { width: 512 }, train: { precision: 'f32' }, log: { ntk: { every: 0 } } });
    expect(runMemoryBytes(f32)).toBe(512 * 5 * (32 + 12) + 1200 * 5 * 12 + perSample);
  });

  it('a shard gets base + threads + its largest runs, in 64 MiB steps, the same for every task', () => {
    const cells = expandGrid({ data: { n: 4096, nTest: 0 }, log: { ntk: { every: 0 } }, grid: { 'model.width': [1024, 262144] } });
    const one = shardResources(cells, 2, 1);
    const big = (1.5 * runMemoryBytes(cells[1].config)) / 2 ** 20;
    expect(one.cpus).toBe(1);
    expect(one.memoryMiB % 64).toBe(0);
    expect(one.memoryMiB).toBeGreaterThanOrEqual(256 + 48 + big);
    expect(one.memoryMiB).toBeLessThan(256 + 48 + big + 64);
    // Two threads on one shard hold both runs at once.
    const both = shardResources(cells, 1, 2);
    expect(both).toEqual({ cpus: 2, memoryMiB: Math.ceil((256 + 96 + (1.5 * (runMemoryBytes(cells[0].config) + runMemoryBytes(cells[1].config))) / 2 ** 20) / 64) * 64 });
  });
});

const options: EmitOptions = {
  name: 'widths',
  configPath: "/shared/it's here/widths.yaml",
  out: '/shared/studies/widths',
  cells: 12,
  shards: 4,
  resources: { cpus: 2, memoryMiB: 512 },
  command: 'node /opt/mflab/cli.js',
  extraArgs: ['--precision', 'f64'],
  claimTimeoutSeconds: 120,
  time: '01:00:00',
  configText: 'name: widths\ngrid: { seed: [0, 1] }\n',
};

describe('--emit slurm', () => {
  const script = emitSlurm(options);

  it('an sbatch array 0-(N-1) with the resources, requeue, and the sweep command', () => {
    const directives = script.split('\n').filter((l) => l.startsWith('#SBATCH'));
    expect(directives).toEqual(
      expect.arrayContaining(['#SBATCH --array=0-3', '#SBATCH --cpus-per-task=2', '#SBATCH --mem=512M', '#SBATCH --requeue', '#SBATCH --time=01:00:00', '#SBATCH --job-name=mflab-widths']),
    );
    expect(script.startsWith('#!/bin/bash\n')).toBe(true);
    expect(script).toContain('export MFLAB_SHARDS=4\n');
    expect(script).toContain('export MFLAB_CLAIM_TIMEOUT=120\n');
    expect(script).toContain(`exec node /opt/mflab/cli.js sweep '/shared/it'\\''s here/widths.yaml' --out /shared/studies/widths --shards 4 --workers 2 --precision f64\n`);
    // Every #SBATCH line comes before the first command (sbatch stops reading directives there).
    const lines = script.split('\n');
    const firstCommand = lines.findIndex((l) => l !== '' && !l.startsWith('#'));
    expect(lines.slice(firstCommand).some((l) => l.startsWith('#SBATCH'))).toBe(false);
  });

  it.skipIf(!hasBash)('is valid bash (bash -n), and shellQuote round-trips awkward words', () => {
    expect(spawnSync('bash', ['-n'], { input: script }).status).toBe(0);
    for (const word of ["it's", 'a b', '$HOME', 'x"y', 'plain/path.yaml', '']) {
      const echoed = spawnSync('bash', ['-c', `printf %s ${shellQuote(word)}`], { encoding: 'utf8' });
      expect(echoed.stdout).toBe(word);
    }
  });
});

describe('--emit k8s', () => {
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- untyped YAML read back for inspection
  const docs = parseAllDocuments(emitKubernetes({ ...options, image: 'registry.example/mflab:0.1.0', volumeClaim: 'studies' })).map((d) => d.toJS() as Record<string, any>);

  it('a ConfigMap with the config and an Indexed Job of N completions', () => {
    expect(docs.map((d) => d.kind)).toEqual(['ConfigMap', 'Job']);
    const [configMap, job] = docs;
    expect(configMap.data).toEqual({ "widths.yaml": options.configText });
    expect(job.spec).toMatchObject({ completionMode: 'Indexed', completions: 4, parallelism: 4 });
    const pod = job.spec.template.spec;
    expect(pod.restartPolicy).toBe('Never');
    const container = pod.containers[0];
    expect(container.image).toBe('registry.example/mflab:0.1.0');
    expect(container.command).toEqual(['node', '/opt/mflab/cli.js', 'sweep', '/etc/mflab/widths.yaml', '--out', '/shared/studies/widths', '--shards', '4', '--workers', '2', '--precision', 'f64']);
    expect(container.env).toEqual([
      { name: 'MFLAB_SHARDS', value: '4' },
      { name: 'MFLAB_CLAIM_TIMEOUT', value: '120' },
    ]);
    expect(container.resources.requests).toEqual({ cpu: '2', memory: '512Mi' });
    expect(container.resources.limits).toEqual(container.resources.requests);
    expect(emitKubernetes(options)).not.toMatch(/[&*]a1/); // no YAML anchors
    expect(container.volumeMounts).toContainEqual({ name: 'studies', mountPath: '/shared/studies' });
    expect(pod.volumes).toContainEqual({ name: 'studies', persistentVolumeClaim: { claimName: 'studies' } });
    // Preemption does not use up the retries.
    expect(job.spec.podFailurePolicy.rules[0]).toEqual({ action: 'Ignore', onPodConditions: [{ type: 'DisruptionTarget' }] });
  });

  it('names are valid Kubernetes names', () => {
    expect(kubernetesName('Widths_Study.v2')).toBe('widths-study-v2');
    expect(kubernetesName('---')).toBe('study');
    expect(kubernetesName('a'.repeat(80)).length).toBe(52);
    expect(docs[1].metadata.name).toMatch(/^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/);
  });
});
