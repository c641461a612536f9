import pc from "picocolors";
import type { Diagnostic, Label } from "./diagnostics.js";
import type { SourceFile, Span } from "./source.js";

/** The one place diagnostics become text: a code frame for people, JSON for tools. */

export interface Colors {
  enabled: boolean;
}

function paint(colors: Colors) {
  const c = pc.createColors(colors.enabled);
  return { error: (s: string) => c.bold(c.red(s)), warning: (s: string) => c.bold(c.yellow(s)), dim: c.dim, bold: c.bold, cyan: c.cyan, blue: (s: string) => c.bold(c.blue(s)) };
}

function location(source: SourceFile, offset: number): string {
  const { line, column } = source.position(offset);
  return `${source.path}:${line}:${column}`;
}

/** Columns of a source line shown at most: a longer line is cut to the part around the span. */
const SHOWN_COLUMNS = 120;

/** One source line with an underline; multi-line spans are underlined to the end of their first line. */
function frame(source: SourceFile, span: Span, label: string | undefined, mark: "^" | "-", style: (s: string) => string, gutter: number, c: ReturnType<typeof paint>): string[] {
  if (source.text.length === 0) return [];
  const start = source.position(span.start);
  const line = source.lineText(start.line);
  const end = source.position(span.end);
  const last = end.line === start.line ? end.column : line.length + 1;
  // A diagnostic stays a few lines on any text: a 1 MiB line is shown from a little before the span.
  const from = line.length > SHOWN_COLUMNS ? Math.max(0, Math.min(start.column - 1 - 20, line.length - SHOWN_COLUMNS)) : 0;
  const cut = from > 0 ? from - 1 : 0;
  const text = line.length > SHOWN_COLUMNS ? `${from > 0 ? "…" : ""}${line.slice(from, from + SHOWN_COLUMNS)}${from + SHOWN_COLUMNS < line.length ? "…" : ""}` : line;
  const column = start.column - cut;
  const width = Math.max(1, Math.min(last - start.column, text.length + 1 - column));
  const pad = " ".repeat(gutter);
  return [
    `${pad} ${c.blue("|")}`,
    `${c.blue(String(start.line).padStart(gutter))} ${c.blue("|")} ${text}`,
    `${pad} ${c.blue("|")} ${" ".repeat(column - 1)}${style(mark.repeat(width))}${label ? ` ${style(label)}` : ""}`,
  ];
}

export function renderDiagnostic(d: Diagnostic, source: SourceFile, colors: Colors): string {
  const c = paint(colors);
  const style = d.severity === "error" ? c.error : c.warning;
  const lines = [`${c.bold(location(source, d.span.start))}: ${style(d.severity)}: ${c.bold(d.message)} ${c.dim(`[${d.code}]`)}`];
  const spans: (Span | Label)[] = [d.span, ...d.related.map((r) => r.span)];
  const gutter = Math.max(...spans.map((s) => String(source.position("start" in s ? s.start : s.span.start).line).length));
  lines.push(...frame(source, d.span, d.label, "^", style, gutter, c));
  for (const r of d.related) {
    lines.push(`${" ".repeat(gutter)} ${c.blue("=")} ${c.bold("note")}: ${r.message} at ${location(source, r.span.start)}`);
    lines.push(...frame(source, r.span, undefined, "-", c.blue, gutter, c).slice(1));
  }
  for (const hint of d.hints) lines.push(`${" ".repeat(gutter)} ${c.blue("=")} ${c.bold("hint")}: ${hint}`);
  return lines.join("\n");
}

export function renderSummary(errors: number, warnings: number, files: number, colors: Colors): string {
  const c = paint(colors);
  const parts: string[] = [];
  if (errors > 0) parts.push(c.error(`${errors} error${errors === 1 ? "" : "s"}`));
  if (warnings > 0) parts.push(c.warning(`${warnings} warning${warnings === 1 ? "" : "s"}`));
  return parts.length === 0 ? `${files} file${files === 1 ? "" : "s"} checked: no problems` : `${parts.join(", ")} in ${files} file${files === 1 ? "" : "s"}`;
}

interface JsonRange {
  start: { line: number; column: number; offset: number };
  end: { line: number; column: number; offset: number };
}

function range(source: SourceFile, span: Span): JsonRange {
  return { start: { ...source.position(span.start), offset: span.start }, end: { ...source.position(span.end), offset: span.end } };
}

/** The stable JSON form (1-based lines and columns; columns in UTF-16 units as LSP counts them). */
export function diagnosticToJson(d: Diagnostic, source: SourceFile) {
  return {
    severity: d.severity,
    code: d.code,
    message: d.message,
    range: range(source, d.span),
    ...(d.label ? { label: d.label } : {}),
    hints: d.hints,
    related: d.related.map((r) => ({ message: r.message, range: range(source, r.span) })),
  };
}
