// `npm run bench:full`: full 10-epoch LeNet-BN runs on Fashion-MNIST (lr 1.0, batch 128), netc
// and the seed's PyTorch loop one after the other with the same threads (every core), each
// reported as its own loop reports it: examples/sec of the training steps and final test acc.
// Writes bench/full.json; `node scripts/bench-record.mjs` adds it to the committed record.
// Takes several minutes; needs the full data set (DATA, default Debian's dataset-fashion-mnist).
import { spawnSync } from "node:child_process";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { cpus, tmpdir } from "node:os";
import { join } from "node:path";

const data = process.env.DATA ?? "/usr/share/datasets/fashion-mnist";
const threads = String(cpus().length);
const epochs = "10";

/** The last two lines of a loop's output: `loss L, train acc A, test acc T` and `N examples/sec on ...`. */
function finalLines(cmd, args) {
  const r = spawnSync(cmd, args, { encoding: "utf8" });
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(" ")} exited ${r.status}: ${r.stderr.trim().split("\n").at(-1)}`);
  const lines = r.stdout.trim().split("\n");
  const final = /test acc (\d\.\d+)/.exec(lines.at(-2) ?? "");
  const speed = /^([\d.]+) examples\/sec/.exec(lines.at(-1) ?? "");
  if (!final || !speed) throw new Error(`unexpected output of ${cmd}: ${lines.slice(-2).join(" / ")}`);
  return { examplesPerSec: Number(speed[1]), testAcc: Number(final[1]) };
}

const out = mkdtempSync(join(tmpdir(), "netc-bench-full-"));
const runs = [];
for (const bn of ["scratch", "builtin"]) {
  const torch = finalLines("/usr/bin/python3", ["scripts/bench_torch.py", "--epochs", epochs, "--threads", threads, "--bn", bn, "--data", data]);
  runs.push({ runner: "pytorch", bn, ...torch });
  const netc = finalLines(process.execPath, ["bin/netc.mjs", "train", "models/lenet-bn.net", "--epochs", epochs, "--threads", threads, "--bn", bn, "--data", data, "--out", join(out, bn)]);
  runs.push({ runner: "netc", bn, ...netc, ratioToPytorch: +(netc.examplesPerSec / torch.examplesPerSec).toFixed(2) });
}
rmSync(out, { recursive: true, force: true });
console.table(runs);
mkdirSync("bench", { recursive: true });
writeFileSync("bench/full.json", JSON.stringify({ date: new Date().toISOString(), epochs: Number(epochs), lr: 1, batch: 128, threads: Number(threads), runs }, null, 2) + "\n");
