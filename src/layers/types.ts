import type { Tensor } from "@tensorflow/tfjs";
import type { DiagnosticCode } from "../diagnostics.js";

/** Codes of the shape mistakes a layer's rule can report. */
export type ShapeCode = Extract<DiagnosticCode, `NET1${string}`>;

/**
 * What a registry entry states about a layer kind. Everything that knows about one kind — its
 * syntax, shape rule, parameter and cost counts, and lowering — lives in that kind's entry, and
 * the parser, checker, shape table, hover and docs all read the same entry.
 */

/** A per-example shape, batch excluded: `[C, H, W]` for images, `[F]` for feature vectors. */
export type Shape = readonly number[];

export type ArgValue = number | readonly number[] | boolean | string;
export type ArgValues = Readonly<Record<string, ArgValue | undefined>>;

export interface ArgSpec {
  /** The long key, as in `kernel=5`. */
  name: string;
  /** One letter for the short form: `k5`, `k3x5`, or `k=5`. */
  short?: string;
  /**
   * `int`/`float`: a number; `size`: a number or `HxW` (stored as [h, w]); `flag`: a bare word
   * (`nobias`); `bool`: `key=true` or `key=false`, the bare key meaning true (`affine`);
   * `choice`: one of `choices`, written bare (`scratch`) or as `key=value`;
   * `value`: a number or dims, checked where it is used (block parameters); `floats`: numbers
   * separated by commas (`betas=0.9,0.999`), stored as a list.
   */
  type: "int" | "float" | "size" | "flag" | "bool" | "choice" | "value" | "floats";
  choices?: readonly string[];
  /** Words a number argument also takes in place of a number, stored as written (`momentum=none`). */
  words?: readonly string[];
  /** Taken from positional arguments, in declaration order. */
  positional?: boolean;
  required?: boolean;
  /** Shown in docs; the shape rule applies it. */
  default?: string;
  /** Smallest allowed value (numbers and each size component). */
  min?: number;
  /** Largest allowed value. */
  max?: number;
  /** Whether `min` itself is excluded (a dropout probability may be 0, a learning rate may not). */
  exclusiveMin?: boolean;
  /** Whether `max` itself is excluded (a momentum must stay below 1). */
  exclusiveMax?: boolean;
  /** `floats`: how many numbers the list has. */
  count?: number;
  doc: string;
}

/** A shape mistake found by a rule; the checker locates it at the layer. */
export interface ShapeProblem {
  code: ShapeCode;
  problem: string;
  hints?: string[];
  /**
   * The shape checking goes on with, when one is plausible (e.g. `linear` without `flatten` as if
   * flattened), so that later, independent mistakes are reported too.
   */
  continueWith?: Shape;
}

export type ShapeResult = Shape | ShapeProblem;

export function isProblem(result: ShapeResult): result is ShapeProblem {
  return !Array.isArray(result);
}

export interface Counts {
  /** Learnable parameters (PyTorch's `parameters()`). */
  trainable: number;
  /** Non-trainable state, e.g. BN moving statistics (PyTorch's buffers). */
  state: number;
}

/** Context from the command line that changes how a layer is built. */
export interface BuildOptions {
  /** The batch-norm implementation a `bn` without `scratch`/`builtin` uses. */
  bn: "scratch" | "builtin";
}

/** TensorFlow.js, passed in by the runtime: layer files only import its types, so the front end never loads it. */
export type Tf = typeof import("@tensorflow/tfjs");

/** A parameter or state tensor a layer owns, in the layout the lowering uses (NHWC kernels). */
export interface ParamSpec {
  name: string;
  shape: number[];
  /** Uniform in [−bound, bound], a constant, or an identity matrix in the last two axes. */
  init: { uniform: number } | { constant: number } | { identity: true };
  /** Learned by SGD (PyTorch parameter) or updated by the forward pass (PyTorch buffer). */
  trainable: boolean;
}

export interface LowerContext {
  tf: Tf;
  /** Training mode: batch statistics and dropout; otherwise inference mode. */
  training: boolean;
  /** The batch-norm implementation for `bn` layers that do not name one. */
  bn: BuildOptions["bn"];
  /** A fresh seed for a random op (dropout masks), from the run's seeded sequence. */
  nextSeed(): number;
  /**
   * Whether the project's own kernels may replace tfjs ops where the backend has them (an
   * optimization: off in the plain reference graph, and wherever tfjs must differentiate).
   */
  kernels: boolean;
}

/** Whether the project's kernel `name` may run: the context allows it and the backend has it. */
export function canUseKernel({ tf, kernels }: LowerContext, name: string): boolean {
  return kernels && tf.getKernel(name, tf.getBackend()) !== undefined;
}

/** What a layer's forward pass returns. */
export interface ForwardResult {
  y: Tensor;
  /** Tensors the backward pass needs (e.g. BN's normalized input). */
  saved?: Tensor[];
  /** New values of the layer's state (e.g. BN moving statistics), in training mode. */
  state?: Record<string, Tensor>;
}

export interface BackwardResult {
  /** Gradient with respect to the input; omitted when not asked for (the first layer). */
  dx?: Tensor;
  /** Gradient of each trainable parameter, by name. */
  grads: Record<string, Tensor>;
}

/**
 * How a layer runs. Tensors are NHWC (tfjs's kernels want it); shapes passed in are the
 * registry's per-example C×H×W or F.
 */
export interface Lowering {
  params?(input: Shape, output: Shape, args: ArgValues): ParamSpec[];
  forward(ctx: LowerContext, x: Tensor, params: Readonly<Record<string, Tensor>>, args: ArgValues): ForwardResult;
  /**
   * The explicit gradient. Without one, the graph differentiates `forward` with `tf.grads`,
   * which is also the reference the explicit ones are tested against.
   */
  backward?(ctx: LowerContext, dy: Tensor, x: Tensor, forward: ForwardResult, params: Readonly<Record<string, Tensor>>, args: ArgValues, needDx: boolean): BackwardResult;

  /**
   * Elements per example that a training step holds for this layer until the step ends (its
   * output, what it saves for backward, and what its backward makes), for the memory check
   * before training (src/train/memory.ts, which calibrates them). `fused`: it runs as its
   * `fuse` lowering, holding the layers it absorbs too. Default: input + output (y and dx).
   */
  trainingElements?(input: Shape, output: Shape, args: ArgValues, how: { fused: boolean; bn: BuildOptions["bn"] }): number;

  // Facts the compiler passes (src/train/passes.ts) use to fuse layers:

  /**
   * An affine layer, y = x ⊛ weight + bias, with output channels on the weight's last axis:
   * runs with given (e.g. BN-folded) weights and a fused activation.
   */
  affine?(ctx: LowerContext, x: Tensor, weight: Tensor, bias: Tensor, args: ArgValues, activation: "linear" | "relu" | "sigmoid"): Tensor;
  /** A normalization that, in inference mode, is a per-channel y = scale·x + shift. */
  inferenceScaleShift?(ctx: LowerContext, params: Readonly<Record<string, Tensor>>, args: ArgValues): { scale: Tensor; shift: Tensor };
  /** Whether, with these arguments, inference is that scale and shift (default: yes; not with batch statistics at inference). */
  inferenceIsScaleShift?(args: ArgValues): boolean;
  /** The element-wise function an activation layer applies. */
  activation?: Activation;
  /** Whether this layer is a 2×2 average pooling with stride 2 and no padding. */
  isAveragePool2?(args: ArgValues): boolean;
  /**
   * This layer followed by an activation and optionally a 2×2 average pooling, as one lowering
   * (the project's own kernels); undefined where that is not available.
   */
  fuse?(ctx: LowerContext, args: ArgValues, following: { activation?: { name: Activation; apply(x: Tensor): Tensor }; pool2: boolean }): Lowering | undefined;
}

export type Activation = "sigmoid" | "relu" | "tanh";

// What the export back ends (src/export/) need from a layer kind. PyTorch and ONNX are both
// channels-first: tensors NCHW, conv weights OIHW, linear weights out×in.

/** What a layer's `torch.module` is given: its arguments as Python source, and its input. */
export interface TorchContext {
  /**
   * An argument as Python source: a literal (`5`, `(3, 5)`, `1e-05`) or, inside a block's class,
   * the name of the block parameter that gives it; undefined when the argument was not written.
   */
  arg(name: string): string | undefined;
  /** The argument values of this use (flags and choices are always literal). */
  args: ArgValues;
  /** The input's channels (C of C×H×W, or its features when flat), as Python source. */
  channels: string;
  input: Shape;
  options: BuildOptions;
}

/** How one netc parameter appears in PyTorch's state dict. */
export interface TorchParam {
  /** The attribute name in PyTorch's module (`weight`, `running_mean`). */
  name: string;
  /** netc's axes in PyTorch's order: conv HWIO → OIHW is [3, 2, 0, 1]. */
  permute?: readonly number[];
  /** PyTorch's shape where it is more than the permuted one (the seed's BatchNorm keeps 1×C×1×1). */
  shape?: readonly number[];
  /**
   * The axis, in netc's layout, that runs over the input's features: after a `flatten`, netc's
   * features are in H,W,C order and PyTorch's in C,H,W, so the export reorders this axis.
   */
  featureAxis?: number;
  /** A count PyTorch keeps as an int64 (`num_batches_tracked` with `momentum=None`) and netc as a float. */
  integer?: boolean;
}

export interface TorchExport {
  /** The module as a Python expression, e.g. `nn.Conv2d(1, 6, kernel_size=5)`. */
  module(ctx: TorchContext): string;
  /** The argument that gives the output's channels (features); without one, they follow the input's. */
  channelsArg?: string;
  /** Python definitions the module needs (e.g. the seed's `BatchNorm` class), written once into model.py. */
  definitions?(args: ArgValues, options: BuildOptions): string[];
  /** Each parameter's name and layout in PyTorch, by netc name (default: same name, same layout). */
  params?(args: ArgValues, input: Shape, options: BuildOptions): Readonly<Record<string, TorchParam>>;
  /** Integer state PyTorch keeps and netc has no use for (BatchNorm's `num_batches_tracked`): exported as 0, ignored on import. */
  counters?(args: ArgValues, options: BuildOptions): readonly string[];
  /** Element-wise or per-feature: the order of flat features passes through unchanged. */
  keepsFeatureOrder?: boolean;
  /** Flattens C×H×W into features (H,W,C order in netc, C,H,W in PyTorch). */
  flattens?: boolean;
}

/** An ONNX attribute: a number is an INT, an array INTS, `{ float }` a FLOAT, a string a STRING. */
export type OnnxAttribute = number | readonly number[] | { float: number } | string;

/** The ONNX graph a layer adds its nodes to. */
export interface OnnxGraph {
  /** The layer's parameter as an initializer in PyTorch's layout (`dims` to reshape it); returns its name. */
  weight(name: string, dims?: readonly number[]): string;
  /** A float32 constant named after the layer (`eps`), of shape `dims` (default: a vector of the values). */
  floats(name: string, values: readonly number[], dims?: readonly number[]): string;
  /** An int64 vector constant, e.g. the shape a Reshape takes. */
  ints(name: string, values: readonly number[]): string;
  /** Adds a node with one output; returns the output's name. */
  node(op: string, inputs: readonly string[], attributes?: Readonly<Record<string, OnnxAttribute>>): string;
}

export interface OnnxExport {
  /** Adds the layer's nodes, in inference mode, on input `x`; returns the output's name. */
  emit(graph: OnnxGraph, x: string, args: ArgValues, input: Shape): string;
}

interface SpecBase {
  name: string;
  aliases?: readonly string[];
  /** One line, for hover and the language reference. */
  summary: string;
  args: readonly ArgSpec[];
  /** An example use, shown in hints when an argument is missing. */
  example: string;
}

export interface LayerSpec extends SpecBase {
  kind: "layer";
  /** The PyTorch class this corresponds to, for `--style torch`. */
  torchName(args: ArgValues, input: Shape, options: BuildOptions): string;
  outputShape(input: Shape, args: ArgValues): ShapeResult;
  counts(input: Shape, output: Shape, args: ArgValues): Counts;
  /** Multiply-adds for one example, counted as torchinfo does. */
  macs(input: Shape, output: Shape, args: ArgValues): number;
  /** Whether this layer adds a per-channel bias (cancelled by a `bn` right after it). */
  hasBias?(args: ArgValues): boolean;
  /** Whether this layer subtracts the per-channel mean of its input. */
  subtractsMean?: boolean;
  lower: Lowering;
  /** The PyTorch export; a kind without one cannot be exported (the exporters say so, located). */
  torch?: TorchExport;
  /** The ONNX export, in PyTorch's layout; likewise optional. */
  onnx?: OnnxExport;
}

/** A layer that combines the outputs of two or more `{ ... }` branches. */
export interface MergeSpec extends SpecBase {
  kind: "merge";
  torchName: string;
  outputShape(inputs: readonly Shape[]): ShapeResult;
  /** Combines the branches' outputs (NHWC). */
  merge(ctx: LowerContext, ys: readonly Tensor[]): Tensor;
  /** The gradient for each branch's output. */
  split(ctx: LowerContext, dy: Tensor, ys: readonly Tensor[]): Tensor[];
  torch?: {
    /** The Python class (among `definitions`) that takes the branches' modules, e.g. `Add`. */
    className: string;
    definitions: string[];
    /** The output's channels: the branches' summed (concatenation) or their common count. */
    channels: "sum" | "same";
  };
  onnx?: { emit(graph: OnnxGraph, branches: readonly string[]): string };
}

export type Spec = LayerSpec | MergeSpec;

export function numberArg(args: ArgValues, name: string): number {
  const v = args[name];
  if (typeof v !== "number") throw new Error(`internal: argument ${name} is not a number`);
  return v;
}

/** A `size` argument as [h, w]; a plain number means a square. */
export function sizeArg(args: ArgValues, name: string, fallback?: readonly [number, number]): readonly [number, number] {
  const v = args[name];
  if (typeof v === "number") return [v, v];
  if (Array.isArray(v)) return [v[0], v[1]];
  if (fallback) return fallback;
  throw new Error(`internal: argument ${name} is not a size`);
}

export function product(shape: Shape): number {
  return shape.reduce((a, b) => a * b, 1);
}

/** A Python call, e.g. `nn.Conv2d(1, 6, kernel_size=5)`; keywords whose value is undefined are left out. */
export function pyCall(callee: string, positional: readonly string[], keywords: Readonly<Record<string, string | undefined>> = {}): string {
  const named = Object.entries(keywords).flatMap(([k, v]) => (v === undefined ? [] : [`${k}=${v}`]));
  return `${callee}(${[...positional, ...named].join(", ")})`;
}

/** A number as Python source, without binary noise (1 − 0.9 is written 0.1). JavaScript's forms are Python's too. */
export function pyNumber(n: number): string {
  return String(Number(n.toPrecision(12)));
}

export function formatShape(shape: Shape): string {
  return shape.join("×");
}
