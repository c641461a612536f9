/**
 * What the front end accepts at most, so that checking any text is bounded work: a model file
 * (or editor buffer) of 1 MiB, nesting of 64 levels, 100,000 layers once blocks and `repeat`
 * are expanded, and 1,000 diagnostics. The d2l models stay far below each (a few levels, at most ~170 layers); the
 * limits are what keep `repeat 1000000000 { ... }`, typed by accident, from freezing an editor.
 */

export const MAX_SOURCE_BYTES = 1 << 20;

/** `{ ... }` bodies inside one another, and blocks using blocks, counted together. */
export const MAX_DEPTH = 64;

/** Layers (merges included) of the expanded model. */
export const MAX_LAYERS = 100_000;

/** Diagnostics reported per file: past this many, the rest are mostly echoes of the first. */
export const MAX_DIAGNOSTICS = 1000;
