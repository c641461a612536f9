import { readFileSync, readdirSync } from "node:fs";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { checkBytes } from "../src/compile.js";
import { renderDiagnostic } from "../src/render.js";

/** Whatever the input, checking yields diagnostics or a clean result: it never throws. */

const models = readdirSync("models", { recursive: true, encoding: "utf8" }).filter((f) => f.endsWith(".net")).map((f) => readFileSync(`models/${f}`, "utf8"));
const fragments = ["conv", "linear", "bn", "relu", "add", "concat", "repeat", "block", "input", "model", "train", "flatten", "avgpool", "k5", "s2", "p1", "nobias", "x", "=", "|", "{", "}", "(", ")", ",", "\n", " ", "#", "1x28x28", "0", "3", "1e-5", "-", "c", "é", "\t"];

function checkNeverThrows(text: string): void {
  const result = checkBytes("fuzz.net", new TextEncoder().encode(text), { bn: "scratch" });
  for (const d of result.diagnostics) {
    expect(d.span.start).toBeGreaterThanOrEqual(0);
    expect(d.span.end).toBeGreaterThanOrEqual(d.span.start);
    expect(d.span.start).toBeLessThanOrEqual(text.length + 1);
    renderDiagnostic(d, result.source, { enabled: false });
  }
}

describe("robustness", () => {
  it("random token soup never throws", () => {
    fc.assert(fc.property(fc.array(fc.constantFrom(...fragments), { maxLength: 60 }), (parts) => checkNeverThrows(parts.join(" "))), { numRuns: 400 });
  });

  it("arbitrary strings never throw", () => {
    fc.assert(fc.property(fc.string({ maxLength: 200 }), checkNeverThrows), { numRuns: 400 });
  });

  it("mutated real models never throw", () => {
    const mutation = fc.record({
      model: fc.integer({ min: 0, max: models.length - 1 }),
      edits: fc.array(fc.record({ at: fc.nat(), remove: fc.integer({ min: 0, max: 8 }), insert: fc.constantFrom("", ...fragments) }), { minLength: 1, maxLength: 6 }),
    });
    fc.assert(
      fc.property(mutation, ({ model, edits }) => {
        let text = models[model]!;
        for (const e of edits) {
          const at = e.at % (text.length + 1);
          text = text.slice(0, at) + e.insert + text.slice(at + e.remove);
        }
        checkNeverThrows(text);
      }),
      { numRuns: 400 },
    );
  });
});
