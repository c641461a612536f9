/**
 * SVG figures as files: the SVG and a PNG rendered with resvg, using the DejaVu fonts shipped in
 * the `dejavu-fonts-ttf` npm package, so the PNG looks the same on every machine.
 */
import { createRequire } from "node:module";
import { join } from "node:path";
import { writeFileAtomic } from "./fsutil.js";
import { plotSvg, type MetricPoint, type PlotOptions } from "./plot.js";

const FONT_FILES = ["DejaVuSans.ttf", "DejaVuSans-Bold.ttf", "DejaVuSansMono.ttf", "DejaVuSansMono-Bold.ttf"];

/** An SVG drawn in DejaVu Sans (or Sans Mono) as PNG, at twice its size. */
export async function svgToPng(svg: string): Promise<Uint8Array> {
  // Loaded on demand: a native module that only figures need.
  const { Resvg } = await import("@resvg/resvg-js");
  const require = createRequire(import.meta.url);
  return new Resvg(svg, {
    fitTo: { mode: "zoom", value: 2 },
    font: {
      fontFiles: FONT_FILES.map((f) => require.resolve(`dejavu-fonts-ttf/ttf/${f}`)),
      loadSystemFonts: false,
      defaultFontFamily: "DejaVu Sans",
    },
  })
    .render()
    .asPng();
}

/** Writes `plot.svg` and `plot.png` into `dir`; returns their paths. */
export async function writePlot(dir: string, points: MetricPoint[], opts: PlotOptions): Promise<{ svg: string; png: string }> {
  const svg = plotSvg(points, opts);
  const png = await svgToPng(svg);
  const paths = { svg: join(dir, "plot.svg"), png: join(dir, "plot.png") };
  await writeFileAtomic(paths.svg, svg);
  await writeFileAtomic(paths.png, png);
  return paths;
}
