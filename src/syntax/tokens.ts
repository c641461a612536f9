import { createToken, Lexer, type TokenType } from "chevrotain";

// Order matters where one pattern is a prefix of another: Dims (`1x28x28`) before Number (`1`),
// keywords before Identifier (each keyword yields to a longer identifier via `longer_alt`).

export const WhiteSpace = createToken({ name: "WhiteSpace", pattern: /[ \t\r]+/, group: Lexer.SKIPPED });
export const Comment = createToken({ name: "Comment", pattern: /#[^\n]*/, group: "comments" });
/** Newlines separate statements and layers, so they are tokens, not white space. */
export const Newline = createToken({ name: "Newline", pattern: /\n/, label: "end of line", line_breaks: true });

export const Identifier = createToken({ name: "Identifier", pattern: /[A-Za-z_][A-Za-z0-9_-]*/, label: "a name" });

function keyword(word: string): TokenType {
  return createToken({ name: word[0]!.toUpperCase() + word.slice(1), pattern: new RegExp(word), longer_alt: Identifier, label: `\`${word}\`` });
}
export const Model = keyword("model");
export const Input = keyword("input");
export const Train = keyword("train");
export const Block = keyword("block");
export const Repeat = keyword("repeat");

export const Dims = createToken({ name: "Dims", pattern: /\d+(?:x\d+)+/, label: "dimensions like `1x28x28`" });
export const NumberLiteral = createToken({ name: "NumberLiteral", pattern: /(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?/, label: "a number" });

export const Pipe = createToken({ name: "Pipe", pattern: /\|/, label: "`|`" });
export const Equals = createToken({ name: "Equals", pattern: /=/, label: "`=`" });
export const Comma = createToken({ name: "Comma", pattern: /,/, label: "`,`" });
export const LBrace = createToken({ name: "LBrace", pattern: /\{/, label: "`{`" });
export const RBrace = createToken({ name: "RBrace", pattern: /\}/, label: "`}`" });
export const LParen = createToken({ name: "LParen", pattern: /\(/, label: "`(`" });
export const RParen = createToken({ name: "RParen", pattern: /\)/, label: "`)`" });

export const allTokens: TokenType[] = [
  WhiteSpace,
  Comment,
  Newline,
  Model,
  Input,
  Train,
  Block,
  Repeat,
  Identifier,
  Dims,
  NumberLiteral,
  Pipe,
  Equals,
  Comma,
  LBrace,
  RBrace,
  LParen,
  RParen,
];

/** Lexer checks and optimisation analysis cost start-up time; a test runs them (`validate`). */
export function createLexer({ validate = false } = {}): Lexer {
  return new Lexer(allTokens, { positionTracking: "onlyOffset", skipValidations: !validate, ensureOptimizations: validate });
}

export const netLexer = createLexer();
