import { spawnSync, type SpawnSyncReturns } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { unzipSync } from "fflate";
import { beforeAll, describe, expect, it } from "vitest";
import { vscodeRequire } from "./vscode-stub.js";

/** The VS Code extension as built from this checkout, and as packaged by `npm run package:vscode`. */

const manifest = JSON.parse(readFileSync("editors/vscode/package.json", "utf8"));

it("contributes the .net language with the grammar and configuration from grammar/", () => {
  const [language] = manifest.contributes.languages;
  const [grammar] = manifest.contributes.grammars;
  expect(language).toMatchObject({ id: "netc", extensions: [".net"] });
  expect(grammar.language).toBe("netc");
  // editors/vscode/build.mjs copies grammar/<file> to editors/vscode/grammar/<file>.
  for (const path of [language.configuration, grammar.path]) {
    expect(path).toMatch(/^\.\/grammar\//);
    expect(existsSync(`editors/vscode/${path}`), path).toBe(true);
  }
  expect(JSON.parse(readFileSync("grammar/netc.tmLanguage.json", "utf8")).scopeName).toBe(grammar.scopeName);
  expect(manifest.activationEvents).toContain("onLanguage:netc");
});

/** An extension's entry point loaded as VS Code would, outside any workspace. */
function loadExtension(path: string) {
  const vscode = { version: "1.91.0", workspace: { workspaceFolders: undefined, getConfiguration: () => ({ get: (_: string, fallback: unknown) => fallback }) } };
  return vscodeRequire(vscode, import.meta.url)(path) as { activate: unknown; deactivate: unknown; serverOptions(): unknown };
}

describe("npm run package:vscode", () => {
  let packaged: SpawnSyncReturns<string>;
  let files: Record<string, Uint8Array> = {};
  const text = (name: string) => new TextDecoder().decode(files[name]);

  beforeAll(() => {
    const out = join(mkdtempSync(join(tmpdir(), "netc-vsix-")), "netc.vsix");
    packaged = spawnSync("npm", ["run", "package:vscode", "--", "--out", out], { encoding: "utf8" });
    if (packaged.status === 0) files = unzipSync(readFileSync(out));
  });

  it("packages the extension: manifest, README, grammar and the bundled client, nothing else", () => {
    expect(packaged.status, packaged.stdout + packaged.stderr).toBe(0);
    expect(Object.keys(files).sort()).toEqual([
      "[Content_Types].xml",
      "extension.vsixmanifest",
      "extension/dist/extension.js",
      "extension/grammar/language-configuration.json",
      "extension/grammar/netc.tmLanguage.json",
      "extension/package.json",
      "extension/readme.md",
    ]);
    const vsixManifest = text("extension.vsixmanifest");
    expect(vsixManifest).toContain(`<Identity Language="en-US" Id="netc-vscode" Version="${manifest.version}" Publisher="netc"`);
    expect(vsixManifest).toContain('<Asset Type="Microsoft.VisualStudio.Code.Manifest" Path="extension/package.json"');
    const packagedManifest = JSON.parse(text("extension/package.json"));
    expect(packagedManifest.contributes).toEqual(manifest.contributes);
    expect(files[`extension/${packagedManifest.main.replace(/^\.\//, "")}`]).toBeDefined();
  });

  it("holds the grammar and language configuration of grammar/", () => {
    for (const path of [manifest.contributes.grammars[0].path, manifest.contributes.languages[0].configuration]) {
      const name = path.replace(/^\.\/grammar\//, "");
      expect(text(`extension/grammar/${name}`), name).toBe(readFileSync(`grammar/${name}`, "utf8"));
    }
  });

  it("runs without node_modules: the client is bundled into the entry point", () => {
    // Outside the checkout, where require() finds no vscode-languageclient.
    const entry = join(mkdtempSync(join(tmpdir(), "netc-extension-")), "extension.js");
    writeFileSync(entry, files["extension/dist/extension.js"]!);
    const extension = loadExtension(entry);
    expect(typeof extension.activate).toBe("function");
    expect(typeof extension.deactivate).toBe("function");
    expect(extension.serverOptions()).toMatchObject({ command: "netc", args: ["lsp"] });
  });
});
