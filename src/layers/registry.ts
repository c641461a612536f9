import { identity, relu, sigmoid, tanh } from "./activation.js";
import { bn } from "./bn.js";
import { conv } from "./conv.js";
import { dropout } from "./dropout.js";
import { flatten } from "./flatten.js";
import { gap } from "./gap.js";
import { groupnorm } from "./groupnorm.js";
import { instancenorm } from "./instancenorm.js";
import { iternorm } from "./iternorm.js";
import { layernorm } from "./layernorm.js";
import { linear } from "./linear.js";
import { add, concat } from "./merge.js";
import { avgpool, maxpool } from "./pool.js";
import type { Spec } from "./types.js";

/** Every layer kind, in the order the language reference lists them. */
export const LAYERS: readonly Spec[] = [conv, linear, bn, layernorm, groupnorm, instancenorm, iternorm, sigmoid, relu, tanh, avgpool, maxpool, gap, flatten, dropout, identity, add, concat];

const byName = new Map<string, Spec>();
for (const spec of LAYERS) for (const name of [spec.name, ...(spec.aliases ?? [])]) byName.set(name, spec);

export function lookupLayer(name: string): Spec | undefined {
  return byName.get(name);
}

export function layerNames(): string[] {
  return [...byName.keys()];
}
