// `node scripts/bench-memory.mjs [MODEL:BATCH[:BN[:OPTIMIZER]] ...]`: a training step's measured peak memory
// against the memory check's estimate, each model in a process of its own (a model that does not
// fit ends only its own). Default: the d2l models at small batches (a couple of minutes).
// Writes bench/memory.json.
import { spawnSync } from "node:child_process";
import { mkdirSync, writeFileSync } from "node:fs";
import { build } from "esbuild";

const specs = process.argv.slice(2).length > 0 ? process.argv.slice(2) : ["models/lenet.net:256", "models/lenet-bn.net:128", "models/lenet-bn.net:128:builtin", "models/resnet18.net:16", "models/densenet.net:16", "models/googlenet.net:16", "models/nin.net:4", "models/alexnet.net:4"];
const bundle = "node_modules/.cache/netc/bench-memory.mjs";
await build({ entryPoints: ["scripts/bench-memory.ts"], outfile: bundle, bundle: true, platform: "node", format: "esm", packages: "external", logLevel: "warning" });
const results = [];
for (const spec of specs) {
  const r = spawnSync(process.execPath, [bundle, spec], { encoding: "utf8" });
  const line = r.stdout.trim().split("\n").at(-1);
  const result = line?.startsWith("{") ? JSON.parse(line) : { model: spec, error: `exit ${r.status ?? r.signal}: ${(r.stderr || "").trim().split("\n").at(-1)}` };
  console.log(JSON.stringify(result));
  results.push(result);
}
mkdirSync("bench", { recursive: true });
writeFileSync("bench/memory.json", JSON.stringify({ date: new Date().toISOString(), results }, null, 2) + "\n");
