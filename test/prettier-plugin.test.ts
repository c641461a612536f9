import { spawnSync } from "node:child_process";
import { readFileSync, readdirSync } from "node:fs";
import { pathToFileURL } from "node:url";
import * as prettier from "prettier";
import type { Plugin } from "prettier";
import { beforeAll, describe, expect, it } from "vitest";
import { netLexer } from "../src/syntax/tokens.js";

/**
 * The built plugin (`dist/prettier-plugin-netc.mjs`, what `--plugin` loads) through Prettier's
 * public API, with the options editors' Prettier integrations pass.
 */

let plugin: Plugin;
beforeAll(async () => {
  plugin = (await import(pathToFileURL("dist/prettier-plugin-netc.mjs").href)).default;
});

const options = <T extends prettier.Options>(extra: T = {} as T) => ({ ...extra, parser: "netc", plugins: [plugin] });

const messy = readdirSync("test/format").filter((f) => f.endsWith(".net")).map((f) => `test/format/${f}`);
const files = [...messy, ...readdirSync("models").map((f) => `models/${f}`)];

interface Token {
  image: string;
  offset: number;
}

/** The tokens of a text, comments included (without trailing blanks, which the formatter drops). */
function tokens(text: string): Token[] {
  const lexed = netLexer.tokenize(text);
  return [...lexed.tokens, ...(lexed.groups["comments"] ?? [])]
    .filter((t) => t.image !== "\n")
    .map((t) => ({ image: t.image.trimEnd(), offset: t.startOffset }))
    .sort((a, b) => a.offset - b.offset);
}

/** How many tokens before `offset` are written `image`. */
const rank = (all: Token[], image: string, offset: number) => all.filter((t) => t.image === image && t.offset < offset).length;

describe("formatWithCursor", () => {
  it("keeps the cursor on its token, at every token of the messy files and two models", async () => {
    let checked = 0;
    for (const file of [...messy, "models/lenet-bn.net", "models/resnet18.net"]) {
      const text = readFileSync(file, "utf8");
      const before = tokens(text);
      const formatted = await prettier.format(text, options());
      const after = tokens(formatted);
      for (const token of before) {
        // Tokens the formatter rewrites (`kernel = 5` is `k5`, `b()` is `b`) have no place to keep.
        const count = (all: Token[]) => all.filter((t) => t.image === token.image).length;
        if (count(before) !== count(after)) continue;
        const result = await prettier.formatWithCursor(text, options({ cursorOffset: token.offset }));
        expect(result.formatted).toBe(formatted);
        const where = `${file}: ${JSON.stringify(token.image)} at ${token.offset} -> ${JSON.stringify(formatted.slice(result.cursorOffset, result.cursorOffset + 20))}`;
        // Before `|`, `{` or `}`, the formatter may add a space or a line break: the cursor may stay
        // before it, next to the token. Words, numbers and comments keep the cursor at their start.
        const punctuation = /^[|{}]$/.test(token.image);
        const landed = punctuation ? result.cursorOffset + /^\s*/.exec(formatted.slice(result.cursorOffset))![0].length : result.cursorOffset;
        const at = after.find((t) => t.offset === landed);
        expect(at?.image, where).toBe(token.image);
        expect(rank(after, token.image, landed), where).toBe(rank(before, token.image, token.offset));
        checked++;
      }
    }
    expect(checked).toBeGreaterThan(500);
  });

  it("keeps the cursor inside a token and inside a rewritten option", async () => {
    const text = "input 1x28x28\nconv   6 kernel = 5|relu   # note\n";
    const formatted = "input 1x28x28\nconv 6 k5 | relu # note\n";
    const cursorAt = async (offset: number) => {
      const result = await prettier.formatWithCursor(text, options({ cursorOffset: offset }));
      expect(result.formatted).toBe(formatted);
      return result.cursorOffset;
    };
    expect(await cursorAt(text.indexOf("nv"))).toBe(formatted.indexOf("nv"));
    expect(await cursorAt(text.indexOf("lu"))).toBe(formatted.indexOf("lu"));
    expect(await cursorAt(text.indexOf("note"))).toBe(formatted.indexOf("note"));
    expect(await cursorAt(text.length)).toBe(formatted.length);
    expect(formatted.slice(await cursorAt(text.indexOf("kernel")))).toMatch(/^k5/);
  });

  it("works from Prettier's command line (`--cursor-offset`)", () => {
    const text = readFileSync("models/lenet.net", "utf8");
    const offset = text.indexOf("conv 16");
    const run = spawnSync(process.execPath, ["node_modules/prettier/bin/prettier.cjs", "--plugin", "./dist/prettier-plugin-netc.mjs", "--cursor-offset", String(offset), "models/lenet.net"], { encoding: "utf8" });
    expect(run.status, run.stderr).toBe(0);
    expect(run.stdout).toBe(text);
    expect(Number(run.stderr.trim())).toBe(offset);
  });
});

describe("getVisitorKeys", () => {
  it("leads Prettier only to nodes with spans", async () => {
    const { parsers, printers } = plugin as Required<Plugin>;
    const { getVisitorKeys } = printers["netc"]!;
    let visited = 0;
    for (const file of files) {
      const text = readFileSync(file, "utf8");
      const queue: unknown[] = [await parsers["netc"]!.parse(text, { filepath: file } as never)];
      for (let node = queue.pop(); node !== undefined; node = queue.pop()) {
        const { span } = node as { span?: { start: number; end: number } };
        expect(span, `${file}: ${JSON.stringify(node).slice(0, 80)}`).toMatchObject({ start: expect.any(Number), end: expect.any(Number) });
        expect(0 <= span!.start && span!.start <= span!.end && span!.end <= text.length).toBe(true);
        visited++;
        for (const key of getVisitorKeys!(node, new Set())) {
          const value = (node as Record<string, unknown>)[key];
          queue.push(...(Array.isArray(value) ? value : value === undefined ? [] : [value]));
        }
      }
    }
    expect(visited).toBeGreaterThan(1000);
  });
});

describe("pragmas", () => {
  const plain = "input 784\nlinear   10\n";

  it("requirePragma formats only files with `# @format` or `# @prettier` in their opening comments", async () => {
    expect(await prettier.format(plain, options({ requirePragma: true }))).toBe(plain);
    expect(await prettier.format(`# @format\n${plain}`, options({ requirePragma: true }))).toBe("# @format\ninput 784\nlinear 10\n");
    const described = `# A linear classifier.\n#\n#   @prettier\n\n${plain}`;
    expect(await prettier.format(described, options({ requirePragma: true }))).toBe("# A linear classifier.\n#\n#   @prettier\n\ninput 784\nlinear 10\n");
    // Only the comments before the first statement hold a pragma; a mention elsewhere is none.
    const late = `input 784 # @format\nlinear   10\n# @format\n`;
    expect(await prettier.format(late, options({ requirePragma: true }))).toBe(late);
    expect(await prettier.format(`# @formatted\n${plain}`, options({ requirePragma: true }))).toBe(`# @formatted\n${plain}`);
  });

  it("insertPragma adds `# @format` once", async () => {
    const once = await prettier.format(plain, options({ insertPragma: true }));
    expect(once).toBe("# @format\n\ninput 784\nlinear 10\n");
    expect(await prettier.format(once, options({ insertPragma: true }))).toBe(once);
    expect(await prettier.format(`# @prettier\n${plain}`, options({ insertPragma: true }))).toBe("# @prettier\ninput 784\nlinear 10\n");
  });

  it("checkIgnorePragma leaves files with `# @noformat` alone", async () => {
    const ignored = `# @noformat\n${plain}`;
    expect(await prettier.format(ignored, options({ checkIgnorePragma: true }))).toBe(ignored);
    expect(await prettier.format(plain, options({ checkIgnorePragma: true }))).toBe("input 784\nlinear 10\n");
  });
});

describe("rangeStart/rangeEnd", () => {
  const text = "input 784\nlinear   120 |relu\nlinear   10\n";

  it("a range over the whole file formats it, keeping the cursor", async () => {
    const result = await prettier.formatWithCursor(text, options({ rangeStart: 0, rangeEnd: text.length, cursorOffset: text.indexOf("relu") }));
    expect(result.formatted).toBe("input 784\nlinear 120 | relu\nlinear 10\n");
    expect(result.cursorOffset).toBe(result.formatted.indexOf("relu"));
  });

  it("a part of a file is left as it is: Prettier formats parts of files only for its own languages", async () => {
    const start = text.indexOf("linear   120");
    const result = await prettier.formatWithCursor(text, options({ rangeStart: start, rangeEnd: text.indexOf("\n", start), cursorOffset: start + 3 }));
    expect(result).toMatchObject({ formatted: text, cursorOffset: start + 3 });
  });
});
