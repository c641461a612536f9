import { formatShape, numberArg, product, type LayerSpec } from "./types.js";

export const linear: LayerSpec = {
  kind: "layer",
  name: "linear",
  aliases: ["dense", "fc"],
  summary: "fully connected layer (PyTorch `nn.Linear`); input features are inferred",
  example: "linear 120",
  args: [
    { name: "features", type: "int", positional: true, required: true, min: 1, doc: "output features" },
    { name: "nobias", type: "flag", doc: "no bias term (a `bn` right after cancels it anyway)" },
  ],
  torchName: () => "Linear",
  outputShape(input, args) {
    if (input.length !== 1) {
      return {
        code: "NET103",
        problem: `\`linear\` needs a flat input, but gets ${formatShape(input)}`,
        hints: [`insert \`flatten\` before it (${formatShape(input)} → ${product(input)})`],
        continueWith: [numberArg(args, "features")],
      };
    }
    return [numberArg(args, "features")];
  },
  counts(input, output, args) {
    return { trainable: input[0]! * output[0]! + (args["nobias"] ? 0 : output[0]!), state: 0 };
  },
  macs(input, output, args) {
    return this.counts(input, output, args).trainable;
  },
  hasBias: (args) => !args["nobias"],
};
