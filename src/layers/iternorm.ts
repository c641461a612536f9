import type { Tensor, Tensor3D } from "@tensorflow/tfjs";
import { affineParams, EPS_ARG, epsOf, movingAverage, unevenGroups } from "./normalize.js";
import { formatShape, type ArgValues, type LayerSpec, type Tf } from "./types.js";

/**
 * Iterative normalization (IterNorm; Huang, Zhou, Zhu, Liu and Shao, "Iterative Normalization:
 * Beyond Standardization towards Efficient Whitening", CVPR 2019): batch normalization that
 * also decorrelates the channels. Per group of d = C/G channels, over the batch's m = N·H·W
 * positions:
 *   μ = mean of x,  Σ = εI + (x − μ)(x − μ)ᵀ/m,  Σ_N = Σ/tr Σ
 *   P₀ = I,  P_{k+1} = (3·P_k − P_k³·Σ_N)/2  (k < T),  W = P_T/√(tr Σ) ≈ Σ^{-1/2}
 *   y = γ·W(x − μ) + β
 * Newton–Schulz iterations converge to Σ_N^{-1/2} because Σ_N's eigenvalues lie in (0, 1]; a
 * few (the paper's T = 5) whiten approximately, at a fraction of an eigendecomposition's cost.
 * Many would not help: linearized at its fixed point, this iteration multiplies rounding errors
 * at every step once two eigenvalues of Σ differ by more than a factor of about 2.4, so in float32
 * the output drifts and then overflows (after 20–30 iterations on typical covariances); `iters`
 * stops at 10.
 * Moving averages of μ and W normalize at inference. The backward is TensorFlow.js's autodiff of this
 * forward (the graph's `tf.grads` fallback), not an explicit gradient.
 */

function options(args: ArgValues) {
  return {
    groups: (args["groups"] as number | undefined) ?? 1,
    iters: (args["iters"] as number | undefined) ?? 5,
    eps: epsOf(args),
    momentum: (args["momentum"] as number | undefined) ?? 0.9,
  };
}

/** The whitening matrix W of each group's centred rows (G×m×d), by T Newton–Schulz iterations. */
function whiteningMatrix(tf: Tf, centred: Tensor3D, iters: number, eps: number): Tensor3D {
  const [g, m, d] = centred.shape;
  const eye = tf.broadcastTo(tf.eye(d), [g, d, d]) as Tensor3D;
  const sigma = tf.add(tf.mul(eps, eye), tf.div(tf.matMul(centred, centred, true, false), m)) as Tensor3D;
  const trace = tf.sum(tf.mul(sigma, eye), [1, 2], true);
  const sigmaN = tf.div(sigma, trace) as Tensor3D;
  let p = eye;
  for (let k = 0; k < iters; k++) p = tf.sub(tf.mul(1.5, p), tf.mul(0.5, tf.matMul(tf.matMul(tf.matMul(p, p), p), sigmaN))) as Tensor3D;
  return tf.div(p, tf.sqrt(trace)) as Tensor3D;
}

export const iternorm: LayerSpec = {
  kind: "layer",
  name: "iternorm",
  summary:
    "decorrelated batch normalization (IterNorm, Huang et al., CVPR 2019): whitens groups of C/G channels over N,H,W by Newton–Schulz iterations on their covariance, with moving statistics for inference; its gradient is autodiff's",
  example: "iternorm groups=2 iters=5",
  args: [
    { name: "groups", type: "int", min: 1, default: "1", doc: "number of groups G, whitened separately (C/G channels each); it must divide the channels (1: the full C×C covariance)" },
    {
      name: "iters",
      type: "int",
      min: 0,
      max: 10,
      default: "5",
      doc: "Newton–Schulz iterations T; more whiten more fully, but rounding errors grow with each one (0: centre and scale only; the paper tries 0–7)",
    },
    { ...EPS_ARG, doc: "added to the covariance's diagonal" },
    { name: "momentum", type: "float", min: 0, max: 1, default: "0.9", doc: "moving = momentum·moving + (1−momentum)·batch, for the mean and the whitening matrix, as `bn` (the authors' `momentum=0.1` means 0.9 here)" },
  ],
  // The authors' PyTorch module (github.com/huangleiBuaa/IterNorm-pytorch); PyTorch has none.
  torchName: () => "IterNorm",
  outputShape(input, args) {
    if (input.length !== 1 && input.length !== 3) {
      return { code: "NET107", problem: `\`iternorm\` normalizes C×H×W or flat inputs, but gets ${formatShape(input)}`, continueWith: input };
    }
    const problem = unevenGroups("iternorm", input[0]!, options(args).groups);
    return problem ? { ...problem, continueWith: input } : input;
  },
  counts(input, _output, args) {
    const c = input[0]!;
    return { trainable: 2 * c, state: c + (c * c) / options(args).groups };
  },
  // As torchinfo counts a module's weight and bias.
  macs: (input) => 2 * input[0]!,
  subtractsMean: true,
  lower: {
    params(input, _output, args) {
      const c = input[0]!;
      const g = options(args).groups;
      return [
        ...affineParams([c]),
        { name: "moving_mean", shape: [c], init: { constant: 0 }, trainable: false },
        { name: "moving_whitening", shape: [g, c / g, c / g], init: { identity: true }, trainable: false },
      ];
    },
    forward(ctx, x, p, args) {
      const { tf } = ctx;
      const { groups, iters, eps, momentum } = options(args);
      const c = x.shape.at(-1)!;
      const d = c / groups;
      // One row of d channels per position and group: G×m×d.
      const rows = tf.transpose(tf.reshape(x, [-1, groups, d]), [1, 0, 2]) as Tensor3D;
      let centred: Tensor3D;
      let whitening: Tensor3D;
      let state: Record<string, Tensor> | undefined;
      if (ctx.training) {
        const mean = tf.mean(rows, 1, true);
        centred = tf.sub(rows, mean);
        whitening = whiteningMatrix(tf, centred, iters, eps);
        state = { moving_mean: movingAverage(tf, momentum, p["moving_mean"]!, tf.reshape(mean, [c])), moving_whitening: movingAverage(tf, momentum, p["moving_whitening"]!, whitening) };
      } else {
        centred = tf.sub(rows, tf.reshape(p["moving_mean"]!, [groups, 1, d]));
        whitening = p["moving_whitening"] as Tensor3D;
      }
      // Each row r becomes W·r, i.e. the rows times Wᵀ.
      const whitened = tf.reshape(tf.transpose(tf.matMul(centred, whitening, false, true), [1, 0, 2]), x.shape);
      return { y: tf.add(tf.mul(p["gamma"]!, whitened), p["beta"]!), ...(state ? { state } : {}) };
    },
  },
};
