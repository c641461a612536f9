/**
 * The datasets netc knows by name, as the front end sees them: the image shape and class count
 * that `netc check` compares a model with, and the words completion and hover show. Finding,
 * downloading and reading them is the runtime's (src/runtime/datasets/).
 */

/** One example's image, channels first as in a model's `input`. */
export interface ImageShape {
  channels: number;
  height: number;
  width: number;
}

/** What a model must fit: its input takes the images, its output has one logit per class. */
export interface DataFacts {
  /** How messages name it: `CIFAR-10`, or `the IDX files in DIR`. */
  title: string;
  shape: ImageShape;
  classes: number;
}

export interface NamedDataset extends DataFacts {
  name: string;
  /** One line, for hover and the README. */
  summary: string;
}

export const DATASETS = [
  {
    name: "fashion-mnist",
    title: "Fashion-MNIST",
    shape: { channels: 1, height: 28, width: 28 },
    classes: 10,
    summary: "Zalando's grey 28×28 images of clothing: 60,000 training and 10,000 test examples, 10 classes (the default)",
  },
  {
    name: "mnist",
    title: "MNIST",
    shape: { channels: 1, height: 28, width: 28 },
    classes: 10,
    summary: "handwritten digits, grey 28×28: 60,000 training and 10,000 test examples, 10 classes",
  },
  {
    name: "cifar10",
    title: "CIFAR-10",
    shape: { channels: 3, height: 32, width: 32 },
    classes: 10,
    summary: "colour 32×32 photos (the binary version): 50,000 training and 10,000 test examples, 10 classes",
  },
] as const satisfies readonly NamedDataset[];

export type DatasetName = (typeof DATASETS)[number]["name"];

export const DEFAULT_DATASET: DatasetName = "fashion-mnist";

export function lookupDataset(name: string): NamedDataset | undefined {
  return DATASETS.find((d) => d.name === name);
}

export function isDatasetName(name: string): name is DatasetName {
  return lookupDataset(name) !== undefined;
}

export function pixelsOf(shape: ImageShape): number {
  return shape.channels * shape.height * shape.width;
}
