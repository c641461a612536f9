// Assembles netc's WebAssembly SIMD kernels (src/kernels/*.wat) with wabt into dist/: each one
// importing tfjs-backend-wasm's plain memory and, as `-shared`, a threaded build's shared one.
// Each also comes as `-fma`, with relaxed SIMD's fused multiply-add; the plain builds rewrite
// each `(f32x4.relaxed_madd a b c)` as `(f32x4.add (f32x4.mul a b) c)`.
// Then binaryen optimizes each module, above all inlining the small helpers (stores of a
// transform's row, a tile's address): V8 does not inline wasm calls, and a call there costs
// its arguments and the vector registers it spills (the Winograd filter gradient's transforms of
// ResNet-18's 64-channel layers: 9.7–10.1 → 2.3–2.5 ms on one thread). Functions with loops stay
// calls: inlining the GEMM's micro-kernel into its callers made them 1.3–1.5× slower.
// Run by scripts/build.mjs; on its own: `node scripts/build-kernels.mjs`.
import { mkdir, readFile, stat, writeFile } from "node:fs/promises";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const IMPORT = '(import "env" "memory" (memory 1))';
// A shared memory's import must declare a maximum; 65536 pages is wasm32's whole range.
const SHARED_IMPORT = '(import "env" "memory" (memory 1 65536 shared))';
// Atomic instructions (the threads feature) also validate on a plain memory.
const MEMORIES = [
  { suffix: "", memory: IMPORT, features: { simd: true, threads: true } },
  { suffix: "-shared", memory: SHARED_IMPORT, features: { simd: true, threads: true } },
];
const SOURCES = [
  { source: "src/kernels/netc-kernels.wat", name: "netc-kernels", fma: true },
  { source: "src/kernels/netc-conv.wat", name: "netc-conv", fma: true },
];

/** The outputs of one source: per memory, and with and without fused multiply-add. */
function outputs({ source, name, fma }) {
  const variants = fma ? [{ tag: "", relaxed: false }, { tag: "-fma", relaxed: true }] : [{ tag: "", relaxed: false }];
  return variants.flatMap((v) =>
    MEMORIES.map((m) => ({
      source: join(root, source),
      file: join(root, `dist/${name}${v.tag}${m.suffix}.wasm`),
      memory: m.memory,
      relaxed: v.relaxed,
      features: { ...m.features, ...(v.relaxed ? { relaxed_simd: true } : {}) },
    })),
  );
}

/** `(f32x4.relaxed_madd a b c)` → `(f32x4.add (f32x4.mul a b) c)`, for engines without relaxed SIMD. */
export function withoutFma(text) {
  const head = "(f32x4.relaxed_madd";
  let out = "";
  let at = 0;
  for (let i = text.indexOf(head); i >= 0; i = text.indexOf(head, at)) {
    out += text.slice(at, i);
    const args = [];
    let j = i + head.length;
    while (args.length < 3) {
      while (/\s/.test(text[j])) j++;
      if (text[j] !== "(") throw new Error(`relaxed_madd at ${i}: expected parenthesised operands`);
      let depth = 0;
      const start = j;
      do {
        if (text[j] === "(") depth++;
        else if (text[j] === ")") depth--;
        j++;
      } while (depth > 0);
      args.push(text.slice(start, j));
    }
    while (/\s/.test(text[j])) j++;
    if (text[j] !== ")") throw new Error(`relaxed_madd at ${i}: expected three operands`);
    out += `(f32x4.add (f32x4.mul ${args[0]} ${args[1]}) ${args[2]})`;
    at = j + 1;
  }
  return out + text.slice(at);
}

/** The module optimized by binaryen (-O3, inlining helpers without loops of up to 100 instructions), validated. */
function optimized(binaryen, bytes, relaxed) {
  const { Features } = binaryen;
  const module = binaryen.readBinary(bytes);
  try {
    module.setFeatures(Features.MutableGlobals | Features.SignExt | Features.Multivalue | Features.SIMD128 | Features.Atomics | (relaxed ? Features.RelaxedSIMD : 0));
    binaryen.setOptimizeLevel(3);
    binaryen.setShrinkLevel(0);
    binaryen.setFlexibleInlineMaxSize(100);
    binaryen.setAlwaysInlineMaxSize(40);
    binaryen.setAllowInliningFunctionsWithLoops(false);
    module.optimize();
    if (!module.validate()) throw new Error("binaryen's output does not validate");
    return module.emitBinary();
  } finally {
    module.dispose();
  }
}

export async function buildKernels() {
  const builder = fileURLToPath(import.meta.url);
  const all = SOURCES.flatMap(outputs);
  const stale = [];
  for (const out of all) {
    const sourceTime = Math.max((await stat(out.source)).mtimeMs, (await stat(builder)).mtimeMs);
    if (!(await stat(out.file).then((s) => s.mtimeMs >= sourceTime, () => false))) stale.push(out);
  }
  if (stale.length === 0) return;
  const wabt = await (await import("wabt")).default();
  const { default: binaryen } = await import("binaryen");
  await mkdir(join(root, "dist"), { recursive: true });
  for (const out of stale) {
    const source = await readFile(out.source, "utf8");
    if (!source.includes(IMPORT)) throw new Error(`${out.source}: expected the memory import ${IMPORT}`);
    const text = source.replace(IMPORT, out.memory);
    const module = wabt.parseWat(out.source, out.relaxed ? text : withoutFma(text), out.features);
    try {
      module.resolveNames();
      module.validate(out.features);
      await writeFile(out.file, optimized(binaryen, module.toBinary({}).buffer, out.relaxed));
    } finally {
      module.destroy();
    }
  }
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) await buildKernels();
