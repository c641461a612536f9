// Builds the extension into the files VS Code reads, all inside this folder (VS Code reads no
// file outside an extension's folder): the TextMate grammar and language configuration, copied
// from the repository's grammar/ (generated from the parser by `npm run grammar`), and
// dist/extension.js, extension.js bundled with the language client by esbuild (one file loads
// faster than hundreds, and the package needs no node_modules). Run by the repository's
// `npm run build` (so `npm install` at the root is enough) and by `vsce package`.
import { copyFileSync, mkdirSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { build } from "esbuild";

const here = dirname(fileURLToPath(import.meta.url));
mkdirSync(join(here, "grammar"), { recursive: true });
for (const file of ["netc.tmLanguage.json", "language-configuration.json"]) {
  copyFileSync(join(here, "..", "..", "grammar", file), join(here, "grammar", file));
}

await build({
  entryPoints: [join(here, "extension.js")],
  outfile: join(here, "dist", "extension.js"),
  bundle: true,
  platform: "node",
  format: "cjs",
  // VS Code 1.91 (the oldest the manifest allows) runs extensions on Node 20.
  target: "node20",
  external: ["vscode"],
  minify: true,
  sourcemap: true,
  logLevel: "warning",
});
