import { spawnSync } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
import { expect, it } from "vitest";

/** The VS Code extension is not run here; its manifest must at least point at real files. */

const manifest = JSON.parse(readFileSync("editors/vscode/package.json", "utf8"));

it("contributes the .net language with the grammar and configuration from grammar/", () => {
  const [language] = manifest.contributes.languages;
  const [grammar] = manifest.contributes.grammars;
  expect(language).toMatchObject({ id: "netc", extensions: [".net"] });
  expect(grammar.language).toBe("netc");
  // copy-grammar.mjs copies grammar/<file> to editors/vscode/grammar/<file>.
  for (const path of [language.configuration, grammar.path]) {
    expect(path).toMatch(/^\.\/grammar\//);
    expect(existsSync(path.replace(/^\.\//, "")), path).toBe(true);
  }
  expect(JSON.parse(readFileSync("grammar/netc.tmLanguage.json", "utf8")).scopeName).toBe(grammar.scopeName);
  expect(manifest.activationEvents).toContain("onLanguage:netc");
});

it("starts `netc lsp` from a syntactically valid entry point", () => {
  expect(existsSync(`editors/vscode/${manifest.main}`)).toBe(true);
  expect(spawnSync(process.execPath, ["--check", `editors/vscode/${manifest.main}`]).status).toBe(0);
  expect(readFileSync(`editors/vscode/${manifest.main}`, "utf8")).toContain('args: ["lsp"]');
});
