/**
 * The contract of a paper reproduction (`mflab reproduce ID`): a preset runs its experiment
 * (usually a study through the sweep machinery), draws the figures that correspond to the
 * paper's, and states each of the paper's claims with the quantity measured, its value and
 * whether it holds. Claims may honestly fail, above all at `--quick` sizes: a claim says what
 * was measured, never a value tuned to pass.
 */
import type { TopLevelSpec } from 'vega-lite';

/**
 * One of a paper's claims, tested: what was measured, its value, the criterion and the verdict.
 * Written to claims.json and tabled in claims.md; {@link checkClaims} rejects incomplete ones.
 */
export interface Claim {
  /** Short stable id, e.g. `plateau-matches-kernel`. */
  id: string;
  /** The paper's claim, in words. */
  statement: string;
  /** What was measured to test it. */
  quantity: string;
  /** The measured value (a number, or a short text for composite results); null when it could not be measured. */
  value: number | string | null;
  /** The criterion the value is checked against, in words (e.g. "< 0.05", "slope in [−0.6, −0.4]"). */
  criterion: string;
  /** Whether it holds; null when it could not be decided (say why in `note`). */
  holds: boolean | null;
  /** Anything the reader must know about this claim; required when `holds` is null. */
  note?: string;
}

/** A figure a preset wants drawn: a Vega-Lite spec with its data inline. */
export interface FigureRequest {
  name: string;
  title: string;
  caption: string;
  spec: TopLevelSpec;
}

/** What a preset's `run` is given: where to write, at which size, and how to report and stop. */
export interface PresetContext {
  /** The reproduction's output directory (the study goes in `<out>/study`, figures in `<out>/figures`). */
  out: string;
  /** `--quick`: small sizes that finish in seconds (see `runtime.quick`); claims may fail at them. */
  quick: boolean;
  /** Threads for the study. */
  workers: number;
  /** Aborted on Ctrl-C: stop soon, flush what is there. */
  signal: AbortSignal;
  /** Progress lines for the terminal (stderr). */
  log(line: string): void;
}

/** What a preset's `run` returns: its claims, the figures to draw and notes (see {@link writeClaims}). */
export interface PresetResult {
  claims: Claim[];
  figures: FigureRequest[];
  /** Deviations from the paper's setup and anything the reader must know. */
  notes: string[];
  /** The study directory, when the preset wrote one. */
  study?: string;
}

/**
 * A paper reproduction (`mflab reproduce ID`): metadata for `--list` and a `run` that does the
 * experiment. Each lives in reproduce/presets/<id>.ts; get one with {@link loadPreset}.
 */
export interface Preset {
  /** One of {@link PRESET_IDS}. */
  id: string;
  title: string;
  /** Citation of the paper(s). */
  paper: string;
  /** One paragraph: what is reproduced. */
  summary: string;
  /** Measured on the 2-core reference machine, e.g. "25 s" (shown by `--list`). */
  runtime: { quick: string; full: string };
  run(context: PresetContext): Promise<PresetResult>;
}
