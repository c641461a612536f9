/**
 * The network as the channels-first back ends (PyTorch, ONNX) see it: every layer in checkpoint
 * order with its shapes, and each parameter's place in PyTorch's layout. netc's tensors are NHWC,
 * conv weights HWIO and linear weights in×out, and `flatten` orders features H,W,C; PyTorch's are
 * NCHW, OIHW, out×in and C,H,W. Each layer's registry entry states its parameters' layout
 * (`torch.params`); this file only moves the numbers.
 */
import { error, type Diagnostic } from "../diagnostics.js";
import { isProblem, product, type BuildOptions, type Shape, type TorchParam } from "../layers/types.js";
import type { LayerNode, Network, Node } from "../resolve.js";
import { weightName } from "../train/checkpoint.js";

export interface ExportedParam {
  /** netc's name for it (`03.conv.weight`) and the parameter's own (`weight`). */
  netcName: string;
  param: string;
  torch: TorchParam;
  netcShape: readonly number[];
  torchShape: readonly number[];
  /** PyTorch's element j is netc's element gather[j]. */
  gather: Int32Array;
}

export interface ExportedLayer {
  node: LayerNode;
  input: Shape;
  output: Shape;
  params: ExportedParam[];
}

export interface Layout {
  /** Every layer of the network, depth first, branches in order (checkpoint order). */
  layers: ExportedLayer[];
  byNode: Map<LayerNode, ExportedLayer>;
  /** The input and output shape of every node, for back ends that walk the tree. */
  inputs: Map<Node, Shape>;
  outputs: Map<Node, Shape>;
}

/** For a flat tensor: PyTorch's feature j is netc's feature order[j]; undefined when they agree. */
type FeatureOrder = Int32Array | undefined;

/** Features of a flattened C×H×W: PyTorch's (c, h, w) at c·H·W + h·W + w, netc's at (h·W + w)·C + c. */
function flattenOrder([c, h, w]: readonly number[]): FeatureOrder {
  if (h! * w! === 1) return undefined;
  const order = new Int32Array(c! * h! * w!);
  for (let ci = 0; ci < c!; ci++) for (let p = 0; p < h! * w!; p++) order[ci * h! * w! + p] = p * c! + ci;
  return order;
}

/** Where each element of PyTorch's layout comes from in netc's. */
function gatherIndices(netcShape: readonly number[], torch: TorchParam, order: FeatureOrder): Int32Array {
  const rank = netcShape.length;
  const permute = torch.permute ?? netcShape.map((_, i) => i);
  const strides = netcShape.map((_, i) => product(netcShape.slice(i + 1)));
  const torchShape = permute.map((axis) => netcShape[axis]!);
  const gather = new Int32Array(product(netcShape));
  const index = new Array<number>(rank).fill(0);
  for (let j = 0; j < gather.length; j++) {
    let offset = 0;
    for (let k = 0; k < rank; k++) {
      const axis = permute[k]!;
      const at = axis === torch.featureAxis && order ? order[index[k]!]! : index[k]!;
      offset += at * strides[axis]!;
    }
    gather[j] = offset;
    // The next index in PyTorch's (row-major) order.
    for (let k = rank - 1; k >= 0 && ++index[k]! === torchShape[k]; k--) index[k] = 0;
  }
  return gather;
}

/** Lays out every layer of a checked network; problems are located diagnostics (code NET301). */
export function layout(network: Network, options: BuildOptions): { layout: Layout; diagnostics: Diagnostic[] } {
  const result: Layout = { layers: [], byNode: new Map(), inputs: new Map(), outputs: new Map() };
  const diagnostics: Diagnostic[] = [];
  const cannotCarry = (node: Node, what: string) =>
    diagnostics.push(
      error("NET301", node.span, `${what} gets features in \`flatten\`'s order, which PyTorch and ONNX lay out differently`, {
        hints: ["move `flatten` right before the `linear` that consumes it (element-wise layers, `bn` and `layernorm` may stand between them)"],
      }),
    );

  function sequence(nodes: readonly Node[], input: Shape, order: FeatureOrder): { output: Shape; order: FeatureOrder } {
    let shape = input;
    for (const node of nodes) {
      result.inputs.set(node, shape);
      if (node.kind === "invalid") throw new Error("internal: a model with errors reached the export");
      if (node.kind === "group") {
        ({ output: shape, order } = sequence(node.children, shape, order));
        result.outputs.set(node, shape);
        continue;
      }
      if (node.kind === "merge") {
        const branches = node.branches.map((branch) => sequence(branch, shape, order));
        const output = node.spec.outputShape(branches.map((b) => b.output));
        if (isProblem(output)) throw new Error(`internal: unchecked shape error: ${output.problem}`);
        if (branches.some((b) => b.order)) cannotCarry(node, `\`${node.spec.name}\``);
        result.outputs.set(node, output);
        shape = output;
        order = undefined;
        continue;
      }
      const output = node.spec.outputShape(shape, node.args);
      if (isProblem(output)) throw new Error(`internal: unchecked shape error: ${output.problem}`);
      const torch = node.spec.torch;
      const specs = node.spec.lower.params?.(shape, output, node.args) ?? [];
      const mapping = torch?.params?.(node.args, shape, options) ?? {};
      const index = result.layers.length;
      const consumesOrder = specs.some((p) => mapping[p.name]?.featureAxis !== undefined);
      // A kind without an export is reported by the back end, not here.
      if (order && torch && !consumesOrder && !torch.keepsFeatureOrder && !torch.flattens) cannotCarry(node, `\`${node.spec.name}\``);
      const params = specs.map((p): ExportedParam => {
        const torchParam = mapping[p.name] ?? { name: p.name };
        const permuted = (torchParam.permute ?? p.shape.map((_, i) => i)).map((axis) => p.shape[axis]!);
        return {
          netcName: weightName(index, node.spec.name, p.name),
          param: p.name,
          torch: torchParam,
          netcShape: p.shape,
          torchShape: torchParam.shape ?? permuted,
          gather: gatherIndices(p.shape, torchParam, order),
        };
      });
      const layer: ExportedLayer = { node, input: shape, output, params };
      result.layers.push(layer);
      result.byNode.set(node, layer);
      result.outputs.set(node, output);
      // Flattening a flat input changes nothing.
      if (torch?.flattens) order = shape.length === 3 ? flattenOrder(shape) : order;
      else if (!torch?.keepsFeatureOrder) order = undefined;
      shape = output;
    }
    return { output: shape, order };
  }

  if (!network.input) throw new Error("internal: a model without input reached the export");
  sequence(network.layers, network.input.shape, undefined);
  return { layout: result, diagnostics };
}

/** A parameter's values in PyTorch's layout, from netc's. */
export function toTorch(param: ExportedParam, netc: Float32Array): Float32Array {
  const out = new Float32Array(param.gather.length);
  for (let j = 0; j < out.length; j++) out[j] = netc[param.gather[j]!]!;
  return out;
}

/** A parameter's values in netc's layout, from PyTorch's. */
export function fromTorch(param: ExportedParam, torch: Float32Array): Float32Array {
  const out = new Float32Array(param.gather.length);
  for (let j = 0; j < out.length; j++) out[param.gather[j]!] = torch[j]!;
  return out;
}
