/**
 * The four files of Fashion-MNIST (and of MNIST, laid out alike), without I/O: their names, and a
 * pair of them parsed as a split of 28×28 grey images in 10 classes. Node reads them from disk
 * (datasets/mnist.ts), the browser page fetches them (src/web/).
 */
import type { Split } from "./data.js";
import { parseIdxSplit, type IdxBytes } from "./idx.js";

export const IDX_FILES = ["train-images-idx3-ubyte", "train-labels-idx1-ubyte", "t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte"] as const;
export type IdxFile = (typeof IDX_FILES)[number];

/** An images file and a labels file of the set as a split; damage is a UserError with `hint`. */
export function parseSplit(images: IdxBytes, labels: IdxBytes, hint: string): Split {
  return parseIdxSplit(images, labels, hint, { height: 28, width: 28, classes: 10 });
}
