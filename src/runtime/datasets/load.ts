/**
 * Where a dataset comes from. A dataset's name (`fashion-mnist`, `mnist`, `cifar10`) is looked
 * for in ./data/<name>, then netc's cache, then the system's directories, and downloaded into the
 * cache (checked against the official MD5) when none has it. A directory (`--data DIR`) is read as
 * what it holds: CIFAR-10's binary batches, or IDX files.
 */
import { stat } from "node:fs/promises";
import { join, resolve } from "node:path";
import { isDatasetName, type DataFacts, type DatasetName, type NamedDataset } from "../../datasets.js";
import { UserError } from "../../errors.js";
import { netcCache } from "../cache.js";
import type { Dataset, Split } from "../data.js";
import { CIFAR10 } from "./cifar10.js";
import { downloadVerified } from "./download.js";
import { FASHION_MNIST, MNIST, readIdxDirectory } from "./mnist.js";

/** A dataset's files in a directory, by name. */
export interface FoundFiles {
  dir: string;
  files: Record<string, string>;
}

/** A dataset read from a directory. */
export interface DirectoryRead {
  train: Split;
  test: Split;
  facts: DataFacts;
  /** Where exactly it was read from, when not the directory itself (a subfolder, an archive). */
  from?: string;
}

/** A dataset netc knows by name: where to find it, where to download it from, how to read it. */
export interface NamedSource {
  info: NamedDataset;
  /** Directories searched after ./data/<name> and the cache. */
  systemDirs: readonly string[];
  /** Base URLs of the downloads, tried in order. */
  urls: readonly string[];
  /** The files downloaded into the cache, with their official MD5s. */
  downloads: Readonly<Record<string, string>>;
  /** What a directory must hold, for hints. */
  needs: string;
  /** The Debian package that installs it into one of `systemDirs`. */
  apt?: string;
  /** Its files in `dir`, or what the directory lacks. */
  find(dir: string): Promise<FoundFiles | { missing: string[] }>;
  /** Reads the files found. */
  read(found: FoundFiles, cache: string): Promise<DirectoryRead>;
}

const SOURCES: Record<DatasetName, NamedSource> = { "fashion-mnist": FASHION_MNIST, mnist: MNIST, cifar10: CIFAR10 };

export interface LoadOptions {
  /** Read for NETC_DATA, NETC_DATA_URL, XDG_CACHE_HOME, HOME (default: process.env). */
  env?: Record<string, string | undefined>;
  cwd?: string;
  /** Searched after ./data/<name> and the cache (default: the dataset's own, e.g. Debian's for Fashion-MNIST). */
  systemDirs?: string[];
  /** Download into the cache when no directory has the files (default: true). */
  download?: boolean;
  /** Expected MD5 of each downloaded file (default: the official ones). */
  md5?: Record<string, string>;
  /** Where download progress goes; null for silence (default: process.stderr). */
  progress?: NodeJS.WritableStream | null;
  /** A download is abandoned after this long without receiving data (default: 30 s). */
  stallTimeoutMs?: number;
}

export function cacheDir(name: DatasetName, env: Record<string, string | undefined> = process.env): string {
  return join(netcCache(env), name);
}

/**
 * The dataset `data` names, or the one in the directory it is a path of (relative to the working
 * directory). A dataset's name wins: write `./mnist` for a directory called `mnist`.
 */
export async function loadDataset(data: string, opts: LoadOptions = {}): Promise<Dataset> {
  const cwd = opts.cwd ?? process.cwd();
  if (!isDatasetName(data)) return readDirectory(resolve(cwd, data), cacheDir("cifar10", opts.env));
  const source = SOURCES[data];
  const found = await locateDataset(data, opts);
  return dataset(await source.read(found, cacheDir(data, opts.env ?? process.env)), found.dir);
}

function dataset(read: DirectoryRead, dir: string): Dataset {
  return { ...read.facts, train: read.train, test: read.test, source: read.from ?? dir };
}

/** What `--data DIR` holds: CIFAR-10's batches or archive, else IDX files. */
async function readDirectory(dir: string, cifarCache: string): Promise<Dataset> {
  const cifar = await CIFAR10.find(dir);
  return dataset("missing" in cifar ? await readIdxDirectory(dir, "--data") : await CIFAR10.read(cifar, cifarCache), dir);
}

/**
 * Where a dataset's files are: NETC_DATA (Fashion-MNIST's only, as before there were other
 * datasets), else the first of ./data/<name>, the cache and the system's directories that holds
 * them, else the cache after downloading them. A directory the user named is used or rejected,
 * never silently passed over.
 */
export async function locateDataset(name: DatasetName, opts: LoadOptions = {}): Promise<FoundFiles> {
  const env = opts.env ?? process.env;
  const cwd = opts.cwd ?? process.cwd();
  const source = SOURCES[name];
  const cache = cacheDir(name, env);
  if (name === "fashion-mnist" && env.NETC_DATA) return findIn(source, resolve(cwd, env.NETC_DATA), "NETC_DATA", cache);

  const searched = [resolve(cwd, "data", name), cache, ...(opts.systemDirs ?? source.systemDirs)];
  for (const dir of searched) {
    const found = await source.find(dir);
    if (!("missing" in found)) return found;
  }
  if (opts.download === false) throw new UserError(`${source.info.title} not found (looked in ${searched.join(", ")})`, howToProvide(source, cache));

  const bases = env.NETC_DATA_URL ? [env.NETC_DATA_URL] : source.urls;
  const md5 = opts.md5 ?? source.downloads;
  const download = { progress: opts.progress === undefined ? process.stderr : opts.progress, stallTimeoutMs: opts.stallTimeoutMs ?? 30_000 };
  for (const file of Object.keys(source.downloads)) {
    // Files already in the cache were verified when written (atomically), so a re-run after a
    // failed download only fetches what is missing.
    if ((await isFile(join(cache, file))) || (await isFile(join(cache, file.replace(/\.gz$/, ""))))) continue;
    await downloadVerified(bases, file, md5[file]!, cache, download, { title: source.info.title, howToProvide: howToProvide(source, cache) });
  }
  const found = await source.find(cache);
  if ("missing" in found) throw new Error(`internal: the downloaded files of ${name} are not in ${cache}`);
  return found;
}

/** Fashion-MNIST's four files, for the browser page (`netc serve`): in `dir` when given, else where netc looks. */
export async function locateFashionMnist(opts: LoadOptions & { dir?: string } = {}): Promise<FoundFiles> {
  if (opts.dir === undefined) return locateDataset("fashion-mnist", opts);
  return findIn(FASHION_MNIST, resolve(opts.cwd ?? process.cwd(), opts.dir), "--data", cacheDir("fashion-mnist", opts.env ?? process.env));
}

async function findIn(source: NamedSource, dir: string, how: string, cache: string): Promise<FoundFiles> {
  const found = await source.find(dir);
  if ("missing" in found) throw new UserError(`${how} ${dir}: missing ${found.missing.join(", ")}`, howToProvide(source, cache));
  return found;
}

async function isFile(path: string): Promise<boolean> {
  return stat(path).then((s) => s.isFile(), () => false);
}

function howToProvide(source: NamedSource, cache: string): string[] {
  const { name, title } = source.info;
  const systemDir = source.systemDirs[0];
  return [
    `netc needs ${title}'s files: ${source.needs}. Any one of these works:`,
    `  netc train --data DIR        (DIR holds the files)`,
    ...(name === "fashion-mnist" ? [`  export NETC_DATA=DIR`] : []),
    `  put them in ./data/${name} or ${cache}`,
    ...(source.apt && systemDir ? [`  sudo apt-get install ${source.apt}   (Debian/Ubuntu: installs them in ${systemDir})`] : []),
    `  download them from ${source.urls[0]} into ${cache}; netc does this itself when online`,
    `  export NETC_DATA_URL=URL     (a mirror serving the same files)`,
  ];
}
