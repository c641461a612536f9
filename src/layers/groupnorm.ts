import { affineParams, channelDims, EPS_ARG, epsOf, normalizeBackward, normalizeForward, normalizeTrainingElements, onnxAffine, onnxStandardize, torchParams, unevenGroups } from "./normalize.js";
import { numberArg, pyCall, type LayerSpec } from "./types.js";

/**
 * Group normalization (PyTorch's `nn.GroupNorm(G, C)`): the channels are split into G groups
 * and each example is standardized over a group's channels and positions, then scaled and
 * shifted per channel.
 */
export const groupnorm: LayerSpec = {
  kind: "layer",
  name: "groupnorm",
  summary: "group normalization: each example standardized over groups of C/G channels (and H×W), with a learned scale and shift per channel (PyTorch `nn.GroupNorm`)",
  example: "groupnorm 2",
  args: [{ name: "groups", type: "int", positional: true, required: true, min: 1, doc: "number of groups G; it must divide the channels (1: layer normalization with per-channel γ, β; C: instance normalization)" }, EPS_ARG],
  torchName: () => "GroupNorm",
  outputShape(input, args) {
    const problem = unevenGroups("groupnorm", input[0]!, numberArg(args, "groups"));
    return problem ? { ...problem, continueWith: input } : input;
  },
  counts: (input) => ({ trainable: 2 * input[0]!, state: 0 }),
  // As torchinfo counts a module's weight and bias.
  macs: (input) => 2 * input[0]!,
  lower: {
    params: (input) => affineParams([input[0]!]),
    forward: ({ tf }, x, p, args) => normalizeForward(tf, x, p, numberArg(args, "groups"), epsOf(args)),
    backward: ({ tf }, dy, _x, forward, p, args, needDx) => normalizeBackward(tf, dy, forward, p, numberArg(args, "groups"), needDx),
    trainingElements: (input) => normalizeTrainingElements(input, true),
  },
  // Groups of features in `flatten`'s order are not PyTorch's groups: no `featureAxis`, so the export refuses that (NET301).
  torch: {
    module: ({ arg, channels }) => pyCall("nn.GroupNorm", [arg("groups")!, channels], { eps: arg("eps") }),
    params: () => torchParams(),
  },
  onnx: {
    // Each example's groups as rows (N×G×rest), standardized, back to x's shape, then scaled and shifted per channel.
    emit(graph, x, args, input) {
      const rows = graph.node("Reshape", [x, graph.ints("groups", [0, numberArg(args, "groups"), -1])]);
      const standardized = onnxStandardize(graph, rows, [2], epsOf(args));
      return onnxAffine(graph, graph.node("Reshape", [standardized, graph.node("Shape", [x])]), channelDims(input));
    },
  },
};
