import type { Range } from "vscode-languageserver";
import type { SourceFile, Span } from "../source.js";

/** LSP ranges are 0-based; netc's positions 1-based, both counting UTF-16 units. */
export function toRange(source: SourceFile, span: Span): Range {
  const start = source.position(span.start);
  const end = source.position(span.end);
  return { start: { line: start.line - 1, character: start.column - 1 }, end: { line: end.line - 1, character: end.column - 1 } };
}

export function contains(span: Span, offset: number): boolean {
  return span.start <= offset && offset <= span.end;
}
