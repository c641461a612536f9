import { affineParams, EPS_ARG, epsOf, normalizeBackward, normalizeForward, normalizeTrainingElements, onnxAffine, onnxStandardize } from "./normalize.js";
import { product, pyCall, type LayerSpec } from "./types.js";

/**
 * Layer normalization (PyTorch's `nn.LayerNorm` over the whole per-example shape): each example
 * is standardized over all its C×H×W values, then scaled and shifted per element. γ and β are
 * stored in the lowering's layout, H×W×C (PyTorch's weight and bias are C×H×W).
 */
export const layernorm: LayerSpec = {
  kind: "layer",
  name: "layernorm",
  summary: "layer normalization: each example standardized over all its C×H×W values (or features), with a learned scale and shift per element (PyTorch `nn.LayerNorm`)",
  example: "layernorm",
  args: [EPS_ARG],
  torchName: () => "LayerNorm",
  outputShape: (input) => input,
  counts: (input) => ({ trainable: 2 * product(input), state: 0 }),
  // As torchinfo counts a module's weight and bias.
  macs: (input) => 2 * product(input),
  lower: {
    params: (input) => affineParams(input.length === 3 ? [input[1]!, input[2]!, input[0]!] : [...input]),
    forward: ({ tf }, x, p, args) => normalizeForward(tf, x, p, 1, epsOf(args)),
    backward: ({ tf }, dy, _x, forward, p, _args, needDx) => normalizeBackward(tf, dy, forward, p, 1, needDx),
    trainingElements: (input) => normalizeTrainingElements(input, true),
  },
  torch: {
    module: ({ arg, channels, input }) => pyCall("nn.LayerNorm", [input.length === 3 ? `(${channels}, ${input[1]}, ${input[2]})` : channels], { eps: arg("eps") }),
    // γ and β: H×W×C to PyTorch's C×H×W; flat, over the features, which may follow a `flatten`.
    params(_args, input) {
      const layout = input.length === 3 ? { permute: [2, 0, 1] } : { featureAxis: 0 };
      return { gamma: { name: "weight", ...layout }, beta: { name: "bias", ...layout } };
    },
    keepsFeatureOrder: true,
  },
  onnx: {
    // Standardized over all of each example's values (axes C,H,W), then scaled and shifted per element.
    emit: (graph, x, args, input) => onnxAffine(graph, onnxStandardize(graph, x, input.map((_, i) => i + 1), epsOf(args))),
  },
};
