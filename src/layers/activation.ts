import type { LayerSpec } from "./types.js";

/** Element-wise layers: same shape out, nothing to learn. */
function elementwise(name: string, torchName: string, summary: string): LayerSpec {
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
  };
}

export const sigmoid = elementwise("sigmoid", "Sigmoid", "logistic sigmoid 1/(1+e^−x), element-wise");
export const relu = elementwise("relu", "ReLU", "rectified linear unit max(0, x), element-wise");
export const tanh = elementwise("tanh", "Tanh", "hyperbolic tangent, element-wise");
export const identity = elementwise("identity", "Identity", "passes its input through unchanged (the shortcut of a residual `add`)");
