/**
 * IDX files, the format of MNIST and Fashion-MNIST and of many sets made like them, without I/O:
 * a big-endian header (magic 0x0000_08_NN: unsigned bytes in NN dimensions, then each dimension)
 * and the bytes. Checked structurally: a damaged file is a UserError naming it, with the caller's
 * hint on how to get an intact copy.
 */
import type { ImageShape } from "../datasets.js";
import { UserError } from "../errors.js";
import type { Split } from "./data.js";

/** One IDX file's bytes (decompressed) and its name, for messages. */
export interface IdxBytes {
  file: string;
  bytes: Uint8Array;
}

/** Whether bytes are gzipped: decided by content, not name (some copies keep gzip without `.gz`). */
export function isGzip(bytes: Uint8Array): boolean {
  return bytes[0] === 0x1f && bytes[1] === 0x8b;
}

export function corrupt(file: string, what: string, hint: string): UserError {
  return new UserError(`${file}: ${what}`, [hint]);
}

/** Checks an IDX header for `ndims` dimensions of unsigned bytes and returns the dimensions. */
function idxDims({ file, bytes }: IdxBytes, ndims: number, what: string, hint: string): number[] {
  const header = 4 + 4 * ndims;
  if (bytes.length < header) throw corrupt(file, `truncated: ${bytes.length} bytes, shorter than an IDX header`, hint);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const magic = view.getUint32(0);
  const want = 0x800 + ndims;
  if (magic !== want) {
    const hex = (n: number) => `0x${n.toString(16).padStart(8, "0")}`;
    throw corrupt(file, `bad magic number ${hex(magic)}, expected ${hex(want)} (IDX ${what})`, hint);
  }
  return Array.from({ length: ndims }, (_, i) => view.getUint32(4 + 4 * i));
}

function checkLength({ file, bytes }: IdxBytes, header: number, count: number, itemSize: number, noun: string, hint: string): void {
  const want = header + count * itemSize;
  if (bytes.length < want) {
    const have = Math.floor((bytes.length - header) / itemSize);
    throw corrupt(file, `truncated: holds ${have} of the ${count} ${noun} its header declares`, hint);
  }
  if (bytes.length > want) {
    throw corrupt(file, `${bytes.length - want} unexpected bytes after the ${count} ${noun} its header declares`, hint);
  }
}

/** What a set's files must be: its images' height and width and its number of classes. */
export interface IdxExpectation {
  height: number;
  width: number;
  classes: number;
}

/**
 * An images file (grey, N×H×W) and a labels file as a split, checked against each other and
 * against `expect` when given.
 */
export function parseIdxSplit(images: IdxBytes, labels: IdxBytes, hint: string, expect?: IdxExpectation): Split {
  const [count, height, width] = idxDims(images, 3, "images: unsigned bytes, 3 dimensions", hint) as [number, number, number];
  if (height === 0 || width === 0) throw corrupt(images.file, `images are ${height}×${width}`, hint);
  if (expect && (height !== expect.height || width !== expect.width)) throw corrupt(images.file, `images are ${height}×${width}, expected ${expect.height}×${expect.width}`, hint);
  checkLength(images, 16, count, height * width, "images", hint);
  const [labelCount] = idxDims(labels, 1, "labels: unsigned bytes, 1 dimension", hint) as [number];
  checkLength(labels, 8, labelCount, 1, "labels", hint);
  const classes = new Int32Array(labelCount);
  for (let i = 0; i < labelCount; i++) {
    const label = labels.bytes[8 + i]!;
    if (expect && label >= expect.classes) throw corrupt(labels.file, `label ${label} at index ${i} is outside 0-${expect.classes - 1}`, hint);
    classes[i] = label;
  }
  if (count !== labelCount) {
    throw new UserError(`${images.file} holds ${count} images but ${labels.file} holds ${labelCount} labels`, [`The two files must come from the same set; ${hint}`]);
  }
  const shape: ImageShape = { channels: 1, height, width };
  return { images: images.bytes.subarray(16, 16 + count * height * width), labels: classes, count, shape };
}
