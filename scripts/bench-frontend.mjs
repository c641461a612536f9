// `node scripts/bench-frontend.mjs`: the front end's CPU time on the d2l models, on models of
// 10,000 and 100,000 layers, and on inputs its limits refuse (scripts/bench-frontend.ts).
// Prints a table and writes bench/frontend.json.
import { spawnSync } from "node:child_process";
import { mkdirSync, writeFileSync } from "node:fs";
import { build } from "esbuild";

const bundle = "node_modules/.cache/netc/bench-frontend.mjs";
await build({ entryPoints: ["scripts/bench-frontend.ts"], outfile: bundle, bundle: true, platform: "node", format: "esm", packages: "external", logLevel: "warning" });
const r = spawnSync(process.execPath, [bundle], { encoding: "utf8", stdio: ["ignore", "pipe", "inherit"] });
if (r.status !== 0) process.exit(r.status ?? 1);
const results = JSON.parse(r.stdout.trim().split("\n").at(-1));
console.table(results);
mkdirSync("bench", { recursive: true });
writeFileSync("bench/frontend.json", JSON.stringify({ date: new Date().toISOString(), results }, null, 2) + "\n");
