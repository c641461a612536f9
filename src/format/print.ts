import type { AstPath } from "prettier";
import { builders } from "prettier/doc";
import { lookupLayer } from "../layers/registry.js";
import type { Span } from "../source.js";
import type * as A from "../syntax/ast.js";
import { optionForKey, optionOfWord } from "../resolve.js";

/**
 * The canonical layout of a `.net` file, as a Prettier document. Only the syntax tree (and the
 * text, for comments and blank lines) is read: formatting never depends on whether the model
 * checks, so a file with an unknown layer still formats.
 *
 * - one statement or chain per line, ` | ` between layers; a chain too long for the print width
 *   is filled at `|`, continuation lines indented;
 * - block bodies always on their own lines, indented; a `{ ... }` branch or `repeat` body stays
 *   on one line when it was written on one line and fits (as Prettier treats objects);
 * - options in one spelling: `k5`, `s2`, `p1` for the short options of built-in layers (also
 *   when written `kernel=5` or `k = 5`), `key=value` without spaces for everything else;
 * - comments stay where they were: at the end of their line, or on their own line; blank lines
 *   between statements and chains are kept, collapsed to one.
 *
 * Every node is printed through Prettier (`print`), down to names, arguments, values and keywords:
 * Prettier finds the smallest node that holds an editor's cursor and maps the cursor within that
 * node's old and new text, so the cursor stays on its token.
 */

type Doc = builders.Doc;
const { breakParent, fill, group, hardline, indent, join, line, lineSuffix } = builders;

/** What the parser gives Prettier: the syntax tree, and the text (comments and blank lines are read from it). */
export interface NetRoot {
  kind: "netc-root";
  file: A.NetFile;
  text: string;
  span: Span;
}

/**
 * The keyword that starts a `model`, `input`, `train` or `block` statement or a `repeat`: the
 * syntax tree has no node for it, the formatter adds one (as `keyword`) to keep a cursor on it.
 */
export interface Keyword {
  kind: "netc-keyword";
  text: string;
  span: Span;
}

/** The tree Prettier formats: the syntax tree of `text`, with its keywords as nodes. */
export function formatTree(file: A.NetFile, text: string): NetRoot {
  const mark = (node: A.Statement | A.Item, keyword: string) => {
    const start = node.span.start;
    Object.assign(node, { keyword: { kind: "netc-keyword", text: keyword, span: { start, end: start + keyword.length } } satisfies Keyword });
  };
  const inChains = (chains: readonly A.Chain[]) => {
    for (const item of chains.flatMap((c) => c.items)) {
      if (item.kind === "repeat") {
        mark(item, "repeat");
        inChains(item.body.chains);
      } else {
        for (const branch of item.branches) inChains(branch.chains);
      }
    }
  };
  for (const s of file.statements) {
    if (s.kind === "chain") inChains([s]);
    else mark(s, s.kind);
    if (s.kind === "block") inChains(s.body.chains);
  }
  // The root spans the whole text, comments before the first statement included.
  return { kind: "netc-root", file, text, span: { start: 0, end: text.length } };
}

type KindedNode = NetRoot | Keyword | A.Statement | A.Item | A.Arg | A.Value;

/** The nodes Prettier visits and prints. */
export type NetNode = KindedNode | A.NetFile | A.Body | A.Param | A.Name;

type PrintChild = (selector: string | (string | number)[]) => Doc;

/** A node by what it is: the tree's kinds, and the four node types that have none. */
function nodeType(node: NetNode): KindedNode["kind"] | "file" | "body" | "param" | "name" {
  if ("kind" in node) return node.kind;
  if ("statements" in node) return "file";
  if ("chains" in node) return "body";
  return "name" in node ? "param" : "name";
}

/** The properties of a node that hold its nodes (Prettier's `getVisitorKeys`). */
export function visitorKeys(node: NetNode): string[] {
  switch (nodeType(node)) {
    case "netc-root":
      return ["file"];
    case "file":
      return ["statements"];
    case "model":
      return ["keyword", "name"];
    case "input":
      return ["keyword", "shape"];
    case "train":
      return ["keyword", "args"];
    case "block":
      return ["keyword", "name", "params", "body"];
    case "body":
      return ["chains"];
    case "chain":
      return ["items"];
    case "layer":
      return ["name", "args", "branches"];
    case "repeat":
      return ["keyword", "count", "body"];
    // Leaves: keywords, names, values, parameters and arguments (printed whole: `kernel=5` may
    // become `k5`).
    default:
      return [];
  }
}

/** The formatter refuses rather than drop a comment it cannot place (a bug, never expected). */
export class FormatError extends Error {}

const SHORT_VALUE = /^\d+(?:x\d+)*$/;

/**
 * The short spelling (`k5`) of a `key=value` option of a built-in layer, when it has one and it
 * means exactly the same to the resolver: a number or dims literal for an option whose short
 * letter is unambiguous. Block uses and parameter references (`s=s`) keep their spelling.
 */
export function shortSpelling(layer: string, arg: A.Arg, blocks: ReadonlySet<string>): string | undefined {
  if (arg.kind !== "keyword" || blocks.has(layer)) return undefined;
  const spec = lookupLayer(layer);
  if (!spec || spec.kind !== "layer") return undefined;
  const key = arg.key.text;
  const option = optionForKey(spec.args, key);
  if (!option?.short || !/^[A-Za-z]+$/.test(option.short) || !["int", "float", "size"].includes(option.type)) return undefined;
  if (arg.value.kind === "ref" || !SHORT_VALUE.test(arg.value.text)) return undefined;
  const word = option.short + arg.value.text;
  // Only where the resolver reads the word back as the same option (not as a flag or choice).
  return optionOfWord(spec.args, word)?.spec === option ? word : undefined;
}

export function valueText(value: A.Value): string {
  return value.kind === "ref" ? value.name : value.text;
}

export function argText(arg: A.Arg): string {
  switch (arg.kind) {
    case "word":
      return arg.name.text;
    case "keyword":
      return `${arg.key.text}=${valueText(arg.value)}`;
    case "positional":
      return valueText(arg.value);
  }
}

function paramText(param: A.Param): string {
  return param.default ? `${param.name.text}=${valueText(param.default)}` : param.name.text;
}

export function blockNames(file: A.NetFile): Set<string> {
  return new Set(file.statements.flatMap((s) => (s.kind === "block" ? [s.name.text] : [])));
}

/** One file's printing: which comments are placed is shared by all its nodes. */
class Printer {
  private readonly used: boolean[];
  private readonly blocks: Set<string>;

  constructor(
    private readonly file: A.NetFile,
    private readonly text: string,
  ) {
    this.used = file.comments.map(() => false);
    this.blocks = blockNames(file);
  }

  /** The node at `path`; `print` prints its nodes (through Prettier, in the order called). */
  node(path: AstPath<NetNode>, print: PrintChild): Doc {
    const node = path.node as Exclude<NetNode, NetRoot>;
    if ("statements" in node) return this.fileBody(print);
    if ("chains" in node) return this.body(node, print);
    if (!("kind" in node)) return "name" in node ? paramText(node) : node.text;
    switch (node.kind) {
      case "layer":
      case "repeat":
        return this.item(node, print);
      case "word":
      case "keyword":
      case "positional": {
        const owner = path.parent as A.LayerItem | A.TrainDecl;
        return (owner.kind === "layer" ? shortSpelling(owner.name.text, node, this.blocks) : undefined) ?? argText(node);
      }
      case "number":
      case "dims":
      case "ref":
      case "list":
        return valueText(node);
      case "netc-keyword":
        return node.text;
      default:
        return this.statement(node, print);
    }
  }

  private fileBody(print: PrintChild): Doc {
    const lines = this.region(this.file.statements, 0, this.text.length, (_, i) => print(["statements", i]));
    const lost = this.file.comments.find((_, i) => !this.used[i]);
    if (lost) throw new FormatError(`internal: the comment at offset ${lost.span.start} could not be placed`);
    return lines.length > 0 ? [join(hardline, lines), hardline] : "";
  }

  /** Unplaced comments starting in [start, end), in order; they count as placed from now on. */
  private take(start: number, end: number): A.Comment[] {
    const taken: A.Comment[] = [];
    this.file.comments.forEach((c, i) => {
      if (!this.used[i] && c.span.start >= start && c.span.start < end) {
        this.used[i] = true;
        taken.push(c);
      }
    });
    return taken;
  }

  /** The comment that ends the line `offset` is on, if only blanks come between. */
  private trailing(offset: number): A.Comment | undefined {
    const i = this.file.comments.findIndex((c, j) => !this.used[j] && c.span.start >= offset && /^[ \t\r]*$/.test(this.text.slice(offset, c.span.start)));
    if (i < 0) return undefined;
    this.used[i] = true;
    return this.file.comments[i];
  }

  private blankBetween(start: number, end: number): boolean {
    return /\n[ \t\r]*\n/.test(this.text.slice(start, end));
  }

  /**
   * A statement list or a body, one line per element: comments on their own lines before it,
   * the element with its end-of-line comment, a blank line wherever there was one or more.
   */
  private region<T extends { span: Span }>(elements: readonly T[], start: number, end: number, printElement: (e: T, index: number) => Doc): Doc[] {
    const lines: Doc[] = [];
    let previousEnd = start;
    const push = (doc: Doc, at: number, after: number) => {
      if (lines.length > 0 && this.blankBetween(previousEnd, at)) lines.push("");
      lines.push(doc);
      previousEnd = after;
    };
    elements.forEach((element, index) => {
      for (const c of this.take(previousEnd, element.span.start)) push(commentText(c), c.span.start, c.span.end);
      const doc = printElement(element, index);
      const comment = this.trailing(element.span.end);
      push(comment ? [doc, endOfLine(comment)] : doc, element.span.start, comment?.span.end ?? element.span.end);
    });
    for (const c of this.take(previousEnd, end)) push(commentText(c), c.span.start, c.span.end);
    return lines;
  }

  private statement(s: A.Statement, print: PrintChild): Doc {
    switch (s.kind) {
      case "model":
        return [print("keyword"), " ", print("name")];
      case "input":
        return [print("keyword"), " ", print("shape")];
      case "train":
        return join(" ", [print("keyword"), ...s.args.map((_, i) => print(["args", i]))]);
      case "block": {
        const params = s.params.length > 0 ? ["(", join(", ", s.params.map((_, i) => print(["params", i]))), ")"] : "";
        return group([print("keyword"), " ", print("name"), params, " ", print("body")], { shouldBreak: true });
      }
      case "chain":
        return this.chain(s, print);
    }
  }

  /** `{ ... }`, laid out by the enclosing group: on one line when flat, else one chain per line. */
  private body(body: A.Body, print: PrintChild): Doc {
    const open = body.span.start;
    const close = body.span.end - 1;
    if (this.text[open] !== "{" || this.text[close] !== "}") throw new FormatError(`internal: no braces around the body at offset ${open}`);
    const comment = this.trailing(open + 1);
    const lines = this.region(body.chains, open + 1, close, (_, i) => print(["chains", i]));
    const afterOpen = comment ? endOfLine(comment) : "";
    if (lines.length === 0) return comment ? ["{", afterOpen, hardline, "}"] : "{}";
    return ["{", afterOpen, indent([line, join(hardline, lines)]), line, "}"];
  }

  private multiline(body: A.Body): boolean {
    return this.text.slice(body.span.start, body.span.end).includes("\n");
  }

  private item(item: A.Item, print: PrintChild): Doc {
    if (item.kind === "repeat") {
      return group([print("keyword"), " ", print("count"), " ", print("body")], { shouldBreak: this.multiline(item.body) });
    }
    const head = join(" ", [print("name"), ...item.args.map((_, i) => print(["args", i]))]);
    if (item.branches.length === 0) return head;
    // One group for all branches: they go on one line together or on their own lines together.
    return group([head, ...item.branches.map((_, i) => [" ", print(["branches", i])])], { shouldBreak: item.branches.some((b) => this.multiline(b)) });
  }

  /**
   * Layers joined by ` | `. A chain of plain layers is filled: as many per line as fit, the rest
   * on indented continuation lines ending in `|`. A chain with `{ ... }` bodies keeps its layers
   * on the lines the bodies leave (breaking it elsewhere would misalign the bodies).
   */
  private chain(chain: A.Chain, print: PrintChild): Doc {
    const hasBodies = chain.items.some((i) => i.kind === "repeat" || i.branches.length > 0);
    const parts: Doc[] = [];
    chain.items.forEach((item, i) => {
      const doc = print(["items", i]);
      const next = chain.items[i + 1];
      if (!next) {
        parts.push(doc);
        return;
      }
      const comments = this.take(item.span.end, next.span.start);
      const trailing = comments[0] && !this.text.slice(item.span.end, comments[0].span.start).includes("\n") ? comments.shift() : undefined;
      const separator: Doc =
        trailing || comments.length > 0
          ? [trailing ? endOfLine(trailing) : "", hardline, ...comments.flatMap((c) => [commentText(c), hardline])]
          : hasBodies
            ? " "
            : line;
      if (hasBodies) parts.push(doc, " |", separator === " " ? " " : indent(separator));
      else parts.push([doc, " |"], separator);
    });
    return hasBodies ? parts : indent(fill(parts));
  }
}

function commentText(c: A.Comment): string {
  return c.text.trimEnd();
}

/** An end-of-line comment: printed after everything else on its line, one space away. */
function endOfLine(c: A.Comment): Doc {
  return [lineSuffix(` ${commentText(c)}`), breakParent];
}

/**
 * The printer's `print`: the canonical layout of the node at `path` (the file must have no syntax
 * errors). The root starts the file's Printer, which its nodes share through `args`.
 */
export function printNet(path: AstPath<NetNode>, print: (selector: string | (string | number)[], args: Printer) => Doc, args: unknown): Doc {
  const { node } = path;
  if ("kind" in node && node.kind === "netc-root") return print("file", new Printer(node.file, node.text));
  const printer = args as Printer;
  return printer.node(path, (selector) => print(selector, printer));
}
