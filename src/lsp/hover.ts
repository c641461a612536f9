import type { Hover } from "vscode-languageserver";
import { argLine } from "../layer-docs.js";
import { lookupLayer } from "../layers/registry.js";
import { formatShape, type ArgSpec, type Spec } from "../layers/types.js";
import type { ShapeRow } from "../shapes.js";
import type { Span } from "../source.js";
import type * as A from "../syntax/ast.js";
import type { Analysis } from "./analysis.js";
import { toRange } from "./range.js";
import { findBlock, targetAt } from "./locate.js";
import { thousands } from "../numbers.js";
import { optionForKey, optionOfWord } from "../resolve.js";
import { lookupDataset } from "../datasets.js";
import { preprocessSummary, resolveSettings, TRAIN_ARGS, updateSummary } from "../train-settings.js";

/**
 * Hover: for a layer, its input and output shape (every distinct one when a block or `repeat`
 * uses it several times), its parameters and the registry's documentation; for a block, its
 * signature and the shapes of its uses.
 */

function sameSpan(a: Span, b: Span): boolean {
  return a.start === b.start && a.end === b.end;
}

function shape(s: readonly number[] | undefined): string {
  return s ? formatShape(s) : "?";
}

function countsText(row: ShapeRow): string {
  const parts: string[] = [];
  if (row.counts.trainable > 0) parts.push(`${thousands(row.counts.trainable)} parameters`);
  if (row.counts.state > 0) parts.push(`+${thousands(row.counts.state)} moving statistics`);
  return parts.length > 0 ? ` · ${parts.join(", ")}` : "";
}

/** `1×28×28 → 6×24×24 · 156 parameters`, once per distinct use. */
export function shapeLines(rows: readonly ShapeRow[]): string[] {
  const distinct = new Map<string, number>();
  for (const r of rows) {
    const key = !r.input ? "_shape unknown: an earlier mistake comes first_" : `\`${shape(r.input)} → ${shape(r.output)}\`${r.output ? countsText(r) : " (see the problem reported here)"}`;
    distinct.set(key, (distinct.get(key) ?? 0) + 1);
  }
  const lines = [...distinct].map(([text, n]) => (distinct.size > 1 || rows.length > 1 ? `- ${text}${n > 1 ? ` (${n}×)` : ""}` : text));
  return rows.length > 1 ? [`used ${rows.length}×:`, ...lines] : lines;
}

/** The `# ...` lines right above a block definition: its documentation. */
function docComment(file: A.NetFile, text: string, def: A.BlockDef): string[] {
  const lines: string[] = [];
  let start = def.span.start;
  for (const c of [...file.comments].reverse()) {
    if (c.span.end > start) continue;
    const between = text.slice(c.span.end, start);
    if (!/^[ \t\r]*\n[ \t]*$/.test(between)) break;
    const lineStart = text.lastIndexOf("\n", c.span.start - 1) + 1;
    if (text.slice(lineStart, c.span.start).trim() !== "") break;
    lines.unshift(c.text.replace(/^#\s?/, "").trimEnd());
    start = lineStart;
  }
  return lines;
}

export function blockSignature(def: A.BlockDef): string {
  const params = def.params.map((p) => (p.default ? `${p.name.text}=${p.default.kind === "ref" ? p.default.name : p.default.text}` : p.name.text));
  return `block ${def.name.text}${params.length > 0 ? `(${params.join(", ")})` : ""}`;
}

function unchecked(rows: readonly ShapeRow[], block: A.BlockDef | undefined, analysis: Analysis): string[] {
  if (rows.length > 0) return [];
  if (block && !analysis.checked.shapes.rows.some((r) => r.label.startsWith(`${block.name.text}(`))) return [`_not checked: block \`${block.name.text}\` is never used_`];
  return ["_shape unknown: see the problems reported_"];
}

/** Which of the layer's arguments a written argument sets. */
function specOf(spec: Spec, item: A.LayerItem, arg: A.Arg): ArgSpec | undefined {
  if (arg.kind === "keyword") return optionForKey(spec.args, arg.key.text);
  if (arg.kind === "word") {
    const option = optionOfWord(spec.args, arg.name.text);
    if (option) return option.spec;
  }
  // Positional: a number, or a block parameter standing for one.
  const index = item.args.filter((a) => a.kind === "positional" || (a.kind === "word" && !optionOfWord(spec.args, a.name.text))).indexOf(arg);
  return index >= 0 ? spec.args.filter((s) => s.positional)[index] : undefined;
}

function layerHover(analysis: Analysis, spec: Spec, item: A.LayerItem, arg: A.Arg | undefined, block: A.BlockDef | undefined): string[] {
  const rows = analysis.checked.shapes.rows.filter((r) => (spec.kind === "merge" ? !r.leaf && r.label === spec.name && sameSpan(r.span, item.name.span) : r.leaf && sameSpan(r.span, item.span)));
  const torch = rows.find((r) => r.torchName)?.torchName;
  const lines = [`**${spec.name}**${torch ? ` (\`${torch}\`)` : ""}: ${spec.summary}`, "", ...shapeLines(rows), ...unchecked(rows, block, analysis)];
  const argSpec = arg && specOf(spec, item, arg);
  if (argSpec) lines.push("", argLine(argSpec));
  else if (spec.args.length > 0) lines.push("", ...spec.args.map((a) => `- ${argLine(a)}`));
  lines.push("", `e.g. \`${spec.example}\``);
  return lines;
}

function blockHover(analysis: Analysis, def: A.BlockDef, rows: readonly ShapeRow[], block: A.BlockDef | undefined): string[] {
  const doc = docComment(analysis.checked.ast, analysis.checked.source.text, def);
  return ["```netc", blockSignature(def), "```", ...(doc.length > 0 ? ["", doc.join("\n")] : []), "", ...shapeLines(rows), ...unchecked(rows, block, analysis)];
}

/**
 * The `train` header: the settings it resolves to (flags of `netc train` may still override
 * them) and its options; on a setting, that option, and for a dataset its shape and classes.
 */
function trainHover(analysis: Analysis, arg: A.Arg | undefined): string[] {
  const spec = arg && (arg.kind === "keyword" ? optionForKey(TRAIN_ARGS, arg.key.text) : arg.kind === "word" ? optionOfWord(TRAIN_ARGS, arg.name.text)?.spec : undefined);
  if (spec) {
    const value = arg.kind === "keyword" ? (arg.value.kind === "ref" ? arg.value.name : undefined) : arg.kind === "word" ? arg.name.text : undefined;
    const dataset = spec.name === "data" && value !== undefined ? lookupDataset(value) : undefined;
    const about = dataset ? [`**${dataset.title}**: ${dataset.summary}; images ${formatShape([dataset.shape.channels, dataset.shape.height, dataset.shape.width])}`, ""] : [];
    return [...about, argLine(spec), "", "`netc train --" + spec.name + "` overrides it"];
  }
  const s = resolveSettings(analysis.checked.network.train);
  const summary = [updateSummary(s), `${s.epochs} epochs`, `batch ${s.batch}`, s.data, preprocessSummary(s)].filter(Boolean).join(", ");
  return [`**train**: training settings (\`netc train\`'s flags of the same names override them)`, "", `\`${summary}\``, "", ...TRAIN_ARGS.map((a) => `- ${argLine(a)}`)];
}

export function hover(analysis: Analysis, offset: number): Hover | null {
  const { ast, source, shapes } = analysis.checked;
  const target = targetAt(ast, offset);
  if (!target) return null;
  let lines: string[];
  let span: Span;
  switch (target.kind) {
    case "item": {
      const { item, arg, block } = target;
      const def = findBlock(ast, item.name.text);
      span = arg?.span ?? item.name.span;
      if (def) {
        lines = blockHover(analysis, def, shapes.rows.filter((r) => !r.leaf && sameSpan(r.span, item.span)), block);
      } else {
        const spec = lookupLayer(item.name.text);
        if (!spec) return null;
        lines = layerHover(analysis, spec, item, arg, block);
      }
      break;
    }
    case "repeat": {
      const rows = shapes.rows.filter((r) => !r.leaf && sameSpan(r.span, target.item.span));
      span = { start: target.item.span.start, end: target.item.span.start + "repeat".length };
      lines = [`**repeat**: the body, ${target.item.count.kind === "ref" ? `\`${target.item.count.name}\`` : target.item.count.text} times in sequence`, "", ...shapeLines(rows), ...unchecked(rows, target.block, analysis)];
      break;
    }
    case "block-name": {
      const { def } = target;
      span = def.name.span;
      lines = blockHover(analysis, def, shapes.rows.filter((r) => !r.leaf && r.label.startsWith(`${def.name.text}(`)), def);
      break;
    }
    case "train": {
      span = target.arg?.span ?? { start: target.decl.span.start, end: target.decl.span.start + "train".length };
      lines = trainHover(analysis, target.arg);
      break;
    }
    case "param": {
      const { param, def } = target;
      span = param.name.span;
      lines = [`parameter \`${param.name.text}\` of \`${blockSignature(def)}\``, ...(param.default ? [`default: \`${param.default.kind === "ref" ? param.default.name : param.default.text}\``] : ["required"])];
      break;
    }
  }
  return { contents: { kind: "markdown", value: lines.join("\n") }, range: toRange(source, span) };
}
