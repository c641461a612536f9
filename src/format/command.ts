import { renderDiagnostic, type Colors } from "../render.js";
import { writeFileAtomic } from "../runtime/fsutil.js";
import { formatBytes, layoutFor } from "./format.js";

/**
 * `netc fmt FILE... [--check | --write]`, as Prettier's CLI behaves: without flags the formatted
 * text goes to stdout; `--check` lists the files that are not formatted (exit 1 if any);
 * `--write` rewrites files in place, atomically. A file with syntax errors is never touched: its
 * errors are printed as `netc check` prints them, and the exit status is 1.
 */

export interface FmtOptions {
  check?: boolean;
  write?: boolean;
}

function plural(n: number, word: string): string {
  return `${n} ${word}${n === 1 ? "" : "s"}`;
}

export async function runFmt(files: readonly string[], opts: FmtOptions, read: (path: string) => Uint8Array, colors: Colors): Promise<number> {
  let failed = 0;
  const unformatted: string[] = [];
  const rewritten: string[] = [];
  for (const file of files) {
    const bytes = read(file);
    const result = await formatBytes(file, bytes, await layoutFor(file));
    if (!result.ok) {
      failed++;
      for (const d of result.diagnostics) process.stderr.write(renderDiagnostic(d, result.source, colors) + "\n\n");
      process.stderr.write(`${file}: not formatted: ${plural(result.diagnostics.length, "syntax error")}\n`);
      continue;
    }
    const original = new TextDecoder("utf-8", { ignoreBOM: true }).decode(bytes);
    // The front end drops a byte-order mark; like Prettier, keep the file's.
    const formatted = (original.startsWith("\uFEFF") ? "\uFEFF" : "") + result.formatted;
    if (opts.check) {
      if (formatted !== original) unformatted.push(file);
    } else if (opts.write) {
      if (formatted !== original) {
        await writeFileAtomic(file, formatted);
        rewritten.push(file);
      }
    } else {
      process.stdout.write(formatted);
    }
  }
  if (opts.check) {
    for (const f of unformatted) process.stdout.write(`${f}\n`);
    if (unformatted.length > 0) process.stderr.write(`${plural(unformatted.length, "file")} not formatted; \`netc fmt --write\` formats them\n`);
    else if (failed === 0) process.stderr.write(`${plural(files.length, "file")} formatted\n`);
  }
  if (opts.write) {
    for (const f of rewritten) process.stdout.write(`${f}\n`);
    process.stderr.write(`${plural(rewritten.length, "file")} rewritten, ${files.length - rewritten.length - failed} already formatted\n`);
  }
  return failed > 0 || unformatted.length > 0 ? 1 : 0;
}
