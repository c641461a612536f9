// Builds the browser page `netc serve` serves (dist/web/), from the same front-end and training
// modules as the CLI: app.js (editor, shape table, graph; Prettier loads on first format) and
// train-worker.js (tfjs-core, its WebAssembly backend and netc's kernels, loaded when Train is
// pressed), with the files they fetch: tfjs's and netc's .wasm, the models of models/ and a
// small Fashion-MNIST sample. The folder works as a static site too. Run by scripts/build.mjs;
// `node scripts/build-web.mjs --report` builds it and prints what a visit downloads.
import { copyFile, mkdir, readdir, readFile, rm, stat, writeFile } from "node:fs/promises";
import { createRequire } from "node:module";
import { dirname, join, relative } from "node:path";
import { fileURLToPath } from "node:url";
import { gzipSync } from "node:zlib";
import { build } from "esbuild";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const out = join(root, "dist/web");
const require = createRequire(import.meta.url);

export async function buildWeb() {
  await rm(out, { recursive: true, force: true });
  const result = await build({
    absWorkingDir: root,
    entryPoints: { app: "src/web/app.ts", "train-worker": "src/web/train-worker.ts" },
    outdir: out,
    chunkNames: "chunks/[name]-[hash]",
    bundle: true,
    splitting: true,
    format: "esm",
    platform: "browser",
    // Module workers, WebAssembly SIMD and DecompressionStream: browsers of 2023 on.
    target: ["chrome111", "firefox115", "safari16.4"],
    minify: true,
    sourcemap: true,
    metafile: true,
    logLevel: "warning",
  });
  await copyFile(join(root, "src/web/index.html"), join(out, "index.html"));

  // tfjs's WebAssembly builds (plain, SIMD, threaded SIMD) and netc's kernels.
  const wasmOut = join(dirname(require.resolve("@tensorflow/tfjs-backend-wasm/package.json")), "wasm-out");
  await mkdir(join(out, "tfjs"));
  for (const file of (await readdir(wasmOut)).filter((f) => f.endsWith(".wasm"))) await copyFile(join(wasmOut, file), join(out, "tfjs", file));
  for (const file of ["netc-kernels.wasm", "netc-kernels-shared.wasm"]) await copyFile(join(root, "dist", file), join(out, file));

  // The models to start from, and the sample to train on without a server's data.
  await mkdir(join(out, "models"));
  const models = (await readdir(join(root, "models"))).filter((f) => f.endsWith(".net")).sort();
  for (const file of models) await copyFile(join(root, "models", file), join(out, "models", file));
  await writeFile(join(out, "models/index.json"), JSON.stringify(models.map((name) => ({ name, url: `models/${name}` }))) + "\n");
  const sample = join(root, "test/fixtures/fashion-mnist-small");
  await mkdir(join(out, "sample"));
  for (const file of (await readdir(sample)).filter((f) => f.endsWith(".gz"))) await copyFile(join(sample, file), join(out, "sample", file));
  return result.metafile;
}

/** Bytes of the page's first load (index.html, app.js with the chunks it imports, app.css) and of Train. */
export async function webSizes(metafile) {
  const outputs = metafile.outputs;
  const closure = (entry) => {
    const seen = new Set();
    const visit = (file) => {
      if (seen.has(file)) return;
      seen.add(file);
      for (const i of outputs[file]?.imports ?? []) if (i.kind === "import-statement") visit(i.path);
    };
    visit(entry);
    return seen;
  };
  const rel = (f) => relative(root, join(root, f));
  const app = closure(rel("dist/web/app.js"));
  app.add(rel("dist/web/app.css"));
  app.add(rel("dist/web/index.html"));
  const worker = [...closure(rel("dist/web/train-worker.js"))].filter((f) => !app.has(f));
  const threaded = ["dist/web/tfjs/tfjs-backend-wasm-threaded-simd.wasm", "dist/web/netc-kernels-shared.wasm"];
  const measure = async (files) => {
    let raw = 0;
    let gzip = 0;
    for (const f of files) {
      const bytes = await readFile(join(root, f));
      raw += bytes.length;
      gzip += gzipSync(bytes, { level: 9 }).length;
    }
    return { raw, gzip };
  };
  return { firstLoad: await measure([...app]), train: await measure([...worker, ...threaded]) };
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const metafile = await buildWeb();
  const sizes = await webSizes(metafile);
  const kb = (n) => `${(n / 1024).toFixed(0)} KiB`;
  for (const [what, s] of Object.entries(sizes)) process.stdout.write(`${what}: ${kb(s.raw)} (${kb(s.gzip)} gzipped)\n`);
  process.stdout.write(`dist/web: ${kb(await dirSize(out))} in all, source maps included\n`);
}

async function dirSize(dir) {
  let total = 0;
  for (const entry of await readdir(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    total += entry.isDirectory() ? await dirSize(path) : (await stat(path)).size;
  }
  return total;
}
