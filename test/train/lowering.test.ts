import { readFileSync } from "node:fs";
import * as tf from "@tensorflow/tfjs";
import { beforeAll, describe, expect, it } from "vitest";
import { check } from "../../src/compile.js";
import { LAYERS } from "../../src/layers/registry.js";
import type { ArgValues, LayerSpec, LowerContext, Shape } from "../../src/layers/types.js";
import { SourceFile } from "../../src/source.js";
import { registerNetcKernels } from "../../src/kernels/register.js";
import { compileModel } from "../../src/train/graph.js";

/**
 * Numeric tests of the lowering on the reference cpu backend: every explicit backward against
 * `tf.grads` of the same forward, and BN from scratch against TensorFlow.js's own.
 */

beforeAll(async () => {
  await tf.setBackend("cpu");
  tf.enableProdMode();
  // The project's kernels (their JavaScript reference on cpu), so the fusion passes apply.
  registerNetcKernels(tf);
});

function spec(name: string): LayerSpec {
  const s = LAYERS.find((l) => l.name === name);
  if (!s || s.kind !== "layer") throw new Error(name);
  return s;
}

function ctx(training: boolean, bn: "scratch" | "builtin" = "scratch"): LowerContext {
  return { tf, training, bn, nextSeed: () => 7, kernels: false };
}

/** NHWC tensor for a registry C×H×W (or F) shape, batch n. */
function randomInput(shape: Shape, n: number, seed: number): tf.Tensor {
  const nhwc = shape.length === 3 ? [n, shape[1]!, shape[2]!, shape[0]!] : [n, shape[0]!];
  return tf.randomNormal(nhwc, 0, 1, "float32", seed);
}

function params(s: LayerSpec, input: Shape, args: ArgValues): Record<string, tf.Variable> {
  const output = s.outputShape(input, args) as Shape;
  const out: Record<string, tf.Variable> = {};
  let seed = 3;
  for (const p of s.lower.params?.(input, output, args) ?? []) {
    // Random values everywhere (not the ones/zeros of BN's init), so every term is exercised.
    out[p.name] = tf.variable(p.trainable ? tf.randomUniform(p.shape, 0.5, 1.5, "float32", seed++) : tf.randomUniform(p.shape, 0.1, 1, "float32", seed++), p.trainable);
  }
  return out;
}

function maxDiff(a: tf.Tensor, b: tf.Tensor): number {
  return tf.max(tf.abs(tf.sub(a, b))).dataSync()[0]!;
}

const CASES: [string, ArgValues, Shape][] = [
  ["conv", { channels: 4, kernel: 3 }, [3, 7, 7]],
  ["conv", { channels: 4, kernel: [3, 2], stride: 2, padding: 1 }, [2, 8, 9]],
  ["conv", { channels: 2, kernel: 5, nobias: true }, [1, 9, 9]],
  ["linear", { features: 5 }, [7]],
  ["linear", { features: 3, nobias: true }, [4]],
  ["bn", { impl: "scratch" }, [3, 4, 4]],
  ["bn", { impl: "scratch" }, [6]],
  ["bn", { impl: "builtin" }, [3, 4, 4]],
  ["bn", { impl: "builtin" }, [6]],
  ["bn", { impl: "scratch", affine: false }, [3, 4, 4]],
  ["bn", { impl: "builtin", affine: false }, [3, 4, 4]],
  ["bn", { impl: "scratch", affine: false, track: false, momentum: "none" }, [6]],
  ["bn", { impl: "builtin", track: false, momentum: "none" }, [6]],
  ["layernorm", {}, [3, 4, 4]],
  ["layernorm", { eps: 1e-3 }, [6]],
  ["groupnorm", { groups: 2 }, [4, 3, 3]],
  ["groupnorm", { groups: 1 }, [3, 4, 4]],
  ["groupnorm", { groups: 3 }, [6]],
  ["instancenorm", {}, [3, 4, 4]],
  ["instancenorm", { affine: true, track: true }, [3, 4, 5]],
  ["sigmoid", {}, [2, 3, 3]],
  ["relu", {}, [5]],
  ["tanh", {}, [2, 3, 3]],
  ["avgpool", { kernel: 2 }, [2, 6, 6]],
  ["avgpool", { kernel: 3, stride: 2 }, [2, 7, 7]],
  // Windows that tile the input (the upsampling gradient) and ones that leave a remainder.
  ["avgpool", { kernel: 3 }, [2, 6, 6]],
  ["avgpool", { kernel: [2, 3] }, [1, 4, 6]],
  ["avgpool", { kernel: 2 }, [2, 7, 7]],
  ["avgpool", { kernel: 2 }, [1, 6, 7]],
  ["maxpool", { kernel: 2 }, [2, 6, 6]],
  ["maxpool", { kernel: 3, stride: 2, padding: 1 }, [2, 7, 7]],
  ["gap", {}, [3, 5, 5]],
  ["gap", {}, [2, 3, 4]],
  ["flatten", {}, [2, 3, 3]],
];

describe("explicit backward = tf.grads of the forward", () => {
  for (const [name, args, input] of CASES) {
    it(`${name} ${JSON.stringify(args)} on ${input.join("×")}`, () => {
      const s = spec(name);
      const x = randomInput(input, 4, 1);
      const p = params(s, input, args);
      const c = ctx(true);
      const forward = s.lower.forward(c, x, p, args);
      const dy = tf.randomNormal(forward.y.shape, 0, 1, "float32", 2);
      const explicit = s.lower.backward!(c, dy, x, forward, p, args, true);
      const names = Object.keys(p).filter((n) => p[n]!.trainable);
      const f = (xIn: tf.Tensor, ...ps: tf.Tensor[]) => s.lower.forward(c, xIn, { ...p, ...Object.fromEntries(names.map((n, i) => [n, ps[i]!])) }, args).y;
      const [dx, ...dps] = tf.grads(f)([x, ...names.map((n) => p[n]!)], dy);
      expect(maxDiff(explicit.dx!, dx!)).toBeLessThan(1e-4);
      names.forEach((n, i) => expect(maxDiff(explicit.grads[n]!, dps[i]!), n).toBeLessThan(1e-3));
      expect(Object.keys(explicit.grads).sort()).toEqual(names.sort());
    });
  }

  it("identity passes the gradient through", () => {
    const dy = tf.ones([2, 4]);
    expect(spec("identity").lower.backward!(ctx(true), dy, dy, { y: dy }, {}, {}, true)!.dx!.arraySync()).toEqual(dy.arraySync());
  });

  it("dropout's backward uses the forward's mask", () => {
    const s = spec("dropout");
    const x = tf.ones([64, 10]);
    const forward = s.lower.forward(ctx(true), x, {}, { p: 0.25 });
    const kept = forward.y.greater(0).cast("float32").mean().dataSync()[0]!;
    expect(kept).toBeGreaterThan(0.65);
    expect(kept).toBeLessThan(0.85);
    expect(forward.y.max().dataSync()[0]).toBeCloseTo(1 / 0.75, 5);
    const dx = s.lower.backward!(ctx(true), tf.onesLike(x), x, forward, {}, { p: 0.25 }, true)!.dx!;
    expect(maxDiff(dx, forward.y)).toBe(0);
    expect(s.lower.forward(ctx(false), x, {}, { p: 0.25 }).y).toBe(x);
  });

  it("dropout with p = 0 keeps everything, with p = 1 drops everything and its gradient", () => {
    const s = spec("dropout");
    const x = tf.randomNormal([8, 5], 0, 1, "float32", 4);
    const none = s.lower.forward(ctx(true), x, {}, { p: 0 });
    expect(maxDiff(none.y, x)).toBe(0);
    expect(maxDiff(s.lower.backward!(ctx(true), tf.onesLike(x), x, none, {}, { p: 0 }, true)!.dx!, tf.onesLike(x))).toBe(0);
    const all = s.lower.forward(ctx(true), x, {}, { p: 1 });
    expect(tf.max(tf.abs(all.y)).dataSync()[0]).toBe(0);
    expect(tf.max(tf.abs(s.lower.backward!(ctx(true), tf.onesLike(x), x, all, {}, { p: 1 }, true)!.dx!)).dataSync()[0]).toBe(0);
  });
});

describe("initial weights", () => {
  it("are the seed's: Xavier-uniform weights, PyTorch's U(±1/√fan_in) biases, BN's ones and zeros", () => {
    const checked = check(new SourceFile("models/lenet-bn.net", readFileSync("models/lenet-bn.net", "utf8")), { bn: "scratch" });
    const weights = compileModel(tf, checked.network, { bn: "scratch", seed: 0 }).weights();
    const values = (name: string) => Array.from(weights[name]!.dataSync());
    const largest = (name: string) => Math.max(...values(name).map(Math.abs));
    // conv weights are kh×kw×in×out: fan_in = in·kh·kw, fan_out = out·kh·kw.
    const xavier: [string, number, number][] = [["00.conv.weight", 25, 150], ["04.conv.weight", 150, 400], ["09.linear.weight", 256, 120], ["12.linear.weight", 120, 84], ["15.linear.weight", 84, 10]];
    for (const [name, fanIn, fanOut] of xavier) {
      const bound = Math.sqrt(6 / (fanIn + fanOut));
      expect(largest(name), name).toBeLessThanOrEqual(bound);
      expect(largest(name), name).toBeGreaterThan(0.95 * bound);
    }
    const biases: [string, number][] = [["00.conv.bias", 25], ["04.conv.bias", 150], ["09.linear.bias", 256], ["12.linear.bias", 120], ["15.linear.bias", 84]];
    for (const [name, fanIn] of biases) {
      expect(largest(name), name).toBeLessThanOrEqual(1 / Math.sqrt(fanIn));
      expect(largest(name), name).toBeGreaterThan(0.5 / Math.sqrt(fanIn));
    }
    for (const layer of ["01", "05", "10", "13"]) {
      const c = weights[`${layer}.bn.gamma`]!.size;
      expect([values(`${layer}.bn.gamma`), values(`${layer}.bn.beta`), values(`${layer}.bn.moving_mean`), values(`${layer}.bn.moving_var`)]).toEqual([1, 0, 0, 1].map((v) => Array(c).fill(v)));
    }
  });
});

describe("fusion", () => {
  it("needs the project's kernels: on a backend without them, BN is not fused", () => {
    const withoutKernels = { ...tf, getBackend: () => "no-netc-kernels" } as typeof tf;
    const fused = spec("bn").lower.fuse!({ tf: withoutKernels, training: true, bn: "scratch", nextSeed: () => 1, kernels: true }, {}, { pool2: false });
    expect(fused).toBeUndefined();
    expect(spec("bn").lower.fuse!(ctx(true), {}, { pool2: false })).toBeDefined();
  });
});

describe("batch normalization: from scratch = built in", () => {
  for (const shape of [[3, 4, 4], [6]] as Shape[]) {
    it(`same outputs in both modes and same gradients on ${shape.join("×")}`, () => {
      const s = spec("bn");
      const x = tf.add(tf.mul(randomInput(shape, 8, 5), 3), 2);
      const p = params(s, shape, {});
      for (const training of [true, false]) {
        const a = s.lower.forward(ctx(training), x, p, { impl: "scratch" });
        const b = s.lower.forward(ctx(training), x, p, { impl: "builtin" });
        expect(maxDiff(a.y, b.y), `training=${training}`).toBeLessThan(1e-4);
        if (training) {
          expect(maxDiff(a.state!["moving_mean"]!, b.state!["moving_mean"]!)).toBeLessThan(1e-5);
          expect(maxDiff(a.state!["moving_var"]!, b.state!["moving_var"]!)).toBeLessThan(1e-4);
        }
      }
      const dy = tf.randomNormal([8, ...(shape.length === 3 ? [shape[1]!, shape[2]!, shape[0]!] : shape)], 0, 1, "float32", 9);
      const scratch = s.lower.backward!(ctx(true), dy, x, s.lower.forward(ctx(true), x, p, { impl: "scratch" }), p, { impl: "scratch" }, true)!;
      const f = (xIn: tf.Tensor, gamma: tf.Tensor, beta: tf.Tensor) => s.lower.forward(ctx(true), xIn, { ...p, gamma, beta }, { impl: "builtin" }).y;
      const [dx, dGamma, dBeta] = tf.grads(f)([x, p["gamma"]!, p["beta"]!], dy);
      expect(maxDiff(scratch.dx!, dx!)).toBeLessThan(1e-4);
      expect(maxDiff(scratch.grads["gamma"]!, dGamma!)).toBeLessThan(1e-3);
      expect(maxDiff(scratch.grads["beta"]!, dBeta!)).toBeLessThan(1e-3);
    });
  }

  it("moving statistics follow moving = 0.9·moving + 0.1·batch (biased variance)", () => {
    const s = spec("bn");
    // Two channels, values chosen by hand: channel 0 = [1, 3, 5, 7], channel 1 = [2, 2, 2, 6].
    const x = tf.tensor2d([1, 2, 3, 2, 5, 2, 7, 6], [4, 2]);
    const p = { gamma: tf.ones([2]), beta: tf.zeros([2]), moving_mean: tf.tensor1d([1, 0]), moving_var: tf.tensor1d([1, 2]) };
    for (const impl of ["scratch", "builtin"]) {
      const { state } = s.lower.forward(ctx(true), x, p, { impl });
      // batch mean [4, 3], biased variance [5, 3]
      expect(Array.from(state!["moving_mean"]!.dataSync())).toEqual([0.9 * 1 + 0.1 * 4, 0.9 * 0 + 0.1 * 3].map((v) => Math.fround(v)));
      const mv = Array.from(state!["moving_var"]!.dataSync());
      expect(mv[0]).toBeCloseTo(0.9 * 1 + 0.1 * 5, 5);
      expect(mv[1]).toBeCloseTo(0.9 * 2 + 0.1 * 3, 5);
    }
    // Inference normalizes with the moving statistics: (x − 1)/√(1 + 1e-5) for channel 0.
    const y = s.lower.forward(ctx(false), x, p, { impl: "scratch" }).y.arraySync() as number[][];
    expect(y[0]![0]).toBeCloseTo(0, 5);
    expect(y[1]![0]).toBeCloseTo(2 / Math.sqrt(1 + 1e-5), 5);
  });
});

describe("iternorm", () => {
  /** The channel covariance of a training-mode output, N×C. */
  function outputCovariance(args: ArgValues, x: tf.Tensor): number[][] {
    const s = spec("iternorm");
    const c = x.shape[1]!;
    const p = { gamma: tf.ones([c]), beta: tf.zeros([c]), moving_mean: tf.zeros([c]), moving_whitening: tf.zeros([1]) };
    const y = s.lower.forward(ctx(true), x, p, args).y;
    return tf.div(tf.matMul(y, y, true, false), x.shape[0]!).arraySync() as number[][];
  }
  // 64 examples of 4 correlated features (a covariance with condition number about 7).
  const mixing = tf.tensor2d([1, 0.4, 0, 0, 0, 1, 0.4, 0, 0, 0, 1, 0.4, 0.4, 0, 0, 1], [4, 4]);
  const x = tf.add(tf.matMul(tf.randomNormal([64, 4], 0, 1, "float32", 21), mixing), 5);
  const maxOff = (cov: number[][], from: number, to: number) => Math.max(...cov.flatMap((row, i) => row.map((v, j) => (i >= from && i < to && j >= from && j < to ? Math.abs(v - (i === j ? 1 : 0)) : 0))));

  it("whitens: the output's covariance approaches the identity as the iterations grow", () => {
    const errors = [0, 1, 3, 5, 10].map((iters) => maxOff(outputCovariance({ iters }, x), 0, 4));
    expect(errors[0]).toBeGreaterThan(0.5);
    for (let i = 1; i < errors.length; i++) expect(errors[i]).toBeLessThan(errors[i - 1]!);
    expect(errors.at(-1)).toBeLessThan(1e-3);
  });

  it("whitens groups separately: within each, not across", () => {
    const cov = outputCovariance({ groups: 2, iters: 10 }, x);
    expect(maxOff(cov, 0, 2)).toBeLessThan(1e-3);
    expect(maxOff(cov, 2, 4)).toBeLessThan(1e-3);
    expect(Math.max(Math.abs(cov[0]![2]!), Math.abs(cov[0]![3]!), Math.abs(cov[1]![2]!), Math.abs(cov[1]![3]!))).toBeGreaterThan(0.05);
  });
});

describe("compiled model", () => {
  const source = (text: string) => check(new SourceFile("m.net", text), { bn: "scratch" });

  it("a training step of the static graph equals SGD on tf.grads of the whole network", () => {
    const checked = source(["input 2x6x6", "conv 3 k3 | bn | sigmoid | avgpool 2", "add { conv 3 k1 | relu } { identity }", "concat { maxpool 3 s1 p1 } { conv 2 k1 nobias }", "flatten", "linear 4 | bn | tanh", "linear 3"].join("\n"));
    expect(checked.diagnostics.filter((d) => d.severity === "error")).toEqual([]);
    const model = compileModel(tf, checked.network, { bn: "scratch", seed: 1 });
    const reference = compileModel(tf, checked.network, { bn: "scratch", seed: 1 });
    const x = tf.randomNormal([5, 6, 6, 2], 0, 1, "float32", 11);
    const labels = tf.tensor1d([0, 1, 2, 1, 0], "int32");

    // Reference: the same forward, differentiated as a whole by tfjs.
    const weights = reference.weights();
    const trainable = Object.keys(weights).filter((n) => !n.includes("moving"));
    const { value, grads } = tf.variableGrads(() => reference.trainingLoss(x, labels), trainable.map((n) => weights[n] as tf.Variable));

    const { loss } = model.trainStep(x, labels, 0.1);
    expect(loss.dataSync()[0]).toBeCloseTo(value.dataSync()[0]!, 5);
    const after = model.weights();
    for (const n of trainable) {
      // variableGrads keys by tfjs's own variable names.
      const expected = tf.sub(weights[n]!, tf.mul(grads[(weights[n] as tf.Variable).name]!, 0.1));
      expect(maxDiff(after[n]!, expected), n).toBeLessThan(1e-4);
    }
  });

  it("inference with BN folded into the weights equals the unfused graph", () => {
    const checked = source(["input 2x8x8", "conv 4 k3 | bn | sigmoid | avgpool 2", "conv 3 k3 p1 nobias | bn | relu", "flatten", "linear 5 | bn", "linear 4 | sigmoid", "linear 3"].join("\n"));
    const model = compileModel(tf, checked.network, { bn: "scratch", seed: 4 });
    const plain = compileModel(tf, checked.network, { bn: "scratch", seed: 4, optimize: false });
    const x = tf.randomNormal([6, 8, 8, 2], 0, 1, "float32", 12);
    const labels = tf.tensor1d([0, 1, 2, 1, 0, 2], "int32");
    // A few steps so that the moving statistics are not their initial values.
    for (let i = 0; i < 3; i++) {
      model.trainStep(x, labels, 0.5);
      plain.trainStep(x, labels, 0.5);
    }
    expect(maxDiff(model.predict(x), plain.predict(x))).toBeLessThan(1e-4);
  });

  it("a training step with every normalization layer and bn option equals SGD on tf.grads of the whole network", () => {
    const checked = source(
      [
        "input 2x6x6",
        "conv 4 k3 | layernorm | relu",
        "conv 4 k3 p1 | groupnorm 2 | sigmoid",
        "conv 4 k3 p1 | instancenorm affine track momentum=0.8 | tanh",
        "conv 4 k3 p1 nobias | iternorm groups=2 iters=3 | relu",
        "conv 4 k3 p1 nobias | bn affine=false momentum=none | relu",
        "conv 4 k3 p1 nobias | bn track=false | sigmoid | avgpool 2",
        "flatten",
        "linear 6 | iternorm | layernorm eps=1e-3 | groupnorm 3 | bn momentum=none",
        "linear 3",
      ].join("\n"),
    );
    expect(checked.diagnostics.filter((d) => d.severity === "error")).toEqual([]);
    const model = compileModel(tf, checked.network, { bn: "scratch", seed: 2 });
    const reference = compileModel(tf, checked.network, { bn: "scratch", seed: 2 });
    const x = tf.randomNormal([5, 6, 6, 2], 0, 1, "float32", 13);
    const labels = tf.tensor1d([0, 1, 2, 1, 0], "int32");
    const weights = reference.weights() as Record<string, tf.Variable>;
    const trainable = Object.keys(weights).filter((n) => weights[n]!.trainable);
    const { value, grads } = tf.variableGrads(() => reference.trainingLoss(x, labels), trainable.map((n) => weights[n]!));
    const { loss } = model.trainStep(x, labels, 0.1);
    expect(loss.dataSync()[0]).toBeCloseTo(value.dataSync()[0]!, 5);
    const after = model.weights();
    for (const n of trainable) {
      const expected = tf.sub(weights[n]!, tf.mul(grads[weights[n]!.name]!, 0.1));
      expect(maxDiff(after[n]!, expected), n).toBeLessThan(1e-4);
    }
    // The state the training forward tracked is the reference's (its forward ran once too).
    for (const n of Object.keys(weights).filter((n) => !weights[n]!.trainable)) expect(maxDiff(after[n]!, weights[n]!), n).toBeLessThan(1e-5);
    const counts = Object.keys(after).filter((n) => n.endsWith(".num_batches_tracked"));
    expect(counts).toHaveLength(2);
    for (const n of counts) expect(after[n]!.dataSync()[0], n).toBe(1);
  });

  describe("the optimized graph (fused training, folded inference) equals the plain one", () => {
    const variants = [
      "bn affine=false",
      "bn track=false",
      "bn momentum=none",
      "bn affine=false track=false momentum=none",
      "bn builtin affine=false momentum=none",
      "bn builtin track=false",
      "instancenorm affine track",
      "instancenorm",
      "groupnorm 2",
      "layernorm",
      "iternorm groups=2",
    ];
    for (const norm of variants) {
      it(norm, () => {
        // Each norm after a conv (inference folds it, training fuses it with the activation and
        // pooling) and after a conv without bias (frozen bias); `bn` with the option after linear.
        const flat = norm.startsWith("instancenorm") ? "bn" : norm;
        const checked = source(["input 2x8x8", `conv 4 k3 | ${norm} | sigmoid | avgpool 2`, `conv 4 k3 p1 nobias | ${norm} | relu`, "flatten", `linear 6 | ${flat}`, "linear 3"].join("\n"));
        expect(checked.diagnostics.filter((d) => d.severity === "error")).toEqual([]);
        const model = compileModel(tf, checked.network, { bn: "scratch", seed: 4 });
        const plain = compileModel(tf, checked.network, { bn: "scratch", seed: 4, optimize: false });
        const x = tf.randomNormal([6, 8, 8, 2], 0, 1, "float32", 12);
        const labels = tf.tensor1d([0, 1, 2, 1, 0, 2], "int32");
        for (let i = 0; i < 3; i++) {
          const a = model.trainStep(x, labels, 0.5).loss.dataSync()[0]!;
          const b = plain.trainStep(x, labels, 0.5).loss.dataSync()[0]!;
          expect(a).toBeCloseTo(b, 4);
        }
        const [after, reference] = [model.weights(), plain.weights()];
        for (const n of Object.keys(reference)) expect(maxDiff(after[n]!, reference[n]!), n).toBeLessThan(1e-4);
        expect(maxDiff(model.predict(x), plain.predict(x))).toBeLessThan(1e-4);
      });
    }
  });

  it("differentiates a layer that has no explicit backward with tf.grads", () => {
    const checked = source("input 4\nlinear 3 | tanh\nlinear 2");
    const network = structuredClone({ ...checked.network, layers: [] }) as typeof checked.network;
    network.layers = checked.network.layers.map((node) => (node.kind === "layer" && node.spec.name === "tanh" ? { ...node, spec: { ...node.spec, lower: { forward: node.spec.lower.forward } } } : node));
    const model = compileModel(tf, network, { bn: "scratch", seed: 5 });
    const explicit = compileModel(tf, checked.network, { bn: "scratch", seed: 5 });
    const x = tf.randomNormal([4, 4], 0, 1, "float32", 3);
    const labels = tf.tensor1d([0, 1, 1, 0], "int32");
    model.trainStep(x, labels, 0.5);
    explicit.trainStep(x, labels, 0.5);
    const a = model.weights();
    const b = explicit.weights();
    for (const n of Object.keys(a)) expect(maxDiff(a[n]!, b[n]!), n).toBeLessThan(1e-6);
  });

  it("round-trips its weights by name", () => {
    const checked = source("input 4\nlinear 3 | bn\nlinear 2");
    const a = compileModel(tf, checked.network, { bn: "scratch", seed: 1 });
    const b = compileModel(tf, checked.network, { bn: "scratch", seed: 2 });
    expect(Object.keys(a.weights())).toEqual(["00.linear.weight", "00.linear.bias", "01.bn.gamma", "01.bn.beta", "01.bn.moving_mean", "01.bn.moving_var", "02.linear.weight", "02.linear.bias"]);
    b.setWeights(a.weights());
    const x = tf.randomNormal([3, 4], 0, 1, "float32", 1);
    expect(maxDiff(a.predict(x), b.predict(x))).toBe(0);
    expect(() => b.setWeights({ "00.linear.weight": tf.zeros([4, 3]) })).toThrow(/missing/);
  });
});

