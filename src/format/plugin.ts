import type { Parser, Plugin, Printer, SupportLanguage } from "prettier";
import type { Diagnostic } from "../diagnostics.js";
import { SourceFile } from "../source.js";
import type { NetFile } from "../syntax/ast.js";
import { parse } from "../syntax/parse.js";
import { printNetFile } from "./print.js";

/**
 * netc's Prettier plugin: the parser is netc's own front end (syntax only), the printer
 * `print.ts`. `netc fmt` and the language server's formatting run Prettier with this plugin, so
 * `prettier --plugin netc/prettier` gives the same text.
 */

/** What Prettier holds: the syntax tree and the text (comments and blank lines are read from it). */
export interface NetRoot {
  kind: "netc-root";
  file: NetFile;
  text: string;
  span: { start: number; end: number };
}

/** Thrown for a file with syntax errors: Prettier shows `loc` with a code frame; netc shows `diagnostics`. */
export class NetSyntaxError extends SyntaxError {
  readonly loc: { start: { line: number; column: number }; end: { line: number; column: number } };

  constructor(
    readonly source: SourceFile,
    readonly diagnostics: Diagnostic[],
  ) {
    const [first] = diagnostics;
    const more = diagnostics.length > 1 ? ` (and ${diagnostics.length - 1} more syntax error${diagnostics.length > 2 ? "s" : ""})` : "";
    super(`${first!.message} [${first!.code}]${more}`);
    this.name = "SyntaxError";
    this.loc = { start: source.position(first!.span.start), end: source.position(first!.span.end) };
  }
}

/** Diagnostics in source order, as `netc check` prints them. */
export function inOrder(diagnostics: readonly Diagnostic[]): Diagnostic[] {
  return [...diagnostics].sort((a, b) => a.span.start - b.span.start || a.span.end - b.span.end);
}

/** Parses for formatting; a file with syntax errors is never formatted. */
export function parseForFormat(text: string, path = "<input>"): NetRoot {
  const source = new SourceFile(path, text);
  const parsed = parse(source);
  if (parsed.diagnostics.length > 0) throw new NetSyntaxError(source, inOrder(parsed.diagnostics));
  return { kind: "netc-root", file: parsed.ast, text, span: parsed.ast.span };
}

export const languages: SupportLanguage[] = [
  {
    name: "netc",
    parsers: ["netc"],
    extensions: [".net"],
    vscodeLanguageIds: ["netc"],
  },
];

const netcParser: Parser<NetRoot> = {
  parse: (text, options) => parseForFormat(text, options.filepath ?? "<input>"),
  astFormat: "netc",
  locStart: (node) => node.span.start,
  locEnd: (node) => node.span.end,
};

const netcPrinter: Printer<NetRoot> = {
  print: (path) => printNetFile(path.node.file, path.node.text),
};

export const parsers = { netc: netcParser };
export const printers = { netc: netcPrinter };

const plugin: Plugin<NetRoot> = { languages, parsers, printers };
export default plugin;
