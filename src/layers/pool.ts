import { isProblem, sizeArg, type LayerSpec } from "./types.js";
import { slideWindow, windowArgs } from "./window.js";

function pooling(name: string, torchName: string, summary: string): LayerSpec {
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
  };
}

export const avgpool = pooling("avgpool", "AvgPool2d", "average pooling (PyTorch `nn.AvgPool2d`); stride defaults to the kernel size");
export const maxpool = pooling("maxpool", "MaxPool2d", "max pooling (PyTorch `nn.MaxPool2d`); stride defaults to the kernel size");
