/**
 * The ONNX back end: a checked network with its trained weights as an ONNX model for inference
 * (BN with its moving statistics, dropout off). Each layer's registry entry adds its nodes
 * (`onnx.emit`); this file builds the graph and serializes it with the protobuf definitions
 * generated from ONNX's own onnx.proto.
 */
import { create, toBinary, type MessageInitShape } from "@bufbuild/protobuf";
import {
  AttributeProto_AttributeType,
  AttributeProtoSchema,
  GraphProtoSchema,
  ModelProtoSchema,
  NodeProtoSchema,
  OperatorSetIdProtoSchema,
  TensorProto_DataType,
  TensorProtoSchema,
  TensorShapeProto_DimensionSchema,
  TensorShapeProtoSchema,
  TypeProto_TensorSchema,
  TypeProtoSchema,
  ValueInfoProtoSchema,
  type AttributeProto,
  type NodeProto,
  type TensorProto,
} from "onnx-buf";
import { error, type Diagnostic } from "../diagnostics.js";
import type { OnnxAttribute, OnnxGraph, Shape } from "../layers/types.js";
import type { Network, Node } from "../resolve.js";
import type { ExportedParam, Layout } from "./layout.js";

/** ONNX opset 13 (ONNX 1.8) has every operator used, and every runtime of the last years reads it. */
export const OPSET = 13;
/** The IR version of opset 13. */
const IR_VERSION = 7n;

function attribute(name: string, value: OnnxAttribute): AttributeProto {
  const T = AttributeProto_AttributeType;
  if (typeof value === "number") return create(AttributeProtoSchema, { name, type: T.INT, i: BigInt(value) });
  if (typeof value === "string") return create(AttributeProtoSchema, { name, type: T.STRING, s: new TextEncoder().encode(value) });
  if ("float" in value) return create(AttributeProtoSchema, { name, type: T.FLOAT, f: value.float });
  return create(AttributeProtoSchema, { name, type: T.INTS, ints: (value as readonly number[]).map(BigInt) });
}

function valueInfo(name: string, dims: readonly (number | string)[]) {
  const dim = dims.map((d) => create(TensorShapeProto_DimensionSchema, { value: typeof d === "string" ? { case: "dimParam", value: d } : { case: "dimValue", value: BigInt(d) } }));
  const tensorType = create(TypeProto_TensorSchema, { elemType: TensorProto_DataType.FLOAT, shape: create(TensorShapeProtoSchema, { dim }) });
  return create(ValueInfoProtoSchema, { name, type: create(TypeProtoSchema, { value: { case: "tensorType", value: tensorType } }) });
}

/**
 * The model's bytes. `weightOf` gives a parameter's values in PyTorch's layout, which ONNX's
 * operators share (NCHW, OIHW, Gemm with transB).
 */
export function onnxModel(network: Network, layout: Layout, weightOf: (param: ExportedParam) => Float32Array, netcVersion: string): { bytes?: Uint8Array; opset: number; diagnostics: Diagnostic[] } {
  const diagnostics: Diagnostic[] = [];
  const nodes: NodeProto[] = [];
  const initializers: TensorProto[] = [];
  const taken = new Set<string>();
  const fresh = (base: string) => {
    let name = base;
    for (let n = 2; taken.has(name); n++) name = `${base}_${n}`;
    taken.add(name);
    return name;
  };

  const initializer = (fields: MessageInitShape<typeof TensorProtoSchema>): string => {
    const tensor = create(TensorProtoSchema, fields);
    initializers.push(tensor);
    return tensor.name;
  };

  /** The graph as one layer (or merge) sees it: its weights, and names after it. */
  function graphFor(prefix: string, params: readonly ExportedParam[]): OnnxGraph {
    return {
      weight(name, dims) {
        const param = params.find((p) => p.param === name);
        if (!param) throw new Error(`internal: ${prefix} has no parameter ${name}`);
        const data = weightOf(param);
        return initializer({
          name: fresh(param.netcName),
          dims: (dims ?? param.torchShape).map(BigInt),
          dataType: TensorProto_DataType.FLOAT,
          rawData: new Uint8Array(data.buffer as ArrayBuffer, data.byteOffset, data.byteLength),
        });
      },
      floats(name, values, dims = [values.length]) {
        return initializer({ name: fresh(`${prefix}.${name}`), dims: dims.map(BigInt), dataType: TensorProto_DataType.FLOAT, floatData: [...values] });
      },
      ints(name, values) {
        return initializer({ name: fresh(`${prefix}.${name}`), dims: [BigInt(values.length)], dataType: TensorProto_DataType.INT64, int64Data: values.map(BigInt) });
      },
      node(op, inputs, attributes = {}) {
        const output = fresh(prefix);
        nodes.push(create(NodeProtoSchema, { name: output, opType: op, input: [...inputs], output: [output], attribute: Object.entries(attributes).map(([k, v]) => attribute(k, v)) }));
        return output;
      },
    };
  }

  function sequence(list: readonly Node[], x: string): string {
    for (const node of list) {
      if (node.kind === "group") x = sequence(node.children, x);
      else if (node.kind === "merge") {
        const branches = node.branches.map((branch) => sequence(branch, x));
        if (!node.spec.onnx) diagnostics.push(error("NET300", node.span, `\`${node.spec.name}\` has no ONNX export yet`, { hints: ["its registry entry (src/layers/) needs an `onnx` section"] }));
        else x = node.spec.onnx.emit(graphFor(node.spec.name, []), branches);
      } else if (node.kind === "layer") {
        const layer = layout.byNode.get(node)!;
        const onnx = node.spec.onnx;
        if (!onnx) {
          diagnostics.push(error("NET300", node.span, `\`${node.spec.name}\` has no ONNX export yet`, { hints: ["its registry entry (src/layers/) needs an `onnx` section"] }));
          continue;
        }
        const prefix = layer.params[0]?.netcName.replace(/\.[^.]*$/, "") ?? node.spec.name;
        x = onnx.emit(graphFor(prefix, layer.params), x, node.args, layer.input);
      }
    }
    return x;
  }

  taken.add("input");
  const last = sequence(network.layers, "input");
  if (diagnostics.length > 0) return { opset: OPSET, diagnostics };
  // The network's last value is the graph's output, "logits".
  const producer = nodes.find((n) => n.output[0] === last);
  if (producer) producer.output[0] = "logits";
  else nodes.push(create(NodeProtoSchema, { name: "logits", opType: "Identity", input: [last], output: ["logits"] }));

  const input: Shape = network.input!.shape;
  const output = layout.outputs.get(network.layers.at(-1)!)!;
  const graph = create(GraphProtoSchema, {
    name: network.name,
    node: nodes,
    initializer: initializers,
    input: [valueInfo("input", ["N", ...input])],
    output: [valueInfo("logits", ["N", ...output])],
  });
  const model = create(ModelProtoSchema, {
    irVersion: IR_VERSION,
    producerName: "netc",
    producerVersion: netcVersion,
    opsetImport: [create(OperatorSetIdProtoSchema, { domain: "", version: BigInt(OPSET) })],
    graph,
  });
  return { bytes: toBinary(ModelProtoSchema, model), opset: OPSET, diagnostics };
}
