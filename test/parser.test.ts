import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { SourceFile } from "../src/source.js";
import type { Chain, LayerItem, NetFile } from "../src/syntax/ast.js";
import { parse } from "../src/syntax/parse.js";
import { NetParser } from "../src/syntax/parser.js";
import { createLexer } from "../src/syntax/tokens.js";

function parseText(text: string): ReturnType<typeof parse> {
  return parse(new SourceFile("t.net", text));
}

function chains(ast: NetFile): Chain[] {
  return ast.statements.filter((s): s is Chain => s.kind === "chain");
}

function layerNames(ast: NetFile): string[] {
  return chains(ast).flatMap((c) => c.items.map((i) => (i.kind === "layer" ? i.name.text : "repeat")));
}

describe("parser", () => {
  it("parses the seed's LeNet-BN verbatim", () => {
    const text = readFileSync("models/lenet-bn.net", "utf8");
    const { ast, diagnostics } = parseText(text);
    expect(diagnostics).toEqual([]);
    expect(ast.statements.map((s) => s.kind)).toEqual(["model", "input", "chain", "chain", "chain", "chain", "chain", "chain"]);
    expect(layerNames(ast)).toEqual(["conv", "bn", "sigmoid", "avgpool", "conv", "bn", "sigmoid", "avgpool", "flatten", "linear", "bn", "sigmoid", "linear", "bn", "sigmoid", "linear"]);
    expect(ast.comments.map((c) => c.text)).toEqual(["# LeNet with batch normalization"]);
  });

  it("gives every node a span that covers its text", () => {
    const text = "input 1x28x28\nconv 6 k3x5 s2 eps=1e-5 | bn\n";
    const { ast } = parseText(text);
    const input = ast.statements[0]!;
    expect(input.kind === "input" && input.shape).toEqual({ kind: "dims", dims: [1, 28, 28], text: "1x28x28", span: { start: 6, end: 13 } });
    const conv = chains(ast)[0]!.items[0] as LayerItem;
    expect(text.slice(conv.span.start, conv.span.end)).toBe("conv 6 k3x5 s2 eps=1e-5");
    expect(conv.args.map((a) => [a.kind, text.slice(a.span.start, a.span.end)])).toEqual([
      ["positional", "6"],
      ["word", "k3x5"],
      ["word", "s2"],
      ["keyword", "eps=1e-5"],
    ]);
  });

  it("separates layers by `|` or newlines, and continues a chain after a trailing `|`", () => {
    const { ast, diagnostics } = parseText("input 4\nlinear 8 |\n  relu\nlinear 2\n");
    expect(diagnostics).toEqual([]);
    expect(chains(ast).map((c) => c.items.length)).toEqual([2, 1]);
    const withComment = parseText("input 4\nlinear 8 |\n  # the activation\n\n  relu\nlinear 2\n");
    expect(withComment.diagnostics).toEqual([]);
    expect(chains(withComment.ast).map((c) => c.items.length)).toEqual([2, 1]);
  });

  it("parses blocks with defaults, repeat, and branches spanning lines", () => {
    const text = ["block res(c, s=1) {", "  add {", "    conv c k3 p1 s=s | bn", "  } {", "    identity", "  }", "}", "repeat 2 { res 8 }", "concat { relu } { tanh } { sigmoid }"].join("\n");
    const { ast, diagnostics } = parseText(text);
    expect(diagnostics).toEqual([]);
    const block = ast.statements[0]!;
    expect(block.kind).toBe("block");
    if (block.kind !== "block") return;
    expect(block.params.map((p) => [p.name.text, p.default?.kind === "number" ? p.default.value : undefined])).toEqual([
      ["c", undefined],
      ["s", 1],
    ]);
    const add = block.body.chains[0]!.items[0] as LayerItem;
    expect(add.branches).toHaveLength(2);
    expect(add.branches[0]!.chains[0]!.items).toHaveLength(2);
    const [repeat, concat] = chains(ast).map((c) => c.items[0]!);
    expect(repeat!.kind).toBe("repeat");
    expect((concat as LayerItem).branches).toHaveLength(3);
  });

  it("reports independent syntax errors on separate lines", () => {
    const { diagnostics } = parseText("conv 6 k5 ||\nlinear = 5\nrelu }\n");
    expect(diagnostics.map((d) => d.code)).toEqual(["NET002", "NET002", "NET002"]);
  });

  it("keeps parsing after a lexer error", () => {
    const { ast, diagnostics } = parseText("conv 6 k5 $ | relu\nflatten\n");
    expect(diagnostics.map((d) => d.code)).toEqual(["NET001"]);
    expect(layerNames(ast)).toEqual(["conv", "relu", "flatten"]);
  });
});

describe("grammar", () => {
  it("passes chevrotain's grammar and lexer validations (skipped at run time for start-up speed)", () => {
    expect(() => new NetParser({ validate: true })).not.toThrow();
    expect(() => createLexer({ validate: true })).not.toThrow();
  });
});
