/**
 * Figures drawn as SVG by hand (no chart library: the figures are few and fixed), in the DejaVu
 * Sans font that svg-files.ts renders them with (matplotlib's default). A figure is a grid of
 * panels (lines, histogram bars) under a title; the seed notebook's Animator is one panel,
 * `netc compare` and `netc inspect` draw several. Pure, so the browser page draws the same figures.
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
  /** On an epoch's test-accuracy point: training examples per second of step time in that epoch. */
  examplesPerSec?: number;
  /** The last point of a run whose loss diverged, at the step it did: "NaN", "Infinity", or the exploded mean ("731.226"). */
  diverged?: string;
}

export type MetricKey = "trainLoss" | "trainAcc" | "testAcc";

/** A metric's finite values as (x, y) pairs. */
export function metricLine(points: readonly MetricPoint[], key: MetricKey): [number, number][] {
  return points.flatMap((p) => (p[key] === undefined || !Number.isFinite(p[key]) ? [] : [[p.x, p[key]!] as [number, number]]));
}

export interface PlotOptions {
  /** Shown as the title, e.g. the model's name. */
  title: string;
  /** The x axis spans [1, epochs], as the seed's xlim. */
  epochs: number;
  /** A smaller second line under the title, e.g. the hyperparameters. */
  subtitle?: string;
}

/** A line through points, in a panel or a legend. */
export interface Line {
  label: string;
  color: string;
  /** SVG stroke-dasharray; solid when absent. */
  dash?: string;
  /** A circle on every point (a lone point always gets one: a line cannot show it). */
  markers?: boolean;
  points: readonly (readonly [number, number])[];
  /** Shown right of the label in a legend inside the axes, e.g. the latest value. */
  value?: string;
}

export interface Axis {
  label?: string;
  log?: boolean;
  /** [lo, hi]; otherwise the data's range with a 5% margin. */
  domain?: readonly [number, number];
  /** Where the ticks go; otherwise 1-2-2.5-5 steps (powers of ten on a log axis). */
  ticks?: readonly number[];
  /** Epochs: every one labelled while that stays readable, fractions only for very short runs. */
  whole?: boolean;
  /** Whole-number ticks only (counts). */
  integer?: boolean;
}

export interface Panel {
  title?: string;
  x: Axis;
  y: Axis;
  lines?: Line[];
  /** A histogram's bins. */
  bars?: { from: number; to: number; count: number }[];
  barColor?: string;
  /** Labelled vertical reference lines, e.g. where the values started. */
  marks?: { x: number; label: string }[];
  /** Points without a y value (e.g. runs that diverged), drawn as ✕ on the x axis, stacked upwards where several share an x. */
  missing?: { x: number; color: string }[];
  /** A legend inside the axes, in the corner where it hides the fewest points. */
  legend?: boolean;
}

export interface Figure {
  title: string;
  subtitle?: string;
  panels: Panel[];
  /** Panels per row. */
  columns: number;
  /** Size of each panel's cell, axes, ticks and labels included. */
  cellWidth: number;
  cellHeight: number;
  /** A legend under the panels, for lines they share. */
  legend?: Line[];
}

/** matplotlib's default colour cycle (tab10). */
export const PALETTE = ["#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b", "#e377c2", "#7f7f7f", "#bcbd22", "#17becf"];
/** Dash patterns told apart at a glance: solid, dashed, dash-dot, dotted. */
export const DASHES = ["", "7 4", "9 3 2 3", "2 3"];

// The seed's fmts ('-', 'm--', 'g-.') in matplotlib's colours: C0 blue, 'm', 'g'.
const SERIES: { key: MetricKey; label: string; color: string; dash: string; markers: boolean }[] = [
  { key: "trainLoss", label: "train loss", color: "#1f77b4", dash: DASHES[0]!, markers: false },
  { key: "trainAcc", label: "train acc", color: "#bf00bf", dash: DASHES[1]!, markers: false },
  { key: "testAcc", label: "test acc", color: "#008000", dash: DASHES[2]!, markers: true },
];

const W = 720;
const H = 480;
const FONT = "DejaVu Sans, Verdana, sans-serif";
// DejaVu Sans advance widths, in em, for estimating text extents (digits are all 0.636).
const CHAR_EM = 0.6;
const LEGEND_SIZE = 13;
const ROW_H = 21;

/** Height of the title (and subtitle) above the panels. */
function headerHeight(subtitle: string | undefined): number {
  return subtitle ? 64 : 44;
}

/** The seed's Animator: train loss, train acc and test acc of one run against the epoch. */
export function plotSvg(points: MetricPoint[], opts: PlotOptions): string {
  const xmin = opts.epochs > 1 ? 1 : 0;
  const xmax = Math.max(opts.epochs, xmin + 1);
  const lines = SERIES.map((s): Line => {
    const pts = metricLine(points, s.key);
    return { label: s.label, color: s.color, dash: s.dash, markers: s.markers, points: pts, ...(pts.length ? { value: pyFixed(pts[pts.length - 1]![1], 3) } : {}) };
  });
  return figureSvg({
    title: opts.title,
    ...(opts.subtitle ? { subtitle: opts.subtitle } : {}),
    columns: 1,
    cellWidth: W,
    cellHeight: H - headerHeight(opts.subtitle),
    panels: [{ x: { label: "epoch", domain: [xmin, xmax], whole: true }, y: {}, lines, legend: true }],
  });
}

export function figureSvg(fig: Figure): string {
  const header = headerHeight(fig.subtitle);
  const rows = Math.ceil(fig.panels.length / fig.columns);
  const width = fig.columns * fig.cellWidth;
  const shared = fig.legend?.length ? sharedLegend(fig.legend, width, header + rows * fig.cellHeight) : undefined;
  const height = header + rows * fig.cellHeight + (shared?.height ?? 0);
  const out: string[] = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="${FONT}">`,
    `<rect width="${width}" height="${height}" fill="#ffffff"/>`,
    text(width / 2, 32, fig.title, { size: 18, weight: "bold", anchor: "middle" }),
  ];
  if (fig.subtitle) out.push(text(width / 2, 54, fig.subtitle, { size: 12.5, anchor: "middle", fill: "#555555" }));
  fig.panels.forEach((panel, i) => {
    const cell = { x: (i % fig.columns) * fig.cellWidth, y: header + Math.floor(i / fig.columns) * fig.cellHeight, w: fig.cellWidth, h: fig.cellHeight };
    out.push(...drawPanel(panel, cell, fig.panels.length === 1 ? "plot-area" : `plot-area-${i + 1}`));
  });
  if (shared) out.push(shared.svg);
  out.push(`</svg>`);
  return out.join("\n") + "\n";
}

type Box = { left: number; right: number; top: number; bottom: number };

function drawPanel(p: Panel, cell: { x: number; y: number; w: number; h: number }, clipId: string): string[] {
  const box: Box = {
    left: cell.x + (p.y.label ? 80 : 64),
    right: cell.x + cell.w - 24,
    top: cell.y + (p.title ? 30 : 14),
    bottom: cell.y + cell.h - (p.x.label ? 58 : 38),
  };
  const lines = p.lines ?? [];
  const xs = [...lines.flatMap((l) => l.points.map(([x]) => x)), ...(p.missing ?? []).map((m) => m.x), ...(p.bars ?? []).flatMap((b) => [b.from, b.to])];
  const [xlo, xhi] = p.x.domain ?? dataRange(xs, p.x.log ?? false);
  const tx = p.x.log ? Math.log10 : (v: number) => v;
  const px = (x: number) => box.left + ((tx(x) - tx(xlo)) / (tx(xhi) - tx(xlo))) * (box.right - box.left);
  // Scale y to what is visible in [xlo, xhi], as the reader only sees that.
  const visibleYs = [...lines.flatMap((l) => l.points.filter(([x]) => x >= xlo && x <= xhi).map(([, y]) => y)), ...(p.bars ?? []).map((b) => b.count)];
  const [ylo, yhi] = p.y.domain ?? dataRange(visibleYs, false);
  const py = (y: number) => box.bottom - ((y - ylo) / (yhi - ylo)) * (box.bottom - box.top);

  const out: string[] = [`<clipPath id="${clipId}"><rect x="${r(box.left)}" y="${r(box.top)}" width="${r(box.right - box.left)}" height="${r(box.bottom - box.top)}"/></clipPath>`];
  if (p.title) out.push(text((box.left + box.right) / 2, cell.y + 20, p.title, { size: 13.5, anchor: "middle" }));

  // Grid and ticks.
  for (const tick of axisTicks(p.x, xlo, xhi, Math.max(3, Math.round((box.right - box.left) / 79)))) {
    out.push(line(px(tick.v), box.top, px(tick.v), box.bottom, "#e5e5e5"));
    out.push(line(px(tick.v), box.bottom, px(tick.v), box.bottom + 5, "#333333"));
    out.push(text(px(tick.v), box.bottom + 20, tick.label, { size: 12.5, anchor: "middle" }));
  }
  for (const tick of axisTicks(p.y, ylo, yhi, Math.max(3, Math.round((box.bottom - box.top) / 43)))) {
    out.push(line(box.left, py(tick.v), box.right, py(tick.v), "#e5e5e5"));
    out.push(line(box.left - 5, py(tick.v), box.left, py(tick.v), "#333333"));
    out.push(text(box.left - 9, py(tick.v) + 4.5, tick.label, { size: 12.5, anchor: "end" }));
  }
  out.push(`<rect x="${r(box.left)}" y="${r(box.top)}" width="${r(box.right - box.left)}" height="${r(box.bottom - box.top)}" fill="none" stroke="#333333" stroke-width="1"/>`);
  if (p.x.label) out.push(text((box.left + box.right) / 2, cell.y + cell.h - 18, p.x.label, { size: 14, anchor: "middle" }));
  if (p.y.label) {
    const cy = (box.top + box.bottom) / 2;
    out.push(`<text x="${r(cell.x + 20)}" y="${r(cy)}" font-size="14" fill="#222222" text-anchor="middle" transform="rotate(-90 ${r(cell.x + 20)} ${r(cy)})">${escapeXml(p.y.label)}</text>`);
  }

  for (const b of p.bars ?? []) {
    if (b.count <= 0) continue;
    const x0 = px(b.from);
    const x1 = px(b.to);
    out.push(`<rect x="${r(x0)}" y="${r(py(b.count))}" width="${r(Math.max(0.5, x1 - x0))}" height="${r(py(0) - py(b.count))}" fill="${p.barColor ?? PALETTE[0]}" stroke="#ffffff" stroke-width="0.8"/>`);
  }
  for (const m of p.marks ?? []) {
    out.push(`<line x1="${r(px(m.x))}" y1="${r(box.top)}" x2="${r(px(m.x))}" y2="${r(box.bottom)}" stroke="#555555" stroke-width="1.4" stroke-dasharray="5 3"/>`);
    const right = px(m.x) < (box.left + box.right) / 2;
    out.push(text(px(m.x) + (right ? 4 : -4), box.top + 13, m.label, { size: 11, anchor: right ? "start" : "end", fill: "#555555" }));
  }
  // Curves, clipped to the axes as matplotlib does with xlim; markers whole, if inside.
  out.push(`<g clip-path="url(#${clipId})" fill="none" stroke-width="2.2" stroke-linejoin="round" stroke-linecap="round">`);
  for (const l of lines) {
    const dash = l.dash ? ` stroke-dasharray="${l.dash}"` : "";
    const coords = l.points.map(([x, y]) => `${r(px(x))},${r(py(y))}`).join(" ");
    if (l.points.length > 1) out.push(`<polyline data-series="${escapeXml(l.label)}" points="${coords}" stroke="${l.color}"${dash}/>`);
  }
  out.push(`</g>`);
  for (const l of lines.filter((l) => l.markers || l.points.length === 1)) {
    for (const [x, y] of l.points.filter(([x]) => x >= xlo && x <= xhi)) out.push(marker(px(x), py(y), l.color));
  }
  // Runs that diverged at the same x stack their ✕ upwards instead of hiding one another.
  const crossesAt = new Map<number, number>();
  for (const m of p.missing ?? []) {
    const below = crossesAt.get(m.x) ?? 0;
    crossesAt.set(m.x, below + 1);
    out.push(cross(px(m.x), box.bottom - below * CROSS_STEP, m.color));
  }
  if (p.legend) out.push(insideLegend(lines, box, px, py));
  return out;
}

/** A legend with each line's value, in the corner where it hides the fewest points. */
function insideLegend(lines: Line[], box: Box, px: (x: number) => number, py: (y: number) => number): string {
  const shown = lines.filter((l) => l.points.length);
  if (!shown.length) return "";
  const labelW = Math.max(...shown.map((l) => l.label.length)) * LEGEND_SIZE * CHAR_EM;
  const valueW = shown.some((l) => l.value) ? 14 + 5 * LEGEND_SIZE * 0.636 : 0;
  const w = 12 + 34 + 8 + labelW + valueW + 12;
  const h = 10 + shown.length * ROW_H + 4;
  const m = 10;
  const corners = [
    { x: box.right - m - w, y: box.bottom - m - h },
    { x: box.right - m - w, y: box.top + m },
    { x: box.left + m, y: box.bottom - m - h },
    { x: box.left + m, y: box.top + m },
    { x: box.right - m - w, y: (box.top + box.bottom - h) / 2 },
  ];
  // Count covered samples along each polyline, so long line segments count, not just vertices.
  const samples = shown.flatMap((l) =>
    l.points.flatMap(([x, y], i) => {
      if (i === 0) return [[px(x), py(y)]];
      const [x0, y0] = l.points[i - 1]!;
      return [0.25, 0.5, 0.75, 1].map((t) => [px(x0 + t * (x - x0)), py(y0 + t * (y - y0))]);
    }),
  );
  const covered = (c: { x: number; y: number }) =>
    samples.filter(([sx, sy]) => sx! >= c.x - 4 && sx! <= c.x + w + 4 && sy! >= c.y - 4 && sy! <= c.y + h + 4).length;
  const at = corners.reduce((best, c) => (covered(c) < covered(best) ? c : best));

  const out = [`<g class="legend">`, `<rect x="${r(at.x)}" y="${r(at.y)}" width="${r(w)}" height="${r(h)}" rx="4" fill="#ffffff" fill-opacity="0.92" stroke="#cccccc"/>`];
  shown.forEach((l, i) => {
    const cy = at.y + 10 + i * ROW_H + ROW_H / 2 - 2;
    out.push(legendEntry(l, at.x + 12, cy));
    if (l.value) out.push(text(at.x + w - 12, cy + 4.5, l.value, { size: LEGEND_SIZE, anchor: "end", fill: "#555555" }));
  });
  out.push(`</g>`);
  return out.join("\n");
}

/** A legend under the panels: entries in as many columns as fit the width. */
function sharedLegend(lines: Line[], width: number, top: number): { svg: string; height: number } {
  const entryW = 34 + 8 + Math.max(...lines.map((l) => l.label.length)) * LEGEND_SIZE * CHAR_EM + 24;
  const columns = Math.max(1, Math.min(lines.length, Math.floor((width - 48) / entryW)));
  const rows = Math.ceil(lines.length / columns);
  const left = (width - columns * entryW) / 2;
  const out = [`<g class="legend">`];
  lines.forEach((l, i) => out.push(legendEntry(l, left + (i % columns) * entryW, top + 12 + Math.floor(i / columns) * ROW_H + ROW_H / 2)));
  out.push(`</g>`);
  return { svg: out.join("\n"), height: 12 + rows * ROW_H + 12 };
}

/** A line sample (with its marker) and the label, starting at `x`, centred on `cy`. */
function legendEntry(l: Line, x: number, cy: number): string {
  const dash = l.dash ? ` stroke-dasharray="${l.dash}"` : "";
  const out = [`<line x1="${r(x)}" y1="${r(cy)}" x2="${r(x + 34)}" y2="${r(cy)}" stroke="${l.color}" stroke-width="2.2"${dash}/>`];
  if (l.markers) out.push(marker(x + 17, cy, l.color));
  out.push(text(x + 42, cy + 4.5, l.label, { size: LEGEND_SIZE }));
  return out.join("\n");
}

/** [lo, hi] covering `vs` with a 5% margin (matplotlib's default; a factor on a log axis), never empty. */
function dataRange(vs: number[], log: boolean): [number, number] {
  if (!vs.length) return log ? [0.1, 10] : [0, 1];
  let lo = Math.min(...vs);
  let hi = Math.max(...vs);
  if (log) return hi / lo < 1.01 ? [lo / 2, hi * 2] : [lo / (hi / lo) ** 0.05, hi * (hi / lo) ** 0.05];
  if (hi - lo < 1e-6) [lo, hi] = [lo - 0.05, hi + 0.05];
  const pad = (hi - lo) * 0.05;
  return [lo - pad, hi + pad];
}

/** Ticks in [lo, hi] with their labels; about `target` of them. */
function axisTicks(axis: Axis, lo: number, hi: number, target: number): { v: number; label: string }[] {
  const inside = (v: number) => v >= lo - 1e-9 * Math.abs(hi - lo) && v <= hi + 1e-9 * Math.abs(hi - lo);
  if (axis.ticks || axis.log) {
    const given = axis.ticks ?? Array.from({ length: Math.floor(Math.log10(hi)) - Math.ceil(Math.log10(lo)) + 1 }, (_, i) => 10 ** (Math.ceil(Math.log10(lo)) + i));
    return given.filter(inside).map((v) => ({ v, label: String(Number(v.toPrecision(6))) }));
  }
  const span = hi - lo;
  const step = axis.whole
    ? span < 4
      ? niceStep(span / 5, false)
      : span <= 12 && target >= 4
        ? 1
        : niceStep(span / target, true)
    : niceStep(span / target, axis.integer ?? false);
  const out: { v: number; label: string }[] = [];
  for (let v = Math.ceil(lo / step - 1e-9) * step; v <= hi + 1e-9; v += step) out.push({ v, label: fmt(v, step) });
  return out;
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

/** Half a ✕'s width; stacked crosses are CROSS_STEP apart. */
const CROSS_HALF = 5;
const CROSS_STEP = 3 * CROSS_HALF;

function cross(x: number, y: number, color: string): string {
  const d = CROSS_HALF;
  return `<path class="missing" d="M${r(x - d)},${r(y - d)}L${r(x + d)},${r(y + d)}M${r(x - d)},${r(y + d)}L${r(x + d)},${r(y - d)}" stroke="${color}" stroke-width="2.4" stroke-linecap="round"/>`;
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
