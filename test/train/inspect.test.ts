/** `netc inspect` on runs trained from the shipped Fashion-MNIST subset, as a user runs it. */
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { ModelJson } from "../../src/train/checkpoint.js";
import { DATA, netc, noStack, schema } from "./run-cli.js";

const validate = schema("inspect");

const root = mkdtempSync(join(tmpdir(), "netc-inspect-"));
const bnRun = join(root, "lenet-bn");
const plainRun = join(root, "lenet");
const adamRun = join(root, "lenet-bn-adam");
const noAffineRun = join(root, "lenet-bn-noaffine");
beforeAll(() => {
  for (const [model, out, ...flags] of [["models/lenet-bn.net", bnRun], ["models/lenet.net", plainRun], ["models/lenet-bn.net", adamRun, "--optimizer", "adam"], ["models/exercises/lenet-bn-noaffine.net", noAffineRun]] as const) {
    const r = netc(["train", model, "--data", DATA, "--epochs", "1", "--limit", "256", "--out", out, ...flags]);
    expect(r.code, r.stderr).toBe(0);
  }
}, 120_000);
afterAll(() => rmSync(root, { recursive: true, force: true }));

describe("netc inspect", () => {
  it("prints every tensor's statistics and the four BN layers' vectors, located by line", () => {
    const r = netc(["inspect", bnRun]);
    expect(r.code, r.stderr).toBe(0);
    const lines = r.stdout.split("\n");
    expect(lines[0]).toBe(`lenet_bn: ${bnRun}, epoch 1 of 1 (sgd lr 1, batch 128, bn scratch, seed 0)`);
    expect(r.stdout).toMatch(/^ {3}4 {2}conv \(Conv2d\) +00\.conv\.weight +\[5, 5, 1, 6\] +150 +-?\d\.\d{4} +\d\.\d{4} +-\d\.\d{4} +\d\.\d{4} +\d+\.\d%$/m);
    expect(r.stdout).toMatch(/^ +01\.bn\.moving_var \(state\) +\[6\] +6 /m);
    expect(r.stdout).toContain("Parameters: 44,878 trainable, 452 state (moving statistics)");
    const norms = lines.slice(lines.findIndex((l) => l.startsWith("Normalization layers")));
    // Each BN layer: its line as in `netc shapes`, its channels, gamma, beta, moving mean and variance.
    for (const [line, channels] of [[4, 6], [5, 16], [7, 120], [8, 84]]) {
      const at = norms.findIndex((l) => new RegExp(`^ +${line} {2}bn \\(BatchNorm\\) +${channels} {2}gamma +`).test(l));
      expect(at, `line ${line}`).toBeGreaterThan(0);
      expect(norms.slice(at + 1, at + 4).map((l) => l.trim().split(/\s{2,}/)[0])).toEqual(["beta", "moving mean", "moving var"]);
    }
    // Six channels are listed: gamma's six values.
    expect(norms.find((l) => / 6 {2}gamma /.test(l))!.match(/(-?\d\.\d{2} ){5}-?\d\.\d{2}$/)).not.toBeNull();
  });

  it("leaves the optimizer's state out: Adam's moments are how training went, not what it learned", () => {
    const manifest = (JSON.parse(readFileSync(join(adamRun, "checkpoint/model.json"), "utf8")) as ModelJson).weightsManifest[0]!.weights;
    expect(manifest.filter((w) => w.name.startsWith("opt.")).length).toBeGreaterThan(26);
    const r = netc(["inspect", adamRun, "--format", "json"]);
    expect(r.code, r.stderr).toBe(0);
    const json = JSON.parse(r.stdout);
    expect(json.tensors.map((t: { name: string }) => t.name)).toEqual(manifest.filter((w) => !w.name.startsWith("opt.")).map((w) => w.name));
    expect(json.totals).toEqual({ trainable: 44_878, state: 452 });
    // Read past the moments, the last tensor's values are still its own.
    const floats = new Float32Array(readFileSync(join(adamRun, "checkpoint/weights.bin")).buffer.slice(0));
    const at = manifest.slice(0, manifest.findIndex((w) => w.name === "15.linear.bias")).reduce((a, w) => a + w.shape.reduce((x, y) => x * y, 1), 0);
    expect(json.tensors.at(-1).max).toBe(Math.max(...floats.subarray(at, at + 10)));
    expect(netc(["inspect", adamRun]).stdout.split("\n")[0]).toContain("(adam lr 0.001, batch 128, bn scratch, seed 0)");
  });

  it("writes JSON the schema accepts, with the values weights.bin holds", () => {
    const r = netc(["inspect", bnRun, "--format", "json"]);
    expect(r.code, r.stderr).toBe(0);
    const json = JSON.parse(r.stdout);
    expect(validate(json), JSON.stringify(validate.errors)).toBe(true);
    expect(json.tensors).toHaveLength(26);
    expect(json.totals).toEqual({ trainable: 44_878, state: 452 });
    expect(json.normalization.map((n: { layer: { line: number }; channels: number }) => [n.layer.line, n.channels])).toEqual([[4, 6], [5, 16], [7, 120], [8, 84]]);

    // Independently of inspect's decoding: the manifest's order, float32 in the platform's order (x86 and ARM: little-endian).
    const manifest = (JSON.parse(readFileSync(join(bnRun, "checkpoint/model.json"), "utf8")) as ModelJson).weightsManifest[0]!.weights;
    const floats = new Float32Array(readFileSync(join(bnRun, "checkpoint/weights.bin")).buffer.slice(0));
    const offsets = new Map<string, number>();
    manifest.reduce((at, w) => (offsets.set(w.name, at), at + w.shape.reduce((a, b) => a * b, 1)), 0);
    const slice = (name: string, n: number) => Array.from(floats.subarray(offsets.get(name)!, offsets.get(name)! + n));
    expect(json.normalization[0].gamma).toEqual(slice("01.bn.gamma", 6));
    expect(json.normalization[3].movingVar).toEqual(slice("13.bn.moving_var", 84));
    const weight = slice("09.linear.weight", 30_720);
    const t = json.tensors.find((x: { name: string }) => x.name === "09.linear.weight");
    expect(t.mean).toBeCloseTo(weight.reduce((a, b) => a + b, 0) / weight.length, 9);
    expect([t.min, t.max]).toEqual([Math.min(...weight), Math.max(...weight)]);
    expect(t.nearZero).toBe(weight.filter((v) => Math.abs(v) < json.nearZero).length / weight.length);
    expect(json.tensors.find((x: { name: string }) => x.name === "01.bn.gamma")).toMatchObject({ trainable: true, initial: 1, layer: { index: 1, kind: "bn", line: 4, column: 13 } });
    expect(json.tensors.find((x: { name: string }) => x.name === "01.bn.moving_mean").trainable).toBe(false);

    expect(validate({ ...json, tensors: [{ ...json.tensors[0], count: -1 }] })).toBe(false);
  });

  it("--plot draws gamma's and beta's histograms of every BN layer into the run directory", () => {
    const r = netc(["inspect", bnRun, "--plot"]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toBe(`saved ${join(bnRun, "inspect.svg")}, ${join(bnRun, "inspect.png")}\n`);
    const svg = readFileSync(join(bnRun, "inspect.svg"), "utf8");
    for (const [line, channels] of [[4, 6], [5, 16], [7, 120], [8, 84]]) {
      for (const v of ["gamma", "beta"]) expect(svg).toContain(`>line ${line} bn: ${v}, ${channels} channels</text>`);
    }
    // A dashed line marks where gamma (1) and beta (0) started.
    expect(svg.match(/>initial</g)).toHaveLength(8);
    const png = readFileSync(join(bnRun, "inspect.png"));
    expect(png.toString("ascii", 1, 4)).toBe("PNG");
  });

  it("works without normalization layers, but has nothing to draw then", () => {
    const r = netc(["inspect", plainRun]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toContain("Parameters: 61,706 trainable, 0 state");
    expect(r.stdout).not.toContain("Normalization layers");
    const p = netc(["inspect", plainRun, "--plot"]);
    expect(p.code).toBe(1);
    expect(p.stderr).toContain("error: lenet has no normalization layer with gamma or beta to draw");
    noStack(p.stderr);
  });

  it("loads no TensorFlow.js: the weights are decoded from weights.bin", () => {
    const traced = netc(["inspect", bnRun, "--plot"], { trace: true });
    expect(traced.code, traced.stderr).toBe(0);
    expect(traced.stderr).not.toContain("imported @tensorflow/");
    // The tracer does see a command that loads it.
    const evaluated = netc(["eval", bnRun, "--data", DATA], { trace: true });
    expect(evaluated.stderr).toContain("imported @tensorflow/tfjs\n");
  });

  it("says only what the layers have: no gamma and beta with `affine=false`", () => {
    const r = netc(["inspect", noAffineRun]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toContain("\nNormalization layers: the moving mean and variance normalize at inference\n");
    expect(r.stdout).not.toMatch(/ gamma /);
  });

  it("explains runs it cannot read", () => {
    const missing = netc(["inspect", join(root, "nowhere")]);
    expect(missing.code).toBe(1);
    expect(missing.stderr).toContain("no such directory");
    const renamed = join(root, "renamed");
    cpSync(bnRun, renamed, { recursive: true });
    const json = join(renamed, "checkpoint/model.json");
    const edited = readFileSync(json, "utf8").replace('"01.bn.gamma"', '"01.conv.gamma"');
    writeFileSync(json, edited);
    const damaged = netc(["inspect", renamed]);
    expect(damaged.code).toBe(1);
    expect(damaged.stderr).toContain("was edited or damaged after it was saved");
    noStack(damaged.stderr);
    // A checkpoint from before checksums, whose weights were named differently.
    const { checksum: _, ...unchecked } = JSON.parse(edited) as { checksum?: string };
    writeFileSync(json, JSON.stringify(unchecked));
    const r = netc(["inspect", renamed]);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain("do not fit");
    noStack(r.stderr);
  });
});
