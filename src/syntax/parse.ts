import type { IToken } from "chevrotain";
import { error, type Diagnostic } from "../diagnostics.js";
import { MAX_DEPTH, MAX_DIAGNOSTICS } from "../limits.js";
import type { SourceFile, Span } from "../source.js";
import type { NetFile, Statement } from "./ast.js";
import { astBuilder } from "./build-ast.js";
import { netParser } from "./parser.js";
import { LBrace, Newline, Pipe, RBrace, netLexer } from "./tokens.js";

export interface ParseResult {
  ast: NetFile;
  diagnostics: Diagnostic[];
  /** Statements the parser had to recover in: later stages' findings there are mostly echoes. */
  recovered: Span[];
}

function tokenEnd(t: IToken): number {
  return t.startOffset + Math.max(1, t.image.length);
}

/**
 * Splits the token stream into statements: a newline ends one unless it is inside braces or
 * follows a `|`. Parsing each statement on its own is the error recovery: a mistake on one line
 * never hides the independent mistakes on the next. A stray `}` is reported here, and so is
 * nesting past MAX_DEPTH: such a statement is not parsed at all (the parser, and every stage
 * after it, recurses once per level).
 */
function splitStatements(tokens: IToken[], diagnostics: Diagnostic[]): { statements: IToken[][]; unclosed: boolean; tooDeep: Span[] } {
  const statements: IToken[][] = [];
  const tooDeep: Span[] = [];
  let current: IToken[] = [];
  let deep = false;
  // Blank lines and comment lines (comments are not in the stream) may follow a trailing `|`.
  let afterPipe = false;
  const open: IToken[] = [];
  const end = (): boolean => {
    const dropped = current.length > 0 && deep;
    if (dropped) tooDeep.push({ start: current[0]!.startOffset, end: tokenEnd(current.at(-1)!) });
    else if (current.length > 0) statements.push(current);
    current = [];
    deep = false;
    return dropped;
  };
  for (const t of tokens) {
    const depth = open.length;
    if (t.tokenType === Newline && depth === 0 && !afterPipe) {
      end();
      continue;
    }
    if (t.tokenType === RBrace && depth === 0) {
      diagnostics.push(error("NET002", { start: t.startOffset, end: tokenEnd(t) }, "unmatched `}`", { hints: ["remove it, or add the `{` it should close"] }));
      continue;
    }
    if (t.tokenType === LBrace) {
      open.push(t);
      if (open.length === MAX_DEPTH + 1 && !deep) {
        deep = true;
        diagnostics.push(error("NET005", { start: t.startOffset, end: tokenEnd(t) }, `\`{ ... }\` nested more than ${MAX_DEPTH} levels deep`, { hints: ["nesting this deep is most likely a mistake: check the braces"] }));
      }
    }
    if (t.tokenType === RBrace) open.pop();
    if (t.tokenType !== Newline) afterPipe = t.tokenType === Pipe;
    current.push(t);
  }
  const lastDropped = end();
  const innermost = open.at(-1);
  if (innermost && !lastDropped) {
    diagnostics.push(error("NET002", { start: innermost.startOffset, end: tokenEnd(innermost) }, "this `{` is never closed", { hints: ["add the matching `}`"] }));
  }
  return { statements, unclosed: innermost !== undefined && !lastDropped, tooDeep };
}

/** Source → tokens → CST → AST. Never throws: every problem becomes a diagnostic. */
export function parse(source: SourceFile): ParseResult {
  const diagnostics: Diagnostic[] = [];
  const lexed = netLexer.tokenize(source.text);
  for (const e of lexed.errors) {
    const bad = source.text.slice(e.offset, e.offset + e.length);
    diagnostics.push(
      error("NET001", { start: e.offset, end: e.offset + e.length }, `unexpected character${bad.length > 1 ? "s" : ""} \`${bad.slice(0, 20)}\``, {
        hints: ["a model is written with names, numbers, `key=value` options, `|` and `{ }`; comments start with `#`"],
      }),
    );
  }
  const statements: Statement[] = [];
  const split = splitStatements(lexed.tokens, diagnostics);
  const recovered: Span[] = [...split.tooDeep];
  for (const [index, statementTokens] of split.statements.entries()) {
    if (diagnostics.length >= MAX_DIAGNOSTICS) {
      // Past this many syntax errors the rest are mostly echoes, and parsing them takes time.
      const rest = { start: statementTokens[0]!.startOffset, end: source.text.length };
      recovered.push(rest);
      diagnostics.push(error("NET006", { start: rest.start, end: rest.start }, `too many syntax errors: the rest of the file is not checked`, { hints: ["fix the errors before this line first"] }));
      break;
    }
    netParser.input = statementTokens;
    const cst = netParser.statement();
    const last = statementTokens.at(-1)!;
    const unclosed = split.unclosed && index === split.statements.length - 1;
    if (netParser.errors.length > 0 || unclosed) recovered.push({ start: statementTokens[0]!.startOffset, end: tokenEnd(last) });
    for (const e of netParser.errors) {
      // A mismatch at the end of the statement points just past its last token, where the missing
      // piece goes; in a statement with an unclosed `{`, that was reported at the brace.
      const t = e.token;
      const atEnd = Number.isNaN(t.startOffset);
      if (atEnd && unclosed) continue;
      const start = atEnd ? tokenEnd(last) : t.startOffset;
      diagnostics.push(error("NET002", { start, end: atEnd ? start + 1 : tokenEnd(t) }, e.message));
    }
    const statement = astBuilder.visit(cst) as Statement | undefined;
    if (statement) statements.push(statement);
  }
  const comments = (lexed.groups["comments"] ?? []).map((t) => ({ text: t.image, span: { start: t.startOffset, end: tokenEnd(t) } }));
  return { ast: { statements, comments, span: { start: 0, end: source.text.length } }, diagnostics, recovered };
}
