import type { LayerSpec } from "./types.js";

export const dropout: LayerSpec = {
  kind: "layer",
  name: "dropout",
  summary: "zeroes each element with probability p while training, scaling the rest by 1/(1−p) (PyTorch `nn.Dropout`)",
  example: "dropout 0.5",
  args: [{ name: "p", type: "float", positional: true, min: 0, max: 1, default: "0.5", doc: "probability of dropping an element" }],
  torchName: () => "Dropout",
  outputShape: (input) => input,
  counts: () => ({ trainable: 0, state: 0 }),
  macs: () => 0,
};
