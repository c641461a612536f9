// `node scripts/bench-gemm.mjs`: the WebAssembly SIMD GEMM ceiling on this machine, one thread:
// netc's convolution module (dist/netc-conv*.wasm) multiplying matrices that stay in L1 and
// L2 cache, built with fused multiply-add (relaxed SIMD) and without. GFLOP/s are per thread
// of CPU time (process.cpuUsage), which other load on a shared machine does not inflate the
// way it inflates wall time; the wall-time figure is printed too. Writes bench/gemm.json when
// given --json.
import { readFileSync, mkdirSync, writeFileSync } from "node:fs";
import v8 from "node:v8";
import { buildKernels } from "./build-kernels.mjs";

await buildKernels();
v8.setFlagsFromString("--experimental-wasm-relaxed-simd");

const SECONDS = Number(process.env.SECONDS ?? 1);
// [rows M, reduction K, columns N]: ~20 KB (L1) and ~0.5 MB (L2) of operands
const SIZES = [
  { name: "L1", m: 48, k: 64, n: 32 },
  { name: "L2", m: 192, k: 256, n: 256 },
];

function measure(file, { m, k, n }) {
  const memory = new WebAssembly.Memory({ initial: 256 });
  const { exports } = new WebAssembly.Instance(new WebAssembly.Module(readFileSync(file)), { env: { memory } });
  // The parameter block as src/kernels/conv.ts fills it; x [1,1,m,k] as A, W [1,1,k,n] as B:
  // a 1×1 convolution is a GEMM. Blocks as conv.ts's forward uses them.
  const block = 1024;
  const [mb, kb] = [96, 1024];
  const a = 4096;
  const b = a + m * k * 4 + 64;
  const y = b + k * n * 4 + 64;
  const packed = y + m * n * 4 + 64;
  const scratch = packed + k * Math.ceil(n / 8) * 8 * 4 + 64;
  const f32 = new Float32Array(memory.buffer);
  for (let i = a / 4; i < packed / 4; i++) f32[i] = Math.random() - 0.5;
  const words = new Int32Array(memory.buffer, block, 32);
  words.set([a, b, 0, y, scratch, 2 * mb * kb * 4 + kb * 32 + 256, 0]);
  words.set([1, 1, m, k, 1, m, n, 1, 1, 1, 1, 0, 0], 7); // n h w ci oh ow co kh kw sh sw ph pw
  words.set([mb, kb], 20);
  words[27] = packed;
  // Word 25 is the calls' shared work counter, zeroed before each call. W is packed once (the
  // convolution packs it once per call, before its product): the ceiling is the product's.
  words[25] = 0;
  exports.pack_w(block, 0, 1);
  const call = () => {
    words[25] = 0;
    exports.conv_fwd(block, 0, 1);
  };
  call();
  const expected = Array.from({ length: n }, (_, j) => Array.from({ length: k }, (_, i) => f32[a / 4 + i] * f32[b / 4 + i * n + j]).reduce((s, v) => s + v, 0));
  const got = Array.from(f32.subarray(y / 4, y / 4 + n));
  if (got.some((v, j) => Math.abs(v - expected[j]) > 1e-3 * (1 + Math.abs(expected[j])))) throw new Error(`${file}: the product's first row is wrong`);
  for (let i = 0; i < 200; i++) call();
  let calls = 0;
  const c0 = process.cpuUsage();
  const t0 = performance.now();
  while (performance.now() - t0 < SECONDS * 1000) {
    for (let i = 0; i < 100; i++) call();
    calls += 100;
  }
  const wall = (performance.now() - t0) / 1000;
  const cpu = process.cpuUsage(c0);
  const flop = 2 * m * k * n * calls;
  return { cpuGflops: flop / ((cpu.user + cpu.system) / 1e6) / 1e9, wallGflops: flop / wall / 1e9 };
}

const rows = [];
for (const build of [
  { name: "fma", file: "dist/netc-conv-fma.wasm" },
  { name: "mul+add", file: "dist/netc-conv.wasm" },
]) {
  for (const size of SIZES) {
    const r = measure(build.file, size);
    rows.push({ build: build.name, operands: `${size.name} (${size.m}×${size.k}·${size.k}×${size.n})`, "GFLOP/s per thread (CPU time)": +r.cpuGflops.toFixed(1), "GFLOP/s (wall)": +r.wallGflops.toFixed(1) });
  }
}
console.table(rows);
if (process.argv.includes("--json")) {
  mkdirSync("bench", { recursive: true });
  writeFileSync("bench/gemm.json", JSON.stringify({ date: new Date().toISOString(), rows }, null, 2) + "\n");
}
