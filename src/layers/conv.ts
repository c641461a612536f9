import { isProblem, numberArg, product, pyCall, sizeArg, type ArgValues, type LayerSpec } from "./types.js";
import type { Tensor, Tensor4D } from "@tensorflow/tfjs";
import { slideWindow, tfPadding, windowArgs } from "./window.js";

function geometry(args: ArgValues) {
  const stride = sizeArg(args, "stride", [1, 1]);
  return { kernel: sizeArg(args, "kernel"), strides: [stride[0], stride[1]] as [number, number], pad: tfPadding(sizeArg(args, "padding", [0, 0])) };
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
    forward({ tf }, x, p, args) {
      const { strides, pad } = geometry(args);
      return { y: tf.fused.conv2d({ x: x as Tensor4D, filter: p["weight"] as Tensor4D, strides, pad, ...(p["bias"] ? { bias: p["bias"] } : {}) }) };
    },
    affine({ tf }, x, weight, bias, args, activation) {
      const { strides, pad } = geometry(args);
      return tf.fused.conv2d({ x: x as Tensor4D, filter: weight as Tensor4D, strides, pad, bias, activation });
    },
    backward({ tf }, dy, x, _forward, p, args, needDx) {
      const { strides, pad } = geometry(args);
      const weight = p["weight"]!;
      const attrs = { strides, pad, dataFormat: "NHWC" };
      const grads: Record<string, Tensor> = {
        // Kernels without a public op: the filter gradient (registered for wasm by the runtime).
        weight: tf.engine().runKernel("Conv2DBackpropFilter", { x, dy }, { ...attrs, filterShape: weight.shape }) as Tensor4D,
      };
      if (p["bias"]) grads["bias"] = tf.sum(dy, [0, 1, 2]);
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
