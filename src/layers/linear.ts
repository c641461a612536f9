import type { Tensor, Tensor2D } from "@tensorflow/tfjs";
import { formatShape, numberArg, product, pyCall, type LayerSpec } from "./types.js";

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
  lower: {
    // As the seed: weights Xavier-uniform; the bias keeps PyTorch's default U(±1/√fan_in).
    params(input, output, args) {
      const [fanIn, fanOut] = [input[0]!, output[0]!];
      return [
        { name: "weight", shape: [fanIn, fanOut], init: { uniform: Math.sqrt(6 / (fanIn + fanOut)) }, trainable: true },
        ...(args["nobias"] ? [] : [{ name: "bias", shape: [fanOut], init: { uniform: 1 / Math.sqrt(fanIn) }, trainable: true }]),
      ];
    },
    forward({ tf }, x, p) {
      return { y: tf.fused.matMul({ a: x as Tensor2D, b: p["weight"] as Tensor2D, ...(p["bias"] ? { bias: p["bias"] } : {}) }) };
    },
    affine: ({ tf }, x, weight, bias, _args, activation) => tf.fused.matMul({ a: x as Tensor2D, b: weight as Tensor2D, bias, activation }),
    // Explicit transposes: matMul's transpose flags are slow on wasm.
    backward({ tf }, dy, x, _forward, p, _args, needDx) {
      const grads: Record<string, Tensor> = { weight: tf.matMul(tf.transpose(x), dy) };
      if (p["bias"]) grads["bias"] = tf.sum(dy, 0);
      return { ...(needDx ? { dx: tf.matMul(dy, tf.transpose(p["weight"]!)) } : {}), grads };
    },
  },
  torch: {
    module: ({ arg, args, channels }) => pyCall("nn.Linear", [channels, arg("features")!], { bias: args["nobias"] ? "False" : undefined }),
    channelsArg: "features",
    // netc keeps in×out (x·W), PyTorch out×in (x·Wᵀ).
    params: () => ({ weight: { name: "weight", permute: [1, 0], featureAxis: 0 }, bias: { name: "bias" } }),
  },
  onnx: {
    emit: (graph, x, args) => graph.node("Gemm", [x, graph.weight("weight"), ...(args["nobias"] ? [] : [graph.weight("bias")])], { transB: 1 }),
  },
};
