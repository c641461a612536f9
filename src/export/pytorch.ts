/**
 * The PyTorch back end: a checked network as `model.py`, an `nn.Module` class per block (taking
 * the block's parameters, as d2l writes `Residual` or `Inception`) and the network as the `.net`
 * file reads it, with its line numbers. Each layer's registry entry gives its module
 * (`torch.module`); this file walks the network, names things and lays out the Python.
 */
import { error, type Diagnostic } from "../diagnostics.js";
import { pyNumber, type ArgValue, type BuildOptions, type Shape, type TorchContext } from "../layers/types.js";
import type { BlockUse, BlockValue, GroupNode, LayerNode, MergeNode, Network, Node } from "../resolve.js";
import type { SourceFile } from "../source.js";
import type * as A from "../syntax/ast.js";
import type { Layout } from "./layout.js";

/** Longest line the generator writes a chain on before it puts one module per line. */
const LINE_WIDTH = 110;

const PYTHON_KEYWORDS = new Set(
  "False None True and as assert async await break class continue def del elif else except finally for from global if import in is lambda nonlocal not or pass raise return try while with yield match case".split(" "),
);
/** Names the generated code uses itself. */
const TAKEN = new Set(["self", "in_channels", "i", "nn", "torch", "super", "range", "len"]);

/** `conv_block` → `ConvBlock`, `residual-1x1` → `Residual1x1`. */
function className(name: string): string {
  return name
    .split(/[-_]+/)
    .filter(Boolean)
    .map((part) => part[0]!.toUpperCase() + part.slice(1))
    .join("");
}

function pythonName(name: string): string {
  const plain = name.replace(/-/g, "_");
  return PYTHON_KEYWORDS.has(plain) || TAKEN.has(plain) ? `${plain}_` : plain;
}

function pyLiteral(value: ArgValue | BlockValue): string {
  if (typeof value === "number") return pyNumber(value);
  if (typeof value === "boolean") return value ? "True" : "False";
  if (typeof value === "string") return JSON.stringify(value);
  return `(${value.map(pyNumber).join(", ")})`;
}

function isNumeral(expr: string): boolean {
  return /^\d+$/.test(expr);
}

function parenthesized(expr: string): string {
  return /^[\w.]+$/.test(expr) ? expr : `(${expr})`;
}

/** A sum of channel counts, its numbers added up: `in_channels + 32`. */
function sum(exprs: readonly string[]): string {
  const constant = exprs.filter(isNumeral).reduce((a, b) => a + Number(b), 0);
  const symbols = exprs.filter((e) => !isNumeral(e));
  return [...symbols, ...(constant || symbols.length === 0 ? [String(constant)] : [])].join(" + ");
}

function indent(text: string, by = "    "): string {
  return text
    .split("\n")
    .map((line) => (line ? by + line : line))
    .join("\n");
}

/** A module expression and the `.net` line it comes from. */
interface Entry {
  line: number;
  text: string;
}

/** The Python names in scope inside a block's class: netc parameter → Python name. */
type Scope = ReadonlyMap<string, string> | undefined;

interface BlockClass {
  name: string;
  text: string;
  /** The output's channels, in terms of `in_channels` and the class's parameters. */
  channels: string;
  params: Map<string, string>;
}

export interface TorchModel {
  /** model.py's text. */
  source: string;
  className: string;
  /** Each layer's module path in the state dict (`3.branches.0.1`), by the layer. */
  paths: Map<LayerNode, string>;
}

/** Emits model.py; located problems (layer kinds without a PyTorch export) are returned instead. */
export function pytorchModel(network: Network, layout: Layout, source: SourceFile, options: BuildOptions, netcVersion: string): { model?: TorchModel; diagnostics: Diagnostic[] } {
  const diagnostics: Diagnostic[] = [];
  const definitions: string[] = [];
  const classes = new Map<A.BlockDef, BlockClass[]>();
  const classOrder: BlockClass[] = [];
  const usedNames = new Set(["BatchNorm", "Branches", "Add", "Concat"]);
  const file = source.path.split(/[\\/]/).at(-1)!;

  const define = (texts: readonly string[]) => {
    for (const text of texts) if (!definitions.includes(text)) definitions.push(text);
  };
  const freshName = (base: string) => {
    let name = base;
    for (let n = 2; usedNames.has(name); n++) name = `${base}${n}`;
    usedNames.add(name);
    return name;
  };
  const lineOf = (node: Node) => source.position(node.span.start).line;
  /** A line's `.net` text for a comment: without comments, braces and surrounding space. */
  const lineComment = (line: number) => {
    const text = source.lineText(line).replace(/#.*/, "").trim().replace(/^\}\s*/, "").replace(/\s*\{$/, "");
    return text ? `# line ${line}: ${text}` : `# line ${line}`;
  };

  /**
   * The modules of a sequence, with the channels after it. At the top level (`scope`
   * undefined) every number is known; inside a class, channels and arguments are Python
   * expressions of `in_channels` and the block's parameters.
   */
  function sequence(nodes: readonly Node[], channels: string, scope: Scope): { entries: Entry[]; channels: string } {
    const entries: Entry[] = [];
    for (const node of nodes) {
      const channelsIn = scope ? channels : String(layout.inputs.get(node)![0]);
      const out = emit(node, channelsIn, scope);
      entries.push({ line: lineOf(node), text: out.text });
      channels = out.channels;
    }
    return { entries, channels };
  }

  function emit(node: Node, channels: string, scope: Scope): { text: string; channels: string } {
    switch (node.kind) {
      case "invalid":
        throw new Error("internal: a model with errors reached the export");
      case "layer":
        return layer(node, channels, scope);
      case "merge":
        return merge(node, channels, scope);
      case "group":
        return node.origin.kind === "block" ? blockUse(node, node.origin, channels, scope) : repeat(node, channels, scope);
    }
  }

  function layer(node: LayerNode, channels: string, scope: Scope): { text: string; channels: string } {
    const torch = node.spec.torch;
    const { input, output } = layout.byNode.get(node)!;
    if (!torch) {
      diagnostics.push(error("NET300", node.span, `\`${node.spec.name}\` has no PyTorch export yet`, { hints: ["its registry entry (src/layers/) needs a `torch` section"] }));
      return { text: "None", channels };
    }
    const arg = (name: string) => {
      const ref = node.refs[name];
      if (scope && ref !== undefined) return scope.get(ref)!;
      const value = node.args[name];
      return value === undefined ? undefined : pyLiteral(value);
    };
    const ctx: TorchContext = { arg, args: node.args, channels, input, options };
    define(torch.definitions?.(node.args, options) ?? []);
    return { text: torch.module(ctx), channels: scope ? channelsAfter(torch.channelsArg && arg(torch.channelsArg), channels, input, output) : known(node) };
  }

  /** The channels after a layer inside a class: its argument's, else the input's (scaled, for `flatten`). */
  function channelsAfter(fromArg: string | undefined, channels: string, input: Shape, output: Shape): string {
    if (fromArg) return fromArg;
    if (output[0] === input[0]) return channels;
    const ratio = output[0]! / input[0]!;
    if (Number.isInteger(ratio)) return isNumeral(channels) ? String(Number(channels) * ratio) : `${parenthesized(channels)} * ${ratio}`;
    return String(output[0]);
  }

  function merge(node: MergeNode, channels: string, scope: Scope): { text: string; channels: string } {
    const torch = node.spec.torch;
    const branches = node.branches.map((branch) => sequence(branch, channels, scope));
    if (!torch) {
      diagnostics.push(error("NET300", node.span, `\`${node.spec.name}\` has no PyTorch export yet`, { hints: ["its registry entry (src/layers/) needs a `torch` section"] }));
      return { text: "None", channels };
    }
    define(torch.definitions);
    const outs = branches.map((b) => b.channels);
    const text = `${torch.className}(\n${branches.map((b) => indent(module(b.entries, lineOf(node))) + ",").join("\n")}\n)`;
    return { text, channels: scope ? (torch.channels === "sum" ? sum(outs) : outs[0]!) : known(node) };
  }

  /** A node's output channels at the top level, where shapes are known. */
  function known(node: Node): string {
    return String(layout.outputs.get(node)![0]);
  }

  function blockUse(node: GroupNode, use: BlockUse, channels: string, scope: Scope): { text: string; channels: string } {
    const cls = blockClass(node, use);
    const value = (param: string) => {
      const ref = use.refs[param];
      return scope && ref !== undefined ? scope.get(ref)! : pyLiteral(use.values[param]!);
    };
    const args = use.def.params.flatMap((p) => {
      if (!use.given.includes(p.name.text)) return [];
      return p.default ? [`${cls.params.get(p.name.text)}=${value(p.name.text)}`] : [value(p.name.text)];
    });
    const text = `${cls.name}(${[channels, ...args].join(", ")})`;
    if (!scope) return { text, channels: known(node) };
    // The class's output channels with its parameters replaced by this use's arguments.
    const bindings = new Map([["in_channels", channels], ...use.def.params.map((p): [string, string] => [cls.params.get(p.name.text)!, value(p.name.text)])]);
    return { text, channels: cls.channels.replace(/\b\w+\b/g, (name) => (bindings.has(name) ? parenthesized(bindings.get(name)!) : name)) };
  }

  /** The class of a block, as this use expands it; uses that expand alike share one. */
  function blockClass(node: GroupNode, use: BlockUse): BlockClass {
    const params = new Map<string, string>();
    for (const p of use.def.params) {
      let name = pythonName(p.name.text);
      while ([...params.values()].includes(name)) name += "_";
      params.set(p.name.text, name);
    }
    const body = sequence(node.children, "in_channels", params);
    const signature = ["self", "in_channels", ...use.def.params.map((p) => (p.default?.kind === "number" || p.default?.kind === "dims" ? `${params.get(p.name.text)}=${pyLiteral(p.default.kind === "number" ? p.default.value : p.default.dims)}` : params.get(p.name.text)!))];
    const header = source.lineText(source.position(use.def.span.start).line).trim().replace(/\s*\{$/, "");
    const text = (name: string) =>
      [
        `class ${name}(nn.Sequential):`,
        `    """\`${header}\`, ${file} line ${source.position(use.def.span.start).line}."""`,
        "",
        `    def __init__(${signature.join(", ")}):`,
        "        super().__init__(",
        indent(entries(body.entries), "            "),
        "        )",
      ].join("\n");
    const variants = classes.get(use.def) ?? [];
    const same = variants.find((v) => v.text === text(v.name));
    if (same) return same;
    const cls: BlockClass = { name: "", text: "", channels: body.channels, params };
    cls.name = freshName(className(use.def.name.text));
    cls.text = text(cls.name);
    variants.push(cls);
    classes.set(use.def, variants);
    classOrder.push(cls);
    return cls;
  }

  function repeat(node: GroupNode, channels: string, scope: Scope): { text: string; channels: string } {
    const origin = node.origin as Extract<GroupNode["origin"], { kind: "repeat" }>;
    const per = node.children.length / origin.times;
    const iteration = (i: number) => node.children.slice(i * per, (i + 1) * per);
    const countRef = scope && origin.countRef !== undefined ? scope.get(origin.countRef) : undefined;
    if (countRef === undefined) {
      // A known count: each repetition written out, or a loop when they read alike.
      const bodies: { entries: Entry[]; channels: string }[] = [];
      for (let i = 0; i < origin.times; i++) bodies.push(sequence(iteration(i), i === 0 ? channels : bodies[i - 1]!.channels, scope));
      const texts = bodies.map((b) => module(b.entries, lineOf(node)));
      const last = bodies.at(-1)!.channels;
      if (texts.every((t) => t === texts[0])) return { text: `nn.Sequential(*(\n${indent(texts[0]!)}\n    for _ in range(${origin.times})\n))`, channels: last };
      return { text: `nn.Sequential(\n${texts.map((t) => indent(t) + ",").join("\n")}\n)`, channels: last };
    }
    // A count given by a parameter: a loop, whose i-th repetition's input channels are a formula of i.
    const placeholder = sequence(iteration(0), "channels", scope).channels;
    const constant = !/\bchannels\b/.test(placeholder);
    const growth = /^channels \+ (.+)$/.exec(placeholder);
    let input: string;
    let after: string;
    if (placeholder === "channels") [input, after] = [channels, channels];
    else if (constant) [input, after] = [channels === placeholder ? channels : `${channels} if i == 0 else ${placeholder}`, placeholder];
    else if (growth && !/\bchannels\b/.test(growth[1]!)) [input, after] = [`${channels} + i * ${parenthesized(growth[1]!)}`, `${channels} + ${countRef} * ${parenthesized(growth[1]!)}`];
    else {
      diagnostics.push(
        error("NET302", node.span, "this `repeat` changes its channels in a way the PyTorch class cannot loop over", {
          hints: ["give the count as a number, or make each repetition's output channels fixed or grow by a fixed amount"],
        }),
      );
      return { text: "None", channels };
    }
    const body = module(sequence(iteration(0), input, scope).entries, lineOf(node));
    const variable = /\bi\b/.test(body) ? "i" : "_";
    return { text: `nn.Sequential(*(\n${indent(body)}\n    for ${variable} in range(${countRef})\n))`, channels: after };
  }

  /**
   * Entries as the arguments of a call: a chain's modules on one line under a comment with its
   * `.net` line (unless the enclosing module's comment already names that line).
   */
  function entries(list: readonly Entry[], commented?: number): string {
    const out: string[] = [];
    for (let i = 0; i < list.length; ) {
      let j = i + 1;
      while (j < list.length && list[j]!.line === list[i]!.line) j++;
      const group = list.slice(i, j).map((e) => e.text);
      if (list[i]!.line !== commented) out.push(lineComment(list[i]!.line));
      const joined = group.join(", ") + ",";
      if (group.every((t) => !t.includes("\n")) && joined.length <= LINE_WIDTH) out.push(joined);
      else out.push(...group.map((t) => t + ","));
      i = j;
    }
    return out.join("\n");
  }

  /** A sequence as one module: a single module itself, several in an `nn.Sequential`. */
  function module(list: readonly Entry[], commented: number): string {
    if (list.length === 1) return list[0]!.line === commented ? list[0]!.text : `${lineComment(list[0]!.line)}\n${list[0]!.text}`;
    return `nn.Sequential(\n${indent(entries(list, commented))}\n)`;
  }

  const top = sequence(network.layers, String(network.input!.shape[0]), undefined);
  if (diagnostics.length > 0) return { diagnostics };
  const modelClass = freshName(className(network.name) || "Model");
  const inputShape = `(${network.input!.shape.join(", ")}${network.input!.shape.length === 1 ? "," : ""})`;
  const text = [
    `"""${network.name}, exported by netc ${netcVersion} from ${file}: the network as PyTorch modules.`,
    "",
    `\`${modelClass}()\` is the network as ${file} reads (its line numbers in the comments); each block`,
    "is a class taking the block's parameters after its input channels. `load_weights` and",
    "`save_weights` read and write safetensors files with the standard library alone.",
    '"""',
    "import ctypes",
    "import json",
    "import os",
    "import struct",
    "",
    "import torch",
    "from torch import nn",
    "",
    ...definitions.flatMap((d) => ["", d, ""]),
    ...classOrder.flatMap((c) => ["", c.text, ""]),
    "",
    `class ${modelClass}(nn.Sequential):`,
    `    """\`model ${network.name}\` (${file}): input ${network.input!.shape.join("×")}, output ${top.channels} logits."""`,
    "",
    `    input_shape = ${inputShape}`,
    "",
    "    def __init__(self):",
    "        super().__init__(",
    indent(entries(top.entries), "            "),
    "        )",
    "",
    SAFETENSORS_PY,
  ].join("\n");

  const paths = new Map<LayerNode, string>();
  modulePaths(network.layers, "", paths);
  return { model: { source: text.replace(/\n{3,}/g, "\n\n\n") + "\n", className: modelClass, paths }, diagnostics };
}

/**
 * Each layer's place in the module tree the text above builds: a class (or the model) holds
 * its sequence's modules by index; a branch or a repetition of one module is that module, of
 * several an `nn.Sequential`; a merge keeps its branches in `branches`.
 */
function modulePaths(nodes: readonly Node[], prefix: string, paths: Map<LayerNode, string>): void {
  nodes.forEach((node, i) => {
    const path = `${prefix}${i}`;
    moduleAt(node, path, paths);
  });
}

function moduleAt(node: Node, path: string, paths: Map<LayerNode, string>): void {
  if (node.kind === "layer") paths.set(node, path);
  else if (node.kind === "merge") node.branches.forEach((branch, b) => single(branch, `${path}.branches.${b}`, paths));
  else if (node.kind === "group" && node.origin.kind === "block") modulePaths(node.children, `${path}.`, paths);
  else if (node.kind === "group" && node.origin.kind === "repeat") {
    const per = node.children.length / node.origin.times;
    for (let i = 0; i < node.origin.times; i++) single(node.children.slice(i * per, (i + 1) * per), `${path}.${i}`, paths);
  }
}

function single(nodes: readonly Node[], path: string, paths: Map<LayerNode, string>): void {
  if (nodes.length === 1) moduleAt(nodes[0]!, path, paths);
  else modulePaths(nodes, `${path}.`, paths);
}

/** model.py's weight files: safetensors (an 8-byte header length, a JSON header, the raw data). */
const SAFETENSORS_PY = `
# Weights in safetensors format: the file starts with the length of a JSON header (8 bytes,
# little-endian) that gives each tensor's dtype, shape and byte range in the data after it.
DTYPES = {"F32": torch.float32, "I64": torch.int64}


def read_safetensors(path):
    """Returns the tensors and the metadata of a safetensors file."""
    with open(path, "rb") as f:
        (length,) = struct.unpack("<Q", f.read(8))
        header = json.loads(f.read(length))
        data = f.read()
    metadata = header.pop("__metadata__", {})
    tensors = {}
    for name, entry in header.items():
        begin, end = entry["data_offsets"]
        flat = torch.frombuffer(bytearray(data[begin:end]), dtype=DTYPES[entry["dtype"]])
        tensors[name] = flat.reshape(entry["shape"])
    return tensors, metadata


def write_safetensors(tensors, path, metadata=None):
    """Writes tensors (name → tensor) to a safetensors file, atomically."""
    names = {dtype: name for name, dtype in DTYPES.items()}
    header, chunks, offset = {}, [], 0
    if metadata:
        header["__metadata__"] = {key: str(value) for key, value in metadata.items()}
    for name, tensor in tensors.items():
        tensor = tensor.detach().to("cpu").contiguous()
        size = tensor.numel() * tensor.element_size()
        chunk = ctypes.string_at(tensor.data_ptr(), size) if size else b""
        header[name] = {"dtype": names[tensor.dtype], "shape": list(tensor.shape), "data_offsets": [offset, offset + len(chunk)]}
        chunks.append(chunk)
        offset += len(chunk)
    encoded = json.dumps(header).encode()
    encoded += b" " * (-len(encoded) % 8)
    partial = f"{path}.partial"
    with open(partial, "wb") as f:
        f.write(struct.pack("<Q", len(encoded)) + encoded)
        for chunk in chunks:
            f.write(chunk)
        f.flush()
        os.fsync(f.fileno())
    os.replace(partial, path)


def load_weights(model, path):
    """Loads a safetensors file (netc's export, or one written by save_weights) into the model."""
    tensors, _ = read_safetensors(path)
    model.load_state_dict(tensors)


def save_weights(model, path, metadata=None):
    """Writes the model's parameters and buffers to a safetensors file, with string metadata."""
    write_safetensors(model.state_dict(), path, metadata)
`;
