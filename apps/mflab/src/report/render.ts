/**
 * Headless rendering: Vega-Lite → Vega (compile) → a Vega View with no renderer → SVG text;
 * SVG → PNG with resvg (a Rust rasterizer, no browser, no canvas). Nothing here touches the
 * network: the specs carry their data inline and the View gets a loader that refuses to load.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { Resvg } from '@resvg/resvg-js';
import { View, parse, type Loader, type LoggerInterface } from 'vega';
import { compile, type TopLevelSpec } from 'vega-lite';

/** Collects Vega and Vega-Lite warnings instead of printing them. */
function collectingLogger(sink: string[]): LoggerInterface {
  let level = 2; // Warn
  const logger: LoggerInterface = {
    level(next?: number) {
      if (next === undefined) return level as never;
      level = next;
      return logger;
    },
    error(...args: readonly unknown[]) {
      sink.push(`error: ${args.map(String).join(' ')}`);
      return logger;
    },
    warn(...args: readonly unknown[]) {
      sink.push(args.map(String).join(' '));
      return logger;
    },
    info() {
      return logger;
    },
    debug() {
      return logger;
    },
  } as LoggerInterface;
  return logger;
}

/** A loader for specs whose data is inline: any attempt to load a URL or file is an error. */
const offlineLoader = {
  options: {},
  sanitize: (uri: string) => Promise.reject(new Error(`report figures carry their data inline; refusing to load ${uri}`)),
  load: (uri: string) => Promise.reject(new Error(`report figures carry their data inline; refusing to load ${uri}`)),
  fileAccess: false,
  file: (filename: string) => Promise.reject(new Error(`refusing to read ${filename}`)),
  http: (uri: string) => Promise.reject(new Error(`refusing to fetch ${uri}`)),
} as unknown as Loader;

/** Renders a Vega-Lite spec to standalone SVG text; Vega's warnings are appended to `warnings`. */
export async function renderSvg(spec: TopLevelSpec, warnings: string[] = []): Promise<string> {
  const logger = collectingLogger(warnings);
  const vegaSpec = compile(spec, { logger }).spec;
  const view = new View(parse(vegaSpec), { renderer: 'none', loader: offlineLoader, logger });
  try {
    return await view.toSVG();
  } finally {
    view.finalize();
  }
}

/** Whether the machine has fonts resvg can use (it reads the same directories as fontconfig). */
export interface FontSetup {
  /** Use the system's fonts (false: render shapes only; text is dropped). */
  loadSystemFonts: boolean;
  /** How many font files were found in the usual directories. */
  fontFiles: number;
}

const FONT_DIRS = [
  '/usr/share/fonts',
  '/usr/local/share/fonts',
  path.join(os.homedir(), '.fonts'),
  path.join(os.homedir(), '.local/share/fonts'),
  '/System/Library/Fonts',
  '/Library/Fonts',
  'C:\\Windows\\Fonts',
];

function countFontFiles(dir: string, depth: number, budget: { left: number }): number {
  let entries: fs.Dirent[];
  try {
    entries = fs.readdirSync(dir, { withFileTypes: true });
  } catch {
    return 0;
  }
  let n = 0;
  for (const e of entries) {
    if (budget.left <= 0) break;
    budget.left -= 1;
    if (e.isDirectory() && depth > 0) n += countFontFiles(path.join(dir, e.name), depth - 1, budget);
    else if (/\.(ttf|otf|ttc|otc)$/i.test(e.name)) n += 1;
  }
  return n;
}

/** Looks for font files (a bounded scan: it only has to tell "some" from "none"). */
export function detectFonts(): FontSetup {
  const budget = { left: 5000 };
  let fontFiles = 0;
  for (const dir of FONT_DIRS) fontFiles += countFontFiles(dir, 4, budget);
  return { loadSystemFonts: true, fontFiles };
}

/**
 * Rasterizes SVG text to PNG bytes at `scale`× its size. Without fonts resvg draws every shape
 * and drops the text (it does not fail), so a machine with no fonts still gets usable PNGs.
 */
export function rasterize(svg: string, fonts: FontSetup, scale = 2): Uint8Array {
  const resvg = new Resvg(svg, { fitTo: { mode: 'zoom', value: scale }, background: 'white', font: { loadSystemFonts: fonts.loadSystemFonts } });
  return resvg.render().asPng();
}
