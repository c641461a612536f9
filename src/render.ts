import { isAbsolute, relative, resolve, sep } from "node:path";
import { pathToFileURL } from "node:url";
import pc from "picocolors";
import { CODES, explanation, type Diagnostic, type DiagnosticCode, type Label } from "./diagnostics.js";
import type { SourceFile, Span } from "./source.js";
import { VERSION } from "./version.js";

/**
 * The one place diagnostics become text: a code frame for people, JSON for tools, GitHub
 * Actions workflow commands and SARIF for continuous integration.
 */

export interface Colors {
  enabled: boolean;
}

function paint(colors: Colors) {
  const c = pc.createColors(colors.enabled);
  return { error: (s: string) => c.bold(c.red(s)), warning: (s: string) => c.bold(c.yellow(s)), dim: c.dim, bold: c.bold, cyan: c.cyan, blue: (s: string) => c.bold(c.blue(s)) };
}

function location(source: SourceFile, offset: number): string {
  const { line, column } = source.position(offset);
  return `${source.path}:${line}:${column}`;
}

/** Columns of a source line shown at most: a longer line is cut to the part around the span. */
const SHOWN_COLUMNS = 240;

/** One source line with an underline; multi-line spans are underlined to the end of their first line. */
function frame(source: SourceFile, span: Span, label: string | undefined, mark: "^" | "-", style: (s: string) => string, gutter: number, c: ReturnType<typeof paint>): string[] {
  if (source.text.length === 0) return [];
  const start = source.position(span.start);
  const line = source.lineText(start.line);
  const end = source.position(span.end);
  const last = end.line === start.line ? end.column : line.length + 1;
  // A diagnostic stays a few lines on any text: a 1 MiB line is shown from a little before the span.
  const from = line.length > SHOWN_COLUMNS ? Math.max(0, Math.min(start.column - 1 - 20, line.length - SHOWN_COLUMNS)) : 0;
  const cut = from > 0 ? from - 1 : 0;
  const text = line.length > SHOWN_COLUMNS ? `${from > 0 ? "…" : ""}${line.slice(from, from + SHOWN_COLUMNS)}${from + SHOWN_COLUMNS < line.length ? "…" : ""}` : line;
  const column = start.column - cut;
  const width = Math.max(1, Math.min(last - start.column, text.length + 1 - column));
  const pad = " ".repeat(gutter);
  return [
    `${pad} ${c.blue("|")}`,
    `${c.blue(String(start.line).padStart(gutter))} ${c.blue("|")} ${text}`,
    `${pad} ${c.blue("|")} ${" ".repeat(column - 1)}${style(mark.repeat(width))}${label ? ` ${style(label)}` : ""}`,
  ];
}

export function renderDiagnostic(d: Diagnostic, source: SourceFile, colors: Colors): string {
  const c = paint(colors);
  const style = d.severity === "error" ? c.error : c.warning;
  const lines = [`${c.bold(location(source, d.span.start))}: ${style(d.severity)}: ${c.bold(d.message)} ${c.dim(`[${d.code}]`)}`];
  const spans: (Span | Label)[] = [d.span, ...d.related.map((r) => r.span)];
  const gutter = Math.max(...spans.map((s) => String(source.position("start" in s ? s.start : s.span.start).line).length));
  lines.push(...frame(source, d.span, d.label, "^", style, gutter, c));
  for (const r of d.related) {
    lines.push(`${" ".repeat(gutter)} ${c.blue("=")} ${c.bold("note")}: ${r.message} at ${location(source, r.span.start)}`);
    lines.push(...frame(source, r.span, undefined, "-", c.blue, gutter, c).slice(1));
  }
  for (const hint of d.hints) lines.push(`${" ".repeat(gutter)} ${c.blue("=")} ${c.bold("hint")}: ${hint}`);
  return lines.join("\n");
}

export function renderSummary(errors: number, warnings: number, files: number, colors: Colors): string {
  const c = paint(colors);
  const parts: string[] = [];
  if (errors > 0) parts.push(c.error(`${errors} error${errors === 1 ? "" : "s"}`));
  if (warnings > 0) parts.push(c.warning(`${warnings} warning${warnings === 1 ? "" : "s"}`));
  return parts.length === 0 ? `${files} file${files === 1 ? "" : "s"} checked: no problems` : `${parts.join(", ")} in ${files} file${files === 1 ? "" : "s"}`;
}

interface JsonRange {
  start: { line: number; column: number; offset: number };
  end: { line: number; column: number; offset: number };
}

function range(source: SourceFile, span: Span): JsonRange {
  return { start: { ...source.position(span.start), offset: span.start }, end: { ...source.position(span.end), offset: span.end } };
}

/** The stable JSON form (1-based lines and columns; columns in UTF-16 units as LSP counts them). */
export function diagnosticToJson(d: Diagnostic, source: SourceFile) {
  return {
    severity: d.severity,
    code: d.code,
    message: d.message,
    range: range(source, d.span),
    ...(d.label ? { label: d.label } : {}),
    hints: d.hints,
    related: d.related.map((r) => ({ message: r.message, range: range(source, r.span) })),
  };
}

/** A file's diagnostics, as every stage reports them. */
export interface FileDiagnostics {
  source: SourceFile;
  diagnostics: readonly Diagnostic[];
}

/** The message with its hints, as plain text for tools that show no code frame. */
function plainMessage(d: Diagnostic): string {
  return [d.message, ...d.hints.map((h) => `hint: ${h}`)].join("\n");
}

/** `path` relative to `cwd`, with `/` separators, as CI systems name files of the checkout. */
function pathFrom(cwd: string, path: string): string {
  return relative(cwd, resolve(cwd, path)).split(sep).join("/");
}

// The escaping of GitHub's runner (actions/toolkit's `command.ts`).
const escapeData = (s: string) => s.replace(/%/g, "%25").replace(/\r/g, "%0D").replace(/\n/g, "%0A");
const escapeProperty = (s: string) => escapeData(s).replace(/:/g, "%3A").replace(/,/g, "%2C");

/**
 * A GitHub Actions workflow command (`::error file=…,line=…::message`): GitHub shows it as an
 * annotation on the file's line in the pull request. Columns are 1-based, the end column one
 * past the last character (as in the JSON and SARIF forms); GitHub takes columns only on a
 * single line, so a span over several lines gives lines alone.
 */
export function renderGithubAnnotation(d: Diagnostic, source: SourceFile, cwd: string): string {
  const start = source.position(d.span.start);
  const end = source.position(d.span.end);
  const oneLine = start.line === end.line;
  const properties: [string, string | number][] = [
    ["file", pathFrom(cwd, source.path)],
    ["line", start.line],
    ...(oneLine ? [["col", start.column] as [string, number]] : []),
    ["endLine", end.line],
    ...(oneLine ? [["endColumn", end.column] as [string, number]] : []),
    ["title", d.code],
  ];
  return `::${d.severity} ${properties.map(([key, value]) => `${key}=${escapeProperty(String(value))}`).join(",")}::${escapeData(plainMessage(d))}`;
}

const SARIF_SCHEMA = "https://docs.oasis-open.org/sarif/sarif/v2.1.0/errata01/os/schemas/sarif-schema-2.1.0.json";

/**
 * A SARIF 2.1.0 log (the format of GitHub code scanning and other result viewers): one run of
 * netc, every diagnostic code as a rule with its `netc explain` text as help, file locations
 * relative to `cwd` (the `%SRCROOT%` base) and regions in 1-based lines and UTF-16 columns.
 */
export function sarifLog(files: readonly FileDiagnostics[], cwd: string) {
  const codes = Object.keys(CODES) as DiagnosticCode[];
  const location = (source: SourceFile, span: Span) => {
    const path = pathFrom(cwd, source.path);
    // A file outside the working directory is named by its absolute URI.
    const artifactLocation =
      path.startsWith("../") || isAbsolute(path) ? { uri: pathToFileURL(resolve(cwd, source.path)).href } : { uri: path.split("/").map(encodeURIComponent).join("/"), uriBaseId: "%SRCROOT%" };
    const start = source.position(span.start);
    const end = source.position(span.end);
    return { artifactLocation, region: { startLine: start.line, startColumn: start.column, endLine: end.line, endColumn: end.column } };
  };
  return {
    $schema: SARIF_SCHEMA,
    version: "2.1.0",
    runs: [
      {
        tool: {
          driver: {
            name: "netc",
            version: VERSION,
            rules: codes.map((code) => ({
              id: code,
              shortDescription: { text: CODES[code].split(": ")[0]! },
              fullDescription: { text: CODES[code] },
              help: { text: explanation(code) },
            })),
          },
        },
        originalUriBaseIds: { "%SRCROOT%": { uri: pathToFileURL(cwd).href.replace(/\/?$/, "/") } },
        columnKind: "utf16CodeUnits",
        results: files.flatMap(({ source, diagnostics }) =>
          diagnostics.map((d) => ({
            ruleId: d.code,
            ruleIndex: codes.indexOf(d.code),
            level: d.severity,
            message: { text: plainMessage(d) },
            locations: [{ physicalLocation: location(source, d.span) }],
            ...(d.related.length > 0
              ? { relatedLocations: d.related.map((r, id) => ({ id, physicalLocation: location(source, r.span), message: { text: r.message } })) }
              : {}),
          })),
        ),
      },
    ],
  };
}
