// The browser page's figures, measured in headless Chromium against `netc serve` (run through
// scripts/bench-web.mjs): page load to interactive, keystroke to updated shape table, and
// training examples/sec in the page against `netc train` on the same machine, round by round in
// the same run. Also takes the README's screenshot (docs/serve.png) mid-training.
import { spawnSync } from "node:child_process";
import { mkdirSync, mkdtempSync, writeFileSync } from "node:fs";
import { cpus, loadavg, tmpdir } from "node:os";
import { join } from "node:path";
import { cursorToLineEnd, finalLines, launchChromium, openPage, startServe, startTraining, typeAndTime } from "./web-session.js";

const ROUNDS = Number(process.env["ROUNDS"] ?? 3);
const LOADS = Number(process.env["LOADS"] ?? 7);
const KEYS = Number(process.env["KEYS"] ?? 30);
const LIMIT = Number(process.env["LIMIT"] ?? 10_000);

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const p90 = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length * 0.9)]!;
const examplesPerSec = (text: string) => Number(/([\d.]+) examples\/sec on wasm/.exec(text)![1]);

const serve = await startServe(["models/lenet-bn.net"]);
const session = await launchChromium();
try {
  const loads: number[] = [];
  for (let i = 0; i < LOADS; i++) {
    const { page, readyMs } = await openPage(session.context, serve.url);
    loads.push(readyMs);
    await page.close();
  }

  const { page } = await openPage(session.context, serve.url);
  await cursorToLineEnd(page, 9); // `linear 10`: each key changes the table
  const keys: number[] = [];
  for (let i = 0; i < KEYS / 2; i++) {
    keys.push(...(await typeAndTime(page, "0")));
    await page.keyboard.press("Backspace");
  }

  // Training, the page's and netc train's, alternating: the same model, data, settings and seed,
  // with one thread and with every core.
  const out = mkdtempSync(join(tmpdir(), "netc-bench-web-"));
  const threadCounts = [...new Set([1, cpus().length])];
  const runs = Object.fromEntries(threadCounts.map((t) => [t, { browser: [] as number[], cli: [] as number[] }]));
  for (let round = 0; round < ROUNDS; round++) {
    for (const threads of threadCounts) {
      const args = ["bin/netc.mjs", "train", "models/lenet-bn.net", "--epochs", "1", "--limit", String(LIMIT), "--threads", String(threads), "--out", join(out, `cli-${round}-${threads}`)];
      const r = spawnSync(process.execPath, args, { encoding: "utf8" });
      if (r.status !== 0) throw new Error(`netc train failed: ${r.stderr}`);
      runs[threads]!.cli.push(examplesPerSec(r.stdout));
      await startTraining(page, { epochs: 1, data: "served", limit: LIMIT, threads });
      runs[threads]!.browser.push(examplesPerSec(await finalLines(page, 300_000)));
    }
  }
  const backend = await page.locator("#train-info").innerText();

  // The README's screenshot: LeNet-BN a few epochs into a run on the full training set.
  await page.setViewportSize({ width: 1360, height: 860 });
  await startTraining(page, { epochs: 4, data: "served" });
  await page.waitForFunction(() => Number(document.getElementById("chart")!.dataset["points"] ?? 0) >= 14, undefined, { timeout: 600_000 });
  await cursorToLineEnd(page, 5);
  mkdirSync("docs", { recursive: true });
  writeFileSync("docs/serve.png", await page.screenshot());
  await page.click("#stop");

  const result = {
    machine: "same run, same machine",
    backend: backend.split("\n")[0],
    pageLoadToInteractiveMs: { median: median(loads), samples: loads },
    keystrokeToTableMs: { median: median(keys), p90: p90(keys), samples: keys.length },
    loadAverage: loadavg()[0],
    training: Object.entries(runs).map(([threads, r]) => ({ threads: Number(threads), limit: LIMIT, epochs: 1, ...r, browserMedian: median(r.browser), cliMedian: median(r.cli), ratio: median(r.browser) / median(r.cli) })),
  };
  mkdirSync("bench", { recursive: true });
  writeFileSync("bench/web.json", JSON.stringify(result, null, 2) + "\n");
  console.log(JSON.stringify(result, null, 2));
} finally {
  await session.close();
  await serve.stop();
}
