import type { Parser, Plugin, Printer, SupportLanguage } from "prettier";
import type { Diagnostic } from "../diagnostics.js";
import { SourceFile } from "../source.js";
import { parse } from "../syntax/parse.js";
import { formatTree, printNet, visitorKeys, type NetNode, type NetRoot } from "./print.js";

/**
 * netc's Prettier plugin: the parser is netc's own front end (syntax only), the printer
 * `print.ts`. `netc fmt` and the language server's formatting run Prettier with this plugin, so
 * `prettier --plugin netc/prettier` gives the same text. Editors' Prettier integrations call it
 * with a cursor (`formatWithCursor`) and with `requirePragma`/`insertPragma`: the pragma is a
 * `# @format` or `# @prettier` comment in the comments that open the file, as in Prettier's
 * GraphQL and YAML.
 */

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
  return formatTree(parsed.ast, text);
}

export const languages: SupportLanguage[] = [
  {
    name: "netc",
    parsers: ["netc"],
    extensions: [".net"],
    vscodeLanguageIds: ["netc"],
  },
];

/** The lines before the first statement: comments and blank lines. */
function openingComments(text: string): string[] {
  const lines = text.replace(/^\uFEFF/, "").split("\n");
  const first = lines.findIndex((l) => !/^\s*(?:#|$)/.test(l));
  return first < 0 ? lines : lines.slice(0, first);
}

const pragma = (names: string) => new RegExp(`^\\s*#\\s*@(?:${names})\\s*$`);
const FORMAT_PRAGMA = pragma("format|prettier");
const IGNORE_PRAGMA = pragma("noformat|noprettier");

export const hasPragma = (text: string): boolean => openingComments(text).some((l) => FORMAT_PRAGMA.test(l));
export const hasIgnorePragma = (text: string): boolean => openingComments(text).some((l) => IGNORE_PRAGMA.test(l));
export const insertPragma = (text: string): string => `# @format\n\n${text}`;

const netcParser: Parser<NetNode> = {
  parse: (text, options) => parseForFormat(text, options.filepath ?? "<input>"),
  astFormat: "netc",
  locStart: (node) => node.span.start,
  locEnd: (node) => node.span.end,
  hasPragma,
  hasIgnorePragma,
};

const netcPrinter: Printer<NetNode> = {
  print: (path, _options, print, args) => printNet(path, print, args),
  // Only the nodes the printer prints through Prettier: Prettier looks among them for the cursor.
  getVisitorKeys: visitorKeys,
  insertPragma,
};

export const parsers = { netc: netcParser };
export const printers = { netc: netcPrinter };

const plugin: Plugin<NetNode> = { languages, parsers, printers };
export default plugin;
