/**
 * netc's own kernels for the memory-bound parts of a training step, as tfjs kernels: call them
 * with `tf.engine().runKernel(name, inputs, attrs)`. On the wasm backend they run the project's
 * WebAssembly SIMD code (src/kernels/netc-kernels.wat, assembled into dist/netc-kernels.wasm by
 * the build) directly on tfjs's heap; on the cpu backend a plain JavaScript reference with the
 * same semantics runs, so graph code is uniform and the two can be compared.
 *
 * Tensors are float32; a [M, C] tensor may also be given as NHWC [N, H, W, C] (C last, M = N·H·W).
 * act ∈ "none" | "relu" | "sigmoid" | "tanh".
 *
 * NetcBnForward {x, gamma [C], beta [C]}, attrs {eps, act, pool?: 0 | 2}
 *   → [y, mean [C], invStd [C]] (+ pooled when pool = 2):
 *   per-channel batch mean and biased variance over M, invStd = 1/√(var + eps),
 *   y = act(gamma·(x − mean)·invStd + beta) (x's shape). With pool = 2, x is NHWC (rank 4, or
 *   attrs n, h, w) and a 4th output is avgpool2(y): 2×2 windows, stride 2, valid padding,
 *   [N, ⌊H/2⌋, ⌊W/2⌋, C]; y itself is still returned (the backward needs it).
 *
 * NetcBnBackward {dy, y, x, mean, invStd, gamma}, attrs {act, pool?: 0 | 2}
 *   → [dx (x's shape), dGamma [C], dBeta [C]]:
 *   dz = dy·act'(y), x̂ = (x − mean)·invStd, dBeta = Σ dz, dGamma = Σ dz·x̂,
 *   dx = (gamma·invStd/M)·(M·dz − dBeta − x̂·dGamma). dy is the gradient of y, or with pool = 2
 *   the gradient of avgpool2(y) ([N, ⌊H/2⌋, ⌊W/2⌋, C]), upsampled inside the kernel.
 *
 * NetcActivation {x, mean?, variance?, scale?, offset? [C]}, attrs {act, pool?: 0 | 2, eps?}
 *   → [y = act(x)] (+ pooled = avgpool2(y) when pool = 2, as NetcBnForward's): what follows a
 *   normalization done elsewhere (--bn builtin). Given the statistics, x is first normalized
 *   as tf.batchNorm does, (x − mean)·scale/√(variance + eps) + offset (scale 1 and offset 0
 *   when missing), in the same pass.
 *
 * NetcAvgPool2Backward {dy [N, PH, PW, C]}, attrs {h?, w?} → dx [N, h, w, C] (default h = 2·PH,
 *   w = 2·PW; an odd h or w leaves the last row/column 0): each input gets dy/4 of its window.
 *
 * None has a gradient registered: they are meant for the explicit backward of the training graph.
 * The module imports only tfjs's types: the runtime passes `tf` in once a backend is up, and the
 * assembled kernels' bytes (read from dist/ by binaries.ts in Node, fetched in a browser).
 */
import type { KernelBackend, KernelConfig, NamedAttrMap, NamedTensorInfoMap, TensorInfo } from "@tensorflow/tfjs";
import { registerConvKernels, type ConvBinaries } from "./conv.js";
import { registerUpdateKernels, type UpdateSimd } from "./updates.js";
import { registerSoftmaxCrossEntropy } from "./softmax-cross-entropy.js";
import { address, backendMemory, isShared, register, withScratch, type KernelArgs, type Tf, type WasmBackend } from "./heap.js";

import { ACTIVATION, AVG_POOL2_BACKWARD, BN_BACKWARD, BN_FORWARD } from "./names.js";

export { ACTIVATION, AVG_POOL2_BACKWARD, BN_BACKWARD, BN_FORWARD, withScratch };

export type NetcActivation = "none" | "relu" | "sigmoid" | "tanh";
const ACT_CODES: Record<NetcActivation, number> = { none: 0, relu: 1, sigmoid: 2, tanh: 3 };

export interface NetcKernelsStatus {
  /** Whether the WebAssembly kernels were registered for the wasm backend. */
  wasm: boolean;
  /** Why not, when they weren't. */
  reason?: string;
}

/** The assembled kernels (dist/netc-kernels.wasm and its shared-memory build), or why they are missing. */
export type KernelBinaries =
  | {
      /** Where they came from, for messages. */
      name: string;
      plain: Uint8Array<ArrayBuffer>;
      /** The build for a threaded tfjs's shared memory, asked for only there. */
      shared(): Uint8Array<ArrayBuffer>;
      /** The convolution kernels (conv.ts); without them tfjs's convolutions run. */
      conv?: ConvBinaries;
    }
  | { missing: string };

let registered: Exclude<KernelBinaries, { missing: string }> | undefined;

/**
 * Registers the kernels (idempotent): the JavaScript reference on cpu always, the WebAssembly
 * ones on wasm when `binaries` are given, the loss's (plain JavaScript) on both, and the
 * optimizer updates' on both (updates.ts: SIMD loops of this module on wasm once it is
 * registered). The WebAssembly ones are compiled on first use, against the memory of the
 * backend that runs them.
 */
export function registerNetcKernels(tf: Tf, binaries?: KernelBinaries): NetcKernelsStatus {
  register(tf, BN_FORWARD, "cpu", bnForwardReferenceKernel);
  register(tf, BN_BACKWARD, "cpu", bnBackwardReferenceKernel);
  register(tf, AVG_POOL2_BACKWARD, "cpu", avgPool2BackwardReferenceKernel);
  register(tf, ACTIVATION, "cpu", activationReferenceKernel);
  registerSoftmaxCrossEntropy(tf, ["cpu", "wasm"]);
  registerUpdateKernels(tf, (backend) => (registered ? instanceFor(backend as WasmBackend, registered) : undefined));
  if (tf.getKernel(BN_FORWARD, "wasm")) return { wasm: true };
  if (!binaries) return { wasm: false, reason: "no kernel binaries given" };
  if ("missing" in binaries) return { wasm: false, reason: binaries.missing };
  if (!WebAssembly.validate(binaries.plain)) return { wasm: false, reason: `${binaries.name} does not validate (WebAssembly SIMD unsupported?)` };
  registered = binaries;
  const kernels = (backend: KernelBackend) => instanceFor(backend as WasmBackend, binaries);
  register(tf, BN_FORWARD, "wasm", (args) => bnForwardWasm(args, kernels));
  register(tf, BN_BACKWARD, "wasm", (args) => bnBackwardWasm(args, kernels));
  register(tf, AVG_POOL2_BACKWARD, "wasm", (args) => avgPool2BackwardWasm(args, kernels));
  register(tf, ACTIVATION, "wasm", (args) => activationWasm(args, kernels));
  replaceBatchNorm(tf, kernels);
  if (binaries.conv) registerConvKernels(tf, binaries.conv);
  return { wasm: true };
}

// ------------------------------------------------------------------ shapes and attributes

interface Geometry {
  /** Rows (N·H·W) and channels. */
  m: number;
  c: number;
  /** The NHWC dims, for pooling. */
  n: number;
  h: number;
  w: number;
  pool: boolean;
}

function input(inputs: NamedTensorInfoMap, name: string, kernel: string): TensorInfo {
  const t = inputs[name];
  if (!t) throw new Error(`${kernel}: missing input ${name}`);
  if (t.dtype !== "float32") throw new Error(`${kernel}: ${name} must be float32, got ${t.dtype}`);
  return t;
}

function size(shape: readonly number[]): number {
  return shape.reduce((a, b) => a * b, 1);
}

function activation(attrs: NamedAttrMap, kernel: string): NetcActivation {
  const act = attrs["act"] ?? "none";
  if (typeof act !== "string" || !(act in ACT_CODES)) throw new Error(`${kernel}: act must be none, relu, sigmoid or tanh, got ${String(act)}`);
  return act as NetcActivation;
}

function geometry(x: TensorInfo, attrs: NamedAttrMap, kernel: string): Geometry {
  const c = x.shape.at(-1) ?? 1;
  const m = x.shape.length ? size(x.shape) / c : 1;
  if (!(m >= 1 && c >= 1)) throw new Error(`${kernel}: empty input [${x.shape.join(", ")}]`);
  const pool = attrs["pool"] ?? 0;
  if (pool !== 0 && pool !== 2) throw new Error(`${kernel}: pool must be 0 or 2, got ${String(pool)}`);
  if (pool === 0) return { m, c, n: m, h: 1, w: 1, pool: false };
  const [n, h, w] =
    attrs["h"] !== undefined || attrs["w"] !== undefined
      ? [Number(attrs["n"] ?? m / (Number(attrs["h"]) * Number(attrs["w"]))), Number(attrs["h"]), Number(attrs["w"])]
      : x.shape.length === 4
        ? (x.shape as [number, number, number])
        : [NaN, NaN, NaN];
  if (![n, h, w].every((d) => Number.isInteger(d) && d >= 1) || n * h * w !== m) {
    throw new Error(`${kernel}: pool 2 needs an NHWC input (rank 4, or attrs n, h, w with n·h·w = ${m}); got [${x.shape.join(", ")}]`);
  }
  return { m, c, n, h, w, pool: true };
}

function pooledShape(g: Geometry): [number, number, number, number] {
  return [g.n, Math.floor(g.h / 2), Math.floor(g.w / 2), g.c];
}

function checkChannels(kernel: string, c: number, named: Record<string, TensorInfo>): void {
  for (const [name, t] of Object.entries(named)) {
    if (size(t.shape) !== c) throw new Error(`${kernel}: ${name} must have ${c} values (one per channel), got [${t.shape.join(", ")}]`);
  }
}

function checkSameSize(kernel: string, expected: number, named: Record<string, TensorInfo>): void {
  for (const [name, t] of Object.entries(named)) {
    if (size(t.shape) !== expected) throw new Error(`${kernel}: ${name} has ${size(t.shape)} values, expected ${expected}`);
  }
}

interface BnForwardInputs {
  x: TensorInfo;
  gamma: TensorInfo;
  beta: TensorInfo;
  g: Geometry;
  eps: number;
  act: NetcActivation;
}

function bnForwardInputs({ inputs, attrs }: KernelArgs): BnForwardInputs {
  const k = BN_FORWARD;
  const [x, gamma, beta] = [input(inputs, "x", k), input(inputs, "gamma", k), input(inputs, "beta", k)];
  const g = geometry(x, attrs, k);
  checkChannels(k, g.c, { gamma, beta });
  const eps = attrs["eps"] ?? 1e-5;
  if (typeof eps !== "number" || !(eps >= 0)) throw new Error(`${k}: eps must be a number ≥ 0`);
  return { x, gamma, beta, g, eps, act: activation(attrs, k) };
}

interface BnBackwardInputs {
  dy: TensorInfo;
  y: TensorInfo;
  x: TensorInfo;
  mean: TensorInfo;
  invStd: TensorInfo;
  gamma: TensorInfo;
  g: Geometry;
  act: NetcActivation;
}

function bnBackwardInputs({ inputs, attrs }: KernelArgs): BnBackwardInputs {
  const k = BN_BACKWARD;
  const [dy, y, x] = [input(inputs, "dy", k), input(inputs, "y", k), input(inputs, "x", k)];
  const [mean, invStd, gamma] = [input(inputs, "mean", k), input(inputs, "invStd", k), input(inputs, "gamma", k)];
  const g = geometry(x, attrs, k);
  checkSameSize(k, g.m * g.c, { y });
  checkSameSize(k, g.pool ? size(pooledShape(g)) : g.m * g.c, { dy });
  checkChannels(k, g.c, { mean, invStd, gamma });
  return { dy, y, x, mean, invStd, gamma, g, act: activation(attrs, k) };
}

function avgPool2BackwardGeometry({ inputs, attrs }: KernelArgs): { dy: TensorInfo; n: number; h: number; w: number; c: number } {
  const k = AVG_POOL2_BACKWARD;
  const dy = input(inputs, "dy", k);
  if (dy.shape.length !== 4) throw new Error(`${k}: dy must be NHWC, got [${dy.shape.join(", ")}]`);
  const [n, ph, pw, c] = dy.shape as [number, number, number, number];
  const h = Number(attrs["h"] ?? 2 * ph);
  const w = Number(attrs["w"] ?? 2 * pw);
  if (!Number.isInteger(h) || !Number.isInteger(w) || Math.floor(h / 2) !== ph || Math.floor(w / 2) !== pw) throw new Error(`${k}: a ${h}×${w} input does not pool to ${ph}×${pw}`);
  return { dy, n, h, w, c };
}

// ------------------------------------------------------------------ wasm

/** The exports of netc-kernels.wat; pointers are byte addresses in tfjs's heap. */
interface Kernels {
  bn_fwd(x: number, gamma: number, beta: number, y: number, mean: number, invStd: number, pooled: number, m: number, c: number, eps: number, act: number, scratch: number, n: number, h: number, w: number): void;
  bn_bwd(dy: number, y: number, x: number, mean: number, invStd: number, gamma: number, dx: number, dGamma: number, dBeta: number, pooled: number, m: number, c: number, act: number, scratch: number, n: number, h: number, w: number): void;
  avgpool2_bwd(dy: number, dx: number, n: number, h: number, w: number, c: number): void;
  avgpool2_fwd(x: number, y: number, n: number, h: number, w: number, c: number): void;
  act_fwd(x: number, y: number, pooled: number, m: number, c: number, act: number, scratch: number, n: number, h: number, w: number): void;
  bn_apply(x: number, mean: number, variance: number, scale: number, offset: number, y: number, pooled: number, m: number, c: number, eps: number, act: number, scratch: number, n: number, h: number, w: number): void;
  /** y = act(x) over n floats (n a multiple of 4), with scratch_bytes(4, 0, 0) of scratch. */
  act(x: number, y: number, n: number, act: number, scratch: number): void;
  sgd: UpdateSimd["sgd"];
  adam: UpdateSimd["adam"];
  scratch_bytes(c: number, w: number, pooled: number): number;
}

const instances = new WeakMap<WebAssembly.Memory, Kernels>();

function instanceFor(backend: WasmBackend, binaries: Exclude<KernelBinaries, { missing: string }>): Kernels {
  const memory = backendMemory(backend);
  let kernels = instances.get(memory);
  if (!kernels) {
    const bytes = isShared(memory) ? binaries.shared() : binaries.plain;
    const instance = new WebAssembly.Instance(new WebAssembly.Module(bytes), { env: { memory } });
    kernels = instance.exports as unknown as Kernels;
    instances.set(memory, kernels);
  }
  return kernels;
}

type KernelsOf = (backend: KernelBackend) => Kernels;

function bnForwardWasm(args: KernelArgs, kernelsOf: KernelsOf): TensorInfo[] {
  const { x, gamma, beta, g, eps, act } = bnForwardInputs(args);
  const backend = args.backend as WasmBackend;
  const kernels = kernelsOf(backend);
  // Allocate everything before taking addresses: allocation may grow the memory (addresses stay).
  const outs = [backend.makeOutput([...x.shape], "float32"), backend.makeOutput([g.c], "float32"), backend.makeOutput([g.c], "float32")];
  if (g.pool) outs.push(backend.makeOutput(pooledShape(g), "float32"));
  withScratch(backend, kernels.scratch_bytes(g.c, g.w, g.pool ? 1 : 0), (scratch) => {
    const [y, mean, invStd, pooled] = outs.map((t) => address(backend, t));
    kernels.bn_fwd(address(backend, x), address(backend, gamma), address(backend, beta), y!, mean!, invStd!, pooled ?? 0, g.m, g.c, eps, ACT_CODES[act], scratch, g.n, g.h, g.w);
  });
  return outs;
}

function activationInputs({ inputs, attrs }: KernelArgs) {
  const k = ACTIVATION;
  const x = input(inputs, "x", k);
  const g = geometry(x, attrs, k);
  const optional = (name: string) => (inputs[name] ? input(inputs, name, k) : undefined);
  const [mean, variance, scale, offset] = ["mean", "variance", "scale", "offset"].map(optional);
  if (!mean !== !variance) throw new Error(`${k}: give both mean and variance, or neither`);
  checkChannels(k, g.c, Object.fromEntries(Object.entries({ mean, variance, scale, offset }).filter(([, t]) => t)) as Record<string, TensorInfo>);
  const eps = attrs["eps"] ?? 1e-3;
  if (typeof eps !== "number" || !(eps >= 0)) throw new Error(`${k}: eps must be a number ≥ 0`);
  const statistics = mean && variance ? { mean, variance, scale, offset, eps } : undefined;
  return { x, g, act: activation(attrs, k), statistics };
}

function activationWasm(args: KernelArgs, kernelsOf: KernelsOf): TensorInfo[] {
  const { x, g, act, statistics } = activationInputs(args);
  const backend = args.backend as WasmBackend;
  const kernels = kernelsOf(backend);
  const outs = [backend.makeOutput([...x.shape], "float32")];
  if (g.pool) outs.push(backend.makeOutput(pooledShape(g), "float32"));
  withScratch(backend, kernels.scratch_bytes(g.c, g.w, g.pool ? 1 : 0), (scratch) => {
    const [y, pooled] = outs.map((t) => address(backend, t));
    if (!statistics) {
      kernels.act_fwd(address(backend, x), y!, pooled ?? 0, g.m, g.c, ACT_CODES[act], scratch, g.n, g.h, g.w);
      return;
    }
    const at = (t: TensorInfo | undefined) => (t ? address(backend, t) : 0);
    const { mean, variance, scale, offset, eps } = statistics;
    kernels.bn_apply(address(backend, x), at(mean), at(variance), at(scale), at(offset), y!, pooled ?? 0, g.m, g.c, eps, ACT_CODES[act], scratch, g.n, g.h, g.w);
  });
  return outs;
}

/** tfjs's name for the kernel of tf.batchNorm. */
const FUSED_BATCH_NORM = "FusedBatchNorm";

/**
 * tf.batchNorm, which --bn builtin calls, keeps its tfjs kernel on every backend but wasm's:
 * there it becomes one SIMD pass of bn_apply. tfjs-backend-wasm's kernel is scalar and took
 * longer on LeNet-BN's first layer (1.2M values) than netc's whole fused BN from scratch.
 * The op, its semantics and its gradient stay tfjs's; what bn_apply does not take (statistics
 * other than one value per channel) still goes to tfjs's kernel.
 */
function replaceBatchNorm(tf: Tf, kernelsOf: KernelsOf): void {
  const tfjs = tf.getKernel(FUSED_BATCH_NORM, "wasm");
  if (!tfjs) return;
  tf.unregisterKernel(FUSED_BATCH_NORM, "wasm");
  const kernelFunc: KernelConfig["kernelFunc"] = (args) => batchNormWasm({ ...args, backend: args.backend as KernelBackend, attrs: args.attrs ?? {} }, kernelsOf) ?? tfjs.kernelFunc(args);
  tf.registerKernel({ ...tfjs, kernelFunc });
}

function batchNormWasm({ inputs, backend, attrs }: KernelArgs, kernelsOf: KernelsOf): TensorInfo | undefined {
  const { x, mean, variance, scale, offset } = inputs;
  if (!x || !mean || !variance || x.dtype !== "float32") return undefined;
  const c = x.shape.at(-1) ?? 1;
  const perChannel = [mean, variance, scale, offset].every((t) => !t || (t.dtype === "float32" && size(t.shape) === c));
  if (!perChannel || size(x.shape) === 0) return undefined;
  const wasm = backend as WasmBackend;
  const kernels = kernelsOf(wasm);
  const y = wasm.makeOutput([...x.shape], "float32");
  const eps = Number(attrs["varianceEpsilon"] ?? 0.001);
  withScratch(wasm, kernels.scratch_bytes(c, 0, 0), (scratch) => {
    const at = (t: TensorInfo | undefined) => (t ? address(wasm, t) : 0);
    const m = size(x.shape) / c;
    kernels.bn_apply(at(x), at(mean), at(variance), at(scale), at(offset), at(y), 0, m, c, eps, ACT_CODES.none, scratch, m, 1, 1);
  });
  return y;
}

function bnBackwardWasm(args: KernelArgs, kernelsOf: KernelsOf): TensorInfo[] {
  const { dy, y, x, mean, invStd, gamma, g, act } = bnBackwardInputs(args);
  const backend = args.backend as WasmBackend;
  const kernels = kernelsOf(backend);
  const outs = [backend.makeOutput([...x.shape], "float32"), backend.makeOutput([g.c], "float32"), backend.makeOutput([g.c], "float32")];
  withScratch(backend, kernels.scratch_bytes(g.c, g.w, g.pool ? 1 : 0), (scratch) => {
    const [dx, dGamma, dBeta] = outs.map((t) => address(backend, t));
    const a = (t: TensorInfo) => address(backend, t);
    kernels.bn_bwd(a(dy), a(y), a(x), a(mean), a(invStd), a(gamma), dx!, dGamma!, dBeta!, g.pool ? 1 : 0, g.m, g.c, ACT_CODES[act], scratch, g.n, g.h, g.w);
  });
  return outs;
}

function avgPool2BackwardWasm(args: KernelArgs, kernelsOf: KernelsOf): TensorInfo {
  const { dy, n, h, w, c } = avgPool2BackwardGeometry(args);
  const backend = args.backend as WasmBackend;
  const kernels = kernelsOf(backend);
  const dx = backend.makeOutput([n, h, w, c], "float32");
  kernels.avgpool2_bwd(address(backend, dy), address(backend, dx), n, h, w, c);
  return dx;
}

// ------------------------------------------------------------------ JavaScript reference
// Float64 arithmetic throughout, two-pass statistics: the semantics, not a fast path.

function actRef(z: number, act: NetcActivation): number {
  switch (act) {
    case "none":
      return z;
    case "relu":
      return z > 0 ? z : 0;
    case "sigmoid":
      return 1 / (1 + Math.exp(-z));
    case "tanh":
      return Math.tanh(z);
  }
}

function dActRef(g: number, y: number, act: NetcActivation): number {
  switch (act) {
    case "none":
      return g;
    case "relu":
      return y > 0 ? g : 0;
    case "sigmoid":
      return g * y * (1 - y);
    case "tanh":
      return g * (1 - y * y);
  }
}

export function bnForwardReference(x: Float32Array, gamma: Float32Array, beta: Float32Array, m: number, c: number, eps: number, act: NetcActivation) {
  const sum = new Float64Array(c);
  for (let i = 0; i < m * c; i++) sum[i % c]! += x[i]!;
  const mu = sum.map((s) => s / m);
  const sq = new Float64Array(c);
  for (let i = 0; i < m * c; i++) sq[i % c]! += (x[i]! - mu[i % c]!) ** 2;
  const inv = sq.map((s) => 1 / Math.sqrt(s / m + eps));
  const y = new Float32Array(m * c);
  for (let i = 0; i < m * c; i++) {
    const ch = i % c;
    y[i] = actRef(gamma[ch]! * (x[i]! - mu[ch]!) * inv[ch]! + beta[ch]!, act);
  }
  return { y, mean: Float32Array.from(mu), invStd: Float32Array.from(inv) };
}

export function bnBackwardReference(dy: Float32Array, y: Float32Array, x: Float32Array, mean: Float32Array, invStd: Float32Array, gamma: Float32Array, m: number, c: number, act: NetcActivation) {
  const dz = new Float64Array(m * c);
  const dBeta = new Float64Array(c);
  const dGamma = new Float64Array(c);
  for (let i = 0; i < m * c; i++) {
    const ch = i % c;
    dz[i] = dActRef(dy[i]!, y[i]!, act);
    dBeta[ch]! += dz[i]!;
    dGamma[ch]! += dz[i]! * (x[i]! - mean[ch]!) * invStd[ch]!;
  }
  const dx = new Float32Array(m * c);
  for (let i = 0; i < m * c; i++) {
    const ch = i % c;
    const xHat = (x[i]! - mean[ch]!) * invStd[ch]!;
    dx[i] = ((gamma[ch]! * invStd[ch]!) / m) * (m * dz[i]! - dBeta[ch]! - xHat * dGamma[ch]!);
  }
  return { dx, dGamma: Float32Array.from(dGamma), dBeta: Float32Array.from(dBeta) };
}

/** avgpool2 of an NHWC tensor: 2×2 windows, stride 2, valid padding. */
export function avgPool2Reference(x: Float32Array, n: number, h: number, w: number, c: number): Float32Array {
  const [ph, pw] = [Math.floor(h / 2), Math.floor(w / 2)];
  const y = new Float32Array(n * ph * pw * c);
  const at = (b: number, i: number, j: number, ch: number) => x[((b * h + i) * w + j) * c + ch]!;
  for (let b = 0; b < n; b++)
    for (let i = 0; i < ph; i++)
      for (let j = 0; j < pw; j++)
        for (let ch = 0; ch < c; ch++) {
          const s = at(b, 2 * i, 2 * j, ch) + at(b, 2 * i, 2 * j + 1, ch) + at(b, 2 * i + 1, 2 * j, ch) + at(b, 2 * i + 1, 2 * j + 1, ch);
          y[((b * ph + i) * pw + j) * c + ch] = s / 4;
        }
  return y;
}

/** The gradient of avgPool2Reference: each input gets dy/4 of its window (0 outside windows). */
export function avgPool2BackwardReference(dy: Float32Array, n: number, h: number, w: number, c: number): Float32Array {
  const [ph, pw] = [Math.floor(h / 2), Math.floor(w / 2)];
  const dx = new Float32Array(n * h * w * c);
  for (let b = 0; b < n; b++)
    for (let i = 0; i < 2 * ph; i++)
      for (let j = 0; j < 2 * pw; j++)
        for (let ch = 0; ch < c; ch++) dx[((b * h + i) * w + j) * c + ch] = dy[((b * ph + (i >> 1)) * pw + (j >> 1)) * c + ch]! / 4;
  return dx;
}

function read(backend: KernelBackend, t: TensorInfo): Float32Array {
  return backend.readSync(t.dataId) as Float32Array;
}

function output(backend: KernelBackend, shape: number[], values: Float32Array): TensorInfo {
  return { dataId: backend.write(values, shape, "float32"), shape, dtype: "float32" };
}

function bnForwardReferenceKernel(args: KernelArgs): TensorInfo[] {
  const { x, gamma, beta, g, eps, act } = bnForwardInputs(args);
  const b = args.backend;
  const r = bnForwardReference(read(b, x), read(b, gamma), read(b, beta), g.m, g.c, eps, act);
  const outs = [output(b, [...x.shape], r.y), output(b, [g.c], r.mean), output(b, [g.c], r.invStd)];
  if (g.pool) outs.push(output(b, pooledShape(g), avgPool2Reference(r.y, g.n, g.h, g.w, g.c)));
  return outs;
}

/** tf.batchNorm's (x − mean)·scale/√(variance + eps) + offset, per channel of the last axis. */
function batchNormReference(x: Float32Array, { mean, variance, scale, offset, eps }: { mean: TensorInfo; variance: TensorInfo; scale?: TensorInfo; offset?: TensorInfo; eps: number }, c: number, b: KernelBackend): Float32Array {
  const [mu, v] = [read(b, mean), read(b, variance)];
  const gamma = scale ? read(b, scale) : new Float32Array(c).fill(1);
  const beta = offset ? read(b, offset) : new Float32Array(c);
  return x.map((value, i) => ((value - mu[i % c]!) * gamma[i % c]!) / Math.sqrt(v[i % c]! + eps) + beta[i % c]!);
}

function bnBackwardReferenceKernel(args: KernelArgs): TensorInfo[] {
  const { dy, y, x, mean, invStd, gamma, g, act } = bnBackwardInputs(args);
  const b = args.backend;
  const dyFull = g.pool ? avgPool2BackwardReference(read(b, dy), g.n, g.h, g.w, g.c) : read(b, dy);
  const r = bnBackwardReference(dyFull, read(b, y), read(b, x), read(b, mean), read(b, invStd), read(b, gamma), g.m, g.c, act);
  return [output(b, [...x.shape], r.dx), output(b, [g.c], r.dGamma), output(b, [g.c], r.dBeta)];
}

function activationReferenceKernel(args: KernelArgs): TensorInfo[] {
  const { x, g, act, statistics } = activationInputs(args);
  const b = args.backend;
  const normalized = statistics ? batchNormReference(read(b, x), statistics, g.c, b) : read(b, x);
  const y = normalized.map((v) => actRef(v, act));
  const outs = [output(b, [...x.shape], y)];
  if (g.pool) outs.push(output(b, pooledShape(g), avgPool2Reference(y, g.n, g.h, g.w, g.c)));
  return outs;
}

function avgPool2BackwardReferenceKernel(args: KernelArgs): TensorInfo {
  const { dy, n, h, w, c } = avgPool2BackwardGeometry(args);
  return output(args.backend, [n, h, w, c], avgPool2BackwardReference(read(args.backend, dy), n, h, w, c));
}

/** The raw WebAssembly exports for the wasm backend `backend`, once registered (tests and benchmarks). */
export function netcKernelExports(backend: KernelBackend): Kernels {
  if (!registered) throw new Error("netc kernels: not registered for wasm");
  return instanceFor(backend as WasmBackend, registered);
}
