/**
 * Model texts for fuzzing the front end: the real models and the diagnostics and formatting
 * corpora, mutated (tokens inserted and deleted, lines duplicated, numbers made huge or odd,
 * bodies nested deep, non-ASCII and NUL characters, bytes that are not UTF-8), random token
 * soup, and now and then a pathological one (`repeat 10^9`, 1 MiB of layers, 10,000 braces,
 * blocks doubling each other). A fast-check arbitrary: `npm run fuzz` samples 100,000 of them,
 * a seeded slice runs in `npm test`, and a failure shrinks to a small text.
 */
import { readFileSync, readdirSync } from "node:fs";
import { join } from "node:path";
import fc from "fast-check";
import { layerNames } from "../../src/layers/registry.js";

export interface FuzzInput {
  text: string;
  /** Byte offsets (modulo the UTF-8 length) to set to 0xFF in-process: text that is not UTF-8. */
  badBytes: number[];
}

export function corpus(root = "."): string[] {
  const dirs = ["models", "test/diagnostics", "test/format"];
  return dirs.flatMap((d) =>
    readdirSync(join(root, d))
      .filter((f) => f.endsWith(".net"))
      .sort()
      .map((f) => readFileSync(join(root, d, f), "latin1") /* binary.net stays bytes-as-text */),
  );
}

const WORDS = [...layerNames(), "model", "input", "train", "block", "repeat", "k3", "k5", "s2", "p1", "k3x5", "nobias", "scratch", "builtin", "eps=1e-5", "momentum=0.9", "kernel=3", "stride=2", "lr=0.1", "epochs=2", "batch=64", "c", "n", "x", "c=", "=", "|", "{", "}", "(", ")", ",", "#", "# comment", "1x28x28", "784", "3x224x224"];
const NUMBERS = ["0", "1", "2", "-1", "007", "1.5", ".5", "5.", "1e3", "1e-400", "1e308", "1e400", "9007199254740991", "9007199254740993", "123456789012345678901234567890", "1000000000", "199999999", "0x10", "NaN", "Infinity", "1x0x0", "99999x99999x99999", "1x1", "2x2x2x2"];
const ODD = ["é", "ü", "中文", "😀", "\u200b", "\ufeff", "\u0000", "\r\n", "\r", "\t", "\u2028", "\ud800", "\udc00", "＃", "｜", "\\", "\"", "'", "`", "$", "\u0007", "\u00a0"];
const PIECES = [...WORDS, ...NUMBERS, ...ODD, " ", "\n", "\n\n"];

/** A position in `text`, from an arbitrary natural number. */
const at = (text: string, n: number) => n % (text.length + 1);

type Mutation = (text: string) => string;

const insertPiece: fc.Arbitrary<Mutation> = fc.tuple(fc.nat(), fc.constantFrom(...PIECES), fc.boolean()).map(([n, piece, spaced]) => (text) => {
  const i = at(text, n);
  return text.slice(0, i) + (spaced ? ` ${piece} ` : piece) + text.slice(i);
});

const deleteRange: fc.Arbitrary<Mutation> = fc.tuple(fc.nat(), fc.integer({ min: 1, max: 40 })).map(([n, length]) => (text) => {
  const i = at(text, n);
  return text.slice(0, i) + text.slice(i + length);
});

const duplicateLine: fc.Arbitrary<Mutation> = fc.tuple(fc.nat(), fc.integer({ min: 1, max: 60 })).map(([n, times]) => (text) => {
  const lines = text.split("\n");
  const i = n % lines.length;
  lines.splice(i, 0, ...Array<string>(times).fill(lines[i]!));
  return lines.join("\n");
});

const swapLines: fc.Arbitrary<Mutation> = fc.tuple(fc.nat(), fc.nat()).map(([a, b]) => (text) => {
  const lines = text.split("\n");
  const [i, j] = [a % lines.length, b % lines.length];
  [lines[i], lines[j]] = [lines[j]!, lines[i]!];
  return lines.join("\n");
});

/** A number of the text (the n-th) becomes a huge or odd one. */
const oddNumber: fc.Arbitrary<Mutation> = fc.tuple(fc.nat(), fc.constantFrom(...NUMBERS)).map(([n, number]) => (text) => {
  const numbers = [...text.matchAll(/\d+(?:x\d+)*(?:\.\d*)?(?:e[+-]?\d+)?/g)];
  const m = numbers[n % Math.max(1, numbers.length)];
  return m ? text.slice(0, m.index) + number + text.slice(m.index + m[0].length) : text + number;
});

/** A line wrapped in `depth` bodies: `repeat`s, merges' branches, or bare braces. */
const nest: fc.Arbitrary<Mutation> = fc.tuple(fc.nat(), fc.integer({ min: 1, max: 80 }), fc.constantFrom("repeat 2 {", "add {", "concat { identity } {", "{")).map(([n, depth, open]) => (text) => {
  const lines = text.split("\n");
  const i = n % lines.length;
  lines[i] = `${`${open} `.repeat(depth)}${lines[i]}${" }".repeat(open.startsWith("add") ? 0 : depth)}${open.startsWith("add") ? " } { identity }".repeat(depth) : ""}`;
  return lines.join("\n");
});

const mutation = fc.oneof(
  { arbitrary: insertPiece, weight: 5 },
  { arbitrary: deleteRange, weight: 3 },
  { arbitrary: duplicateLine, weight: 2 },
  { arbitrary: swapLines, weight: 1 },
  { arbitrary: oddNumber, weight: 3 },
  { arbitrary: nest, weight: 1 },
);

/** Token soup in lines: what a half-typed or garbled file looks like. */
const soup = fc.array(fc.array(fc.constantFrom(...PIECES), { maxLength: 12 }), { maxLength: 30 }).map((lines) => lines.map((l) => l.join(" ")).join("\n"));

/** The inputs that once froze or crashed netc, and their relatives: rare, each a stress on a limit. */
const PATHOLOGICAL: readonly ((n: number) => string)[] = [
  (n) => `input 1x28x28\nrepeat ${10 ** (3 + (n % 7))} { conv 6 k3 p1 | relu }\n`,
  (n) => `input 1x224x224\nblock vgg_block(num_convs, c) {\n  repeat num_convs { conv c k3 p1 | relu }\n  maxpool 2\n}\nvgg_block ${199999999 + n} 64\n`,
  (n) => `input 4\n${"relu | ".repeat(130_000 + n)}relu\n`,
  (n) => `input 4\n${"{".repeat(10_000 + n)}\n`,
  (n) => `input 4\n${"repeat 1 { ".repeat(60 + (n % 10))}relu${" }".repeat(60 + (n % 10))}\n`,
  (n) => `input 4\nblock b0 { relu }\n${Array.from({ length: 40 + (n % 40) }, (_, i) => `block b${i + 1} { b${i} | b${i} }`).join("\n")}\nb${40 + (n % 40)}\n`,
  (n) => `input 4\nblock d0 { relu }\n${Array.from({ length: 100 + n }, (_, i) => `block d${i + 1} { d${i} }`).join("\n")}\nd${100 + n}\n`,
  (n) => `input 4\nrepeat 1 {${"\n".repeat(200_000 + n)}relu }\n`,
  (n) => `input 1x28x28\n${"conv 6 k3 p1 | relu\n".repeat(5_000 + n)}`,
  (n) => `input 1x28x28\nconv 100000000 k1 | flatten | linear ${100000000 + n}\n`,
  (n) => `input 1x28x28\n${"conv 99999999999 k1 | ".repeat(1 + (n % 3))}relu\n`,
  (n) => `# ${"é".repeat(600_000 + n)}\ninput 4\nrelu\n`,
  (n) => `input 784\n${"linear 10 | conv 1 k1\n".repeat(20_000 + n)}`,
];
const pathological = fc.tuple(fc.nat({ max: PATHOLOGICAL.length - 1 }), fc.nat({ max: 9 })).map(([i, n]) => PATHOLOGICAL[i]!(n));

export function netTexts(files: readonly string[], { pathologicalWeight = 1 } = {}): fc.Arbitrary<FuzzInput> {
  const mutated = fc.tuple(fc.constantFrom(...files), fc.array(mutation, { minLength: 1, maxLength: 8 })).map(([text, edits]) => edits.reduce((t, edit) => edit(t), text));
  const spliced = fc.tuple(fc.constantFrom(...files), fc.constantFrom(...files), fc.nat(), fc.nat()).map(([a, b, i, j]) => a.slice(0, at(a, i)) + b.slice(at(b, j)));
  const text = fc.oneof({ arbitrary: mutated, weight: 300 }, { arbitrary: spliced, weight: 40 }, { arbitrary: soup, weight: 60 }, { arbitrary: pathological, weight: pathologicalWeight });
  const badBytes = fc.oneof({ arbitrary: fc.constant<number[]>([]), weight: 19 }, { arbitrary: fc.array(fc.nat(), { minLength: 1, maxLength: 3 }), weight: 1 });
  return fc.record({ text, badBytes });
}

/** The bytes a fuzz input stands for: its text in UTF-8, with the bad bytes set. */
export function bytesOf(input: FuzzInput): Uint8Array {
  const bytes = new TextEncoder().encode(input.text);
  for (const b of input.badBytes) if (bytes.length > 0) bytes[b % bytes.length] = 0xff;
  return bytes;
}
