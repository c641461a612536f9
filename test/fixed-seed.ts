import fc from "fast-check";

/**
 * For mutation testing (stryker.config.mjs): every fast-check property sees the same inputs in
 * every run, so that a mutant's result does not depend on the draw, and Stryker's infinite-loop
 * guard (a mutant hitting code 100 times more often than the first run did) is not set off by
 * a different sample. `npm test` draws fresh inputs each time.
 */
fc.configureGlobal({ seed: 20_261_201 });
