import { product, pyCall, type LayerSpec } from "./types.js";

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
  lower: {
    forward({ tf, training, nextSeed }, x, _p, args) {
      const p = (args["p"] as number | undefined) ?? 0.5;
      if (!training || p === 0) return { y: x, saved: [] };
      if (p === 1) return { y: tf.zerosLike(x), saved: [tf.zerosLike(x)] };
      // The mask already holds the 1/(1−p) scale, so backward is one multiply.
      const mask = tf.div(tf.step(tf.sub(tf.randomUniform(x.shape, 0, 1, "float32", nextSeed()), p)), 1 - p);
      return { y: tf.mul(x, mask), saved: [mask] };
    },
    backward: ({ tf }, dy, _x, { saved }) => ({ dx: saved?.[0] ? tf.mul(dy, saved[0]) : dy, grads: {} }),
    // The mask and the three tensors it is made from, y, dx.
    trainingElements: (_input, output) => 6 * product(output),
  },
  torch: { module: ({ arg }) => pyCall("nn.Dropout", [], { p: arg("p") }), keepsFeatureOrder: true },
  // Inference passes its input through.
  onnx: { emit: (graph, x) => graph.node("Identity", [x]) },
};
