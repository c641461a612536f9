import type { Tensor, Tensor3D } from "@tensorflow/tfjs";
import { affineParams, channelDims, EPS_ARG, epsOf, movingAverage, onnxAffine, unevenGroups } from "./normalize.js";
import { formatShape, product, pyCall, type ArgValues, type LayerSpec, type Tf } from "./types.js";

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

/**
 * The layer as a PyTorch module, for the export (PyTorch has none). It keeps netc's names and
 * momentum convention, as the seed's `BatchNorm` does, and its buffers' shapes are what the
 * forward broadcasts with: the moving mean G×d×1, the moving whitening matrix G×d×d.
 */
const ITER_NORM_PY = `class IterNorm(nn.Module):
    """Iterative normalization (Huang et al., CVPR 2019), as netc's \`iternorm\`: batch normalization
    that also decorrelates the channels. Per group of d = C/G channels, over the batch's m = N·H·W
    positions: Σ = εI + (x − μ)(x − μ)ᵀ/m, Σ_N = Σ/tr Σ, P_0 = I, P_{k+1} = (3·P_k − P_k³·Σ_N)/2,
    W = P_T/√(tr Σ) ≈ Σ^(-1/2), and y = γ·W(x − μ) + β. Training uses the batch's μ and W and moves
    the moving ones towards them (moving = momentum·moving + (1 − momentum)·batch, netc's and the
    seed's convention); inference uses the moving ones.
    """

    def __init__(self, num_features, groups=1, iters=5, eps=1e-5, momentum=0.9):
        super().__init__()
        d = num_features // groups
        self.groups, self.iters, self.eps, self.momentum = groups, iters, eps, momentum
        self.gamma = nn.Parameter(torch.ones(num_features))
        self.beta = nn.Parameter(torch.zeros(num_features))
        self.register_buffer("moving_mean", torch.zeros(groups, d, 1))
        self.register_buffer("moving_whitening", torch.eye(d).repeat(groups, 1, 1))

    def whitening_matrix(self, centred):
        """W for each group's centred columns (G×d×m), by Newton–Schulz iterations."""
        d, m = centred.shape[1:]
        eye = torch.eye(d, device=centred.device).expand(self.groups, d, d)
        sigma = self.eps * eye + centred @ centred.transpose(1, 2) / m
        trace = (sigma * eye).sum(dim=(1, 2), keepdim=True)
        sigma_n = sigma / trace
        P = eye
        for _ in range(self.iters):
            P = 1.5 * P - 0.5 * P @ P @ P @ sigma_n
        return P / trace.sqrt()

    def forward(self, X):
        # One column of d channels per position and group: G×d×m.
        columns = X.transpose(0, 1).reshape(self.groups, -1, X.numel() // X.shape[1])
        if self.training:
            mean = columns.mean(dim=2, keepdim=True)
            centred = columns - mean
            W = self.whitening_matrix(centred)
            with torch.no_grad():
                self.moving_mean.copy_(self.momentum * self.moving_mean + (1 - self.momentum) * mean)
                self.moving_whitening.copy_(self.momentum * self.moving_whitening + (1 - self.momentum) * W)
        else:
            centred, W = columns - self.moving_mean, self.moving_whitening
        X_hat = (W @ centred).reshape(X.transpose(0, 1).shape).transpose(0, 1)
        shape = (1, -1) + (1,) * (X.dim() - 2)
        return self.gamma.reshape(shape) * X_hat + self.beta.reshape(shape)`;

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
    // The forward's six tensors of the input's size (rows, centred, whitened and back, γ·x, y),
    // and autodiff's: the forward again, its gradients, and the covariance's two through
    // `centred`. Measured on wasm (scripts/bench-memory.mjs, 32×28×28 at batch 128): 29. The
    // G×d×d matrices are the batch's, not an example's, and small beside them.
    trainingElements: (input) => 30 * product(input),
  },
  torch: {
    module: ({ arg, channels }) => pyCall("IterNorm", [channels], { groups: arg("groups"), iters: arg("iters"), eps: arg("eps"), momentum: arg("momentum") }),
    definitions: () => [ITER_NORM_PY],
    // Groups of features in `flatten`'s order are not PyTorch's groups: no `featureAxis`, so the export refuses that (NET301).
    params(args, input) {
      const g = options(args).groups;
      return { moving_mean: { name: "moving_mean", shape: [g, input[0]! / g, 1] } };
    },
  },
  onnx: {
    // Inference is affine: each example's groups as columns (N×G×d×rest), W(x − μ) by MatMul, back to x's shape.
    emit(graph, x, args, input) {
      const g = options(args).groups;
      const columns = graph.node("Reshape", [x, graph.ints("groups", [0, g, input[0]! / g, -1])]);
      const centred = graph.node("Sub", [columns, graph.weight("moving_mean")]);
      const whitened = graph.node("MatMul", [graph.weight("moving_whitening"), centred]);
      return onnxAffine(graph, graph.node("Reshape", [whitened, graph.node("Shape", [x])]), channelDims(input));
    },
  },
};
