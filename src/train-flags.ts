import { InvalidArgumentError, Option } from "commander";
import type { ArgSpec } from "./layers/types.js";
import { rangeProblem } from "./resolve.js";
import { TRAIN_ARGS } from "./train-settings.js";

/**
 * The `train` header's settings as command-line flags of the same names (`--lr`, `--optimizer`,
 * `--nesterov` / `--no-nesterov`, `--betas 0.9,0.999`, …), checked by the same ArgSpecs as the
 * header. A flag overrides the header.
 */

function parseNumber(spec: ArgSpec, text: string): number {
  const n = Number(text);
  if (text.trim() === "" || !Number.isFinite(n)) throw new InvalidArgumentError("must be a number");
  const problem = rangeProblem(spec, n);
  if (problem) throw new InvalidArgumentError(problem);
  return n;
}

function parseList(spec: ArgSpec, text: string): number[] {
  const numbers = text.split(",").map((item) => parseNumber(spec, item));
  if (spec.count !== undefined && numbers.length !== spec.count) throw new InvalidArgumentError(`takes ${spec.count} numbers separated by commas, not ${numbers.length}`);
  return numbers;
}

function help(spec: ArgSpec): string {
  const fallback = spec.default ? `, else ${spec.default}` : "";
  return `${spec.doc.replace(/`/g, "")} (default: the model's train header${fallback})`;
}

export function trainSettingOptions(): Option[] {
  return TRAIN_ARGS.flatMap((spec) => {
    const flag = `--${spec.name}`;
    switch (spec.type) {
      case "flag":
        return [new Option(flag, help(spec)), new Option(`--no-${spec.name}`, `no ${spec.name}, whatever the model's train header says`)];
      case "choice":
        // A directory is a dataset too: its IDX files (or CIFAR-10's binary batches).
        if (spec.name === "data") return [new Option(`${flag} <name|dir>`, `dataset: ${spec.choices!.join(", ")}, or a directory of IDX files (default: the model's train header, else ${spec.default})`)];
        return [new Option(`${flag} <name>`, help(spec)).choices(spec.choices!)];
      case "floats":
        return [new Option(`${flag} <n,...>`, help(spec)).argParser((text) => parseList(spec, text))];
      default:
        return [new Option(`${flag} <n>`, help(spec)).argParser((text) => parseNumber(spec, text))];
    }
  });
}
