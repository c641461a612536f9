/** Reading IDX and other dataset files from disk: gunzipped when gzipped, damage reported with advice. */
import { readFile } from "node:fs/promises";
import { promisify } from "node:util";
import { gunzip } from "node:zlib";
import { corrupt, isGzip } from "../idx.js";

/** A damaged file's advice; a file of a dataset netc downloads (into `cache`) can simply be deleted. */
export function corruptHint(cache: string | undefined): string {
  return `replace the damaged file with an intact copy${cache ? ` (delete it if it is in ${cache}, and netc downloads it again)` : ""}`;
}

/** A file's bytes, gunzipped when they are gzip. */
export async function readMaybeGzipped(file: string, hint: string): Promise<Uint8Array> {
  const bytes = await readFile(file);
  if (!isGzip(bytes)) return bytes;
  try {
    return await promisify(gunzip)(bytes);
  } catch (err) {
    throw corrupt(file, `not a valid gzip file (${(err as Error).message})`, hint);
  }
}
