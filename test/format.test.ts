import { spawnSync } from "node:child_process";
import { copyFileSync, mkdtempSync, readFileSync, readdirSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { check } from "../src/compile.js";
import { formatSource } from "../src/format/format.js";
import { blockNames, shortSpelling } from "../src/format/print.js";
import { shapesToJson } from "../src/shape-table.js";
import { SourceFile } from "../src/source.js";
import type * as A from "../src/syntax/ast.js";
import { LBrace, Newline, Pipe, netLexer } from "../src/syntax/tokens.js";
import { expectGolden } from "./golden.js";

/**
 * The formatter: canonical output for a corpus of messy files (golden `.expected` files, rewritten
 * by `npm run golden:update`), idempotence, and no change of meaning (same syntax tree up to
 * spans and option spelling, same shapes, same diagnostics).
 */

async function format(text: string, path = "model.net"): Promise<string> {
  const result = await formatSource(new SourceFile(path, text));
  if (!result.ok) throw new Error(`syntax errors: ${result.diagnostics.map((d) => d.message).join("; ")}`);
  return result.formatted;
}

/** The syntax tree without spans, options in their canonical spelling, comments as text. */
function normalizedAst(file: A.NetFile): unknown {
  const blocks = blockNames(file);
  const walk = (node: unknown, layer?: string): unknown => {
    if (Array.isArray(node)) return node.map((n) => walk(n, layer));
    if (node === null || typeof node !== "object") return node;
    const record = node as Record<string, unknown>;
    if (record["kind"] === "keyword" && layer !== undefined) {
      const short = shortSpelling(layer, record as A.Arg, blocks);
      if (short) return { kind: "word", name: { text: short } };
    }
    const inner = record["kind"] === "layer" ? (record["name"] as A.Name).text : record["kind"] === "chain" ? undefined : layer;
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(record)) {
      if (k === "span") continue;
      out[k] = k === "text" && typeof v === "string" && v.startsWith("#") ? v.trimEnd() : walk(v, k === "branches" ? undefined : inner);
    }
    return out;
  };
  return walk(file);
}

/** What a model means: its tree, its shapes (line numbers aside) and its diagnostics (spans aside). */
function meaning(text: string, path = "model.net") {
  const checked = check(new SourceFile(path, text), { bn: "scratch" });
  const shapes = shapesToJson(checked.network.name, checked.shapes, checked.source, 1);
  return {
    ast: normalizedAst(checked.ast),
    shapes: { ...shapes, layers: shapes.layers.map(({ line: _line, ...rest }) => rest) },
    diagnostics: checked.diagnostics.map((d) => `${d.severity} ${d.code} ${d.message}`),
  };
}

async function expectSafeFormatting(text: string, path = "model.net"): Promise<string> {
  const once = await format(text, path);
  expect(await format(once, path), "formatting twice gives the same text").toBe(once);
  expect(meaning(once, path), "formatting keeps the meaning").toEqual(meaning(text, path));
  return once;
}

function netc(...args: string[]) {
  const r = spawnSync(process.execPath, ["bin/netc.mjs", ...args], { encoding: "utf8", env: { ...process.env, NO_COLOR: "1" } });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

const models = readdirSync("models").filter((f) => f.endsWith(".net"));
const corpus = readdirSync("test/format").filter((f) => f.endsWith(".net"));

describe("formatting models/", () => {
  it.each(models)("%s is canonical already, and formatting keeps its meaning", async (file) => {
    const text = readFileSync(`models/${file}`, "utf8");
    expect(await expectSafeFormatting(text, file)).toBe(text);
  });
});

describe("the messy corpus (test/format/, golden files)", () => {
  it.each(corpus)("%s comes out canonical, idempotent, with the same meaning", async (file) => {
    const text = readFileSync(`test/format/${file}`, "utf8");
    expectGolden(await expectSafeFormatting(text, file), `test/format/${file.replace(/\.net$/, ".expected")}`);
  });

  it("reads CRLF line endings and writes LF", async () => {
    const text = readFileSync("test/format/comments.net", "utf8");
    expect(await expectSafeFormatting(text.replace(/\n/g, "\r\n"), "comments.net")).toBe(readFileSync("test/format/comments.expected", "utf8"));
  });

  it("breaks long chains at `|` within the print width", async () => {
    const out = await format(readFileSync("test/format/long-chains.net", "utf8"));
    for (const line of out.split("\n")) expect(line.length).toBeLessThanOrEqual(80);
    expect(out).toContain(" |\n  relu | conv 64 k3 p1");
  });

  it("honours the print width and indentation it is given", async () => {
    const source = new SourceFile("m.net", "input 1x8x8\nrepeat 2 { conv 8 k3 p1 | bn | relu | conv 8 k3 p1 | bn | relu }\n");
    const result = await formatSource(source, { printWidth: 40, useTabs: true });
    expect(result.ok && result.formatted).toBe("input 1x8x8\nrepeat 2 {\n\tconv 8 k3 p1 | bn | relu |\n\t\tconv 8 k3 p1 | bn | relu\n}\n");
  });
});

describe("files with syntax errors", () => {
  it("are reported with their errors, not formatted", async () => {
    const result = await formatSource(new SourceFile("bad.net", readFileSync("test/diagnostics/syntax.net", "utf8")));
    expect(result.ok).toBe(false);
    expect(!result.ok && result.diagnostics.map((d) => d.code)).toEqual(["NET002", "NET002", "NET002", "NET002"]);
  });

  it("are left untouched by `netc fmt --write`, exit 1 with the errors located", () => {
    const dir = mkdtempSync(join(tmpdir(), "netc-fmt-"));
    const file = join(dir, "syntax.net");
    copyFileSync("test/diagnostics/syntax.net", file);
    const before = readFileSync(file);
    const r = netc("fmt", "--write", file);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain(`${file}:2:12: error: expected \`repeat\` or a name, found \`|\``);
    expect(r.stderr).toContain("not formatted: 4 syntax errors");
    expect(readFileSync(file).equals(before)).toBe(true);
    expect(readdirSync(dir)).toEqual(["syntax.net"]);
  });
});

describe("netc fmt", () => {
  it("--check passes on models/", () => {
    const r = netc("fmt", "--check", ...models.map((m) => `models/${m}`));
    expect(r.code).toBe(0);
    expect(r.stdout).toBe("");
  });

  it("prints the formatted text; --check lists unformatted files; --write rewrites them", () => {
    const dir = mkdtempSync(join(tmpdir(), "netc-fmt-"));
    const messy = join(dir, "spacing.net");
    const clean = join(dir, "lenet.net");
    copyFileSync("test/format/spacing.net", messy);
    copyFileSync("models/lenet.net", clean);
    const expected = readFileSync("test/format/spacing.expected", "utf8");

    const printed = netc("fmt", messy);
    expect(printed.code).toBe(0);
    expect(printed.stdout).toBe(expected);

    const checked = netc("fmt", "--check", messy, clean);
    expect(checked.code).toBe(1);
    expect(checked.stdout).toBe(`${messy}\n`);

    const mode = statSync(messy).mode;
    const written = netc("fmt", "--write", messy, clean);
    expect(written.code).toBe(0);
    expect(written.stdout).toBe(`${messy}\n`);
    expect(readFileSync(messy, "utf8")).toBe(expected);
    expect(statSync(messy).mode).toBe(mode);
    expect(readdirSync(dir).sort()).toEqual(["lenet.net", "spacing.net"]);
    expect(netc("fmt", "--check", messy, clean).code).toBe(0);
  });

  it("takes the print width from a Prettier configuration file", () => {
    const dir = mkdtempSync(join(tmpdir(), "netc-fmt-"));
    writeFileSync(join(dir, ".prettierrc"), JSON.stringify({ printWidth: 30 }));
    writeFileSync(join(dir, "m.net"), "input 784\nlinear 120 | relu | linear 84 | relu | linear 10\n");
    expect(netc("fmt", join(dir, "m.net")).stdout).toBe("input 784\nlinear 120 | relu |\n  linear 84 | relu | linear 10\n");
  });

  it("rejects --check with --write, and unreadable files, as usage errors", () => {
    expect(netc("fmt", "--check", "--write", "models/lenet.net").code).toBe(2);
    expect(netc("fmt", "missing.net").code).toBe(2);
  });
});

describe("the Prettier plugin", () => {
  const prettier = (...args: string[]) => spawnSync(process.execPath, ["node_modules/prettier/bin/prettier.cjs", "--plugin", "./dist/prettier-plugin-netc.mjs", ...args], { encoding: "utf8" });

  it("`prettier --check models/*.net` passes", () => {
    const r = prettier("--check", ...models.map((m) => `models/${m}`));
    expect(r.stderr).toBe("");
    expect(r.status).toBe(0);
  });

  it("formats as `netc fmt` does, and reports syntax errors with their location", () => {
    for (const file of corpus) {
      expect(prettier(`test/format/${file}`).stdout, file).toBe(readFileSync(`test/format/${file.replace(/\.net$/, ".expected")}`, "utf8"));
    }
    const bad = prettier("test/diagnostics/syntax.net");
    expect(bad.status).toBe(2);
    expect(bad.stderr).toContain("syntax.net: SyntaxError: expected `repeat` or a name, found `|` [NET002] (and 3 more syntax errors)");
    expect(bad.stderr).toContain("> 2 | conv 6 k5 || relu");
  });
});

describe("formatting random programs", () => {
  const fragments = ["conv 6 k5", "kernel=3", "k = 3", "s=2", "p1", "bn", "relu", "c", "x=c", "linear 10", "add", "concat", "repeat 2", "block b(c, s=1)", "b 4", "|", "|\n", "{", "}", "} {", "\n", "\n\n", " ", "\t", "# note", "#", "input 1x28x28", "model m", "train lr=0.1", "identity", "flatten", "1x2"];
  const models = readdirSync("models").map((f) => readFileSync(`models/${f}`, "utf8"));

  /**
   * Whatever parses formats without losing a comment, idempotently, keeping its meaning; what
   * does not is refused with its syntax errors. Says which of the two it checked.
   */
  async function property(text: string): Promise<"formatted" | "refused"> {
    const result = await formatSource(new SourceFile("fuzz.net", text));
    if (!result.ok) {
      expect(result.diagnostics.map((d) => d.code)).toContain("NET002");
      return "refused";
    }
    await expectSafeFormatting(text, "fuzz.net");
    return "formatted";
  }

  /** Runs the property on `runs` generated texts; counts what each was checked for. */
  async function run(texts: fc.Arbitrary<string>, runs: number) {
    const seen = { formatted: 0, refused: 0, blank: 0 };
    await fc.assert(
      fc.asyncProperty(texts, async (text) => {
        const outcome = await property(text);
        seen[outcome]++;
        if (outcome === "formatted" && text.trim() === "") seen.blank++;
      }),
      { numRuns: runs },
    );
    return seen;
  }

  it("token soup: both outcomes are checked, each on a good share of the inputs", async ({ annotate }) => {
    const seen = await run(fc.array(fc.constantFrom(...fragments), { maxLength: 40 }).map((parts) => parts.join(" ")), 500);
    await annotate(`${seen.formatted} of 500 formatted (${seen.blank} blank), ${seen.refused} refused`);
    // Measured: about 35% parse (a third of those blank) and 65% do not.
    expect(seen.formatted - seen.blank, "non-blank soups that parsed and were formatted").toBeGreaterThanOrEqual(60);
    expect(seen.refused, "soups refused for their syntax errors").toBeGreaterThanOrEqual(200);
  }, 120_000);

  it("generated programs: nested bodies, comments everywhere they can go, odd spacing", async ({ annotate }) => {
    const space = fc.constantFrom("", " ", "  ", "\t");
    const trailing = fc.constantFrom("", "", " # t", "   #t  ");
    const gap = fc.constantFrom("", "", "\n", "\n\n\n", "# own\n", "  # own\n\n");
    const separator = fc.constantFrom(" | ", "|", "  |  ", " |\n  ", " | # after\n");
    const layer = fc.constantFrom(
      "conv 6 k5",
      "conv 6 kernel=3 s = 2",
      "bn eps=1e-5",
      "bn affine=false track = false momentum=none",
      "relu",
      "b 4",
      "b 4 s=2",
      "linear 10",
      "identity",
      "flatten",
      "maxpool 3 s2 p1",
      "dropout 0.5",
      "layernorm eps=1e-3",
      "groupnorm 2",
      "instancenorm affine track=true",
      "iternorm groups = 2 iters=3",
    );
    const { chain } = fc.letrec<{ item: string; chain: string; body: string }>((tie) => ({
      item: fc.oneof(
        { maxDepth: 3, depthSize: "small" },
        layer,
        fc.tuple(fc.constantFrom("add", "concat"), tie("body"), tie("body")).map(([m, a, b]) => `${m} ${a} ${b}`),
        tie("body").map((b) => `repeat 2 ${b}`),
      ),
      chain: fc.array(fc.tuple(tie("item"), separator), { minLength: 1, maxLength: 4 }).map((parts) => parts.map(([item, sep], i) => (i < parts.length - 1 ? item + sep : item)).join("")),
      body: fc.oneof(
        tie("chain").map((c) => `{ ${c} }`),
        fc.tuple(trailing, fc.array(fc.tuple(gap, space, tie("chain"), trailing), { maxLength: 3 }), gap).map(([t, lines, end]) => `{${t}\n${lines.map(([g, s, c, tr]) => `${g}${s}${c}${tr}\n`).join("")}${end}}`),
      ),
    }));
    const statement = fc.oneof(chain, fc.tuple(space, chain).map(([s, c]) => s + c), fc.constant("block b(c, s=1) {\n  conv c k3 s=s\n}"), fc.constant("input 1x28x28"));
    const program = fc.array(fc.tuple(gap, statement, trailing), { minLength: 1, maxLength: 6 }).map((lines) => lines.map(([g, s, t]) => `${g}${s}${t}\n`).join(""));
    const seen = await run(program, 300);
    await annotate(`${seen.formatted} of 300 formatted`);
    // The generator writes valid programs only: every one is formatted, none skipped.
    expect(seen.formatted).toBe(300);
  }, 120_000);

  /**
   * Where text can go in a model without breaking it, from its tokens: spaces before any token,
   * a trailing comment at the end of a line, line breaks (with or without a comment) there, at
   * the start of a line and after `|` or `{`.
   */
  function insertionPoints(text: string): Record<"space" | "end" | "line", number[]> {
    const tokens = netLexer.tokenize(text).tokens;
    const end = [text.length];
    const line = [0, text.length];
    for (const t of tokens) {
      if (t.tokenType === Newline) end.push(t.startOffset);
      if (t.tokenType === Newline) line.push(t.startOffset, t.startOffset + 1);
      if (t.tokenType === Pipe || t.tokenType === LBrace) line.push(t.startOffset + 1);
    }
    return { space: tokens.map((t) => t.startOffset), end, line };
  }

  it("real models with random comments, blank lines and spaces", async ({ annotate }) => {
    const edit = fc.record({ at: fc.nat(), insert: fc.constantFrom(" ", "  ", "\t", "\n", " # c\n", "# own\n", "\n\n", " # c") });
    const edited = fc.tuple(fc.integer({ min: 0, max: models.length - 1 }), fc.array(edit, { minLength: 1, maxLength: 8 })).map(([m, edits]) => {
      let text = models[m]!;
      for (const e of edits) {
        const points = insertionPoints(text)[e.insert.includes("\n") ? "line" : e.insert.includes("#") ? "end" : "space"];
        const at = points[e.at % points.length]!;
        text = text.slice(0, at) + e.insert + text.slice(at);
      }
      return text;
    });
    const seen = await run(edited, 150);
    await annotate(`${seen.formatted} of 150 formatted`);
    // Edits go only where the grammar allows them: every edited model still parses.
    expect(seen.formatted).toBe(150);
  }, 120_000);
});

describe("netc fmt and byte-order marks", () => {
  it("keeps a file's BOM, as Prettier does", () => {
    const dir = mkdtempSync(join(tmpdir(), "netc-bom-"));
    const file = join(dir, "bom.net");
    writeFileSync(file, "\uFEFFinput 4\nlinear   2\n");
    const run = (...args: string[]) => spawnSync(process.execPath, ["bin/netc.mjs", "fmt", ...args, file], { encoding: "utf8" });
    expect(run("--check").status).toBe(1);
    expect(run("--write").status).toBe(0);
    expect(readFileSync(file, "utf8")).toBe("\uFEFFinput 4\nlinear 2\n");
    expect(run("--check").status).toBe(0);
  });
});
