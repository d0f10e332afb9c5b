/**
 * The public API is documented, and its examples are code (issue 14, item 6).
 *
 * Rules for doc writers, checked here:
 * - Every export of a public entry point (`@mflab/core`, `@mflab/core/internal`,
 *   `@mflab/parallel`, `@mflab/store`, `mflab`) has a doc comment.
 * - Every `@example` in the doc comment of an export, or of a public member of an exported class
 *   or interface, type-checks under the repository's strict options as a module in which: the
 *   example's own `import` lines come first; every other export of the same entry point is
 *   imported; `config: SimulationConfig`, `data: DataSplit`, `engine: Engine`,
 *   `writer: TrajectoryWriter` and `dir: string` are declared (see PRELUDE_VARIABLES); the body
 *   runs inside an `async function`, so `await` works.
 * - The headline examples (HEADLINE below) use none of those declared variables, and they run:
 *   each is transpiled and executed by node against the built packages, in an empty working
 *   directory, and must exit 0.
 *
 * Why: an example that no longer compiles is worse than none; the type check makes a signature
 * change fail here instead of misleading a reader.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { checkExamples, loadApiSurface, missingBuilds, runExample, type ApiSurface, type ExampleCheck } from './helpers/api-docs.js';

/** The examples a new user reads first: one per headline class or function, and they must run. */
const HEADLINE: ReadonlyArray<{ specifier: string; id: string }> = [
  { specifier: '@mflab/core', id: 'Simulation' },
  { specifier: '@mflab/core', id: 'runSimulation' },
  { specifier: '@mflab/parallel', id: 'createEngine' },
  { specifier: '@mflab/parallel', id: 'ShardedSimulation' },
  { specifier: '@mflab/parallel', id: 'SweepExecutor' },
  { specifier: '@mflab/store', id: 'TrajectoryWriter' },
];

/**
 * A hang guard, not a speed requirement: each headline example finishes in a few seconds; this
 * only stops a child that would never exit (an engine or executor left open).
 */
const RUN_LIMIT_MS = 240_000;

let surface: ApiSurface;
let check: ExampleCheck;

beforeAll(() => {
  surface = loadApiSurface();
  check = checkExamples(surface);
}, 300_000);

describe('public API documentation', () => {
  it('finds every entry point with its exports and examples', () => {
    const specifiers = new Set(surface.exports.map((e) => e.entry.specifier));
    expect([...specifiers].sort()).toEqual(['@mflab/core', '@mflab/core/internal', '@mflab/parallel', '@mflab/store', 'mflab']);
    // Sanity of the reader itself: known exports are found where they are declared.
    const simulation = surface.exports.find((e) => e.name === 'Simulation' && e.entry.specifier === '@mflab/core');
    expect(simulation?.location).toMatch(/^packages\/core\/src\/engine\/simulation\.ts:\d+$/);
    expect(simulation?.importAs).toBe('value');
    expect(surface.exports.find((e) => e.name === 'SimulationConfig')?.importAs).toBe('type');
    expect(surface.examples.length).toBeGreaterThanOrEqual(HEADLINE.length);
  });

  it('has a doc comment on every export', () => {
    const undocumented = surface.exports.filter((e) => e.attributed && !e.documented).map((e) => `${e.entry.specifier}: ${e.name} (${e.location})`);
    expect(undocumented, `exports without a doc comment:\n${undocumented.join('\n')}`).toEqual([]);
  });

  it('generates example modules that compile when the example is empty (the generator itself is sound)', () => {
    expect(check.generatorErrors, check.generatorErrors.join('\n\n')).toEqual([]);
  });

  it('type-checks every @example', () => {
    const failing = check.checked.filter((c) => c.diagnostics.length > 0).map((c) => `${c.example.entry.specifier} ${c.example.id}:\n  ${c.diagnostics.join('\n  ')}`);
    expect(failing, `examples that do not type-check:\n${failing.join('\n')}`).toEqual([]);
    expect(check.checked.length).toBe(surface.examples.length);
  });

  it('has the headline examples, self-contained (no declared free variables)', () => {
    for (const h of HEADLINE) {
      const found = check.checked.find((c) => c.example.entry.specifier === h.specifier && c.example.id === h.id);
      expect(found, `${h.specifier} ${h.id} has no @example`).toBeDefined();
      expect(found?.usesPrelude, `${h.specifier} ${h.id} uses variables it does not define`).toEqual([]);
    }
  });
});

describe('headline examples run', () => {
  const missing = missingBuilds();
  for (const h of HEADLINE) {
    it.skipIf(missing.length > 0)(`${h.specifier} ${h.id}${missing.length > 0 ? ` (skipped: not built: ${missing.join(', ')}; run npm run build)` : ''}`, async () => {
      const found = check.checked.find((c) => c.example.entry.specifier === h.specifier && c.example.id === h.id);
      expect(found, `${h.specifier} ${h.id} has no @example`).toBeDefined();
      if (!found) return;
      const run = await runExample(found, RUN_LIMIT_MS);
      expect(run.ok, `${h.specifier} ${h.id}: ${run.summary}\nstdout:\n${run.stdout.slice(-2000)}`).toBe(true);
    }, RUN_LIMIT_MS + 30_000);
  }
});
