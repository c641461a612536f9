// Whole-command wall time of the front end against a bare `node -e 0`, measured in the same run
// (the machine is shared and noisy: compare the ratio, not the milliseconds).
import { spawnSync } from "node:child_process";
import { writeFileSync, mkdirSync } from "node:fs";

const runs = Number(process.env.RUNS ?? 30);
const commands = {
  "node -e 0": [process.execPath, "-e", "0"],
  "netc check models/lenet-bn.net": [process.execPath, "bin/netc.mjs", "check", "models/lenet-bn.net"],
  "netc shapes models/lenet-bn.net": [process.execPath, "bin/netc.mjs", "shapes", "models/lenet-bn.net"],
  "netc shapes models/googlenet.net": [process.execPath, "bin/netc.mjs", "shapes", "models/googlenet.net"],
};

function median(xs) {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)];
}

const times = Object.fromEntries(Object.keys(commands).map((k) => [k, []]));
// Interleaved, so a burst of load elsewhere hits every command alike.
for (let i = 0; i < runs; i++) {
  for (const [name, [cmd, ...args]] of Object.entries(commands)) {
    const t0 = process.hrtime.bigint();
    const r = spawnSync(cmd, args, { stdio: "ignore" });
    if (r.status !== 0 && name !== "netc check models/lenet-bn.net") throw new Error(`${name} exited ${r.status}`);
    times[name].push(Number(process.hrtime.bigint() - t0) / 1e6);
  }
}
const base = median(times["node -e 0"]);
const results = Object.entries(times).map(([name, t]) => ({ command: name, medianMs: +median(t).toFixed(1), ratio: +(median(t) / base).toFixed(2) }));
console.table(results);
mkdirSync("bench", { recursive: true });
writeFileSync("bench/startup.json", JSON.stringify({ runs, date: new Date().toISOString(), results }, null, 2) + "\n");
