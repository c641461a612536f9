// `npm run bench`: training and eval throughput of every model in models/, netc (wasm backend)
// and PyTorch 1.13 (/usr/bin/python3, Debian's python3-torch: the same networks as d2l writes
// them, scripts/bench_torch.py) side by side, with the same thread count on both sides, for
// both BN kinds where a model has BN. Runs are interleaved round by round (the order of the two
// sides alternating) so that load elsewhere on a shared machine hits both alike; the figures
// are medians over rounds. Writes bench/train.json and the README's table between its
// `bench:begin`/`bench:end` marks. Short runs: a few steps after warm-up. PyTorch runs with
// OMP_WAIT_POLICY=PASSIVE: its OpenMP threads otherwise spin-wait, and on a shared machine whose
// other load preempts them its 2-thread steps become 10–100× slower (measured here); passive
// waiting is the favourable setting for PyTorch. The machine's load average is recorded, and
// training examples per second of CPU time (all threads) next to the wall-clock figures: on a
// loaded machine the share of the CPU each run gets varies, its CPU time much less.
// Each row also gets the ratio a wasm step would reach if every multiply-add of it ran at the
// WebAssembly SIMD GEMM ceiling, measured first in the same run (scripts/bench-gemm.mjs): the
// model's multiply-adds (`netc shapes`, times 3 for training: forward, filter and input
// gradients) against PyTorch's measured rate. Where that bound is below a target, no wasm
// kernel can reach it on this machine.
// BACKENDS=wasm,tensorflow adds netc on tfjs-node where it is installed.
//   ROUNDS=2 THREADS=1,2 MODELS=resnet18,lenet-bn BACKENDS=wasm node scripts/bench.mjs
import { spawnSync } from "node:child_process";
import { mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { cpus, loadavg } from "node:os";
import { build } from "esbuild";

const ROUNDS = Number(process.env.ROUNDS ?? 2);
const BACKENDS = (process.env.BACKENDS ?? "wasm").split(",");
const THREADS = (process.env.THREADS ?? [...new Set([1, cpus().length])].join(",")).split(",").map(Number);
// Batches as d2l trains them where a step takes well under a minute here, smaller otherwise.
// The LeNets' steps take milliseconds, and netc's JavaScript (its graph code, tfjs's engine)
// reaches V8's optimized code only over the first tens of them (measured: 16.2–16.9k examples/
// sec after 5 steps, 18.3–18.7k after 50, for LeNet-BN built in on one thread; PyTorch's the
// same after either): they warm up as long as a training run's first epoch has, on both sides.
// The larger models warm up 3 steps, as `netc time` does: after one, both sides' next steps
// still ran slower than later ones (ResNet-18 built in on two threads, 2 steps after 1 against
// 6 after 4, three times each: netc 55.5–67.9 against 65.8–70.5 examples/sec, PyTorch
// 117–134 against 128–131).
const ALL = [
  { model: "lenet", batch: 256, steps: 60, warmup: 40, evalBatch: 1000, evalBatches: 5, bn: false },
  { model: "lenet-bn", batch: 128, steps: 100, warmup: 50, evalBatch: 1000, evalBatches: 5, bn: true },
  { model: "alexnet", batch: 32, steps: 2, warmup: 3, evalBatch: 64, evalBatches: 2, bn: false },
  // At batch 8 VGG-11's step fills the wasm backend's whole 4 GiB (netc train refuses it) and
  // the 2-thread run stalled there; batch 4 stays within it on both thread counts.
  { model: "vgg11", batch: 4, steps: 3, warmup: 3, evalBatch: 16, evalBatches: 2, bn: false },
  { model: "nin", batch: 32, steps: 2, warmup: 3, evalBatch: 64, evalBatches: 2, bn: false },
  { model: "googlenet", batch: 32, steps: 2, warmup: 3, evalBatch: 128, evalBatches: 2, bn: false },
  { model: "resnet18", batch: 32, steps: 2, warmup: 3, evalBatch: 128, evalBatches: 2, bn: true },
  { model: "densenet", batch: 32, steps: 2, warmup: 3, evalBatch: 128, evalBatches: 2, bn: true },
];
const only = process.env.MODELS?.split(",");
const MODELS = only ? ALL.filter((m) => only.includes(m.model)) : ALL;

const bundle = "node_modules/.cache/netc/bench-train.mjs";
await build({ entryPoints: ["scripts/bench-train.ts"], outfile: bundle, bundle: true, platform: "node", format: "esm", packages: "external", logLevel: "warning" });

function run(cmd, args, env = {}) {
  const r = spawnSync(cmd, args, { encoding: "utf8", maxBuffer: 1 << 24, env: { ...process.env, ...env } });
  if (r.status !== 0) return { error: (r.stderr || r.error?.message || "failed").trim().split("\n").at(-1) };
  return JSON.parse(r.stdout.trim().split("\n").at(-1));
}

// The ceiling: the fused multiply-add GEMM's best GFLOP/s per thread (CPU time), L1 or L2 operands.
const gemm = spawnSync(process.execPath, ["scripts/bench-gemm.mjs", "--json"], { encoding: "utf8" });
if (gemm.status !== 0) throw new Error(`scripts/bench-gemm.mjs failed: ${gemm.stderr}`);
const ceiling = Math.max(...JSON.parse(readFileSync("bench/gemm.json", "utf8")).rows.filter((r) => r.build === "fma").map((r) => r["GFLOP/s per thread (CPU time)"]));
process.stderr.write(`wasm SIMD GEMM ceiling: ${ceiling} GFLOP/s per thread\n`);

const hasTorch = spawnSync("/usr/bin/python3", ["-c", "import torch"]).status === 0;
const configs = MODELS.flatMap((m) => (m.bn ? ["scratch", "builtin"] : ["scratch"]).flatMap((bn) => THREADS.map((threads) => ({ ...m, bnKind: bn, threads }))));
const SIDES = ["pytorch", ...BACKENDS.map((b) => `netc/${b}`)];
const samples = new Map(configs.map((c) => [c, Object.fromEntries(SIDES.map((side) => [side, []]))]));
const loadBefore = loadavg()[1];
for (let round = 0; round < ROUNDS; round++) {
  for (const c of configs) {
    const numbers = [c.batch, c.steps, c.warmup, c.evalBatch, c.evalBatches].map(String);
    const sides = {
      ...Object.fromEntries(BACKENDS.map((b) => [`netc/${b}`, () => run(process.execPath, [bundle, c.model, b, c.bnKind, String(c.threads), ...numbers])])),
      pytorch: () =>
        hasTorch
          ? run("/usr/bin/python3", ["scripts/bench_torch.py", "--model", c.model, "--bn", c.bnKind, "--threads", String(c.threads), "--batch", numbers[0], "--steps", numbers[1], "--warmup", numbers[2], "--eval-batch", numbers[3], "--eval-batches", numbers[4]], { OMP_WAIT_POLICY: "PASSIVE" })
          : { error: "no torch in /usr/bin/python3" },
    };
    const order = round % 2 === 0 ? SIDES : [...SIDES].reverse();
    for (const side of order) {
      const result = sides[side]();
      samples.get(c)[side].push(result);
      process.stderr.write(`round ${round + 1}/${ROUNDS} ${c.model} ${c.bn ? c.bnKind : ""} ×${c.threads} ${side}: ${result.error ?? `train ${result.train.toFixed(1)}, eval ${result.eval.toFixed(1)} examples/sec`}\n`);
    }
  }
}
rmSync(bundle);

const median = (xs) => {
  const sorted = [...xs].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length === 0 ? NaN : sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
};
const summary = (results) => {
  const ok = results.filter((r) => !r.error);
  return { train: median(ok.map((r) => r.train)), trainCpu: median(ok.map((r) => r.trainCpu)), eval: median(ok.map((r) => r.eval)), rounds: ok.length, ...(ok.length < results.length ? { error: results.find((r) => r.error).error } : {}) };
};
const rows = configs.flatMap((c) =>
  BACKENDS.map((backend) => {
    const netc = samples.get(c)[`netc/${backend}`];
    const n = summary(netc);
    const p = summary(samples.get(c).pytorch);
    // FLOP per example: 2 per multiply-add; training runs three products of the forward's size.
    const macs = netc.find((r) => !r.error)?.macs ?? NaN;
    const pytorchGflops = { train: (p.train * 6 * macs) / 1e9, eval: (p.eval * 2 * macs) / 1e9 };
    return {
      model: c.model,
      backend,
      bn: c.bn ? c.bnKind : null,
      threads: c.threads,
      batch: c.batch,
      netc: n,
      pytorch: p,
      trainRatio: n.train / p.train,
      trainCpuRatio: n.trainCpu / p.trainCpu,
      evalRatio: n.eval / p.eval,
      macs,
      pytorchGflopsPerThread: { train: pytorchGflops.train / c.threads, eval: pytorchGflops.eval / c.threads },
      ceilingRatio: { train: (ceiling * c.threads) / pytorchGflops.train, eval: (ceiling * c.threads) / pytorchGflops.eval },
      fma: netc.find((r) => !r.error)?.fma ?? null,
    };
  }),
);
const torchVersion = samples.values().next().value.pytorch.find((r) => !r.error)?.torch ?? null;
const date = new Date().toISOString();
// 5-minute load averages at the start and the end: a 2-core machine is saturated at 2.
const load = [loadBefore, loadavg()[1]].map((l) => +l.toFixed(1));
const machine = `${cpus().length}× ${cpus()[0]?.model ?? "?"}`;
mkdirSync("bench", { recursive: true });
writeFileSync("bench/train.json", JSON.stringify({ date, machine, node: process.version, torch: torchVersion, rounds: ROUNDS, gemmCeilingGflopsPerThread: ceiling, loadAverage: load, pytorchEnv: { OMP_WAIT_POLICY: "PASSIVE" }, rows }, null, 2) + "\n");

const fixed = (v, d) => (Number.isFinite(v) ? v.toFixed(d) : "–");
const thousands = (v) => (Number.isFinite(v) ? (v >= 100 ? Math.round(v).toLocaleString("en-US") : v.toFixed(1)) : "–");
const table = [
  `${date.slice(0, 10)}, ${machine}, Node ${process.version}, PyTorch ${torchVersion ?? "–"} (OMP_WAIT_POLICY=PASSIVE); medians of ${ROUNDS} rounds; examples/sec; load average ${load[0]} at the start, ${load[1]} at the end. wasm SIMD GEMM ceiling ${ceiling} GFLOP/s per thread; "at ceiling": the ratio if all of netc's step ran at it, against PyTorch's GFLOP/s.`,
  "",
  "| model | BN | threads | batch | netc train | PyTorch train | train ratio | per CPU-second | PyTorch GFLOP/s per thread | train ratio at ceiling | netc eval | PyTorch eval | eval ratio | eval ratio at ceiling |",
  "|---|---|---|---|---|---|---|---|---|---|---|---|---|---|",
  ...rows.map((r) => `| ${r.model}${BACKENDS.length > 1 ? ` (${r.backend})` : ""} | ${r.bn ?? "–"} | ${r.threads} | ${r.batch} | ${thousands(r.netc.train)} | ${thousands(r.pytorch.train)} | **${fixed(r.trainRatio, 2)}** | ${fixed(r.trainCpuRatio, 2)} | ${thousands(r.pytorchGflopsPerThread.train)} | ${fixed(r.ceilingRatio.train, 2)} | ${thousands(r.netc.eval)} | ${thousands(r.pytorch.eval)} | **${fixed(r.evalRatio, 2)}** | ${fixed(r.ceilingRatio.eval, 2)} |`),
].join("\n");
console.log(table);
if (!only) {
  const readme = readFileSync("README.md", "utf8");
  // Between the marks: nothing yet, or the last table.
  const marked = /(<!-- bench:begin[^>]*-->\n)(?:[\s\S]*?\n)?(<!-- bench:end -->)/;
  if (marked.test(readme)) writeFileSync("README.md", readme.replace(marked, (_, begin, end) => `${begin}${table}\n${end}`));
}
