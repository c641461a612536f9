import type { Span } from "../source.js";

/** The typed syntax tree: what was written, with a span on every node. No meaning is resolved yet. */

export interface Name {
  text: string;
  span: Span;
}

export type Value =
  | { kind: "number"; value: number; text: string; span: Span }
  | { kind: "dims"; dims: number[]; text: string; span: Span }
  | { kind: "ref"; name: string; span: Span }
  /** Values separated by commas, as in `betas=0.9,0.999`; only after a `key=`. */
  | { kind: "list"; items: Value[]; text: string; span: Span };

/**
 * A layer argument. A bare word (`k5`, `nobias`, `scratch`, or a block parameter `c`) stays a word
 * here: only the layer's registry entry and the enclosing block know which it is.
 */
export type Arg =
  | { kind: "word"; name: Name; span: Span }
  | { kind: "keyword"; key: Name; value: Value; span: Span }
  | { kind: "positional"; value: Value; span: Span };

export interface Body {
  chains: Chain[];
  span: Span;
}

export interface LayerItem {
  kind: "layer";
  name: Name;
  args: Arg[];
  branches: Body[];
  span: Span;
}

export interface RepeatItem {
  kind: "repeat";
  count: Value;
  body: Body;
  span: Span;
}

export type Item = LayerItem | RepeatItem;

export interface Chain {
  kind: "chain";
  items: Item[];
  span: Span;
}

export interface Param {
  name: Name;
  default?: Value;
  span: Span;
}

export interface BlockDef {
  kind: "block";
  name: Name;
  params: Param[];
  body: Body;
  span: Span;
}

export interface ModelDecl {
  kind: "model";
  name: Name;
  span: Span;
}

export interface InputDecl {
  kind: "input";
  shape: Value;
  span: Span;
}

export interface TrainDecl {
  kind: "train";
  args: Arg[];
  span: Span;
}

export type Statement = ModelDecl | InputDecl | TrainDecl | BlockDef | Chain;

/** A comment, kept for the formatter. */
export interface Comment {
  text: string;
  span: Span;
}

export interface NetFile {
  statements: Statement[];
  comments: Comment[];
  span: Span;
}
