import { readFileSync, readdirSync } from "node:fs";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { checkBytes } from "../src/compile.js";
import { renderDiagnostic } from "../src/render.js";
import { throughFrontEnd } from "./fuzz/front-end.js";
import { corpus, netTexts } from "./fuzz/net-texts.js";
import { program } from "./programs.js";

/**
 * Whatever the input, checking yields diagnostics or a clean result: it never throws. Each
 * generator also counts how far its inputs got (parsed, checked clean), since a fuzz test whose
 * inputs all stop at the lexer says nothing about the later stages. Last, a seeded slice of what
 * `npm run fuzz` runs at 100,000 inputs, through the whole front end (check, rendering, the shape
 * table, the language server's features, formatting); its pathological inputs are
 * test/limits.test.ts's.
 */

const models = readdirSync("models", { recursive: true, encoding: "utf8" }).filter((f) => f.endsWith(".net")).map((f) => readFileSync(`models/${f}`, "utf8"));
const fragments = ["conv", "linear", "bn", "relu", "add", "concat", "repeat", "block", "input", "model", "train", "flatten", "avgpool", "k5", "s2", "p1", "nobias", "x", "=", "|", "{", "}", "(", ")", ",", "\n", " ", "#", "1x28x28", "0", "3", "1e-5", "-", "c", "é", "\t"];

/** Checks a text; says how far it got: a syntax error, another error, or clean. */
function checkNeverThrows(text: string): "syntax" | "errors" | "clean" {
  const result = checkBytes("fuzz.net", new TextEncoder().encode(text), { bn: "scratch" });
  for (const d of result.diagnostics) {
    expect(d.span.start).toBeGreaterThanOrEqual(0);
    expect(d.span.end).toBeGreaterThanOrEqual(d.span.start);
    expect(d.span.start).toBeLessThanOrEqual(text.length + 1);
    renderDiagnostic(d, result.source, { enabled: false });
  }
  const errors = result.diagnostics.filter((d) => d.severity === "error");
  if (errors.some((d) => ["NET001", "NET002"].includes(d.code))) return "syntax";
  return errors.length > 0 ? "errors" : "clean";
}

/** Runs checkNeverThrows on `runs` generated texts, counting how far they got. */
function run(texts: fc.Arbitrary<string>, runs: number) {
  const seen = { syntax: 0, errors: 0, clean: 0 };
  fc.assert(
    fc.property(texts, (text) => {
      seen[checkNeverThrows(text)]++;
    }),
    { numRuns: runs },
  );
  return { ...seen, parsed: seen.errors + seen.clean, summary: `${seen.syntax} syntax errors, ${seen.errors} other errors, ${seen.clean} clean of ${runs}` };
}

describe("robustness", () => {
  it("random token soup never throws", async ({ annotate }) => {
    const seen = run(fc.array(fc.constantFrom(...fragments), { maxLength: 60 }).map((parts) => parts.join(" ")), 400);
    await annotate(seen.summary);
    // Measured: about 30% parse, which is what reaches the resolver and the shape checker.
    expect(seen.parsed).toBeGreaterThanOrEqual(60);
  });

  it("arbitrary strings never throw", async ({ annotate }) => {
    // Their point is the lexer and the parser: most stop there.
    await annotate(run(fc.string({ maxLength: 200 }), 400).summary);
  });

  it("generated programs (valid syntax by construction) never throw, and most check clean", async ({ annotate }) => {
    const seen = run(program, 400);
    await annotate(seen.summary);
    expect(seen.syntax).toBe(0);
    // Measured: about 90% clean; the rest have argument or shape errors.
    expect(seen.clean).toBeGreaterThanOrEqual(280);
    expect(seen.errors).toBeGreaterThanOrEqual(10);
  });

  it("mutated real models never throw", async ({ annotate }) => {
    const mutation = fc.record({
      model: fc.integer({ min: 0, max: models.length - 1 }),
      edits: fc.array(fc.record({ at: fc.nat(), remove: fc.integer({ min: 0, max: 8 }), insert: fc.constantFrom("", ...fragments) }), { minLength: 1, maxLength: 6 }),
    });
    const mutated = mutation.map(({ model, edits }) => {
      let text = models[model]!;
      for (const e of edits) {
        const at = e.at % (text.length + 1);
        text = text.slice(0, at) + e.insert + text.slice(at + e.remove);
      }
      return text;
    });
    const seen = run(mutated, 400);
    await annotate(seen.summary);
    // Measured: about 40% still parse and 13% check clean.
    expect(seen.parsed).toBeGreaterThanOrEqual(100);
    expect(seen.clean).toBeGreaterThanOrEqual(20);
  });

  it("mutated models, token soup and bytes that are not UTF-8 never throw anywhere in the front end", async () => {
    const files = corpus();
    let n = 0;
    await fc.assert(
      fc.asyncProperty(netTexts(files, { pathologicalWeight: 0 }), (input) => throughFrontEnd(input, { format: n++ % 20 === 0 })),
      { seed: 12, numRuns: 1000 },
    );
  }, 120_000);

  it("arbitrary binary strings never throw anywhere in the front end", async () => {
    await fc.assert(
      fc.asyncProperty(fc.string({ unit: "binary", maxLength: 200 }), (text) => throughFrontEnd({ text, badBytes: [] })),
      { seed: 12, numRuns: 400 },
    );
  });

  it("inputs the fuzzer found stay fixed", async () => {
    // A lone carriage return: Prettier reads it as a line break, so the front end must too.
    await throughFrontEnd({ text: "input  \r 28x28                      # ~ NET013\nconv 199999999 k1x0x0\n", badBytes: [] }, { format: true });
    await throughFrontEnd({ text: "model alexnet\ninput 1x224x224\ntrain lr=0.01 epochs=10 bat \r ch=128\nconv 96 k11 s4 p1 | relu\n", badBytes: [] }, { format: true });
  });
});
