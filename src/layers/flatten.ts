import { product, type LayerSpec } from "./types.js";

export const flatten: LayerSpec = {
  kind: "layer",
  name: "flatten",
  summary: "flattens C×H×W to one vector of C·H·W features (PyTorch `nn.Flatten`)",
  example: "flatten",
  args: [],
  torchName: () => "Flatten",
  outputShape: (input) => [product(input)],
  counts: () => ({ trainable: 0, state: 0 }),
  macs: () => 0,
  lower: {
    forward: ({ tf }, x) => ({ y: tf.reshape(x, [x.shape[0]!, -1]) }),
    backward: ({ tf }, dy, x) => ({ dx: tf.reshape(dy, x.shape), grads: {} }),
  },
  torch: { module: () => "nn.Flatten()", flattens: true },
  onnx: { emit: (graph, x) => graph.node("Flatten", [x], { axis: 1 }) },
};
