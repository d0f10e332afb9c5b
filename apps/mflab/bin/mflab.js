#!/usr/bin/env node
// The installed `mflab` command: a committed shim (npm links bins at install time, before the
// build exists) that runs the built CLI, or says how to build it.
import { existsSync } from 'node:fs';

const cli = new URL('../dist/cli.js', import.meta.url);
if (!existsSync(cli)) {
  process.stderr.write('mflab: the app is not built yet; run `npm run build` (or `npm start`) in the workspace first\n');
  process.exit(2);
}
const { main } = await import(cli.href);
process.exitCode = await main(process.argv.slice(2));
