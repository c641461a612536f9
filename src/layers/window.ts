import { formatShape, type ArgSpec, type Shape, type ShapeProblem } from "./types.js";

/** The kernel/stride/padding options shared by conv and pooling, in PyTorch's spelling. */
export function windowArgs(strideDefault: string): ArgSpec[] {
  return [
    { name: "stride", short: "s", type: "size", min: 1, default: strideDefault, doc: "step between windows (`s2`, `s2x1`)" },
    { name: "padding", short: "p", type: "size", min: 0, default: "0", doc: "zeros added on each side (`p1`)" },
  ];
}

/** The problem when a layer that slides over H×W gets something else. */
export function needsImage(layer: string, input: Shape): ShapeProblem | undefined {
  if (input.length === 3) return undefined;
  return {
    code: "NET102",
    problem: `\`${layer}\` needs a C×H×W input, but gets ${input.length === 1 ? `a flat vector of ${input[0]} features` : formatShape(input)}`,
    hints: input.length === 1 ? [`\`${layer}\` cannot follow \`flatten\` or \`linear\`: move it before them, or declare an image input such as \`input 1x28x28\``] : [],
  };
}

/** Spatial output size of a sliding window, as PyTorch computes it (floor mode). */
export function slideWindow(
  layer: string,
  input: Shape,
  kernel: readonly [number, number],
  stride: readonly [number, number],
  padding: readonly [number, number],
): readonly [number, number] | ShapeProblem {
  const notImage = needsImage(layer, input);
  if (notImage) return notImage;
  const [, h, w] = input as [number, number, number];
  const padded = [h + 2 * padding[0], w + 2 * padding[1]] as const;
  const tooSmall = ([0, 1] as const).find((axis) => kernel[axis] > padded[axis]);
  if (tooSmall !== undefined) {
    return {
      code: "NET101",
      problem: `kernel ${formatShape(kernel)} is larger than the ${padding[0] || padding[1] ? "padded " : ""}input ${formatShape(padded)}`,
      hints: [
        `use a smaller kernel, pad the input (\`p${Math.ceil((kernel[tooSmall] - input[tooSmall + 1]!) / 2)}\`), or remove a pooling layer before it`,
      ],
    };
  }
  const out = ([0, 1] as const).map((axis) => Math.floor((padded[axis] - kernel[axis]) / stride[axis]) + 1);
  return [out[0]!, out[1]!];
}

/** PyTorch's symmetric padding in tfjs's NHWC explicit form (`valid` when there is none). */
export function tfPadding(padding: readonly [number, number]): "valid" | [[number, number], [number, number], [number, number], [number, number]] {
  if (padding[0] === 0 && padding[1] === 0) return "valid";
  return [
    [0, 0],
    [padding[0], padding[0]],
    [padding[1], padding[1]],
    [0, 0],
  ];
}
