/**
 * Fashion-MNIST, read from the four IDX files (gzipped or not) that every distribution of it
 * uses, found on disk or downloaded once into the user's cache.
 */
import { createHash } from "node:crypto";
import { mkdir, readFile, stat } from "node:fs/promises";
import { homedir } from "node:os";
import { isAbsolute, join, resolve } from "node:path";
import { promisify } from "node:util";
import { gunzip } from "node:zlib";
import { SingleBar } from "cli-progress";
import { UserError } from "../errors.js";
import { IDX_FILES, isGzip, parseSplit, type IdxFile, type Split } from "./fashion-mnist.js";
import { writeFileAtomic } from "./fsutil.js";

export { batches, IDX_FILES, mulberry32, shuffledIndices, type Batch, type IdxFile, type Split } from "./fashion-mnist.js";

export const OFFICIAL_URL = "http://fashion-mnist.s3-website.eu-central-1.amazonaws.com/";
/**
 * MD5 of the official `.gz` files, from the fashion-mnist README. Repackaged copies (Debian's
 * are re-gzipped) differ as .gz but decompress to the same bytes, so files found on disk are
 * validated structurally rather than by checksum.
 */
export const OFFICIAL_MD5: Record<IdxFile, string> = {
  "train-images-idx3-ubyte": "8d4fb7e6c68d591d4c3dfef9ec88bf0d",
  "train-labels-idx1-ubyte": "25c81989df183df01b3e8a0aad5dffbe",
  "t10k-images-idx3-ubyte": "bef4ecab320f06d8554ea6380940ec79",
  "t10k-labels-idx1-ubyte": "bb300cfdad3c16e7a12a480ee83cd310",
};
export const SYSTEM_DIR = "/usr/share/datasets/fashion-mnist"; // Debian: dataset-fashion-mnist

export interface FashionMnist {
  train: Split;
  test: Split;
  /** The directory the files were read from. */
  source: string;
}

export interface LoadOptions {
  /** `--data DIR`: must hold the files; nothing else is searched. */
  dir?: string;
  /** Read for NETC_DATA, NETC_DATA_URL, XDG_CACHE_HOME, HOME (default: process.env). */
  env?: Record<string, string | undefined>;
  cwd?: string;
  /** Searched after ./data/fashion-mnist and the cache (default: [SYSTEM_DIR]). */
  systemDirs?: string[];
  /** Download into the cache when no directory has the files (default: true). */
  download?: boolean;
  /** Expected MD5 of each downloaded `.gz` (default: OFFICIAL_MD5). */
  md5?: Record<IdxFile, string>;
  /** Where download progress goes; null for silence (default: process.stderr). */
  progress?: NodeJS.WritableStream | null;
  /** A download is abandoned after this long without receiving data (default: 30 s). */
  stallTimeoutMs?: number;
}

export function cacheDir(env: Record<string, string | undefined> = process.env): string {
  // The XDG spec says to ignore a relative XDG_CACHE_HOME.
  const xdg = env.XDG_CACHE_HOME;
  const base = xdg && isAbsolute(xdg) ? xdg : join(env.HOME || homedir(), ".cache");
  return join(base, "netc", "fashion-mnist");
}

/** Where the four files are: the directory and each file's path (`.gz` or not). */
export interface FoundFiles {
  dir: string;
  files: Record<IdxFile, string>;
}

/**
 * Finds the files: the directory the user named (`--data`, `NETC_DATA`), else the first of
 * ./data/fashion-mnist, the cache and the system directories that has them, else downloads them
 * into the cache.
 */
export async function locateFashionMnist(opts: LoadOptions = {}): Promise<FoundFiles> {
  const env = opts.env ?? process.env;
  const cwd = opts.cwd ?? process.cwd();
  const cache = cacheDir(env);

  // A directory the user named is used or rejected, never silently passed over.
  const named = opts.dir !== undefined ? ["--data", opts.dir] : env.NETC_DATA ? ["NETC_DATA", env.NETC_DATA] : null;
  if (named) {
    const [how, dir] = [named[0]!, resolve(cwd, named[1]!)];
    const found = await findFiles(dir);
    if ("missing" in found) {
      throw new UserError(`${how} ${dir}: missing ${found.missing.map((f) => `${f}[.gz]`).join(", ")}`, howToProvide(cache));
    }
    return { dir, files: found.files };
  }

  const searched = [resolve(cwd, "data/fashion-mnist"), cache, ...(opts.systemDirs ?? [SYSTEM_DIR])];
  for (const dir of searched) {
    const found = await findFiles(dir);
    if ("files" in found) return { dir, files: found.files };
  }
  if (opts.download === false) {
    throw new UserError(`Fashion-MNIST not found (looked in ${searched.join(", ")})`, howToProvide(cache));
  }
  const base = env.NETC_DATA_URL || OFFICIAL_URL;
  const progress = opts.progress === undefined ? process.stderr : opts.progress; // null: silent
  await downloadInto(cache, withSlash(base), opts.md5 ?? OFFICIAL_MD5, progress, opts.stallTimeoutMs ?? 30_000);
  const found = await findFiles(cache);
  if (!("files" in found)) throw new Error(`downloaded files vanished from ${cache}`);
  return { dir: cache, files: found.files };
}

export async function loadFashionMnist(opts: LoadOptions = {}): Promise<FashionMnist> {
  const { dir, files } = await locateFashionMnist(opts);
  return loadDir(dir, files, cacheDir(opts.env ?? process.env));
}

function withSlash(url: string): string {
  return url.endsWith("/") ? url : `${url}/`;
}

function howToProvide(cache: string): string[] {
  const names = IDX_FILES.map((f) => `${f}.gz`).join(", ");
  return [
    `netc needs the four Fashion-MNIST files (${names}; gzipped or not). Any one of these works:`,
    `  netc train --data DIR        (DIR holds the four files)`,
    `  export NETC_DATA=DIR`,
    `  put them in ./data/fashion-mnist or ${cache}`,
    `  sudo apt-get install dataset-fashion-mnist   (Debian/Ubuntu: installs them in ${SYSTEM_DIR})`,
    `  download them from ${OFFICIAL_URL} into ${cache}; netc does this itself when online`,
    `  export NETC_DATA_URL=URL     (a mirror serving the four .gz files)`,
  ];
}

type Found = { files: Record<IdxFile, string> } | { missing: IdxFile[] };

async function findFiles(dir: string): Promise<Found> {
  const files: Partial<Record<IdxFile, string>> = {};
  const missing: IdxFile[] = [];
  for (const name of IDX_FILES) {
    const path = await firstFile([join(dir, name), join(dir, `${name}.gz`)]);
    if (path) files[name] = path;
    else missing.push(name);
  }
  return missing.length ? { missing } : { files: files as Record<IdxFile, string> };
}

async function firstFile(paths: string[]): Promise<string | undefined> {
  for (const p of paths) {
    if (await stat(p).then((s) => s.isFile(), () => false)) return p;
  }
  return undefined;
}

async function loadDir(dir: string, files: Record<IdxFile, string>, cache: string): Promise<FashionMnist> {
  const [train, test] = await Promise.all([
    loadSplit(files["train-images-idx3-ubyte"], files["train-labels-idx1-ubyte"], cache),
    loadSplit(files["t10k-images-idx3-ubyte"], files["t10k-labels-idx1-ubyte"], cache),
  ]);
  return { train, test, source: dir };
}

async function loadSplit(imagesFile: string, labelsFile: string, cache: string): Promise<Split> {
  const [images, labels] = await Promise.all([readIdx(imagesFile, cache), readIdx(labelsFile, cache)]);
  return parseSplit({ file: imagesFile, bytes: images }, { file: labelsFile, bytes: labels }, corruptHint(cache));
}

function corruptHint(cache: string): string {
  return `replace the damaged file with an intact copy (delete it if it is in ${cache}, and netc downloads it again)`;
}

async function readIdx(file: string, cache: string): Promise<Buffer> {
  const bytes = await readFile(file);
  if (!isGzip(bytes)) return bytes;
  try {
    return await promisify(gunzip)(bytes);
  } catch (err) {
    throw new UserError(`${file}: not a valid gzip file (${(err as Error).message})`, [corruptHint(cache)]);
  }
}

async function downloadInto(
  cache: string,
  base: string,
  md5: Record<IdxFile, string>,
  progress: NodeJS.WritableStream | null,
  stallTimeoutMs: number,
): Promise<void> {
  await mkdir(cache, { recursive: true });
  for (const name of IDX_FILES) {
    // Files already in the cache were verified when written (atomically), so a re-run after a
    // failed download only fetches what is missing.
    if (await firstFile([join(cache, name), join(cache, `${name}.gz`)])) continue;
    const url = `${base}${name}.gz`;
    progress?.write(`Downloading ${url}\n`);
    let bytes: Buffer;
    try {
      bytes = await fetchWithProgress(url, progress, stallTimeoutMs);
    } catch (err) {
      throw new UserError(`Fashion-MNIST not found locally, and downloading ${url} failed: ${describeFetchError(err)}`, howToProvide(cache));
    }
    const got = createHash("md5").update(bytes).digest("hex");
    if (got !== md5[name]) {
      throw new UserError(`${url}: checksum mismatch (md5 ${got}, expected ${md5[name]}); nothing was saved`, [
        "The download was damaged or the server sent a different file; try again, or provide the files yourself:",
        ...howToProvide(cache).slice(1),
      ]);
    }
    await writeFileAtomic(join(cache, `${name}.gz`), bytes);
  }
}

async function fetchWithProgress(url: string, progress: NodeJS.WritableStream | null, stallTimeoutMs: number): Promise<Buffer> {
  const abort = new AbortController();
  let timer = setTimeout(() => abort.abort(), stallTimeoutMs);
  const bar =
    progress && (progress as NodeJS.WriteStream).isTTY
      ? new SingleBar({
          stream: progress,
          format: "  [{bar}] {percentage}% | {done}/{size} MB | ETA {eta_formatted}",
          barCompleteChar: "█",
          barIncompleteChar: "░",
          hideCursor: true,
          clearOnComplete: false,
        })
      : null;
  try {
    const res = await fetch(url, { signal: abort.signal });
    if (!res.ok || !res.body) throw new Error(`HTTP ${res.status} ${res.statusText}`);
    const total = Number(res.headers.get("content-length")) || 0;
    const mb = (n: number) => (n / 1e6).toFixed(1);
    bar?.start(total || 1, 0, { done: mb(0), size: total ? mb(total) : "?" });
    const chunks: Buffer[] = [];
    let received = 0;
    for await (const chunk of res.body) {
      clearTimeout(timer);
      timer = setTimeout(() => abort.abort(), stallTimeoutMs);
      chunks.push(Buffer.from(chunk));
      received += chunk.length;
      bar?.update(Math.min(received, total || 1), { done: mb(received) });
    }
    if (total && received !== total) throw new Error(`connection closed after ${received} of ${total} bytes`);
    return Buffer.concat(chunks);
  } catch (err) {
    if (abort.signal.aborted) throw new Error(`no data received for ${stallTimeoutMs / 1000} s`);
    throw err;
  } finally {
    clearTimeout(timer);
    bar?.stop();
  }
}

/** fetch() reports network failures as "fetch failed"; the reason is in `cause`. */
function describeFetchError(err: unknown): string {
  const e = err as Error & { cause?: { code?: string; message?: string } };
  const cause = e.cause?.code ?? e.cause?.message;
  return cause ? `${e.message} (${cause})` : e.message;
}
