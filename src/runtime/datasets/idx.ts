/**
 * IDX files (the format of MNIST and Fashion-MNIST, and of many sets made like them): a big-endian
 * header — magic 0x0000_08_NN for unsigned bytes in NN dimensions, then each dimension — and the
 * bytes. Read gzipped or not, and checked structurally: a damaged file is a UserError naming it.
 */
import { readFile } from "node:fs/promises";
import { promisify } from "node:util";
import { gunzip } from "node:zlib";
import { UserError } from "../../errors.js";

/** A damaged file's advice; a file of a dataset netc downloads (into `cache`) can simply be deleted. */
export function corruptHint(cache: string | undefined): string {
  return `replace the damaged file with an intact copy${cache ? ` (delete it if it is in ${cache}, and netc downloads it again)` : ""}`;
}

export function corrupt(file: string, what: string, cache: string | undefined): UserError {
  return new UserError(`${file}: ${what}`, [corruptHint(cache)]);
}

/** A file's bytes, gunzipped when they are gzip (by content: some copies keep gzip without `.gz`). */
export async function readMaybeGzipped(file: string, cache: string | undefined): Promise<Buffer> {
  const bytes = await readFile(file);
  if (bytes[0] !== 0x1f || bytes[1] !== 0x8b) return bytes;
  try {
    return await promisify(gunzip)(bytes);
  } catch (err) {
    throw corrupt(file, `not a valid gzip file (${(err as Error).message})`, cache);
  }
}

/** Checks an IDX header for `ndims` dimensions of unsigned bytes and returns the dimensions. */
function idxDims(buf: Buffer, file: string, ndims: number, what: string, cache: string | undefined): number[] {
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

function checkLength(buf: Buffer, file: string, header: number, count: number, itemSize: number, noun: string, cache: string | undefined): void {
  const want = header + count * itemSize;
  if (buf.length < want) {
    const have = Math.floor((buf.length - header) / itemSize);
    throw corrupt(file, `truncated: holds ${have} of the ${count} ${noun} its header declares`, cache);
  }
  if (buf.length > want) {
    throw corrupt(file, `${buf.length - want} unexpected bytes after the ${count} ${noun} its header declares`, cache);
  }
}

/** Grey images, count × height × width bytes. */
export interface IdxImages {
  pixels: Uint8Array;
  count: number;
  height: number;
  width: number;
}

export function parseIdxImages(buf: Buffer, file: string, cache: string | undefined): IdxImages {
  const [count, height, width] = idxDims(buf, file, 3, "images: unsigned bytes, 3 dimensions", cache) as [number, number, number];
  if (height === 0 || width === 0) throw corrupt(file, `images are ${height}×${width}`, cache);
  checkLength(buf, file, 16, count, height * width, "images", cache);
  return { pixels: new Uint8Array(buf.buffer, buf.byteOffset + 16, count * height * width), count, height, width };
}

/** Labels, each below `classes` when given. */
export function parseIdxLabels(buf: Buffer, file: string, cache: string | undefined, classes?: number): Int32Array {
  const [count] = idxDims(buf, file, 1, "labels: unsigned bytes, 1 dimension", cache) as [number];
  checkLength(buf, file, 8, count, 1, "labels", cache);
  const out = new Int32Array(count);
  for (let i = 0; i < count; i++) {
    const label = buf[8 + i]!;
    if (classes !== undefined && label >= classes) throw corrupt(file, `label ${label} at index ${i} is outside 0-${classes - 1}`, cache);
    out[i] = label;
  }
  return out;
}
