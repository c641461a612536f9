import { error, warning, type Diagnostic, type Label } from "./diagnostics.js";
import { layerNames, lookupLayer } from "./layers/registry.js";
import { MAX_DEPTH, MAX_DIAGNOSTICS, MAX_LAYERS } from "./limits.js";
import { countText, thousands } from "./numbers.js";
import type { ArgSpec, ArgValue, ArgValues, LayerSpec, MergeSpec } from "./layers/types.js";
import type { Span } from "./source.js";
import { nearbyNames } from "./suggest.js";
import type * as A from "./syntax/ast.js";
import { normalizeFits, settingsProblems, TRAIN_ARGS, type TrainSettings } from "./train-settings.js";

/**
 * Resolution: the AST with meaning attached. Layer names are looked up in the registry, arguments
 * bound to their specs, blocks expanded with their parameters substituted, `repeat` unrolled.
 */

export interface LayerNode {
  kind: "layer";
  spec: LayerSpec;
  args: ArgValues;
  /** Arguments given by a parameter of the enclosing block: argument name → parameter name. */
  refs: Readonly<Record<string, string>>;
  span: Span;
  /** Use sites of the blocks this layer was expanded from, innermost first. */
  via: Span[];
}

export interface MergeNode {
  kind: "merge";
  spec: MergeSpec;
  branches: Node[][];
  span: Span;
  via: Span[];
}

/** A block use or a `repeat`, kept as a group so the shape table can nest it. */
export interface GroupNode {
  kind: "group";
  label: string;
  /** A `repeat`'s children are its body's, `times` over. */
  children: Node[];
  span: Span;
  via: Span[];
  /** What the group came from, for back ends that keep blocks and loops (the PyTorch export). */
  origin: BlockUse | RepeatUse;
}

export interface BlockUse {
  kind: "block";
  def: A.BlockDef;
  /** Every parameter's value, defaults included. */
  values: Readonly<Record<string, BlockValue>>;
  /** The parameters the use gives, in the order the block declares them. */
  given: readonly string[];
  /** Parameters given by a parameter of the enclosing block: parameter → enclosing parameter. */
  refs: Readonly<Record<string, string>>;
}

export interface RepeatUse {
  kind: "repeat";
  times: number;
  /** The enclosing block's parameter that gives the count, if one does. */
  countRef?: string;
}

/** A layer that could not be resolved (already reported): shapes are unknown after it. */
export interface InvalidNode {
  kind: "invalid";
  span: Span;
  via: Span[];
}

export type Node = LayerNode | MergeNode | GroupNode | InvalidNode;

/**
 * A copy of `node` made of nodes of its own all the way down, for one more repetition of a
 * `repeat`: back ends key what they make for a layer by its node (the exports' weights and
 * module paths), so no two layers of the network may be one node.
 */
function copyNode(node: Node): Node {
  switch (node.kind) {
    case "group":
      return { ...node, children: node.children.map(copyNode) };
    case "merge":
      return { ...node, branches: node.branches.map((branch) => branch.map(copyNode)) };
    default:
      return { ...node };
  }
}

export interface Network {
  name: string;
  input?: { shape: number[]; span: Span };
  train: Partial<TrainSettings>;
  layers: Node[];
}

export type BlockValue = number | readonly number[];

interface Scope {
  env: ReadonlyMap<string, BlockValue>;
  via: Span[];
  /** Blocks being expanded, to catch recursion. */
  stack: readonly string[];
  /** Levels of `{ ... }` bodies and block uses around this one (at most MAX_DEPTH). */
  depth: number;
}

const SHORT_OPTION = /^([A-Za-z]+)(\d+(?:x\d+)*)$/;

/** The argument a `key=value` sets: by its long name or its short letter. */
export function optionForKey(specs: readonly ArgSpec[], key: string): ArgSpec | undefined {
  return specs.find((s) => s.name === key || s.short === key);
}

/** The argument a bare word sets: a flag, a bool, a choice, or a short option such as `k5` (with `value` "5"). */
export function optionOfWord(specs: readonly ArgSpec[], word: string): { spec: ArgSpec; value?: string } | undefined {
  const flag = specs.find((s) => ((s.type === "flag" || s.type === "bool") && s.name === word) || (s.type === "choice" && s.choices!.includes(word)));
  if (flag) return { spec: flag };
  const short = SHORT_OPTION.exec(word);
  const spec = short ? specs.find((s) => s.short === short[1]) : undefined;
  return spec ? { spec, value: short![2]! } : undefined;
}

/**
 * How an argument is written, for hints: `<channels>`, `kN`, `eps=N`, `nobias`, `scratch | builtin`;
 * a bool as the spelling that changes its default (`affine=false`, `track`).
 */
export function argForm(spec: ArgSpec): string {
  if (spec.type === "flag") return spec.name;
  if (spec.type === "bool") return spec.default === "true" ? `${spec.name}=false` : spec.name;
  if (spec.type === "choice") return spec.choices!.join(" | ");
  if (spec.type === "floats") return `${spec.name}=${spec.count ? Array(spec.count).fill("N").join(",") : "N,..."}`;
  if (spec.short) return `${spec.short}N`;
  return spec.positional ? `<${spec.name}>` : `${spec.name}=N`;
}

function describeSpecs(specs: readonly ArgSpec[]): string {
  if (specs.length === 0) return "it takes no arguments";
  return `it takes ${specs.map((s) => `\`${argForm(s)}\``).join(", ")}`;
}

class Resolver {
  readonly diagnostics: Diagnostic[] = [];
  private readonly blocks = new Map<string, A.BlockDef>();
  /** Layers (and merges) built so far: at most MAX_LAYERS. */
  private expanded = 0;
  /** Set once single layers reach MAX_LAYERS (reported once): nothing more is built. */
  private full = false;
  /** countBody's results by body and bound parameters. */
  private readonly counted = new Map<A.Body, Map<string, number>>();

  run(ast: A.NetFile, fallbackName: string): Network {
    const network: Network = { name: fallbackName, train: {}, layers: [] };
    const seen = new Map<string, Span>();
    let firstLayer: Span | undefined;
    let trainHeader: { statement: A.TrainDecl; spans: ReadonlyMap<string, Span> } | undefined;
    for (const statement of ast.statements) {
      if (statement.kind === "block") {
        this.defineBlock(statement);
        continue;
      }
      if (statement.kind === "chain") {
        firstLayer ??= statement.span;
        continue;
      }
      const previous = seen.get(statement.kind);
      if (previous) {
        this.report(error("NET030", statement.span, `\`${statement.kind}\` is declared twice`, { related: [{ span: previous, message: "first declared here" }], hints: ["keep one of them"] }));
        continue;
      }
      seen.set(statement.kind, statement.span);
      if (firstLayer) {
        this.report(error("NET030", statement.span, `\`${statement.kind}\` must come before the layers`, { related: [{ span: firstLayer, message: "the first layer is here" }], hints: ["move it to the top of the file"] }));
      }
      if (statement.kind === "model") network.name = statement.name.text;
      else if (statement.kind === "input") this.declareInput(statement, network);
      else {
        const bound = this.bindArgs("`train`", TRAIN_ARGS, statement.args, statement.span, rootScope());
        network.train = bound.values as Partial<TrainSettings>;
        trainHeader = { statement, spans: bound.spans };
      }
    }
    if (trainHeader) this.checkTrainSettings(network, trainHeader.statement, trainHeader.spans);
    for (const statement of ast.statements) {
      if (statement.kind === "chain") for (const node of this.expandChain(statement, rootScope())) network.layers.push(node);
    }
    const used = this.usedBlocks(ast);
    for (const [name, def] of this.blocks) {
      if (!used.has(name)) this.report(warning("NET023", def.name.span, `block \`${name}\` is never used`, { hints: ["use it, or delete it: an unused block's layers are not checked"] }));
    }
    if (network.layers.length === 0 && !this.diagnostics.some((d) => d.severity === "error")) {
      this.report(error("NET032", ast.span.end > 0 ? { start: 0, end: 0 } : ast.span, "the model has no layers", { hints: ["add layers, e.g. `conv 6 k5 | relu`"] }));
    }
    if (!seen.has("input") && network.layers.length > 0) {
      this.report(error("NET031", firstLayer!, "the model has no `input` declaration", { label: "so the first layer's input shape is unknown", hints: ["declare it before the layers, e.g. `input 1x28x28` (C×H×W) or `input 784` (features)"] }));
    }
    return network;
  }

  /** The blocks the layers use, directly or through other blocks (whether or not their expansion succeeds). */
  private usedBlocks(ast: A.NetFile): Set<string> {
    const used = new Set<string>();
    const bodies: A.Body[] = ast.statements.flatMap((s) => (s.kind === "chain" ? [{ chains: [s], span: s.span }] : []));
    for (let body = bodies.pop(); body; body = bodies.pop()) {
      for (const chain of body.chains) {
        for (const item of chain.items) {
          if (item.kind === "repeat") {
            bodies.push(item.body);
            continue;
          }
          bodies.push(...item.branches);
          const def = this.blocks.get(item.name.text);
          if (def && !used.has(def.name.text)) {
            used.add(def.name.text);
            bodies.push(def.body);
          }
        }
      }
    }
    return used;
  }

  private report(d: Diagnostic): void {
    // Bounded on any text: compile.ts shows the first MAX_DIAGNOSTICS of all stages' findings.
    if (this.diagnostics.length < 2 * MAX_DIAGNOSTICS) this.diagnostics.push(d);
  }

  /** The rules between training settings, and `normalize` against the input's channels. */
  private checkTrainSettings(network: Network, statement: A.TrainDecl, spans: ReadonlyMap<string, Span>): void {
    const invalid = new Set([...spans.keys()].filter((k) => network.train[k as keyof TrainSettings] === undefined));
    for (const problem of settingsProblems(network.train, invalid)) {
      const related = (problem.others ?? []).flatMap((o) => (spans.has(o.key) ? [{ span: spans.get(o.key)!, message: o.message }] : []));
      this.report(error("NET033", spans.get(problem.key) ?? statement.span, problem.message, { related, hints: [problem.hint] }));
    }
    const normalize = network.train.normalize;
    const input = network.input;
    if (normalize && normalize.length % 2 === 0 && input?.shape.length === 3 && !normalizeFits(normalize, input.shape[0]!)) {
      const channels = input.shape[0]!;
      this.report(
        error("NET033", spans.get("normalize")!, `\`normalize\` gives ${normalize.length / 2} means and standard deviations, but the input has ${channels} channel${channels === 1 ? "" : "s"}`, {
          related: [{ span: input.span, message: `the input is declared ${input.shape.join("×")} here` }],
          hints: [channels === 1 ? "give one mean and one standard deviation" : `give one mean and std for every channel, or ${channels} means then ${channels} standard deviations`],
        }),
      );
    }
  }

  private declareInput(decl: A.InputDecl, network: Network): void {
    const shape = decl.shape.kind === "dims" ? decl.shape.dims : decl.shape.kind === "number" ? [decl.shape.value] : [];
    if ((shape.length !== 1 && shape.length !== 3) || shape.some((d) => !Number.isInteger(d) || d < 1)) {
      this.report(error("NET013", decl.shape.span, `\`input\` must be C×H×W or a feature count, not \`${decl.shape.kind === "ref" ? decl.shape.name : decl.shape.text}\``, { hints: ["e.g. `input 1x28x28` or `input 784`"] }));
      return;
    }
    const elements = shape.reduce((a, b) => a * b, 1);
    if (elements > Number.MAX_SAFE_INTEGER) {
      this.report(error("NET110", decl.shape.span, `the input is too large to count: ${countText(elements)} elements, past 2^53, where netc's figures stop being exact`, { hints: ["is a size mistyped?"] }));
      return;
    }
    network.input = { shape, span: decl.shape.span };
  }

  private defineBlock(def: A.BlockDef): void {
    const name = def.name.text;
    const previous = this.blocks.get(name);
    if (previous) {
      this.report(error("NET021", def.name.span, `block \`${name}\` is defined twice`, { related: [{ span: previous.name.span, message: "first defined here" }], hints: ["rename one of them"] }));
      return;
    }
    if (lookupLayer(name)) {
      this.report(error("NET021", def.name.span, `block \`${name}\` has the name of a built-in layer`, { hints: ["choose another name"] }));
      return;
    }
    const params = new Map<string, A.Param>();
    for (const param of def.params) {
      const first = params.get(param.name.text);
      if (first) this.report(error("NET021", param.name.span, `parameter \`${param.name.text}\` is declared twice`, { related: [{ span: first.name.span, message: "first declared here" }] }));
      params.set(param.name.text, param);
      if (param.default?.kind === "ref") this.report(error("NET013", param.default.span, "a parameter's default must be a number or dims", { hints: [`e.g. \`${param.name.text}=1\``] }));
    }
    this.blocks.set(name, def);
  }

  private expandBody(body: A.Body, scope: Scope): Node[] {
    return body.chains.flatMap((chain) => this.expandChain(chain, scope));
  }

  private expandChain(chain: A.Chain, scope: Scope): Node[] {
    return chain.items.map((item) => {
      const node = this.expandItem(item, scope);
      this.expanded++;
      return node;
    });
  }

  /** One item as one node; the nodes inside it are counted in `expanded` as they are built. */
  private expandItem(item: A.Item, scope: Scope): Node {
    const invalid: Node = { kind: "invalid", span: item.span, via: scope.via };
    if (this.full) return invalid;
    if (item.kind === "repeat") {
      const count = this.repeatCount(item, scope);
      if (count === undefined || !this.withinDepth(item, scope)) return invalid;
      const { times, countRef } = count;
      const inner = { ...scope, depth: scope.depth + 1 };
      const once = this.countBody(item.body, inner);
      if (!this.fits(1 + times * once, item, scope, "this `repeat`", `${countText(times)} × ${countText(once)} layers`)) return invalid;
      // The body is expanded (bound and checked) once; the other repetitions are copies of its
      // nodes. The count is checked against the copy as built too: a count through recursive
      // blocks (an error anyway) can fall short.
      const before = this.expanded;
      const body = this.expandBody(item.body, inner);
      const size = this.expanded - before;
      if (!this.fits((times - 1) * size, item, scope, "this `repeat`", `${countText(times)} × ${countText(size)} layers`)) return invalid;
      this.expanded += (times - 1) * size;
      const children: Node[] = [...body];
      for (let i = 1; i < times && body.length > 0; i++) for (const node of body) children.push(copyNode(node));
      return { kind: "group", label: `repeat ${times}`, children, span: item.span, via: scope.via, origin: { kind: "repeat", times, ...(countRef ? { countRef } : {}) } };
    }
    const name = item.name.text;
    const def = this.blocks.get(name);
    if (def) return this.expandBlock(def, item, scope);
    const spec = lookupLayer(name);
    if (!spec) {
      if (this.diagnostics.length >= MAX_DIAGNOSTICS) return invalid; // enough said (compile.ts shows the first)
      const similar = nearbyNames(name, [...layerNames(), ...this.blocks.keys()]);
      this.report(
        error("NET010", item.name.span, `unknown layer \`${name}\``, {
          hints: similar.length > 0 ? [`a layer with a similar name exists: ${similar.map((s) => `\`${s}\``).join(", ")}`] : ["`netc layers` lists the layer kinds"],
        }),
      );
      return invalid;
    }
    const bound = this.bindArgs(`\`${name}\``, spec.args, item.args, item.span, scope, spec.example);
    if (spec.kind === "merge") {
      if (item.branches.length < 2) {
        this.report(error("NET016", item.name.span, `\`${name}\` needs at least two \`{ ... }\` branches, found ${item.branches.length}`, { hints: [`e.g. \`${spec.example}\``] }));
        return invalid;
      }
      if (!this.withinDepth(item, scope)) return invalid;
      const size = this.countItem(item, scope);
      if (!this.fits(size, item, scope, `this \`${name}\``, `${countText(size)} layers with its branches`)) return invalid;
      const inner = { ...scope, depth: scope.depth + 1 };
      const branches = item.branches.map((branch) => this.expandBody(branch, inner));
      // Located at its name: the whole construct spans many lines.
      return { kind: "merge", spec, branches, span: item.name.span, via: scope.via };
    }
    if (item.branches.length > 0) {
      this.report(error("NET016", item.branches[0]!.span, `\`${name}\` takes no \`{ ... }\` branches`, { hints: ["only `add`, `concat` and `repeat` take branches"] }));
    }
    if (!bound.ok || !this.fits(1, item, scope)) return invalid;
    return { kind: "layer", spec, args: bound.values, refs: bound.refs, span: item.span, via: scope.via };
  }

  private expandBlock(def: A.BlockDef, use: A.LayerItem, scope: Scope): Node {
    const name = def.name.text;
    const invalid: Node = { kind: "invalid", span: use.span, via: scope.via };
    if (scope.stack.includes(name)) {
      this.report(error("NET022", use.name.span, `block \`${name}\` uses itself`, { related: [{ span: def.name.span, message: "defined here" }], hints: ["a block cannot contain itself; use `repeat` for repetition"] }));
      return invalid;
    }
    if (use.branches.length > 0) this.report(error("NET016", use.branches[0]!.span, `block \`${name}\` takes no \`{ ... }\` branches`));
    if (!this.withinDepth(use, scope)) return invalid;
    const bound = this.blockScope(def, use, scope);
    if (!bound) return invalid;
    const { scope: inner, origin } = bound;
    const size = this.countBody(def.body, inner);
    if (!this.fits(1 + size, use, scope, `block \`${name}\` used here`, `expands to ${countText(size)} layers`)) return invalid;
    const label = `${name}(${def.params.map((p) => `${p.name.text}=${formatBlockValue(inner.env.get(p.name.text))}`).join(", ")})`;
    const children = this.expandBody(def.body, inner);
    return { kind: "group", label, children, span: use.span, via: scope.via, origin };
  }

  /**
   * A `repeat`'s count and the block parameter that gives it, if one does; undefined when the
   * count is not a whole number of at least 1 (reported).
   */
  private repeatCount(item: A.RepeatItem, scope: Scope): { times: number; countRef?: string } | undefined {
    const count = this.bindArgs("`repeat`", [{ name: "count", type: "int", positional: true, required: true, min: 1, doc: "" }], [{ kind: "positional", value: item.count, span: item.count.span }], item.span, scope);
    if (!count.ok) return undefined;
    const countRef = count.refs["count"];
    return { times: count.values["count"] as number, ...(countRef ? { countRef } : {}) };
  }

  /**
   * The scope of a block's body at a use (its parameters bound to the use's arguments or their
   * defaults), and the use as recorded for back ends that keep blocks.
   */
  private blockScope(def: A.BlockDef, use: A.LayerItem, scope: Scope): { scope: Scope; origin: BlockUse } | undefined {
    const name = def.name.text;
    const specs: ArgSpec[] = def.params.map((p) => ({ name: p.name.text, type: "value", positional: true, required: !p.default, doc: "" }));
    const example = `${name} ${def.params.map((p) => p.name.text).join(" ")}`;
    const bound = this.bindArgs(`block \`${name}\``, specs, use.args, use.span, scope, example);
    if (!bound.ok) return undefined;
    const env = new Map<string, BlockValue>();
    for (const p of def.params) {
      const given = bound.values[p.name.text] as BlockValue | undefined;
      const fallback = p.default?.kind === "number" ? p.default.value : p.default?.kind === "dims" ? p.default.dims : undefined;
      const value = given ?? fallback;
      if (value !== undefined) env.set(p.name.text, value);
    }
    const origin: BlockUse = { kind: "block", def, values: Object.fromEntries(env), given: def.params.map((p) => p.name.text).filter((p) => p in bound.values), refs: bound.refs };
    return { scope: { env, via: [use.span, ...scope.via], stack: [...scope.stack, name], depth: scope.depth + 1 }, origin };
  }

  /**
   * The nodes `body` expands to in `scope` (layers, and one per block use, `repeat` and merge),
   * counted without building them, so that `repeat 1000000000 { ... }` is refused at once.
   * Memoized by body and bound parameters: blocks that use blocks would otherwise be counted
   * exponentially often. A mistake counts as the one invalid node it becomes. The result may
   * pass 2^53 or be Infinity, which only ever fails the comparison with MAX_LAYERS.
   */
  private countBody(body: A.Body, scope: Scope): number {
    const key = JSON.stringify([...scope.env]);
    let byEnv = this.counted.get(body);
    const known = byEnv?.get(key);
    if (known !== undefined) return known;
    let total = 0;
    for (const chain of body.chains) for (const item of chain.items) total += this.countItem(item, scope);
    if (!byEnv) this.counted.set(body, (byEnv = new Map()));
    byEnv.set(key, total);
    return total;
  }

  private countItem(item: A.Item, scope: Scope): number {
    if (scope.depth >= MAX_DEPTH) return 1;
    const inner = { ...scope, depth: scope.depth + 1 };
    if (item.kind === "repeat") {
      const count = this.quietly(() => this.repeatCount(item, scope));
      return count === undefined ? 1 : 1 + count.times * this.countBody(item.body, inner);
    }
    const def = this.blocks.get(item.name.text);
    if (def) {
      if (scope.stack.includes(def.name.text)) return 1;
      const use = this.quietly(() => this.blockScope(def, item, scope));
      return use ? 1 + this.countBody(def.body, use.scope) : 1;
    }
    const spec = lookupLayer(item.name.text);
    if (spec?.kind !== "merge") return 1;
    return item.branches.reduce((n, branch) => n + this.countBody(branch, inner), 1);
  }

  /** Runs `f` with its diagnostics dropped: counting binds arguments that expansion reports on. */
  private quietly<T>(f: () => T): T {
    const reported = this.diagnostics.length;
    try {
      return f();
    } finally {
      this.diagnostics.length = reported;
    }
  }

  /** Whether `layers` more fit under MAX_LAYERS; if not, reports where the model would pass it. */
  private fits(layers: number, item: A.Item, scope: Scope, what?: string, label?: string): boolean {
    if (this.expanded + layers <= MAX_LAYERS) return true;
    const related = blockUses(scope.via);
    const hints = [`a model may have at most ${thousands(MAX_LAYERS)} layers once blocks and \`repeat\` are expanded: is the count right?`];
    if (what === undefined) {
      this.full = true;
      this.report(error("NET024", item.span, `the model has more than ${thousands(MAX_LAYERS)} layers`, { related, hints }));
    } else {
      this.report(error("NET024", item.span, `${what} would bring the model to ${countText(this.expanded + layers)} layers, past the limit of ${thousands(MAX_LAYERS)}`, { ...(label ? { label } : {}), related, hints }));
    }
    return false;
  }

  /** Whether `item`'s body (or the block it uses) is at most MAX_DEPTH levels deep; reported if not. */
  private withinDepth(item: A.Item, scope: Scope): boolean {
    if (scope.depth < MAX_DEPTH) return true;
    const related = blockUses(scope.via);
    this.report(
      error("NET005", item.kind === "repeat" ? item.span : item.name.span, `nested more than ${MAX_DEPTH} levels deep, counting the blocks it is used through`, {
        related,
        hints: ["nesting this deep is most likely a mistake: does a chain of blocks use one another without end?"],
      }),
    );
    return false;
  }

  /** Binds a layer's, block's or header's arguments to their specs, reporting every problem. */
  private bindArgs(owner: string, specs: readonly ArgSpec[], args: readonly A.Arg[], itemSpan: Span, scope: Scope, example?: string): { values: ArgValues; refs: Record<string, string>; ok: boolean; spans: ReadonlyMap<string, Span> } {
    const values: Record<string, ArgValue> = {};
    const refs: Record<string, string> = {};
    const reportedBefore = this.diagnostics.length;
    const setAt = new Map<string, Span>();
    let ok = true;
    const fail = (d: Diagnostic) => {
      ok = false;
      this.report(d);
    };
    const assign = (spec: ArgSpec, value: ArgValue | undefined, span: Span) => {
      const first = setAt.get(spec.name);
      if (first) {
        fail(error("NET014", span, `${owner} is given \`${spec.name}\` twice`, { related: [{ span: first, message: "first given here" }] }));
        return;
      }
      setAt.set(spec.name, span);
      // A bad value was reported already; the argument still counts as given.
      if (value === undefined) ok = false;
      else values[spec.name] = value;
    };
    const positional = specs.filter((s) => s.positional);
    const scopeNote = scope.via.length > 0 ? { related: [{ span: scope.via[0]!, message: "in the block used here" }] } : {};
    /** A written value converted for `spec`, noting a block parameter it names. */
    const bindValue = (spec: ArgSpec, value: A.Value): ArgValue | undefined => {
      if (value.kind === "ref" && scope.env.has(value.name)) refs[spec.name] = value.name;
      return this.convert(owner, spec, value, scope, scopeNote);
    };

    for (const arg of args) {
      if (arg.kind === "keyword") {
        const key = arg.key.text;
        const spec = optionForKey(specs, key);
        if (!spec) {
          fail(this.unknownOption(owner, key, arg.key.span, specs));
          continue;
        }
        if (spec.type === "flag") {
          fail(error("NET013", arg.span, `\`${key}\` is a flag: write it alone, without a value`, { hints: [`write \`${key}\``] }));
          continue;
        }
        assign(spec, bindValue(spec, arg.value), arg.span);
        continue;
      }
      if (arg.kind === "positional") {
        const spec = positional.find((s) => !setAt.has(s.name));
        if (!spec) {
          fail(error("NET015", arg.span, `${owner} takes ${positional.length === 0 ? "no positional arguments" : `at most ${positional.length} positional argument${positional.length > 1 ? "s" : ""} (${positional.map((s) => s.name).join(", ")})`}`, { hints: [describeSpecs(specs)] }));
          continue;
        }
        assign(spec, bindValue(spec, arg.value), arg.span);
        continue;
      }
      // A bare word: a flag, a choice, a short option such as `k5`, or a block parameter.
      const word = arg.name.text;
      const option = optionOfWord(specs, word);
      if (option && option.value === undefined) {
        assign(option.spec, option.spec.type === "flag" || option.spec.type === "bool" ? true : word, arg.span);
        continue;
      }
      if (option?.value !== undefined) {
        const { spec: shortSpec, value: text } = option;
        const literal: A.Value = text.includes("x")
          ? { kind: "dims", dims: text.split("x").map(Number), text, span: arg.span }
          : { kind: "number", value: Number(text), text, span: arg.span };
        assign(shortSpec, bindValue(shortSpec, literal), arg.span);
        continue;
      }
      if (scope.env.has(word)) {
        const spec = positional.find((s) => !setAt.has(s.name));
        if (!spec) {
          fail(error("NET015", arg.span, `${owner} has no positional argument left for \`${word}\``, { hints: [describeSpecs(specs)] }));
          continue;
        }
        assign(spec, bindValue(spec, { kind: "ref", name: word, span: arg.span }), arg.span);
        continue;
      }
      fail(this.unknownWord(owner, word, arg.span, specs, positional.some((s) => !setAt.has(s.name)), scope));
    }

    // A misspelt or unknown word was most likely meant as the missing argument: say it once.
    const missingIsConsequential = this.diagnostics.slice(reportedBefore).some((d) => d.code === "NET011" || d.code === "NET020");
    for (const spec of specs) {
      if (spec.required && !setAt.has(spec.name) && !missingIsConsequential) {
        ok = false;
        this.report(
          error("NET012", itemSpan, `${owner} is missing its \`${spec.name}\` argument`, {
            label: `\`${spec.name}\`: ${spec.doc || "required"}`,
            hints: example ? [`e.g. \`${example}\``] : [],
            ...scopeNote,
          }),
        );
      }
    }
    return { values, refs, ok, spans: setAt };
  }

  private unknownOption(owner: string, word: string, span: Span, specs: readonly ArgSpec[]): Diagnostic {
    const similar = similarOptions(word, specs);
    const hints = similar.length > 0 ? [`a similar option exists: ${similar.map((s) => `\`${s}\``).join(", ")}`] : [];
    hints.push(describeSpecs(specs));
    return error("NET011", span, `${owner} has no option \`${word}\``, { hints });
  }

  /**
   * A bare word that is no option: a misspelt option if one is close, otherwise, where a
   * positional argument could go, a name that is not a parameter of the enclosing block.
   */
  private unknownWord(owner: string, word: string, span: Span, specs: readonly ArgSpec[], positionalFree: boolean, scope: Scope): Diagnostic {
    if (similarOptions(word, specs).length > 0 || !positionalFree || SHORT_OPTION.test(word)) return this.unknownOption(owner, word, span, specs);
    return this.unknownName(word, span, scope);
  }

  private unknownName(name: string, span: Span, scope: Scope): Diagnostic {
    const params = [...scope.env.keys()];
    const similar = nearbyNames(name, params);
    const hint =
      similar.length > 0
        ? `a parameter with a similar name exists: ${similar.map((s) => `\`${s}\``).join(", ")}`
        : params.length > 0
          ? `the block's parameters are ${params.map((s) => `\`${s}\``).join(", ")}`
          : "names can only be used inside a block that declares them as parameters";
    return error("NET020", span, `unknown name \`${name}\``, { hints: [hint] });
  }

  /** A written value as the spec wants it, with parameter references looked up. */
  private convert(owner: string, spec: ArgSpec, value: A.Value, scope: Scope, scopeNote: Partial<Pick<Diagnostic, "related">>): ArgValue | undefined {
    if (spec.type === "floats") return this.convertList(owner, spec, value, scope, scopeNote);
    if (value.kind === "list") {
      this.report(error("NET013", value.span, `${owner}: \`${spec.name}\` takes one value, not a list`, { hints: spec.doc ? [`\`${spec.name}\`: ${spec.doc}`] : [], ...scopeNote }));
      return undefined;
    }
    let resolved: BlockValue | string;
    if (value.kind === "ref") {
      const bound = scope.env.get(value.name);
      if (bound !== undefined) resolved = bound;
      else if (spec.type === "choice" || spec.type === "bool" || spec.words) resolved = value.name;
      else {
        this.report(this.unknownName(value.name, value.span, scope));
        return undefined;
      }
    } else {
      resolved = value.kind === "number" ? value.value : value.dims;
    }
    const bad = (why: string, similar: string[] = []) => {
      const hints = [...(similar.length > 0 ? [`a choice with a similar name exists: ${similar.map((c) => `\`${c}\``).join(", ")}`] : []), ...(spec.doc ? [`\`${spec.type === "bool" ? argForm(spec) : spec.name}\`: ${spec.doc}`] : [])];
      this.report(error("NET013", value.span, `${owner}: \`${spec.name}\` ${why}`, { hints, ...scopeNote }));
      return undefined;
    };
    switch (spec.type) {
      case "value":
        return typeof resolved === "string" ? bad("must be a number") : resolved;
      case "choice": {
        if (typeof resolved === "string" && spec.choices!.includes(resolved)) return resolved;
        return bad(`must be one of ${spec.choices!.map((c) => `\`${c}\``).join(", ")}`, typeof resolved === "string" ? nearbyNames(resolved, spec.choices!) : []);
      }
      case "flag":
        return bad("is a flag and takes no value");
      case "bool":
        return resolved === "true" || resolved === "false" ? resolved === "true" : bad("must be `true` or `false`");
      case "size": {
        if (typeof resolved === "string") return bad("must be a number or HxW");
        const pair = typeof resolved === "number" ? [resolved, resolved] : resolved;
        if (pair.length !== 2) return bad(`must be a number or HxW, not ${pair.join("x")}`);
        for (const n of pair) {
          if (!Number.isSafeInteger(n)) return bad(Number.isInteger(n) ? `must be below 2^53, not ${countText(n)}` : `must be a whole number, not ${n}`);
          if (spec.min !== undefined && n < spec.min) return bad(`must be at least ${spec.min}, not ${n}`);
        }
        return typeof resolved === "number" ? resolved : [pair[0]!, pair[1]!];
      }
      case "int":
      case "float": {
        if (typeof resolved === "string" && spec.words?.includes(resolved)) return resolved;
        if (typeof resolved !== "number") return bad(`must be a number${spec.words ? spec.words.map((w) => ` or \`${w}\``).join("") : ""}, not ${typeof resolved === "string" ? resolved : resolved.join("x")}`);
        const outside = rangeProblem(spec, resolved);
        return outside ? bad(outside) : resolved;
      }
    }
  }

  /** A `floats` argument: one number or several separated by commas, each in the spec's range. */
  private convertList(owner: string, spec: ArgSpec, value: A.Value, scope: Scope, scopeNote: Partial<Pick<Diagnostic, "related">>): ArgValue | undefined {
    const items = value.kind === "list" ? value.items : [value];
    const numbers = items.map((item) => this.convert(owner, { ...spec, type: "float" }, item, scope, scopeNote));
    if (numbers.some((n) => n === undefined)) return undefined;
    if (spec.count !== undefined && numbers.length !== spec.count) {
      this.report(error("NET013", value.span, `${owner}: \`${spec.name}\` takes ${spec.count} numbers separated by commas, not ${numbers.length}`, { hints: [`e.g. \`${spec.name}=${spec.default ?? "N,N"}\``], ...scopeNote }));
      return undefined;
    }
    return numbers as number[];
  }
}

/** Why a number is not a valid value of an `int` or `float` argument, or undefined if it is. */
export function rangeProblem(spec: ArgSpec, n: number): string | undefined {
  if (spec.type === "int" && !Number.isSafeInteger(n)) return Number.isInteger(n) ? `must be below 2^53, not ${countText(n)}` : `must be a whole number, not ${n}`;
  if (spec.min !== undefined && (n < spec.min || (spec.exclusiveMin && n === spec.min))) return `must be ${spec.exclusiveMin ? "greater than" : "at least"} ${spec.min}, not ${n}`;
  if (spec.max !== undefined && (n > spec.max || (spec.exclusiveMax && n === spec.max))) return `must be ${spec.exclusiveMax ? "less than" : "at most"} ${spec.max}, not ${n}`;
  return undefined;
}

function similarOptions(word: string, specs: readonly ArgSpec[]): string[] {
  const spellings = specs.flatMap((s) => (s.type === "choice" ? [s.name, ...s.choices!] : [s.name]));
  return nearbyNames(word, spellings).filter((s) => s !== word);
}

function rootScope(): Scope {
  return { env: new Map(), via: [], stack: [], depth: 0 };
}

/** Notes for a finding inside a block: where it was used, innermost first (the first few). */
export function blockUses(via: readonly Span[]): Label[] {
  return via.slice(0, 4).map((span, i) => ({ span, message: i === 0 ? "in the block used here" : "which is used here" }));
}


function formatBlockValue(value: BlockValue | undefined): string {
  if (value === undefined) return "?";
  return typeof value === "number" ? String(value) : value.join("x");
}

/** Resolves a parsed file into a network. */
export function resolve(ast: A.NetFile, fallbackName: string): { network: Network; diagnostics: Diagnostic[] } {
  const resolver = new Resolver();
  const network = resolver.run(ast, fallbackName);
  return { network, diagnostics: resolver.diagnostics };
}
