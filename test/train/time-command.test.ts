/**
 * `netc time`: the per-layer table as a user runs it (the bundled bin), and its figures' sums
 * on a model with blocks, a residual `add` and a `concat`.
 */
import { spawnSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import type { TimedRow } from "../../src/train/time-command.js";

const env = { ...process.env, NO_COLOR: "1" };
function netc(...args: string[]) {
  const r = spawnSync(process.execPath, ["bin/netc.mjs", ...args], { encoding: "utf8", env });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

const dir = mkdtempSync(join(tmpdir(), "netc-time-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const SMALL_RESNET = `model small
input 1x12x12
block residual(c) {
  add {
    conv c k3 p1 | bn | relu
    conv c k3 p1 | bn
  } {
    identity
  }
  relu
}
conv 8 k3 p1 s2 | bn | relu
residual 8
concat { conv 4 k1 } { maxpool 3 s1 p1 }
gap | flatten
linear 10
`;

describe("netc time", () => {
  it("prints a row per line of `netc shapes`, with forward and backward times", () => {
    const r = netc("time", "models/lenet-bn.net", "--steps", "2", "--warmup", "1", "--batch", "16");
    expect(r.stderr).toBe("timing lenet_bn (batch 16, bn scratch): 1 warm-up + 2 timed steps on random data\n");
    expect(r.code).toBe(0);
    const lines = r.stdout.split("\n");
    expect(lines[0]).toBe("Model: lenet_bn   input: [16, 1, 28, 28]   bn scratch");
    expect(lines[1]).toMatch(/^(wasm|tensorflow) \(/);
    // The GFLOP/s columns widen with their figures (timings), the others with the names and shapes.
    expect(r.stdout).toMatch(/^Line  Layer \(type\)         Output Shape     Forward ms  Backward ms  Share  GFLOP\/s fwd +bwd$/m);
    // The first conv, timed, with its GFLOP/s; the sigmoid after BN runs inside BN's kernel.
    expect(r.stdout).toMatch(/\n {3}4 {2}conv \(Conv2d\) {8}\[16, 6, 24, 24\] +\d+\.\d\d +\d+\.\d\d +\d+\.\d% +\d+\.\d +\d+\.\d\n/);
    expect(r.stdout).toMatch(/\n {3}4 {2}sigmoid \(Sigmoid\) +\[16, 6, 24, 24\] +\(fused\) +-- +--\n/);
    expect(r.stdout).toMatch(/\nStep: \d+\.\d ms \(median \d+\.\d, fastest \d+\.\d\), \d+\.\d ms of CPU time {3}\d+\.\d examples\/sec\n/);
    expect(r.stdout).toMatch(/\nPeak memory: [\d,]+ MiB of tensors/);
  });

  it("accounts for the whole step: layers, groups, loss, update and the rest add up", () => {
    const file = join(dir, "small.net");
    writeFileSync(file, SMALL_RESNET);
    const r = netc("time", file, "--steps", "3", "--warmup", "1", "--batch", "4", "--format", "json", "--bn", "builtin");
    expect(r.code).toBe(0);
    const report = JSON.parse(r.stdout);
    const shapes = JSON.parse(netc("shapes", file, "--format", "json", "--batch", "4").stdout).shapes;
    const rows: TimedRow[] = report.layers;
    // The same rows as `netc shapes`.
    expect(rows.map((l) => [l.line, l.depth, l.layer, l.kind])).toEqual(shapes.layers.map((l: TimedRow) => [l.line, l.depth, l.layer, l.kind]));
    const leaves = rows.filter((l) => l.kind === "layer");
    const timed = leaves.filter((l) => !l.fused);
    for (const l of timed) {
      expect(l.forwardMs).toBeGreaterThanOrEqual(0);
      expect(l.backwardMs).toBeGreaterThanOrEqual(0);
    }
    // Every conv and linear is timed and reports GFLOP/s; the first conv has no input gradient.
    const affine = leaves.filter((l) => l.layer === "conv" || l.layer === "linear");
    expect(affine).toHaveLength(5);
    for (const l of affine) {
      expect(l.fused).toBe(false);
      expect(l.forwardGflops).toBeGreaterThan(0);
      expect(l.backwardGflops).toBeGreaterThan(0);
    }
    // A group's time is at least its layers'.
    const add = rows.findIndex((l) => l.layer === "add");
    const inAdd = rows.slice(add + 1).filter((l, i, rest) => rest.slice(0, i + 1).every((x) => x.depth > rows[add]!.depth) && l.kind === "layer");
    const sum = (ls: TimedRow[], key: "forwardMs" | "backwardMs") => ls.reduce((s, l) => s + (l[key] ?? 0), 0);
    expect(rows[add]!.forwardMs!).toBeGreaterThanOrEqual(sum(inAdd, "forwardMs") - 1e-9);
    // The top-level rows, loss, update and the rest make the whole step.
    const top = rows.filter((l) => l.depth === 0);
    const accounted = sum(top, "forwardMs") + sum(top, "backwardMs") + report.lossMs + report.updateMs + report.otherMs;
    expect(accounted).toBeCloseTo(report.stepMs.mean, 6);
    expect(report.examplesPerSec).toBeCloseTo((4 * 1000) / report.stepMs.mean, 6);
    expect(report.memory.peakTensorBytes).toBeGreaterThan(0);
  });

  it("reports model errors as diagnostics and bad flags as usage errors", () => {
    const bad = join(dir, "bad.net");
    writeFileSync(bad, "input 1x28x28\nconv 6 k5\nlinear 10\n");
    const r = netc("time", bad);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain("bad.net:3:1: error:");
    expect(r.stdout).toBe("");
    for (const args of [["--steps", "0"], ["--batch", "x"], ["--warmup", "-1"], ["--format", "xml"]]) expect(netc("time", "models/lenet.net", ...args).code, args.join(" ")).toBe(2);
  });

  it("refuses a model that cannot fit in memory before timing anything, as `netc train` does", () => {
    const wide = join(dir, "wide.net");
    writeFileSync(wide, "input 1x28x28\nconv 999999 k5\nflatten\nlinear 10\n");
    const r = netc("time", wide);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/^error: training wide \(batch 128\) needs about [\d.]+ TiB, more than /m);
    expect(r.stderr).not.toContain("internal error");
    expect(r.stdout).toBe("");
  });
});
