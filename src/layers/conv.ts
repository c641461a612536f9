import { isProblem, numberArg, product, sizeArg, type LayerSpec } from "./types.js";
import { slideWindow, windowArgs } from "./window.js";

export const conv: LayerSpec = {
  kind: "layer",
  name: "conv",
  summary: "2-D convolution (PyTorch `nn.Conv2d`); input channels are inferred",
  example: "conv 6 k5",
  args: [
    { name: "channels", type: "int", positional: true, required: true, min: 1, doc: "output channels" },
    { name: "kernel", short: "k", type: "size", positional: true, required: true, min: 1, doc: "kernel size (`k5`, `k3x5`)" },
    ...windowArgs("1"),
    { name: "nobias", type: "flag", doc: "no bias term (a `bn` right after cancels it anyway)" },
  ],
  torchName: () => "Conv2d",
  outputShape(input, args) {
    const out = slideWindow("conv", input, sizeArg(args, "kernel"), sizeArg(args, "stride", [1, 1]), sizeArg(args, "padding", [0, 0]));
    return isProblem(out) ? out : [numberArg(args, "channels"), ...out];
  },
  counts(input, _output, args) {
    const [kh, kw] = sizeArg(args, "kernel");
    const channels = numberArg(args, "channels");
    return { trainable: channels * input[0]! * kh * kw + (args["nobias"] ? 0 : channels), state: 0 };
  },
  macs(input, output, args) {
    return this.counts(input, output, args).trainable * product(output.slice(1));
  },
  hasBias: (args) => !args["nobias"],
};
