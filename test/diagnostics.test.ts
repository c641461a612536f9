import { readFileSync, readdirSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { checkBytes } from "../src/compile.js";
import { renderDiagnostic } from "../src/render.js";
import { expectGolden } from "./golden.js";

/**
 * Golden tests: each `test/diagnostics/NAME.net` is checked and its rendered diagnostics compared
 * with `NAME.expected` (rewrite them with `npm run golden:update` and review the diff). A `# ~ NET012` mark on a line also requires a diagnostic with that code on
 * that line, so a golden file cannot drift into accepting the wrong finding.
 */
const dir = join(import.meta.dirname, "diagnostics");
const files = readdirSync(dir).filter((f) => f.endsWith(".net")).sort();

describe("diagnostics golden files", () => {
  for (const file of files) {
    it(file, () => {
      const path = `test/diagnostics/${file}`;
      const bytes = readFileSync(join(dir, file));
      const result = checkBytes(path, bytes, { bn: "scratch" });
      const rendered = result.diagnostics.map((d) => renderDiagnostic(d, result.source, { enabled: false })).join("\n\n") + "\n";

      const found = new Set(result.diagnostics.map((d) => `${result.source.position(d.span.start).line}:${d.code}`));
      result.source.text.split("\n").forEach((line, i) => {
        for (const [, code] of line.matchAll(/# ~ (NET\d{3})/g)) expect(found, `line ${i + 1} should report ${code}`).toContain(`${i + 1}:${code}`);
      });

      expectGolden(rendered, join(dir, file.replace(/\.net$/, ".expected")));
    });
  }

  it("reports every marked mistake and no unmarked error", () => {
    for (const file of files.filter((f) => !["binary.net", "empty.net"].includes(f))) {
      const result = checkBytes(file, readFileSync(join(dir, file)), { bn: "scratch" });
      const marked = new Set<number>();
      result.source.text.split("\n").forEach((line, i) => {
        if (/# ~ NET\d{3}/.test(line)) marked.add(i + 1);
      });
      const unmarked = result.diagnostics.filter((d) => !marked.has(result.source.position(d.span.start).line));
      expect(unmarked.map((d) => `${file}:${result.source.position(d.span.start).line} ${d.code} ${d.message}`)).toEqual([]);
    }
  });
});
