import { fileURLToPath } from "node:url";
import { checkText, type Checked } from "../compile.js";
import type { BuildOptions } from "../layers/types.js";

// In a module of their own, without Node's modules, so the browser page can use hover and diagnostics.
export { contains, toRange } from "./range.js";

/** One version of an open document, checked: what every feature of the server reads. */
export interface Analysis {
  uri: string;
  version: number;
  checked: Checked;
}

export function uriToPath(uri: string): string {
  if (!uri.startsWith("file:")) return uri;
  try {
    return fileURLToPath(uri);
  } catch {
    return uri;
  }
}

/** The whole front end on an editor buffer: parse, resolve, shapes. */
export function analyze(uri: string, version: number, text: string, options: BuildOptions): Analysis {
  return { uri, version, checked: checkText(uriToPath(uri), text, options) };
}
