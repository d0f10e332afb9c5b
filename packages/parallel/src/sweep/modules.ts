/**
 * Where the built worker-side modules live. piscina starts its threads on a JavaScript file, and
 * the tests run from TypeScript sources, so both point at the build: src/sweep/ and dist/sweep/
 * sit at the same depth, and one relative URL reaches packages/parallel/dist/sweep/ from either
 * (the trick core uses for its wasm file).
 */
const builtModule = (name: string): URL => new URL(`../../dist/sweep/${name}.js`, import.meta.url);

/** The piscina entry point that runs one task of any task module. */
export const SWEEP_WORKER_MODULE = builtModule('worker');

/** The built-in task module: one core `Simulation` per task (see simulation-task.ts). */
export const SIMULATION_TASK_MODULE = builtModule('simulation-task');
