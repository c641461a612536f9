import fc from "fast-check";
import { lookupLayer } from "../src/layers/registry.js";
import type { ArgSpec } from "../src/layers/types.js";

/**
 * Random `.net` programs that parse by construction. A program is an image stage, `flatten` or
 * `gap | flatten`, and a flat stage; each layer's arguments come from its registry entry, in
 * every spelling (positional, `key=value`, `k3x5`, bare choices), mostly small enough to fit
 * and sometimes at or just beyond a bound. Most programs check clean; the rest give the shape
 * rules and argument checks sizes and combinations no model file uses.
 */

/** Upper bounds for drawn values, so that most windows fit the images. */
const CAPS: Record<string, number> = { channels: 8, features: 8, kernel: 3, stride: 2, padding: 1 };

/** A number for an int or float argument (the grammar has no minus sign: never below 0). */
function numberFor(arg: ArgSpec): fc.Arbitrary<number> {
  const min = arg.min ?? 0;
  const max = arg.max ?? CAPS[arg.name] ?? 2;
  const beyond = [...new Set([Math.max(0, min - 1), min, max + 1])];
  const inside = arg.type === "float" ? fc.integer({ min: 1, max: 9 }).map((k) => min + ((max - min) * k) / 10) : fc.integer({ min, max });
  return fc.oneof({ weight: 15, arbitrary: inside }, { weight: 1, arbitrary: fc.constantFrom(...beyond) });
}

/** An argument's value as written: `5`, `3x2`, `0.25`, `builtin`. */
function valueFor(arg: ArgSpec): fc.Arbitrary<string> {
  if (arg.type === "choice") return fc.constantFrom(...arg.choices!);
  if (arg.type === "bool") return fc.constantFrom("true", "false");
  if (arg.words) return fc.oneof(numberFor(arg).map(String), fc.constantFrom(...arg.words));
  if (arg.type === "size") return fc.oneof(numberFor(arg).map(String), fc.tuple(numberFor(arg), numberFor(arg)).map(([h, w]) => `${h}x${w}`));
  return numberFor(arg).map(String);
}

/** A layer with its required arguments and a random selection of the optional ones. */
function layer(name: string): fc.Arbitrary<string> {
  const spec = lookupLayer(name)!;
  const required = spec.args.filter((a) => a.required).map(valueFor);
  const optional = spec.args
    .filter((a) => !a.required)
    .map((a) => {
      if (a.type === "flag") return fc.constantFrom("", a.name);
      const spellings = [valueFor(a).map((v) => `${a.name}=${v}`)];
      if (a.short) spellings.push(valueFor(a).map((v) => `${a.short}${v}`));
      if (a.type === "choice") spellings.push(valueFor(a));
      return fc.oneof(fc.constant(""), ...spellings);
    });
  return fc.tuple(fc.tuple(...required), fc.tuple(...optional)).map(([req, opt]) => [name, ...req, ...opt].filter(Boolean).join(" "));
}

const anyOf = (names: string[]) => fc.oneof(...names.map(layer));
const elementwise = ["bn", "sigmoid", "relu", "tanh", "dropout", "identity"];
const imageLayer = anyOf(["conv", "conv", "avgpool", "maxpool", ...elementwise]);
const flatLayer = anyOf(["linear", "linear", ...elementwise]);

/** Merges whose branches agree on shape whatever the input: same window, any channels. */
const imageMerge = fc.oneof(
  fc.tuple(fc.integer({ min: 1, max: 4 }), fc.integer({ min: 1, max: 4 })).map(([a, b]) => `concat { conv ${a} k1 } { conv ${b} k3 p1 | relu }`),
  anyOf(elementwise).map((l) => `add { ${l} } { identity }`),
);

const chain = (item: fc.Arbitrary<string>, maxLength: number) => fc.array(item, { minLength: 1, maxLength }).map((items) => items.join(" | "));

const image = fc.tuple(fc.integer({ min: 1, max: 3 }), fc.integer({ min: 4, max: 16 }), fc.integer({ min: 4, max: 16 }));

/** `input C×H×W`, image layers, `flatten`, flat layers; or `input F` and flat layers. */
export const program: fc.Arbitrary<string> = fc.oneof(
  fc
    .tuple(image, fc.array(chain(fc.oneof({ weight: 4, arbitrary: imageLayer }, { weight: 1, arbitrary: imageMerge }), 3), { maxLength: 3 }), fc.constantFrom("flatten", "gap | flatten"), chain(flatLayer, 4))
    .map(([dims, lines, toFlat, flat]) => [`input ${dims.join("x")}`, ...lines, toFlat, flat].join("\n") + "\n"),
  fc.tuple(fc.integer({ min: 1, max: 32 }), fc.array(chain(flatLayer, 4), { minLength: 1, maxLength: 3 })).map(([features, lines]) => [`input ${features}`, ...lines].join("\n") + "\n"),
);
