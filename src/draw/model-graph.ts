/**
 * A checked model as a graph to draw: one box per layer, the branches of `add`/`concat` as
 * parallel paths into a box for the merge, each block use and `repeat` a cluster around its
 * layers (or, collapsed, one box), and every edge labelled with the shape that flows along it.
 * Built from the resolved network and its shape report, which list the same nodes in the same
 * order (shapes.ts walks the network depth-first, one row per layer, group, merge and branch).
 */
import { formatShape, type ArgSpec, type ArgValues, type Shape } from "../layers/types.js";
import type { Network, Node } from "../resolve.js";
import type { ShapeReport, ShapeRow } from "../shapes.js";
import type { SourceFile } from "../source.js";
import { thousands } from "../numbers.js";

/** What a box is, for its colour: read from the PyTorch class name, so new layers get one too. */
export type Category = "io" | "conv" | "linear" | "norm" | "activation" | "pool" | "reshape" | "merge" | "group" | "other";

export interface GraphBox {
  id: string;
  kind: "input" | "output" | "layer" | "merge" | "group";
  title: string;
  /** A second line: the arguments, or a collapsed group's size. */
  detail: string;
  category: Category;
  /** 1-based source line, 0 for none. */
  line: number;
  /** The cluster this box is drawn in. */
  parent?: string;
  /** For a collapsed group: the id of the group it stands for. */
  group?: string;
}

export interface GraphCluster {
  /** Also the group's id, for collapsing it. */
  id: string;
  title: string;
  line: number;
  parent?: string;
}

export interface GraphEdge {
  from: string;
  to: string;
  /** The shape flowing along it, e.g. `6×24×24`; `?` when unknown. */
  label: string;
}

export interface ModelGraph {
  name: string;
  boxes: GraphBox[];
  clusters: GraphCluster[];
  edges: GraphEdge[];
  /** Every group (block use or `repeat`), expanded or not, by id. */
  groups: string[];
}

export interface GraphOptions {
  /** Whether the group with this id is drawn as one box. */
  collapsed(id: string): boolean;
}

const CATEGORIES: [RegExp, Category][] = [
  [/Conv/, "conv"],
  [/Linear/, "linear"],
  [/Norm/, "norm"],
  [/Pool/, "pool"],
  [/ReLU|Sigmoid|Tanh|GELU|ELU|Softmax/, "activation"],
  [/Flatten|Reshape/, "reshape"],
];

function categoryOf(torchName: string | undefined): Category {
  return CATEGORIES.find(([pattern]) => pattern.test(torchName ?? ""))?.[1] ?? "other";
}

function dims(v: number | readonly number[]): string {
  return typeof v === "number" ? String(v) : v.join("x");
}

/** A layer's arguments as the language writes them, block parameters substituted: `64 k3 p1 s2`. */
export function argsText(specs: readonly ArgSpec[], args: ArgValues): string {
  const parts: string[] = [];
  // The first positional argument bare (`conv 64`, `avgpool 2`), later ones by their short key (`k3`).
  const first = specs.find((s) => s.positional);
  for (const spec of specs) {
    const v = args[spec.name];
    if (v === undefined || v === false) continue;
    if (v === true) parts.push(spec.name);
    else if (typeof v === "string") parts.push(v);
    else if (spec === first || (spec.positional && !spec.short)) parts.push(dims(v));
    else parts.push(spec.short ? `${spec.short}${dims(v)}` : `${spec.name}=${dims(v)}`);
  }
  return parts.join(" ");
}

function shapeLabel(shape: Shape | undefined): string {
  return shape ? formatShape(shape) : "?";
}

function paramsText(row: ShapeRow): string {
  const n = row.counts.trainable;
  return n === 0 ? "" : `${thousands(n)} param${n === 1 ? "" : "s"}`;
}

class GraphBuilder {
  readonly boxes: GraphBox[] = [];
  readonly clusters: GraphCluster[] = [];
  readonly edges: GraphEdge[] = [];
  readonly groups: string[] = [];
  private next = 0;

  constructor(
    private readonly rows: readonly ShapeRow[],
    private readonly source: SourceFile,
    private readonly options: GraphOptions,
  ) {}

  private row(): ShapeRow {
    const row = this.rows[this.next++];
    if (!row) throw new Error("internal: the shape report has fewer rows than the network has nodes");
    return row;
  }

  private line(row: ShapeRow): number {
    return this.source.position(row.span.start).line;
  }

  box(box: GraphBox, from: readonly Tail[]): void {
    this.boxes.push(box);
    for (const tail of from) this.edges.push({ from: tail.id, to: box.id, label: shapeLabel(tail.shape) });
  }

  /**
   * Draws `nodes` after `tails` (the boxes whose outputs flow in, with their shapes); returns
   * the new tails. `path` names the nodes uniquely and stably while the text above them changes.
   */
  sequence(nodes: readonly Node[], tails: Tail[], path: string, parent: string | undefined): Tail[] {
    nodes.forEach((node, i) => {
      tails = this.node(node, tails, `${path}.${i}`, parent);
    });
    return tails;
  }

  private node(node: Node, tails: Tail[], id: string, parent: string | undefined): Tail[] {
    switch (node.kind) {
      case "invalid":
        // Already reported; the shape after it is unknown.
        return tails.map((t) => ({ ...t, shape: undefined }));
      case "layer": {
        const row = this.row();
        this.box({ id, kind: "layer", title: node.spec.name, detail: argsText(node.spec.args, node.args), category: categoryOf(row.torchName), line: this.line(row), ...(parent ? { parent } : {}) }, tails);
        return [{ id, shape: row.output }];
      }
      case "merge": {
        const row = this.row();
        const ends = node.branches.flatMap((branch, b) => {
          this.row(); // the branch's own row
          return this.sequence(branch, tails, `${id}.${b}`, parent);
        });
        this.box({ id, kind: "merge", title: node.spec.name, detail: "", category: "merge", line: this.line(row), ...(parent ? { parent } : {}) }, ends);
        return [{ id, shape: row.output }];
      }
      case "group": {
        const row = this.row();
        this.groups.push(id);
        if (this.options.collapsed(id)) {
          // Its rows are consumed, its boxes not drawn.
          const inner = new GraphBuilder(this.rows, this.source, { collapsed: () => true });
          inner.next = this.next;
          inner.sequence(node.children, tails, id, undefined);
          this.next = inner.next;
          this.groups.push(...inner.groups);
          this.box({ id, kind: "group", title: node.label, detail: paramsText(row), category: "group", line: this.line(row), group: id, ...(parent ? { parent } : {}) }, tails);
          return [{ id, shape: row.output }];
        }
        this.clusters.push({ id, title: node.label, line: this.line(row), ...(parent ? { parent } : {}) });
        return this.sequence(node.children, tails, id, id);
      }
    }
  }
}

interface Tail {
  id: string;
  shape: Shape | undefined;
}

export function modelGraph(network: Network, report: ShapeReport, source: SourceFile, options: GraphOptions = { collapsed: () => false }): ModelGraph {
  const builder = new GraphBuilder(report.rows, source, options);
  const input = network.input;
  const inputId = "input";
  builder.box({ id: inputId, kind: "input", title: "input", detail: input ? input.shape.join("x") : "not declared", category: "io", line: input ? source.position(input.span.start).line : 0 }, []);
  const tails = builder.sequence(network.layers, [{ id: inputId, shape: input?.shape }], "n", undefined);
  builder.box({ id: "output", kind: "output", title: "output", detail: "", category: "io", line: 0 }, tails);
  return { name: network.name, boxes: builder.boxes, clusters: builder.clusters, edges: builder.edges, groups: builder.groups };
}
