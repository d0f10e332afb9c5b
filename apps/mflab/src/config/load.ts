/** Reading a config file: YAML or JSON (by extension; YAML is a superset, so anything else is read as YAML). */
import { readFileSync } from 'node:fs';
import { extname } from 'node:path';
import { parse as parseYaml, YAMLParseError } from 'yaml';
import { ConfigError } from './validate.js';

/** The raw object of a config file (not validated); errors name the file and the line. */
export function readConfigFile(path: string): unknown {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    const why = code === 'ENOENT' ? 'no such file' : code === 'EISDIR' ? 'is a directory, expected a YAML or JSON file' : code === 'EACCES' ? 'permission denied' : String((error as Error).message);
    throw new ConfigError('config', why, path);
  }
  if (text.trim() === '') throw new ConfigError('config', 'the file is empty; expected a YAML or JSON mapping (see `mflab run --print-config`)', path);
  try {
    if (extname(path).toLowerCase() === '.json') return JSON.parse(text) as unknown;
    return parseYaml(text) as unknown;
  } catch (error) {
    if (error instanceof YAMLParseError) {
      const line = error.linePos?.[0];
      const what = error.message.split('\n')[0].replace(/ at line \d+, column \d+:?\s*$/, '');
      throw new ConfigError('config', `not valid YAML${line ? ` at line ${line.line}, column ${line.col}` : ''}: ${what}`, path);
    }
    throw new ConfigError('config', `not valid JSON: ${(error as Error).message.split('\n')[0]}`, path);
  }
}
