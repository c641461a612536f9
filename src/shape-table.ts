import type { Shape } from "./layers/types.js";
import { thousands } from "./numbers.js";
import type { ShapeReport } from "./shapes.js";
import type { SourceFile } from "./source.js";

/** Renderings of a shape report: a torchinfo-style table, the seed's printout, and JSON. */

const BYTES_PER_FLOAT = 4;

function withBatch(shape: Shape, batch: number): number[] {
  return [batch, ...shape];
}

type Align = "left" | "right";

/** One formatter for every row, header included (as torchinfo's format_row). */
function columns(rows: string[][], align: readonly Align[]): string[] {
  const widths = align.map((_, i) => Math.max(...rows.map((r) => r[i]!.length)));
  return rows.map((r) => r.map((cell, i) => (align[i] === "right" ? cell.padStart(widths[i]!) : cell.padEnd(widths[i]!))).join("  ").trimEnd());
}

function megabytes(elements: number): string {
  return (elements * BYTES_PER_FLOAT / 1e6).toFixed(2);
}

/** The seed's loop: `print(layer.__class__.__name__, 'output shape: \t', X.shape)` for each leaf. */
export function torchStyle(report: ShapeReport, batch: number): string {
  return report.rows
    .filter((r) => r.leaf)
    .map((r) => `${r.torchName ?? r.label} output shape: \t${r.output ? `torch.Size([${withBatch(r.output, batch).join(", ")}])` : "unknown"}`)
    .join("\n");
}

export function table(name: string, report: ShapeReport, source: SourceFile, batch: number): string {
  const header = ["Line", "Layer (type)", "Output Shape", "Param #", "Mult-Adds"];
  const rows: string[][] = [];
  for (const r of report.rows) {
    const label = `${"  ".repeat(r.depth)}${r.label}${r.leaf && r.torchName ? ` (${r.torchName})` : ""}`;
    const params = r.counts.trainable + r.counts.state;
    rows.push([
      String(source.position(r.span.start).line),
      label,
      r.output ? `[${withBatch(r.output, batch).join(", ")}]` : "?",
      params === 0 ? "--" : thousands(r.counts.trainable) + (r.counts.state ? ` (+${thousands(r.counts.state)})` : ""),
      r.macs === 0 ? "--" : thousands(r.macs * batch),
    ]);
  }
  const t = report.totals;
  const inputElements = report.input ? report.input.reduce((a, b) => a * b, 1) * batch : 0;
  const [head, ...body] = columns([header, ...rows], ["right", "left", "left", "right", "right"]);
  const rule = "=".repeat(Math.max(60, head!.length));
  const lines = [
    `Model: ${name}   input: ${report.input ? `[${withBatch(report.input, batch).join(", ")}]` : "undeclared"}`,
    rule,
    head,
    rule,
    ...body,
    rule,
    `Total params: ${thousands(t.trainable)}`,
    `Trainable params: ${thousands(t.trainable)}`,
    `Non-trainable params: 0`,
    `Non-trainable state (moving statistics, "+N" above): ${thousands(t.state)}`,
    `Total mult-adds: ${thousands(t.macs * batch)}`,
    rule,
    `Input size (MB): ${megabytes(inputElements)}`,
    `Forward/backward pass size (MB): ${megabytes(2 * t.activations * batch)}`,
    `Params and state size (MB): ${megabytes(t.trainable + t.state)}`,
    `Estimated total size (MB): ${megabytes(inputElements + 2 * t.activations * batch + t.trainable + t.state)}`,
    rule,
  ];
  return lines.join("\n");
}

export function shapesToJson(name: string, report: ShapeReport, source: SourceFile, batch: number) {
  return {
    model: name,
    batch,
    input: report.input ? withBatch(report.input, batch) : null,
    output: report.output ? withBatch(report.output, batch) : null,
    layers: report.rows.map((r) => ({
      depth: r.depth,
      layer: r.label,
      ...(r.torchName ? { torch: r.torchName } : {}),
      kind: r.leaf ? "layer" : "group",
      line: source.position(r.span.start).line,
      output: r.output ? withBatch(r.output, batch) : null,
      params: r.counts.trainable,
      state: r.counts.state,
      macs: r.macs * batch,
    })),
    totals: { params: report.totals.trainable, trainable: report.totals.trainable, state: report.totals.state, macs: report.totals.macs * batch },
  };
}
