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
   * (`nobias`); `choice`: one of `choices`, written bare (`scratch`) or as `key=value`;
   * `value`: a number or dims, checked where it is used (block parameters).
   */
  type: "int" | "float" | "size" | "flag" | "choice" | "value";
  choices?: readonly string[];
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
  /** Uniform in [−bound, bound], or a constant. */
  init: { uniform: number } | { constant: number };
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
}

/** A layer that combines the outputs of two or more `{ ... }` branches. */
export interface MergeSpec extends SpecBase {
  kind: "merge";
  torchName: string;
  outputShape(inputs: readonly Shape[]): ShapeResult;
  /** Combines the branches' outputs (NHWC). */
  merge(tf: Tf, ys: readonly Tensor[]): Tensor;
  /** The gradient for each branch's output. */
  split(tf: Tf, dy: Tensor, ys: readonly Tensor[]): Tensor[];
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

export function formatShape(shape: Shape): string {
  return shape.join("×");
}
