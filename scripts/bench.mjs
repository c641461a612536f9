// `npm run bench`: netc's LeNet-BN training and eval throughput per backend and BN mode, and
// PyTorch's for the same network measured in the same run (when /usr/bin/python3 has torch),
// interleaved round by round so that load elsewhere on this shared machine hits both alike.
// Prints a table and writes bench/train.json. Front-end start-up: scripts/bench-startup.mjs.
import { spawnSync } from "node:child_process";
import { mkdirSync, rmSync, writeFileSync } from "node:fs";
import { cpus } from "node:os";
import { build } from "esbuild";

const rounds = Number(process.env.ROUNDS ?? 3);
const steps = process.env.STEPS ?? "60";
// Each backend with one thread and with every core (PyTorch gets every core too).
const threadCounts = [...new Set([1, cpus().length])];
const backends = (process.env.BACKENDS ?? "wasm").split(",").flatMap((b) => threadCounts.map((t) => ({ name: b, threads: t })));
const modes = ["scratch", "builtin"];

const bundle = "node_modules/.cache/netc/bench-train.mjs";
await build({ entryPoints: ["scripts/bench-train.ts"], outfile: bundle, bundle: true, platform: "node", format: "esm", packages: "external", logLevel: "warning" });

function run(cmd, args) {
  const r = spawnSync(cmd, args, { encoding: "utf8" });
  if (r.status !== 0) return { error: (r.stderr || r.error?.message || "failed").trim().split("\n").at(-1) };
  return JSON.parse(r.stdout.trim().split("\n").at(-1));
}

const torchThreads = String(cpus().length);
const hasTorch = spawnSync("/usr/bin/python3", ["-c", "import torch"]).status === 0;
const samples = {};
const add = (key, result) => (samples[key] ??= []).push(result);
for (let round = 0; round < rounds; round++) {
  for (const bn of modes) {
    if (hasTorch) add(`pytorch/${bn}`, run("/usr/bin/python3", ["scripts/bench_torch.py", "--bn", bn, "--steps", steps, "--threads", torchThreads]));
    for (const backend of backends) add(`${backend.name}×${backend.threads}/${bn}`, run(process.execPath, [bundle, backend.name, bn, steps, String(backend.threads)]));
  }
}
rmSync(bundle);

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const summary = Object.entries(samples).map(([key, results]) => {
  const ok = results.filter((r) => !r.error);
  return { key, backend: ok[0]?.backend ?? key.split("/")[0], train: ok.length ? median(ok.map((r) => r.train)) : NaN, eval: ok.length ? median(ok.map((r) => r.eval)) : NaN, error: results.find((r) => r.error)?.error };
});
const rows = summary.map((s) => {
  const torch = summary.find((t) => t.key === `pytorch/${s.key.split("/")[1]}`);
  const vsSeed = summary.find((t) => t.key === "pytorch/scratch");
  return {
    "runner/bn": s.key,
    "backend": s.backend,
    "train ex/s": Math.round(s.train),
    "eval ex/s": Math.round(s.eval),
    "train ÷ PyTorch": torch ? +(s.train / torch.train).toFixed(2) : "-",
    "eval ÷ PyTorch": torch ? +(s.eval / torch.eval).toFixed(2) : "-",
    // The reference: the seed notebook's own network, with its from-scratch BN.
    "train ÷ seed": vsSeed ? +(s.train / vsSeed.train).toFixed(2) : "-",
    "eval ÷ seed": vsSeed ? +(s.eval / vsSeed.eval).toFixed(2) : "-",
    ...(s.error ? { error: s.error } : {}),
  };
});
console.table(rows);
mkdirSync("bench", { recursive: true });
writeFileSync("bench/train.json", JSON.stringify({ date: new Date().toISOString(), cpus: cpus().length, cpu: cpus()[0]?.model, rounds, steps: Number(steps), batch: 128, pytorchThreads: hasTorch ? Number(torchThreads) : null, rows }, null, 2) + "\n");
