import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);

/** Versions of the packages that shape a run's numbers, for every run's metadata. */
export function packageVersions(): Record<string, string> {
  const versions: Record<string, string> = { node: process.version };
  for (const name of ['mflab', '@mflab/core', '@mflab/parallel', '@mflab/store', 'apache-arrow']) {
    try {
      const file = name === 'mflab' ? new URL('../../package.json', import.meta.url) : require.resolve(`${name}/package.json`);
      versions[name] = (JSON.parse(readFileSync(file, 'utf8')) as { version: string }).version;
    } catch {
      // a package without an exported package.json: leave it out rather than guess
    }
  }
  return versions;
}
