// The last step of `npm run bench` (and `bench:full`): gathers what the benchmark scripts wrote
// (bench/train.json, startup.json, lsp.json, full.json, which git ignores) into one small file
// that is committed and that the README's Benchmarks section cites:
// bench/results/<YYYY-MM-DD>-<machine>.json (format: bench/results/README.md).
// The machine name is BENCH_MACHINE, or the CPU's model name and core count (`xeon-2core`).
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { cpus, release, totalmem } from "node:os";

const read = (name) => (existsSync(`bench/${name}.json`) ? JSON.parse(readFileSync(`bench/${name}.json`, "utf8")) : undefined);
const cpu = cpus()[0]?.model ?? "unknown";
const words = cpu.toLowerCase().replace(/\(r\)|\(tm\)|intel|amd|processor|cpu|@.*$/g, " ").trim().split(/\W+/).filter(Boolean);
const machine = process.env.BENCH_MACHINE ?? `${words.slice(0, 2).join("-") || "cpu"}-${cpus().length}core`;
const date = new Date().toISOString().slice(0, 10);

const record = {
  date,
  machine,
  command: process.env.npm_lifecycle_event ? `npm run ${process.env.npm_lifecycle_event}` : "node scripts/bench-record.mjs",
  cpu,
  cores: cpus().length,
  memoryGiB: Math.round(totalmem() / 2 ** 30),
  node: process.version,
  kernel: release(),
  train: read("train"),
  startup: read("startup"),
  lsp: read("lsp"),
  full: read("full"),
};
mkdirSync("bench/results", { recursive: true });
const path = `bench/results/${date}-${machine}.json`;
writeFileSync(path, JSON.stringify(record, null, 2) + "\n");
console.log(`wrote ${path}`);
