import ignore, { type Ignore } from "ignore";
import { existsSync, readdirSync, readFileSync, statSync } from "node:fs";
import { dirname, join, relative, resolve, sep } from "node:path";
import { UserError } from "./errors.js";

/**
 * The model files that `netc check` and `netc fmt` work on: files named on the command line as
 * they are, directories searched for `*.net` as Git would list them. Ignored, as Git ignores
 * them, are paths that a `.gitignore` of the directory, of one below it or of one above it in
 * the same repository matches; `node_modules` and `.git` are never searched.
 */

const NEVER_SEARCHED = new Set(["node_modules", ".git"]);

interface IgnoreFile {
  /** The directory of the `.gitignore`: its patterns are relative to it. */
  dir: string;
  rules: Ignore;
}

function readIgnoreFile(dir: string): IgnoreFile | undefined {
  const path = join(dir, ".gitignore");
  if (!existsSync(path)) return undefined;
  return { dir, rules: ignore().add(readFileSync(path, "utf8")) };
}

/** The `.gitignore` files above `dir`, outermost first, up to the root of its Git repository (none outside one). */
function enclosingIgnoreFiles(dir: string): IgnoreFile[] {
  const above: string[] = [];
  for (let d = dir; !existsSync(join(d, ".git")); ) {
    const parent = dirname(d);
    if (parent === d) return [];
    above.unshift(parent);
    d = parent;
  }
  return above.map(readIgnoreFile).filter((f) => f !== undefined);
}

function isDirectory(path: string): boolean {
  try {
    return statSync(path).isDirectory();
  } catch {
    return false;
  }
}

/** As Git decides: the deepest `.gitignore` with a rule for the path wins, and `!pattern` re-includes. */
function isIgnored(path: string, isDirectory: boolean, ignoreFiles: readonly IgnoreFile[]): boolean {
  let ignored = false;
  for (const { dir, rules } of ignoreFiles) {
    const result = rules.test(relative(dir, path).split(sep).join("/") + (isDirectory ? "/" : ""));
    if (result.ignored) ignored = true;
    else if (result.unignored) ignored = false;
  }
  return ignored;
}

/** `*.net` files below `dir` (shown joined to `shownAs`), depth first in name order. */
function search(dir: string, shownAs: string, ignoreFiles: readonly IgnoreFile[], found: string[]): void {
  const own = readIgnoreFile(dir);
  const rules = own ? [...ignoreFiles, own] : ignoreFiles;
  const entries = readdirSync(dir, { withFileTypes: true }).sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  for (const entry of entries) {
    if (NEVER_SEARCHED.has(entry.name)) continue;
    const path = join(dir, entry.name);
    // Symbolic links to directories are not followed (they can loop); to files they are.
    const isFile = entry.isFile() || (entry.isSymbolicLink() && statSync(path, { throwIfNoEntry: false })?.isFile() === true);
    if (entry.isDirectory()) {
      if (!isIgnored(path, true, rules)) search(path, join(shownAs, entry.name), rules, found);
    } else if (isFile && entry.name.endsWith(".net") && !isIgnored(path, false, rules)) {
      found.push(join(shownAs, entry.name));
    }
  }
}

/**
 * The files to work on for the command-line arguments `paths` (none: the current directory).
 * A path that does not exist, or a directory without model files, is a usage error (exit 2).
 */
export function findModelFiles(paths: readonly string[]): string[] {
  const files: string[] = [];
  for (const path of paths.length === 0 ? ["."] : paths) {
    if (!isDirectory(path)) {
      // Files, and paths that cannot be read: reading them reports what is wrong.
      files.push(path);
      continue;
    }
    const found: string[] = [];
    const dir = resolve(path);
    search(dir, path, enclosingIgnoreFiles(dir), found);
    if (found.length === 0) {
      const where = paths.length === 0 ? "the current directory" : path;
      throw new UserError(`no .net files in ${where}`, ["files that a .gitignore ignores, and node_modules, are skipped", "name the files to check, or a directory that holds them"], 2);
    }
    files.push(...found);
  }
  // A file named twice (`models models/lenet.net`) is worked on once.
  const seen = new Set<string>();
  return files.filter((f) => {
    const key = resolve(f);
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}
