import type { Tensor } from "@tensorflow/tfjs";
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
    backward({ tf }, dy, x) {
      // Each input gets dy/(H·W). Copies concatenated, W of them along a row and then H rows:
      // tf.broadcastTo runs tfjs's Tile, 10 ms on wasm for ResNet-18's last 3×3×512, this 0.1 ms.
      const [, h, w] = x.shape as [number, number, number, number];
      const row = tf.concat(Array<Tensor>(w).fill(tf.div(dy, h * w)), 2);
      return { dx: tf.concat(Array<Tensor>(h).fill(row), 1), grads: {} };
    },
  },
  torch: { module: () => "nn.AdaptiveAvgPool2d((1, 1))" },
  onnx: { emit: (graph, x) => graph.node("GlobalAveragePool", [x]) },
};
