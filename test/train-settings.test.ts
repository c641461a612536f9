import { describe, expect, it } from "vitest";
import { check } from "../src/compile.js";
import { formatSource } from "../src/format/format.js";
import { argLine } from "../src/layer-docs.js";
import type { ArgSpec } from "../src/layers/types.js";
import { analyze } from "../src/lsp/analysis.js";
import { complete } from "../src/lsp/completion.js";
import { hover } from "../src/lsp/hover.js";
import { SourceFile } from "../src/source.js";
import { TRAIN_ARGS } from "../src/train-settings.js";

/**
 * Every setting of the `train` header, as a user meets it: accepted with a good value (with what
 * it needs beside it), refused with a bad one, kept by the formatter, offered by completion and
 * explained by hover. A setting added to TRAIN_ARGS is covered here by construction.
 */

/** A good use of each setting, and what it needs beside it (its optimizer or schedule). */
function goodUse(spec: ArgSpec): { arg: string; context: string } {
  switch (spec.name) {
    case "betas":
      return { arg: "betas = 0.8, 0.99", context: "optimizer=adam" };
    case "eps":
      return { arg: "eps = 1e-6", context: "optimizer=adamw" };
    case "nesterov":
      return { arg: "nesterov", context: "momentum=0.9" };
    case "step":
      return { arg: "step = 3", context: "schedule=step" };
    case "gamma":
      return { arg: "gamma = 0.5", context: "schedule=step step=2" };
    case "normalize":
      return { arg: "normalize = 0.5 ,0.25", context: "" };
  }
  if (spec.type === "flag") return { arg: spec.name, context: "" };
  // MNIST: the model below has MNIST's 1×28×28 input.
  if (spec.type === "choice") return { arg: `${spec.name} = ${spec.name === "data" ? "mnist" : spec.choices!.at(-1)}`, context: "" };
  return { arg: `${spec.name} = ${spec.type === "int" ? 2 : 0.5}`, context: "" };
}

/** A value each setting refuses. */
function badUse(spec: ArgSpec): string {
  if (spec.type === "flag") return `${spec.name}=1`;
  if (spec.type === "choice") return `${spec.name}=nonsense`;
  if (spec.type === "floats") return `${spec.name}=0.5,2x2`;
  return spec.type === "int" ? `${spec.name}=1.5` : `${spec.name}=2x2`;
}

const model = (train: string) => `model m\ninput 1x28x28\ntrain ${train}\nflatten\nlinear 10\n`;
const errors = (text: string) => check(new SourceFile("m.net", text), { bn: "scratch" }).diagnostics.filter((d) => d.severity === "error");

describe("every `train` setting", () => {
  for (const spec of TRAIN_ARGS) {
    it(`${spec.name}: checked, formatted, completed and explained`, async () => {
      const { arg, context } = goodUse(spec);
      const text = model(`epochs=5 ${context} ${arg}`.replace(/\s+/g, " ").replace(/^epochs=5 epochs = 2$/, "epochs = 2"));
      expect(errors(text).map((d) => d.message)).toEqual([]);

      const bad = errors(model(`${goodUse(spec).context} ${badUse(spec)}`));
      expect(bad.map((d) => d.code)).toEqual(["NET013"]);
      expect(bad[0]!.message).toContain(`\`${spec.name}\``);

      const formatted = await formatSource(new SourceFile("m.net", text));
      if (!formatted.ok) throw new Error("syntax errors");
      expect(formatted.formatted).toContain(arg.replace(/\s*([=,])\s*/g, "$1"));
      expect(check(new SourceFile("m.net", formatted.formatted), { bn: "scratch" }).network.train).toEqual(check(new SourceFile("m.net", text), { bn: "scratch" }).network.train);

      const empty = analyze("file:///m.net", 1, "train \n", { bn: "scratch" });
      const offered = complete(empty, "train ".length, { snippets: false }).map((i) => i.label);
      const expected = spec.type === "choice" ? spec.choices! : spec.type === "flag" ? [spec.name] : [`${spec.name}=`];
      expect(offered).toEqual(expect.arrayContaining([...expected]));

      const analysis = analyze("file:///m.net", 1, text, { bn: "scratch" });
      const at = text.indexOf(arg) + 1;
      const shown = hover(analysis, at)!.contents as { value: string };
      expect(shown.value).toContain(argLine(spec));
    });
  }
});
