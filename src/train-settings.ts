import type { ArgSpec } from "./layers/types.js";

/** Training settings a model file may set in its `train` header; the CLI's flags override them. */
export interface TrainSettings {
  lr: number;
  epochs: number;
  batch: number;
}

/** The seed notebook's settings. */
export const DEFAULT_TRAIN: TrainSettings = { lr: 1.0, epochs: 10, batch: 128 };

export const TRAIN_ARGS: readonly ArgSpec[] = [
  { name: "lr", type: "float", min: 0, exclusiveMin: true, default: "1.0", doc: "SGD learning rate" },
  { name: "epochs", type: "int", min: 1, default: "10", doc: "passes over the training set" },
  { name: "batch", type: "int", min: 1, default: "128", doc: "examples per minibatch" },
];
