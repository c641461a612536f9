import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import oniguruma from "vscode-oniguruma";
import textmate from "vscode-textmate";
import { beforeAll, describe, expect, it } from "vitest";
import { generateGrammar } from "../scripts/grammar.js";

const generated = generateGrammar();

describe("grammar/", () => {
  it.each(Object.keys(generated))("%s is up to date with the parser and layer registry", (file) => {
    const onDisk = readFileSync(`grammar/${file}`, "utf8");
    expect(onDisk === generated[file], `grammar/${file} is stale: run \`npm run grammar\``).toBe(true);
  });

  it("language-configuration.json is valid JSON", () => {
    expect(JSON.parse(readFileSync("grammar/language-configuration.json", "utf8")).comments).toEqual({ lineComment: "#" });
  });
});

describe("TextMate grammar", () => {
  const rawText = generated["netc.tmLanguage.json"]!;
  let grammar: textmate.IGrammar;

  beforeAll(async () => {
    const wasm = readFileSync(createRequire(import.meta.url).resolve("vscode-oniguruma/release/onig.wasm"));
    await oniguruma.loadWASM({ data: wasm });
    const registry = new textmate.Registry({
      onigLib: Promise.resolve({ createOnigScanner: (sources) => new oniguruma.OnigScanner(sources), createOnigString: (s) => new oniguruma.OnigString(s) }),
      loadGrammar: async (scope) => (scope === "source.netc" ? textmate.parseRawGrammar(rawText, "netc.tmLanguage.json") : null),
    });
    grammar = (await registry.loadGrammar("source.netc"))!;
  });

  it("has regexes that compile in Oniguruma (what editors use) and in JavaScript", () => {
    const regexes: string[] = [];
    JSON.parse(rawText, (key, value: unknown) => {
      if (["match", "begin", "end", "while"].includes(key) && typeof value === "string") regexes.push(value);
      return value;
    });
    expect(regexes.length).toBeGreaterThan(10);
    for (const source of regexes) {
      expect(() => new oniguruma.OnigScanner([source]), source).not.toThrow();
      expect(() => new RegExp(source), source).not.toThrow();
    }
  });

  /** The scopes of the first token on `line` whose text is exactly `text`. */
  function scopes(line: string, text: string): string[] {
    const { tokens } = grammar.tokenizeLine(line, textmate.INITIAL);
    const token = tokens.find((t) => line.slice(t.startIndex, t.endIndex) === text);
    if (!token) throw new Error(`no token \`${text}\` in: ${line}`);
    return token.scopes;
  }

  it("tokenizes models/lenet-bn.net", () => {
    const lines = readFileSync("models/lenet-bn.net", "utf8").split("\n");
    expect(scopes(lines[0]!, " LeNet with batch normalization")).toContain("comment.line.number-sign.netc");
    expect(scopes(lines[1]!, "model")).toContain("keyword.other.netc");
    expect(scopes(lines[2]!, "1x28x28")).toContain("constant.numeric.dims.netc");
    expect(scopes(lines[3]!, "conv")).toContain("support.function.layer.netc");
    expect(scopes(lines[3]!, "6")).toContain("constant.numeric.netc");
    expect(scopes(lines[3]!, "k5")).toContain("variable.parameter.short.netc");
    expect(scopes(lines[3]!, "|")).toContain("keyword.operator.pipe.netc");
    expect(scopes(lines[3]!, "bn")).toContain("support.function.layer.netc");
  });

  it("tokenizes blocks, options, flags and names", () => {
    const block = "block residual_1x1(c, s=1) {";
    expect(scopes(block, "block")).toContain("keyword.other.netc");
    expect(scopes(block, "residual_1x1")).toContain("entity.name.type.block.netc");
    expect(scopes(block, "s")).toContain("variable.parameter.netc");
    expect(scopes(block, "=")).toContain("keyword.operator.assignment.netc");
    expect(scopes(block, "{")).toContain("punctuation.section.block.begin.netc");

    const layer = "fc 84 nobias | bn scratch eps=1e-5 momentum=0.9 | add { relu2 }";
    expect(scopes(layer, "fc")).toContain("support.function.layer.netc"); // an alias
    expect(scopes(layer, "nobias")).toContain("constant.language.netc");
    expect(scopes(layer, "scratch")).toContain("constant.language.netc");
    expect(scopes(layer, "1e-5")).toContain("constant.numeric.netc");
    expect(scopes(layer, "0.9")).toContain("constant.numeric.netc");
    expect(scopes(layer, "add")).toContain("support.function.merge.netc");
    expect(scopes(layer, "relu2")).toEqual(["source.netc"]); // a name, not `relu` and a number
  });
});
