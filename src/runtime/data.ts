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
import { writeFileAtomic } from "./fsutil.js";

export const IDX_FILES = [
  "train-images-idx3-ubyte",
  "train-labels-idx1-ubyte",
  "t10k-images-idx3-ubyte",
  "t10k-labels-idx1-ubyte",
] as const;
export type IdxFile = (typeof IDX_FILES)[number];

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

const SIDE = 28;
const PIXELS = SIDE * SIDE;
const CLASSES = 10;

export interface Split {
  /** count × 784 pixels, row-major, scaled to [0, 1] (as torchvision's ToTensor). */
  images: Float32Array;
  labels: Int32Array;
  count: number;
}
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

export async function loadFashionMnist(opts: LoadOptions = {}): Promise<FashionMnist> {
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
    return loadDir(dir, found.files, cache);
  }

  const searched = [resolve(cwd, "data/fashion-mnist"), cache, ...(opts.systemDirs ?? [SYSTEM_DIR])];
  for (const dir of searched) {
    const found = await findFiles(dir);
    if ("files" in found) return loadDir(dir, found.files, cache);
  }
  if (opts.download === false) {
    throw new UserError(`Fashion-MNIST not found (looked in ${searched.join(", ")})`, howToProvide(cache));
  }
  const base = env.NETC_DATA_URL || OFFICIAL_URL;
  const progress = opts.progress === undefined ? process.stderr : opts.progress; // null: silent
  await downloadInto(cache, withSlash(base), opts.md5 ?? OFFICIAL_MD5, progress, opts.stallTimeoutMs ?? 30_000);
  const found = await findFiles(cache);
  if (!("files" in found)) throw new Error(`downloaded files vanished from ${cache}`);
  return loadDir(cache, found.files, cache);
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
  const [imgBytes, lblBytes] = await Promise.all([readIdx(imagesFile, cache), readIdx(labelsFile, cache)]);
  const images = parseImages(imgBytes, imagesFile, cache);
  const labels = parseLabels(lblBytes, labelsFile, cache);
  const count = labels.length;
  if (images.length !== count * PIXELS) {
    throw new UserError(
      `${imagesFile} holds ${images.length / PIXELS} images but ${labelsFile} holds ${count} labels`,
      [`The two files must come from the same set; ${corruptHint(cache)}`],
    );
  }
  return { images, labels, count };
}

function corruptHint(cache: string): string {
  return `replace the damaged file with an intact copy (delete it if it is in ${cache}, and netc downloads it again)`;
}

function corrupt(file: string, what: string, cache: string): UserError {
  return new UserError(`${file}: ${what}`, [corruptHint(cache)]);
}

async function readIdx(file: string, cache: string): Promise<Buffer> {
  const bytes = await readFile(file);
  // Decide by content, not name: some distributions keep gzipped data without the suffix.
  if (bytes[0] !== 0x1f || bytes[1] !== 0x8b) return bytes;
  try {
    return await promisify(gunzip)(bytes);
  } catch (err) {
    throw corrupt(file, `not a valid gzip file (${(err as Error).message})`, cache);
  }
}

/** Checks an IDX header (magic 0x0000_08_NN: unsigned bytes, NN dimensions) and returns the dims. */
function idxDims(buf: Buffer, file: string, ndims: number, what: string, cache: string): number[] {
  const header = 4 + 4 * ndims;
  if (buf.length < header) throw corrupt(file, `truncated: ${buf.length} bytes, shorter than an IDX header`, cache);
  const magic = buf.readUInt32BE(0);
  const want = 0x800 + ndims;
  if (magic !== want) {
    const hex = (n: number) => `0x${n.toString(16).padStart(8, "0")}`;
    throw corrupt(file, `bad magic number ${hex(magic)}, expected ${hex(want)} (IDX ${what})`, cache);
  }
  return Array.from({ length: ndims }, (_, i) => buf.readUInt32BE(4 + 4 * i));
}

function checkLength(buf: Buffer, file: string, header: number, count: number, itemSize: number, noun: string, cache: string) {
  const want = header + count * itemSize;
  if (buf.length < want) {
    const have = Math.floor((buf.length - header) / itemSize);
    throw corrupt(file, `truncated: holds ${have} of the ${count} ${noun} its header declares`, cache);
  }
  if (buf.length > want) {
    throw corrupt(file, `${buf.length - want} unexpected bytes after the ${count} ${noun} its header declares`, cache);
  }
}

// ToTensor's scaling, as float32, looked up rather than divided per pixel.
const SCALE = Float32Array.from({ length: 256 }, (_, i) => i / 255);

function parseImages(buf: Buffer, file: string, cache: string): Float32Array {
  const [count, rows, cols] = idxDims(buf, file, 3, "images: unsigned bytes, 3 dimensions", cache) as [number, number, number];
  if (rows !== SIDE || cols !== SIDE) throw corrupt(file, `images are ${rows}×${cols}, expected ${SIDE}×${SIDE}`, cache);
  checkLength(buf, file, 16, count, PIXELS, "images", cache);
  const out = new Float32Array(count * PIXELS);
  for (let i = 0; i < out.length; i++) out[i] = SCALE[buf[16 + i]!]!;
  return out;
}

function parseLabels(buf: Buffer, file: string, cache: string): Int32Array {
  const [count] = idxDims(buf, file, 1, "labels: unsigned bytes, 1 dimension", cache) as [number];
  checkLength(buf, file, 8, count, 1, "labels", cache);
  const out = new Int32Array(count);
  for (let i = 0; i < count; i++) {
    const label = buf[8 + i]!;
    if (label >= CLASSES) throw corrupt(file, `label ${label} at index ${i} is outside 0-${CLASSES - 1}`, cache);
    out[i] = label;
  }
  return out;
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

/**
 * A small, fast seeded PRNG (mulberry32): uniform floats in [0, 1). Its whole state is one
 * 32-bit number, which a checkpoint saves to continue a sequence where it stopped.
 */
export class Mulberry32 {
  constructor(public state: number) {
    this.state = state >>> 0;
  }

  next(): number {
    this.state = (this.state + 0x6d2b79f5) >>> 0;
    let t = this.state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  }
}

export function mulberry32(seed: number): () => number {
  const random = new Mulberry32(seed);
  return () => random.next();
}

/**
 * A permutation of 0..count-1 determined by `seed` (Fisher-Yates). For repeatable per-epoch
 * shuffles pass e.g. `seed + epoch`: mulberry32 decorrelates nearby seeds.
 */
export function shuffledIndices(count: number, seed: number): Int32Array {
  const order = Int32Array.from({ length: count }, (_, i) => i);
  const rand = mulberry32(seed);
  for (let i = count - 1; i > 0; i--) {
    const j = Math.floor(rand() * (i + 1));
    [order[i], order[j]] = [order[j]!, order[i]!];
  }
  return order;
}

export interface Batch {
  images: Float32Array;
  labels: Int32Array;
  size: number;
}

/**
 * The examples of `split` in `order`, `batchSize` at a time, from batch `first` (0-based) on; the
 * last batch may be smaller (as PyTorch's DataLoader without drop_last). Each batch is a fresh copy.
 */
export function* batches(split: Split, batchSize: number, order?: Int32Array, first = 0): Generator<Batch> {
  for (let start = first * batchSize; start < split.count; start += batchSize) {
    const size = Math.min(batchSize, split.count - start);
    const images = new Float32Array(size * PIXELS);
    const labels = new Int32Array(size);
    for (let b = 0; b < size; b++) {
      const i = order ? order[start + b]! : start + b;
      images.set(split.images.subarray(i * PIXELS, (i + 1) * PIXELS), b * PIXELS);
      labels[b] = split.labels[i]!;
    }
    yield { images, labels, size };
  }
}
