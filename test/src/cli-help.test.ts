/**
 * Help and commands (issue #6): `--help` of `mflab` and of every command exits 0 with a usage
 * line and at least one example; no command or an unknown command is bad usage (exit 2);
 * `mflab bench --quick` measures and prints its table.
 */
import { beforeAll, afterAll, describe, expect, it } from 'vitest';
import { STACK_LINE, assertCliBuilt, linesOf, runCli, tempWorkspace } from './helpers/cli.js';

const COMMANDS = ['run', 'sweep', 'report', 'inspect', 'bench', 'default'];

let ws: ReturnType<typeof tempWorkspace>;
beforeAll(() => {
  assertCliBuilt();
  ws = tempWorkspace('help');
});
afterAll(() => ws?.dispose());

/** An example is a command line to copy: an indented line starting with `mflab ` after an "Example(s):" heading. */
function examplesIn(help: string): string[] {
  const at = help.search(/^Examples?:/m);
  if (at < 0) return [];
  return help
    .slice(at)
    .split('\n')
    .filter((line) => /^\s+mflab \S/.test(line));
}

describe('mflab --help and the help of every command', () => {
  it('mflab --help: exit 0, usage, the commands and examples', async () => {
    const result = await runCli(['--help'], { cwd: ws.dir });
    expect(result.status).toBe(0);
    expect(result.stdout).toMatch(/^Usage: mflab /m);
    for (const command of COMMANDS) expect(result.stdout).toMatch(new RegExp(`^\\s+${command}\\s`, 'm'));
    expect(result.stdout).toMatch(/Examples?:/);
    expect(result.stdout).toMatch(/^\s+mflab \S/m);
  });

  it.concurrent.for(COMMANDS)('mflab %s --help: exit 0, a usage line, at least one example', async (command, { expect }) => {
    const result = await runCli([command, '--help'], { cwd: ws.dir });
    expect(result.status).toBe(0);
    expect(result.stderr).toBe('');
    expect(result.stdout).toMatch(new RegExp(`^Usage: mflab ${command}\\b`, 'm'));
    expect(examplesIn(result.stdout), result.stdout).not.toEqual([]);
  });

  it('mflab with no command: exit 2, and says how to use it', async () => {
    const result = await runCli([], { cwd: ws.dir });
    expect(result.status).toBe(2);
    expect(`${result.stdout}${result.stderr}`).toMatch(/Usage: mflab /);
  });

  it('an unknown command: exit 2, one line naming it and the commands', async () => {
    const result = await runCli(['frobnicate'], { cwd: ws.dir });
    expect(result.status).toBe(2);
    expect(result.stderr).not.toMatch(STACK_LINE);
    const lines = linesOf(result.stderr);
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(/"frobnicate"/);
    expect(lines[0]).toMatch(/\brun\b.*\bsweep\b/);
  });
});

describe('mflab bench --quick', () => {
  it('exits 0 and prints a table of engines and speeds', async () => {
    const result = await runCli(['bench', '--quick'], { cwd: ws.dir });
    expect(result.stderr).not.toMatch(STACK_LINE);
    expect(result.status, result.stderr).toBe(0);
    const lines = linesOf(result.stdout);
    expect(lines[0]).toMatch(/engine/);
    expect(lines[0]).toMatch(/ms\/step/);
    expect(lines[1]).toMatch(/^-+(\s+-+)+$/);
    const rows = lines.slice(2).filter((line) => /wasm\/f(32|64)/.test(line));
    expect(rows.length).toBeGreaterThanOrEqual(4);
    // Every measured speed is a positive number.
    for (const row of rows) {
      const speed = Number(row.trim().split(/\s+/).pop());
      expect(speed).toBeGreaterThan(0);
    }
  });
});
