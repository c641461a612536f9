/**
 * Datasets in memory and their minibatches: images kept as bytes (a quarter of the floats' size:
 * CIFAR-10's training set is 150 MB), scaled, normalized and augmented batch by batch as
 * torchvision's transforms do, seeded so that a run is repeatable. No I/O: Node reads the files
 * (datasets/, one file per format; `loadDataset` in datasets/load.ts picks one), the browser
 * page fetches them (src/web/); both parse them with idx.ts.
 */
import type { DataFacts, ImageShape } from "../datasets.js";
import { pixelsOf } from "../datasets.js";

export interface Split {
  /** count × H × W × C bytes, channels last (the layout tfjs's kernels want). */
  images: Uint8Array;
  labels: Int32Array;
  count: number;
  shape: ImageShape;
}

export interface Dataset extends DataFacts {
  train: Split;
  test: Split;
  /** The directory (or archive) it was read from. */
  source: string;
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

/** Mulberry32 as a function, for the sequences nothing saves (shuffles, augmentation). */
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

/** What happens to an image between its bytes and the model. */
export interface Preprocess {
  /** Per-channel means then standard deviations, or one of each for every channel (torchvision's Normalize). */
  normalize?: readonly number[];
  /** Augmentation, for training batches: a random left-right mirror (RandomHorizontalFlip). */
  flip?: boolean;
  /** Augmentation: zero padding of this many pixels, then a random crop of the image's size (RandomCrop(size, padding)). */
  crop?: number;
  /** Draws the augmentation's random choices; required when augmenting. */
  random?: () => number;
}

/**
 * For each channel, the float of each byte: ToTensor's x/255, then (x − mean)/std, as float32
 * at each step as torchvision computes it.
 */
function byteTables(channels: number, normalize: readonly number[] | undefined): Float32Array[] {
  return Array.from({ length: channels }, (_, c) => {
    const half = normalize ? normalize.length / 2 : 0;
    const mean = normalize ? Math.fround(normalize[half === 1 ? 0 : c]!) : 0;
    const std = normalize ? Math.fround(normalize[half === 1 ? 1 : half + c]!) : 1;
    return Float32Array.from({ length: 256 }, (_, b) => Math.fround(Math.fround(b / 255) - mean) / std);
  });
}

export interface Batch {
  /** size × H × W × C floats, preprocessed. */
  images: Float32Array;
  labels: Int32Array;
  size: number;
}

/**
 * The examples of `split` in `order`, `batchSize` at a time; the last batch may be smaller (as
 * PyTorch's DataLoader without drop_last). Each batch is a fresh array.
 */
export function* batches(split: Split, batchSize: number, order?: Int32Array, preprocess: Preprocess = {}): Generator<Batch> {
  const { height: h, width: w, channels: c } = split.shape;
  const pixels = pixelsOf(split.shape);
  const tables = byteTables(c, preprocess.normalize);
  const pad = preprocess.crop ?? 0;
  const augment = Boolean(preprocess.flip) || pad > 0;
  if (augment && !preprocess.random) throw new Error("internal: augmentation needs a random source");
  for (let start = 0; start < split.count; start += batchSize) {
    const size = Math.min(batchSize, split.count - start);
    const images = new Float32Array(size * pixels);
    const labels = new Int32Array(size);
    for (let b = 0; b < size; b++) {
      const i = order ? order[start + b]! : start + b;
      labels[b] = split.labels[i]!;
      const from = i * pixels;
      const to = b * pixels;
      if (!augment) {
        for (let p = 0; p < pixels; p++) images[to + p] = tables[p % c]![split.images[from + p]!]!;
        continue;
      }
      // RandomCrop's window in the padded image (top, left in [0, 2·pad]), then the flip.
      const top = pad > 0 ? Math.floor(preprocess.random!() * (2 * pad + 1)) - pad : 0;
      const left = pad > 0 ? Math.floor(preprocess.random!() * (2 * pad + 1)) - pad : 0;
      const mirror = preprocess.flip ? preprocess.random!() < 0.5 : false;
      for (let y = 0; y < h; y++) {
        const sy = y + top;
        for (let x = 0; x < w; x++) {
          const sx = (mirror ? w - 1 - x : x) + left;
          const inside = sy >= 0 && sy < h && sx >= 0 && sx < w;
          for (let ch = 0; ch < c; ch++) {
            images[to + (y * w + x) * c + ch] = tables[ch]![inside ? split.images[from + (sy * w + sx) * c + ch]! : 0]!;
          }
        }
      }
    }
    yield { images, labels, size };
  }
}

/** The first `limit` examples of a split (`--limit`). */
export function limitSplit(split: Split, limit: number | undefined): Split {
  if (limit === undefined || limit >= split.count) return split;
  const pixels = pixelsOf(split.shape);
  return { ...split, images: split.images.subarray(0, limit * pixels), labels: split.labels.subarray(0, limit), count: limit };
}
