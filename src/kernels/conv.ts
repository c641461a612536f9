/**
 * netc's sliding-window kernels (src/kernels/netc-conv.wat) as tfjs kernels of the wasm backend:
 * call them with `tf.engine().runKernel(name, inputs, attrs)`. Tensors are float32 NHWC, filters
 * [KH, KW, CI, CO]; `strides` and `padding` are [h, w] pairs, the padding PyTorch's (the same
 * number of zeros on both sides).
 *
 * NetcConv2D {x, filter, bias?}, attrs {strides, padding, activation?: "linear" | "relu"} → y
 * NetcConv2DBackpropFilter {x, dy}, attrs {strides, padding, filterShape} → dW
 * NetcConv2DBackpropInput {dy, filter}, attrs {strides, padding, inputShape} → dx
 *   (each also takes `path: "plane" | "windows" | "im2col" | "winograd"` (the filter
 *   gradient's "winograd" for 3×3 alone), the input gradient also "scatter", for tests and
 *   benchmarks: the way the product reads its input, which otherwise follows the measured rule
 *   of pathOf)
 * NetcMaxPoolBackward {dy, x}, attrs {filterSize, strides, padding} → dx: the gradient of a
 *   max pooling, each window's dy to its largest x (the first on ties, as PyTorch)
 * NetcMoments {x}, attrs {eps?} → [mean [C], variance [C]] (+ invStd = 1/√(variance + eps) with
 *   eps): per channel (the last axis), the biased variance
 * NetcChannelSums {x} → [C]: per-channel sums (a bias's gradient)
 * NetcConcat {x0, x1, …} → y: concatenation along the last axis
 * NetcSplit {x}, attrs {sizes} → parts of x along the last axis, `sizes` channels each
 *
 * A convolution's three are one matrix product (see the .wat), with fused multiply-add where the
 * engine has relaxed SIMD; with fewer than 8 input channels the product reads x's windows in
 * place rather than through im2col (with one, at stride 1, output pixels rather than channels
 * in the SIMD lanes), and at stride 1 the input gradient is such a convolution of dy, or, for
 * kernel rows of 16–32 floats, each dy pixel's share scattered into its window. 3×3 and 5×5
 * kernels at stride 1 over enough channels take Winograd's F(2×2, 3×3) or F(2×2, 5×5), 16
 * products per 2×2 output pixels where the direct product has 36 (3×3), 36 where it has 100
 * (5×5), forward and for the input gradient, 3×3's for the filter gradient too. All run
 * on as many threads as tfjs runs (a threaded build) where the runtime can start threads
 * (Node; a page runs them on its one worker), with the scratch they need kept from call to
 * call.
 */
import type { KernelBackend, TensorInfo } from "@tensorflow/tfjs";
import { Arena, address, aligned16, backendMemory, isShared, register, type KernelArgs, type Tf, type WasmBackend } from "./heap.js";
import { CHANNEL_SUMS, CONCAT, CONV2D, CONV2D_BACKPROP_FILTER, CONV2D_BACKPROP_INPUT, MAX_POOL_BACKWARD, MOMENTS, SPLIT } from "./names.js";
import { CONTROL_BYTES, KernelPool, type StartWorker } from "./threads.js";

export { CHANNEL_SUMS, CONCAT, CONV2D, CONV2D_BACKPROP_FILTER, CONV2D_BACKPROP_INPUT, MAX_POOL_BACKWARD, MOMENTS, SPLIT };

const ENTRIES = ["conv_fwd", "pack_w", "conv_dw", "conv_taps_fwd", "conv_taps_pixels_fwd", "taps_dy_panels", "conv_taps_dw", "conv_dx", "transpose_w", "conv_window_fwd", "conv_window_dw", "conv_plane_fwd", "conv_plane_dw", "conv_scatter_dx", "wino_filter", "conv_wino_fwd", "wino_dw_transform", "wino_dw_products", "wino_dw_filter", "maxpool_bwd", "channel_sums", "concat_channels"] as const;

/** Words of the parameter block (netc-conv.wat's layout). */
const P = { x: 0, w: 1, bias: 2, out: 3, scratch: 4, scratchBytes: 5, flags: 6, n: 7, mb: 20, kb: 21, dy: 23, nb: 24, group: 26, shared: 27, transforms: 28 };
const BLOCK_WORDS = 32;

/**
 * Block sizes (see the .wat): rows of M, reduction and columns per block, chosen by measuring
 * the models' convolutions here (blocks of A of a few hundred KB, in L2; long reductions per
 * micro-kernel call); for the input gradient, images per unit of work.
 */
interface Blocks {
  mb: number;
  kb: number;
  nb: number;
  group?: number;
}

/** The largest Wᵀ the input gradient makes whole (once per call), rather than a block per unit. */
const WHOLE_TRANSPOSE_BYTES = 32 << 20;
/** Up to this many rows (a batch) a linear layer's forward pass reads W in place (see convolve). */
const FEW_ROWS = 16;
/** Below this many input channels every pass reads windows in place (see pathOf). */
const FEW_CHANNELS = 8;
const NO_BLOCKS: Blocks = { mb: 0, kb: 0, nb: 0 };
const PATHS = ["plane", "windows", "im2col", "scatter", "winograd", "taps"] as const;
type ConvPath = (typeof PATHS)[number];
/** The filter gradient's sliding-window pass sums the batch in this many groups of images, one unit of work each. */
const DW_GROUPS = 8;
/** The scattered input gradient holds a kernel row of dx, KW·CI floats, in this many. */
const SCATTER_ROW = 32;
/** Tiles of 2×2 output pixels per unit of work of the Winograd forward pass (netc-conv.wat's constant). */
const WINOGRAD_TILES = 48;
/** The input gradient's flag, as a forward pass of dy: its filter is the convolution's W, read flipped and transposed (see convolvedInputGradient). */
const FLIPPED_FILTER = 8;
/**
 * The most bytes the Winograd filter gradient's transformed tiles (V and Z) take at a time:
 * measured against 16 MB, the products then read them from cache (ResNet-18's 64-channel
 * layers: 11.1–12.5 → 8.5–8.9 ms on two threads; 128 channels: 8.3–10.7 → 6.5–7.6).
 */
const WINOGRAD_CHUNK_BYTES = 6 << 20;
/** From this many channels in and out a 3×3 layer's 16 products are long enough for Winograd's transforms to pay (measured). */
const WINOGRAD_CHANNELS = 16;
/** The filter gradient's, in: below it the sliding windows are as fast or faster (measured). */
const WINOGRAD_FILTER_GRADIENT_CHANNELS = 64;
/** 5×5's (its transforms multiplied out), out. */
const WINOGRAD_TRANSFORMED_OUTPUTS = 64;
/** At most this share of a pass's window taps inside its input, the rest padding, the taps path pays (measured). */
const TAPS_INSIDE = 0.8;
/**
 * From this many input channels the taps path's forward pass goes tap by tap (each tap's
 * product over them long enough), below it output pixel by output pixel, its products over
 * kernel rows' runs of taps (measured: GoogLeNet's 6×6 5×5 layer, 24 → 64 channels, 1.2 ms
 * against 2.1 tap by tap; ResNet-18's 512 channels 14–16% faster tap by tap).
 */
const TAPS_BY_TAP_CHANNELS = 128;
/** The taps path's filter gradient: input channels per unit of work. */
const TAPS_CHANNELS = 96;
/** Below this much work (multiply-adds, comparisons) a call runs on one thread: waking the others would cost more. */
const PARALLEL_WORK = 1 << 21;

export interface ConvGeometry {
  n: number;
  h: number;
  w: number;
  ci: number;
  oh: number;
  ow: number;
  co: number;
  kh: number;
  kw: number;
  sh: number;
  sw: number;
  ph: number;
  pw: number;
}

/** The module on one backend memory, its thread pool and its buffers. */
interface Runtime {
  exports: Record<string, unknown>;
  pool: KernelPool;
  block: number;
  arena: Arena;
  /** The list of a concatenation's parts. */
  parts: Arena;
  /** The one-channel forward pass's packed filter and bias (see planeForward). */
  planeFilter: Arena;
  /** The scattered input gradient's packed filter (see scatteredInputGradient). */
  scatterFilter: Arena;
  /** The Winograd transforms' matrices for kernels other than 3×3 (see winogradTransforms). */
  winogradTable: Arena;
  /** A 3×3 block of a larger kernel's Winograd filter gradient (see winogradFilterGradient). */
  filterBlock: Arena;
  fma: boolean;
}

const runtimes = new WeakMap<WebAssembly.Memory, Runtime>();

/**
 * The assembled kernels, from the runtime (binaries.ts in Node; the page fetches them), and what
 * starts the thread pool's workers: without it the kernels run on the calling thread only.
 */
export interface ConvBinaries {
  /** The module for tfjs's plain or shared memory, and whether it is the fused multiply-add build. */
  module(shared: boolean): { module: WebAssembly.Module; fma: boolean };
  startWorker?: StartWorker;
}

let binaries: ConvBinaries | undefined;

function runtimeFor(backend: WasmBackend): Runtime {
  const memory = backendMemory(backend);
  let runtime = runtimes.get(memory);
  if (!runtime) {
    if (!binaries) throw new Error("netc kernels: the convolution kernels are not registered");
    const shared = isShared(memory);
    const { module, fma } = binaries.module(shared);
    const exports = new WebAssembly.Instance(module, { env: { memory } }).exports as Record<string, unknown>;
    const raw = backend.wasm._malloc(BLOCK_WORDS * 4 + CONTROL_BYTES + 16);
    if (!raw) throw new Error("netc kernels: out of wasm memory");
    const block = aligned16(raw);
    // As many threads as tfjs runs, where the runtime can start them.
    const threads = shared && binaries.startWorker ? Math.max(1, backend.wasm.tfjs?.getThreadsCount() ?? 1) : 1;
    const pool = new KernelPool(exports, module, memory, block + BLOCK_WORDS * 4, threads, ENTRIES, binaries.startWorker);
    runtime = { exports, pool, block, arena: new Arena(backend), parts: new Arena(backend), planeFilter: new Arena(backend), scatterFilter: new Arena(backend), winogradTable: new Arena(backend), filterBlock: new Arena(backend), fma };
    runtimes.set(memory, runtime);
  }
  return runtime;
}

/** Whether the convolution kernels use fused multiply-add on this backend (benchmarks report it). */
export function convUsesFma(backend: KernelBackend): boolean {
  return runtimeFor(backend as WasmBackend).fma;
}

/**
 * Registers the kernels for the wasm backend; they are instantiated on first use, against the
 * memory of the backend that runs them.
 */
export function registerConvKernels(tf: Tf, given: ConvBinaries): void {
  binaries = given;
  register(tf, CONV2D, "wasm", convForward);
  register(tf, CONV2D_BACKPROP_FILTER, "wasm", convBackpropFilter);
  register(tf, CONV2D_BACKPROP_INPUT, "wasm", convBackpropInput);
  register(tf, MAX_POOL_BACKWARD, "wasm", maxPoolBackward);
  register(tf, MOMENTS, "wasm", (args) => channelSums(args, true));
  register(tf, CHANNEL_SUMS, "wasm", (args) => channelSums(args, false));
  register(tf, CONCAT, "wasm", concat);
  register(tf, SPLIT, "wasm", split);
}

// ------------------------------------------------------------------ attributes and shapes

function pair(value: unknown, name: string, kernel: string, min: number): [number, number] {
  const v = typeof value === "number" ? [value, value] : value;
  if (!Array.isArray(v) || v.length !== 2 || !v.every((n) => Number.isInteger(n) && n >= min)) {
    throw new Error(`${kernel}: ${name} must be a whole number ≥ ${min} or a pair of them, got ${JSON.stringify(value)}`);
  }
  return [v[0], v[1]];
}

function shape4(t: unknown, name: string, kernel: string): [number, number, number, number] {
  const s = Array.isArray(t) ? t : (t as TensorInfo | undefined)?.shape;
  if (!s || s.length !== 4 || !s.every((n) => Number.isInteger(n) && n >= 1)) throw new Error(`${kernel}: ${name} must have 4 dimensions, got ${JSON.stringify(s)}`);
  return s as [number, number, number, number];
}

function float(inputs: KernelArgs["inputs"], name: string, kernel: string): TensorInfo {
  const t = inputs[name];
  if (!t) throw new Error(`${kernel}: missing input ${name}`);
  if (t.dtype !== "float32") throw new Error(`${kernel}: ${name} must be float32, got ${t.dtype}`);
  return t;
}

/** The geometry from the input's and the filter's shapes, checked as PyTorch would. */
export function convGeometry(kernel: string, input: readonly number[], filter: readonly number[], strides: unknown, padding: unknown): ConvGeometry {
  const [n, h, w, ci] = shape4(input, "the input", kernel);
  const [kh, kw, fci, co] = shape4(filter, "the filter", kernel);
  if (fci !== ci) throw new Error(`${kernel}: the filter takes ${fci} channels, the input has ${ci}`);
  const [sh, sw] = pair(strides, "strides", kernel, 1);
  const [ph, pw] = pair(padding ?? 0, "padding", kernel, 0);
  const oh = Math.floor((h + 2 * ph - kh) / sh) + 1;
  const ow = Math.floor((w + 2 * pw - kw) / sw) + 1;
  if (oh < 1 || ow < 1) throw new Error(`${kernel}: a ${kh}×${kw} kernel does not fit the padded ${h + 2 * ph}×${w + 2 * pw} input`);
  return { n, h, w, ci, oh, ow, co, kh, kw, sh, sw, ph, pw };
}

// ------------------------------------------------------------------ running

function macs(g: ConvGeometry): number {
  return g.n * g.oh * g.ow * g.kh * g.kw * g.ci * g.co;
}

/**
 * Writes the parameter block (the tensors' addresses, the geometry, `shared` bytes of scratch
 * for all threads and `scratchBytes` for each, the first `zeroed` bytes of each zeroed) and
 * runs `entry`; returns where each thread's scratch and the shared bytes are. Calls with the
 * same sizes get the same scratch.
 */
function run(backend: WasmBackend, entry: (typeof ENTRIES)[number], g: ConvGeometry, tensors: Partial<Record<"x" | "w" | "bias" | "out" | "dy" | "transforms", number>>, blocks: Blocks, scratchBytes: number, flags = 0, work = macs(g), shared = 0, zeroed = 0): { scratches: number[]; shared: number } {
  const rt = runtimeFor(backend);
  const perThread = (scratchBytes + 63) & ~63;
  const sharedBytes = (shared + 63) & ~63;
  const arena = rt.arena.get(sharedBytes + perThread * rt.pool.threads) + sharedBytes;
  const scratches = Array.from({ length: rt.pool.threads }, (_, t) => arena + t * perThread);
  for (const at of scratches) new Uint8Array(backendMemory(backend).buffer, at, zeroed).fill(0);
  const words = new Int32Array(backendMemory(backend).buffer, rt.block, BLOCK_WORDS);
  words.fill(0);
  words[P.x] = tensors.x ?? 0;
  words[P.w] = tensors.w ?? 0;
  words[P.bias] = tensors.bias ?? 0;
  words[P.out] = tensors.out ?? 0;
  words[P.dy] = tensors.dy ?? 0;
  words[P.transforms] = tensors.transforms ?? 0;
  words[P.scratch] = arena;
  words[P.scratchBytes] = perThread;
  words[P.flags] = flags;
  words.set([g.n, g.h, g.w, g.ci, g.oh, g.ow, g.co, g.kh, g.kw, g.sh, g.sw, g.ph, g.pw], P.n);
  words[P.mb] = blocks.mb;
  words[P.kb] = blocks.kb;
  words[P.nb] = blocks.nb;
  words[P.group] = blocks.group ?? 0;
  words[P.shared] = shared ? arena - sharedBytes : 0;
  rt.pool.run(entry, rt.block, work >= PARALLEL_WORK);
  return { scratches, shared: arena - sharedBytes };
}

/** Bytes of the GEMM's own scratch for a reduction of up to `k` (see $gemm). */
function gemmScratch(k: number): number {
  return k * 32 + 256;
}

function isDirect(g: ConvGeometry): boolean {
  return g.kh === 1 && g.kw === 1 && g.sh === 1 && g.sw === 1 && g.ph === 0 && g.pw === 0;
}

const roundUp = (n: number, to: number) => Math.ceil(n / to) * to;
const FLOAT = 4;

function convForward(args: KernelArgs): TensorInfo {
  const k = CONV2D;
  const x = float(args.inputs, "x", k);
  const filter = float(args.inputs, "filter", k);
  const bias = args.inputs["bias"];
  const g = convGeometry(k, x.shape, filter.shape, args.attrs["strides"], args.attrs["padding"]);
  if (bias && (bias.dtype !== "float32" || bias.shape.reduce((a, b) => a * b, 1) !== g.co)) throw new Error(`${k}: bias must be ${g.co} float32 values`);
  const activation = args.attrs["activation"] ?? "linear";
  if (activation !== "linear" && activation !== "relu") throw new Error(`${k}: activation must be linear or relu, got ${String(activation)}`);
  const backend = args.backend as WasmBackend;
  const y = backend.makeOutput([g.n, g.oh, g.ow, g.co], "float32");
  const flags = (activation === "relu" ? 1 : 0) | (bias ? 2 : 0);
  const tensors = { x: address(backend, x), w: address(backend, filter), bias: bias ? address(backend, bias) : 0, out: address(backend, y) };
  const path = pathOf(g, "forward", args.attrs);
  if (path === "plane") planeForward(backend, g, tensors, flags);
  else convolve(backend, g, tensors, flags, path);
  return y;
}

/**
 * How a pass reads x (or, for the input gradient, dy): "plane", one input channel at stride 1,
 * output pixels in the SIMD lanes (conv_plane_*); "windows", in place with channels in the
 * lanes (conv_window_*); "im2col"; or, for the input gradient of a kernel row of at most 32
 * floats (KW·CI), "scatter": each dy pixel's share added into its window (conv_scatter_dx).
 * Measured on the models' convolutions here (scripts/bench-kernels.mjs): im2col copies a
 * handful of floats per call for few input channels, and for a k×k kernel (k > 1) over up to
 * 128 channels in and out its 9–25-fold copy of x costs more than the windows' smaller register
 * tile; a 1×1 kernel, and wide layers whose 6×8 tile pays for the copy, keep im2col. With one
 * input channel and fewer than 8 output channels (LeNet's first layer) a window's tile leaves
 * lanes empty, and pixels fill them instead. LeNet's second layer's input gradient (6 channels
 * of dx, dy padded by 4 for the windows) wastes lanes and padding that scattering does not.
 * "winograd" (a 3×3 or 5×5 kernel at stride 1; see netc-conv.wat) does 4/9 or 9/25 of the
 * multiply-adds: 1.5–1.9× faster than the others on the models' 3×3 layers of 6×6 pixels and
 * more, slower on 3×3 pixels, which its 2×2 tiles cover as 4×4; 3×3's filter gradient as fast
 * (64 channels in) to twice as fast (128 and more); 1.6–2.1× on NiN's and AlexNet's 5×5, 1.4×
 * for their filter gradient as 3×3 blocks (winogradPays). "taps" (conv_taps_*) is im2col over
 * the window taps inside x alone, for small outputs with padding (tapsPay).
 */
function pathOf(g: ConvGeometry, pass: "forward", attrs: KernelArgs["attrs"]): Exclude<ConvPath, "scatter">;
function pathOf(g: ConvGeometry, pass: "filter gradient" | "input gradient", attrs: KernelArgs["attrs"]): ConvPath;
function pathOf(g: ConvGeometry, pass: "forward" | "filter gradient" | "input gradient", attrs: KernelArgs["attrs"]): ConvPath {
  const window = g.kh * g.kw > 1;
  const stride1 = g.sh === 1 && g.sw === 1;
  // The input gradient as the forward pass of dy needs stride 1, and padding that leaves every dx pixel in some window.
  const windows = pass !== "input gradient" || (stride1 && g.ph < g.kh && g.pw < g.kw);
  const plane = pass !== "input gradient" && stride1 && g.ci === 1;
  const scatter = pass === "input gradient" && g.kw * g.ci <= SCATTER_ROW;
  // 3×3 and 5×5 at stride 1 (the input gradient's too, as the windows'), channels in whole
  // vectors.
  const winograd = windows && stride1 && g.kh === g.kw && (g.kh === 3 || g.kh === 5) && g.ci % 4 === 0 && g.co % 4 === 0;
  // Every output pixel has a tap inside x (the input gradient's, as the windows').
  const taps = windows && window && g.ph < g.kh && g.pw < g.kw;
  const path = attrs["path"];
  if (path !== undefined && !PATHS.includes(path as ConvPath)) throw new Error(`netc convolution kernels: path must be ${PATHS.join(", ")}, got ${String(path)}`);
  if (path === "windows" && !windows) throw new Error(`${CONV2D_BACKPROP_INPUT}: the sliding-window input gradient needs stride 1 and padding below the kernel's size`);
  if (path === "plane" && !plane) throw new Error(`netc convolution kernels: the one-channel path takes the forward pass and the filter gradient of one input channel at stride 1`);
  if (path === "scatter" && !scatter) throw new Error(`${CONV2D_BACKPROP_INPUT}: the scattered input gradient takes kernel rows of at most ${SCATTER_ROW} floats (KW·CI)`);
  if (path === "winograd" && !winograd) throw new Error(`netc convolution kernels: the Winograd path takes a 3×3 or 5×5 kernel at stride 1 (the input gradient's with padding below its size), channels in multiples of 4`);
  if (path === "taps" && !taps) throw new Error(`netc convolution kernels: the taps path takes a kernel larger than 1×1 with padding below its size (the input gradient's at stride 1)`);
  if (path !== undefined) return path as ConvPath;
  const fewTaps = taps && tapsPay(g, pass);
  // 5×5's multiplied-out transforms cost more than the taps path's zeros where few taps are
  // inside x (GoogLeNet's 6×6 layers, 24 → 64 channels: 1.17 ms, 0.71 by the taps).
  if (winograd && winogradPays(g, pass) && !(fewTaps && g.kh === 5)) return "winograd";
  if (fewTaps) return "taps";
  // One plane where channels would leave lanes empty (VGG's 64 fill them, and its 224×224 planes outgrow L1).
  if (plane && g.co < FEW_CHANNELS) return "plane";
  // Rows of fewer than 16 floats (one input channel) leave most of its 8 vectors' lanes idle.
  if (scatter && window && g.kw * g.ci > SCATTER_ROW / 2) return "scatter";
  switch (pass) {
    case "forward":
      return g.ci < FEW_CHANNELS || (window && g.ci <= 128 && g.co <= 128) ? "windows" : "im2col";
    case "filter gradient":
      return g.ci < FEW_CHANNELS || (window && stride1 && (g.ci <= 96 || g.co <= 32)) ? "windows" : "im2col";
    case "input gradient":
      return windows && (g.ci < FEW_CHANNELS || (window && g.co <= 256)) ? "windows" : "im2col";
  }
}

/** The path the rule above picks for a pass of a convolution (scripts/bench-kernels.mjs prints it). */
export function rulePath(pass: "forward" | "filter gradient" | "input gradient", input: readonly number[], filter: readonly number[], strides: readonly number[], padding: readonly number[]): ConvPath {
  const g = convGeometry("rulePath", input, filter, strides, padding);
  // Two calls, one per overload of pathOf.
  return pass === "forward" ? pathOf(g, pass, {}) : pathOf(g, pass, {});
}

/**
 * Toom-Cook's matrices of Winograd's F(2, r) (α = r + 1 points: 0, 1, −1, 2, −2, …, and ∞) as
 * netc-conv.wat's table reads them, in the backend's memory: Bᵀ [α×α], G [α×r], Aᵀ [2×α]. With
 * Lagrange's basis on the finite points, y = Aᵀ[(G g) ⊙ (Bᵀ d)] is the 2-output correlation of d
 * with g; the 2-D transforms apply them along both axes.
 */
function winogradTransforms(backend: WasmBackend, r: number): number {
  const alpha = r + 1;
  const points = Array.from({ length: alpha - 1 }, (_, i) => (i === 0 ? 0 : (i % 2 ? 1 : -1) * Math.ceil(i / 2)));
  const times = (a: number[], b: number[]) => a.flatMap((x, i) => b.map((y, j) => [i + j, x * y] as const)).reduce((c, [k, v]) => ((c[k] = (c[k] ?? 0) + v), c), [] as number[]);
  /** Coefficients, lowest degree first, of Π (x − p) over the points but `skip`. */
  const product = (skip: number) => points.reduce((c, p, l) => (l === skip ? c : times(c, [-p, 1])), [1]);
  const bt = [...points.map((_, j) => [...product(j), 0]), product(-1)];
  const g = [...points.map((p, j) => Array.from({ length: r }, (_, k) => p ** k / points.reduce((f, q, l) => (l === j ? f : f * (p - q)), 1))), Array.from({ length: r }, (_, k) => (k === r - 1 ? 1 : 0))];
  const at = [0, 1].map((i) => [...points.map((p) => p ** i), i]);
  const table = [bt, g, at].flat(2);
  const address = runtimeFor(backend).winogradTable.get(table.length * FLOAT);
  new Float32Array(backendMemory(backend).buffer, address, table.length).set(table);
  return address;
}

/**
 * Whether Winograd's path is the fastest (measured with scripts/bench-kernels.mjs): from 16
 * channels in and out for 3×3; the filter gradient's 16 products (5×5's: four 3×3 blocks) have
 * CI rows, and write V and Z out for them, from 64 in. 5×5's transforms multiply by matrices,
 * α³ per 4 channels of a tile in, a cost its products (output channels long) pay for from 64
 * out.
 */
function winogradPays(g: ConvGeometry, pass: "forward" | "filter gradient" | "input gradient"): boolean {
  // The pass's own channels: the input gradient convolves dy (CO channels) into dx (CI).
  const [from, to] = pass === "input gradient" ? [g.co, g.ci] : [g.ci, g.co];
  const enough =
    pass === "filter gradient" ? from >= WINOGRAD_FILTER_GRADIENT_CHANNELS && to >= WINOGRAD_CHANNELS : g.kh === 3 ? from >= WINOGRAD_CHANNELS && to >= WINOGRAD_CHANNELS : from >= WINOGRAD_CHANNELS && to >= WINOGRAD_TRANSFORMED_OUTPUTS;
  return enough && winogradCoverage(g, pass) <= 1.5;
}

/**
 * Output pixels the Winograd pass computes per one it keeps: its 2×2 tiles cover an odd side
 * with one more row or column (ResNet-18's last 3×3 outputs: 16 for 9, where it is slower than
 * the direct product; 6×6 and larger, at most 36 for 25).
 */
function winogradCoverage(g: ConvGeometry, pass: "forward" | "filter gradient" | "input gradient"): number {
  const [h, w] = pass === "input gradient" ? [g.h, g.w] : [g.oh, g.ow];
  return (roundUp(h, 2) * roundUp(w, 2)) / (h * w);
}

/**
 * Whether the taps path (im2col over the window taps inside x alone; see netc-conv.wat) is the
 * fastest (measured with scripts/bench-kernels.mjs): where at most TAPS_INSIDE of the window
 * taps are inside x, as on the models' smallest outputs (ResNet-18's last 3×3 layers, 3×3
 * pixels, 49 of 81 taps inside: 12.1 → 8.7 ms forward, 11.8 → 7.8 filter gradient at 512
 * channels; DenseNet's last 3×3, 216 → 32 channels: 0.41 → 0.28, 1.76 → 0.28), but from a
 * few channels (im2col's copies).
 */
function tapsPay(g: ConvGeometry, pass: "forward" | "filter gradient" | "input gradient"): boolean {
  const [from, to] = pass === "input gradient" ? [g.co, g.ci] : [g.ci, g.co];
  // Fewer than 8 channels out leave every product a part of a panel (LeNet's second layer's
  // input gradient, 16 → 6 channels: 3.2–4.0 ms, 1.8–1.9 scattered).
  return from >= FEW_CHANNELS && to >= FEW_CHANNELS && tapsInside(pass === "input gradient" ? gradientGeometry(g) : g) <= TAPS_INSIDE;
}

/** The share of a convolution's window taps that fall inside x, the rest in the padding. */
function tapsInside(g: ConvGeometry): number {
  const inside = (out: number, s: number, p: number, k: number, size: number) => {
    let taps = 0;
    for (let o = 0; o < out; o++) taps += Math.min(k, size + p - o * s) - Math.max(0, p - o * s);
    return taps / (out * k);
  };
  return inside(g.oh, g.sh, g.ph, g.kh, g.h) * inside(g.ow, g.sw, g.pw, g.kw, g.w);
}

/** Floats of x's image n padded (none without padding), as conv_window_* keep it in scratch. */
function paddedImage(g: ConvGeometry): number {
  return g.ph || g.pw ? (g.h + 2 * g.ph) * (g.w + 2 * g.pw) * g.ci : 0;
}

/** Floats of the one-channel passes' copy of an image: zero-padded, with 16 floats of slack for the loads past a row's end. */
function planeImage(g: ConvGeometry): number {
  return (g.h + 2 * g.ph) * (g.w + 2 * g.pw) + 16;
}

/**
 * y = act(x ⊛ W + bias) for one input channel at stride 1 (conv_plane_fwd), in tiles of 6
 * output channels: W [K × CO] packed with CO rounded up to 6 (zeros past it), so that a tile
 * always reads 6 weights, each weight as 4 copies (a vector), then the bias.
 */
function planeForward(backend: WasmBackend, g: ConvGeometry, tensors: { x: number; w: number; bias: number; out: number }, flags: number): void {
  const taps = g.kh * g.kw;
  const co6 = roundUp(g.co, 6);
  const at = runtimeFor(backend).planeFilter.get((4 * taps + 1) * co6 * FLOAT);
  const heap = backendMemory(backend).buffer;
  const packed = new Float32Array(heap, at, (4 * taps + 1) * co6).fill(0);
  const w = new Float32Array(heap, tensors.w, taps * g.co);
  for (let t = 0; t < taps; t++) {
    for (let c = 0; c < g.co; c++) packed.fill(w[t * g.co + c]!, 4 * (t * co6 + c), 4 * (t * co6 + c + 1));
  }
  if (tensors.bias) packed.set(new Float32Array(heap, tensors.bias, g.co), 4 * taps * co6);
  // A partial tile goes through 48 floats after the image.
  run(backend, "conv_plane_fwd", g, { ...tensors, w: at }, NO_BLOCKS, (planeImage(g) + 48) * FLOAT, flags);
}

/**
 * y = act(x ⊛ W + bias), reading x's windows in place or through im2col: W packed in panels of
 * 8 columns first (every thread reads all of it), then the product.
 */
function convolve(backend: WasmBackend, g: ConvGeometry, tensors: { x: number; w: number; bias: number; out: number }, flags: number, path: "windows" | "im2col" | "winograd" | "taps"): void {
  if (path === "winograd") {
    const alpha = g.kh + 1;
    // U (α² transformed filters, in panels); per thread an edge tile's patch, V, M, the GEMM's
    // scratch, a row of the generic transforms, then for 3×3 three more patches and four
    // tiles' transformed vectors.
    const positions = alpha * alpha;
    const transformed = positions * (g.ci * roundUp(g.co, 8) * FLOAT + 256);
    const scratch = (4 * positions * g.ci + positions * WINOGRAD_TILES * (g.ci + g.co)) * FLOAT + gemmScratch(g.ci) + alpha * 16 + 4 * positions * 16;
    // Up to 48 tiles a unit, fewer where that leaves a thread idle at the end (VGG-11's 14×14
    // layers at batch 4: 196 tiles, 5 units of 48 for 2 threads; 6 of 36 instead). Fewer tiles
    // than two units a thread (ResNet-18's 6×6 layers at batch 16: 144) split the output
    // channels too, so that each unit reads its part of U: tiles alone, each would read all of
    // it (4 MB for 256 channels).
    const tiles = g.n * Math.ceil(g.oh / 2) * Math.ceil(g.ow / 2);
    const threads = runtimeFor(backend).pool.threads;
    const tileUnits = Math.ceil(tiles / WINOGRAD_TILES);
    const columnBlocks = tileUnits >= 2 * threads ? 1 : Math.min(Math.ceil((2 * threads) / tileUnits), Math.ceil(g.co / 8));
    const units = columnBlocks === 1 ? roundUp(tileUnits, threads) : tileUnits;
    const nb = columnBlocks === 1 ? 0 : roundUp(Math.ceil(g.co / columnBlocks), 8);
    const blocks = { mb: Math.min(WINOGRAD_TILES, roundUp(Math.ceil(tiles / units), 6)), kb: 0, nb };
    // 3×3's transforms are written out; 5×5's come from the table.
    const withTable = { ...tensors, transforms: g.kh === 3 ? 0 : winogradTransforms(backend, g.kh) };
    // About R multiply-adds for each of U's values.
    run(backend, "wino_filter", g, withTable, blocks, scratch, flags, positions * g.ci * g.co * g.kh, transformed);
    run(backend, "conv_wino_fwd", g, withTable, blocks, scratch, flags, macs(g), transformed);
    return;
  }
  const packed = g.kh * g.kw * g.ci * roundUp(g.co, 8) * FLOAT;
  if (path === "taps" && g.ci < TAPS_BY_TAP_CHANNELS) {
    // A unit is an output pixel of a block of images: of all of them (up to 96) where the
    // pixels alone give every thread two units or more.
    const pixels = g.oh * g.ow;
    const imageBlocks = Math.max(Math.ceil((2 * runtimeFor(backend).pool.threads) / pixels), Math.ceil(g.n / 96));
    const blocks = { mb: 0, kb: 1024, nb: 0, group: Math.ceil(g.n / imageBlocks) };
    const scratch = roundUp(blocks.group, 6) * blocks.kb * FLOAT + gemmScratch(blocks.kb);
    run(backend, "pack_w", g, tensors, blocks, scratch, flags, macs(g), packed);
    run(backend, "conv_taps_pixels_fwd", g, tensors, blocks, scratch, flags, macs(g), packed);
    return;
  }
  if (path === "taps") {
    // A unit is a block of up to 96 images and of the output channels: all of them on one
    // thread, else split into a block a thread (each unit packs its x afresh; four blocks on
    // two threads were no faster). Its rows of y (shared, after W's panels) in 96s, the
    // reduction in steps of up to 512 channels.
    const threads = runtimeFor(backend).pool.threads;
    const imageBlocks = Math.ceil(g.n / 96);
    const columnBlocks = threads === 1 ? 1 : Math.min(Math.ceil(g.co / 8), Math.ceil(threads / imageBlocks));
    const blocks = { mb: 96, kb: Math.min(512, g.ci), nb: roundUp(Math.ceil(g.co / columnBlocks), 8), group: Math.ceil(g.n / imageBlocks) };
    const scratch = (roundUp(blocks.mb, 6) * blocks.kb + blocks.kb) * FLOAT + gemmScratch(blocks.kb);
    const shared = packed + g.n * g.oh * g.ow * g.co * FLOAT;
    run(backend, "pack_w", g, tensors, blocks, scratch, flags, macs(g), shared);
    run(backend, "conv_taps_fwd", g, tensors, blocks, scratch, flags, macs(g), shared);
    return;
  }
  if (path === "windows") {
    const scratch = (paddedImage(g) + roundUp(g.co, 8)) * FLOAT;
    run(backend, "pack_w", g, tensors, NO_BLOCKS, scratch, flags, macs(g), packed);
    run(backend, "conv_window_fwd", g, tensors, NO_BLOCKS, scratch, flags, macs(g), packed);
    return;
  }
  const m = g.n * g.oh * g.ow;
  if (isDirect(g) && m <= FEW_ROWS) {
    // A linear layer on a few rows reads its weight once: W in place, not a packed copy (VGG's
    // first, 25088 × 4096: 142 → 71 ms at batch 2, one thread), split among the threads by columns.
    const blocks = { mb: roundUp(m, 6), kb: 1024, nb: 0 };
    run(backend, "conv_fwd", g, tensors, blocks, 2 * blocks.mb * blocks.kb * FLOAT + gemmScratch(blocks.kb), flags);
    return;
  }
  // Blocks of up to 96 rows of M, fewer where M is short (ResNet-18's last layers: 288 rows at
  // batch 32, three blocks of 96 for two threads) so that every thread gets as many.
  const mb = Math.min(96, roundUp(Math.ceil(m / (2 * runtimeFor(backend).pool.threads)), 6));
  const blocks = { mb, kb: 1024, nb: 0 };
  const scratch = 2 * blocks.mb * blocks.kb * FLOAT + gemmScratch(blocks.kb);
  run(backend, "pack_w", g, tensors, blocks, scratch, flags, macs(g), packed);
  run(backend, "conv_fwd", g, tensors, blocks, scratch, flags, macs(g), packed);
}

function convBackpropFilter(args: KernelArgs): TensorInfo {
  const k = CONV2D_BACKPROP_FILTER;
  const x = float(args.inputs, "x", k);
  const dy = float(args.inputs, "dy", k);
  const g = convGeometry(k, x.shape, shape4(args.attrs["filterShape"], "filterShape", k), args.attrs["strides"], args.attrs["padding"]);
  if (dy.shape.join() !== [g.n, g.oh, g.ow, g.co].join()) throw new Error(`${k}: dy is [${dy.shape.join(", ")}], the convolution's output [${[g.n, g.oh, g.ow, g.co].join(", ")}]`);
  const backend = args.backend as WasmBackend;
  const dw = backend.makeOutput([g.kh, g.kw, g.ci, g.co], "float32");
  const tensors = { x: address(backend, x), dy: address(backend, dy), out: address(backend, dw) };
  const path = pathOf(g, "filter gradient", args.attrs);
  if (path === "winograd") {
    winogradFilterGradient(backend, g, tensors);
    return dw;
  }
  if (path === "taps") {
    // dy in panels once, its rows in pixel-major order, for every unit (tap, input channels).
    const blocks = { mb: 512, kb: Math.min(TAPS_CHANNELS, g.ci), nb: 0 };
    const scratch = blocks.mb * blocks.kb * FLOAT + gemmScratch(blocks.mb);
    const panels = g.n * g.oh * g.ow * roundUp(g.co, 8) * FLOAT;
    run(backend, "taps_dy_panels", g, tensors, blocks, scratch, 0, g.n * g.oh * g.ow * g.co, panels);
    run(backend, "conv_taps_dw", g, tensors, blocks, scratch, 0, macs(g), panels);
    return dw;
  }
  if (path !== "im2col") {
    // Groups of images, each summed in order into its own dW (CO rounded up to 8), then the
    // groups added in order: the same result on any number of threads, run after run.
    const rows = g.kh * g.kw * g.ci;
    const co8 = roundUp(g.co, 8);
    const perImage = Math.ceil(g.n / DW_GROUPS);
    const groups = Math.ceil(g.n / perImage);
    // Per thread, the plane pass keeps the image and dy transposed to channel rows; the windows, the image and dy in panels.
    const [entry, scratch] = path === "plane" ? (["conv_plane_dw", (planeImage(g) + roundUp(g.co, 2) * g.oh * roundUp(g.ow, 4)) * FLOAT] as const) : (["conv_window_dw", (paddedImage(g) + g.oh * g.ow * co8) * FLOAT] as const);
    const sums = run(backend, entry, g, tensors, { ...NO_BLOCKS, group: perImage }, scratch, 0, macs(g), groups * rows * co8 * FLOAT).shared;
    const heap = backendMemory(backend).buffer;
    const out = new Float32Array(heap, tensors.out, rows * g.co).fill(0);
    for (let group = 0; group < groups; group++) {
      const sum = new Float32Array(heap, sums + group * rows * co8 * FLOAT, rows * co8);
      for (let r = 0; r < rows; r++) {
        for (let c = 0; c < g.co; c++) out[r * g.co + c]! += sum[r * co8 + c]!;
      }
    }
    return dw;
  }
  // Units of up to 288 of dW's rows, as many for every thread: NiN's 1×1 layers of 96 channels
  // were one unit, on one thread (54×54 at batch 32: 34.7 → 20.5 ms on two threads). Each
  // unit packs dy again: 288 rows rather than 96 (A's block, 512 × 288 floats, still in L2)
  // took ResNet-18's stride-2 3×3 layers from 6.6–7.4 to 6.1–6.6 ms, AlexNet's third from 83–92
  // to 69–73.
  const rows = g.kh * g.kw * g.ci;
  const units = roundUp(Math.ceil(rows / 288), runtimeFor(backend).pool.threads);
  const blocks = { mb: 512, kb: roundUp(Math.ceil(rows / units), 6), nb: 0 };
  const scratch = blocks.mb * roundUp(g.co, 8) * FLOAT + blocks.mb * blocks.kb * FLOAT + gemmScratch(blocks.mb);
  run(backend, "conv_dw", g, tensors, blocks, scratch);
  return dw;
}

/**
 * dW by Winograd's 3×3 transforms. A 5×5 kernel's goes as four 3×3 blocks (kernel rows and
 * columns 0–2 and 3–5, the sixth discarded), each the gradient of a 3×3 convolution of x
 * shifted by the block's offset (its padding that much less): 5×5's own transforms were off by
 * up to 8·10⁻⁵ of the largest value (the cancellation in Gᵀ·dU·G), 3×3's stay within 5·10⁻⁶, and
 * the four blocks' 4·16 multiplications per tile are still fewer than a direct product's 100.
 */
function winogradFilterGradient(backend: WasmBackend, g: ConvGeometry, tensors: { x: number; dy: number; out: number }): void {
  if (g.kh === 3) {
    winograd3x3FilterGradient(backend, g, tensors);
    return;
  }
  const slab = g.ci * g.co;
  const block = runtimeFor(backend).filterBlock.get(9 * slab * FLOAT);
  for (let a = 0; a < g.kh; a += 3) {
    for (let b = 0; b < g.kw; b += 3) {
      winograd3x3FilterGradient(backend, { ...g, kh: 3, kw: 3, ph: g.ph - a, pw: g.pw - b }, { ...tensors, out: block });
      // After the run: the memory may have grown.
      const heap = backendMemory(backend).buffer;
      const values = new Float32Array(heap, block, 9 * slab);
      const dw = new Float32Array(heap, tensors.out, g.kh * g.kw * slab);
      for (let i = 0; i < 3 && a + i < g.kh; i++) {
        for (let j = 0; j < 3 && b + j < g.kw; j++) dw.set(values.subarray((i * 3 + j) * slab, (i * 3 + j + 1) * slab), ((a + i) * g.kw + b + j) * slab);
      }
    }
  }
}

/**
 * A 3×3 kernel's dW by Winograd's transforms (see netc-conv.wat): the tiles in chunks whose V
 * and Z take up to WINOGRAD_CHUNK_BYTES, each chunk's 16 products added into dU in order, then
 * dW from dU.
 */
function winograd3x3FilterGradient(backend: WasmBackend, g: ConvGeometry, tensors: { x: number; dy: number; out: number }): void {
  const tiles = g.n * Math.ceil(g.oh / 2) * Math.ceil(g.ow / 2);
  const co8 = roundUp(g.co, 8);
  // An odd count: V's and Z's 16 rows of the chunk's tiles, and Z's panels, then lie an odd
  // number of 32-byte steps apart, not a multiple of 4 KB (whose stores all fell in the same
  // sets of L1: ResNet-18's 64-channel transforms took 5.0 ms on two threads, 2.6 this way).
  const chunk = Math.min(tiles, Math.max(256, Math.floor(WINOGRAD_CHUNK_BYTES / (16 * (g.ci + co8) * FLOAT)))) | 1;
  const shared = 16 * (g.ci * g.co + chunk * (g.ci + co8)) * FLOAT + 32;
  // Per thread: an edge tile's patch of x, or the GEMM's scratch for 256 tiles.
  const scratch = Math.max(16 * g.ci * FLOAT, gemmScratch(256));
  const work = macs(g) / Math.ceil(tiles / chunk);
  for (let first = 0; first < tiles; first += chunk) {
    const blocks = { mb: chunk, kb: first, nb: 0 };
    run(backend, "wino_dw_transform", g, tensors, blocks, scratch, 0, work, shared);
    run(backend, "wino_dw_products", g, tensors, blocks, scratch, 0, work, shared);
  }
  run(backend, "wino_dw_filter", g, tensors, { mb: chunk, kb: 0, nb: 0 }, scratch, 0, 16 * g.ci * g.co, shared);
}

function convBackpropInput(args: KernelArgs): TensorInfo {
  const k = CONV2D_BACKPROP_INPUT;
  const dy = float(args.inputs, "dy", k);
  const filter = float(args.inputs, "filter", k);
  const g = convGeometry(k, shape4(args.attrs["inputShape"], "inputShape", k), filter.shape, args.attrs["strides"], args.attrs["padding"]);
  if (dy.shape.join() !== [g.n, g.oh, g.ow, g.co].join()) throw new Error(`${k}: dy is [${dy.shape.join(", ")}], the convolution's output [${[g.n, g.oh, g.ow, g.co].join(", ")}]`);
  const backend = args.backend as WasmBackend;
  const dx = backend.makeOutput([g.n, g.h, g.w, g.ci], "float32");
  const path = pathOf(g, "input gradient", args.attrs);
  if (path === "scatter") {
    scatteredInputGradient(backend, g, address(backend, dy), address(backend, filter), address(backend, dx));
    return dx;
  }
  if (path === "windows" || path === "winograd" || path === "taps") {
    convolvedInputGradient(backend, g, address(backend, dy), address(backend, filter), address(backend, dx), path);
    return dx;
  }
  const rt = runtimeFor(backend);
  // Columns per block: a block of Wᵀ (CO × nb) stays ~256 KB. Units of a few images each, enough
  // of them for every thread to take several.
  const blocks = { mb: 96, kb: 512, nb: Math.max(8, Math.min(256, Math.floor(65536 / g.co / 8) * 8)), group: Math.max(1, Math.floor(g.n / (4 * rt.pool.threads))) };
  const wtBytes = g.kh * g.kw * g.ci * g.co * FLOAT;
  const whole = wtBytes <= WHOLE_TRANSPOSE_BYTES || !isDirect(g);
  const scratch = (whole ? 0 : g.co * blocks.nb * FLOAT) + blocks.mb * g.co * FLOAT + (isDirect(g) ? 0 : blocks.mb * blocks.nb * FLOAT) + gemmScratch(blocks.kb);
  const tensors = { w: address(backend, filter), dy: address(backend, dy), out: address(backend, dx) };
  if (whole) run(backend, "transpose_w", g, tensors, blocks, scratch, 0, macs(g), wtBytes);
  run(backend, "conv_dx", g, tensors, blocks, scratch, 0, macs(g), whole ? wtBytes : 0);
  return dx;
}

/**
 * At stride 1 the input gradient is a convolution too: of dy, padded by KH−1−ph and KW−1−pw,
 * with the filter flipped in both spatial axes and its channels swapped, W'[kh,kw,co,ci] =
 * W[KH−1−kh, KW−1−kw, ci, co], here as a forward pass whose filter transform or packing reads
 * W' out of W as it goes (FLIPPED_FILTER).
 */
function convolvedInputGradient(backend: WasmBackend, g: ConvGeometry, dy: number, filter: number, dx: number, path: "windows" | "winograd" | "taps"): void {
  convolve(backend, gradientGeometry(g), { x: dy, w: filter, bias: 0, out: dx }, FLIPPED_FILTER, path);
}

/** The geometry of the stride-1 input gradient as a forward pass of dy (see convolvedInputGradient). */
function gradientGeometry(g: ConvGeometry): ConvGeometry {
  return { n: g.n, h: g.oh, w: g.ow, ci: g.co, oh: g.h, ow: g.w, co: g.ci, kh: g.kh, kw: g.kw, sh: 1, sw: 1, ph: g.kh - 1 - g.ph, pw: g.kw - 1 - g.pw };
}

/**
 * dx for kernel rows of KW·CI ≤ 32 floats (conv_scatter_dx): W [KH, KW, CI, CO] packed as
 * Wᵗ[kh][co] = the KW·CI floats W[kh, ·, ·, co], zeros after them to 32.
 */
function scatteredInputGradient(backend: WasmBackend, g: ConvGeometry, dy: number, filter: number, dx: number): void {
  const row = g.kw * g.ci;
  const at = runtimeFor(backend).scatterFilter.get(g.kh * g.co * SCATTER_ROW * FLOAT);
  const heap = backendMemory(backend).buffer;
  const packed = new Float32Array(heap, at, g.kh * g.co * SCATTER_ROW).fill(0);
  const w = new Float32Array(heap, filter, g.kh * row * g.co);
  for (let kh = 0; kh < g.kh; kh++) {
    for (let k = 0; k < row; k++) {
      for (let co = 0; co < g.co; co++) packed[(kh * g.co + co) * SCATTER_ROW + k] = w[(kh * row + k) * g.co + co]!;
    }
  }
  const image = ((g.h + 2 * g.ph) * (g.w + 2 * g.pw) * g.ci + SCATTER_ROW) * FLOAT;
  run(backend, "conv_scatter_dx", g, { w: at, dy, out: dx }, NO_BLOCKS, image);
}

function maxPoolBackward(args: KernelArgs): TensorInfo {
  const k = MAX_POOL_BACKWARD;
  const dy = float(args.inputs, "dy", k);
  const x = float(args.inputs, "x", k);
  const [kh, kw] = pair(args.attrs["filterSize"], "filterSize", k, 1);
  const [c] = x.shape.slice(-1);
  // As a convolution's geometry with CI = CO = C (the filter's shape only carries the window).
  const g = convGeometry(k, x.shape, [kh, kw, c!, c!], args.attrs["strides"], args.attrs["padding"]);
  if (g.ph * 2 > kh || g.pw * 2 > kw) throw new Error(`${k}: padding ${g.ph}×${g.pw} is more than half the window ${kh}×${kw}`);
  if (dy.shape.join() !== [g.n, g.oh, g.ow, g.co].join()) throw new Error(`${k}: dy is [${dy.shape.join(", ")}], the pooling's output [${[g.n, g.oh, g.ow, g.co].join(", ")}]`);
  const backend = args.backend as WasmBackend;
  const dx = backend.makeOutput([...x.shape], "float32");
  const comparisons = g.n * g.oh * g.ow * kh * kw * g.ci;
  // Per thread: an image's winners, a tap index for each of its outputs.
  run(backend, "maxpool_bwd", g, { x: address(backend, x), dy: address(backend, dy), out: address(backend, dx) }, NO_BLOCKS, g.oh * g.ow * g.co * FLOAT, 0, comparisons);
  return dx;
}

/** [M, C] views of a tensor (NHWC: M = N·H·W), as the channel kernels' geometry. */
function rowsOf(t: TensorInfo): ConvGeometry {
  const c = t.shape.at(-1) ?? 1;
  const m = t.shape.reduce((a, b) => a * b, 1) / c;
  return { n: m, h: 1, w: 1, ci: c, oh: 1, ow: 1, co: c, kh: 1, kw: 1, sh: 1, sw: 1, ph: 0, pw: 0 };
}

/** Per-channel sums, or (moments) the mean and the biased variance from shifted sums. */
function channelSums(args: KernelArgs, moments: boolean): TensorInfo | TensorInfo[] {
  const k = moments ? MOMENTS : CHANNEL_SUMS;
  const x = float(args.inputs, "x", k);
  const backend = args.backend as WasmBackend;
  const g = rowsOf(x);
  if (g.n < 1) throw new Error(`${k}: x is empty`);
  const c = g.ci;
  const { scratches } = run(backend, "channel_sums", g, { x: address(backend, x) }, { mb: 0, kb: 0, nb: 0 }, c * 24 + 256, moments ? 1 : 0, g.n * c, 0, c * 16);
  // The threads' f64 totals: D1 [C] then D2 [C] in each one's scratch.
  const buffer = backendMemory(backend).buffer;
  const s1 = new Float64Array(c);
  const s2 = new Float64Array(c);
  for (const at of scratches) {
    const d = new Float64Array(buffer, at, 2 * c);
    for (let i = 0; i < c; i++) {
      s1[i]! += d[i]!;
      s2[i]! += d[c + i]!;
    }
  }
  // With eps, moments also gives 1/√(variance + eps), rounded as tfjs's rsqrt(add(variance, eps)).
  const eps = moments ? args.attrs["eps"] : undefined;
  if (eps !== undefined && (typeof eps !== "number" || !(eps >= 0))) throw new Error(`${k}: eps must be a number ≥ 0, got ${String(eps)}`);
  const outputs = moments ? (eps === undefined ? 2 : 3) : 1;
  const outs = Array.from({ length: outputs }, () => backend.makeOutput([c], "float32"));
  const heap = backendMemory(backend).buffer;
  const values = outs.map((t) => new Float32Array(heap, address(backend, t), c));
  if (!moments) {
    values[0]!.set(s1);
    return outs[0]!;
  }
  const shift = new Float32Array(heap, address(backend, x), c);
  const f = Math.fround;
  for (let i = 0; i < c; i++) {
    const d = s1[i]! / g.n;
    values[0]![i] = shift[i]! + d;
    values[1]![i] = Math.max(0, s2[i]! / g.n - d * d);
    if (eps !== undefined) values[2]![i] = 1 / f(Math.sqrt(f(values[1]![i]! + f(eps))));
  }
  return outs;
}

/** The parts' addresses and channel counts, as concat_channels reads them, in scratch. */
function partsList(backend: WasmBackend, parts: readonly TensorInfo[]): number {
  const at = runtimeFor(backend).parts.get(parts.length * 8);
  const words = new Int32Array(backendMemory(backend).buffer, at, parts.length * 2);
  parts.forEach((p, i) => {
    words[2 * i] = address(backend, p);
    words[2 * i + 1] = p.shape.at(-1) ?? 1;
  });
  return at;
}

function concat(args: KernelArgs): TensorInfo {
  const k = CONCAT;
  const parts = Object.keys(args.inputs)
    .sort((a, b) => Number(a.slice(1)) - Number(b.slice(1)))
    .map((name) => float(args.inputs, name, k));
  if (parts.length === 0) throw new Error(`${k}: no inputs`);
  const rows = parts[0]!.shape.slice(0, -1);
  if (parts.some((p) => p.shape.slice(0, -1).join() !== rows.join())) throw new Error(`${k}: the parts differ in more than their last axis: ${parts.map((p) => `[${p.shape.join(", ")}]`).join(", ")}`);
  const c = parts.reduce((sum, p) => sum + (p.shape.at(-1) ?? 1), 0);
  const backend = args.backend as WasmBackend;
  const y = backend.makeOutput([...rows, c], "float32");
  const g = rowsOf(y);
  run(backend, "concat_channels", { ...g, kh: parts.length }, { x: partsList(backend, parts), out: address(backend, y) }, { mb: 0, kb: 0, nb: 0 }, 0, 0, g.n * c);
  return y;
}

function split(args: KernelArgs): TensorInfo[] {
  const k = SPLIT;
  const x = float(args.inputs, "x", k);
  const sizes = args.attrs["sizes"] as unknown;
  const c = x.shape.at(-1) ?? 1;
  const valid = (v: unknown): v is number[] => Array.isArray(v) && v.every((n) => Number.isInteger(n) && n >= 1) && v.reduce((a: number, b: number) => a + b, 0) === c;
  if (!valid(sizes)) throw new Error(`${k}: sizes must be whole numbers ≥ 1 adding up to ${c}, got ${JSON.stringify(sizes)}`);
  const backend = args.backend as WasmBackend;
  const parts = sizes.map((n) => backend.makeOutput([...x.shape.slice(0, -1), n], "float32"));
  const g = rowsOf(x);
  run(backend, "concat_channels", { ...g, kh: parts.length }, { x: partsList(backend, parts), out: address(backend, x) }, { mb: 0, kb: 0, nb: 0 }, 0, 1, g.n * c);
  return parts;
}
