/**
 * Renders the files in grammar/ from the real parser, lexer and layer registry, so they cannot
 * drift from the compiler: `npm run grammar` (scripts/gen-grammar.mjs) writes them, and
 * test/grammar.test.ts fails when a checked-in copy differs from what this returns.
 */
import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import { createSyntaxDiagramsCode, Lexer, type ISerializedGast, type TokenType } from "chevrotain";
import { LAYERS } from "../src/layers/registry.js";
import { netParser } from "../src/syntax/parser.js";
import { TRAIN_ARGS } from "../src/train-settings.js";
import * as T from "../src/syntax/tokens.js";

/** Generated file name (inside grammar/) → contents. */
export function generateGrammar(): Record<string, string> {
  const productions = netParser.getSerializedGastProductions();
  return {
    "netc-diagrams.html": diagramsHtml(productions),
    "netc.ebnf": ebnf(productions as Gast[]),
    "netc.tmLanguage.json": `${JSON.stringify(textMateGrammar(), null, 2)}\n`,
  };
}

// ---------------------------------------------------------------------------------------------
// Syntax diagrams

/**
 * chevrotain's page loads its scripts and style sheet from unpkg; its only options move those
 * URLs. We point them at a placeholder and inline the same files from the installed chevrotain,
 * so the page works offline and matches the installed version.
 */
function diagramsHtml(productions: ISerializedGast[]): string {
  const require = createRequire(import.meta.url);
  const assets = join(dirname(require.resolve("chevrotain")), "../../diagrams"); // from lib/src/api.js
  const inline = (file: string) => readFileSync(join(assets, file), "utf8").trimEnd();
  const INLINE = "netc-inline:";
  const html = createSyntaxDiagramsCode(productions, { resourceBase: INLINE, css: `${INLINE}diagrams.css` })
    .replace(`<meta charset="utf-8">`, `<meta charset="utf-8">\n<title>netc grammar</title>`)
    .replace(new RegExp(`<link rel='stylesheet' href='${INLINE}([^']+)'>`, "g"), (_, file: string) => `<style>\n${inline(file)}\n</style>`)
    .replace(new RegExp(`<script src='${INLINE}([^']+)'></script>`, "g"), (_, file: string) => `<script>\n${inline(file)}\n</script>`);
  if (html.includes(INLINE)) throw new Error("chevrotain's diagram page changed shape; update the inlining in scripts/grammar.ts");
  return html;
}

// ---------------------------------------------------------------------------------------------
// EBNF

/** The parts of chevrotain's serialized GAST that the EBNF rendering reads. */
interface Gast {
  type: string;
  name?: string;
  definition?: Gast[];
  separator?: Gast;
}

function patternSource(token: TokenType): string {
  const p = token.PATTERN;
  if (p instanceof RegExp) return p.source;
  if (typeof p === "string") return p.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
  throw new Error(`token ${token.name} has a custom pattern`);
}

/** A token whose pattern is a fixed string is written quoted (`"|"`), others by NAME. */
function isLiteral(token: TokenType): boolean {
  return /^(?:[^\\.*+?^$()[\]{}|]|\\[^A-Za-z0-9])+$/.test(patternSource(token));
}

function tokenSymbol(token: TokenType): string {
  if (isLiteral(token)) return JSON.stringify(patternSource(token).replace(/\\(.)/g, "$1"));
  return token.name.replace(/([a-z])([A-Z])/g, "$1_$2").toUpperCase();
}

const tokensByName = new Map(T.allTokens.map((t) => [t.name, t]));

function terminal(name: string): string {
  const token = tokensByName.get(name);
  if (!token) throw new Error(`the grammar uses token ${name}, which is not in allTokens`);
  return tokenSymbol(token);
}

function sequence(items: Gast[] | undefined): string {
  return (items ?? []).map(element).join(" ");
}

/** `x?`, `x*`, `x+` — with parentheses unless x is a single symbol or already a group. */
function postfix(items: Gast[] | undefined, op: string): string {
  const [only] = items ?? [];
  const atomic = items?.length === 1 && only !== undefined && ["Terminal", "NonTerminal", "Alternation"].includes(only.type);
  return atomic ? `${element(only)}${op}` : `(${sequence(items)})${op}`;
}

function element(node: Gast): string {
  switch (node.type) {
    case "Terminal":
      return terminal(node.name!);
    case "NonTerminal":
      return node.name!;
    case "Alternative":
      return sequence(node.definition);
    case "Alternation":
      return `(${(node.definition ?? []).map(element).join(" | ")})`;
    case "Option":
      return postfix(node.definition, "?");
    case "Repetition":
      return postfix(node.definition, "*");
    case "RepetitionMandatory":
      return postfix(node.definition, "+");
    case "RepetitionWithSeparator":
    case "RepetitionMandatoryWithSeparator": {
      const item = node.definition?.length === 1 ? sequence(node.definition) : `(${sequence(node.definition)})`;
      const list = `${item} (${element(node.separator!)} ${item})*`;
      return node.type === "RepetitionWithSeparator" ? `(${list})?` : list;
    }
    default:
      throw new Error(`unknown GAST production ${node.type}`);
  }
}

function rule(node: Gast, width: number): string {
  const [only] = node.definition ?? [];
  // A rule that is one choice needs no parentheses; a long one gets one alternative per line.
  if (node.definition?.length === 1 && only?.type === "Alternation") {
    const alternatives = (only.definition ?? []).map(element);
    const line = `${node.name!.padEnd(width)} := ${alternatives.join(" | ")}`;
    return line.length <= 100 ? line : alternatives.map((a, i) => `${i === 0 ? `${node.name!.padEnd(width)} :=` : `${"".padEnd(width)}  |`} ${a}`).join("\n");
  }
  return `${node.name!.padEnd(width)} := ${sequence(node.definition)}`;
}

function ebnf(productions: Gast[]): string {
  const width = Math.max(...productions.map((r) => r.name!.length));
  const named = T.allTokens.filter((t) => !isLiteral(t));
  const tokenWidth = Math.max(...named.map((t) => tokenSymbol(t).length));
  const regexWidth = Math.max(...named.map((t) => patternSource(t).length)) + 2;
  const tokenLine = (t: TokenType) => {
    const note = t.GROUP === Lexer.SKIPPED ? "skipped" : t.GROUP ? `not parsed; kept as "${t.GROUP}"` : t.LABEL;
    return `${tokenSymbol(t).padEnd(tokenWidth)} := ${`/${patternSource(t)}/`.padEnd(regexWidth)}${note ? `  (* ${note} *)` : ""}`.trimEnd();
  };
  return `(* The grammar of netc's .net model files.
   Generated from the chevrotain parser (src/syntax/parser.ts) and lexer (src/syntax/tokens.ts)
   by scripts/gen-grammar.mjs; do not edit, run \`npm run grammar\`.

   A file is a sequence of statements. The parse stage splits the token stream at each NEWLINE
   that is outside braces and does not follow a \`|\`, and parses every piece as a \`statement\`;
   so NEWLINE appears below only where a statement continues across lines, and blank lines are
   ignored. Comments, from \`#\` to the end of the line, are skipped like white space.

   Notation: x? optional, x* zero or more, x+ one or more, ( a | b ) choice. Quoted strings are
   tokens that match exactly that text; UPPER_CASE names are the tokens defined at the end. *)

${productions.map((r) => rule(r, width)).join("\n")}

(* Tokens, as JavaScript regular expressions. At each position the lexer tries the tokens in
   this order (the quoted ones included) and takes the first that matches, except that a
   keyword such as "model" yields to a longer IDENTIFIER such as \`models\`. *)

${named.map(tokenLine).join("\n")}
`;
}

// ---------------------------------------------------------------------------------------------
// TextMate grammar

/** Characters that continue an identifier: a word ends where none follows. */
const WORD_END = "(?![A-Za-z0-9_-])";

function words(list: Iterable<string>): string {
  const unique = [...new Set(list)].sort((a, b) => b.length - a.length || a.localeCompare(b));
  return `(?:${unique.map((w) => w.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")).join("|")})${WORD_END}`;
}

function textMateGrammar(): object {
  const ident = patternSource(T.Identifier);
  const keywords = T.allTokens.filter((t) => t.LONGER_ALT === T.Identifier).map((t) => patternSource(t));
  const names = (kind: string) => LAYERS.filter((s) => s.kind === kind).flatMap((s) => [s.name, ...(s.aliases ?? [])]);
  const args = [...LAYERS.flatMap((s) => s.args), ...TRAIN_ARGS];
  const flags = args.flatMap((a) => (a.type === "flag" ? [a.name] : a.type === "bool" ? [a.name, "true", "false"] : a.type === "choice" ? (a.choices ?? []) : (a.words ?? [])));
  const shorts = args.flatMap((a) => (a.short ? [a.short] : []));
  const match = (name: string, regex: string) => ({ name, match: regex });

  return {
    $schema: "https://raw.githubusercontent.com/martinring/tmlanguage/master/tmlanguage.json",
    name: "netc",
    scopeName: "source.netc",
    fileTypes: ["net"],
    comment: "Generated by scripts/gen-grammar.mjs from src/syntax/tokens.ts, src/layers/registry.ts and src/train-settings.ts; do not edit.",
    patterns: ["comment", "block-definition", "key", "keyword", "flag", "short-option", "layer", "merge", "name", "dims", "number", "operator", "punctuation"].map(
      (rule) => ({ include: `#${rule}` }),
    ),
    repository: {
      comment: { name: "comment.line.number-sign.netc", match: "(#).*$", captures: { "1": { name: "punctuation.definition.comment.netc" } } },
      "block-definition": {
        match: `(block)\\s+(${ident})`,
        captures: { "1": { name: "keyword.other.netc" }, "2": { name: "entity.name.type.block.netc" } },
      },
      key: { match: `(${ident})\\s*(=)`, captures: { "1": { name: "variable.parameter.netc" }, "2": { name: "keyword.operator.assignment.netc" } } },
      keyword: match("keyword.other.netc", words(keywords)),
      flag: match("constant.language.netc", words(flags)),
      "short-option": match("variable.parameter.short.netc", `[${[...new Set(shorts)].join("")}]\\d+(?:x\\d+)*${WORD_END}`),
      layer: match("support.function.layer.netc", words(names("layer"))),
      merge: match("support.function.merge.netc", words(names("merge"))),
      name: { comment: "Any other name (a block, a block parameter), matched whole so that no part of it is read as a number.", match: ident },
      dims: match("constant.numeric.dims.netc", patternSource(T.Dims)),
      number: match("constant.numeric.netc", patternSource(T.NumberLiteral)),
      operator: {
        patterns: [match("keyword.operator.pipe.netc", "\\|"), match("keyword.operator.assignment.netc", "=")],
      },
      punctuation: {
        patterns: [
          match("punctuation.section.block.begin.netc", "\\{"),
          match("punctuation.section.block.end.netc", "\\}"),
          match("punctuation.section.parens.begin.netc", "\\("),
          match("punctuation.section.parens.end.netc", "\\)"),
          match("punctuation.separator.comma.netc", ","),
        ],
      },
    },
  };
}
