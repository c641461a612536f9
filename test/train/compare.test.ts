/**
 * `netc compare`: the report built from runs' metrics (records, labels, table, summary.json,
 * figures), then the CLI on the shipped Fashion-MNIST subset as a user runs it.
 */
import { spawn } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join, relative } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { figureSvg, type MetricPoint } from "../../src/runtime/plot.js";
import { compareFigure, compareTable, lrFigure, runDirName, runLabel, runRecord, summaryJson, varyingKeys, type RunDescription, type RunSettings } from "../../src/train/compare-report.js";
import { resolveSettings } from "../../src/train-settings.js";
import { DATA, env, netc, noStack, schema } from "./run-cli.js";

const validateSummary = schema("compare-summary");
const root = mkdtempSync(join(tmpdir(), "netc-compare-"));
afterAll(() => rmSync(root, { recursive: true, force: true }));
let dirs = 0;
const tmp = () => join(root, String(++dirs));

/** Two points per epoch as the loop writes them, test accuracy `acc[e]` after epoch e + 1. */
function points(acc: number[], eps: number[] = acc.map(() => 1000)): MetricPoint[] {
  return acc.flatMap((a, e) => [
    { x: e + 0.5, trainLoss: 1 / (e + 1.5), trainAcc: 0.5 + e / 20 },
    { x: e + 1, trainLoss: 1 / (e + 2), trainAcc: 0.55 + e / 20 },
    { x: e + 1, testAcc: a, examplesPerSec: eps[e]! },
  ]);
}

const settings = (s: Partial<RunSettings> = {}): RunSettings => ({ ...resolveSettings({ epochs: 3 }), seed: 0, bn: "scratch", ...s });
const desc = (model: string, s: Partial<RunSettings> = {}): RunDescription => ({ model, settings: settings(s), backend: "wasm" });

describe("compare report", () => {
  it("records final and best metrics, the overall rate, and how a run ended", () => {
    const done = runRecord("d", desc("lenet"), points([0.7, 0.8, 0.75], [1000, 2000, 4000]), true);
    expect(done.status).toBe("done");
    expect(done.epochs).toBe(3);
    expect(done.final).toEqual({ trainLoss: 1 / 4, trainAcc: 0.65, testAcc: 0.75 });
    expect(done.best).toEqual({ testAcc: 0.8, epoch: 2 });
    // 3 equal epochs in 1/1000 + 1/2000 + 1/4000 seconds per example.
    expect(done.examplesPerSec).toBeCloseTo(3 / (1 / 1000 + 1 / 2000 + 1 / 4000), 6);

    expect(runRecord("s", desc("lenet"), points([0.7]), false).status).toBe("stopped");

    const diverged = runRecord("v", desc("lenet", { lr: 100 }), [...points([0.3]), { x: 1.4, diverged: "NaN" }], false);
    expect(diverged.status).toBe("diverged");
    expect(diverged.diverged).toEqual({ epoch: 2, loss: "NaN" });
    expect(diverged.final).toEqual({ trainLoss: null, trainAcc: null, testAcc: null });
    expect(diverged.best).toEqual({ testAcc: 0.3, epoch: 1 });
    const early = runRecord("w", desc("lenet"), [{ x: 0.2, diverged: "Infinity" }], false);
    expect([early.diverged, early.best, early.examplesPerSec]).toEqual([{ epoch: 1, loss: "Infinity" }, null, null]);
    // Exploded: finite, but over 10× the first step's loss.
    expect(runRecord("x", desc("lenet"), [...points([0.1, 0.1]), { x: 2.2, diverged: "731.226" }], false).diverged).toEqual({ epoch: 3, loss: "731.226" });
  });

  it("names runs by what differs between them only", () => {
    const runs = [desc("lenet", { lr: 0.3, batch: 256 }), desc("lenet", { lr: 3, batch: 256 }), desc("lenet_bn", { lr: 0.3 }), desc("lenet_bn", { lr: 3 })];
    const varying = varyingKeys(runs);
    expect(varying).toEqual(["model", "lr", "batch"]);
    expect(runLabel(runs[2]!, varying)).toBe("lenet_bn, lr 0.3, batch 128");
    expect(runLabel(runs[0]!, [])).toBe("lenet");
    expect(runDirName(2, 4, runs[2]!, varying)).toBe("3-lenet_bn-lr0.3-batch128");
    expect(runDirName(2, 12, runs[2]!, varying)).toBe("03-lenet_bn-lr0.3-batch128");
  });

  it("tells runs apart by any training setting, and leaves the shared defaults unsaid", () => {
    const adam = resolveSettings({ optimizer: "adam", epochs: 3 });
    const runs = [desc("lenet_bn", { ...adam, wd: 0 }), desc("lenet_bn", { ...adam, wd: 0.0005 }), desc("lenet_bn", { ...adam, schedule: "cosine", wd: 0 })];
    const varying = varyingKeys(runs);
    expect(varying).toEqual(["wd", "schedule"]);
    expect(runLabel(runs[1]!, varying)).toBe("wd 0.0005, schedule constant");
    expect(runDirName(2, 3, runs[2]!, varying)).toBe("3-lenet_bn-wd0-cosine");
    // Adam's own lr (0.001) is said, as every run's lr is; its betas and eps are the defaults.
    expect(compareTable(runs.map((r, i) => runRecord(`a/${i}`, r, points([0.5]), true))).split("\n")[0]).toBe(
      "same for every run: lr 0.001, batch 128, 3 epochs, optimizer adam, bn scratch, seed 0, wasm",
    );
    const flipped = [desc("lenet", { flip: true, crop: 4, data: "/data/cifar" }), desc("lenet", { data: "/data/cifar" })];
    expect(varyingKeys(flipped)).toEqual(["flip", "crop"]);
    expect(runDirName(0, 2, flipped[0]!, varyingKeys(flipped))).toBe("1-lenet-flip-crop4");
    expect(runLabel(flipped[1]!, varyingKeys(flipped))).toBe("no flip, crop 0");
    expect(compareTable(flipped.map((r, i) => runRecord(`f/${i}`, r, points([0.5]), true))).split("\n")[0]).toContain(", data cifar");
  });

  const runs = [
    runRecord("c/1", desc("lenet", { lr: 0.3 }), points([0.6, 0.7, 0.72]), true),
    runRecord("c/2", desc("lenet", { lr: 3 }), points([0.1, 0.1, 0.1]), true),
    runRecord("c/3", desc("lenet_bn", { lr: 0.3 }), points([0.8, 0.85, 0.86]), true),
    runRecord("c/4", desc("lenet_bn", { lr: 3 }), [...points([0.7]), { x: 1.5, diverged: "39.434" }], false),
  ];

  it("tabulates one row per run with the varying settings as columns", () => {
    const lines = compareTable(runs).split("\n");
    expect(lines[0]).toBe("same for every run: batch 128, 3 epochs, bn scratch, seed 0, wasm");
    expect(lines[1]).toMatch(/^#\s+model\s+lr\s+loss\s+train acc\s+test acc\s+best test acc\s+examples\/sec\s+end$/);
    expect(lines[4]).toMatch(/^3\s+lenet_bn\s+0\.3\s+0\.250\s+0\.650\s+0\.860\s+0\.860 \(epoch 3\)\s+1,000\s+done$/);
    expect(lines[5]).toMatch(/^4\s+lenet_bn\s+3\s+–\s+–\s+–\s+0\.700 \(epoch 1\)\s+1,000\s+diverged in epoch 2 \(loss 39\.434\)$/);
    expect(lines).toHaveLength(6);
  });

  it("writes a summary.json the schema accepts, with NaN as null and directories relative to it", () => {
    const summary = summaryJson(runs, "c");
    expect(validateSummary(summary), JSON.stringify(validateSummary.errors)).toBe(true);
    expect(summary.varying).toEqual(["model", "lr"]);
    expect(summary.runs.map((r) => r.dir)).toEqual(["1", "2", "3", "4"]);
    expect(summary.runs[3]).toMatchObject({ status: "diverged", final: { trainLoss: null }, diverged: { epoch: 2, loss: "39.434" } });
    expect(validateSummary({ ...summary, runs: [{ ...summary.runs[0], status: "finished" }] })).toBe(false);
  });

  it("draws a panel per metric, a line per run, the legend naming what differs", () => {
    const svg = figureSvg(compareFigure(runs));
    for (const panel of ["train loss", "train acc", "test acc"]) expect(svg).toContain(`>${panel}</text>`);
    // Three panels of four runs (the diverged one has a line up to where it diverged).
    expect(svg.match(/<polyline data-series="lenet, lr 0\.3"/g)).toHaveLength(3);
    expect(svg.match(/<polyline /g)).toHaveLength(11);
    expect(svg).toContain(">lenet_bn, lr 3 (diverged)</text>");
    expect(svg).toContain(">batch 128, 3 epochs, bn scratch, seed 0, wasm</text>");
    // The model picks the dash, the learning rate the colour: pairs read at a glance.
    const stroke = (label: string) => svg.match(new RegExp(`data-series="${label}" points="[^"]*" stroke="([^"]+)"( stroke-dasharray="[^"]+")?`))!.slice(1);
    expect(stroke("lenet, lr 0.3")[0]).toBe(stroke("lenet_bn, lr 0.3")[0]);
    expect(stroke("lenet, lr 0.3")[0]).not.toBe(stroke("lenet, lr 3")[0]);
    expect(stroke("lenet, lr 0.3")[1]).toBeUndefined();
    expect(stroke("lenet_bn, lr 0.3")[1]).toBeDefined();
  });

  it("draws final test accuracy against the learning rate, a diverged run as ✕", () => {
    const svg = figureSvg(lrFigure(runs));
    expect(svg).toContain(">learning rate</text>");
    expect(svg).toMatch(/<polyline data-series="lenet" points="\S+ \S+"/);
    // lenet_bn has one finite point (a marker) and a ✕ at lr 3.
    expect(svg.match(/class="missing"/g)).toHaveLength(1);
    for (const tick of ["0.3", "3"]) expect(svg).toContain(`>${tick}</text>`);
    expect(svg).toContain("✕ diverged");
  });

  it("stacks the ✕ of runs that diverged at the same learning rate", () => {
    const both = [...runs.slice(0, 3), runRecord("c/5", desc("lenet", { lr: 3 }), [{ x: 0.5, diverged: "NaN" }], false), runs[3]!];
    const crosses = [...figureSvg(lrFigure(both)).matchAll(/<path class="missing" d="M([\d.]+),([\d.]+)\S*" stroke="([^"]+)"/g)];
    expect(crosses).toHaveLength(2);
    const [a, b] = crosses.map((m) => ({ x: Number(m[1]), y: Number(m[2]), colour: m[3] }));
    expect(a!.x).toBe(b!.x);
    expect(a!.colour).not.toBe(b!.colour);
    // One above the other, clear of each other (a ✕ is 10 px wide).
    expect(Math.abs(a!.y - b!.y)).toBeGreaterThanOrEqual(10);
  });
});

describe("netc compare (CLI)", () => {
  const out = join(tmp(), "cmp");
  let first: ReturnType<typeof netc>;

  it("trains every (model × setting) combination, keeps going past a diverged run, and writes the table, summary.json and plots", () => {
    first = netc(["compare", "models/lenet.net", "models/lenet-bn.net", "--lr", "0.3,1e38", "--epochs", "1", "--limit", "512", "--data", DATA, "--out", out, "--plot", "lr"]);
    expect(first.code, first.stderr).toBe(0);
    noStack(first.stderr);
    expect(readdirSync(out).sort()).toEqual(["1-lenet-lr0.3-batch256", "2-lenet-lr1e+38-batch256", "3-lenet_bn-lr0.3-batch128", "4-lenet_bn-lr1e+38-batch128", "compare.png", "compare.svg", "lr.png", "lr.svg", "summary.json"]);
    for (const run of ["1-lenet-lr0.3-batch256", "3-lenet_bn-lr0.3-batch128"]) expect(readdirSync(join(out, run)).sort()).toEqual(["checkpoint", "metrics.jsonl", "plot.png", "plot.svg"]);
    expect(first.stdout).toMatch(/^comparing 4 runs on /);
    expect(first.stdout).toMatch(/^\[3\/4\] epoch 1\/1  loss \d\.\d{3}  train acc/m);
    // lenet's 2 batches of 256: the first step's update makes the second loss non-finite.
    expect(first.stderr).toMatch(/\[2\/4\] diverged: the loss became (NaN|Infinity) at epoch 1, batch \d+; marked in the table, going on/);
    expect(first.stdout).toContain("same for every run: 1 epoch, bn scratch, seed 0, first 512 examples, ");
    expect(first.stdout).toMatch(/^2\s+lenet\s+1e\+38\s+256\s+–\s+–\s+–\s+–\s+–\s+diverged in epoch 1 \(loss (NaN|Infinity)\)$/m);

    const summary = JSON.parse(readFileSync(join(out, "summary.json"), "utf8"));
    expect(validateSummary(summary), JSON.stringify(validateSummary.errors)).toBe(true);
    expect(summary.runs.map((r: { status: string }) => r.status)).toEqual(["done", "diverged", "done", "diverged"]);
    expect(summary.runs[2]).toMatchObject({ dir: "3-lenet_bn-lr0.3-batch128", model: "lenet_bn", settings: { lr: 0.3, epochs: 1, batch: 128, seed: 0, bn: "scratch", limit: 512 }, epochs: 1 });
    // The table's test accuracy is the run's own epoch line.
    const epochLine = first.stdout.match(/^\[3\/4\] epoch 1\/1 .* test acc (\d\.\d{3})/m)![1];
    expect(summary.runs[2].final.testAcc.toFixed(3)).toBe(epochLine);

    const png = readFileSync(join(out, "compare.png"));
    expect(png.toString("ascii", 1, 4)).toBe("PNG");
    expect([png.readUInt32BE(16), png.readUInt32BE(20)]).toEqual([2520, expect.any(Number)]);
    expect(readFileSync(join(out, "lr.svg"), "utf8")).toContain('class="missing"');
  }, 120_000);

  it("sweeps netc train's other settings too, each run training with the optimizer and schedule it names", () => {
    const dir = join(tmp(), "optimizers");
    const r = netc(["compare", "models/lenet-bn.net", "--optimizer", "sgd,adam", "--schedule", "cosine", "--epochs", "2", "--limit", "256", "--data", DATA, "--out", dir]);
    expect(r.code, r.stderr).toBe(0);
    // Each optimizer with its own default learning rate: both differ.
    expect(readdirSync(dir).filter((f) => /^\d-/.test(f))).toEqual(["1-lenet_bn-lr1-sgd", "2-lenet_bn-lr0.001-adam"]);
    expect(r.stderr).toContain("[2/2] lenet_bn: adam lr 0.001, cosine, 2 epochs, batch 128, bn scratch, seed 0;");
    // A schedule puts the learning rate in the epoch lines: cosine from 0.001 to 0 over 2 epochs.
    expect(r.stdout).toMatch(/^\[2\/2\] epoch 2\/2  lr 0\.0005  loss/m);
    const saved = JSON.parse(readFileSync(join(dir, "2-lenet_bn-lr0.001-adam", "checkpoint", "model.json"), "utf8")).netc.settings;
    expect(saved).toMatchObject({ optimizer: "adam", lr: 0.001, schedule: "cosine", betas: [0.9, 0.999], limit: 256 });
    expect(r.stdout).toMatch(/^#\s+model\s+lr\s+optimizer\s+loss/m);

    const bad = netc(["compare", "models/lenet-bn.net", "--optimizer", "sgd,adam", "--momentum", "0.9", "--data", DATA]);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain("error: models/lenet-bn.net: --momentum: `momentum` is an option of `sgd`, not of `adam`");
    noStack(bad.stderr);
  }, 60_000);

  it("reads run directories and comparisons back without training, to the same table", () => {
    const again = join(tmp(), "again");
    // Traced: reading runs back loads no TensorFlow.js.
    const r = netc(["compare", join(out, "1-lenet-lr0.3-batch256"), join(out, "3-lenet_bn-lr0.3-batch128"), "--out", again], { trace: true });
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).not.toContain("imported @tensorflow/");
    expect(r.stdout).not.toContain("comparing");
    const metrics = (text: string) => text.match(/lenet_bn .*?(\d\.\d{3}\s+\d\.\d{3}\s+\d\.\d{3}\s+\d\.\d{3} \(epoch 1\)\s+[\d,]+)\s+done$/m)![1];
    expect(metrics(r.stdout)).toBe(metrics(first.stdout));
    expect(readdirSync(again).sort()).toEqual(["compare.png", "compare.svg", "summary.json"]);
    expect(JSON.parse(readFileSync(join(again, "summary.json"), "utf8")).runs[0].dir).toBe(relative(again, join(out, "1-lenet-lr0.3-batch256")));

    // A comparison's directory stands for its runs.
    const whole = netc(["compare", out, "--out", join(tmp(), "whole")]);
    expect(whole.code, whole.stderr).toBe(0);
    expect(whole.stdout.trimEnd().split("\n").slice(1)).toEqual(first.stdout.trimEnd().split("\n").slice(-5));
  }, 60_000);

  it("refuses mixed inputs, sweep flags on finished runs and bad lists, with exit 2", () => {
    for (const [args, message] of [
      [["models/lenet.net", out], "give either model files to train or run directories to compare, not both"],
      [[out, "--lr", "0.1"], "--lr applies when training models; run directories are only read"],
      [["models/lenet.net", "--plot", "lr"], "--plot lr needs runs with at least two learning rates"],
      [["models/lenet.net", "--lr", "0.1,abc"], "must be a number (each comma-separated value)"],
      [["models/lenet.net", "--bn", "scratch,cudnn"], "must be scratch or builtin"],
      [["nowhere.net"], "nowhere.net: no such file or directory"],
    ] as const) {
      const r = netc(["compare", ...args]);
      expect(r.code, args.join(" ")).toBe(2);
      expect(r.stderr).toContain(message);
      noStack(r.stderr);
    }
    // Every model is checked before the first run starts.
    const rgb = join(tmp(), "rgb.net");
    mkdirSync(dirname(rgb), { recursive: true });
    writeFileSync(rgb, "input 3x32x32\nconv 6 k5\nflatten\nlinear 10\n");
    const c = netc(["compare", "models/lenet.net", rgb, "--data", DATA, "--out", join(tmp(), "never")]);
    expect(c.code).toBe(1);
    expect(c.stderr).toContain(`error: ${rgb}: the model does not fit the IDX files in `);
    expect(c.stderr).toMatch(/rgb\.net:1:7: error: the input has 3 channels, but .* images have 1 \(1×28×28\) \[NET034\]/);
    expect(c.stdout).toBe("");

    // A run that diverged in its first epoch keeps the initial weights' checkpoint: it reads as diverged.
    const e = netc(["compare", join(out, "2-lenet-lr1e+38-batch256"), "--out", join(tmp(), "diverged")]);
    expect(e.code, e.stderr).toBe(0);
    expect(e.stdout).toMatch(/^1\s+lenet\s.*diverged in epoch 1 \(loss (NaN|Infinity)\)$/m);
  });

  it("on Ctrl-C saves the current run's checkpoint and still writes the summary of what finished", async () => {
    const dir = join(tmp(), "cut");
    const child = spawn(process.execPath, ["bin/netc.mjs", "compare", "models/lenet-bn.net", "--lr", "0.3,1", "--epochs", "50", "--data", DATA, "--out", dir], { env });
    let stdout = "";
    let stderr = "";
    child.stderr.on("data", (d) => (stderr += d));
    const code = await new Promise<number | null>((resolve) => {
      child.stdout.on("data", (d) => {
        const before = stdout.includes("epoch 1/50");
        stdout += d;
        if (!before && stdout.includes("[1/2] epoch 1/50")) setTimeout(() => child.kill("SIGINT"), 250);
      });
      child.on("exit", (c) => resolve(c));
    });
    expect(code).toBe(130);
    noStack(stderr);
    expect(stderr).toContain("interrupted: 1 of 2 runs in the summary (a stopped run keeps its last checkpoint)");
    expect(existsSync(join(dir, "1-lenet_bn-lr0.3", "checkpoint", "model.json"))).toBe(true);
    expect(existsSync(join(dir, "2-lenet_bn-lr1"))).toBe(false);
    const summary = JSON.parse(readFileSync(join(dir, "summary.json"), "utf8"));
    expect(summary.runs).toHaveLength(1);
    expect(summary.runs[0]).toMatchObject({ status: "stopped", dir: "1-lenet_bn-lr0.3" });
    expect(stdout).toContain("same for every run: lr 0.3, batch 128, 50 epochs");
    expect(stdout).toMatch(/^1\s+lenet_bn\s.*stopped after \d+ epochs?$/m);
  }, 60_000);
});
