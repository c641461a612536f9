import type { Tensor, Tensor4D } from "@tensorflow/tfjs";
import { AVG_POOL2_BACKWARD } from "../kernels/names.js";
import { isProblem, pyCall, sizeArg, type ArgValues, type LayerSpec, type Tf } from "./types.js";
import { slideWindow, tfPadding, windowArgs } from "./window.js";

interface Window {
  filterSize: [number, number];
  strides: [number, number];
  pad: ReturnType<typeof tfPadding>;
}

function poolWindow(args: ArgValues): Window {
  const kernel = sizeArg(args, "kernel");
  const stride = sizeArg(args, "stride", kernel);
  return { filterSize: [kernel[0], kernel[1]], strides: [stride[0], stride[1]], pad: tfPadding(sizeArg(args, "padding", [0, 0])) };
}

interface PoolOps {
  forward(tf: Tf, x: Tensor4D, w: Window): Tensor;
  /** The backend's gradient kernel (no public op exists), with the inputs it takes. */
  gradKernel: "AvgPoolGrad" | "MaxPoolGrad";
  /** A cheaper gradient for common windows, when there is one. */
  fastGrad?(tf: Tf, dy: Tensor, x: Tensor, w: Window): Tensor | undefined;
  gradInputs(dy: Tensor, x: Tensor, y: Tensor): Record<string, Tensor>;
  average: boolean;
  onnxOp: "AveragePool" | "MaxPool";
}

function pooling(name: string, torchName: string, summary: string, ops: PoolOps): LayerSpec {
  const padded = (args: ArgValues) => sizeArg(args, "padding", [0, 0]).some((p) => p > 0);
  return {
    kind: "layer",
    name,
    summary,
    example: `${name} 2`,
    args: [{ name: "kernel", short: "k", type: "size", positional: true, required: true, min: 1, doc: "window size (`2`, `k3`)" }, ...windowArgs("the kernel size")],
    torchName: () => torchName,
    outputShape(input, args) {
      const kernel = sizeArg(args, "kernel");
      const padding = sizeArg(args, "padding", [0, 0]);
      if (padding[0] > kernel[0] / 2 || padding[1] > kernel[1] / 2) {
        return { code: "NET106", problem: `padding ${padding.join("×")} is more than half the kernel ${kernel.join("×")}`, hints: ["PyTorch rejects this too: use at most half the kernel size"] };
      }
      const out = slideWindow(name, input, kernel, sizeArg(args, "stride", kernel), padding);
      return isProblem(out) ? out : [input[0]!, ...out];
    },
    counts: () => ({ trainable: 0, state: 0 }),
    macs: () => 0,
    lower: {
      forward: ({ tf }, x, _p, args) => ({ y: ops.forward(tf, x as Tensor4D, poolWindow(args)) }),
      isAveragePool2(args) {
        const w = poolWindow(args);
        return ops.average && w.pad === "valid" && [...w.filterSize, ...w.strides].every((n) => n === 2);
      },
      backward({ tf }, dy, x, { y }, _p, args) {
        const w = poolWindow(args);
        const dx = ops.fastGrad?.(tf, dy, x, w) ?? (tf.engine().runKernel(ops.gradKernel, ops.gradInputs(dy, x, y), { ...w }) as Tensor);
        return { dx, grads: {} };
      },
    },
    torch: {
      // Padded averages leave the padding out, as TensorFlow.js (and so netc) does.
      module: ({ arg, args }) =>
        pyCall(`nn.${torchName}`, [], { kernel_size: arg("kernel"), stride: arg("stride"), padding: arg("padding"), count_include_pad: ops.average && padded(args) ? "False" : undefined }),
    },
    onnx: {
      emit(graph, x, args) {
        const kernel = sizeArg(args, "kernel");
        const [ph, pw] = sizeArg(args, "padding", [0, 0]);
        // ONNX's AveragePool leaves the padding out by default (count_include_pad=0).
        return graph.node(ops.onnxOp, [x], { kernel_shape: kernel, strides: sizeArg(args, "stride", kernel), pads: [ph, pw, ph, pw] });
      },
    },
  };
}

// Note: with padding, PyTorch's average counts the zeros (count_include_pad) and tfjs's does not;
// the d2l networks pad only max pooling.
export const avgpool = pooling("avgpool", "AvgPool2d", "average pooling (PyTorch `nn.AvgPool2d`); stride defaults to the kernel size", {
  forward: (tf, x, w) => tf.avgPool(x, w.filterSize, w.strides, w.pad),
  gradKernel: "AvgPoolGrad",
  gradInputs: (dy, x) => ({ dy, input: x }),
  average: true,
  onnxOp: "AveragePool",
  // Non-overlapping windows that tile the input: each input gets its window's dy / k², which is a
  // nearest-neighbour upsampling (the scale applied to the small dy), or for 2×2 one pass of the
  // project's kernel where the backend has it.
  fastGrad(tf, dy, x, w) {
    const [k0, k1] = w.filterSize;
    const [, h, wd] = x.shape as number[];
    if (w.pad !== "valid" || w.strides[0] !== k0 || w.strides[1] !== k1 || h! % k0 !== 0 || wd! % k1 !== 0) return undefined;
    if (k0 === 2 && k1 === 2 && tf.getKernel(AVG_POOL2_BACKWARD, tf.getBackend())) return tf.engine().runKernel(AVG_POOL2_BACKWARD, { dy }, { h: h!, w: wd! }) as Tensor;
    return tf.image.resizeNearestNeighbor(tf.div(dy, k0 * k1) as Tensor4D, [h!, wd!]);
  },
});
export const maxpool = pooling("maxpool", "MaxPool2d", "max pooling (PyTorch `nn.MaxPool2d`); stride defaults to the kernel size", {
  forward: (tf, x, w) => tf.maxPool(x, w.filterSize, w.strides, w.pad),
  gradKernel: "MaxPoolGrad",
  gradInputs: (dy, x, y) => ({ dy, input: x, output: y }),
  average: false,
  onnxOp: "MaxPool",
});
