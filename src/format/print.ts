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
 */

type Doc = builders.Doc;
const { breakParent, fill, group, hardline, indent, join, line, lineSuffix } = builders;

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

export function blockNames(file: A.NetFile): Set<string> {
  return new Set(file.statements.flatMap((s) => (s.kind === "block" ? [s.name.text] : [])));
}

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

  print(): Doc {
    const lines = this.region(this.file.statements, 0, this.text.length, (s) => this.statement(s));
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
  private region<T extends { span: Span }>(elements: readonly T[], start: number, end: number, printElement: (e: T) => Doc): Doc[] {
    const lines: Doc[] = [];
    let previousEnd = start;
    const push = (doc: Doc, at: number, after: number) => {
      if (lines.length > 0 && this.blankBetween(previousEnd, at)) lines.push("");
      lines.push(doc);
      previousEnd = after;
    };
    for (const element of elements) {
      for (const c of this.take(previousEnd, element.span.start)) push(commentText(c), c.span.start, c.span.end);
      const doc = printElement(element);
      const comment = this.trailing(element.span.end);
      push(comment ? [doc, endOfLine(comment)] : doc, element.span.start, comment?.span.end ?? element.span.end);
    }
    for (const c of this.take(previousEnd, end)) push(commentText(c), c.span.start, c.span.end);
    return lines;
  }

  private statement(s: A.Statement): Doc {
    switch (s.kind) {
      case "model":
        return `model ${s.name.text}`;
      case "input":
        return `input ${valueText(s.shape)}`;
      case "train":
        return ["train", ...s.args.map(argText)].join(" ");
      case "block": {
        const params = s.params.map((p) => (p.default ? `${p.name.text}=${valueText(p.default)}` : p.name.text));
        return group([`block ${s.name.text}${params.length > 0 ? `(${params.join(", ")})` : ""} `, this.body(s.body)], { shouldBreak: true });
      }
      case "chain":
        return this.chain(s);
    }
  }

  /** `{ ... }`, laid out by the enclosing group: on one line when flat, else one chain per line. */
  private body(body: A.Body): Doc {
    const open = body.span.start;
    const close = body.span.end - 1;
    if (this.text[open] !== "{" || this.text[close] !== "}") throw new FormatError(`internal: no braces around the body at offset ${open}`);
    const comment = this.trailing(open + 1);
    const lines = this.region(body.chains, open + 1, close, (c) => this.chain(c));
    const afterOpen = comment ? endOfLine(comment) : "";
    if (lines.length === 0) return comment ? ["{", afterOpen, hardline, "}"] : "{}";
    return ["{", afterOpen, indent([line, join(hardline, lines)]), line, "}"];
  }

  private multiline(body: A.Body): boolean {
    return this.text.slice(body.span.start, body.span.end).includes("\n");
  }

  private item(item: A.Item): Doc {
    if (item.kind === "repeat") {
      return group([`repeat ${valueText(item.count)} `, this.body(item.body)], { shouldBreak: this.multiline(item.body) });
    }
    const head = [item.name.text, ...item.args.map((a) => shortSpelling(item.name.text, a, this.blocks) ?? argText(a))].join(" ");
    if (item.branches.length === 0) return head;
    // One group for all branches: they go on one line together or on their own lines together.
    return group([head, ...item.branches.map((b) => [" ", this.body(b)])], { shouldBreak: item.branches.some((b) => this.multiline(b)) });
  }

  /**
   * Layers joined by ` | `. A chain of plain layers is filled: as many per line as fit, the rest
   * on indented continuation lines ending in `|`. A chain with `{ ... }` bodies keeps its layers
   * on the lines the bodies leave (breaking it elsewhere would misalign the bodies).
   */
  private chain(chain: A.Chain): Doc {
    const hasBodies = chain.items.some((i) => i.kind === "repeat" || i.branches.length > 0);
    const parts: Doc[] = [];
    chain.items.forEach((item, i) => {
      const doc = this.item(item);
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

/** The canonical layout of a parsed file (which must have no syntax errors) as a Prettier doc. */
export function printNetFile(file: A.NetFile, text: string): Doc {
  return new Printer(file, text).print();
}
