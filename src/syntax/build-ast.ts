import type { CstNode, IToken } from "chevrotain";
import type { Span } from "../source.js";
import type * as A from "./ast.js";
import { netParser } from "./parser.js";

type Ctx = Record<string, (CstNode | IToken)[] | undefined>;

const BaseVisitor = netParser.getBaseCstVisitorConstructor();

/** A token the parser invented while recovering from an error carries no text. */
function real(token: IToken | undefined): IToken | undefined {
  return token && !token.isInsertedInRecovery && !Number.isNaN(token.startOffset) ? token : undefined;
}

function tokens(ctx: Ctx, name: string): IToken[] {
  return ((ctx[name] ?? []) as IToken[]).filter((t) => real(t) !== undefined);
}

function token(ctx: Ctx, name: string): IToken | undefined {
  return tokens(ctx, name)[0];
}

function nodes(ctx: Ctx, name: string): CstNode[] {
  return (ctx[name] ?? []) as CstNode[];
}

function tokenSpan(t: IToken): Span {
  return { start: t.startOffset, end: t.startOffset + t.image.length };
}

function nameOf(t: IToken): A.Name {
  return { text: t.image, span: tokenSpan(t) };
}

function cover(first: Span, ...rest: (Span | undefined)[]): Span {
  let end = first.end;
  for (const s of rest) if (s && s.end > end) end = s.end;
  return { start: first.start, end };
}

function valueOfToken(t: IToken): A.Value {
  const span = tokenSpan(t);
  switch (t.tokenType.name) {
    case "NumberLiteral":
      return { kind: "number", value: Number(t.image), text: t.image, span };
    case "Dims":
      return { kind: "dims", dims: t.image.split("x").map(Number), text: t.image, span };
    default:
      return { kind: "ref", name: t.image, span };
  }
}

function listOf(items: A.Value[]): A.Value {
  const text = items.map((v) => (v.kind === "ref" ? v.name : v.text)).join(",");
  return { kind: "list", items, text, span: cover(items[0]!.span, items.at(-1)!.span) };
}

/**
 * CST → AST. Parts the parser skipped while recovering from a syntax error are left out; the
 * syntax error itself was already reported, so nothing here reports again.
 */
class AstBuilder extends BaseVisitor {
  constructor() {
    super();
    this.validateVisitor();
  }

  private all<T>(ctx: Ctx, rule: string): T[] {
    return nodes(ctx, rule)
      .map((n) => this.visit(n) as T | undefined)
      .filter((x): x is T => x !== undefined);
  }

  statement(ctx: Ctx): A.Statement | undefined {
    const [child] = Object.values(ctx).flat() as CstNode[];
    return child ? (this.visit(child) as A.Statement | undefined) : undefined;
  }

  modelDecl(ctx: Ctx): A.ModelDecl | undefined {
    const kw = token(ctx, "Model");
    const name = token(ctx, "Identifier");
    if (!kw || !name) return undefined;
    return { kind: "model", name: nameOf(name), span: cover(tokenSpan(kw), tokenSpan(name)) };
  }

  inputDecl(ctx: Ctx): A.InputDecl | undefined {
    const kw = token(ctx, "Input");
    const shape = token(ctx, "Dims") ?? token(ctx, "NumberLiteral");
    if (!kw || !shape) return undefined;
    return { kind: "input", shape: valueOfToken(shape), span: cover(tokenSpan(kw), tokenSpan(shape)) };
  }

  trainDecl(ctx: Ctx): A.TrainDecl | undefined {
    const kw = token(ctx, "Train");
    if (!kw) return undefined;
    const args = this.all<A.Arg>(ctx, "arg");
    return { kind: "train", args, span: cover(tokenSpan(kw), args.at(-1)?.span) };
  }

  blockDef(ctx: Ctx): A.BlockDef | undefined {
    const kw = token(ctx, "Block");
    const name = token(ctx, "Identifier");
    const [body] = this.all<A.Body>(ctx, "branch");
    if (!kw || !name || !body) return undefined;
    return { kind: "block", name: nameOf(name), params: this.all<A.Param>(ctx, "param"), body, span: cover(tokenSpan(kw), body.span) };
  }

  param(ctx: Ctx): A.Param | undefined {
    const name = token(ctx, "Identifier");
    if (!name) return undefined;
    const [value] = this.all<A.Value>(ctx, "value");
    return { name: nameOf(name), ...(value ? { default: value } : {}), span: cover(tokenSpan(name), value?.span) };
  }

  chain(ctx: Ctx): A.Chain | undefined {
    const items = this.all<A.Item>(ctx, "item");
    if (items.length === 0) return undefined;
    return { kind: "chain", items, span: cover(items[0]!.span, items.at(-1)!.span) };
  }

  item(ctx: Ctx): A.Item | undefined {
    const [child] = [...nodes(ctx, "repeat"), ...nodes(ctx, "layer")];
    return child ? (this.visit(child) as A.Item | undefined) : undefined;
  }

  repeat(ctx: Ctx): A.RepeatItem | undefined {
    const kw = token(ctx, "Repeat");
    const [count] = this.all<A.Value>(ctx, "value");
    const [body] = this.all<A.Body>(ctx, "branch");
    if (!kw || !count || !body) return undefined;
    return { kind: "repeat", count, body, span: cover(tokenSpan(kw), body.span) };
  }

  layer(ctx: Ctx): A.LayerItem | undefined {
    const name = token(ctx, "Identifier");
    if (!name) return undefined;
    const args = this.all<A.Arg>(ctx, "arg");
    const branches = this.all<A.Body>(ctx, "branch");
    return { kind: "layer", name: nameOf(name), args, branches, span: cover(tokenSpan(name), args.at(-1)?.span, branches.at(-1)?.span) };
  }

  branch(ctx: Ctx): A.Body | undefined {
    const open = token(ctx, "LBrace");
    if (!open) return undefined;
    const close = token(ctx, "RBrace");
    const chains = this.all<A.Chain>(ctx, "chain");
    return { chains, span: cover(tokenSpan(open), chains.at(-1)?.span, close && tokenSpan(close)) };
  }

  arg(ctx: Ctx): A.Arg | undefined {
    const name = token(ctx, "Identifier");
    if (name) {
      const values = this.all<A.Value>(ctx, "value");
      const value = values.length > 1 ? listOf(values) : values[0];
      if (value) return { kind: "keyword", key: nameOf(name), value, span: cover(tokenSpan(name), value.span) };
      if (token(ctx, "Equals")) return undefined; // `key=` with the value missing: already a syntax error
      return { kind: "word", name: nameOf(name), span: tokenSpan(name) };
    }
    const literal = token(ctx, "NumberLiteral") ?? token(ctx, "Dims");
    return literal ? { kind: "positional", value: valueOfToken(literal), span: tokenSpan(literal) } : undefined;
  }

  value(ctx: Ctx): A.Value | undefined {
    const t = token(ctx, "NumberLiteral") ?? token(ctx, "Dims") ?? token(ctx, "Identifier");
    return t ? valueOfToken(t) : undefined;
  }
}

export const astBuilder = new AstBuilder();
