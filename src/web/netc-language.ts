/**
 * The `.net` language for CodeMirror: highlighting from netc's own lexer (src/syntax/tokens.ts),
 * run line by line (a `.net` token never spans lines) as a StreamLanguage.
 */
import { HighlightStyle, StreamLanguage, syntaxHighlighting, type StreamParser } from "@codemirror/language";
import { tags as t } from "@lezer/highlight";
import type { IToken } from "chevrotain";
import { lookupLayer } from "../layers/registry.js";
import { netLexer } from "../syntax/tokens.js";

interface LineState {
  /** The current line's tokens, by start column. */
  tokens: Map<number, { end: number; style: string }>;
}

/** A short option (`k5`, `s2x1`, `p1`) is lexed as a name; it reads better coloured as an option. */
const SHORT_OPTION = /^[a-z]\d+(?:x\d+)*$/;

function styleOf(token: IToken, previous: IToken | undefined): string {
  switch (token.tokenType.name) {
    case "Comment":
      return "comment";
    case "Model":
    case "Input":
    case "Train":
    case "Block":
    case "Repeat":
      return "keyword";
    case "Dims":
    case "NumberLiteral":
      return "number";
    case "Pipe":
    case "Equals":
      return "operator";
    case "LBrace":
    case "RBrace":
      return "brace";
    case "LParen":
    case "RParen":
    case "Comma":
      return "punctuation";
    case "Identifier": {
      const text = token.image;
      if (previous?.tokenType.name === "Block") return "definition";
      if (lookupLayer(text)) return "typeName";
      if (SHORT_OPTION.test(text)) return "attributeName";
      return "variableName";
    }
    default:
      return "invalid";
  }
}

function tokenizeLine(line: string): LineState["tokens"] {
  const tokens = new Map<number, { end: number; style: string }>();
  const { tokens: lexed, groups } = netLexer.tokenize(line);
  const all = [...lexed, ...(groups["comments"] ?? [])].sort((a, b) => a.startOffset - b.startOffset);
  all.forEach((token, i) => tokens.set(token.startOffset, { end: token.startOffset + token.image.length, style: styleOf(token, all[i - 1]) }));
  return tokens;
}

const parser: StreamParser<LineState> = {
  name: "netc",
  startState: () => ({ tokens: new Map() }),
  copyState: (state) => ({ tokens: state.tokens }),
  token(stream, state) {
    if (stream.sol()) state.tokens = tokenizeLine(stream.string);
    const token = state.tokens.get(stream.pos);
    if (token) {
      stream.pos = token.end;
      return token.style;
    }
    // White space, or a character the lexer rejects (underlined by the diagnostics).
    stream.next();
    while (!stream.eol() && !state.tokens.has(stream.pos)) stream.next();
    return null;
  },
  languageData: { commentTokens: { line: "#" } },
  tokenTable: { definition: t.definition(t.variableName), brace: t.brace, punctuation: t.punctuation, attributeName: t.attributeName, typeName: t.typeName },
};

export const netcLanguage = StreamLanguage.define(parser);

export const netcHighlighting = syntaxHighlighting(
  HighlightStyle.define([
    { tag: t.comment, color: "#6a737d", fontStyle: "italic" },
    { tag: t.keyword, color: "#a626a4", fontWeight: "bold" },
    { tag: t.typeName, color: "#005cc5", fontWeight: "bold" },
    { tag: t.definition(t.variableName), color: "#6f42c1", fontWeight: "bold" },
    { tag: t.attributeName, color: "#b35900" },
    { tag: t.number, color: "#098658" },
    { tag: t.operator, color: "#d73a49" },
    { tag: [t.brace, t.punctuation], color: "#555555" },
    { tag: t.variableName, color: "#24292e" },
  ]),
);
