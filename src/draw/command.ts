/**
 * `netc draw FILE -o model.svg|png`: the model's graph, as the browser page's graph view draws
 * it. Loaded by cli.ts on demand (the layout library is only needed here).
 */
import { extname } from "node:path";
import type { Checked } from "../compile.js";
import { UserError } from "../errors.js";
import { writeFileAtomic } from "../runtime/fsutil.js";
import { svgToPng } from "../runtime/svg-files.js";
import { modelGraph } from "./model-graph.js";
import { drawGraph } from "./svg.js";

export interface DrawFlags {
  out: string;
  /** Every block use and `repeat` as one box. */
  collapse?: boolean;
}

/** Checks the output's extension before any work: `.svg` or `.png`. */
export function drawFormat(out: string): "svg" | "png" {
  const ext = extname(out).toLowerCase();
  if (ext === ".svg" || ext === ".png") return ext.slice(1) as "svg" | "png";
  throw new UserError(`cannot tell the drawing's format from ${out}`, ["name the output file `….svg` or `….png`"], 2);
}

/** Draws a checked model (without errors) into `flags.out`; returns a line for the user. */
export async function drawCommand(checked: Checked, flags: DrawFlags): Promise<string> {
  const format = drawFormat(flags.out);
  const graph = modelGraph(checked.network, checked.shapes, checked.source, { collapsed: () => flags.collapse === true });
  const { svg, width, height } = drawGraph(graph);
  await writeFileAtomic(flags.out, format === "svg" ? svg : await svgToPng(svg));
  const layers = graph.boxes.filter((b) => b.kind === "layer").length;
  return `drew ${graph.name} (${layers} layer box${layers === 1 ? "" : "es"}${graph.groups.length ? `, ${graph.groups.length} group${graph.groups.length === 1 ? "" : "s"}${flags.collapse ? " collapsed" : ""}` : ""}) into ${flags.out}, ${Math.ceil(width)}×${Math.ceil(height)}${format === "png" ? " at 2×" : ""}`;
}
