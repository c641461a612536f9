import type * as A from "../syntax/ast.js";
import { contains } from "./range.js";

/** What the cursor is on, found in the syntax tree (which survives syntax errors elsewhere). */
export type Target =
  | { kind: "item"; item: A.LayerItem; arg?: A.Arg; block?: A.BlockDef }
  | { kind: "repeat"; item: A.RepeatItem; block?: A.BlockDef }
  | { kind: "block-name"; def: A.BlockDef }
  | { kind: "param"; param: A.Param; def: A.BlockDef }
  /** The `train` header, or one of its settings. */
  | { kind: "train"; decl: A.TrainDecl; arg?: A.Arg };

function inBody(body: A.Body, offset: number, block: A.BlockDef | undefined): Target | undefined {
  for (const chain of body.chains) {
    if (!contains(chain.span, offset)) continue;
    for (const item of chain.items) {
      const found = inItem(item, offset, block);
      if (found) return found;
    }
  }
  return undefined;
}

function inItem(item: A.Item, offset: number, block: A.BlockDef | undefined): Target | undefined {
  if (!contains(item.span, offset)) return undefined;
  if (item.kind === "repeat") return inBody(item.body, offset, block) ?? { kind: "repeat", item, ...(block ? { block } : {}) };
  for (const branch of item.branches) {
    if (contains(branch.span, offset)) return inBody(branch, offset, block);
  }
  const arg = item.args.find((a) => contains(a.span, offset));
  return { kind: "item", item, ...(arg ? { arg } : {}), ...(block ? { block } : {}) };
}

/** The innermost layer, `repeat`, block name, parameter or `train` setting at `offset`. */
export function targetAt(file: A.NetFile, offset: number): Target | undefined {
  for (const s of file.statements) {
    if (!contains(s.span, offset)) continue;
    if (s.kind === "train") {
      const arg = s.args.find((a) => contains(a.span, offset));
      return { kind: "train", decl: s, ...(arg ? { arg } : {}) };
    }
    if (s.kind === "chain") {
      for (const item of s.items) {
        const found = inItem(item, offset, undefined);
        if (found) return found;
      }
    }
    if (s.kind === "block") {
      if (contains(s.name.span, offset)) return { kind: "block-name", def: s };
      const param = s.params.find((p) => contains(p.span, offset));
      if (param) return { kind: "param", param, def: s };
      return inBody(s.body, offset, s);
    }
  }
  return undefined;
}

export function findBlock(file: A.NetFile, name: string): A.BlockDef | undefined {
  return file.statements.find((s): s is A.BlockDef => s.kind === "block" && s.name.text === name);
}

/** The block parameter an argument refers to (`c`, or the value of `s=s`), if any. */
export function paramOf(arg: A.Arg, block: A.BlockDef | undefined, offset: number): A.Param | undefined {
  if (!block) return undefined;
  const name = arg.kind === "word" ? arg.name.text : arg.kind === "keyword" && arg.value.kind === "ref" && contains(arg.value.span, offset) ? arg.value.name : arg.kind === "positional" && arg.value.kind === "ref" ? arg.value.name : undefined;
  return name === undefined ? undefined : block.params.find((p) => p.name.text === name);
}
