import { describe, expect, it } from "vitest";
import { checkBytes, checkText } from "../src/compile.js";
import { MAX_DEPTH, MAX_LAYERS, MAX_SOURCE_BYTES } from "../src/limits.js";

/** The front end's limits: refused where the model crosses them, counted without expanding. */

const check = (text: string) => checkBytes("limits.net", new TextEncoder().encode(text), { bn: "scratch" });
const codes = (text: string) => check(text).diagnostics.map((d) => d.code);

describe("the expanded model's size", () => {
  it("accepts a model of exactly MAX_LAYERS layers (a `repeat` counting as one), refuses one more", () => {
    const at = check(`input 4\nrepeat ${MAX_LAYERS - 1} { relu }\n`);
    expect(at.diagnostics).toEqual([]);
    expect(at.shapes.rows).toHaveLength(MAX_LAYERS);
    const over = check(`input 4\nrepeat ${MAX_LAYERS} { relu }\n`);
    expect(over.diagnostics.map((d) => [d.code, d.message])).toEqual([["NET024", "this `repeat` would bring the model to 100,001 layers, past the limit of 100,000"]]);
  });

  it("builds a `repeat`'s body once but makes every repetition nodes of its own (the exports key weights by node)", () => {
    const r = check("input 4\nrepeat 3 { linear 4 | add { relu } { identity } }\n");
    expect(r.diagnostics).toEqual([]);
    const repeat = r.network.layers[0]!;
    if (repeat.kind !== "group") throw new Error("expected the repeat's group");
    const nodes = repeat.children.flatMap((n) => (n.kind === "merge" ? [n, ...n.branches.flat()] : [n]));
    expect(nodes).toHaveLength(12);
    expect(new Set(nodes).size).toBe(12);
  });

  it("refuses `repeat 10^9` without building its layers", () => {
    const r = check("input 1x28x28\nrepeat 1000000000 { conv 6 k3 p1 | relu }\n");
    expect(r.diagnostics).toHaveLength(1);
    expect(r.diagnostics[0]).toMatchObject({ code: "NET024", span: { start: 14, end: 55 }, label: "1,000,000,000 × 2 layers" });
    expect(r.network.layers.map((n) => n.kind)).toEqual(["invalid"]);
    expect(r.shapes.rows).toEqual([]);
  });

  it("locates the limit at the block use with the count it would have reached (the book's vgg_block)", () => {
    const text = "input 1x224x224\nblock vgg_block(num_convs, c) {\n  repeat num_convs {\n    conv c k3 p1 | relu\n  }\n  maxpool 2\n}\nvgg_block 1 64\nvgg_block 199999999 64\n";
    const [d, ...rest] = check(text).diagnostics;
    expect(rest).toEqual([]);
    expect(d!.code).toBe("NET024");
    expect(text.slice(d!.span.start, d!.span.end)).toBe("vgg_block 199999999 64");
    // 199,999,999 × (conv, relu) + the repeat + maxpool, then the block use itself, after the first use's 5.
    expect(d!.label).toBe("expands to 400,000,000 layers");
    expect(d!.message).toBe("block `vgg_block` used here would bring the model to 400,000,006 layers, past the limit of 100,000");
  });

  it("counts blocks that use blocks without expanding them (2^60 layers)", () => {
    const blocks = Array.from({ length: 60 }, (_, i) => `block b${i + 1} { b${i} | b${i} }`).join("\n");
    const r = check(`input 4\nblock b0 { relu }\n${blocks}\nb60\n`);
    expect(r.diagnostics.map((d) => d.code)).toEqual(["NET024"]);
    expect(r.diagnostics[0]!.label).toMatch(/^expands to about \d\.\d×10\^18 layers$/);
  });

  it("stops at the layer that crosses the limit, reporting it once", () => {
    const text = `input 4\nrepeat ${MAX_LAYERS - 3} { relu }\nrelu | relu | tanh | relu\nrelu\n`;
    const r = check(text);
    expect(r.diagnostics.map((d) => [d.code, d.message])).toEqual([["NET024", "the model has more than 100,000 layers"]]);
    expect(r.diagnostics[0]!.span.start).toBe(text.indexOf("tanh"));
  });

  it("refuses a repeat of an empty body only when the count itself is out of range", () => {
    expect(codes("input 4\nrepeat 1000000000 { }\nrelu\n")).toEqual([]);
    expect(codes("input 4\nrepeat 1000000000 { repeat 2 { } }\n")).toEqual(["NET024"]);
  });
});

describe("nesting", () => {
  const nested = (levels: number) => `input 4\n${"repeat 1 { ".repeat(levels)}relu${" }".repeat(levels)}\n`;

  it(`accepts ${MAX_DEPTH} levels of braces and refuses ${MAX_DEPTH + 1}, at the brace that crosses`, () => {
    expect(codes(nested(MAX_DEPTH))).toEqual([]);
    const text = nested(MAX_DEPTH + 1);
    const r = check(text);
    expect(r.diagnostics.map((d) => d.code)).toEqual(["NET005"]);
    expect(r.diagnostics[0]!.span.start).toBe("input 4\n".length + MAX_DEPTH * "repeat 1 { ".length + "repeat 1 ".length);
  });

  it("refuses 100,000 nested braces without overflowing the stack", () => {
    expect(codes(`input 4\n${"{".repeat(100_000)}\n`)).toContain("NET005");
  });

  it("counts blocks used through blocks as nesting", () => {
    const chain = (n: number) => `input 4\nblock d0 { relu }\n${Array.from({ length: n }, (_, i) => `block d${i + 1} { d${i} }`).join("\n")}\nd${n}\n`;
    expect(codes(chain(MAX_DEPTH - 1))).toEqual([]);
    expect(codes(chain(MAX_DEPTH + 10))).toEqual(["NET005"]);
  });
});

describe("figures past 2^53", () => {
  it("refuses a layer whose parameters cannot be counted exactly, naming it", () => {
    const r = check("input 1x28x28\nconv 100000000 k1 | flatten | linear 100000000\n");
    expect(r.diagnostics.map((d) => [d.code, d.message])).toEqual([["NET110", "this `linear` is too large to count: it has about 7.8×10^18 parameters, past 2^53, where netc's figures stop being exact"]]);
  });

  it("refuses totals that pass 2^53 at the layer that takes them there", () => {
    // 2^26 → 2^26 features: 2^52 + 2^26 parameters each, countable alone, not together.
    const text = "input 67108864\nlinear 67108864 | linear 67108864\n";
    const r = check(text);
    expect(r.diagnostics.map((d) => [d.code, d.span.start, d.message])).toEqual([
      ["NET110", text.lastIndexOf("linear"), "this `linear` is too large to count: with it, the model has about 9.0×10^15 parameters, past 2^53, where netc's figures stop being exact"],
    ]);
  });

  it("refuses whole-number arguments past 2^53", () => {
    expect(codes("input 4\nlinear 9007199254740993\n")).toEqual(["NET013"]);
    expect(codes("input 4\nlinear 9007199254740991\n")).toEqual(["NET110"]);
  });
});

describe("editor buffers", () => {
  it("are limited to 1 MiB as files are", () => {
    const text = `input 4\n# ${"é".repeat(MAX_SOURCE_BYTES / 2)}\nrelu\n`;
    expect(checkText("big.net", text, { bn: "scratch" }).diagnostics.map((d) => d.code)).toEqual(["NET004"]);
    expect(checkText("ok.net", "input 4\nrelu\n", { bn: "scratch" }).diagnostics).toEqual([]);
  });
});

describe("hints stay bounded on huge sizes", () => {
  // Found by `npm run fuzz`: the hint listed every divisor by trying each number up to the
  // channel count, an array of that length (RangeError past 2^32).
  it("names a few divisors of a large channel count, none of a huge one, without throwing", () => {
    const hint = (channels: number, groups: number) => {
      const r = check(`input ${channels}x1x1\ngroupnorm ${groups}\n`);
      expect(r.diagnostics.map((d) => d.code)).toEqual(["NET108"]);
      return r.diagnostics[0]!.hints[0];
    };
    expect(hint(6, 4)).toBe("choose a number of groups that divides 6: 1, 2, 3, 6");
    expect(hint(720720, 17)).toBe("choose a number of groups that divides 720720: 1, 2, 3, 4, 5, 6, 7, 8, …, 90090, 102960, 120120, 144144, 180180, 240240, 360360, 720720");
    expect(hint(5_000_000_001, 2)).toBe("choose a number of groups that divides 5000000001: 1, 3, 1666666667, 5000000001");
    expect(hint(2 ** 41 + 1, 2)).toBe(`choose a number of groups that divides ${2 ** 41 + 1}`);
  });
});
