import { CstParser, EOF, type IParserErrorMessageProvider, type IToken, type TokenType } from "chevrotain";
import * as T from "./tokens.js";

function describe(token: IToken): string {
  if (token.tokenType === EOF) return "end of file";
  if (token.tokenType === T.Newline) return "end of line";
  return `\`${token.image}\``;
}

function labelOf(type: TokenType): string {
  return type.LABEL ?? type.name;
}

function alternatives(paths: TokenType[][]): string {
  const firsts = [...new Set(paths.map((path) => path[0]).filter((t): t is TokenType => t !== undefined).map(labelOf))];
  return firsts.length <= 1 ? (firsts[0] ?? "more input") : `${firsts.slice(0, -1).join(", ")} or ${firsts.at(-1)}`;
}

/** Messages in netc's voice: what was expected, what was found. */
const errorMessages: IParserErrorMessageProvider = {
  buildMismatchTokenMessage: ({ expected, actual }) => `expected ${labelOf(expected)}, found ${describe(actual)}`,
  buildNotAllInputParsedMessage: ({ firstRedundant }) => `unexpected ${describe(firstRedundant)}`,
  buildNoViableAltMessage: ({ expectedPathsPerAlt, actual }) =>
    `expected ${alternatives(expectedPathsPerAlt.flat())}, found ${describe(actual[0]!)}`,
  buildEarlyExitMessage: ({ expectedIterationPaths, actual }) =>
    `expected ${alternatives(expectedIterationPaths)}, found ${describe(actual[0]!)}`,
};

/**
 * The grammar, as pure syntax: which layer names exist and what arguments they take is the
 * registry's business, so a new layer needs no change here.
 *
 * A file is a sequence of statements, each ending at a newline that is outside braces and not
 * right after a `|` (the parse stage splits it there, so one bad statement cannot hide the next).
 *
 *   statement  := modelDecl | inputDecl | trainDecl | blockDef | chain
 *   chain      := item ("|" NEWLINE* item)*
 *   item       := repeat | layer
 *   layer      := NAME arg* branch*
 *   repeat     := "repeat" value branch
 *   branch     := "{" (chain | NEWLINE)* "}"
 *   arg        := NAME ("=" value ("," value)*)? | NUMBER | DIMS
 *   blockDef   := "block" NAME ("(" param ("," param)* ")")? branch
 */
export class NetParser extends CstParser {
  /** `validate` runs chevrotain's grammar checks: a test does; the CLI skips them, they cost start-up time. */
  constructor({ validate = false } = {}) {
    super(T.allTokens, { recoveryEnabled: true, errorMessageProvider: errorMessages, skipValidations: !validate });
    this.performSelfAnalysis();
  }

  statement = this.RULE("statement", () => {
    this.OR([
      { ALT: () => this.SUBRULE(this.modelDecl) },
      { ALT: () => this.SUBRULE(this.inputDecl) },
      { ALT: () => this.SUBRULE(this.trainDecl) },
      { ALT: () => this.SUBRULE(this.blockDef) },
      { ALT: () => this.SUBRULE(this.chain) },
    ]);
  });

  modelDecl = this.RULE("modelDecl", () => {
    this.CONSUME(T.Model);
    this.CONSUME(T.Identifier);
  });

  inputDecl = this.RULE("inputDecl", () => {
    this.CONSUME(T.Input);
    this.OR([{ ALT: () => this.CONSUME(T.Dims) }, { ALT: () => this.CONSUME(T.NumberLiteral) }]);
  });

  trainDecl = this.RULE("trainDecl", () => {
    this.CONSUME(T.Train);
    this.MANY(() => this.SUBRULE(this.arg));
  });

  blockDef = this.RULE("blockDef", () => {
    this.CONSUME(T.Block);
    this.CONSUME(T.Identifier);
    this.OPTION(() => {
      this.CONSUME(T.LParen);
      this.MANY_SEP({ SEP: T.Comma, DEF: () => this.SUBRULE(this.param) });
      this.CONSUME(T.RParen);
    });
    this.SUBRULE(this.branch);
  });

  param = this.RULE("param", () => {
    this.CONSUME(T.Identifier);
    this.OPTION(() => {
      this.CONSUME(T.Equals);
      this.SUBRULE(this.value);
    });
  });

  chain = this.RULE("chain", () => {
    this.SUBRULE(this.item);
    this.MANY(() => {
      this.CONSUME(T.Pipe);
      this.MANY2(() => this.CONSUME(T.Newline));
      this.SUBRULE2(this.item);
    });
  });

  item = this.RULE("item", () => {
    this.OR([{ ALT: () => this.SUBRULE(this.repeat) }, { ALT: () => this.SUBRULE(this.layer) }]);
  });

  repeat = this.RULE("repeat", () => {
    this.CONSUME(T.Repeat);
    this.SUBRULE(this.value);
    this.SUBRULE(this.branch);
  });

  layer = this.RULE("layer", () => {
    this.CONSUME(T.Identifier);
    this.MANY(() => this.SUBRULE(this.arg));
    this.MANY2(() => this.SUBRULE(this.branch));
  });

  branch = this.RULE("branch", () => {
    this.CONSUME(T.LBrace);
    this.MANY(() => this.OR([{ ALT: () => this.CONSUME(T.Newline) }, { ALT: () => this.SUBRULE(this.chain) }]));
    this.CONSUME(T.RBrace);
  });

  arg = this.RULE("arg", () => {
    this.OR([
      {
        ALT: () => {
          this.CONSUME(T.Identifier);
          this.OPTION(() => {
            this.CONSUME(T.Equals);
            this.SUBRULE(this.value);
            // A list, e.g. `betas=0.9,0.999`.
            this.MANY(() => {
              this.CONSUME(T.Comma);
              this.SUBRULE2(this.value);
            });
          });
        },
      },
      { ALT: () => this.CONSUME(T.NumberLiteral) },
      { ALT: () => this.CONSUME(T.Dims) },
    ]);
  });

  value = this.RULE("value", () => {
    this.OR([
      { ALT: () => this.CONSUME(T.NumberLiteral) },
      { ALT: () => this.CONSUME(T.Dims) },
      { ALT: () => this.CONSUME(T.Identifier) },
    ]);
  });
}

/** One parser instance, reused by assigning `input` (chevrotain's recommended pattern). */
export const netParser = new NetParser();
