import type { Tensor, Tensor4D } from "@tensorflow/tfjs";
import { BN_BACKWARD, BN_FORWARD } from "../kernels/names.js";
import { formatShape, product, type ArgValues, type LayerSpec, type LowerContext, type Tf } from "./types.js";

/** The statistics' axes: N,H,W of an NHWC tensor (per channel), N of a flat one (per feature). */
function statAxes(x: Tensor): number[] {
  return x.rank === 4 ? [0, 1, 2] : [0];
}

/**
 * The built-in variant's gradient: TensorFlow.js's own gradient of its FusedBatchNorm kernel
 * (which holds the mean and variance fixed), chained through the batch statistics:
 * μ = Σx/m and σ² = Σ(x − μ)²/m give dx = dy·γ/√(σ²+ε) + dμ/m + dσ²·2(x − μ)/m.
 * The first term is written out: tfjs computes it with a Tile that takes 27 ms on wasm for
 * LeNet's first layer.
 */
function builtinBackward({ tf }: LowerContext, dy: Tensor, x: Tensor, [mean, variance]: [Tensor, Tensor], gamma: Tensor, eps: number) {
  // The kernel works on 4-D tensors: tf.batchNorm gives it a flat input as N×1×1×C.
  const as4d = (t: Tensor) => (t.rank === 4 ? t : tf.reshape(t, [t.shape[0]!, 1, 1, t.shape[1]!]));
  const parts = tf.getGradient("FusedBatchNorm")!.gradFunc(as4d(dy), [as4d(x), mean, variance, gamma], { varianceEpsilon: eps });
  const m = dy.size / dy.shape.at(-1)!;
  const held = tf.mul(dy, tf.mul(gamma, tf.rsqrt(tf.add(variance, eps))));
  const dx = tf.add(held, tf.add(tf.div(parts["mean"]!(), m), tf.mul(tf.sub(x, mean), tf.div(tf.mul(parts["variance"]!(), 2), m))));
  return { dx, grads: { gamma: parts["scale"]!(), beta: parts["offset"]!() } };
}

/** moving = momentum·moving + (1 − momentum)·batch, for the mean and the variance. */
function trackMoving(tf: Tf, p: Readonly<Record<string, Tensor>>, momentum: number, mean: Tensor, variance: Tensor): Record<string, Tensor> {
  return {
    moving_mean: tf.add(tf.mul(momentum, p["moving_mean"]!), tf.mul(1 - momentum, mean)),
    moving_var: tf.add(tf.mul(momentum, p["moving_var"]!), tf.mul(1 - momentum, variance)),
  };
}

function settings(ctx: LowerContext, args: ArgValues) {
  return {
    impl: (args["impl"] as "scratch" | "builtin" | undefined) ?? ctx.bn,
    eps: (args["eps"] as number | undefined) ?? 1e-5,
    momentum: (args["momentum"] as number | undefined) ?? 0.9,
  };
}

export const bn: LayerSpec = {
  kind: "layer",
  name: "bn",
  summary: "batch normalization over N,H,W (C×H×W input) or N (flat input), with moving statistics for inference",
  example: "bn",
  args: [
    { name: "eps", type: "float", min: 0, exclusiveMin: true, default: "1e-5", doc: "added to the variance before the square root" },
    {
      name: "momentum",
      type: "float",
      min: 0,
      max: 1,
      default: "0.9",
      doc: "moving = momentum·moving + (1−momentum)·batch (the d2l convention; PyTorch's `momentum=0.1` means 0.9 here)",
    },
    { name: "impl", type: "choice", choices: ["scratch", "builtin"], default: "`--bn`, scratch unless given", doc: "netc's own implementation or TensorFlow.js's" },
  ],
  torchName(args, input, options) {
    if ((args["impl"] ?? options.bn) === "scratch") return "BatchNorm";
    return input.length === 3 ? "BatchNorm2d" : "BatchNorm1d";
  },
  outputShape(input) {
    if (input.length !== 1 && input.length !== 3) {
      return { code: "NET107", problem: `\`bn\` normalizes C×H×W or flat inputs, but gets ${formatShape(input)}`, continueWith: input };
    }
    return input;
  },
  counts(input) {
    return { trainable: 2 * input[0]!, state: 2 * input[0]! };
  },
  macs(input) {
    return 2 * input[0]!;
  },
  subtractsMean: true,
  lower: {
    // Measured on wasm (src/train/memory.ts): fused, two tensors of the input's size from
    // scratch (the kernel's output and dx, the activation and pooling it absorbed included), a
    // few more with tfjs's moments; unfused, the centered, normalized, scaled and shifted input
    // and about five more in the closed-form backward.
    trainingElements: (input, _output, args, { fused, bn }) => (fused ? ((args["impl"] ?? bn) === "scratch" ? 2.25 : 4.5) : 9) * product(input),
    params(input) {
      const c = [input[0]!];
      return [
        { name: "gamma", shape: c, init: { constant: 1 }, trainable: true },
        { name: "beta", shape: c, init: { constant: 0 }, trainable: true },
        { name: "moving_mean", shape: c, init: { constant: 0 }, trainable: false },
        { name: "moving_var", shape: c, init: { constant: 1 }, trainable: false },
      ];
    },
    forward(ctx, x, p, args) {
      const { tf } = ctx;
      const { impl, eps, momentum } = settings(ctx, args);
      const [gamma, beta, movingMean, movingVar] = [p["gamma"]!, p["beta"]!, p["moving_mean"]!, p["moving_var"]!];
      if (!ctx.training) {
        // Inference normalizes with the moving statistics.
        if (impl === "builtin") return { y: tf.batchNorm(x, movingMean, movingVar, beta, gamma, eps) };
        return { y: tf.add(tf.mul(gamma, tf.div(tf.sub(x, movingMean), tf.sqrt(tf.add(movingVar, eps)))), beta) };
      }
      // Training normalizes with the batch's statistics: the mean and the biased variance.
      const track = (mean: Tensor, variance: Tensor) => trackMoving(tf, p, momentum, mean, variance);
      if (impl === "builtin") {
        const { mean, variance } = tf.moments(x, statAxes(x));
        return { y: tf.batchNorm(x, mean, variance, beta, gamma, eps), saved: [mean, variance], state: track(mean, variance) };
      }
      const mean = tf.mean(x, statAxes(x));
      const centered = tf.sub(x, mean);
      const variance = tf.mean(tf.square(centered), statAxes(x));
      const invStd = tf.rsqrt(tf.add(variance, eps));
      const xHat = tf.mul(centered, invStd);
      return { y: tf.add(tf.mul(gamma, xHat), beta), saved: [xHat, invStd], state: track(mean, variance) };
    },
    /**
     * BN, the activation after it and a 2×2 average pooling as one step whose backward is one
     * pass of the project's kernel. From scratch, the forward is the kernel too; built in, the
     * forward stays TensorFlow.js's own ops (moments and its batch-norm kernel) and only the
     * gradient, the closed form above, comes from the kernel.
     */
    fuse(ctx, args, { activation, pool2 }) {
      const { tf } = ctx;
      const { impl, eps, momentum } = settings(ctx, args);
      if (!tf.getKernel(BN_BACKWARD, tf.getBackend())) return undefined;
      const attrs = { eps, act: activation?.name ?? "none", pool: pool2 ? 2 : 0 };
      const builtinForward = (x: Tensor, p: Readonly<Record<string, Tensor>>) => {
        const { mean, variance } = tf.moments(x, statAxes(x));
        const normalized = tf.batchNorm(x, mean, variance, p["beta"]!, p["gamma"]!, eps);
        const y = activation ? activation.apply(normalized) : normalized;
        return { y, mean, variance, invStd: tf.rsqrt(tf.add(variance, eps)), pooled: pool2 ? tf.avgPool(y as Tensor4D, 2, 2, "valid") : undefined };
      };
      const scratchForward = (x: Tensor, p: Readonly<Record<string, Tensor>>) => {
        const [y, mean, invStd, pooled] = tf.engine().runKernel(BN_FORWARD, { x, gamma: p["gamma"]!, beta: p["beta"]! }, attrs) as Tensor[];
        // The kernel returns 1/√(σ²+ε); the moving variance tracks σ².
        return { y: y!, mean: mean!, invStd: invStd!, variance: tf.sub(tf.reciprocal(tf.square(invStd!)), eps), pooled };
      };
      return {
        forward(_ctx, x, p) {
          const { y, mean, variance, invStd, pooled } = impl === "builtin" ? builtinForward(x, p) : scratchForward(x, p);
          return { y: pooled ?? y, saved: [y, mean, invStd], state: trackMoving(tf, p, momentum, mean, variance) };
        },
        backward(_ctx, dy, x, { saved }, p) {
          const [y, mean, invStd] = saved!;
          const [dx, dGamma, dBeta] = tf.engine().runKernel(BN_BACKWARD, { dy, y: y!, x, mean: mean!, invStd: invStd!, gamma: p["gamma"]! }, attrs) as Tensor[];
          return { dx: dx!, grads: { gamma: dGamma!, beta: dBeta! } };
        },
      };
    },
    inferenceScaleShift(ctx, p, args) {
      const { tf } = ctx;
      const scale = tf.div(p["gamma"]!, tf.sqrt(tf.add(p["moving_var"]!, settings(ctx, args).eps)));
      return { scale, shift: tf.sub(p["beta"]!, tf.mul(scale, p["moving_mean"]!)) };
    },
    /**
     * From scratch, per channel over its m = N·H·W (or N) values, with y = γ·x̂ + β and
     * x̂ = (x − μ)·s, s = 1/√(σ² + ε):
     *   dβ = Σ dy,   dγ = Σ dy·x̂
     *   dx = (γ·s/m)·(m·dy − dβ − x̂·dγ)
     * (μ and σ² depend on every x, which gives the two subtracted terms.)
     */
    backward(ctx, dy, x, { saved }, p, args, needDx) {
      if (settings(ctx, args).impl === "builtin") return builtinBackward(ctx, dy, x, saved as [Tensor, Tensor], p["gamma"]!, settings(ctx, args).eps);
      const { tf } = ctx;
      const [xHat, invStd] = saved as [Tensor, Tensor];
      const axes = statAxes(dy);
      const m = dy.size / dy.shape.at(-1)!;
      const dBeta = tf.sum(dy, axes);
      const dGamma = tf.sum(tf.mul(dy, xHat), axes);
      const grads = { gamma: dGamma, beta: dBeta };
      if (!needDx) return { grads };
      const scale = tf.div(tf.mul(p["gamma"]!, invStd), m);
      const dx = tf.mul(scale, tf.sub(tf.sub(tf.mul(dy, m), dBeta), tf.mul(xHat, dGamma)));
      return { dx, grads };
    },
  },
};
