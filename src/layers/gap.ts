import type { LayerSpec } from "./types.js";
import { needsImage } from "./window.js";

export const gap: LayerSpec = {
  kind: "layer",
  name: "gap",
  summary: "global average pooling to C×1×1 (PyTorch `nn.AdaptiveAvgPool2d((1, 1))`); follow with `flatten`",
  example: "gap",
  args: [],
  torchName: () => "AdaptiveAvgPool2d",
  outputShape(input) {
    return needsImage("gap", input) ?? [input[0]!, 1, 1];
  },
  counts: () => ({ trainable: 0, state: 0 }),
  macs: () => 0,
  lower: {
    forward: ({ tf }, x) => ({ y: tf.mean(x, [1, 2], true) }),
    backward: ({ tf }, dy, x) => ({ dx: tf.broadcastTo(tf.div(dy, x.shape[1]! * x.shape[2]!), x.shape), grads: {} }),
  },
  torch: { module: () => "nn.AdaptiveAvgPool2d((1, 1))" },
  onnx: { emit: (graph, x) => graph.node("GlobalAveragePool", [x]) },
};
