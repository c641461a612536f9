import { error, type Diagnostic } from "./diagnostics.js";
import { pixelsOf, type DataFacts } from "./datasets.js";
import { formatShape } from "./layers/types.js";
import type { Network } from "./resolve.js";
import type { ShapeReport } from "./shapes.js";
import { normalizeFits } from "./train-settings.js";

/**
 * Whether a checked model fits a dataset: its input takes the images (the same channels; another
 * height and width is resized to, as the notebooks' `Resize`), and its output is one logit per
 * class. `netc check` runs this for a dataset the `train` header names; `netc train` for the data
 * it loaded, so that a mismatch is a located error before training, not a crash in it.
 */
export function dataFitDiagnostics(network: Network, shapes: ShapeReport, data: DataFacts): Diagnostic[] {
  const out: Diagnostic[] = [];
  const { shape: image, title, classes } = data;
  const imageText = `${formatShape([image.channels, image.height, image.width])}`;
  const input = network.input;
  if (input) {
    const [first, height, width] = input.shape as [number, number?, number?];
    if (input.shape.length === 3 && first !== image.channels) {
      out.push(
        error("NET034", input.span, `the input has ${first} channel${first === 1 ? "" : "s"}, but ${title}'s images have ${image.channels} (${imageText})`, {
          label: `input ${formatShape(input.shape)}`,
          hints: [`declare \`input ${image.channels}x${height}x${width}\`${height !== image.height || width !== image.width ? ` (${title}'s images are resized to ${height}×${width})` : ""}`],
        }),
      );
    }
    if (input.shape.length === 1 && first !== pixelsOf(image)) {
      out.push(
        error("NET034", input.span, `the input has ${first} features, but ${title}'s images have ${pixelsOf(image)} (${imageText})`, {
          hints: [`declare \`input ${pixelsOf(image)}\`, or \`input ${image.channels}x${image.height}x${image.width}\` for an image input`],
        }),
      );
    }
  }
  const last = network.layers.at(-1);
  const output = shapes.output;
  if (last && output && (output.length !== 1 || output[0] !== classes)) {
    const what = output.length === 1 ? `${output[0]} logit${output[0] === 1 ? "" : "s"}` : `a ${formatShape(output)} tensor`;
    out.push(
      error("NET034", last.span, `the model's output is ${what}, but ${title} has ${classes} classes`, {
        label: `output ${formatShape(output)}`,
        hints: [output.length === 1 ? `end with \`linear ${classes}\`: one logit per class` : `end with \`flatten | linear ${classes}\`: one logit per class`],
      }),
    );
  }
  return out;
}

/** Why `normalize` does not fit images with `channels` channels, or undefined. */
export function normalizeProblem(normalize: readonly number[] | undefined, channels: number, title: string): string | undefined {
  if (!normalize || normalizeFits(normalize, channels)) return undefined;
  return `\`normalize\` gives ${normalize.length / 2} means and standard deviations, but ${title}'s images have ${channels} channel${channels === 1 ? "" : "s"}`;
}
