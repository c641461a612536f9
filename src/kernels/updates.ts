/**
 * What a training step updates after its gradients, as kernels that take every tensor of the
 * step at once (registered for cpu and wasm): SGD's and Adam's loops are netc-kernels.wat's on
 * wasm where the assembled kernels are, plain JavaScript otherwise. Each operation rounds to
 * float32 as the tfjs ops they replace do (and PyTorch), so the results are the same bits; each
 * of those ops is a call into the backend, which on wasm costs more than the arithmetic on these
 * sizes.
 *
 * One step of torch.optim.SGD (dampening 0) for every parameter:
 * `tf.engine().runKernel(SGD_UPDATE, {param0, grad0, buffer0?, param1, …}, {lr, momentum, wd, nesterov})`
 * → [param0', buffer0'?, param1', …], a buffer (momentum's) wherever one was given.
 *   d = grad + wd·param;  buffer' = momentum·buffer + d;  d = nesterov ? d + momentum·buffer' : buffer'
 *   param' = param − lr·d
 * Those are two to eight ops per parameter in optimizers.ts: for LeNet-BN's 18 parameters the
 * update took 0.32 ms a step on the wasm backend with one thread and 0.74 ms with two; this is
 * one call, its loop in WebAssembly SIMD there.
 *
 * One step of torch.optim.Adam, or AdamW (`decoupled`), for every parameter:
 * `tf.engine().runKernel(ADAM_UPDATE, {param0, grad0, m0, v0, …}, {beta1, beta2, eps, wd, decoupled, stepSize, bc2Sqrt, decay})`
 * → [param0', m0', v0', …], as optimizers.ts's thirteen ops per parameter (their scalars:
 * stepSize = lr/(1 − β1ᵗ), bc2Sqrt = √(1 − β2ᵗ), decay = 1 − lr·wd).
 *
 * A layer's moving statistics (BN's running mean and variance):
 * `tf.engine().runKernel(MOVING_AVERAGE, {moving0, batch0, moving1, …}, {momentum})`
 * → [momentum·moving0 + (1 − momentum)·batch0, …], as normalize.ts's movingAverage: six ops
 * per BN layer there.
 */
import type { KernelBackend, TensorInfo } from "@tensorflow/tfjs";
import { address, backendMemory, register, type KernelArgs, type Tf, type WasmBackend } from "./heap.js";
import { ADAM_UPDATE, MOVING_AVERAGE, SGD_UPDATE } from "./names.js";

export { ADAM_UPDATE, MOVING_AVERAGE, SGD_UPDATE };

export interface SgdSettings {
  lr: number;
  momentum: number;
  wd: number;
  nesterov: boolean;
}

/** The SIMD loops of netc-kernels.wat (`sgd`, `adam`), on a wasm backend's heap. */
export interface UpdateSimd {
  sgd(p: number, g: number, b: number, pout: number, bout: number, n: number, lr: number, m: number, wd: number, nesterov: number): void;
  adam(p: number, g: number, m: number, v: number, pout: number, mout: number, vout: number, n: number, b1: number, c1: number, b2: number, c2: number, eps: number, step: number, bc: number, wd: number, decay: number, mode: number): void;
}

/**
 * Registers the kernels for cpu and wasm; on wasm, SGD's and Adam's loops are netc-kernels.wat's
 * where `simdOf` gives its instance (once the assembled kernels are registered), else the
 * JavaScript ones on the heap.
 */
export function registerUpdateKernels(tf: Tf, simdOf: (backend: KernelBackend) => UpdateSimd | undefined): void {
  register(tf, SGD_UPDATE, "cpu", (args) => sgdUpdateKernel(args, copyWriter(args.backend)));
  register(tf, SGD_UPDATE, "wasm", (args) => {
    const simd = simdOf(args.backend);
    return simd ? sgdUpdateSimd(args, args.backend as WasmBackend, simd) : sgdUpdateKernel(args, heapWriter(args.backend as WasmBackend));
  });
  register(tf, ADAM_UPDATE, "cpu", (args) => adamUpdateKernel(args, copyWriter(args.backend)));
  register(tf, ADAM_UPDATE, "wasm", (args) => {
    const simd = simdOf(args.backend);
    return simd ? adamUpdateSimd(args, args.backend as WasmBackend, simd) : adamUpdateKernel(args, heapWriter(args.backend as WasmBackend));
  });
  register(tf, MOVING_AVERAGE, "cpu", (args) => movingAverageKernel(args, copyWriter(args.backend)));
  register(tf, MOVING_AVERAGE, "wasm", (args) => movingAverageKernel(args, heapWriter(args.backend as WasmBackend)));
}

/** Updates `param` (and `buffer`, when momentum keeps one) from `grad`, writing `paramOut` and `bufferOut`. */
export function sgdUpdate(s: SgdSettings, param: Float32Array, grad: Float32Array, paramOut: Float32Array, buffer?: Float32Array, bufferOut?: Float32Array): void {
  const f = Math.fround;
  const [lr, momentum, wd] = [f(s.lr), f(s.momentum), f(s.wd)];
  const n = param.length;
  // The seed's plain SGD on its own: a loop without the others' tests runs twice as fast.
  if (wd === 0 && !buffer) {
    for (let i = 0; i < n; i++) paramOut[i] = f(param[i]! - f(grad[i]! * lr));
    return;
  }
  for (let i = 0; i < n; i++) {
    const p = param[i]!;
    let d = wd !== 0 ? f(grad[i]! + f(p * wd)) : grad[i]!;
    if (buffer && bufferOut) {
      const b = f(f(buffer[i]! * momentum) + d);
      bufferOut[i] = b;
      d = s.nesterov ? f(d + f(b * momentum)) : b;
    }
    paramOut[i] = f(p - f(d * lr));
  }
}

function settings(attrs: KernelArgs["attrs"]): SgdSettings {
  const number = (name: string) => {
    const v = attrs[name] ?? 0;
    if (typeof v !== "number" || !Number.isFinite(v)) throw new Error(`${SGD_UPDATE}: ${name} must be a finite number, got ${String(v)}`);
    return v;
  };
  return { lr: number("lr"), momentum: number("momentum"), wd: number("wd"), nesterov: attrs["nesterov"] === true };
}

interface Parameter {
  param: TensorInfo;
  grad: TensorInfo;
  buffer?: TensorInfo;
}

function parameters(inputs: KernelArgs["inputs"]): Parameter[] {
  const out: Parameter[] = [];
  for (let i = 0; inputs[`param${i}`]; i++) {
    const [param, grad, buffer] = [inputs[`param${i}`]!, inputs[`grad${i}`], inputs[`buffer${i}`]];
    for (const [name, t] of [["grad", grad], ["buffer", buffer]] as const) {
      if (name === "grad" && !t) throw new Error(`${SGD_UPDATE}: param${i} has no grad${i}`);
      if (t && (t.dtype !== "float32" || size(t) !== size(param))) throw new Error(`${SGD_UPDATE}: ${name}${i} must be float32 of param${i}'s ${size(param)} values`);
    }
    if (param.dtype !== "float32") throw new Error(`${SGD_UPDATE}: param${i} must be float32`);
    out.push({ param, grad: grad!, ...(buffer ? { buffer } : {}) });
  }
  return out;
}

function sgdUpdateKernel({ inputs, attrs }: KernelArgs, write: Writer): TensorInfo[] {
  const s = settings(attrs);
  const params = parameters(inputs);
  const outputs = params.flatMap((p) => (p.buffer ? [p.param, p.buffer] : [p.param]));
  return write(outputs, (view, outs) => {
    let o = 0;
    for (const p of params) {
      const paramOut = outs[o++]!;
      const bufferOut = p.buffer ? outs[o++] : undefined;
      sgdUpdate(s, view(p.param), view(p.grad), paramOut, p.buffer && view(p.buffer), bufferOut);
    }
  });
}

function sgdUpdateSimd({ inputs, attrs }: KernelArgs, backend: WasmBackend, simd: UpdateSimd): TensorInfo[] {
  const s = settings(attrs);
  const params = parameters(inputs);
  const f = Math.fround;
  const outs = params.map((p) => ({ param: backend.makeOutput([...p.param.shape], "float32"), buffer: p.buffer && backend.makeOutput([...p.buffer.shape], "float32") }));
  params.forEach((p, i) => {
    const at = (t: TensorInfo | undefined) => (t ? address(backend, t) : 0);
    simd.sgd(at(p.param), at(p.grad), at(p.buffer), at(outs[i]!.param), at(outs[i]!.buffer), size(p.param), f(s.lr), f(s.momentum), f(s.wd), s.nesterov ? 1 : 0);
  });
  return outs.flatMap((o) => (o.buffer ? [o.param, o.buffer] : [o.param]));
}

export interface AdamSettings {
  beta1: number;
  beta2: number;
  eps: number;
  wd: number;
  decoupled: boolean;
  stepSize: number;
  bc2Sqrt: number;
  decay: number;
}

/** Adam's constants as float32, as the ops' scalars are, and how weight decay enters (0 none, 1 L2, 2 decoupled). */
function adamConstants(s: AdamSettings) {
  const f = Math.fround;
  return { b1: f(s.beta1), c1: f(1 - s.beta1), b2: f(s.beta2), c2: f(1 - s.beta2), eps: f(s.eps), step: f(s.stepSize), bc: f(s.bc2Sqrt), wd: f(s.wd), decay: f(s.decay), mode: s.wd === 0 ? 0 : s.decoupled ? 2 : 1 };
}

/** One Adam step of a parameter into pOut, mOut, vOut, each operation rounded to float32. */
export function adamUpdate(s: AdamSettings, param: Float32Array, grad: Float32Array, m: Float32Array, v: Float32Array, pOut: Float32Array, mOut: Float32Array, vOut: Float32Array): void {
  const f = Math.fround;
  const k = adamConstants(s);
  for (let i = 0; i < param.length; i++) {
    let p = param[i]!;
    let g = grad[i]!;
    if (k.mode === 2) p = f(p * k.decay);
    if (k.mode === 1) g = f(g + f(p * k.wd));
    const mi = f(f(m[i]! * k.b1) + f(g * k.c1));
    const vi = f(f(v[i]! * k.b2) + f(f(g * g) * k.c2));
    mOut[i] = mi;
    vOut[i] = vi;
    pOut[i] = f(p - f(f(mi / f(f(f(Math.sqrt(vi)) / k.bc) + k.eps)) * k.step));
  }
}

function adamSettings(attrs: KernelArgs["attrs"]): AdamSettings {
  const number = (name: string) => {
    const v = attrs[name];
    if (typeof v !== "number" || !Number.isFinite(v)) throw new Error(`${ADAM_UPDATE}: ${name} must be a finite number, got ${String(v)}`);
    return v;
  };
  return { beta1: number("beta1"), beta2: number("beta2"), eps: number("eps"), wd: number("wd"), decoupled: attrs["decoupled"] === true, stepSize: number("stepSize"), bc2Sqrt: number("bc2Sqrt"), decay: number("decay") };
}

/** param0, grad0, m0, v0, …, each of its parameter's size. */
function adamParameters(inputs: KernelArgs["inputs"]): [TensorInfo, TensorInfo, TensorInfo, TensorInfo][] {
  const out: [TensorInfo, TensorInfo, TensorInfo, TensorInfo][] = [];
  for (let i = 0; inputs[`param${i}`]; i++) {
    const named = ["param", "grad", "m", "v"].map((name) => {
      const t = inputs[`${name}${i}`];
      if (!t || t.dtype !== "float32" || size(t) !== size(inputs[`param${i}`]!)) throw new Error(`${ADAM_UPDATE}: ${name}${i} must be float32 of param${i}'s ${size(inputs[`param${i}`]!)} values`);
      return t;
    });
    out.push(named as [TensorInfo, TensorInfo, TensorInfo, TensorInfo]);
  }
  return out;
}

function adamUpdateKernel({ inputs, attrs }: KernelArgs, write: Writer): TensorInfo[] {
  const s = adamSettings(attrs);
  const params = adamParameters(inputs);
  return write(
    params.flatMap(([param, , m, v]) => [param, m, v]),
    (view, outs) => params.forEach(([param, grad, m, v], i) => adamUpdate(s, view(param), view(grad), view(m), view(v), outs[3 * i]!, outs[3 * i + 1]!, outs[3 * i + 2]!)),
  );
}

function adamUpdateSimd({ inputs, attrs }: KernelArgs, backend: WasmBackend, simd: UpdateSimd): TensorInfo[] {
  const k = adamConstants(adamSettings(attrs));
  const params = adamParameters(inputs);
  const outs = params.flatMap(([param, , m, v]) => [param, m, v].map((t) => backend.makeOutput([...t.shape], "float32")));
  params.forEach(([param, grad, m, v], i) => {
    const at = (t: TensorInfo) => address(backend, t);
    simd.adam(at(param), at(grad), at(m), at(v), at(outs[3 * i]!), at(outs[3 * i + 1]!), at(outs[3 * i + 2]!), size(param), k.b1, k.c1, k.b2, k.c2, k.eps, k.step, k.bc, k.wd, k.decay, k.mode);
  });
  return outs;
}

/** momentum·moving + (1 − momentum)·batch, each product and the sum rounded to float32. */
export function movingAverage(momentum: number, moving: Float32Array, batch: Float32Array, out: Float32Array): void {
  const f = Math.fround;
  const [keep, take] = [f(momentum), f(1 - momentum)];
  for (let i = 0; i < moving.length; i++) out[i] = f(f(keep * moving[i]!) + f(take * batch[i]!));
}

function movingAverageKernel({ inputs, attrs }: KernelArgs, write: Writer): TensorInfo[] {
  const momentum = attrs["momentum"];
  if (typeof momentum !== "number" || !Number.isFinite(momentum)) throw new Error(`${MOVING_AVERAGE}: momentum must be a finite number, got ${String(momentum)}`);
  const pairs: [TensorInfo, TensorInfo][] = [];
  for (let i = 0; inputs[`moving${i}`]; i++) {
    const [moving, batch] = [inputs[`moving${i}`]!, inputs[`batch${i}`]];
    if (!batch || moving.dtype !== "float32" || batch.dtype !== "float32" || size(batch) !== size(moving)) throw new Error(`${MOVING_AVERAGE}: batch${i} must be float32 of moving${i}'s ${size(moving)} values`);
    pairs.push([moving, batch]);
  }
  return write(
    pairs.map(([moving]) => moving),
    (view, outs) => pairs.forEach(([moving, batch], i) => movingAverage(momentum, view(moving), view(batch), outs[i]!)),
  );
}

function size(t: TensorInfo): number {
  return t.shape.reduce((a, b) => a * b, 1);
}

/** Makes outputs shaped as `like` and runs `fill` with a view of any input and the outputs' arrays. */
type Writer = (like: readonly TensorInfo[], fill: (view: (t: TensorInfo) => Float32Array, outs: Float32Array[]) => void) => TensorInfo[];

/** On the wasm backend, in place on its heap: no copies of the parameters. */
function heapWriter(backend: WasmBackend): Writer {
  return (like, fill) => {
    // Allocate before taking views: allocation may grow the memory and detach an old buffer.
    const outs = like.map((t) => backend.makeOutput([...t.shape], "float32"));
    const buffer = backendMemory(backend).buffer;
    const view = (t: TensorInfo) => new Float32Array(buffer, address(backend, t), size(t));
    fill(view, outs.map(view));
    return outs;
  };
}

/** Elsewhere (cpu), through readSync and write. */
function copyWriter(backend: KernelBackend): Writer {
  return (like, fill) => {
    const outs = like.map((t) => new Float32Array(size(t)));
    fill((t) => backend.readSync(t.dataId) as Float32Array, outs);
    return outs.map((values, i) => ({ dataId: backend.write(values, [...like[i]!.shape], "float32"), shape: [...like[i]!.shape], dtype: "float32" }));
  };
}
