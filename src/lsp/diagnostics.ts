import type { Diagnostic as LspDiagnostic } from "vscode-languageserver";
import type { Diagnostic } from "../diagnostics.js";
import type { Analysis } from "./analysis.js";
import { toRange } from "./range.js";

/** netc's diagnostics as LSP diagnostics: located, with the caret label and hints in the message. */
export function toLspDiagnostic(d: Diagnostic, analysis: Analysis): LspDiagnostic {
  const source = analysis.checked.source;
  const message = [d.message, ...(d.label ? [d.label] : []), ...d.hints.map((h) => `hint: ${h}`)].join("\n");
  return {
    range: toRange(source, d.span),
    severity: d.severity === "error" ? 1 : 2,
    code: d.code,
    source: "netc",
    message,
    ...(d.related.length > 0 ? { relatedInformation: d.related.map((r) => ({ location: { uri: analysis.uri, range: toRange(source, r.span) }, message: r.message })) } : {}),
  };
}

export function lspDiagnostics(analysis: Analysis): LspDiagnostic[] {
  return analysis.checked.diagnostics.map((d) => toLspDiagnostic(d, analysis));
}
