// How the front end's work grows with the model, and what its limits cost: check (parse,
// resolve, shapes) plus the shape table, in-process, CPU time (the machine may be shared),
// medians of ROUNDS after a warm-up. Each model's time per layer is compared with GoogLeNet's
// (the largest d2l model) in the same run: a ratio near 1 means no degradation with size.
// Run through scripts/bench-frontend.mjs; writes bench/frontend.json.
import { readFileSync } from "node:fs";
import { checkBytes } from "../src/compile.js";
import { table } from "../src/shape-table.js";

const rounds = Number(process.env["ROUNDS"] ?? 9);
const vgg = readFileSync("models/vgg11.net", "utf8");
const cases: Record<string, string> = {
  "models/googlenet.net": readFileSync("models/googlenet.net", "utf8"),
  "models/resnet18.net": readFileSync("models/resnet18.net", "utf8"),
  "10,000 layers, one per line": `input 16x32x32\n${"conv 16 k3 p1 | relu\n".repeat(5000)}`,
  "10,000 layers through repeat": "input 16x32x32\nrepeat 5000 { conv 16 k3 p1 | relu }\n",
  "100,000 layers (the limit)": "input 16x32x32\nrepeat 49999 { conv 16 k3 p1 | relu }\n",
  "repeat 10^9 (refused)": "input 1x28x28\nrepeat 1000000000 { conv 6 k3 p1 | relu }\n",
  "vgg_block 199999999 64 (refused)": vgg.replace("vgg_block 1 64", "vgg_block 199999999 64"),
  "1 MiB of layers (refused at 100,000)": `input 4\n${"relu | ".repeat(149_000)}relu\n`,
};

const cpuMs = () => {
  const { user, system } = process.cpuUsage();
  return (user + system) / 1000;
};
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

const results = Object.entries(cases).map(([name, text]) => {
  const bytes = new TextEncoder().encode(text);
  const times: number[] = [];
  let rows = 0;
  let codes = "";
  for (let round = 0; round <= rounds; round++) {
    const start = cpuMs();
    const checked = checkBytes("bench.net", bytes, { bn: "scratch" });
    table(checked.network.name, checked.shapes, checked.source, 1);
    if (round > 0) times.push(cpuMs() - start);
    rows = checked.shapes.rows.length;
    codes = [...new Set(checked.diagnostics.filter((d) => d.severity === "error").map((d) => d.code))].join(",");
  }
  return { model: name, bytes: bytes.length, rows, errors: codes, cpuMs: +median(times).toFixed(2) };
});
const reference = results[0]!;
const perRow = (r: (typeof results)[number]) => r.cpuMs / Math.max(1, r.rows);
for (const r of results) Object.assign(r, { perRowVsGoogLeNet: r.rows > 0 ? +(perRow(r) / perRow(reference)).toFixed(2) : null });
console.log(JSON.stringify(results));
