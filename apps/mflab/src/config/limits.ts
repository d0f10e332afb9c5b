/**
 * Bounds on what a config file may be. A config is a few KB and a few levels deep; these are
 * orders of magnitude above any real one, and low enough that reading, parsing and validating
 * the worst file they allow takes seconds and megabytes, not minutes and gigabytes.
 */

/** Largest config file read, in bytes (a config is a few KB; data belong in a data file). */
export const MAX_CONFIG_BYTES = 4 * 1024 * 1024;

/**
 * Deepest nesting of mappings and lists (a config is 3–4 levels deep). Parsers recurse per
 * level — yaml's composer overflows the stack at ≈ 800 — so depth is checked before they run.
 */
export const MAX_DEPTH = 64;

/**
 * Most values that YAML aliases may add by expansion (billion-laughs guard): `*a` stands for a
 * copy of everything under `&a`, and nested aliases multiply — a 1 KB file can stand for 10⁹
 * values, which validation and run.json would expand.
 */
export const MAX_ALIAS_VALUES = 100_000;

/**
 * Most YAML tokens in a config (keys, values, indicators, spaces, line breaks, comments:
 * `k: 1⏎` is 5). yaml takes up to ≈ 7 µs and 0.7 KB per token (measured), so this bounds
 * parsing to a few seconds and a few hundred MB; it leaves room for 80 000 keys (a config has a
 * few hundred tokens).
 */
export const MAX_YAML_TOKENS = 500_000;
