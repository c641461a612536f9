import type { CompletionItem } from "vscode-languageserver";
import { argLine } from "../layer-docs.js";
import { LAYERS, lookupLayer } from "../layers/registry.js";
import type { ArgSpec } from "../layers/types.js";
import type * as A from "../syntax/ast.js";
import { TRAIN_ARGS } from "../train-settings.js";
import { lookupDataset } from "../datasets.js";
import { contains, type Analysis } from "./analysis.js";
import { blockSignature } from "./hover.js";
import { argForm, optionForKey, optionOfWord } from "../resolve.js";

/**
 * Completion from the text before the cursor on its line (the tree may be half-typed): at the
 * start of a layer, layer kinds, blocks and keywords (`model`, `input` and `train` only where a
 * header may still go); after a layer's name, its options; after a block's name, its
 * parameters; inside a block, its parameters as values. Options that take a value are snippets
 * with the default value selected, for clients that support snippets; plain text otherwise.
 */

// LSP's CompletionItemKind and InsertTextFormat, as numbers: the protocol module loads lazily.
const KIND = { function: 3, variable: 6, module: 9, property: 10, keyword: 14, enumMember: 20 } as const;
const SNIPPET = 2 as const;

const HEADERS = ["model", "input", "train"] as const;

export interface CompletionOptions {
  /** The client's `textDocument.completion.completionItem.snippetSupport`. */
  snippets: boolean;
}

/** What an option that takes a value inserts: `stride=`, then (in a snippet) the default, selected. */
function valueInsert(prefix: string, fallback: string | undefined, options: CompletionOptions): Pick<CompletionItem, "insertText" | "insertTextFormat"> {
  if (!options.snippets) return { insertText: prefix };
  // Only a number or dims: a default described in words (`--bn`, ...) is no value to insert.
  const placeholder = fallback !== undefined && /^\d[\w.,+-]*$/.test(fallback) ? `\${1:${fallback}}` : "$1";
  return { insertText: prefix + placeholder, insertTextFormat: SNIPPET };
}

/** The header statements that may still be written at `offset`: before the first layer, each once. */
function headerKeywords(file: A.NetFile, offset: number): string[] {
  // The statement being typed does not count.
  const others = file.statements.filter((s) => !contains(s.span, offset));
  if (others.some((s) => s.kind === "chain" && s.span.start < offset)) return [];
  return HEADERS.filter((k) => !others.some((s) => s.kind === k));
}

function layerItems(): CompletionItem[] {
  return LAYERS.flatMap((spec) =>
    [spec.name, ...(spec.aliases ?? [])].map((name) => ({
      label: name,
      kind: KIND.function,
      detail: spec.summary.replace(/`/g, ""),
      documentation: { kind: "markdown" as const, value: [`e.g. \`${spec.example}\``, ...spec.args.map((a) => `- ${argLine(a)}`)].join("\n") },
    })),
  );
}

function blockItems(file: A.NetFile): CompletionItem[] {
  return file.statements.flatMap((s) => (s.kind === "block" ? [{ label: s.name.text, kind: KIND.module, detail: blockSignature(s) }] : []));
}

/** A choice's words; a dataset's with what it is. */
function choiceItems(a: ArgSpec): CompletionItem[] {
  return (a.choices ?? []).map((c) => {
    const dataset = a.name === "data" ? lookupDataset(c) : undefined;
    return { label: c, kind: KIND.enumMember, detail: dataset ? `${dataset.title}: ${dataset.summary}` : a.doc, documentation: { kind: "markdown" as const, value: argLine(a) } };
  });
}

function optionItems(args: readonly ArgSpec[], given: ReadonlySet<string>, options: CompletionOptions): CompletionItem[] {
  const items: CompletionItem[] = [];
  for (const a of args) {
    if (given.has(a.name)) continue;
    const doc = argLine(a);
    if (a.type === "flag") items.push({ label: a.name, kind: KIND.property, detail: a.doc, documentation: { kind: "markdown", value: doc } });
    // A bool as the spelling that changes its default.
    else if (a.type === "bool") items.push({ label: argForm(a), kind: KIND.property, detail: a.doc, documentation: { kind: "markdown", value: doc } });
    else if (a.type === "choice") items.push(...choiceItems(a));
    else if (a.positional && !a.short) continue;
    else {
      if (a.short) items.push({ label: `${a.short}N`, filterText: a.short, ...valueInsert(a.short, a.default, options), kind: KIND.property, detail: a.doc, documentation: { kind: "markdown", value: doc } });
      items.push({ label: `${a.name}=`, ...valueInsert(`${a.name}=`, a.default, options), kind: KIND.property, detail: a.doc, documentation: { kind: "markdown", value: doc } });
    }
  }
  return items;
}

/** Names of the options already written in a layer's arguments. */
function givenOptions(args: readonly ArgSpec[], words: readonly string[]): Set<string> {
  const given = new Set<string>();
  for (const w of words) {
    const option = w.includes("=") ? optionForKey(args, w.slice(0, w.indexOf("="))) : optionOfWord(args, w)?.spec;
    if (option) given.add(option.name);
  }
  return given;
}

/** The block definition the cursor is in; a body still missing its `}` extends to the cursor. */
function enclosingBlock(file: A.NetFile, text: string, offset: number): A.BlockDef | undefined {
  return file.statements.find((s): s is A.BlockDef => s.kind === "block" && s.body.span.start < offset && (offset < s.body.span.end || text[s.body.span.end - 1] !== "}"));
}

export function complete(analysis: Analysis, offset: number, options: CompletionOptions): CompletionItem[] {
  const { ast, source } = analysis.checked;
  const text = source.text;
  const lineStart = text.lastIndexOf("\n", offset - 1) + 1;
  const before = text.slice(lineStart, offset);
  if (before.includes("#")) return [];
  const segmentStart = Math.max(before.lastIndexOf("|"), before.lastIndexOf("{"), before.lastIndexOf("}")) + 1;
  const segment = before.slice(segmentStart);
  const words = segment.trim().split(/\s+/).filter(Boolean);
  const typing = /\S$/.test(segment);
  const block = enclosingBlock(ast, text, offset);
  const atLineStart = segmentStart === 0;

  // The layer position: nothing yet, or the first word being typed.
  if (words.length === 0 || (words.length === 1 && typing)) {
    const keywords = [...(atLineStart && !block ? [...headerKeywords(ast, offset), "block"] : []), "repeat"].map((k) => ({ label: k, kind: KIND.keyword }));
    return [...layerItems(), ...blockItems(ast).filter((b) => b.label !== block?.name.text), ...keywords];
  }

  const [first, ...rest] = words;
  const written = typing ? rest.slice(0, -1) : rest;
  const params = (block?.params ?? []).map((p) => ({ label: p.name.text, kind: KIND.variable, detail: `parameter of ${blockSignature(block!)}` }));
  // After `key=`, only values: a choice's words, or the enclosing block's parameters.
  const last = rest.at(-1);
  if (typing && last?.includes("=")) {
    const specs = first === "train" ? TRAIN_ARGS : (lookupLayer(first!)?.args ?? []);
    const spec = optionForKey(specs, last.slice(0, last.indexOf("=")));
    return spec?.type === "choice" ? choiceItems(spec) : params;
  }
  if (first === "train") return optionItems(TRAIN_ARGS, givenOptions(TRAIN_ARGS, written), options);
  if (first === "repeat") return params;
  if (first === "block" || (HEADERS as readonly string[]).includes(first!)) return [];
  const def = ast.statements.find((s): s is A.BlockDef => s.kind === "block" && s.name.text === first);
  if (def) {
    const keys = new Set(written.filter((w) => w.includes("=")).map((w) => w.slice(0, w.indexOf("="))));
    return [
      ...def.params.filter((p) => !keys.has(p.name.text)).map((p) => ({ label: `${p.name.text}=`, ...valueInsert(`${p.name.text}=`, p.default?.kind === "ref" ? undefined : p.default?.text, options), kind: KIND.property, detail: blockSignature(def) })),
      ...params,
    ];
  }
  const spec = lookupLayer(first!);
  if (!spec) return [];
  return [...optionItems(spec.args, givenOptions(spec.args, written), options), ...params];
}
