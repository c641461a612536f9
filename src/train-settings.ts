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

/** DEFAULT_TRAIN, overridden by the model's `train` header, overridden by flags. */
export function resolveSettings(header: Partial<TrainSettings>, flags: Partial<TrainSettings>): TrainSettings {
  const pick = <K extends keyof TrainSettings>(k: K): TrainSettings[K] => flags[k] ?? header[k] ?? DEFAULT_TRAIN[k];
  return { lr: pick("lr"), epochs: pick("epochs"), batch: pick("batch") };
}
