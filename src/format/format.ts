import type { Options } from "prettier";
import { decodeSource } from "../compile.js";
import type { Diagnostic } from "../diagnostics.js";
import type { SourceFile } from "../source.js";
import { parse } from "../syntax/parse.js";
import plugin, { inOrder } from "./plugin.js";
import { UserError } from "../errors.js";

/**
 * Formatting as `netc fmt` and the language server run it: Prettier with netc's plugin. Prettier
 * is loaded on first use only (it is large; `netc check` never pays for it).
 */

export type FormatResult = { ok: true; source: SourceFile; formatted: string } | { ok: false; source: SourceFile; diagnostics: Diagnostic[] };

/** Layout options netc lets Prettier take from a configuration file or an editor. */
export type LayoutOptions = Pick<Options, "printWidth" | "tabWidth" | "useTabs" | "endOfLine">;

let prettier: Promise<typeof import("prettier")> | undefined;

export function loadPrettier(): Promise<typeof import("prettier")> {
  prettier ??= import("prettier");
  return prettier;
}

/** The Prettier configuration (`.prettierrc`, `.editorconfig`) that applies to a file, if any. */
export async function layoutFor(path: string): Promise<LayoutOptions> {
  const p = await loadPrettier();
  const config = await p.resolveConfig(path, { editorconfig: true }).then(
    (c) => c ?? {},
    (e: Error) => {
      throw new UserError(`cannot read the Prettier configuration that applies to ${path}: ${e.message.split("\n")[0]}`, ["fix or remove the .prettierrc (or .editorconfig) it names"]);
    },
  );
  const layout: LayoutOptions = {};
  for (const key of ["printWidth", "tabWidth", "useTabs", "endOfLine"] as const) {
    if (config[key] !== undefined) Object.assign(layout, { [key]: config[key] });
  }
  return layout;
}

/** Formats a file's text. A file with syntax errors is not formatted: its errors come back. */
export async function formatSource(source: SourceFile, layout: LayoutOptions = {}): Promise<FormatResult> {
  const parsed = parse(source);
  if (parsed.diagnostics.length > 0) return { ok: false, source, diagnostics: inOrder(parsed.diagnostics) };
  const p = await loadPrettier();
  const formatted = await p.format(source.text, { ...layout, parser: "netc", plugins: [plugin], filepath: source.path });
  return { ok: true, source, formatted };
}

/** Formats a file's bytes, as read from disk: binary or oversized files are errors too. */
export async function formatBytes(path: string, bytes: Uint8Array, layout: LayoutOptions = {}): Promise<FormatResult> {
  const decoded = decodeSource(path, bytes);
  if (decoded.diagnostics.length > 0) return { ok: false, source: decoded.source, diagnostics: decoded.diagnostics };
  return formatSource(decoded.source, layout);
}
