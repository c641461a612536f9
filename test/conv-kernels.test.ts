import type { Tensor, Tensor4D } from "@tensorflow/tfjs";
import { beforeAll, describe, expect, it } from "vitest";
import { CHANNEL_SUMS, CONCAT, CONV2D, CONV2D_BACKPROP_FILTER, CONV2D_BACKPROP_INPUT, MAX_POOL_BACKWARD, MOMENTS, SPLIT } from "../src/kernels/conv.js";
import { registerNetcKernels } from "../src/kernels/register.js";
import { initBackend, type Tf } from "../src/runtime/backend.js";
import { mulberry32 } from "../src/runtime/data.js";

/**
 * netc's convolution kernels on the wasm backend (threaded, as netc runs it) against tfjs's
 * convolution and its gradients, on every convolution geometry of models/ and odd ones: tfjs's
 * wasm ops (XNNPACK's convolution, tfjs's input gradient, the filter gradient netc composes
 * from tfjs kernels) everywhere, and the cpu backend's (plain JavaScript, too slow for the
 * large ones) on the small cases too.
 */

let tf: Tf;

beforeAll(async () => {
  ({ tf } = await initBackend("wasm", { threads: 2 }));
  expect(registerNetcKernels(tf)).toEqual({ wasm: true });
});

interface Case {
  /** where the geometry comes from */
  from: string;
  /** N, H, W, CI */
  x: [number, number, number, number];
  /** KH, KW, CO */
  k: [number, number, number];
  s?: [number, number];
  p?: [number, number];
}

// Batches are small (the kernels' blocking does not depend on N beyond rows), spatial sizes
// and channels are the models' own.
const CASES: Case[] = [
  { from: "lenet conv1", x: [4, 28, 28, 1], k: [5, 5, 6], p: [2, 2] },
  { from: "lenet-bn conv1", x: [8, 28, 28, 1], k: [5, 5, 6] },
  { from: "lenet-bn conv2", x: [8, 12, 12, 6], k: [5, 5, 16] },
  { from: "alexnet conv1", x: [1, 224, 224, 1], k: [11, 11, 96], s: [4, 4], p: [1, 1] },
  { from: "alexnet conv2", x: [2, 26, 26, 96], k: [5, 5, 256], p: [2, 2] },
  { from: "alexnet conv3", x: [2, 12, 12, 256], k: [3, 3, 384], p: [1, 1] },
  { from: "vgg11 conv1", x: [1, 56, 56, 1], k: [3, 3, 64], p: [1, 1] },
  { from: "vgg11 conv5 (7×7 of its 14×14)", x: [1, 7, 7, 512], k: [3, 3, 512], p: [1, 1] },
  { from: "nin 1×1", x: [2, 54, 54, 96], k: [1, 1, 96] },
  { from: "nin last block", x: [3, 5, 5, 384], k: [3, 3, 10], p: [1, 1] },
  { from: "nin last 1×1", x: [3, 5, 5, 10], k: [1, 1, 10] },
  { from: "googlenet b1", x: [2, 96, 96, 1], k: [7, 7, 64], s: [2, 2], p: [3, 3] },
  { from: "googlenet b2 3×3", x: [2, 24, 24, 64], k: [3, 3, 192], p: [1, 1] },
  { from: "googlenet inception 5×5", x: [2, 12, 12, 16], k: [5, 5, 32], p: [2, 2] },
  { from: "googlenet inception 1×1", x: [2, 6, 6, 480], k: [1, 1, 16] },
  { from: "resnet18 3×3", x: [4, 24, 24, 64], k: [3, 3, 64], p: [1, 1] },
  { from: "resnet18 3×3 s2", x: [4, 24, 24, 64], k: [3, 3, 128], s: [2, 2], p: [1, 1] },
  { from: "resnet18 1×1 s2", x: [4, 12, 12, 128], k: [1, 1, 256], s: [2, 2] },
  { from: "resnet18 b5", x: [1, 3, 3, 512], k: [3, 3, 512], p: [1, 1] },
  { from: "densenet conv_block", x: [3, 24, 24, 96], k: [3, 3, 32], p: [1, 1] },
  { from: "densenet transition", x: [3, 24, 24, 192], k: [1, 1, 96] },
  // Linear layers (against float64 matrix products)
  { from: "linear as 1×1", x: [7, 1, 1, 300], k: [1, 1, 84] },
  // Its weight (35 MB) is past what the input gradient transposes whole, as AlexNet's and VGG's.
  { from: "a big linear layer", x: [3, 1, 1, 4200], k: [1, 1, 2100] },
  { from: "odd: batch 1, 3×2 kernel, stride 2×3, padding 2×1", x: [1, 9, 11, 3], k: [3, 2, 5], s: [2, 3], p: [2, 1] },
  { from: "odd: stride larger than the kernel", x: [2, 7, 7, 7], k: [2, 2, 9], s: [3, 3] },
  { from: "odd: one pixel", x: [1, 1, 1, 1], k: [1, 1, 1] },
  { from: "odd: few channels in and out (sliding windows, partial panels)", x: [1, 7, 5, 2], k: [3, 3, 3], p: [1, 1] },
  { from: "odd: the kernel inside the padding at the edges", x: [2, 2, 3, 5], k: [1, 3, 13], p: [2, 2] },
  { from: "odd: one channel in, 7 out (one-plane path: partial tiles, an odd channel, 5 + 2 taps a row)", x: [3, 9, 13, 1], k: [3, 7, 7], p: [1, 2] },
  { from: "odd: Winograd's 2×2 tiles over odd sides, padding 2, a half panel of 8 columns", x: [3, 7, 5, 4], k: [3, 3, 12], p: [2, 2] },
  { from: "odd: Winograd's tiles without padding, more tiles than one unit of 48", x: [5, 9, 10, 8], k: [3, 3, 4] },
  { from: "odd: Winograd's 5×5 (Toom-Cook's matrices) over odd sides, padding 3", x: [3, 9, 8, 8], k: [5, 5, 12], p: [3, 3] },
  // Its filter gradient sums V and Z of up to 6 MB at a time: this one in four chunks.
  { from: "odd: Winograd's filter gradient over chunks of tiles, channels past a block of 96", x: [6, 24, 22, 100], k: [3, 3, 420], p: [1, 1] },
  { from: "odd: the taps inside x, a block of 96 input channels and 4 more, 3×3 pixels", x: [2, 3, 3, 100], k: [3, 3, 20], p: [1, 1] },
  { from: "odd: the taps inside x, a kernel row wholly in the padding, stride 1×2", x: [3, 2, 4, 12], k: [5, 3, 10], s: [1, 2], p: [2, 1] },
  { from: "odd: the taps inside x, images in two blocks", x: [100, 3, 3, 8], k: [3, 3, 16], p: [1, 1] },
];

function random(n: number, seed: number): Float32Array {
  const r = mulberry32(seed);
  return Float32Array.from({ length: n }, () => 2 * r() - 1);
}

/** max |a − e| / max |e| */
function normwise(actual: Float32Array, expected: Float32Array): number {
  expect(actual.length).toBe(expected.length);
  let scale = 0;
  let worst = 0;
  for (let i = 0; i < expected.length; i++) {
    scale = Math.max(scale, Math.abs(expected[i]!));
    const d = Math.abs(actual[i]! - expected[i]!);
    worst = Number.isNaN(d) ? Infinity : Math.max(worst, d);
  }
  return worst / (scale || 1);
}

const TOLERANCE = 1e-5;

async function onBackend<T>(name: "wasm" | "cpu", f: () => T): Promise<T> {
  if (tf.getBackend() !== name) await tf.setBackend(name);
  return f();
}

function geometry(c: Case) {
  const [n, h, w, ci] = c.x;
  const [kh, kw, co] = c.k;
  const [sh, sw] = c.s ?? [1, 1];
  const [ph, pw] = c.p ?? [0, 0];
  const oh = Math.floor((h + 2 * ph - kh) / sh) + 1;
  const ow = Math.floor((w + 2 * pw - kw) / sw) + 1;
  return { n, h, w, ci, kh, kw, co, sh, sw, ph, pw, oh, ow };
}

function data(c: Case, seed: number) {
  const g = geometry(c);
  return {
    g,
    x: random(g.n * g.h * g.w * g.ci, seed),
    w: random(g.kh * g.kw * g.ci * g.co, seed + 1),
    b: random(g.co, seed + 2),
    dy: random(g.n * g.oh * g.ow * g.co, seed + 3),
  };
}

/**
 * A linear layer's (a 1×1 convolution of 1×1 images) as float64 matrix products: tfjs's wasm
 * gradients take minutes at a big layer's size.
 */
function linearReference(d: ReturnType<typeof data>, relu: boolean) {
  const { n, ci: f, co: o } = d.g;
  const y = new Float32Array(n * o);
  const dx = new Float32Array(n * f);
  const dw = new Float32Array(f * o);
  for (let i = 0; i < n; i++)
    for (let k = 0; k < f; k++) {
      const xv = d.x[i * f + k]!;
      let sum = 0;
      for (let j = 0; j < o; j++) {
        y[i * o + j]! += xv * d.w[k * o + j]!;
        dw[k * o + j]! += xv * d.dy[i * o + j]!;
        sum += d.dy[i * o + j]! * d.w[k * o + j]!;
      }
      dx[i * f + k] = sum;
    }
  y.forEach((v, i) => (y[i] = relu ? Math.max(0, v + d.b[i % o]!) : v + d.b[i % o]!));
  return { y, dx, dw };
}

/** tfjs's convolution and gradients on `backend`. */
async function reference(backend: "wasm" | "cpu", c: Case, d: ReturnType<typeof data>, relu: boolean) {
  return onBackend(backend, () =>
    tf.tidy(() => {
      const { g } = d;
      const pad: [[number, number], [number, number], [number, number], [number, number]] = [[0, 0], [g.ph, g.ph], [g.pw, g.pw], [0, 0]];
      const x = tf.tensor4d(d.x, c.x);
      const w = tf.tensor4d(d.w, [g.kh, g.kw, g.ci, g.co]);
      const conv = (xi: Tensor, wi: Tensor) => tf.conv2d(xi as Tensor4D, wi as Tensor4D, [g.sh, g.sw], pad);
      const y = tf.add(conv(x, w), tf.tensor1d(d.b));
      const [dx, dw] = tf.grads(conv)([x, w], tf.tensor4d(d.dy, [g.n, g.oh, g.ow, g.co]));
      return { y: (relu ? tf.relu(y) : y).dataSync() as Float32Array, dx: dx!.dataSync() as Float32Array, dw: dw!.dataSync() as Float32Array };
    }),
  );
}

/** The kernels' results; `path` forces how they read their input (else their own rule). */
async function netc(d: ReturnType<typeof data>, relu: boolean, path?: "plane" | "windows" | "im2col" | "scatter" | "winograd" | "taps") {
  return onBackend("wasm", () => {
    const { g } = d;
    const attrs = { strides: [g.sh, g.sw], padding: [g.ph, g.pw] };
    const x = tf.tensor4d(d.x, [g.n, g.h, g.w, g.ci]);
    const w = tf.tensor4d(d.w, [g.kh, g.kw, g.ci, g.co]);
    const b = tf.tensor1d(d.b);
    const dy = tf.tensor4d(d.dy, [g.n, g.oh, g.ow, g.co]);
    const before = tf.memory().numTensors;
    // "scatter" is an input gradient's alone: the other two then follow the rule.
    const both = path && path !== "scatter" ? { path } : {};
    const run = (name: string, inputs: Record<string, Tensor>, extra: Record<string, unknown>) => {
      const t = tf.engine().runKernel(name, inputs, { ...attrs, ...both, ...extra } as never) as Tensor;
      const values = t.dataSync() as Float32Array;
      const shape = t.shape;
      t.dispose();
      return { values, shape };
    };
    const y = run(CONV2D, { x, filter: w, bias: b }, { activation: relu ? "relu" : "linear" });
    const dw = run(CONV2D_BACKPROP_FILTER, { x, dy }, { filterShape: [g.kh, g.kw, g.ci, g.co] });
    // The sliding-window and taps input gradients exist at stride 1 with padding below the kernel's size; there is no one-plane one.
    const dxPath = path === "plane" || ((path === "windows" || path === "taps") && !(g.sh === 1 && g.sw === 1 && g.ph < g.kh && g.pw < g.kw)) ? "im2col" : path;
    const dx = run(CONV2D_BACKPROP_INPUT, { dy, filter: w }, { inputShape: [g.n, g.h, g.w, g.ci], path: dxPath || undefined });
    expect(tf.memory().numTensors).toBe(before);
    tf.dispose([x, w, b, dy]);
    return { y, dw, dx };
  });
}

describe("netc convolution kernels", () => {
  for (const [i, c] of CASES.entries()) {
    const g = geometry(c);
    const desc = `${c.from}: [${c.x.join(",")}] ⊛ ${g.kh}×${g.kw}×${g.ci}→${g.co}${c.s ? ` s${g.sh}×${g.sw}` : ""}${c.p ? ` p${g.ph}×${g.pw}` : ""}`;
    it(`forward, filter and input gradients agree with the references on ${desc}`, async () => {
      const relu = i % 2 === 1;
      const d = data(c, 10 * i + 1);
      const actual = await netc(d, relu);
      expect(actual.y.shape).toEqual([g.n, g.oh, g.ow, g.co]);
      expect(actual.dw.shape).toEqual([g.kh, g.kw, g.ci, g.co]);
      expect(actual.dx.shape).toEqual(c.x);
      const macs = g.n * g.oh * g.ow * g.kh * g.kw * g.ci * g.co;
      if (g.h === 1 && g.w === 1 && g.kh === 1 && g.kw === 1) {
        const expected = linearReference(d, relu);
        expect(normwise(actual.y.values, expected.y), "forward").toBeLessThanOrEqual(TOLERANCE);
        expect(normwise(actual.dw.values, expected.dw), "filter gradient").toBeLessThanOrEqual(TOLERANCE);
        expect(normwise(actual.dx.values, expected.dx), "input gradient").toBeLessThanOrEqual(TOLERANCE);
        return;
      }
      const small = macs < 2e6;
      for (const backend of small ? (["wasm", "cpu"] as const) : (["wasm"] as const)) {
        const expected = await reference(backend, c, d, relu);
        // Small cases also through each way of reading the input, whichever the rule picks.
        const plane = g.ci === 1 && g.sh === 1 && g.sw === 1;
        const scatter = g.kw * g.ci <= 32;
        const winograd = g.kh === g.kw && (g.kh === 3 || g.kh === 5) && g.sh === 1 && g.sw === 1 && g.ph < g.kh && g.pw < g.kw && g.ci % 4 === 0 && g.co % 4 === 0;
        const taps = g.kh * g.kw > 1 && g.ph < g.kh && g.pw < g.kw;
        const paths = small
          ? [["", actual], ...(plane ? [["plane", await netc(d, relu, "plane")]] : []), ["windows", await netc(d, relu, "windows")], ["im2col", await netc(d, relu, "im2col")], ...(scatter ? [["scatter", await netc(d, relu, "scatter")]] : []), ...(winograd ? [["winograd", await netc(d, relu, "winograd")]] : []), ...(taps ? [["taps", await netc(d, relu, "taps")]] : [])]
          : [["", actual]];
        for (const [path, result] of paths as [string, typeof actual][]) {
          expect(normwise(result.y.values, expected.y), `forward vs ${backend} ${path}`).toBeLessThanOrEqual(TOLERANCE);
          expect(normwise(result.dw.values, expected.dw), `filter gradient vs ${backend} ${path}`).toBeLessThanOrEqual(TOLERANCE);
          expect(normwise(result.dx.values, expected.dx), `input gradient vs ${backend} ${path}`).toBeLessThanOrEqual(TOLERANCE);
        }
      }
    });
  }

  it("keep their scratch from call to call: repeated steps do not grow the heap", async () => {
    const d = data(CASES[14]!, 7);
    await netc(d, false);
    const heap = () => (tf.backend() as unknown as { wasm: { HEAPU8: Uint8Array } }).wasm.HEAPU8.buffer.byteLength;
    const bytes = tf.memory().numBytes;
    const before = heap();
    for (let i = 0; i < 5; i++) await netc(d, false);
    expect(heap()).toBe(before);
    expect(tf.memory().numBytes).toBe(bytes);
  });

  it("give the same bits call after call, however the threads share the work (a resumed run must replay the original)", async () => {
    // The sliding-window and one-plane filter gradients sum the batch across units of work: LeNet's first layer, and a wider one.
    for (const c of [CASES[0]!, CASES.find((k) => k.from === "resnet18 3×3")!]) {
      const d = data(c, 3);
      const first = await netc(d, false);
      for (let i = 0; i < 4; i++) {
        const again = await netc(d, false);
        expect(Buffer.from(again.dw.values.buffer).equals(Buffer.from(first.dw.values.buffer))).toBe(true);
        expect(Buffer.from(again.dx.values.buffer).equals(Buffer.from(first.dx.values.buffer))).toBe(true);
      }
    }
  });

  it("reject mismatched shapes with a message", async () => {
    await onBackend("wasm", () => {
      const x = tf.zeros([1, 5, 5, 3]);
      const w = tf.zeros([3, 3, 4, 2]);
      expect(() => tf.engine().runKernel(CONV2D, { x, filter: w }, { strides: [1, 1], padding: [0, 0] } as never)).toThrow(/the filter takes 4 channels, the input has 3/);
      const big = tf.zeros([7, 7, 3, 2]);
      expect(() => tf.engine().runKernel(CONV2D, { x, filter: big }, { strides: [1, 1], padding: [0, 0] } as never)).toThrow(/does not fit the padded 5×5 input/);
      tf.dispose([x, w, big]);
    });
  });
});

interface PoolCase {
  from: string;
  x: [number, number, number, number];
  k: [number, number];
  s: [number, number];
  p?: [number, number];
}

const POOL_CASES: PoolCase[] = [
  { from: "resnet18/densenet/googlenet b1 (smaller)", x: [2, 12, 12, 64], k: [3, 3], s: [2, 2], p: [1, 1] },
  { from: "googlenet inception", x: [2, 6, 6, 480], k: [3, 3], s: [1, 1], p: [1, 1] },
  { from: "alexnet/nin", x: [2, 13, 13, 96], k: [3, 3], s: [2, 2] },
  { from: "vgg11", x: [1, 14, 14, 512], k: [2, 2], s: [2, 2] },
  { from: "odd: 6 channels (a vector and a tail), 2×3 window, stride 1×2, padding 1×1", x: [1, 5, 7, 6], k: [2, 3], s: [1, 2], p: [1, 1] },
  { from: "odd: 3 channels", x: [3, 4, 4, 3], k: [3, 3], s: [1, 1], p: [1, 1] },
  { from: "odd: 19 channels (16 at once and a tail), stride 3 past a 2×2 window (inputs no window reads)", x: [2, 8, 7, 19], k: [2, 2], s: [3, 3] },
];

describe("netc max-pool gradient", () => {
  async function maxPoolGrad(backend: "wasm" | "cpu", netc: boolean, c: PoolCase, x: Float32Array) {
    return onBackend(backend, () =>
      tf.tidy(() => {
        const [ph, pw] = c.p ?? [0, 0];
        const pad = ph || pw ? ([[0, 0], [ph, ph], [pw, pw], [0, 0]] as [[number, number], [number, number], [number, number], [number, number]]) : ("valid" as const);
        const xt = tf.tensor4d(x, c.x);
        const y = tf.maxPool(xt, c.k, c.s, pad);
        const dy = tf.tensor4d(random(y.size, 99), y.shape as [number, number, number, number]);
        const dx = netc
          ? tf.engine().runKernel(MAX_POOL_BACKWARD, { dy, x: xt }, { filterSize: c.k, strides: c.s, padding: [ph, pw] } as never)
          : tf.engine().runKernel("MaxPoolGrad", { dy, input: xt, output: y }, { filterSize: c.k, strides: c.s, pad } as never);
        return { dx: (dx as Tensor).dataSync() as Float32Array, shape: (dx as Tensor).shape, dySum: tf.sum(dy).dataSync()[0]! };
      }),
    );
  }

  for (const [i, c] of POOL_CASES.entries()) {
    it(`matches the cpu backend's MaxPoolGrad on ${c.from}: [${c.x.join(",")}] ${c.k.join("×")} s${c.s.join("×")}${c.p ? ` p${c.p.join("×")}` : ""}`, async () => {
      const x = random(c.x.reduce((a, b) => a * b, 1), 50 + i);
      const ours = await maxPoolGrad("wasm", true, c, x);
      expect(ours.shape).toEqual(c.x);
      // Not against the wasm backend's: tfjs 4.22's wasm MaxPoolGrad sends a window's gradient to
      // its first input whenever the window's maximum is ≤ 0 (harmless after a ReLU, where
      // such gradients are zeroed anyway, but wrong on these random values).
      const theirs = await maxPoolGrad("cpu", false, c, x);
      expect(normwise(ours.dx, theirs.dx)).toBeLessThanOrEqual(TOLERANCE);
    });
  }

  it("gives a window of equal values' gradient to its first input, as PyTorch (and tfjs's cpu backend)", async () => {
    // ReLU before max pooling makes whole windows of zeros.
    const c: PoolCase = { from: "zeros", x: [1, 4, 5, 4], k: [2, 2], s: [1, 1] };
    const x = new Float32Array(4 * 5 * 4);
    const ours = await maxPoolGrad("wasm", true, c, x);
    const cpu = await maxPoolGrad("cpu", false, c, x);
    expect(Array.from(ours.dx)).toEqual(Array.from(cpu.dx));
    expect(ours.dx.reduce((a, b) => a + b, 0)).toBeCloseTo(ours.dySum, 4);
  });
});

describe("netc channel kernels", () => {
  // BN inputs of models/ (smaller batches), odd channel counts, batch 1, and a mean far from 0.
  const SHAPES: { shape: number[]; mean?: number }[] = [
    { shape: [4, 24, 24, 64] },
    { shape: [8, 12, 12, 6] },
    { shape: [16, 120] },
    { shape: [16, 84] },
    { shape: [3, 12, 12, 248] },
    { shape: [1, 3, 3, 512] },
    { shape: [1, 1] },
    { shape: [5, 7, 3] },
    { shape: [2, 50, 50, 16], mean: 40 },
    // Channels that repeat every 4 or 12 floats, the last unit of rows ending inside a period.
    { shape: [3, 5, 7, 6], mean: 3 },
    { shape: [67, 2] },
    { shape: [2, 9, 9, 20] },
  ];

  /** Per-channel mean and biased variance in float64. */
  function reference(values: Float32Array, c: number) {
    const m = values.length / c;
    const mean = new Float64Array(c);
    values.forEach((v, i) => (mean[i % c]! += v / m));
    const variance = new Float64Array(c);
    values.forEach((v, i) => (variance[i % c]! += (v - mean[i % c]!) ** 2 / m));
    const sums = mean.map((v) => v * m);
    return { mean, variance, sums };
  }

  for (const { shape, mean = 0 } of SHAPES) {
    it(`NetcMoments and NetcChannelSums on [${shape.join(",")}]${mean ? ` with mean ${mean}` : ""}`, async () => {
      const c = shape.at(-1)!;
      const values = random(shape.reduce((a, b) => a * b, 1), c).map((v, i) => mean + v * (1 + (i % c) / c));
      const ref = reference(values, c);
      const [m, v, sums, invStd, rsqrt] = await onBackend("wasm", () =>
        tf.tidy(() => {
          const x = tf.tensor(values, shape);
          const [mt, vt] = tf.engine().runKernel(MOMENTS, { x }) as Tensor[];
          const st = tf.engine().runKernel(CHANNEL_SUMS, { x }) as Tensor;
          const [, vEps, invStdT] = tf.engine().runKernel(MOMENTS, { x }, { eps: 1e-5 }) as Tensor[];
          return [mt!, vt!, st, invStdT!, tf.rsqrt(tf.add(vEps!, 1e-5))].map((t) => t.dataSync() as Float32Array);
        }),
      );
      // With eps, 1/√(variance + eps), the bits of tfjs's rsqrt(add(variance, eps)).
      expect(Array.from(invStd!), "invStd").toEqual(Array.from(rsqrt!));
      expect(normwise(m!, Float32Array.from(ref.mean)), "mean").toBeLessThanOrEqual(1e-5);
      expect(normwise(v!, Float32Array.from(ref.variance)), "variance").toBeLessThanOrEqual(mean ? 1e-5 : 1e-6);
      expect(normwise(sums!, Float32Array.from(ref.sums)), "sums").toBeLessThanOrEqual(mean ? 1e-6 : 1e-5);
    });
  }

  const PARTS: number[][] = [
    [64, 32],
    [8, 12, 6, 4],
    [3, 5, 1],
    [96, 32],
  ];
  for (const sizes of PARTS) {
    it(`NetcConcat and NetcSplit along channels of ${sizes.join(" + ")}`, async () => {
      const rows = [3, 5, 7];
      const parts = sizes.map((n, i) => random(rows.reduce((a, b) => a * b, 1) * n, 70 + i));
      const run = (netc: boolean) =>
        tf.tidy(() => {
          const xs = parts.map((p, i) => tf.tensor(p, [...rows, sizes[i]!]));
          const y = netc ? (tf.engine().runKernel(CONCAT, Object.fromEntries(xs.map((x, i) => [`x${i}`, x]))) as Tensor) : tf.concat(xs, -1);
          const back = netc ? (tf.engine().runKernel(SPLIT, { x: tf.mul(y, 2) }, { sizes } as never) as Tensor[]) : tf.split(tf.mul(y, 2), sizes, -1);
          return { y: y.dataSync() as Float32Array, shape: y.shape, back: back.map((t) => Array.from(t.dataSync())) };
        });
      const ours = await onBackend("wasm", () => run(true));
      const theirs = await onBackend("cpu", () => run(false));
      expect(ours.shape).toEqual([...rows, sizes.reduce((a, b) => a + b, 0)]);
      expect(Array.from(ours.y)).toEqual(Array.from(theirs.y));
      expect(ours.back).toEqual(theirs.back);
    });
  }

  it("reject parts that differ in more than channels, and sizes that do not add up", async () => {
    await onBackend("wasm", () => {
      const a = tf.zeros([2, 3, 4]);
      const b = tf.zeros([2, 4, 4]);
      expect(() => tf.engine().runKernel(CONCAT, { x0: a, x1: b })).toThrow(/differ in more than their last axis/);
      expect(() => tf.engine().runKernel(SPLIT, { x: a }, { sizes: [1, 2] } as never)).toThrow(/adding up to 4/);
      tf.dispose([a, b]);
    });
  });
});
