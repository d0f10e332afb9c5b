/**
 * Reading a config file: YAML or JSON (by extension; YAML is a superset, so anything else is
 * read as YAML). Nothing in the file is trusted: it must be a regular file of at most
 * MAX_CONFIG_BYTES (`/dev/zero` would be read forever, a FIFO would block), and the parsers
 * bound nesting, aliases and duplicate keys (see parse-json.ts, parse-yaml.ts).
 */
import { closeSync, constants, fstatSync, openSync, readSync, statSync, type Stats } from 'node:fs';
import { extname } from 'node:path';
import { MAX_CONFIG_BYTES } from './limits.js';
import { parseJsonConfig } from './parse-json.js';
import { parseYamlConfig } from './parse-yaml.js';
import { ConfigError } from './validate.js';

/** The raw object of a config file (not validated); errors are one-line ConfigErrors naming the file and the line. */
export function readConfigFile(path: string): unknown {
  return parseConfigText(readConfigText(path), path, extname(path).toLowerCase() === '.json' ? 'json' : 'yaml');
}

/**
 * Parses config text (the part of readConfigFile after the read, without its size cap — for
 * text that is already in memory). `source` names it in errors.
 */
export function parseConfigText(text: string, source: string, format: 'json' | 'yaml'): unknown {
  if (text.trim() === '') throw new ConfigError('config', 'the file is empty; expected a YAML or JSON mapping (see `mflab run --print-config`)', source);
  return format === 'json' ? parseJsonConfig(text, source) : parseYamlConfig(text, source);
}

const MIB = 1024 * 1024;
const size = (bytes: number): string => (bytes >= MIB ? `${(bytes / MIB).toFixed(1)} MiB` : `${bytes} bytes`);

function kindOf(stats: Stats): string | undefined {
  if (stats.isFile()) return undefined;
  if (stats.isDirectory()) return 'is a directory';
  if (stats.isFIFO()) return 'is a FIFO (named pipe)';
  if (stats.isCharacterDevice()) return 'is a character device';
  if (stats.isBlockDevice()) return 'is a block device';
  if (stats.isSocket()) return 'is a socket';
  return 'is not a regular file';
}

function refuseKind(path: string, stats: Stats): void {
  const kind = kindOf(stats);
  if (kind) throw new ConfigError('config', `${kind}, not a regular file; give the path of a YAML or JSON config file`, path);
}

function refuseSize(path: string, bytes: number): void {
  if (bytes > MAX_CONFIG_BYTES) {
    throw new ConfigError('config', `the file is ${size(bytes)}, over the ${size(MAX_CONFIG_BYTES)} a config file may be (a config is a few KB; data belong in a data file, see data.path)`, path);
  }
}

function systemError(path: string, error: unknown): ConfigError {
  const code = (error as NodeJS.ErrnoException).code;
  const why = code === 'ENOENT' ? 'no such file' : code === 'EACCES' ? 'permission denied' : code === 'ENOTDIR' ? 'no such file (a part of the path is not a directory)' : (error as Error).message;
  return new ConfigError('config', why, path);
}

/** The file's text, read only if it is a regular file within the size cap — and never more than the cap, should it grow meanwhile. */
function readConfigText(path: string): string {
  let stats: Stats;
  try {
    stats = statSync(path);
  } catch (error) {
    throw systemError(path, error);
  }
  // Checked before opening: opening a FIFO for reading blocks until a writer comes.
  refuseKind(path, stats);
  refuseSize(path, stats.size);
  let fd: number;
  try {
    // Non-blocking, should the path have become a FIFO since the stat; no effect on a regular file.
    fd = openSync(path, constants.O_RDONLY | (constants.O_NONBLOCK ?? 0));
  } catch (error) {
    throw systemError(path, error);
  }
  try {
    const opened = fstatSync(fd);
    refuseKind(path, opened);
    refuseSize(path, opened.size);
    // Read to the end, whatever the stat said (the file may change meanwhile), but never more
    // than one byte past the cap: a file that grew past it is refused, not read whole.
    const buffer = Buffer.allocUnsafe(MAX_CONFIG_BYTES + 1);
    let length = 0;
    while (length < buffer.length) {
      const n = readSync(fd, buffer, length, buffer.length - length, null);
      if (n === 0) break;
      length += n;
    }
    refuseSize(path, length);
    return buffer.toString('utf8', 0, length);
  } catch (error) {
    if (error instanceof ConfigError) throw error;
    throw systemError(path, error);
  } finally {
    closeSync(fd);
  }
}
