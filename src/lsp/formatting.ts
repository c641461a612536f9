import type { FormattingOptions, TextEdit } from "vscode-languageserver";
import { formatSource, layoutFor } from "../format/format.js";
import { toRange, uriToPath, type Analysis } from "./analysis.js";

/**
 * Document formatting through the formatter `netc fmt` runs. A Prettier configuration file that
 * applies to the document wins (so the editor and `netc fmt` agree); otherwise the editor's
 * indentation settings apply. A file with syntax errors is left alone (its errors are already
 * shown as diagnostics).
 */
export async function formatDocument(analysis: Analysis, options: FormattingOptions): Promise<TextEdit[]> {
  const source = analysis.checked.source;
  const path = uriToPath(analysis.uri);
  const config = path.startsWith("/") || /^[A-Za-z]:[\\/]/.test(path) ? await layoutFor(path).catch(() => ({})) : {};
  const result = await formatSource(source, { tabWidth: options.tabSize, useTabs: !options.insertSpaces, ...config });
  if (!result.ok || result.formatted === source.text) return [];
  return [{ range: toRange(source, { start: 0, end: source.text.length }), newText: result.formatted }];
}
