import { DATASETS, DEFAULT_DATASET } from "./datasets.js";
import type { ArgSpec } from "./layers/types.js";

/**
 * Training settings: what a model file may set in its `train` header and the CLI's flags of the
 * same names override. One ArgSpec per setting serves the resolver, the flags, completion, hover
 * and the README; `settingsProblems` holds the rules that involve several settings.
 */

export const OPTIMIZERS = ["sgd", "adam", "adamw"] as const;
export type OptimizerName = (typeof OPTIMIZERS)[number];
export const SCHEDULES = ["constant", "step", "cosine"] as const;
export type ScheduleName = (typeof SCHEDULES)[number];

export interface TrainSettings {
  lr: number;
  epochs: number;
  batch: number;
  optimizer: OptimizerName;
  momentum: number;
  nesterov: boolean;
  wd: number;
  betas: readonly [number, number];
  eps: number;
  schedule: ScheduleName;
  /** `schedule=step`: epochs between decays (no default, as PyTorch's StepLR). */
  step?: number;
  gamma: number;
  warmup: number;
  /** A dataset's name; on the command line also a directory of IDX files. */
  data: string;
  /** Per-channel means then standard deviations, or one of each for every channel. */
  normalize?: readonly number[];
  flip: boolean;
  crop: number;
}

export const TRAIN_ARGS: readonly ArgSpec[] = [
  { name: "lr", type: "float", min: 0, exclusiveMin: true, default: "1.0 for sgd (the seed's), 0.001 for adam and adamw (PyTorch's)", doc: "learning rate (with a schedule, its peak)" },
  { name: "epochs", type: "int", min: 1, default: "10", doc: "passes over the training set" },
  { name: "batch", type: "int", min: 1, default: "128", doc: "examples per minibatch" },
  {
    name: "optimizer",
    type: "choice",
    choices: OPTIMIZERS,
    default: "sgd",
    doc: "the update: `sgd` (torch.optim.SGD), `adam` (Adam, weight decay added to the gradient), `adamw` (AdamW, weight decay decoupled)",
  },
  { name: "momentum", type: "float", min: 0, max: 1, exclusiveMax: true, default: "0", doc: "sgd: momentum factor, with dampening 0 as torch.optim.SGD" },
  { name: "nesterov", type: "flag", doc: "sgd: Nesterov momentum (needs `momentum`)" },
  { name: "wd", type: "float", min: 0, default: "0, 0.01 for adamw (PyTorch's)", doc: "weight decay, PyTorch's `weight_decay`: added to the gradient as wd·param (sgd, adam), or param scaled by 1 − lr·wd (adamw)" },
  { name: "betas", type: "floats", count: 2, min: 0, max: 1, exclusiveMax: true, default: "0.9,0.999", doc: "adam, adamw: decay rates of the first and second moment estimates" },
  { name: "eps", type: "float", min: 0, default: "1e-8", doc: "adam, adamw: added to the denominator" },
  {
    name: "schedule",
    type: "choice",
    choices: SCHEDULES,
    default: "constant",
    doc: "learning-rate schedule, stepped once per epoch after any warmup: `constant`, `step` (StepLR: times `gamma` every `step` epochs), `cosine` (CosineAnnealingLR from lr to 0 over the epochs after warmup)",
  },
  { name: "step", type: "int", min: 1, doc: "schedule=step: epochs between two decays" },
  { name: "gamma", type: "float", min: 0, exclusiveMin: true, max: 1, default: "0.1", doc: "schedule=step: the factor each decay multiplies the learning rate by" },
  { name: "warmup", type: "int", min: 0, default: "0", doc: "epochs of linear warmup before the schedule: the learning rate rises every step, from lr/S to lr over those epochs' S steps" },
  { name: "data", type: "choice", choices: DATASETS.map((d) => d.name), default: DEFAULT_DATASET, doc: "the dataset (`netc train --data DIR` reads a directory of IDX files instead)" },
  {
    name: "normalize",
    type: "floats",
    doc: "per-channel normalization after scaling pixels to [0, 1], as torchvision's Normalize: `mean,std` for every channel, or C means then C standard deviations",
  },
  { name: "flip", type: "flag", doc: "augmentation: each training image mirrored left to right with probability 1/2" },
  { name: "crop", type: "int", min: 0, default: "0", doc: "augmentation: each training image padded by N zero pixels on every side, then a random window of its own size cut out" },
];

/** The settings given, header first, then the flags that are set. */
export function mergeGiven(header: Partial<TrainSettings>, flags: Partial<TrainSettings>): Partial<TrainSettings> {
  const set = Object.entries(flags).filter(([, v]) => v !== undefined);
  return { ...header, ...Object.fromEntries(set) };
}

/**
 * The defaults (the seed notebook's: plain SGD, lr 1.0, Fashion-MNIST; PyTorch's for the rest),
 * overridden by the model's `train` header, overridden by flags.
 */
export function resolveSettings(header: Partial<TrainSettings>, flags: Partial<TrainSettings> = {}): TrainSettings {
  const given = mergeGiven(header, flags);
  const optimizer = given.optimizer ?? "sgd";
  return {
    lr: given.lr ?? (optimizer === "sgd" ? 1.0 : 0.001),
    epochs: given.epochs ?? 10,
    batch: given.batch ?? 128,
    optimizer,
    momentum: given.momentum ?? 0,
    nesterov: given.nesterov ?? false,
    wd: given.wd ?? (optimizer === "adamw" ? 0.01 : 0),
    betas: given.betas ?? [0.9, 0.999],
    eps: given.eps ?? 1e-8,
    schedule: given.schedule ?? "constant",
    ...(given.step !== undefined ? { step: given.step } : {}),
    gamma: given.gamma ?? 0.1,
    warmup: given.warmup ?? 0,
    data: given.data ?? DEFAULT_DATASET,
    ...(given.normalize !== undefined ? { normalize: given.normalize } : {}),
    flip: given.flip ?? false,
    crop: given.crop ?? 0,
  };
}

export type SettingKey = keyof TrainSettings;

/** A rule broken by settings given together; located at `key`, with `others` pointed at. */
export interface SettingsProblem {
  key: SettingKey;
  message: string;
  others?: { key: SettingKey; message: string }[];
  hint: string;
}

const SGD_ONLY: SettingKey[] = ["momentum", "nesterov"];
const ADAM_ONLY: SettingKey[] = ["betas", "eps"];

/**
 * What is wrong with settings given together (each one alone was checked against its ArgSpec).
 * `invalid` names settings that were given with a value already reported as bad: a rule that
 * depends on one of them is not checked, so one mistake is reported once.
 */
export function settingsProblems(given: Partial<TrainSettings>, invalid: ReadonlySet<string> = new Set()): SettingsProblem[] {
  const problems: SettingsProblem[] = [];
  const check = (involved: SettingKey[], problem: () => SettingsProblem | undefined) => {
    if (involved.some((k) => invalid.has(k))) return;
    const found = problem();
    if (found) problems.push(found);
  };
  const optimizer = given.optimizer ?? "sgd";
  const chosen = given.optimizer !== undefined ? [{ key: "optimizer" as const, message: `the optimizer is \`${optimizer}\`` }] : [];
  for (const key of optimizer === "sgd" ? ADAM_ONLY : SGD_ONLY) {
    const owners = optimizer === "sgd" ? "`adam` and `adamw`" : "`sgd`";
    check(["optimizer", key], () =>
      given[key] === undefined
        ? undefined
        : {
            key,
            message: `\`${key}\` is an option of ${owners}, not of \`${optimizer}\`${given.optimizer === undefined ? " (the default optimizer)" : ""}`,
            others: chosen,
            hint: optimizer === "sgd" ? `remove it, or choose \`optimizer=adam\`` : `remove it${key === "momentum" ? `: ${optimizer}'s moments decay by \`betas\` (default 0.9,0.999)` : ""}, or choose \`optimizer=sgd\``,
          },
    );
  }
  check(["optimizer", "momentum"], () =>
    optimizer === "sgd" && given.nesterov && !(given.momentum! > 0)
      ? { key: "nesterov", message: "`nesterov` needs a momentum", hint: "add e.g. `momentum=0.9` (PyTorch's SGD refuses Nesterov momentum without one too)" }
      : undefined,
  );
  const schedule = given.schedule ?? "constant";
  check(["schedule", "step"], () =>
    schedule === "step" && given.step === undefined ? { key: "schedule", message: "`schedule=step` needs `step=N`, the epochs between two decays", hint: "e.g. `schedule=step step=10 gamma=0.1`" } : undefined,
  );
  for (const key of ["step", "gamma"] as const) {
    check(["schedule", key], () =>
      schedule !== "step" && given[key] !== undefined ? { key, message: `\`${key}\` is an option of \`schedule=step\`, but the schedule is \`${schedule}\``, hint: "add `schedule=step`, or remove it" } : undefined,
    );
  }
  const epochs = given.epochs ?? 10;
  check(["epochs", "warmup"], () =>
    given.warmup !== undefined && given.warmup >= epochs
      ? {
          key: "warmup",
          message: `\`warmup=${given.warmup}\` leaves none of the ${epochs} epochs${given.epochs === undefined ? " (the default)" : ""} to the schedule`,
          others: given.epochs !== undefined ? [{ key: "epochs", message: `${epochs} epochs in all` }] : [],
          hint: "warm up for fewer epochs than the run has",
        }
      : undefined,
  );
  const normalize = given.normalize;
  if (normalize && normalize.length % 2 !== 0) {
    problems.push({ key: "normalize", message: `\`normalize\` takes means then standard deviations, an even count of numbers, not ${normalize.length}`, hint: "e.g. `normalize=0.5,0.25` (every channel), or `normalize=0.49,0.48,0.45,0.25,0.24,0.26` (three channels)" });
  } else if (normalize?.slice(normalize.length / 2).some((std) => std <= 0)) {
    problems.push({ key: "normalize", message: "`normalize`'s standard deviations must be above 0", hint: "the second half of the numbers are the standard deviations, which images are divided by" });
  }
  return problems;
}

/** Whether `normalize` fits images with `channels` channels: one mean and std each, or one for all. */
export function normalizeFits(normalize: readonly number[], channels: number): boolean {
  return normalize.length === 2 || normalize.length === 2 * channels;
}

const number = (n: number) => String(n);

/** `sgd lr 0.05 momentum 0.9 nesterov wd 0.0005`: the optimizer, with what differs from its defaults. */
function optimizerSummary(s: TrainSettings): string {
  const parts = [s.optimizer, `lr ${number(s.lr)}`];
  if (s.optimizer === "sgd") {
    if (s.momentum > 0) parts.push(`momentum ${number(s.momentum)}`);
    if (s.nesterov) parts.push("nesterov");
  } else {
    if (s.betas[0] !== 0.9 || s.betas[1] !== 0.999) parts.push(`betas ${s.betas.join(",")}`);
    if (s.eps !== 1e-8) parts.push(`eps ${number(s.eps)}`);
  }
  if (s.wd > 0) parts.push(`wd ${number(s.wd)}`);
  return parts.join(" ");
}

/** `cosine after 1 warmup epoch`, `step ×0.1 every 10 epochs`, or empty for a constant rate. */
function scheduleSummary(s: TrainSettings): string {
  const main = s.schedule === "cosine" ? "cosine" : s.schedule === "step" ? `step ×${number(s.gamma)} every ${s.step} epoch${s.step === 1 ? "" : "s"}` : "";
  const warmup = s.warmup > 0 ? `${s.warmup} warmup epoch${s.warmup === 1 ? "" : "s"}` : "";
  return main && warmup ? `${main} after ${warmup}` : main || warmup;
}

/** How the parameters are updated: `sgd lr 0.1 momentum 0.9, cosine after 1 warmup epoch`. */
export function updateSummary(s: TrainSettings): string {
  return [optimizerSummary(s), scheduleSummary(s)].filter(Boolean).join(", ");
}

/** `normalize 0.5,0.25, flip, crop 4`, or empty. */
export function preprocessSummary(s: TrainSettings): string {
  const parts = [s.normalize ? `normalize ${s.normalize.join(",")}` : "", s.flip ? "flip" : "", s.crop > 0 ? `crop ${s.crop}` : ""];
  return parts.filter(Boolean).join(", ");
}
