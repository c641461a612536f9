import { error, warning, type Diagnostic } from "./diagnostics.js";
import { MAX_DIAGNOSTICS } from "./limits.js";
import { countText } from "./numbers.js";
import { formatShape, isProblem, product, type BuildOptions, type Counts, type Shape, type ShapeProblem } from "./layers/types.js";
import { blockUses, type LayerNode, type Network, type Node } from "./resolve.js";
import type { Span } from "./source.js";

/**
 * Shape inference: every layer's output shape, parameters and multiply-adds, computed from the
 * registry's rules. A mistake is reported where it happens and the shape after it becomes unknown,
 * so one mistake does not cascade into false ones.
 */

export interface ShapeRow {
  /** Nesting depth: 0 for top-level layers, +1 inside each block, repeat or branch. */
  depth: number;
  /** The layer or block as written (e.g. `conv`, `residual(c=64, s=1)`, `branch 2`). */
  label: string;
  /** PyTorch's class name, for leaf layers. */
  torchName?: string;
  /** Whether this row is a layer (not a group that contains others). */
  leaf: boolean;
  span: Span;
  /** The network's node this row describes; branch rows have none. */
  node?: Node;
  /** Per-example input shape, or undefined when unknown because of an earlier mistake. */
  input?: Shape;
  /** Per-example output shape, or undefined when unknown because of an earlier mistake. */
  output?: Shape;
  /** A group's counts are the sums of its rows. */
  counts: Counts;
  macs: number;
}

export interface ShapeReport {
  rows: ShapeRow[];
  input?: Shape;
  output?: Shape;
  totals: Counts & {
    macs: number;
    /** Sum over leaf layers of per-example output elements (activation memory). */
    activations: number;
  };
}

const ZERO: Counts = { trainable: 0, state: 0 };

function addCounts(a: Counts, b: Counts): Counts {
  return { trainable: a.trainable + b.trainable, state: a.state + b.state };
}

class ShapeChecker {
  readonly rows: ShapeRow[] = [];
  readonly diagnostics: Diagnostic[] = [];
  activations = 0;
  /** Running totals over the model, to catch the layer that takes one past 2^53. */
  private params = 0;
  private macs = 0;

  constructor(private readonly options: BuildOptions) {}

  private report(problem: ShapeProblem, node: Node, input: Shape | undefined): void {
    const related = blockUses(node.via);
    this.push(error(problem.code, node.span, problem.problem, { hints: problem.hints ?? [], related, ...(input ? { label: `input ${formatShape(input)}` } : {}) }));
  }

  /** Bounded on any text: compile.ts shows the first MAX_DIAGNOSTICS of all stages' findings. */
  private push(d: Diagnostic): void {
    if (this.diagnostics.length < 2 * MAX_DIAGNOSTICS) this.diagnostics.push(d);
  }

  /** Runs a sequence; returns its output shape and totals. */
  sequence(nodes: readonly Node[], input: Shape | undefined, depth: number): { output?: Shape; counts: Counts; macs: number } {
    let shape = input;
    let counts = ZERO;
    let macs = 0;
    nodes.forEach((node, i) => {
      const next = nodes[i + 1];
      if (node.kind === "layer" && next?.kind === "layer") this.checkBiasBeforeNorm(node, next);
      const result = this.node(node, shape, depth);
      shape = result.output;
      counts = addCounts(counts, result.counts);
      macs += result.macs;
    });
    return { ...(shape ? { output: shape } : {}), counts, macs };
  }

  private node(node: Node, input: Shape | undefined, depth: number): { output?: Shape; counts: Counts; macs: number } {
    switch (node.kind) {
      case "invalid":
        return { counts: ZERO, macs: 0 };
      case "layer": {
        const row: ShapeRow = { depth, label: node.spec.name, leaf: true, span: node.span, node, ...(input ? { input } : {}), counts: ZERO, macs: 0 };
        this.rows.push(row);
        if (!input) return { counts: ZERO, macs: 0 };
        row.torchName = node.spec.torchName(node.args, input, this.options);
        const output = node.spec.outputShape(input, node.args);
        if (isProblem(output)) {
          this.report(output, node, input);
          return { ...(output.continueWith ? { output: output.continueWith } : {}), counts: ZERO, macs: 0 };
        }
        const counts = node.spec.counts(input, output, node.args);
        const macs = node.spec.macs(input, output, node.args);
        if (!this.countable(node, product(output), counts.trainable + counts.state, macs)) return { counts: ZERO, macs: 0 };
        row.output = output;
        row.counts = counts;
        row.macs = macs;
        return { output, counts, macs };
      }
      case "group": {
        const row: ShapeRow = { depth, label: node.label, leaf: false, span: node.span, node, ...(input ? { input } : {}), counts: ZERO, macs: 0 };
        this.rows.push(row);
        const result = this.sequence(node.children, input, depth + 1);
        Object.assign(row, result);
        return result;
      }
      case "merge": {
        const row: ShapeRow = { depth, label: node.spec.name, torchName: node.spec.torchName, leaf: false, span: node.span, node, ...(input ? { input } : {}), counts: ZERO, macs: 0 };
        this.rows.push(row);
        const outputs: (Shape | undefined)[] = [];
        node.branches.forEach((branch, i) => {
          const branchRow: ShapeRow = { depth: depth + 1, label: `branch ${i + 1}`, leaf: false, span: branch[0]?.span ?? node.span, ...(input ? { input } : {}), counts: ZERO, macs: 0 };
          this.rows.push(branchRow);
          const result = this.sequence(branch, input, depth + 2);
          Object.assign(branchRow, result);
          row.counts = addCounts(row.counts, result.counts);
          row.macs += result.macs;
          outputs.push(result.output);
        });
        if (outputs.some((s) => s === undefined)) return { counts: row.counts, macs: row.macs };
        const output = node.spec.outputShape(outputs as Shape[]);
        if (isProblem(output)) {
          this.report(output, node, undefined);
          return { ...(output.continueWith ? { output: output.continueWith } : {}), counts: row.counts, macs: row.macs };
        }
        if (!this.countable(node, product(output), 0, 0)) return { counts: row.counts, macs: row.macs };
        row.output = output;
        return { output, counts: row.counts, macs: row.macs };
      }
    }
  }

  /**
   * Adds a layer's figures to the model's totals, unless a figure or a total would pass 2^53,
   * where doubles stop counting exactly: then the layer is reported, and shapes after it are
   * unknown (every later figure would be as large).
   */
  private countable(node: Node, elements: number, params: number, macs: number): boolean {
    const name = node.kind === "layer" || node.kind === "merge" ? node.spec.name : "layer";
    const over = (n: number) => n > Number.MAX_SAFE_INTEGER;
    const problem = over(elements)
      ? `its output has ${countText(elements)} elements`
      : over(params)
        ? `it has ${countText(params)} parameters`
        : over(macs)
          ? `it takes ${countText(macs)} multiply-adds`
          : over(this.activations + elements)
            ? `with it, the model's outputs total ${countText(this.activations + elements)} elements`
            : over(this.params + params)
              ? `with it, the model has ${countText(this.params + params)} parameters`
              : over(this.macs + macs)
                ? `with it, the model takes ${countText(this.macs + macs)} multiply-adds`
                : undefined;
    if (problem === undefined) {
      this.activations += elements;
      this.params += params;
      this.macs += macs;
      return true;
    }
    this.push(
      error("NET110", node.span, `this \`${name}\` is too large to count: ${problem}, past 2^53, where netc's figures stop being exact`, {
        related: blockUses(node.via),
        hints: ["is a size or a count mistyped?"],
      }),
    );
    return false;
  }

  /** The seed's first exercise: a bias right before `bn` is cancelled by its mean subtraction. */
  private checkBiasBeforeNorm(layer: LayerNode, next: LayerNode): void {
    if (!layer.spec.hasBias?.(layer.args) || !next.spec.subtractsMean) return;
    this.push(
      warning("NET200", layer.span, `the bias of this \`${layer.spec.name}\` is cancelled by the \`${next.spec.name}\` after it`, {
        related: [{ span: next.span, message: "its mean subtraction removes any per-channel constant" }],
        hints: [`write \`nobias\` to drop the parameter (the output is the same${learnsShift(next) ? `; \`${next.spec.name}\`'s beta plays the bias's role` : ""})`],
      }),
    );
  }
}

/** Whether a normalization learns a shift β: unless its `affine` option, given or by default, is off. */
function learnsShift(norm: LayerNode): boolean {
  return (norm.args["affine"] ?? norm.spec.args.find((a) => a.name === "affine")?.default !== "false") !== false;
}

/** The largest single layer output of one example, in elements. */
export function peakActivation(report: ShapeReport): number {
  return report.rows.reduce((peak, r) => (r.output ? Math.max(peak, product(r.output)) : peak), 0);
}

export function inferShapes(network: Network, options: BuildOptions): { report: ShapeReport; diagnostics: Diagnostic[] } {
  const checker = new ShapeChecker(options);
  const input = network.input?.shape;
  const result = checker.sequence(network.layers, input, 0);
  const report: ShapeReport = {
    rows: checker.rows,
    ...(input ? { input } : {}),
    ...(result.output ? { output: result.output } : {}),
    totals: { ...result.counts, macs: result.macs, activations: checker.activations },
  };
  return { report, diagnostics: checker.diagnostics };
}
