import { canUseKernel, isProblem, numberArg, product, pyCall, sizeArg, type ArgValues, type LayerSpec, type LowerContext, type Tf } from "./types.js";
import type { Tensor, Tensor4D } from "@tensorflow/tfjs";
import { CHANNEL_SUMS, CONV2D, CONV2D_BACKPROP_FILTER, CONV2D_BACKPROP_INPUT } from "../kernels/names.js";
import { slideWindow, tfPadding, windowArgs } from "./window.js";

function geometry(args: ArgValues) {
  const stride = sizeArg(args, "stride", [1, 1]);
  const padding = sizeArg(args, "padding", [0, 0]);
  return { kernel: sizeArg(args, "kernel"), strides: [stride[0], stride[1]] as [number, number], padding, pad: tfPadding(padding) };
}

/**
 * Whether the project's convolution kernels run: wherever they may. Their sliding-window path
 * takes the shapes where im2col is weak (few input channels, as LeNet's and every first layer).
 */
export function useNetcConv(ctx: LowerContext): boolean {
  return canUseKernel(ctx, CONV2D);
}

/** The project's convolution: y = act(x ⊛ w + b), PyTorch's padding. */
export function netcConv(tf: Tf, x: Tensor, weight: Tensor, bias: Tensor | undefined, strides: readonly number[], padding: readonly number[], activation: "linear" | "relu"): Tensor {
  return tf.engine().runKernel(CONV2D, { x, filter: weight, ...(bias ? { bias } : {}) }, { strides: [...strides], padding: [...padding], activation }) as Tensor;
}

export const conv: LayerSpec = {
  kind: "layer",
  name: "conv",
  summary: "2-D convolution (PyTorch `nn.Conv2d`); input channels are inferred",
  example: "conv 6 k5",
  args: [
    { name: "channels", type: "int", positional: true, required: true, min: 1, doc: "output channels" },
    { name: "kernel", short: "k", type: "size", positional: true, required: true, min: 1, doc: "kernel size (`k5`, `k3x5`)" },
    ...windowArgs("1"),
    { name: "nobias", type: "flag", doc: "no bias term (a `bn` right after cancels it anyway)" },
  ],
  torchName: () => "Conv2d",
  outputShape(input, args) {
    const out = slideWindow("conv", input, sizeArg(args, "kernel"), sizeArg(args, "stride", [1, 1]), sizeArg(args, "padding", [0, 0]));
    return isProblem(out) ? out : [numberArg(args, "channels"), ...out];
  },
  counts(input, _output, args) {
    const [kh, kw] = sizeArg(args, "kernel");
    const channels = numberArg(args, "channels");
    return { trainable: channels * input[0]! * kh * kw + (args["nobias"] ? 0 : channels), state: 0 };
  },
  macs(input, output, args) {
    return this.counts(input, output, args).trainable * product(output.slice(1));
  },
  hasBias: (args) => !args["nobias"],
  lower: {
    // y and dx; at stride 1 also the padded output gradient the backward convolves.
    trainingElements: (input, output, args) => product(input) + (geometry(args).strides.every((s) => s === 1) ? 2 : 1) * product(output),
    // As the seed: weights Xavier-uniform; the bias keeps PyTorch's default U(±1/√fan_in).
    params(input, output, args) {
      const [kh, kw] = sizeArg(args, "kernel");
      const fanIn = input[0]! * kh * kw;
      const fanOut = output[0]! * kh * kw;
      return [
        { name: "weight", shape: [kh, kw, input[0]!, output[0]!], init: { uniform: Math.sqrt(6 / (fanIn + fanOut)) }, trainable: true },
        ...(args["nobias"] ? [] : [{ name: "bias", shape: [output[0]!], init: { uniform: 1 / Math.sqrt(fanIn) }, trainable: true }]),
      ];
    },
    forward(ctx, x, p, args) {
      const { tf } = ctx;
      if (useNetcConv(ctx)) return { y: netcConv(tf, x, p["weight"]!, p["bias"], geometry(args).strides, geometry(args).padding, "linear") };
      const { strides, pad } = geometry(args);
      return { y: tf.fused.conv2d({ x: x as Tensor4D, filter: p["weight"] as Tensor4D, strides, pad, ...(p["bias"] ? { bias: p["bias"] } : {}) }) };
    },
    affine(ctx, x, weight, bias, args, activation) {
      const { tf } = ctx;
      if (useNetcConv(ctx) && activation !== "sigmoid") return netcConv(tf, x, weight, bias, geometry(args).strides, geometry(args).padding, activation);
      const { strides, pad } = geometry(args);
      return tf.fused.conv2d({ x: x as Tensor4D, filter: weight as Tensor4D, strides, pad, bias, activation });
    },
    backward(ctx, dy, x, _forward, p, args, needDx) {
      const { tf } = ctx;
      const { strides, padding, pad } = geometry(args);
      const weight = p["weight"]!;
      const grads: Record<string, Tensor> = {};
      if (p["bias"]) grads["bias"] = canUseKernel(ctx, CHANNEL_SUMS) ? (tf.engine().runKernel(CHANNEL_SUMS, { x: dy }) as Tensor) : tf.sum(dy, [0, 1, 2]);
      if (useNetcConv(ctx)) {
        const attrs = { strides, padding: [...padding] };
        grads["weight"] = tf.engine().runKernel(CONV2D_BACKPROP_FILTER, { x, dy }, { ...attrs, filterShape: weight.shape }) as Tensor;
        if (!needDx) return { grads };
        return { dx: tf.engine().runKernel(CONV2D_BACKPROP_INPUT, { dy, filter: weight }, { ...attrs, inputShape: x.shape }) as Tensor, grads };
      }
      const attrs = { strides, pad, dataFormat: "NHWC" };
      // Kernels without a public op: the filter gradient (registered for wasm by the runtime).
      grads["weight"] = tf.engine().runKernel("Conv2DBackpropFilter", { x, dy }, { ...attrs, filterShape: weight.shape }) as Tensor4D;
      if (!needDx) return { grads };
      const [kh, kw] = sizeArg(args, "kernel");
      const [ph, pw] = sizeArg(args, "padding", [0, 0]);
      if (strides[0] === 1 && strides[1] === 1 && ph < kh && pw < kw) {
        // Stride 1: the input gradient is a plain convolution of the padded dy with the filter
        // flipped and its in/out channels swapped (wasm's Conv2DBackpropInput is ~4× slower).
        const flipped = tf.transpose(tf.reverse(weight, [0, 1]), [0, 1, 3, 2]);
        const pad: [[number, number], [number, number], [number, number], [number, number]] = [
          [0, 0],
          [kh - 1 - ph, kh - 1 - ph],
          [kw - 1 - pw, kw - 1 - pw],
          [0, 0],
        ];
        return { dx: tf.conv2d(dy as Tensor4D, flipped as Tensor4D, 1, pad), grads };
      }
      return { dx: tf.engine().runKernel("Conv2DBackpropInput", { dy, filter: weight }, { ...attrs, inputShape: x.shape }) as Tensor4D, grads };
    },
  },
  torch: {
    module: ({ arg, args, channels }) =>
      pyCall("nn.Conv2d", [channels, arg("channels")!], { kernel_size: arg("kernel"), stride: arg("stride"), padding: arg("padding"), bias: args["nobias"] ? "False" : undefined }),
    channelsArg: "channels",
    params: () => ({ weight: { name: "weight", permute: [3, 2, 0, 1] }, bias: { name: "bias" } }),
  },
  onnx: {
    emit(graph, x, args) {
      const [ph, pw] = sizeArg(args, "padding", [0, 0]);
      const inputs = [x, graph.weight("weight"), ...(args["nobias"] ? [] : [graph.weight("bias")])];
      return graph.node("Conv", inputs, { kernel_shape: sizeArg(args, "kernel"), strides: sizeArg(args, "stride", [1, 1]), pads: [ph, pw, ph, pw] });
    },
  },
};
