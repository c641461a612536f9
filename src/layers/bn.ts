import { formatShape, type LayerSpec } from "./types.js";

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
};
