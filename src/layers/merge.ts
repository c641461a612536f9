import type { Tensor } from "@tensorflow/tfjs";
import { formatShape, type MergeSpec } from "./types.js";

/** The PyTorch export's base class of merges: modules applied to the same input. */
const BRANCHES = `class Branches(nn.Module):
    def __init__(self, *branches):
        super().__init__()
        self.branches = nn.ModuleList(branches)`;

export const add: MergeSpec = {
  kind: "merge",
  name: "add",
  summary: "sums the outputs of its branches, which must have equal shapes (residual connections)",
  example: "add { conv 64 k3 p1 | bn } { identity }",
  args: [],
  torchName: "Add",
  outputShape(inputs) {
    const first = inputs[0]!;
    const other = inputs.find((s) => formatShape(s) !== formatShape(first));
    if (other) {
      return {
        code: "NET104",
        problem: `\`add\` needs branches of equal shape, but gets ${inputs.map(formatShape).join(" and ")}`,
        hints: ["give the shortcut branch a projection, e.g. `{ conv C k1 s=S }`, so its shape matches"],
        continueWith: first,
      };
    }
    return first;
  },
  merge: (tf, ys) => tf.addN(ys as Tensor[]),
  split: (_tf, dy, ys) => ys.map(() => dy),
  torch: {
    className: "Add",
    definitions: [
      BRANCHES,
      `class Add(Branches):
    """\`add { ... } { ... }\`: the sum of its branches' outputs (a residual connection)."""

    def forward(self, X):
        Y = self.branches[0](X)
        for branch in self.branches[1:]:
            Y = Y + branch(X)
        return Y`,
    ],
    channels: "same",
  },
  onnx: { emit: (graph, branches) => graph.node("Sum", branches) },
};

export const concat: MergeSpec = {
  kind: "merge",
  name: "concat",
  summary: "concatenates the outputs of its branches along channels; spatial sizes must be equal (Inception, DenseNet)",
  example: "concat { conv 64 k1 } { conv 32 k3 p1 }",
  args: [],
  torchName: "Concat",
  outputShape(inputs) {
    const rest = (s: readonly number[]) => formatShape(s.slice(1));
    const channels = inputs.reduce((sum, s) => sum + s[0]!, 0);
    if (inputs.some((s) => s.length !== inputs[0]!.length || rest(s) !== rest(inputs[0]!))) {
      const sameRank = inputs.every((s) => s.length === inputs[0]!.length);
      return {
        code: "NET105",
        problem: `\`concat\` needs branches with equal spatial size, but gets ${inputs.map(formatShape).join(", ")}`,
        hints: ["pad or stride the branches so their H×W agree (e.g. `p1` for a 3×3 kernel)"],
        ...(sameRank ? { continueWith: [channels, ...inputs[0]!.slice(1)] } : {}),
      };
    }
    return [channels, ...inputs[0]!.slice(1)];
  },
  // Channels are the last axis in NHWC.
  merge: (tf, ys) => tf.concat(ys as Tensor[], -1),
  split: (tf, dy, ys) => tf.split(dy, ys.map((y) => y.shape.at(-1)!), -1),
  torch: {
    className: "Concat",
    definitions: [
      BRANCHES,
      `class Concat(Branches):
    """\`concat { ... } { ... }\`: its branches' outputs concatenated along channels (Inception, DenseNet)."""

    def forward(self, X):
        return torch.cat([branch(X) for branch in self.branches], dim=1)`,
    ],
    channels: "sum",
  },
  // Channels are axis 1 in NCHW.
  onnx: { emit: (graph, branches) => graph.node("Concat", branches, { axis: 1 }) },
};
