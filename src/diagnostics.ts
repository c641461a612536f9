import { MAX_DEPTH, MAX_DIAGNOSTICS, MAX_LAYERS } from "./limits.js";
import { thousands } from "./numbers.js";
import type { Span } from "./source.js";

/**
 * Every diagnostic netc can emit, with the explanation `netc explain CODE` prints. Tests assert
 * codes rather than wording, so messages can improve without breaking editors that key on codes.
 */
export const CODES = {
  NET001: "unexpected character: the lexer met a character that starts no token of the language",
  NET002: "syntax error: the tokens do not form a statement, layer chain or block",
  NET003: "not a text file: the input contains NUL bytes or is not valid UTF-8",
  NET004: "file too large: model files (and editor buffers) are limited to 1 MiB",
  NET005: `nested too deeply: \`{ ... }\` bodies inside one another, and blocks that use blocks, may go ${MAX_DEPTH} levels deep; deeper nesting is refused so that checking stays fast on any text`,
  NET006: `too many problems: netc reports the first ${thousands(MAX_DIAGNOSTICS)} problems of a file, and stops parsing after that many syntax errors; the rest are most likely consequences of the first`,
  NET010: "unknown layer: the name is neither a layer kind of the registry nor a block defined in the file",
  NET011: "unknown option: the layer has no option or flag of that name",
  NET012: "missing argument: a required argument of the layer or block was not given",
  NET013: "invalid value: the argument has the wrong type or is out of range",
  NET014: "duplicate argument: the same option was given twice",
  NET015: "too many positional arguments",
  NET016: "branches: a merge (`add`, `concat`) needs two or more `{ ... }` branches, other layers take none",
  NET020: "unknown name: an identifier used as a value is not a parameter of the enclosing block",
  NET021: "duplicate definition: a block, or a block parameter, is defined twice",
  NET022: "recursive block: a block uses itself, directly or through other blocks",
  NET023: "unused block: a block is defined but never used, so its body is never checked",
  NET024: `model too large: once blocks and \`repeat\` are expanded, a model may have ${thousands(MAX_LAYERS)} layers (each block use, \`repeat\` and merge counting as one more); the \`repeat\` or block use that would pass the limit is refused (its layers are counted, not built), so a mistyped count cannot freeze \`netc check\` or an editor`,
  NET030: "header: `model`, `input` and `train` may each appear once, before the layers",
  NET031: "missing input: the model has no `input` declaration, so shapes cannot be checked",
  NET032: "empty model: the file declares no layers",
  NET033: "training settings that do not go together: an option of another optimizer or schedule (`momentum` with `adam`), `nesterov` without momentum, `schedule=step` without `step`, a warmup as long as the run, or `normalize` numbers that do not fit the input's channels",
  NET034: "the model does not fit the data: its input is not the dataset's images (a 1-channel model on CIFAR-10's 3 channels, a flat input of another size), or its output is not one logit per class of the dataset",
  NET101: "kernel too large: a convolution or pooling window is larger than its (padded) input, so the output would be empty",
  NET102: "needs C×H×W: `conv`, pooling, `gap` and `instancenorm` need an image-shaped input, but get a flat vector (after `flatten` or `linear`, or from `input N`)",
  NET103: "needs a flat input: `linear` gets a C×H×W tensor; insert `flatten` before it",
  NET104: "`add` of mismatched shapes: every branch of an `add` must produce the same shape",
  NET105: "`concat` of mismatched spatial sizes: the branches of a `concat` must agree in everything but channels",
  NET106: "bad padding: pooling padding must be at most half the kernel size, as in PyTorch",
  NET107: "`bn` input rank: batch normalization takes C×H×W or flat inputs",
  NET108: "uneven groups: `groupnorm G` and `iternorm groups=G` split the channels into G groups of equal size, so G must divide the channel count",
  NET109: "one value per statistic: `instancenorm` standardizes each channel of an image over its H×W values, which needs more than one (PyTorch refuses a 1×1 input in training too)",
  NET110: "too large to count: a layer's output size, parameters or multiply-adds (or the model's totals) pass 2^53, where floating-point numbers stop being exact; netc refuses the model rather than print rounded figures",
  NET200: "bias before `bn`: a conv or linear bias that feeds straight into `bn` (or `instancenorm`, `iternorm`) is cancelled by its mean subtraction (the seed's first exercise); `nobias` saves the parameters",
  NET300: "no export: the layer kind has no PyTorch or ONNX export yet (its registry entry has no `torch` or `onnx` section)",
  NET301: "export layout: after `flatten`, netc orders features H,W,C and PyTorch/ONNX C,H,W; the export reorders them in the `linear` (or per-feature layer) that reads them, and cannot through this layer",
  NET302: "export of `repeat`: a count given by a block parameter becomes a Python loop, which needs each repetition's output channels to be fixed or to grow by a fixed amount",
} as const;

export type DiagnosticCode = keyof typeof CODES;

/** What `netc explain CODE` prints (and SARIF logs give as each rule's help). */
export function explanation(code: DiagnosticCode): string {
  return `${code}: ${CODES[code]}`;
}
export type Severity = "error" | "warning";

export interface Label {
  span: Span;
  message: string;
}

/** A finding of any stage, as data: stages never print, one renderer does. */
export interface Diagnostic {
  code: DiagnosticCode;
  severity: Severity;
  /** What is wrong: lowercase, no final period, code in backticks. */
  message: string;
  /** The smallest span that shows the problem. */
  span: Span;
  /** Text printed under the primary span's caret. */
  label?: string;
  /** Other places that explain the problem (e.g. the block use that expanded to this layer). */
  related: Label[];
  /** How to fix it. */
  hints: string[];
}

export function error(
  code: DiagnosticCode,
  span: Span,
  message: string,
  extra: Partial<Pick<Diagnostic, "label" | "related" | "hints">> = {},
): Diagnostic {
  return { code, severity: "error", message, span, related: extra.related ?? [], hints: extra.hints ?? [], ...(extra.label ? { label: extra.label } : {}) };
}

export function warning(
  code: DiagnosticCode,
  span: Span,
  message: string,
  extra: Partial<Pick<Diagnostic, "label" | "related" | "hints">> = {},
): Diagnostic {
  return { ...error(code, span, message, extra), severity: "warning" };
}

export function hasErrors(diagnostics: readonly Diagnostic[]): boolean {
  return diagnostics.some((d) => d.severity === "error");
}
