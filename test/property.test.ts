import fc from "fast-check";
import { describe, it } from "vitest";
import { throughFrontEnd } from "./fuzz/front-end.js";
import { corpus, netTexts } from "./fuzz/net-texts.js";

/**
 * Whatever the text, the front end (check, rendering, the shape table, the language server's
 * features, formatting) answers with diagnostics, never an exception: a seeded slice of what
 * `npm run fuzz` runs at 100,000 inputs (its pathological inputs are test/limits.test.ts's).
 */

const files = corpus();

describe("robustness", () => {
  it("mutated models, token soup and bytes that are not UTF-8 never throw", async () => {
    let n = 0;
    await fc.assert(
      fc.asyncProperty(netTexts(files, { pathologicalWeight: 0 }), (input) => throughFrontEnd(input, { format: n++ % 20 === 0 })),
      { seed: 12, numRuns: 1000 },
    );
  }, 120_000);

  it("inputs the fuzzer found stay fixed", async () => {
    // A lone carriage return: Prettier reads it as a line break, so the front end must too.
    await throughFrontEnd({ text: "input  \r 28x28                      # ~ NET013\nconv 199999999 k1x0x0\n", badBytes: [] }, { format: true });
    await throughFrontEnd({ text: "model alexnet\ninput 1x224x224\ntrain lr=0.01 epochs=10 bat \r ch=128\nconv 96 k11 s4 p1 | relu\n", badBytes: [] }, { format: true });
  });

  it("arbitrary strings never throw", async () => {
    await fc.assert(
      fc.asyncProperty(fc.string({ unit: "binary", maxLength: 200 }), (text) => throughFrontEnd({ text, badBytes: [] })),
      { seed: 12, numRuns: 400 },
    );
  });
});
