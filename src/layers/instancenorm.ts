import type { Tensor } from "@tensorflow/tfjs";
import { affineParams, EPS_ARG, epsOf, movingAverage, movingStatistics, normalizeBackward, normalizeForward, normalizeTrainingElements, onnxMovingStatistics, onnxScaleShift, torchMomentum, torchParams } from "./normalize.js";
import { formatShape, pyCall, type ArgValues, type LayerSpec } from "./types.js";
import { needsImage } from "./window.js";

/**
 * Instance normalization (PyTorch's `nn.InstanceNorm2d`): each channel of each example is
 * standardized over its H×W values. With `track`, training also keeps moving statistics, as
 * PyTorch does: the batch's average of the per-example means and of the per-example unbiased
 * variances, and inference normalizes with those.
 */

function options(args: ArgValues) {
  return { eps: epsOf(args), affine: args["affine"] === true, track: args["track"] === true, momentum: (args["momentum"] as number | undefined) ?? 0.9 };
}

export const instancenorm: LayerSpec = {
  kind: "layer",
  name: "instancenorm",
  summary: "instance normalization: each channel of each example standardized over its H×W values (PyTorch `nn.InstanceNorm2d`)",
  example: "instancenorm affine",
  args: [
    EPS_ARG,
    { name: "affine", type: "bool", default: "false", doc: "learn a per-channel scale γ and shift β (PyTorch's `affine=True`)" },
    { name: "track", type: "bool", default: "false", doc: "keep moving statistics in training and normalize with them at inference (PyTorch's `track_running_stats=True`)" },
    {
      name: "momentum",
      type: "float",
      min: 0,
      max: 1,
      default: "0.9",
      doc: "with `track`: moving = momentum·moving + (1−momentum)·batch, as `bn` (PyTorch's `momentum=0.1` means 0.9 here)",
    },
  ],
  torchName: () => "InstanceNorm2d",
  outputShape(input) {
    const notImage = needsImage("instancenorm", input);
    if (notImage) return { ...notImage, continueWith: input };
    if (input[1]! * input[2]! === 1) {
      return {
        code: "NET109",
        problem: `\`instancenorm\` standardizes each channel over its H×W values, but gets ${formatShape(input)}: one value, which standardizes to 0`,
        hints: ["move it before the layer that shrinks the image to 1×1, or use `bn`, which normalizes over the batch"],
        continueWith: input,
      };
    }
    return input;
  },
  counts(input, _output, args) {
    const { affine, track } = options(args);
    // PyTorch's num_batches_tracked is not counted: with a fixed momentum nothing reads it.
    return { trainable: affine ? 2 * input[0]! : 0, state: track ? 2 * input[0]! : 0 };
  },
  // As torchinfo counts a module's weight and bias.
  macs: (input, _output, args) => (options(args).affine ? 2 * input[0]! : 0),
  subtractsMean: true,
  lower: {
    params(input, _output, args) {
      const { affine, track } = options(args);
      return [...(affine ? affineParams([input[0]!]) : []), ...(track ? movingStatistics(input[0]!) : [])];
    },
    forward(ctx, x, p, args) {
      const { tf } = ctx;
      const { eps, track, momentum } = options(args);
      const channels = x.shape.at(-1)!;
      if (!ctx.training && track) {
        const { scale, shift } = instancenorm.lower.inferenceScaleShift!(ctx, p, args);
        return { y: tf.add(tf.mul(x, scale), shift) };
      }
      const { y, saved, mean, variance } = normalizeForward(tf, x, p, channels, eps);
      if (!ctx.training || !track) return { y, saved };
      // The per-example statistics, N×C; PyTorch's moving variance is unbiased: σ²·n/(n − 1) over n = H·W values.
      const n = x.size / (x.shape[0]! * channels);
      const perExample = (t: Tensor) => tf.reshape(t, [-1, channels]);
      const batchMean = tf.mean(perExample(mean), 0);
      const batchVar = tf.mean(tf.mul(perExample(variance), n / (n - 1)), 0);
      const state = { moving_mean: movingAverage(tf, momentum, p["moving_mean"]!, batchMean), moving_var: movingAverage(tf, momentum, p["moving_var"]!, batchVar) };
      return { y, saved, state };
    },
    backward: ({ tf }, dy, _x, forward, p, _args, needDx) => normalizeBackward(tf, dy, forward, p, dy.shape.at(-1)!, needDx),
    trainingElements: (input, _output, args) => normalizeTrainingElements(input, options(args).affine),
    inferenceScaleShift({ tf }, p, args) {
      const scale = tf.div(p["gamma"] ?? 1, tf.sqrt(tf.add(p["moving_var"]!, options(args).eps)));
      return { scale, shift: tf.sub(p["beta"] ?? 0, tf.mul(scale, p["moving_mean"]!)) };
    },
    // Without `track`, inference uses each example's own statistics.
    inferenceIsScaleShift: (args) => options(args).track,
  },
  torch: {
    module(ctx) {
      const { affine, track } = options(ctx.args);
      return pyCall("nn.InstanceNorm2d", [ctx.channels], {
        eps: ctx.arg("eps"),
        momentum: torchMomentum(ctx),
        affine: affine ? "True" : undefined,
        track_running_stats: track ? "True" : undefined,
      });
    },
    params: () => torchParams(),
    // PyTorch keeps a batch count too, which nothing reads with a fixed momentum.
    counters: (args) => (options(args).track ? ["num_batches_tracked"] : []),
  },
  onnx: {
    emit(graph, x, args, input) {
      const { eps, affine, track } = options(args);
      if (track) return onnxMovingStatistics(graph, x, affine, input[0]!, eps);
      return graph.node("InstanceNormalization", [x, ...onnxScaleShift(graph, affine, input[0]!)], { epsilon: { float: eps } });
    },
  },
};
