/**
 * The contract of a paper reproduction (`mflab reproduce ID`): a preset runs its experiment
 * (usually a study through the sweep machinery), draws the figures that correspond to the
 * paper's, and states each of the paper's claims with the quantity measured, its value and
 * whether it holds. Claims may honestly fail, above all at `--quick` sizes: a claim says what
 * was measured, never a value tuned to pass.
 */
import type { TopLevelSpec } from 'vega-lite';

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
  note?: string;
}

/** A figure a preset wants drawn: a Vega-Lite spec with its data inline. */
export interface FigureRequest {
  name: string;
  title: string;
  caption: string;
  spec: TopLevelSpec;
}

export interface PresetContext {
  /** The reproduction's output directory (the study goes in `<out>/study`, figures in `<out>/figures`). */
  out: string;
  quick: boolean;
  /** Threads for the study. */
  workers: number;
  /** Aborted on Ctrl-C: stop soon, flush what is there. */
  signal: AbortSignal;
  /** Progress lines for the terminal (stderr). */
  log(line: string): void;
}

export interface PresetResult {
  claims: Claim[];
  figures: FigureRequest[];
  /** Deviations from the paper's setup and anything the reader must know. */
  notes: string[];
  /** The study directory, when the preset wrote one. */
  study?: string;
}

export interface Preset {
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
