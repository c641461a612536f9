import type { Tensor } from "@tensorflow/tfjs";
import { product, type Activation, type LayerSpec, type Tf } from "./types.js";

type OnnxOp = "Sigmoid" | "Relu" | "Tanh" | "Identity";

/**
 * Element-wise layers: same shape out, nothing to learn. `derivative` gives dy/dx from the
 * output y, which the forward pass already holds.
 */
function elementwise(
  name: string,
  torchName: string,
  onnxOp: OnnxOp,
  summary: string,
  apply: (tf: Tf, x: Tensor) => Tensor,
  derivative: (tf: Tf, y: Tensor) => Tensor,
  /** Tensors of the output's size a training step holds: y (unless it is x), the derivative's, dx. */
  trainingTensors: number,
  activation?: Activation,
): LayerSpec {
  return {
    kind: "layer",
    name,
    summary,
    example: name,
    args: [],
    torchName: () => torchName,
    outputShape: (input) => input,
    counts: () => ({ trainable: 0, state: 0 }),
    macs: () => 0,
    lower: {
      forward: ({ tf }, x) => ({ y: apply(tf, x) }),
      backward: ({ tf }, dy, _x, { y }) => ({ dx: tf.mul(dy, derivative(tf, y)), grads: {} }),
      trainingElements: (_input, output) => trainingTensors * product(output),
      ...(activation ? { activation } : {}),
    },
    torch: { module: () => `nn.${torchName}()`, keepsFeatureOrder: true },
    onnx: { emit: (graph, x) => graph.node(onnxOp, [x]) },
  };
}

export const sigmoid = elementwise(
  "sigmoid",
  "Sigmoid",
  "Sigmoid",
  "logistic sigmoid 1/(1+e^−x), element-wise",
  (tf, x) => tf.sigmoid(x),
  (tf, y) => tf.mul(y, tf.sub(1, y)),
  4,
  "sigmoid",
);
export const relu = elementwise(
  "relu",
  "ReLU",
  "Relu",
  "rectified linear unit max(0, x), element-wise",
  (tf, x) => tf.relu(x),
  (tf, y) => tf.step(y),
  3,
  "relu",
);
export const tanh = elementwise(
  "tanh",
  "Tanh",
  "Tanh",
  "hyperbolic tangent, element-wise",
  (tf, x) => tf.tanh(x),
  (tf, y) => tf.sub(1, tf.square(y)),
  4,
  "tanh",
);
export const identity = elementwise(
  "identity",
  "Identity",
  "Identity",
  "passes its input through unchanged (the shortcut of a residual `add`)",
  (_tf, x) => x,
  (tf, y) => tf.onesLike(y),
  2,
);
