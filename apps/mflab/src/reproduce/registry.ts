/** The reproduction presets, in the order of the issue; each lives in presets/<id>.ts and is loaded only when used. */
import type { Preset } from './types.js';

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

export type PresetId = (typeof PRESET_IDS)[number];

export async function loadPreset(id: PresetId): Promise<Preset> {
  const module = (await import(`./presets/${id}.js`)) as { preset: Preset };
  return module.preset;
}

export function isPresetId(id: string): id is PresetId {
  return (PRESET_IDS as readonly string[]).includes(id);
}
