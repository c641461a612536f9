import { readFileSync } from "node:fs";
import type { Tensor, Tensor4D } from "@tensorflow/tfjs";
import { beforeAll, describe, expect, it } from "vitest";
import { ACTIVATION, AVG_POOL2_BACKWARD, BN_BACKWARD, BN_FORWARD, netcKernelExports, registerNetcKernels, withScratch, type NetcActivation } from "../src/kernels/register.js";
import { address, aligned16, backendMemory, type WasmBackend } from "../src/kernels/heap.js";
import { findInDist } from "../src/runtime/dist-files.js";
import { SOFTMAX_CROSS_ENTROPY } from "../src/kernels/softmax-cross-entropy.js";
import { initBackend, type Tf } from "../src/runtime/backend.js";
import { createOptimizer, type OptimizerSettings } from "../src/train/optimizers.js";
import { movingAverage } from "../src/layers/normalize.js";
import { mulberry32 } from "../src/runtime/data.js";

/**
 * netc's WebAssembly SIMD kernels (wasm backend) against the JavaScript reference (cpu backend)
 * and against compositions of plain tfjs ops, on LeNet-BN's shapes and odd ones.
 */

let tf: Tf;

beforeAll(async () => {
  // One thread: tfjs's plain build, whose memory this file inspects; test/train/wasm-graph.test.ts
  // runs the kernels on the threaded build's shared memory.
  ({ tf } = await initBackend("wasm", { threads: 1 }));
  expect(registerNetcKernels(tf)).toEqual({ wasm: true });
});

type Backend = "wasm" | "cpu";
interface Arr {
  values: Float32Array;
  shape: number[];
}

function normal(n: number, seed: number, mean = 0, std = 1, channels = 1, spread = 0): Float32Array {
  const random = mulberry32(seed);
  const out = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    const u = 1 - random();
    const z = Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * random());
    // a different mean and std per channel
    const c = i % channels;
    out[i] = mean + spread * Math.sin(c + 1) + z * std * (1 + 0.5 * Math.cos(c));
  }
  return out;
}

async function use(backend: Backend): Promise<void> {
  if (tf.getBackend() !== backend) await tf.setBackend(backend);
}

/** Runs a kernel on `backend` and returns its outputs' values. */
async function run(backend: Backend, kernel: string, inputs: Record<string, Arr>, attrs: Record<string, unknown>): Promise<Arr[]> {
  await use(backend);
  const before = tf.memory().numTensors;
  const tensors = Object.fromEntries(Object.entries(inputs).map(([k, v]) => [k, tf.tensor(v.values, v.shape, "float32")]));
  const result = tf.engine().runKernel(kernel, tensors, attrs as never) as Tensor | Tensor[];
  const outs = Array.isArray(result) ? result : [result];
  const arrays = outs.map((t) => ({ values: t.dataSync() as Float32Array, shape: t.shape }));
  tf.dispose([...outs, ...Object.values(tensors)]);
  expect(tf.memory().numTensors).toBe(before);
  return arrays;
}

/**
 * Largest |a − e| relative to max(|e|, floor·scale), scale = max(max|e|, minScale): floor 1 is a
 * normwise test, a small floor an elementwise one that tolerates entries near 0.
 */
function relErr(actual: Float32Array, expected: Float32Array, floor: number, minScale = 0): number {
  expect(actual.length).toBe(expected.length);
  let scale = minScale;
  for (const v of expected) scale = Math.max(scale, Math.abs(v));
  let worst = 0;
  for (let i = 0; i < expected.length; i++) {
    const e = expected[i]!;
    if (actual[i] === e) continue;
    const d = Math.abs(actual[i]! - e);
    if (Number.isNaN(d)) return Infinity;
    worst = Math.max(worst, d / Math.max(Math.abs(e), floor * scale, 1e-30));
  }
  return worst;
}

interface Tolerance {
  /** normwise: max|a − e| / max|e| */
  norm: number;
  /** elementwise, entries below 1% of max|e| counted as 1% */
  elem?: number;
  /** a lower bound for max|e| (outputs that are all ~0) */
  minScale?: number;
}

/** f32 kernels against the float64 JavaScript reference */
const VS_REFERENCE: Tolerance = { norm: 1e-6, elem: 5e-5 };
/** against compositions of tfjs ops in float32, whose own error is up to a few 1e-5 */
const VS_TFJS: Tolerance = { norm: 1e-4 };

function expectClose(actual: Arr, expected: Arr | Float32Array, tol: Tolerance, label: string): void {
  const e = expected instanceof Float32Array ? expected : expected.values;
  if (!(expected instanceof Float32Array)) expect(actual.shape, label).toEqual(expected.shape);
  const norm = relErr(actual.values, e, 1, tol.minScale);
  const elem = tol.elem === undefined ? 0 : relErr(actual.values, e, 1e-2, tol.minScale);
  expect(norm, `${label}: normwise relative error ${norm.toExponential(2)}`).toBeLessThanOrEqual(tol.norm);
  expect(elem, `${label}: elementwise relative error ${elem.toExponential(2)}`).toBeLessThanOrEqual(tol.elem ?? 0);
}

const ACTS: NetcActivation[] = ["sigmoid", "relu", "tanh", "none"];

function applyAct(x: Tensor, act: NetcActivation): Tensor {
  return act === "sigmoid" ? tf.sigmoid(x) : act === "relu" ? tf.relu(x) : act === "tanh" ? tf.tanh(x) : x;
}

/** BN (batch statistics) + activation from plain tfjs ops, optionally followed by avgpool2. */
function composed(x: Tensor, gamma: Tensor, beta: Tensor, eps: number, act: NetcActivation, pool: boolean): Tensor {
  const c = x.shape.at(-1)!;
  const x2 = x.reshape([-1, c]);
  const { mean, variance } = tf.moments(x2, 0);
  const y = applyAct(tf.add(tf.mul(tf.mul(gamma, tf.sub(x2, mean)), tf.rsqrt(tf.add(variance, eps))), beta), act);
  return pool ? tf.avgPool(y.reshape(x.shape) as Tensor4D, 2, 2, "valid") : y.reshape(x.shape);
}

type Shape4 = [number, number, number, number];
interface Case {
  shape: number[];
  pool?: boolean;
  /** x's mean (large relative to its spread, it tests the variance's cancellation) */
  mean?: number;
  /** elementwise tolerance vs the reference, when not the default */
  elem?: number;
}

const CASES: Case[] = [
  { shape: [128 * 24 * 24, 6] },
  { shape: [128 * 8 * 8, 16] },
  { shape: [128, 120] },
  { shape: [128, 84] },
  { shape: [128, 24, 24, 6], pool: true },
  { shape: [128, 8, 8, 16], pool: true },
  { shape: [1, 5] },
  { shape: [3, 7] },
  { shape: [3, 3] },
  { shape: [1, 1] },
  { shape: [13, 2] },
  { shape: [37, 10] },
  // y near 0 is off by the f32 rounding of the mean (|mean|·2⁻²⁴) times γ·invStd: 1e-4 of 1%
  { shape: [257, 6], mean: 30, elem: 2e-4 },
  { shape: [3, 5, 7, 3], pool: true },
  { shape: [2, 6, 5, 6], pool: true }, // a row (W·C = 30 floats) is not whole vectors
  { shape: [2, 4, 4, 1], pool: true },
  { shape: [2, 7, 6, 4], pool: true }, // odd H
  { shape: [4, 6, 8, 5], pool: true },
];

function label(c: Case, act: string): string {
  return `[${c.shape.join(",")}]${c.pool ? " pool" : ""} ${act}`;
}

function inputsFor(c: Case, seed: number) {
  const ch = c.shape.at(-1)!;
  const m = c.shape.reduce((a, b) => a * b, 1) / ch;
  const x = { values: normal(m * ch, seed, c.mean ?? 0.5, 1.5, ch, 2), shape: c.shape };
  const gamma = { values: normal(ch, seed + 1, 1, 0.3), shape: [ch] };
  const beta = { values: normal(ch, seed + 2, 0, 0.3), shape: [ch] };
  const pooled = c.pool ? ([c.shape[0]!, c.shape[1]! >> 1, c.shape[2]! >> 1, ch] as Shape4) : undefined;
  const dyShape = pooled ?? c.shape;
  const dy = { values: normal(dyShape.reduce((a, b) => a * b, 1), seed + 3, 0, 0.1), shape: dyShape };
  return { x, gamma, beta, dy, pooled, m, ch };
}

describe("NetcBnForward", () => {
  for (const c of CASES) {
    it(`matches the JS reference and tfjs ops on ${label(c, "every act")}`, async () => {
      for (const [i, act] of ACTS.entries()) {
        const { x, gamma, beta, pooled } = inputsFor(c, 100 + i);
        const attrs = { eps: 1e-5, act, pool: c.pool ? 2 : 0 };
        const wasm = await run("wasm", BN_FORWARD, { x, gamma, beta }, attrs);
        const cpu = await run("cpu", BN_FORWARD, { x, gamma, beta }, attrs);
        expect(wasm.length).toBe(c.pool ? 4 : 3);
        const names = ["y", "mean", "invStd", "pooled"];
        wasm.forEach((w, k) => expectClose(w, cpu[k]!, { ...VS_REFERENCE, elem: c.elem ?? VS_REFERENCE.elem }, `${label(c, act)} ${names[k]} vs reference`));
        // the same with plain tfjs ops on the wasm backend
        await use("wasm");
        const ops = tf.tidy(() => {
          const xt = tf.tensor(x.values, x.shape);
          const { mean, variance } = tf.moments(xt.reshape([-1, x.shape.at(-1)!]), 0);
          const y = composed(xt, tf.tensor(gamma.values), tf.tensor(beta.values), 1e-5, act, false);
          const p = pooled ? composed(xt, tf.tensor(gamma.values), tf.tensor(beta.values), 1e-5, act, true) : undefined;
          return [y, mean, tf.rsqrt(tf.add(variance, 1e-5)), ...(p ? [p] : [])].map((t) => ({ values: t.dataSync() as Float32Array, shape: t.shape }));
        });
        wasm.forEach((w, k) => expectClose(w, ops[k]!, VS_TFJS, `${label(c, act)} ${names[k]} vs tfjs ops`));
      }
    });
  }
});

describe("NetcBnBackward", () => {
  for (const c of CASES) {
    it(`matches the JS reference and tf.grads of tfjs ops on ${label(c, "every act")}`, async () => {
      for (const [i, act] of ACTS.entries()) {
        const { x, gamma, beta, dy, pooled } = inputsFor(c, 200 + i);
        const pool = c.pool ? 2 : 0;
        const [y, mean, invStd] = await run("wasm", BN_FORWARD, { x, gamma, beta }, { eps: 1e-5, act, pool });
        const inputs = { dy, y: y!, x, mean: mean!, invStd: invStd!, gamma };
        const wasm = await run("wasm", BN_BACKWARD, inputs, { act, pool });
        const cpu = await run("cpu", BN_BACKWARD, inputs, { act, pool });
        const names = ["dx", "dGamma", "dBeta"];
        // dx is γ·invStd·(dz − …): all ~0 when M = 1
        const maxAbs = (a: Float32Array) => a.reduce((m, v) => Math.max(m, Math.abs(v)), 0);
        const dxScale = maxAbs(dy.values) * maxAbs(gamma.values.map((g, k) => g * invStd!.values[k]!));
        const tol = (t: Tolerance, k: number) => (k === 0 ? { ...t, minScale: dxScale } : t);
        wasm.forEach((w, k) => expectClose(w, cpu[k]!, tol({ ...VS_REFERENCE, elem: c.elem ?? VS_REFERENCE.elem }, k), `${label(c, act)} ${names[k]} vs reference`));
        await use("wasm");
        const grads = tf.tidy(() => {
          // relu's derivative comes from our y: the two forwards may disagree on the sign of a z ≈ 0
          const mask = act === "relu" ? tf.cast(tf.greater(tf.tensor(y!.values, y!.shape), 0), "float32") : undefined;
          const f = (xt: Tensor, g: Tensor, b: Tensor) => {
            if (!mask) return composed(xt, g, b, 1e-5, act, !!pooled);
            const z = tf.mul(composed(xt, g, b, 1e-5, "none", false), mask);
            return pooled ? tf.avgPool(z as Tensor4D, 2, 2, "valid") : z;
          };
          const args = [tf.tensor(x.values, x.shape), tf.tensor(gamma.values), tf.tensor(beta.values)];
          return tf.grads(f)(args, tf.tensor(dy.values, dy.shape)).map((t) => ({ values: t.dataSync() as Float32Array, shape: t.shape }));
        });
        wasm.forEach((w, k) => expectClose(w, grads[k]!, tol(VS_TFJS, k), `${label(c, act)} ${names[k]} vs tf.grads`));
      }
    });
  }
});

describe("NetcActivation", () => {
  for (const c of CASES) {
    it(`matches the JS reference and tfjs ops on ${label(c, "every act")}`, async () => {
      for (const [i, act] of ACTS.entries()) {
        const { x } = inputsFor(c, 300 + i);
        const attrs = { act, pool: c.pool ? 2 : 0 };
        const wasm = await run("wasm", ACTIVATION, { x }, attrs);
        const cpu = await run("cpu", ACTIVATION, { x }, attrs);
        expect(wasm.length).toBe(c.pool ? 2 : 1);
        wasm.forEach((w, k) => expectClose(w, cpu[k]!, VS_REFERENCE, `${label(c, act)} output ${k} vs reference`));
        await use("wasm");
        const ops = tf.tidy(() => {
          const y = applyAct(tf.tensor(x.values, x.shape), act);
          return [y, ...(c.pool ? [tf.avgPool(y as Tensor4D, 2, 2, "valid")] : [])].map((t) => ({ values: t.dataSync() as Float32Array, shape: t.shape }));
        });
        wasm.forEach((w, k) => expectClose(w, ops[k]!, VS_TFJS, `${label(c, act)} output ${k} vs tfjs ops`));
      }
    });
  }
});

describe("NetcActivation with statistics (tf.batchNorm, then the activation and pooling, in one pass)", () => {
  for (const c of CASES.filter((k) => !k.mean)) {
    it(`matches tf.batchNorm then the activation (and pooling) from tfjs ops on ${label(c, "every act")}, with and without scale and offset`, async () => {
      for (const [i, act] of ACTS.entries()) {
        const { x, gamma, beta, ch } = inputsFor(c, 500 + i);
        const mean = { values: normal(ch, 510 + i, 0.5, 1), shape: [ch] };
        const variance = { values: normal(ch, 520 + i, 1, 1).map((v) => 0.1 + v * v), shape: [ch] };
        for (const affine of [true, false]) {
          const inputs = { x, mean, variance, ...(affine ? { scale: gamma, offset: beta } : {}) };
          const attrs = { act, pool: c.pool ? 2 : 0, eps: 1e-5 };
          const wasm = await run("wasm", ACTIVATION, inputs, attrs);
          const cpu = await run("cpu", ACTIVATION, inputs, attrs);
          expect(wasm.length).toBe(c.pool ? 2 : 1);
          const what = `${label(c, act)}${affine ? "" : " without scale and offset"}`;
          wasm.forEach((w, k) => expectClose(w, cpu[k]!, VS_REFERENCE, `${what} output ${k} vs reference`));
          await use("wasm");
          const ops = tf.tidy(() => {
            const [t, m, v] = [x, mean, variance].map((a) => tf.tensor(a.values, a.shape));
            const [offset, scale] = affine ? [beta, gamma].map((a) => tf.tensor(a.values, a.shape)) : [undefined, undefined];
            const y = applyAct(tf.batchNorm(t!, m!, v!, offset, scale, 1e-5), act);
            return [y, ...(c.pool ? [tf.avgPool(y as Tensor4D, 2, 2, "valid")] : [])].map((r) => ({ values: r.dataSync() as Float32Array, shape: r.shape }));
          });
          wasm.forEach((w, k) => expectClose(w, ops[k]!, VS_TFJS, `${what} output ${k} vs tfjs ops`));
        }
      }
    });
  }
});

describe("tf.batchNorm on wasm (netc's kernel for tfjs's FusedBatchNorm)", () => {
  /** tf.batchNorm's values on a backend; mean, variance, offset and scale as given (undefined: left out). */
  async function batchNorm(backend: Backend, x: Arr, stats: (Arr | undefined)[], eps: number): Promise<Float32Array> {
    await use(backend);
    return tf.tidy(() => {
      const [mean, variance, offset, scale] = stats.map((s) => (s ? tf.tensor(s.values, s.shape) : undefined));
      return tf.batchNorm(tf.tensor(x.values, x.shape), mean!, variance!, offset, scale, eps).dataSync() as Float32Array;
    });
  }
  const positive = (a: Arr): Arr => ({ ...a, values: a.values.map((v) => 0.1 + v * v) });
  for (const c of CASES.filter((k) => !k.mean)) {
    it(`matches tfjs's own kernel (cpu) on [${c.shape.join(",")}], with and without scale and offset`, async () => {
      const { x, gamma, beta, ch } = inputsFor(c, 400);
      const mean = { values: normal(ch, 401, 0.5, 1), shape: [ch] };
      const variance = positive({ values: normal(ch, 402, 1, 1), shape: [ch] });
      for (const stats of [[mean, variance, beta, gamma], [mean, variance, undefined, undefined], [mean, variance, beta, undefined]]) {
        const wasm = await batchNorm("wasm", x, stats, 1e-5);
        expectClose({ values: wasm, shape: x.shape }, await batchNorm("cpu", x, stats, 1e-5), VS_REFERENCE, `[${c.shape.join(",")}] with ${stats.filter(Boolean).length} inputs`);
      }
    });
  }
  it("leaves statistics of x's own shape (not one per channel) to tfjs's kernel, which gives the same values", async () => {
    const x = { values: normal(2 * 3 * 4 * 5, 410), shape: [2, 3, 4, 5] };
    const mean = { values: normal(120, 411), shape: x.shape };
    const variance = positive({ values: normal(120, 412), shape: x.shape });
    const wasm = await batchNorm("wasm", x, [mean, variance], 1e-3);
    expectClose({ values: wasm, shape: x.shape }, await batchNorm("cpu", x, [mean, variance], 1e-3), VS_REFERENCE, "full-shape statistics");
  });
});

describe("NetcSoftmaxCrossEntropy", () => {
  /** The loss, gradient and correct count by the kernel and by the tfjs ops the training graph uses without it. */
  async function both(backend: Backend, logits: Arr, labels: Int32Array) {
    await use(backend);
    return tf.tidy(() => {
      const x = tf.tensor(logits.values, logits.shape, "float32");
      const y = tf.tensor(labels, [labels.length], "int32");
      const [loss, dLogits, correct] = tf.engine().runKernel(SOFTMAX_CROSS_ENTROPY, { logits: x, labels: y }) as Tensor[];
      const logProbs = tf.logSoftmax(x);
      const oneHot = tf.oneHot(y, logits.shape[1]!);
      const n = labels.length;
      return {
        kernel: { loss: loss!.dataSync()[0]!, dLogits: dLogits!.dataSync() as Float32Array, correct: correct!.dataSync()[0]!, correctType: correct!.dtype },
        ops: {
          loss: tf.div(tf.neg(tf.sum(tf.mul(oneHot, logProbs))), n).dataSync()[0]!,
          dLogits: tf.div(tf.sub(tf.exp(logProbs), oneHot), n).dataSync() as Float32Array,
          correct: tf.sum(tf.cast(tf.equal(tf.argMax(x, 1), y), "int32")).dataSync()[0]!,
        },
      };
    });
  }
  for (const [n, c, scale] of [[128, 10, 3], [7, 3, 40], [1, 2, 1]] as const) {
    it(`equals tfjs's logSoftmax, oneHot and argMax on [${n}, ${c}] logits of scale ${scale}, on wasm and cpu`, async () => {
      const logits = { values: normal(n * c, 500 + n, 0, scale), shape: [n, c] };
      const labels = Int32Array.from({ length: n }, (_, i) => (i * 7) % c);
      for (const backend of ["wasm", "cpu"] as const) {
        const { kernel, ops } = await both(backend, logits, labels);
        expect(Math.abs(kernel.loss - ops.loss) / Math.max(1, Math.abs(ops.loss)), backend).toBeLessThan(1e-5);
        expectClose({ values: kernel.dLogits, shape: [n, c] }, ops.dLogits, { norm: 1e-5 }, `${backend} dLogits`);
        expect(kernel.correct, backend).toBe(ops.correct);
        expect(kernel.correctType).toBe("int32");
      }
    });
  }
  it("counts the first of equal largest logits, as argMax, and gives a label outside the classes no one-hot, as oneHot", async () => {
    const logits = { values: Float32Array.of(2, 2, 0, /**/ 1, 5, 5, /**/ 0, 0, 0), shape: [3, 3] };
    const labels = Int32Array.of(0, 2, 3);
    for (const backend of ["wasm", "cpu"] as const) {
      const { kernel, ops } = await both(backend, logits, labels);
      expect(kernel.correct).toBe(1);
      expect(kernel.correct).toBe(ops.correct);
      expect(kernel.loss).toBeCloseTo(ops.loss, 5);
      expectClose({ values: kernel.dLogits, shape: [3, 3] }, ops.dLogits, { norm: 1e-6 }, `${backend} dLogits`);
    }
  });
});

describe("NetcSgdUpdate and NetcAdamUpdate (an optimizer's step of every parameter in one call)", () => {
  const shapes = [[5, 5, 1, 6], [6], [120, 256], [3]];
  /** Parameters after three steps of `settings`, with the kernel or with tfjs ops, and the kernels the last step ran. */
  async function steps(backend: Backend, settings: OptimizerSettings, kernels: boolean) {
    await use(backend);
    const params = Object.fromEntries(shapes.map((shape, i) => [`p${i}`, tf.variable(tf.tensor(normal(shape.reduce((a, b) => a * b), 900 + i), shape))]));
    const optimizer = createOptimizer(tf, params, settings, kernels);
    let ran: string[] = [];
    for (let step = 0; step < 3; step++) {
      const grads = new Map(Object.values(params).map((p, i) => [p, tf.tensor(normal(p.size, 950 + 10 * step + i, 0, 0.1), p.shape)] as const));
      // The last parameter is frozen in the first step: no gradient, updated as with a zero one.
      if (step === 0) grads.delete(params["p3"]!);
      const profile = await tf.profile(() => tf.tidy(() => optimizer.apply(grads, 0.1 * (step + 1))));
      ran = profile.kernelNames;
      tf.dispose([...grads.values()]);
    }
    const values = Object.values(params).map((p) => p.dataSync() as Float32Array);
    const state = Object.values(optimizer.state()).map((t) => t.dataSync() as Float32Array);
    optimizer.dispose();
    tf.dispose(Object.values(params));
    return { values, state, ran };
  }
  const base: OptimizerSettings = { optimizer: "sgd", momentum: 0, nesterov: false, wd: 0, betas: [0.9, 0.999], eps: 1e-8 };
  const cases: [string, Partial<OptimizerSettings>, string, number][] = [
    ["SGD", {}, "NetcSgdUpdate", 0],
    ["SGD with momentum", { momentum: 0.9 }, "NetcSgdUpdate", shapes.length],
    ["SGD with Nesterov momentum and weight decay", { momentum: 0.9, nesterov: true, wd: 5e-4 }, "NetcSgdUpdate", shapes.length],
    ["SGD with weight decay", { wd: 1e-2 }, "NetcSgdUpdate", 0],
    ["Adam", { optimizer: "adam" }, "NetcAdamUpdate", 2 * shapes.length + 1],
    ["Adam with weight decay", { optimizer: "adam", wd: 1e-2, betas: [0.8, 0.99], eps: 1e-6 }, "NetcAdamUpdate", 2 * shapes.length + 1],
    ["AdamW", { optimizer: "adamw", wd: 1e-2 }, "NetcAdamUpdate", 2 * shapes.length + 1],
  ];
  for (const [name, settings, kernel, stateTensors] of cases) {
    it(`${name}: the same bits as the tfjs ops it replaces, on wasm and cpu, in one call`, async () => {
      for (const backend of ["wasm", "cpu"] as const) {
        const fused = await steps(backend, { ...base, ...settings }, true);
        const ops = await steps(backend, { ...base, ...settings }, false);
        expect(fused.ran, backend).toEqual([kernel]);
        expect(ops.ran, backend).not.toContain(kernel);
        expect(fused.values, backend).toEqual(ops.values);
        expect(fused.state, backend).toEqual(ops.state);
        expect(fused.state.length).toBe(stateTensors);
      }
    });
  }
  it("refuses a gradient that does not match its parameter", async () => {
    await use("wasm");
    const [param, grad] = [tf.zeros([4]), tf.zeros([5])];
    expect(() => tf.engine().runKernel("NetcSgdUpdate", { param0: param, grad0: grad }, { lr: 0.1 })).toThrow(/grad0 must be float32 of param0's 4 values/);
    tf.dispose([param, grad]);
  });
});

describe("NetcMovingAverage (a BN layer's moving statistics in one call)", () => {
  it("gives the same bits as momentum·moving + (1 − momentum)·batch in tfjs ops, on wasm and cpu", async () => {
    for (const backend of ["wasm", "cpu"] as const) {
      await use(backend);
      const [moving0, batch0, moving1, batch1] = [[6], [6], [120], [120]].map((shape, i) => tf.tensor(normal(shape[0]!, 990 + i, 0.5, 2), shape));
      for (const momentum of [0.9, 0.1, 1 / 3]) {
        const kernel = tf.engine().runKernel("NetcMovingAverage", { moving0: moving0!, batch0: batch0!, moving1: moving1!, batch1: batch1! }, { momentum }) as Tensor[];
        const ops = [movingAverage(tf, momentum, moving0!, batch0!), movingAverage(tf, momentum, moving1!, batch1!)];
        expect(kernel.map((t) => t.dataSync()), `${backend}, momentum ${momentum}`).toEqual(ops.map((t) => t.dataSync()));
        tf.dispose([...kernel, ...ops]);
      }
      tf.dispose([moving0!, batch0!, moving1!, batch1!]);
    }
  });
});

describe("NetcAvgPool2Backward", () => {
  const shapes: [Shape4, number, number][] = [
    [[128, 12, 12, 6], 24, 24],
    [[128, 4, 4, 16], 8, 8],
    [[2, 3, 2, 3], 7, 5],
    [[3, 2, 2, 1], 4, 4],
    [[1, 1, 1, 5], 3, 2],
  ];
  for (const [shape, h, w] of shapes) {
    it(`is avgPool's gradient for dy [${shape.join(",")}] and a ${h}×${w} input`, async () => {
      const dy = { values: normal(shape.reduce((a, b) => a * b, 1), 7), shape };
      const attrs = { h, w };
      const [wasm] = await run("wasm", AVG_POOL2_BACKWARD, { dy }, attrs);
      const [cpu] = await run("cpu", AVG_POOL2_BACKWARD, { dy }, attrs);
      expect(wasm!.shape).toEqual([shape[0], h, w, shape[3]]);
      expectClose(wasm!, cpu!, { norm: 0 }, "vs reference");
      await use("wasm");
      const grad = tf.tidy(() => {
        const x = tf.zeros([shape[0], h, w, shape[3]]) as Tensor4D;
        return tf.grad((x: Tensor) => tf.avgPool(x as Tensor4D, 2, 2, "valid"))(x, tf.tensor(dy.values, shape)).dataSync() as Float32Array;
      });
      expectClose(wasm!, grad, { norm: 1e-6, elem: 1e-6 }, "vs tf.grad(avgPool)");
    });
  }
});

describe("the WebAssembly activations", () => {
  // The build registered here (fused multiply-add where the engine has relaxed SIMD) and the plain
  // one (each multiply-add rounded twice), which engines without it and the page run.
  const builds = {
    registered: () => netcKernelExports(tf.backend()),
    plain: () => new WebAssembly.Instance(new WebAssembly.Module(readFileSync(findInDist("netc-kernels.wasm")!)), { env: { memory: backendMemory(tf.backend() as WasmBackend) } }).exports as unknown as ReturnType<typeof netcKernelExports>,
  };
  for (const [build, instance] of Object.entries(builds)) {
    it(`have a relative error below 1e-6 (sigmoid, tanh) and are exact for relu (${build} build)`, async () => {
      await use("wasm");
      const zs: number[] = [0, -0, 1e-30, -1e-30, 1e-7, -1e-7, 1e-3, -1e-3, 0.2499, 0.25, -0.25, 80, -80, 87, -87, 87.4, -87.4, 88, -88, 100, -100, 1e4, -1e4, Infinity, -Infinity];
      for (let z = -30; z <= 30; z += 1 / 1024) zs.push(z);
      while (zs.length % 4) zs.push(0.5);
      const x = tf.tensor1d(zs);
      const out = tf.zeros([zs.length]);
      const kernels = instance();
      const backend = tf.backend() as unknown as { dataIdMap: { get(id: object): { memoryOffset: number } } };
      const at = (t: Tensor) => backend.dataIdMap.get(t.dataId).memoryOffset;
      const exact: Record<string, (z: number) => number> = { sigmoid: (z) => 1 / (1 + Math.exp(-z)), tanh: Math.tanh, relu: (z) => (z > 0 ? z : 0), none: (z) => z };
      const codes: Record<string, number> = { none: 0, relu: 1, sigmoid: 2, tanh: 3 };
      for (const act of ["sigmoid", "tanh", "relu", "none"]) {
        withScratch(tf.backend() as never, kernels.scratch_bytes(4, 0, 0), (s) => kernels.act(at(x), at(out), zs.length, codes[act]!, s));
        const got = out.dataSync();
        let worst = 0;
        zs.forEach((z, i) => {
          const e = Math.fround(exact[act]!(z));
          // below ~1e-38 sigmoid flushes to 0, which is what tfjs does too
          if (act === "sigmoid" && e < 1.2e-38) return expect(got[i]).toBeLessThan(1.2e-38);
          if (got[i] === e) return;
          worst = Math.max(worst, Math.abs(got[i]! - e) / Math.max(Math.abs(e), 1e-38));
        });
        expect(worst, act).toBeLessThan(act === "relu" || act === "none" ? 1e-30 : 1e-6);
      }
      tf.dispose([x, out]);
    });
  }
});

describe("the wasm kernels", () => {
  it("stay right when tfjs's memory grows between calls, and leak no tensors", async () => {
    await use("wasm");
    const c = CASES[1]!;
    const { x, gamma, beta } = inputsFor(c, 5);
    const first = await run("wasm", BN_FORWARD, { x, gamma, beta }, { eps: 1e-5, act: "sigmoid" });
    const memory = (tf.backend() as unknown as { wasm: { asm: { memory: WebAssembly.Memory } } }).wasm.asm.memory;
    const bytes = memory.buffer.byteLength;
    const big = tf.zeros([bytes / 4 + 1_000_000]); // more than the heap holds: it must grow
    expect(memory.buffer.byteLength).toBeGreaterThan(bytes);
    const second = await run("wasm", BN_FORWARD, { x, gamma, beta }, { eps: 1e-5, act: "sigmoid" });
    big.dispose();
    second.forEach((s, k) => expect(s.values).toEqual(first[k]!.values));
    // run() checks tf.memory().numTensors around each call; here repeated calls under tidy
    const before = tf.memory().numTensors;
    for (const act of ACTS) {
      tf.tidy(() => {
        const [yy, mean, invStd] = tf.engine().runKernel(BN_FORWARD, { x: tf.ones([8, 4]), gamma: tf.ones([4]), beta: tf.zeros([4]) }, { eps: 1e-5, act }) as Tensor[];
        tf.engine().runKernel(BN_BACKWARD, { dy: tf.onesLike(yy!), y: yy!, x: tf.ones([8, 4]), mean: mean!, invStd: invStd!, gamma: tf.ones([4]) }, { act });
      });
    }
    expect(tf.memory().numTensors).toBe(before);
  });

  it("have a build for a threaded tfjs's shared memory", async () => {
    const { readFileSync } = await import("node:fs");
    const memory = new WebAssembly.Memory({ initial: 2, maximum: 16, shared: true });
    const module = new WebAssembly.Module(readFileSync(new URL("../dist/netc-kernels-shared.wasm", import.meta.url)));
    const kernels = new WebAssembly.Instance(module, { env: { memory } }).exports as unknown as ReturnType<typeof netcKernelExports>;
    const heap = new Float32Array(memory.buffer);
    heap.set([-2, -0.5, 0, 3], 1024);
    kernels.act(4096, 8192, 4, 2, 16384);
    const expected = new Float32Array([-2, -0.5, 0, 3].map((z) => 1 / (1 + Math.exp(-z))));
    expect(relErr(heap.subarray(2048, 2052), expected, 0)).toBeLessThan(1e-6);
  });

  it("reject what they cannot run", async () => {
    await use("wasm");
    const bad = (inputs: Record<string, Tensor>, attrs: Record<string, unknown>) => () => tf.tidy(() => tf.engine().runKernel(BN_FORWARD, inputs, attrs as never));
    expect(bad({ x: tf.ones([4, 3]), gamma: tf.ones([2]), beta: tf.zeros([3]) }, { eps: 1e-5, act: "relu" })).toThrow(/gamma must have 3 values/);
    expect(bad({ x: tf.ones([4, 3]), gamma: tf.ones([3]), beta: tf.zeros([3]) }, { eps: 1e-5, act: "gelu" })).toThrow(/act must be/);
    expect(bad({ x: tf.ones([4, 3]), gamma: tf.ones([3]), beta: tf.zeros([3]) }, { eps: 1e-5, act: "relu", pool: 2 })).toThrow(/NHWC/);
  });
});

describe("heap addresses", () => {
  it("past 2 GiB stay unsigned, which typed arrays need as offsets (VGG-11's heap reaches 4 GiB)", () => {
    // 0x8206_0041 as the signed i32 an allocator returns for it.
    expect(aligned16(0x8206_0041 | 0)).toBe(0x8206_0050);
    expect(aligned16(0xffff_fff0 | 0)).toBe(0xffff_fff0);
    expect(aligned16(17)).toBe(32);
  });

  it("of a tensor tfjs could not allocate (address 0) are refused, not written over the heap's start", () => {
    const backend = { dataIdMap: { get: () => ({ memoryOffset: 0 }) } } as unknown as WasmBackend;
    expect(() => address(backend, { dataId: {}, shape: [128, 24, 24, 6], dtype: "float32" })).toThrow(/out of memory \(a \[128, 24, 24, 6\] tensor could not be allocated\)/);
    expect(address({ dataIdMap: { get: () => ({ memoryOffset: 0x8000_0010 | 0 }) } } as unknown as WasmBackend, { dataId: {}, shape: [4], dtype: "float32" })).toBe(0x8000_0010);
  });
});
