import { fileURLToPath } from "node:url";
import { checkText, type Checked } from "../compile.js";
import type { BuildOptions } from "../layers/types.js";
import { SourceFile, type Span } from "../source.js";
import type { Range } from "vscode-languageserver";

/** One version of an open document, checked: what every feature of the server reads. */
export interface Analysis {
  uri: string;
  version: number;
  checked: Checked;
}

export function uriToPath(uri: string): string {
  if (!uri.startsWith("file:")) return uri;
  try {
    return fileURLToPath(uri);
  } catch {
    return uri;
  }
}

/** The whole front end on an editor buffer: parse, resolve, shapes. */
export function analyze(uri: string, version: number, text: string, options: BuildOptions): Analysis {
  return { uri, version, checked: checkText(uriToPath(uri), text, options) };
}

/** LSP ranges are 0-based; netc's positions 1-based, both counting UTF-16 units. */
export function toRange(source: SourceFile, span: Span): Range {
  const start = source.position(span.start);
  const end = source.position(span.end);
  return { start: { line: start.line - 1, character: start.column - 1 }, end: { line: end.line - 1, character: end.column - 1 } };
}

export function contains(span: Span, offset: number): boolean {
  return span.start <= offset && offset <= span.end;
}
