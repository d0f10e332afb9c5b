/** The reproduction presets, in the order of the issue; each lives in presets/<id>.ts and is loaded only when used. */
import type { Preset } from './types.js';

/** The ids of the reproduction presets, in the order `mflab reproduce --list` shows them. */
export const PRESET_IDS = [
  'lazy-vs-active',
  'width-scaling',
  'particles-2d',
  'sparse-weight-decay',
  'implicit-bias-logistic',
  'ntk-linearization',
  'ntk-drift',
  'edge-of-chaos-depth',
  'fashion-mnist',
] as const;

/** A known preset id (one of {@link PRESET_IDS}). */
export type PresetId = (typeof PRESET_IDS)[number];

/**
 * Imports the preset of `id` (presets/<id>.ts, loaded only when asked for).
 *
 * @example
 * const preset = await loadPreset('particles-2d');
 * console.log(preset.title, preset.runtime.quick);
 */
export async function loadPreset(id: PresetId): Promise<Preset> {
  const module = (await import(`./presets/${id}.js`)) as { preset: Preset };
  return module.preset;
}

/**
 * Whether `id` names a preset: narrows user input (a CLI argument) to {@link PresetId}.
 *
 * @example
 * const id: string = 'lazy-vs-active';
 * if (isPresetId(id)) await loadPreset(id);
 */
export function isPresetId(id: string): id is PresetId {
  return (PRESET_IDS as readonly string[]).includes(id);
}
