import type { Tensor, Tensor2D } from "@tensorflow/tfjs";
import { CHANNEL_SUMS, CONV2D_BACKPROP_FILTER, CONV2D_BACKPROP_INPUT } from "../kernels/names.js";
import { netcConv, useNetcConv } from "./conv.js";
import { canUseKernel, formatShape, numberArg, product, pyCall, type LayerSpec, type LowerContext, type Tf } from "./types.js";

/** y = act(x·W + b) as the project's 1×1 convolution of [N, 1, 1, F]. */
function asPointwiseConv(tf: Tf, x: Tensor, weight: Tensor, bias: Tensor | undefined, activation: "linear" | "relu"): Tensor {
  const [n, f] = x.shape as [number, number];
  const o = weight.shape[1]!;
  return tf.reshape(netcConv(tf, tf.reshape(x, [n, 1, 1, f]), tf.reshape(weight, [1, 1, f, o]), bias, [1, 1], [0, 0], activation), [n, o]);
}

/**
 * Whether the project's kernels multiply for this weight [F, O]: not for fewer than 8 outputs
 * (a partial register tile on every row) nor, forward, fewer than 8 inputs, where tfjs's matMul
 * is faster.
 */
function useNetcMatMul(ctx: LowerContext, weight: Tensor, pass: "forward" | "backward"): boolean {
  const [f, o] = weight.shape as [number, number];
  return useNetcConv(ctx) && o >= 8 && (pass === "backward" || f >= 8);
}

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
    forward(ctx, x, p) {
      const { tf } = ctx;
      if (useNetcMatMul(ctx, p["weight"]!, "forward")) return { y: asPointwiseConv(tf, x, p["weight"]!, p["bias"], "linear") };
      return { y: tf.fused.matMul({ a: x as Tensor2D, b: p["weight"] as Tensor2D, ...(p["bias"] ? { bias: p["bias"] } : {}) }) };
    },
    affine(ctx, x, weight, bias, _args, activation) {
      const { tf } = ctx;
      if (useNetcMatMul(ctx, weight, "forward") && activation !== "sigmoid") return asPointwiseConv(tf, x, weight, bias, activation);
      return tf.fused.matMul({ a: x as Tensor2D, b: weight as Tensor2D, bias, activation });
    },
    backward(ctx, dy, x, _forward, p, _args, needDx) {
      const { tf } = ctx;
      const weight = p["weight"]!;
      const grads: Record<string, Tensor> = {};
      if (p["bias"]) grads["bias"] = canUseKernel(ctx, CHANNEL_SUMS) ? (tf.engine().runKernel(CHANNEL_SUMS, { x: dy }) as Tensor) : tf.sum(dy, 0);
      if (useNetcMatMul(ctx, weight, "backward")) {
        // As a 1×1 convolution of N images of 1×1 pixels (reshapes share the data).
        const [n, f] = x.shape as [number, number];
        const o = weight.shape[1]!;
        const attrs = { strides: [1, 1], padding: [0, 0] };
        const dy4 = tf.reshape(dy, [n, 1, 1, o]);
        grads["weight"] = tf.reshape(tf.engine().runKernel(CONV2D_BACKPROP_FILTER, { x: tf.reshape(x, [n, 1, 1, f]), dy: dy4 }, { ...attrs, filterShape: [1, 1, f, o] }) as Tensor, [f, o]);
        if (!needDx) return { grads };
        const dx = tf.engine().runKernel(CONV2D_BACKPROP_INPUT, { dy: dy4, filter: tf.reshape(weight, [1, 1, f, o]) }, { ...attrs, inputShape: [n, 1, 1, f] }) as Tensor;
        return { dx: tf.reshape(dx, [n, f]), grads };
      }
      // Explicit transposes: matMul's transpose flags are slow on wasm.
      grads["weight"] = tf.matMul(tf.transpose(x), dy);
      return { ...(needDx ? { dx: tf.matMul(dy, tf.transpose(weight)) } : {}), grads };
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
