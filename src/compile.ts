import { dataFitDiagnostics } from "./data-fit.js";
import { lookupDataset } from "./datasets.js";
import { error, type Diagnostic } from "./diagnostics.js";
import type { BuildOptions } from "./layers/types.js";
import { MAX_DIAGNOSTICS, MAX_SOURCE_BYTES } from "./limits.js";
import { resolve, type Network } from "./resolve.js";
import { inferShapes, type ShapeReport } from "./shapes.js";
import { SourceFile, type Span } from "./source.js";
import type { NetFile } from "./syntax/ast.js";
import { parse } from "./syntax/parse.js";

/** The front end as one flat pipeline: text → AST → resolved network → shapes. */

export interface Checked {
  source: SourceFile;
  ast: NetFile;
  network: Network;
  shapes: ShapeReport;
  /** Every stage's findings, in source order. */
  diagnostics: Diagnostic[];
}

/**
 * Decodes a model file's bytes. Binary or oversized input becomes a diagnostic instead of a
 * flood of lexer errors.
 */
export function decodeSource(path: string, bytes: Uint8Array): { source: SourceFile; diagnostics: Diagnostic[] } {
  const empty = new SourceFile(path, "");
  if (bytes.length > MAX_SOURCE_BYTES) return { source: empty, diagnostics: [tooLarge(bytes.length)] };
  let text: string;
  try {
    text = new TextDecoder("utf-8", { fatal: true }).decode(bytes);
  } catch {
    return { source: empty, diagnostics: [error("NET003", { start: 0, end: 0 }, "the file is not UTF-8 text", { hints: ["is this really a .net model file?"] })] };
  }
  if (text.includes("\0")) {
    return { source: empty, diagnostics: [error("NET003", { start: 0, end: 0 }, "the file contains NUL bytes, so it is not a text file", { hints: ["is this really a .net model file?"] })] };
  }
  return { source: new SourceFile(path, lineBreaks(text.replace(/^\uFEFF/, ""))), diagnostics: [] };
}

/**
 * A lone carriage return (old Mac line endings) ends a line, as in editors (and LSP positions)
 * and in Prettier, which formats what it reads that way: it becomes a newline, one character for
 * one, so offsets stay the same.
 */
function lineBreaks(text: string): string {
  return text.replace(/\r(?!\n)/g, "\n");
}

function tooLarge(bytes: number): Diagnostic {
  return error("NET004", { start: 0, end: 0 }, `the file is ${(bytes / (1 << 20)).toFixed(1)} MiB; model files are limited to 1 MiB`, { hints: ["is this really a .net model file?"] });
}

export function fileStem(path: string): string {
  return (path.split(/[\\/]/).at(-1) ?? path).replace(/\.net$/, "");
}

export function check(source: SourceFile, options: BuildOptions): Checked {
  const parsed = parse(source);
  const resolved = resolve(parsed.ast, fileStem(source.path));
  const shaped = inferShapes(resolved.network, options);
  // A dataset named in the `train` header is known here; one given by `--data` is checked by `netc train`.
  const named = lookupDataset(resolved.network.train.data ?? "");
  if (named) shaped.diagnostics.push(...dataFitDiagnostics(resolved.network, shaped.report, named));
  // After a syntax error, a statement lost to it is also "missing", and one half-parsed has
  // odd arguments: only the syntax error is worth reading.
  const consequential = new Set(parsed.diagnostics.length > 0 ? ["NET031", "NET032"] : []);
  const inRecovered = within(parsed.recovered);
  const later = [...resolved.diagnostics, ...shaped.diagnostics].filter((d) => !consequential.has(d.code) && !inRecovered(d));
  const all = [...parsed.diagnostics, ...later];
  // A block used several times reports a mistake in its body once.
  const unique = new Map<string, Diagnostic>();
  for (const d of all) {
    const key = `${d.code}:${d.span.start}:${d.span.end}:${d.message}`;
    if (!unique.has(key)) unique.set(key, d);
  }
  const diagnostics = [...unique.values()].sort((a, b) => a.span.start - b.span.start || a.span.end - b.span.end);
  if (diagnostics.length > MAX_DIAGNOSTICS) {
    const next = diagnostics[MAX_DIAGNOSTICS]!;
    diagnostics.length = MAX_DIAGNOSTICS;
    diagnostics.push(error("NET006", { start: next.span.start, end: next.span.start }, `too many problems: the ones from here on are not shown`, { hints: ["fix the ones above first"] }));
  }
  return { source, ast: parsed.ast, network: resolved.network, shapes: shaped.report, diagnostics };
}

/** Whether a diagnostic starts inside one of `spans` (which do not overlap), by binary search. */
function within(spans: readonly Span[]): (d: Diagnostic) => boolean {
  const sorted = [...spans].sort((a, b) => a.start - b.start);
  return (d) => {
    let lo = 0;
    let hi = sorted.length - 1;
    while (lo <= hi) {
      const mid = (lo + hi) >> 1;
      const s = sorted[mid]!;
      if (d.span.start < s.start) hi = mid - 1;
      else if (d.span.start >= s.end) lo = mid + 1;
      else return true;
    }
    return false;
  };
}

/** Checks a model file's raw bytes, as read from disk or an editor buffer. */
export function checkBytes(path: string, bytes: Uint8Array, options: BuildOptions): Checked {
  const decoded = decodeSource(path, bytes);
  const checked = check(decoded.source, options);
  return decoded.diagnostics.length > 0 ? { ...checked, diagnostics: decoded.diagnostics } : checked;
}

/** Checks an editor buffer: its text is decoded already, and the size limit applies as to files. */
export function checkText(path: string, text: string, options: BuildOptions): Checked {
  const bytes = Buffer.byteLength(text, "utf8");
  if (bytes <= MAX_SOURCE_BYTES) return check(new SourceFile(path, lineBreaks(text)), options);
  return { ...check(new SourceFile(path, ""), options), diagnostics: [tooLarge(bytes)] };
}
