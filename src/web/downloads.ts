/** What the page offers as files: the model's text, a checkpoint, the plot. */
import { plotSvg, type MetricPoint, type PlotOptions } from "../runtime/plot.js";
import type { CheckpointFiles } from "../train/checkpoint-files.js";
import { CHECKPOINT_DIR } from "../train/checkpoint-files.js";

export function download(name: string, data: Blob): void {
  const url = URL.createObjectURL(data);
  const a = document.createElement("a");
  a.href = url;
  a.download = name;
  a.click();
  setTimeout(() => URL.revokeObjectURL(url), 10_000);
}

/**
 * A checkpoint as a zip of a run directory, `NAME/checkpoint/{model.json, weights.bin,
 * model.net}`: unzipped, `netc eval NAME` evaluates it.
 */
export async function checkpointZip(runName: string, files: CheckpointFiles): Promise<Blob> {
  const { strToU8, zipSync } = await import("fflate");
  const entries = Object.fromEntries(Object.entries(files).map(([name, data]) => [`${runName}/${CHECKPOINT_DIR}/${name}`, typeof data === "string" ? strToU8(data) : data]));
  return new Blob([zipSync(entries, { level: 6 })], { type: "application/zip" });
}

/** The same figure as `netc train`'s plot.svg. */
export function plotSvgBlob(points: MetricPoint[], options: PlotOptions): Blob {
  return new Blob([plotSvg(points, options)], { type: "image/svg+xml" });
}

/** The figure as PNG at twice its size, as `netc train`'s plot.png. */
export async function plotPngBlob(points: MetricPoint[], options: PlotOptions): Promise<Blob> {
  const svg = plotSvg(points, options);
  const image = new Image();
  image.src = URL.createObjectURL(new Blob([svg], { type: "image/svg+xml" }));
  try {
    await image.decode();
    const canvas = document.createElement("canvas");
    canvas.width = image.naturalWidth * 2;
    canvas.height = image.naturalHeight * 2;
    canvas.getContext("2d")!.drawImage(image, 0, 0, canvas.width, canvas.height);
    return await new Promise<Blob>((resolve, reject) => canvas.toBlob((b) => (b ? resolve(b) : reject(new Error("the canvas gave no PNG"))), "image/png"));
  } finally {
    URL.revokeObjectURL(image.src);
  }
}
