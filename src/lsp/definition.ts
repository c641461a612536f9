import type { Location } from "vscode-languageserver";
import { toRange, type Analysis } from "./analysis.js";
import { findBlock, paramOf, targetAt } from "./locate.js";

/** Go to definition: from a block's use to its `block` line, from a parameter's use to its declaration. */
export function definition(analysis: Analysis, offset: number): Location | null {
  const { ast, source } = analysis.checked;
  const target = targetAt(ast, offset);
  if (target?.kind !== "item") return null;
  const { item, arg, block } = target;
  const span = arg ? paramOf(arg, block, offset)?.name.span : item.name.span.start <= offset && offset <= item.name.span.end ? findBlock(ast, item.name.text)?.name.span : undefined;
  return span ? { uri: analysis.uri, range: toRange(source, span) } : null;
}
