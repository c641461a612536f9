/**
 * Writes that never leave a half-written file or directory under the final name: a crash or
 * Ctrl-C mid-write leaves the previous version (or nothing), plus at worst a temp sibling.
 */
import { randomBytes } from "node:crypto";
import { chmod, mkdir, open, realpath, rename, rm, stat } from "node:fs/promises";
import { basename, dirname, join } from "node:path";
import { killPoint } from "./kill-points.js";

/** A fresh name next to `path` (same directory, hence same filesystem, so rename is atomic). */
function tempSibling(path: string, tag: "tmp" | "old"): string {
  return join(dirname(path), `.${basename(path)}.${tag}-${process.pid}-${randomBytes(4).toString("hex")}`);
}

/**
 * Whether `entry` (a name in a directory) is a temp sibling of `name` that a write killed midway
 * left behind: `.NAME.tmp-…` (the new version, possibly incomplete) or `.NAME.old-…` (the previous
 * one, complete, moved aside).
 */
export function leftBehind(entry: string, name: string): "tmp" | "old" | undefined {
  const match = /^\.(.+)\.(tmp|old)-\d+-[0-9a-f]{8}$/.exec(entry);
  return match && match[1] === name ? (match[2] as "tmp" | "old") : undefined;
}

/**
 * Writes `data` to `path` via a temp sibling, fsynced, then renamed over `path`. An existing
 * file keeps its permissions, and a symlink is followed (its target is replaced, not the link).
 */
export async function writeFileAtomic(path: string, data: string | Uint8Array): Promise<void> {
  const target = await realpath(path).catch(() => path);
  const mode = await stat(target).then((s) => s.mode & 0o7777, () => undefined);
  const tmp = tempSibling(target, "tmp");
  try {
    const fh = await open(tmp, "wx", mode);
    try {
      await fh.writeFile(data);
      await fh.sync(); // the rename must not become durable before the contents
    } finally {
      await fh.close();
    }
    killPoint("file-written");
    if (mode !== undefined) await chmod(tmp, mode); // open's mode is masked by the umask
    await rename(tmp, target);
  } catch (err) {
    await rm(tmp, { force: true });
    throw err;
  }
}

/**
 * Builds a directory (e.g. a checkpoint) with `fill(tmpDir)` in a temp sibling, then swaps it in
 * for `dir`. Replacing an existing `dir` takes two renames (old aside, new in): a crash between
 * them leaves no `dir` but both versions intact as siblings, never a mix of the two.
 */
export async function writeDirAtomic(dir: string, fill: (tmpDir: string) => Promise<void>): Promise<void> {
  const tmp = tempSibling(dir, "tmp");
  const old = tempSibling(dir, "old");
  let movedAside = false;
  try {
    await mkdir(tmp);
    await fill(tmp);
    killPoint("dir-filled");
    movedAside = await rename(dir, old).then(
      () => true,
      (err: NodeJS.ErrnoException) => {
        if (err.code === "ENOENT") return false;
        throw err;
      },
    );
    killPoint("dir-aside");
    await rename(tmp, dir);
  } catch (err) {
    if (movedAside) await rename(old, dir);
    await rm(tmp, { recursive: true, force: true });
    throw err;
  }
  if (movedAside) await rm(old, { recursive: true, force: true });
}
