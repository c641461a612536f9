// Bundles the CLI into ES modules: importing chevrotain's many modules costs ~250 ms, the
// bundle loads in a fraction of that. TensorFlow.js stays external and is imported lazily.
// Code splitting puts what only `netc train`/`eval` use (imported with `await import()`) in
// chunks of its own, so `check` and `shapes` don't parse it.
import { build } from "esbuild";
import { readdir, rm, stat } from "node:fs/promises";
import { join, resolve } from "node:path";
import { buildKernels } from "./build-kernels.mjs";

// netc's WebAssembly kernels (src/kernels/netc-kernels.wat → dist/netc-kernels.wasm).
await buildKernels();

// `netc fmt` and `netc lsp` load bundles of their own (built below): sharing chunks with the
// CLI would add modules to the start-up of every command.
const editorBundles = { "./format/command.js": "./netc-fmt.mjs", "./lsp/server.js": "./netc-lsp.mjs" };
const separateEditorBundles = {
  name: "separate-editor-bundles",
  setup(b) {
    b.onResolve({ filter: /^\.\/(format\/command|lsp\/server)\.js$/ }, (args) =>
      args.importer === resolve("src/cli.ts") ? { path: editorBundles[args.path], external: true } : undefined,
    );
  },
};

const result = await build({
  entryPoints: { netc: "src/cli.ts" },
  outdir: "dist",
  outExtension: { ".js": ".mjs" },
  chunkNames: "chunks/[name]-[hash]",
  splitting: true,
  bundle: true,
  platform: "node",
  format: "esm",
  target: "node20",
  sourcemap: true,
  minify: true,
  external: ["@tensorflow/*", "@resvg/*"],
  plugins: [separateEditorBundles],
  banner: { js: "import { createRequire as __netcCreateRequire } from 'node:module'; const require = __netcCreateRequire(import.meta.url);" },
  metafile: true,
  logLevel: "warning",
});

// Chunk names carry content hashes, so rebuilds leave stale chunks behind. They are removed
// once old: a CLI started just before this build may still be importing them. `--clean` (run
// before `npm pack`) removes them all, so the package holds only the chunks it uses.
const staleAfterMs = process.argv.includes("--clean") ? 0 : 10 * 60_000;
const fresh = new Set(Object.keys(result.metafile.outputs).map((f) => resolve(f)));
const chunks = await readdir("dist/chunks").catch(() => []);
for (const name of chunks) {
  const path = resolve(join("dist/chunks", name));
  if (fresh.has(path)) continue;
  const { mtimeMs } = await stat(path);
  if (Date.now() - mtimeMs >= staleAfterMs) await rm(path, { force: true });
}

const standalone = { bundle: true, platform: "node", format: "esm", target: "node20", minify: true, logLevel: "warning" };

// The formatter and the language server: Prettier and the LSP libraries load from node_modules.
await build({
  ...standalone,
  entryPoints: { "netc-fmt": "src/format/command.ts", "netc-lsp": "src/lsp/server.ts" },
  outdir: "dist",
  outExtension: { ".js": ".mjs" },
  sourcemap: true,
  external: ["prettier", "vscode-languageserver", "vscode-languageserver-textdocument"],
  banner: { js: "import { createRequire as __netcCreateRequire } from 'node:module'; const require = __netcCreateRequire(import.meta.url);" },
});

// The Prettier plugin, for `prettier --plugin netc/prettier` (package.json `exports`): one
// self-contained file, Prettier's document builders included, so it loads with any Prettier 3.
await build({ ...standalone, entryPoints: ["src/format/plugin.ts"], outfile: "dist/prettier-plugin-netc.mjs" });

// The VS Code extension (editors/vscode): its grammar and its bundled language client.
await import("../editors/vscode/build.mjs");

// The browser page `netc serve` serves (dist/web).
await (await import("./build-web.mjs")).buildWeb();
