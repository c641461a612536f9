/**
 * Fashion-MNIST as arrays, without I/O: the IDX format its four files use, splits, shuffling
 * and batches. Node reads the files from disk (data.ts), the browser fetches them (src/web/);
 * both hand the bytes, decompressed, to `parseSplit`.
 */
import { UserError } from "../errors.js";

export const IDX_FILES = [
  "train-images-idx3-ubyte",
  "train-labels-idx1-ubyte",
  "t10k-images-idx3-ubyte",
  "t10k-labels-idx1-ubyte",
] as const;
export type IdxFile = (typeof IDX_FILES)[number];

const SIDE = 28;
const PIXELS = SIDE * SIDE;
const CLASSES = 10;

export interface Split {
  /** count × 784 pixels, row-major, scaled to [0, 1] (as torchvision's ToTensor). */
  images: Float32Array;
  labels: Int32Array;
  count: number;
}

/** Whether bytes are gzipped: decided by content, not name (some copies keep gzip without `.gz`). */
export function isGzip(bytes: Uint8Array): boolean {
  return bytes[0] === 0x1f && bytes[1] === 0x8b;
}

/** One IDX file's bytes (decompressed) and its name, for messages. */
export interface IdxBytes {
  file: string;
  bytes: Uint8Array;
}

/**
 * An images file and a labels file as a split. Damage is a UserError naming the file, with
 * `hint` (how to get an intact copy) as its hint.
 */
export function parseSplit(images: IdxBytes, labels: IdxBytes, hint: string): Split {
  const pixels = parseImages(images, hint);
  const classes = parseLabels(labels, hint);
  const count = classes.length;
  if (pixels.length !== count * PIXELS) {
    throw new UserError(`${images.file} holds ${pixels.length / PIXELS} images but ${labels.file} holds ${count} labels`, [`The two files must come from the same set; ${hint}`]);
  }
  return { images: pixels, labels: classes, count };
}

function corrupt(file: string, what: string, hint: string): UserError {
  return new UserError(`${file}: ${what}`, [hint]);
}

/** Checks an IDX header (magic 0x0000_08_NN: unsigned bytes, NN dimensions) and returns the dims. */
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

function checkLength({ file, bytes }: IdxBytes, header: number, count: number, itemSize: number, noun: string, hint: string) {
  const want = header + count * itemSize;
  if (bytes.length < want) {
    const have = Math.floor((bytes.length - header) / itemSize);
    throw corrupt(file, `truncated: holds ${have} of the ${count} ${noun} its header declares`, hint);
  }
  if (bytes.length > want) {
    throw corrupt(file, `${bytes.length - want} unexpected bytes after the ${count} ${noun} its header declares`, hint);
  }
}

// ToTensor's scaling, as float32, looked up rather than divided per pixel.
const SCALE = Float32Array.from({ length: 256 }, (_, i) => i / 255);

function parseImages(idx: IdxBytes, hint: string): Float32Array {
  const [count, rows, cols] = idxDims(idx, 3, "images: unsigned bytes, 3 dimensions", hint) as [number, number, number];
  if (rows !== SIDE || cols !== SIDE) throw corrupt(idx.file, `images are ${rows}×${cols}, expected ${SIDE}×${SIDE}`, hint);
  checkLength(idx, 16, count, PIXELS, "images", hint);
  const out = new Float32Array(count * PIXELS);
  for (let i = 0; i < out.length; i++) out[i] = SCALE[idx.bytes[16 + i]!]!;
  return out;
}

function parseLabels(idx: IdxBytes, hint: string): Int32Array {
  const [count] = idxDims(idx, 1, "labels: unsigned bytes, 1 dimension", hint) as [number];
  checkLength(idx, 8, count, 1, "labels", hint);
  const out = new Int32Array(count);
  for (let i = 0; i < count; i++) {
    const label = idx.bytes[8 + i]!;
    if (label >= CLASSES) throw corrupt(idx.file, `label ${label} at index ${i} is outside 0-${CLASSES - 1}`, hint);
    out[i] = label;
  }
  return out;
}

/** The first `limit` examples of a split (`--limit`). */
export function limitSplit(split: Split, limit: number | undefined): Split {
  if (limit === undefined || limit >= split.count) return split;
  const pixels = split.images.length / split.count;
  return { images: split.images.subarray(0, limit * pixels), labels: split.labels.subarray(0, limit), count: limit };
}

/** A small, fast seeded PRNG (mulberry32): uniform floats in [0, 1). */
export function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
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
 * The examples of `split` in `order`, `batchSize` at a time; the last batch may be smaller
 * (as PyTorch's DataLoader without drop_last). Each batch is a fresh copy.
 */
export function* batches(split: Split, batchSize: number, order?: Int32Array): Generator<Batch> {
  for (let start = 0; start < split.count; start += batchSize) {
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
