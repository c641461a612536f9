import type { Tensor } from "@tensorflow/tfjs";
import { product, pyNumber, type ArgSpec, type BackwardResult, type ForwardResult, type OnnxGraph, type ParamSpec, type Shape, type ShapeProblem, type Tf, type TorchContext, type TorchParam } from "./types.js";

/**
 * What the normalization layers share. The per-example ones (`layernorm`, `groupnorm`,
 * `instancenorm`) split the channels into G groups and standardize each example's values in a
 * group together: G = 1 is layer normalization, G = C instance normalization.
 */

export const EPS_ARG: ArgSpec = { name: "eps", type: "float", min: 0, exclusiveMin: true, default: "1e-5", doc: "added to the variance before the square root" };

export function epsOf(args: Readonly<Record<string, unknown>>): number {
  return (args["eps"] as number | undefined) ?? 1e-5;
}

/** The learned scale γ (ones) and shift β (zeros): per channel, or per element for layernorm. */
export function affineParams(shape: number[]): ParamSpec[] {
  return [
    { name: "gamma", shape, init: { constant: 1 }, trainable: true },
    { name: "beta", shape, init: { constant: 0 }, trainable: true },
  ];
}

/** The per-channel moving mean (zeros) and variance (ones) that inference normalizes with. */
export function movingStatistics(channels: number): ParamSpec[] {
  return [
    { name: "moving_mean", shape: [channels], init: { constant: 0 }, trainable: false },
    { name: "moving_var", shape: [channels], init: { constant: 1 }, trainable: false },
  ];
}

/** moving = momentum·moving + (1 − momentum)·batch: the d2l convention, where PyTorch's momentum is 1 − this one. */
export function movingAverage(tf: Tf, momentum: number, moving: Tensor, batch: Tensor): Tensor {
  return tf.add(tf.mul(momentum, moving), tf.mul(1 - momentum, batch));
}

/** The shape problem of G groups that do not split C channels evenly, with the G that would. */
export function unevenGroups(layer: string, channels: number, groups: number): ShapeProblem | undefined {
  if (channels % groups === 0) return undefined;
  const divisors = divisorsOf(channels);
  return {
    code: "NET108",
    problem: `\`${layer}\` splits the ${channels} channels into ${groups} groups, but ${groups} does not divide ${channels}`,
    hints: [`choose a number of groups that divides ${channels}${divisors ? `: ${divisors}` : ""}`],
  };
}

/** The divisors of n for a hint, in order (at most 16 named), or undefined when n is too large to list them quickly. */
function divisorsOf(n: number): string | undefined {
  // Trial division up to √n: a million steps at most (any count of channels a model can train).
  if (n > 2 ** 40) return undefined;
  const small: number[] = [];
  const large: number[] = [];
  for (let d = 1; d * d <= n; d++) {
    if (n % d !== 0) continue;
    small.push(d);
    if (d * d !== n) large.unshift(n / d);
  }
  const all = [...small, ...large];
  return all.length <= 16 ? all.join(", ") : `${all.slice(0, 8).join(", ")}, …, ${all.slice(-8).join(", ")}`;
}

/** x (N×H×W×C or N×C) as N×…×G×C/G, and the axes of one group's statistics: all but N and G. */
function grouped(x: Tensor, groups: number): { shape: number[]; axes: number[] } {
  const shape = [...x.shape.slice(0, -1), groups, x.shape.at(-1)! / groups];
  const groupAxis = shape.length - 2;
  return { shape, axes: shape.map((_, i) => i).filter((i) => i !== 0 && i !== groupAxis) };
}

/**
 * x̂ = (x − μ)·s per example and group, with μ and σ² the mean and biased variance of the group's
 * values and s = 1/√(σ² + ε). x̂ has x's shape; μ, σ² and s keep the grouped shape with size-1
 * axes (N×1×1×G×1 for an image), one value per example and group.
 */
function standardizeGroups(tf: Tf, x: Tensor, groups: number, eps: number): { xHat: Tensor; mean: Tensor; variance: Tensor; invStd: Tensor } {
  const { shape, axes } = grouped(x, groups);
  const g = tf.reshape(x, shape);
  const mean = tf.mean(g, axes, true);
  const centered = tf.sub(g, mean);
  const variance = tf.mean(tf.square(centered), axes, true);
  const invStd = tf.rsqrt(tf.add(variance, eps));
  return { xHat: tf.reshape(tf.mul(centered, invStd), x.shape), mean, variance, invStd };
}

/**
 * The gradient of `standardizeGroups`, given dx̂: over the m values of each group,
 *   dx = (s/m)·(m·dx̂ − Σ dx̂ − x̂·Σ dx̂·x̂)
 * (μ and σ² depend on every value of the group, which gives the two subtracted sums).
 */
function standardizeGroupsBackward(tf: Tf, dxHat: Tensor, xHat: Tensor, invStd: Tensor, groups: number): Tensor {
  const { shape, axes } = grouped(dxHat, groups);
  const m = axes.reduce((n, a) => n * shape[a]!, 1);
  const [dg, xg] = [tf.reshape(dxHat, shape), tf.reshape(xHat, shape)];
  const sum = tf.sum(dg, axes, true);
  const dot = tf.sum(tf.mul(dg, xg), axes, true);
  return tf.reshape(tf.mul(tf.div(invStd, m), tf.sub(tf.sub(tf.mul(dg, m), sum), tf.mul(xg, dot))), dxHat.shape);
}

/**
 * The forward of a per-example normalization: standardized in G groups, then y = γ·x̂ + β where
 * the layer has γ and β (covering x̂'s trailing axes: per channel, or per element for layernorm).
 * Also returns the statistics, for a layer that tracks them.
 */
export function normalizeForward(tf: Tf, x: Tensor, p: Readonly<Record<string, Tensor>>, groups: number, eps: number): ForwardResult & { mean: Tensor; variance: Tensor } {
  const { xHat, invStd, mean, variance } = standardizeGroups(tf, x, groups, eps);
  const y = p["gamma"] ? tf.add(tf.mul(p["gamma"], xHat), p["beta"]!) : xHat;
  return { y, saved: [xHat, invStd], mean, variance };
}

/** Its gradient: dγ = Σ dy·x̂ and dβ = Σ dy over the axes γ does not cover, and dx̂ = γ·dy into `standardizeGroupsBackward`. */
export function normalizeBackward(tf: Tf, dy: Tensor, { saved }: ForwardResult, p: Readonly<Record<string, Tensor>>, groups: number, needDx: boolean): BackwardResult {
  const [xHat, invStd] = saved!;
  const gamma = p["gamma"];
  const axes = gamma ? Array.from({ length: dy.rank - gamma.rank }, (_, i) => i) : [];
  const grads: Record<string, Tensor> = gamma ? { gamma: tf.sum(tf.mul(dy, xHat!), axes), beta: tf.sum(dy, axes) } : {};
  if (!needDx) return { grads };
  return { dx: standardizeGroupsBackward(tf, gamma ? tf.mul(dy, gamma) : dy, xHat!, invStd!, groups), grads };
}

/**
 * Elements per example a training step holds for `normalizeForward` and its backward (memory.ts),
 * in tensors of the input's size: centred, squared, x̂ (and γ·x̂, y) forward; dy·x̂, γ·dy and six
 * more to dx backward, and the copies the grouped reshapes make. Measured on wasm
 * (scripts/bench-memory.mjs, a 32×28×28 input at batch 128): 18 with γ and β, 14 without.
 */
export function normalizeTrainingElements(input: Shape, affine: boolean): number {
  return (affine ? 19 : 15) * product(input);
}

// What their exports share (src/export/).

/** PyTorch's names for a normalization module's γ, β and moving statistics, by netc's. */
export const TORCH_NAMES: Readonly<Record<string, string>> = { gamma: "weight", beta: "bias", moving_mean: "running_mean", moving_var: "running_var" };

/** Those names as a layer's `torch.params`, each over the input's features (`featureAxis`) where it may follow a `flatten`. */
export function torchParams(featureAxis?: number): Record<string, TorchParam> {
  return Object.fromEntries(Object.entries(TORCH_NAMES).map(([ours, theirs]) => [ours, { name: theirs, featureAxis }]));
}

/** netc's momentum as PyTorch's, which weighs the new batch instead (netc's 0.9 is PyTorch's 0.1), as Python source; `none` is `None`. */
export function torchMomentum({ arg, args }: TorchContext): string | undefined {
  const momentum = arg("momentum");
  const value = args["momentum"];
  if (momentum === undefined) return undefined;
  if (value === "none") return "None";
  return typeof value === "number" && momentum === pyNumber(value) ? pyNumber(1 - value) : `1 - ${momentum}`;
}

/** The shape per-channel γ and β take in ONNX to broadcast over N×C×H×W (C×1×1) or N×C (C). */
export function channelDims(input: Shape): number[] {
  return input.length === 3 ? [input[0]!, 1, 1] : [input[0]!];
}

/**
 * x standardized over `axes`: (x − mean)/√(variance + ε) with the biased variance, as netc
 * computes it. ONNX has LayerNormalization only from opset 17 and GroupNormalization from 18
 * (with a per-group scale until 21), so the layers build them from these nodes at opset 13.
 */
export function onnxStandardize(graph: OnnxGraph, x: string, axes: readonly number[], eps: number): string {
  const mean = graph.node("ReduceMean", [x], { axes });
  const centred = graph.node("Sub", [x, mean]);
  const variance = graph.node("ReduceMean", [graph.node("Mul", [centred, centred])], { axes });
  return graph.node("Div", [centred, graph.node("Sqrt", [graph.node("Add", [variance, graph.floats("eps", [eps], [])])])]);
}

/** γ·x + β, with the layer's γ and β shaped `dims` to broadcast. */
export function onnxAffine(graph: OnnxGraph, x: string, dims?: readonly number[]): string {
  return graph.node("Add", [graph.node("Mul", [x, graph.weight("gamma", dims)]), graph.weight("beta", dims)]);
}

/** The per-channel scale and shift an ONNX normalization operator takes: γ and β, or 1 and 0 for a layer without them. */
export function onnxScaleShift(graph: OnnxGraph, affine: boolean, channels: number): [string, string] {
  if (affine) return [graph.weight("gamma", [channels]), graph.weight("beta", [channels])];
  return [graph.floats("ones", new Array<number>(channels).fill(1)), graph.floats("zeros", new Array<number>(channels).fill(0))];
}

/** Inference with per-channel moving statistics, (x − mean)/√(var + ε) then scale and shift: ONNX's BatchNormalization. */
export function onnxMovingStatistics(graph: OnnxGraph, x: string, affine: boolean, channels: number, eps: number): string {
  const statistics = ["moving_mean", "moving_var"].map((name) => graph.weight(name, [channels]));
  return graph.node("BatchNormalization", [x, ...onnxScaleShift(graph, affine, channels), ...statistics], { epsilon: { float: eps } });
}
