import type { Tensor, Tensor4D } from "@tensorflow/tfjs";
import { ACTIVATION, BN_BACKWARD, BN_FORWARD, MOMENTS, MOVING_AVERAGE } from "../kernels/names.js";
import { affineParams, channelDims, movingAverage, movingStatistics, onnxAffine, onnxMovingStatistics, onnxStandardize, torchMomentum, torchParams } from "./normalize.js";
import { canUseKernel, formatShape, product, pyCall, type ArgValues, type BuildOptions, type LayerSpec, type LowerContext, type ParamSpec, type Tf } from "./types.js";

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

/**
 * The batch's per-channel mean and biased variance, and 1/√(variance + eps): the project's kernel
 * where it may run (one pass, multi-threaded; tfjs's moments takes several), else tfjs's.
 */
function batchMoments(ctx: LowerContext, x: Tensor, eps: number): { mean: Tensor; variance: Tensor; invStd: () => Tensor } {
  const { tf } = ctx;
  if (canUseKernel(ctx, MOMENTS)) {
    const [mean, variance, invStd] = tf.engine().runKernel(MOMENTS, { x }, { eps }) as Tensor[];
    return { mean: mean!, variance: variance!, invStd: () => invStd! };
  }
  const { mean, variance } = tf.moments(x, statAxes(x));
  return { mean, variance, invStd: () => tf.rsqrt(tf.add(variance, eps)) };
}

/** γ and β, or 1 and 0 without `affine`: tfjs's batch-norm kernel and the project's want tensors. */
function gammaBeta(tf: Tf, x: Tensor, p: Readonly<Record<string, Tensor>>, affine: boolean): [Tensor, Tensor] {
  return affine ? [p["gamma"]!, p["beta"]!] : [tf.ones([x.shape.at(-1)!]), tf.zeros([x.shape.at(-1)!])];
}

/** The parameters' gradients: none without `affine`. */
function paramGrads(affine: boolean, dGamma: Tensor, dBeta: Tensor): Record<string, Tensor> {
  return affine ? { gamma: dGamma, beta: dBeta } : {};
}

/**
 * moving = momentum·moving + (1 − momentum)·batch, for the mean and the variance (both in one
 * call of the project's kernel where it may run); with `momentum=none`, the cumulative
 * average: moving += (batch − moving)/t at the t-th batch.
 */
function trackMoving(ctx: LowerContext, p: Readonly<Record<string, Tensor>>, momentum: number | "none", mean: Tensor, variance: Tensor): Record<string, Tensor> {
  const { tf } = ctx;
  if (momentum === "none") {
    const count = tf.add(p["num_batches_tracked"]!, 1);
    const average = (moving: Tensor, batch: Tensor) => tf.add(moving, tf.div(tf.sub(batch, moving), count));
    return { moving_mean: average(p["moving_mean"]!, mean), moving_var: average(p["moving_var"]!, variance), num_batches_tracked: count };
  }
  if (canUseKernel(ctx, MOVING_AVERAGE)) {
    const [movingMean, movingVar] = tf.engine().runKernel(MOVING_AVERAGE, { moving0: p["moving_mean"]!, batch0: mean, moving1: p["moving_var"]!, batch1: variance }, { momentum }) as Tensor[];
    return { moving_mean: movingMean!, moving_var: movingVar! };
  }
  return { moving_mean: movingAverage(tf, momentum, p["moving_mean"]!, mean), moving_var: movingAverage(tf, momentum, p["moving_var"]!, variance) };
}

/** The layer's arguments, defaults applied. */
function options(args: ArgValues) {
  return {
    eps: (args["eps"] as number | undefined) ?? 1e-5,
    momentum: (args["momentum"] as number | "none" | undefined) ?? 0.9,
    affine: args["affine"] !== false,
    track: args["track"] !== false,
  };
}

function implOf(args: ArgValues, options: BuildOptions): "scratch" | "builtin" {
  return (args["impl"] as "scratch" | "builtin" | undefined) ?? options.bn;
}

/**
 * The seed notebook's from-scratch batch normalization, for the PyTorch export: its
 * `batch_norm` and `BatchNorm`, with what netc's `bn` adds. The moving statistics are buffers
 * (so they are saved, loaded, moved to the device and broadcast by DistributedDataParallel),
 * updated in place; eps and momentum are arguments; and PyTorch's options are too:
 * `affine=False` (γ and β the constants 1 and 0), `track_running_stats=False` (no moving
 * statistics: `batch_norm` then normalizes with the batch's in inference too) and
 * `momentum=None` (the average of all batches so far: the t-th weighs 1/t, i.e. momentum 1 − 1/t
 * in the seed's convention). Unlike `nn.BatchNorm2d`, it tracks the biased batch variance, as
 * the seed and netc do.
 */
const SEED_BATCH_NORM = [
  `def batch_norm(X, gamma, beta, moving_mean, moving_var, eps, momentum):
    if not torch.is_grad_enabled() and moving_mean is not None:
        X_hat = (X-moving_mean) / torch.sqrt(moving_var+eps)
    else:
        match len(X.shape):
            case 2:
                mean = X.mean(dim=0)
                var = ((X-mean)**2).mean(dim=0)
            case 4:
                mean = X.mean(dim=(0, 2, 3), keepdim=True)
                var = ((X-mean)**2).mean(dim=(0,2,3), keepdim=True)
            case _:
                raise ValueError(f"Invalid X shape dims: {len(X.shape)}")
        X_hat = (X-mean) / torch.sqrt(var+eps)
        if moving_mean is not None:
            moving_mean = momentum*moving_mean + (1.0-momentum)*mean.data
            moving_var = momentum*moving_var + (1.0-momentum)*var.data
    Y = gamma*X_hat + beta
    return Y, moving_mean, moving_var`,
  `class BatchNorm(nn.Module):
    def __init__(self, num_features, num_dims, eps=1e-5, momentum=0.9, affine=True, track_running_stats=True):
        super(BatchNorm, self).__init__()
        shape = (1, num_features) if num_dims == 2 else (1, num_features, 1, 1)
        if affine:
            self.gamma = nn.Parameter(torch.ones(shape))
            self.beta = nn.Parameter(torch.zeros(shape))
        else:
            self.gamma, self.beta = 1.0, 0.0
        if track_running_stats:
            self.register_buffer("moving_mean", torch.zeros(shape))
            self.register_buffer("moving_var", torch.ones(shape))
        else:
            self.register_buffer("moving_mean", None)
            self.register_buffer("moving_var", None)
        # momentum=None: the moving statistics average all the batches so far, which it counts.
        counted = track_running_stats and momentum is None
        self.register_buffer("num_batches_tracked", torch.tensor(0) if counted else None)
        self.eps, self.momentum = eps, momentum

    def forward(self, X):
        momentum = self.momentum
        if self.num_batches_tracked is not None and torch.is_grad_enabled():
            self.num_batches_tracked += 1
            momentum = 1.0 - 1.0 / self.num_batches_tracked
        Y, moving_mean, moving_var = batch_norm(X, self.gamma, self.beta, self.moving_mean,
                                                self.moving_var, eps=self.eps, momentum=momentum)
        if self.moving_mean is not None:
            self.moving_mean.copy_(moving_mean)
            self.moving_var.copy_(moving_var)
        return Y`,
];

function settings(ctx: LowerContext, args: ArgValues) {
  return { impl: implOf(args, { bn: ctx.bn }), ...options(args) };
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
      words: ["none"],
      doc: "moving = momentum·moving + (1−momentum)·batch (the d2l convention; PyTorch's `momentum=0.1` means 0.9 here); `none`: the average over all batches so far, with a batch count in the state (PyTorch's `momentum=None`)",
    },
    { name: "affine", type: "bool", default: "true", doc: "no learned per-channel scale γ and shift β (PyTorch's `affine=False`)" },
    {
      name: "track",
      type: "bool",
      default: "true",
      doc: "no moving statistics: inference normalizes with each batch's own statistics too, and the layer keeps no state (PyTorch's `track_running_stats=False`)",
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
  counts(input, _output, args) {
    const { affine, track, momentum } = options(args);
    return { trainable: affine ? 2 * input[0]! : 0, state: track ? 2 * input[0]! + (momentum === "none" ? 1 : 0) : 0 };
  },
  macs(input, _output, args) {
    return options(args).affine ? 2 * input[0]! : 0;
  },
  subtractsMean: true,
  lower: {
    // Measured on wasm (src/train/memory.ts): fused, two tensors of the input's size from
    // scratch (the kernel's output and dx, the activation and pooling it absorbed included), a
    // few more with tfjs's moments; unfused, the centered, normalized, scaled and shifted input
    // and about five more in the closed-form backward.
    trainingElements: (input, _output, args, { fused, bn }) => (fused ? ((args["impl"] ?? bn) === "scratch" ? 2.25 : 4.5) : 9) * product(input),
    params(input, _output, args) {
      const { affine, track, momentum } = options(args);
      const count: ParamSpec = { name: "num_batches_tracked", shape: [], init: { constant: 0 }, trainable: false };
      return [...(affine ? affineParams([input[0]!]) : []), ...(track ? movingStatistics(input[0]!) : []), ...(track && momentum === "none" ? [count] : [])];
    },
    forward(ctx, x, p, args) {
      const { tf } = ctx;
      const { impl, eps, momentum, affine, track } = settings(ctx, args);
      const affineOf = (xHat: Tensor) => (affine ? tf.add(tf.mul(p["gamma"]!, xHat), p["beta"]!) : xHat);
      if (!ctx.training && track) {
        // Inference normalizes with the moving statistics.
        const [movingMean, movingVar] = [p["moving_mean"]!, p["moving_var"]!];
        if (impl === "builtin") {
          const [gamma, beta] = gammaBeta(tf, x, p, affine);
          return { y: tf.batchNorm(x, movingMean, movingVar, beta, gamma, eps) };
        }
        return { y: affineOf(tf.div(tf.sub(x, movingMean), tf.sqrt(tf.add(movingVar, eps)))) };
      }
      // Training (and inference without `track`) normalizes with the batch's statistics: the mean and the biased variance.
      const moving = (mean: Tensor, variance: Tensor) => (ctx.training && track ? { state: trackMoving(ctx, p, momentum, mean, variance) } : {});
      if (impl === "builtin") {
        const { mean, variance } = batchMoments(ctx, x, eps);
        const [gamma, beta] = gammaBeta(tf, x, p, affine);
        return { y: tf.batchNorm(x, mean, variance, beta, gamma, eps), saved: [mean, variance], ...moving(mean, variance) };
      }
      const mean = tf.mean(x, statAxes(x));
      const centered = tf.sub(x, mean);
      const variance = tf.mean(tf.square(centered), statAxes(x));
      const invStd = tf.rsqrt(tf.add(variance, eps));
      const xHat = tf.mul(centered, invStd);
      return { y: affineOf(xHat), saved: [xHat, invStd], ...moving(mean, variance) };
    },
    /**
     * BN, the activation after it and a 2×2 average pooling as one step whose backward is one
     * pass of the project's kernel. From scratch, the forward is the kernel too; built in, it is
     * the batch's moments, then TensorFlow.js's batchNorm op, or, where an activation or pooling
     * follows, the same normalization with them in one pass of the project's activation kernel
     * (on wasm tf.batchNorm runs netc's kernel anyway: tfjs's own there is scalar). The
     * gradient, the closed form above, comes from the kernel. Without `affine` the kernels scale
     * by 1 and shift by 0.
     */
    fuse(ctx, args, { activation, pool2 }) {
      const { tf } = ctx;
      const { impl, eps, momentum, affine, track } = settings(ctx, args);
      if (!tf.getKernel(BN_BACKWARD, tf.getBackend())) return undefined;
      const attrs = { eps, act: activation?.name ?? "none", pool: pool2 ? 2 : 0 };
      const builtinForward = (x: Tensor, p: Readonly<Record<string, Tensor>>) => {
        const moments = batchMoments(ctx, x, eps);
        const { mean, variance } = moments;
        const [gamma, beta] = gammaBeta(tf, x, p, affine);
        const invStd = moments.invStd();
        if ((activation || pool2) && canUseKernel(ctx, ACTIVATION)) {
          // tf.batchNorm's normalization, the activation and the pooling: one pass of the project's kernel.
          const statistics = { mean, variance, scale: gamma, offset: beta };
          const [y, pooled] = tf.engine().runKernel(ACTIVATION, { x, ...statistics }, { act: attrs.act, pool: attrs.pool, eps }) as Tensor[];
          return { y: y!, mean, variance, invStd, pooled };
        }
        const normalized = tf.batchNorm(x, mean, variance, beta, gamma, eps);
        const y = activation ? activation.apply(normalized) : normalized;
        return { y, mean, variance, invStd, pooled: pool2 ? tf.avgPool(y as Tensor4D, 2, 2, "valid") : undefined };
      };
      const scratchForward = (x: Tensor, p: Readonly<Record<string, Tensor>>) => {
        const [gamma, beta] = gammaBeta(tf, x, p, affine);
        const [y, mean, invStd, pooled] = tf.engine().runKernel(BN_FORWARD, { x, gamma, beta }, attrs) as Tensor[];
        // The kernel returns 1/√(σ²+ε); the moving variance tracks σ².
        return { y: y!, mean: mean!, invStd: invStd!, variance: tf.sub(tf.reciprocal(tf.square(invStd!)), eps), pooled };
      };
      return {
        forward(_ctx, x, p) {
          const { y, mean, variance, invStd, pooled } = impl === "builtin" ? builtinForward(x, p) : scratchForward(x, p);
          return { y: pooled ?? y, saved: [y, mean, invStd], ...(track ? { state: trackMoving(ctx, p, momentum, mean, variance) } : {}) };
        },
        backward(_ctx, dy, x, { saved }, p) {
          const [y, mean, invStd] = saved!;
          const [dx, dGamma, dBeta] = tf.engine().runKernel(BN_BACKWARD, { dy, y: y!, x, mean: mean!, invStd: invStd!, gamma: gammaBeta(tf, x, p, affine)[0] }, attrs) as Tensor[];
          return { dx: dx!, grads: paramGrads(affine, dGamma!, dBeta!) };
        },
      };
    },
    inferenceScaleShift(ctx, p, args) {
      const { tf } = ctx;
      const { eps, affine } = options(args);
      const scale = tf.div(affine ? p["gamma"]! : 1, tf.sqrt(tf.add(p["moving_var"]!, eps)));
      return { scale, shift: tf.sub(affine ? p["beta"]! : 0, tf.mul(scale, p["moving_mean"]!)) };
    },
    inferenceIsScaleShift: (args) => options(args).track,
    /**
     * From scratch, per channel over its m = N·H·W (or N) values, with y = γ·x̂ + β and
     * x̂ = (x − μ)·s, s = 1/√(σ² + ε):
     *   dβ = Σ dy,   dγ = Σ dy·x̂
     *   dx = (γ·s/m)·(m·dy − dβ − x̂·dγ)
     * (μ and σ² depend on every x, which gives the two subtracted terms; without `affine`, γ = 1.)
     */
    backward(ctx, dy, x, { saved }, p, args, needDx) {
      const { impl, eps, affine } = settings(ctx, args);
      if (impl === "builtin") {
        const { dx, grads } = builtinBackward(ctx, dy, x, saved as [Tensor, Tensor], gammaBeta(ctx.tf, x, p, affine)[0], eps);
        return { dx, grads: paramGrads(affine, grads.gamma, grads.beta) };
      }
      const { tf } = ctx;
      const [xHat, invStd] = saved as [Tensor, Tensor];
      const axes = statAxes(dy);
      const m = dy.size / dy.shape.at(-1)!;
      const dBeta = tf.sum(dy, axes);
      const dGamma = tf.sum(tf.mul(dy, xHat), axes);
      const grads = paramGrads(affine, dGamma, dBeta);
      if (!needDx) return { grads };
      const scale = tf.div(affine ? tf.mul(p["gamma"]!, invStd) : invStd, m);
      const dx = tf.mul(scale, tf.sub(tf.sub(tf.mul(dy, m), dBeta), tf.mul(xHat, dGamma)));
      return { dx, grads };
    },
  },
  torch: {
    module(ctx) {
      const { arg, args, channels, input, options: buildOptions } = ctx;
      const { affine, track } = options(args);
      const flags = { affine: affine ? undefined : "False", track_running_stats: track ? undefined : "False" };
      if (implOf(args, buildOptions) === "scratch") {
        const momentum = args["momentum"] === "none" ? "None" : arg("momentum");
        return pyCall("BatchNorm", [channels], { num_dims: input.length === 3 ? "4" : "2", eps: arg("eps"), momentum, ...flags });
      }
      return pyCall(input.length === 3 ? "nn.BatchNorm2d" : "nn.BatchNorm1d", [channels], { eps: arg("eps"), momentum: torchMomentum(ctx), ...flags });
    },
    definitions: (args, options) => (implOf(args, options) === "scratch" ? SEED_BATCH_NORM : []),
    params(args, input, buildOptions) {
      // With `momentum=none`, PyTorch counts the batches in an int64.
      const count = { num_batches_tracked: { name: "num_batches_tracked", integer: true } };
      if (implOf(args, buildOptions) === "builtin") return { ...torchParams(0), ...count };
      const shape = input.length === 3 ? [1, input[0]!, 1, 1] : [1, input[0]!];
      return { ...Object.fromEntries(["gamma", "beta", "moving_mean", "moving_var"].map((name) => [name, { name, shape, featureAxis: 0 }])), ...count };
    },
    // nn.BatchNorm counts batches whenever it tracks statistics; it reads the count only for `momentum=None`.
    counters(args, buildOptions) {
      const { track, momentum } = options(args);
      return implOf(args, buildOptions) === "builtin" && track && momentum !== "none" ? ["num_batches_tracked"] : [];
    },
    keepsFeatureOrder: true,
  },
  onnx: {
    emit(graph, x, args, input) {
      const { eps, affine, track } = options(args);
      if (track) return onnxMovingStatistics(graph, x, affine, input[0]!, eps);
      // Without moving statistics, inference normalizes with the batch's, over N,H,W (N when flat).
      const xHat = onnxStandardize(graph, x, input.length === 3 ? [0, 2, 3] : [0], eps);
      return affine ? onnxAffine(graph, xHat, channelDims(input)) : xHat;
    },
  },
};
