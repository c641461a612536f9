// Assembles netc's WebAssembly SIMD kernels (src/kernels/netc-kernels.wat) with wabt into
// dist/netc-kernels.wasm, which imports tfjs-backend-wasm's (non-shared) memory, plus
// dist/netc-kernels-shared.wasm for a threaded tfjs build's shared memory. Run by
// scripts/build.mjs; on its own: `node scripts/build-kernels.mjs`.
import { mkdir, readFile, stat, writeFile } from "node:fs/promises";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const SOURCE = join(root, "src/kernels/netc-kernels.wat");
const IMPORT = '(import "env" "memory" (memory 1))';
const OUTPUTS = [
  { file: join(root, "dist/netc-kernels.wasm"), memory: IMPORT, features: { simd: true } },
  // A shared memory's import must declare a maximum; 65536 pages is wasm32's whole range.
  { file: join(root, "dist/netc-kernels-shared.wasm"), memory: '(import "env" "memory" (memory 1 65536 shared))', features: { simd: true, threads: true } },
];

export async function buildKernels() {
  const source = await readFile(SOURCE, "utf8");
  if (!source.includes(IMPORT)) throw new Error(`${SOURCE}: expected the memory import ${IMPORT}`);
  const sourceTime = Math.max((await stat(SOURCE)).mtimeMs, (await stat(fileURLToPath(import.meta.url))).mtimeMs);
  const fresh = await Promise.all(OUTPUTS.map((o) => stat(o.file).then((s) => s.mtimeMs >= sourceTime, () => false)));
  if (fresh.every(Boolean)) return;
  const wabt = await (await import("wabt")).default();
  await mkdir(join(root, "dist"), { recursive: true });
  for (const out of OUTPUTS) {
    const module = wabt.parseWat("netc-kernels.wat", source.replace(IMPORT, out.memory), out.features);
    try {
      module.resolveNames();
      module.validate(out.features);
      await writeFile(out.file, module.toBinary({}).buffer);
    } finally {
      module.destroy();
    }
  }
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) await buildKernels();
