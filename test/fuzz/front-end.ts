/**
 * One fuzz input through every front-end stage a user or an editor reaches, in-process: check
 * (bytes as a file), every diagnostic rendered and as JSON, the shape table, the torch printout
 * and JSON when the model checks, and the language server's features on the text as an editor
 * holds it (diagnostics, hover, completion, definition at a few places; formatting when asked).
 * Throws on the first thing that goes wrong, which the caller counts as a crash.
 */
import { checkBytes } from "../../src/compile.js";
import { hasErrors } from "../../src/diagnostics.js";
import { formatDocument } from "../../src/lsp/formatting.js";
import { analyze } from "../../src/lsp/analysis.js";
import { complete } from "../../src/lsp/completion.js";
import { definition } from "../../src/lsp/definition.js";
import { lspDiagnostics } from "../../src/lsp/diagnostics.js";
import { hover } from "../../src/lsp/hover.js";
import { diagnosticToJson, renderDiagnostic } from "../../src/render.js";
import { shapesToJson, table, torchStyle } from "../../src/shape-table.js";
import { bytesOf, type FuzzInput } from "./net-texts.js";

export async function throughFrontEnd(input: FuzzInput, { format = false } = {}): Promise<void> {
  const checked = checkBytes("fuzz.net", bytesOf(input), { bn: "scratch" });
  const length = checked.source.text.length;
  for (const d of checked.diagnostics) {
    if (!(d.span.start >= 0 && d.span.end >= d.span.start && d.span.end <= length + 1)) throw new Error(`${d.code} has the span ${d.span.start}..${d.span.end} in a text of ${length}`);
    renderDiagnostic(d, checked.source, { enabled: true });
    diagnosticToJson(d, checked.source);
  }
  if (!hasErrors(checked.diagnostics)) {
    table(checked.network.name, checked.shapes, checked.source, 2);
    torchStyle(checked.shapes, 2);
    JSON.stringify(shapesToJson(checked.network.name, checked.shapes, checked.source, 2));
  }

  const analysis = analyze("file:///fuzz/model.net", 1, input.text, { bn: "scratch" });
  lspDiagnostics(analysis);
  const text = input.text;
  for (const offset of new Set([0, text.length >> 2, text.length >> 1, (3 * text.length) >> 2, text.length])) {
    hover(analysis, offset);
    complete(analysis, offset, { snippets: true });
    definition(analysis, offset);
  }
  if (format) await formatDocument(analysis, { tabSize: 2, insertSpaces: true });
}
