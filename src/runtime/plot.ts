/**
 * The seed notebook's Animator as a figure: training curves drawn as SVG by hand (no chart
 * library: the figure is small and fixed), in the DejaVu Sans font that svg-files.ts renders it
 * with (matplotlib's default). Pure, so the browser page draws the same figure.
 */
import { pyFixed } from "../numbers.js";

/** One call of the seed's `animator.add(x, (train_l, train_acc, test_acc))`; absent = None. */
export interface MetricPoint {
  /** Fractional epoch: epoch + (batch + 1) / num_batches, or epoch + 1 for test accuracy. */
  x: number;
  trainLoss?: number;
  trainAcc?: number;
  testAcc?: number;
  /** The learning rate at a training point (not plotted: the settings are in the subtitle). */
  lr?: number;
}

export interface PlotOptions {
  /** Shown as the title, e.g. the model's name. */
  title: string;
  /** The x axis spans [1, epochs], as the seed's xlim. */
  epochs: number;
  /** A smaller second line under the title, e.g. the hyperparameters. */
  subtitle?: string;
}

type Key = "trainLoss" | "trainAcc" | "testAcc";
// The seed's fmts ('-', 'm--', 'g-.') in matplotlib's colours: C0 blue, 'm', 'g'.
const SERIES: { key: Key; label: string; color: string; dash: string; markers: boolean }[] = [
  { key: "trainLoss", label: "train loss", color: "#1f77b4", dash: "", markers: false },
  { key: "trainAcc", label: "train acc", color: "#bf00bf", dash: "7 4", markers: false },
  { key: "testAcc", label: "test acc", color: "#008000", dash: "9 3 2 3", markers: true },
];

const W = 720;
const H = 480;
const FONT = "DejaVu Sans, Verdana, sans-serif";
// DejaVu Sans advance widths, in em, for estimating text extents (digits are all 0.636).
const CHAR_EM = 0.6;

export function plotSvg(points: MetricPoint[], opts: PlotOptions): string {
  const top = opts.subtitle ? 78 : 58;
  const box = { left: 64, right: W - 24, top, bottom: H - 58 };
  const xmin = opts.epochs > 1 ? 1 : 0;
  const xmax = Math.max(opts.epochs, xmin + 1);
  const series = SERIES.map((s) => ({
    ...s,
    pts: points.flatMap((p) => (p[s.key] === undefined || !Number.isFinite(p[s.key]) ? [] : [[p.x, p[s.key]!] as const])),
  }));
  // Scale y to what is visible in [xmin, xmax], as the reader only sees that.
  const visibleYs = series.flatMap((s) => s.pts.filter(([x]) => x >= xmin && x <= xmax).map(([, y]) => y));
  const [ylo, yhi] = yRange(visibleYs);
  const px = (x: number) => box.left + ((x - xmin) / (xmax - xmin)) * (box.right - box.left);
  const py = (y: number) => box.bottom - ((y - ylo) / (yhi - ylo)) * (box.bottom - box.top);

  const out: string[] = [];
  out.push(
    `<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" viewBox="0 0 ${W} ${H}" font-family="${FONT}">`,
    `<rect width="${W}" height="${H}" fill="#ffffff"/>`,
    `<clipPath id="plot-area"><rect x="${box.left}" y="${box.top}" width="${box.right - box.left}" height="${box.bottom - box.top}"/></clipPath>`,
    text(W / 2, 32, opts.title, { size: 18, weight: "bold", anchor: "middle" }),
  );
  if (opts.subtitle) out.push(text(W / 2, 54, opts.subtitle, { size: 12.5, anchor: "middle", fill: "#555555" }));

  // Grid and ticks.
  // Every epoch labelled while that stays readable; fractions only for very short runs.
  const span = xmax - xmin;
  const xStep = span < 4 ? niceStep(span / 5, false) : span <= 12 ? 1 : niceStep(span / 8, true);
  for (let x = Math.ceil(xmin / xStep) * xStep; x <= xmax + 1e-9; x += xStep) {
    out.push(line(px(x), box.top, px(x), box.bottom, "#e5e5e5"));
    out.push(line(px(x), box.bottom, px(x), box.bottom + 5, "#333333"));
    out.push(text(px(x), box.bottom + 20, fmt(x, xStep), { size: 12.5, anchor: "middle" }));
  }
  const yStep = niceStep((yhi - ylo) / 8, false);
  for (let y = Math.ceil(ylo / yStep - 1e-9) * yStep; y <= yhi + 1e-9; y += yStep) {
    out.push(line(box.left, py(y), box.right, py(y), "#e5e5e5"));
    out.push(line(box.left - 5, py(y), box.left, py(y), "#333333"));
    out.push(text(box.left - 9, py(y) + 4.5, fmt(y, yStep), { size: 12.5, anchor: "end" }));
  }
  out.push(
    `<rect x="${box.left}" y="${box.top}" width="${box.right - box.left}" height="${box.bottom - box.top}" fill="none" stroke="#333333" stroke-width="1"/>`,
    text((box.left + box.right) / 2, H - 18, "epoch", { size: 14, anchor: "middle" }),
  );

  // Curves, clipped to the axes as matplotlib does with xlim; markers whole, if inside.
  out.push(`<g clip-path="url(#plot-area)" fill="none" stroke-width="2.2" stroke-linejoin="round" stroke-linecap="round">`);
  for (const s of series) {
    const dash = s.dash ? ` stroke-dasharray="${s.dash}"` : "";
    const coords = s.pts.map(([x, y]) => `${r(px(x))},${r(py(y))}`).join(" ");
    if (s.pts.length > 1) out.push(`<polyline data-series="${s.label}" points="${coords}" stroke="${s.color}"${dash}/>`);
  }
  out.push(`</g>`);
  for (const s of series.filter((s) => s.markers || s.pts.length === 1)) {
    for (const [x, y] of s.pts.filter(([x]) => x >= xmin && x <= xmax)) out.push(marker(px(x), py(y), s.color));
  }
  out.push(legend(series, box, px, py));
  out.push(`</svg>`);
  return out.join("\n") + "\n";
}

type Series = (typeof SERIES)[number] & { pts: (readonly [number, number])[] };
type Box = { left: number; right: number; top: number; bottom: number };

/** A legend with each series' latest value, in the corner where it hides the fewest points. */
function legend(series: Series[], box: Box, px: (x: number) => number, py: (y: number) => number): string {
  const shown = series.filter((s) => s.pts.length);
  if (!shown.length) return "";
  const size = 13;
  const rows = shown.map((s) => ({ s, value: pyFixed(s.pts[s.pts.length - 1]![1], 3) }));
  const labelW = Math.max(...rows.map((row) => row.s.label.length)) * size * CHAR_EM;
  const valueW = 5 * size * 0.636;
  const w = 12 + 34 + 8 + labelW + 14 + valueW + 12;
  const rowH = 21;
  const h = 10 + rows.length * rowH + 4;
  const m = 10;
  const corners = [
    { x: box.right - m - w, y: box.bottom - m - h },
    { x: box.right - m - w, y: box.top + m },
    { x: box.left + m, y: box.bottom - m - h },
    { x: box.left + m, y: box.top + m },
    { x: box.right - m - w, y: (box.top + box.bottom - h) / 2 },
  ];
  // Count covered samples along each polyline, so long line segments count, not just vertices.
  const samples = shown.flatMap((s) =>
    s.pts.flatMap(([x, y], i) => {
      if (i === 0) return [[px(x), py(y)]];
      const [x0, y0] = s.pts[i - 1]!;
      return [0.25, 0.5, 0.75, 1].map((t) => [px(x0 + t * (x - x0)), py(y0 + t * (y - y0))]);
    }),
  );
  const covered = (c: { x: number; y: number }) =>
    samples.filter(([sx, sy]) => sx! >= c.x - 4 && sx! <= c.x + w + 4 && sy! >= c.y - 4 && sy! <= c.y + h + 4).length;
  const at = corners.reduce((best, c) => (covered(c) < covered(best) ? c : best));

  const out = [`<g class="legend">`, `<rect x="${r(at.x)}" y="${r(at.y)}" width="${r(w)}" height="${r(h)}" rx="4" fill="#ffffff" fill-opacity="0.92" stroke="#cccccc"/>`];
  rows.forEach(({ s, value }, i) => {
    const cy = at.y + 10 + i * rowH + rowH / 2 - 2;
    const dash = s.dash ? ` stroke-dasharray="${s.dash}"` : "";
    out.push(`<line x1="${r(at.x + 12)}" y1="${r(cy)}" x2="${r(at.x + 46)}" y2="${r(cy)}" stroke="${s.color}" stroke-width="2.2"${dash}/>`);
    if (s.markers) out.push(marker(at.x + 29, cy, s.color));
    out.push(text(at.x + 54, cy + 4.5, s.label, { size }));
    out.push(text(at.x + w - 12, cy + 4.5, value, { size, anchor: "end", fill: "#555555" }));
  });
  out.push(`</g>`);
  return out.join("\n");
}

/** [lo, hi] covering `ys` with a 5% margin (matplotlib's default), never empty. */
function yRange(ys: number[]): [number, number] {
  if (!ys.length) return [0, 1];
  let lo = Math.min(...ys);
  let hi = Math.max(...ys);
  if (hi - lo < 1e-6) [lo, hi] = [lo - 0.05, hi + 0.05];
  const pad = (hi - lo) * 0.05;
  return [lo - pad, hi + pad];
}

/** The 1-2-2.5-5 step at or above `raw`, whole if `integer`. */
function niceStep(raw: number, integer: boolean): number {
  const mag = 10 ** Math.floor(Math.log10(raw));
  const step = [1, 2, 2.5, 5, 10].map((m) => m * mag).find((s) => s >= raw * 0.999)!;
  return integer ? Math.max(1, Math.round(step)) : step;
}

/** A tick label with as many decimals as the step needs. */
function fmt(v: number, step: number): string {
  const exp = Math.floor(Math.log10(step) + 1e-9);
  const quarter = Math.abs(step / 10 ** exp - 2.5) < 1e-6; // 0.25, 2.5, … need one digit more
  const decimals = Math.max(0, -exp + (quarter ? 1 : 0));
  return (Math.abs(v) < step / 1e6 ? 0 : v).toFixed(decimals);
}

function r(v: number): string {
  return String(Math.round(v * 10) / 10);
}

function marker(x: number, y: number, color: string): string {
  return `<circle cx="${r(x)}" cy="${r(y)}" r="3.2" fill="${color}" stroke="#ffffff" stroke-width="1"/>`;
}

function line(x1: number, y1: number, x2: number, y2: number, stroke: string): string {
  return `<line x1="${r(x1)}" y1="${r(y1)}" x2="${r(x2)}" y2="${r(y2)}" stroke="${stroke}" stroke-width="1"/>`;
}

function text(x: number, y: number, s: string, o: { size: number; anchor?: string; weight?: string; fill?: string }): string {
  const attrs = [`x="${r(x)}"`, `y="${r(y)}"`, `font-size="${o.size}"`, `fill="${o.fill ?? "#222222"}"`];
  if (o.anchor) attrs.push(`text-anchor="${o.anchor}"`);
  if (o.weight) attrs.push(`font-weight="${o.weight}"`);
  return `<text ${attrs.join(" ")}>${escapeXml(s)}</text>`;
}

function escapeXml(s: string): string {
  return s.replace(/[<>&"]/g, (c) => ({ "<": "&lt;", ">": "&gt;", "&": "&amp;", '"': "&quot;" })[c]!);
}
