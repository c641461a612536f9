/**
 * A model graph laid out top to bottom with dagre (layered layout, clusters for groups) and
 * drawn as SVG: coloured boxes with the layer and its arguments, shapes on the edges. Pure, so
 * `netc draw` and the browser page make the same drawing. Text is in a monospace font, whose
 * advance (0.6 em) sizes the boxes without measuring.
 */
import dagre from "@dagrejs/dagre";
import type { Category, GraphBox, ModelGraph } from "./model-graph.js";

const FONT = "DejaVu Sans Mono, Menlo, Consolas, monospace";
const CHAR_EM = 0.602; // DejaVu Sans Mono's advance
const TITLE_SIZE = 12.5;
const DETAIL_SIZE = 11;
const LABEL_SIZE = 10.5;
const CLUSTER_TITLE_SIZE = 10.5;
const PAD_X = 12;

const FILL: Record<Category, [fill: string, stroke: string]> = {
  io: ["#eeeeee", "#888888"],
  conv: ["#dbe9f8", "#4a7fb5"],
  linear: ["#e3dcf3", "#7459a8"],
  norm: ["#fbe7c6", "#c28a2c"],
  activation: ["#f8d9d6", "#c0554b"],
  pool: ["#d8efdc", "#4c9a5c"],
  reshape: ["#eeeeee", "#888888"],
  merge: ["#fff3a8", "#a89a2a"],
  group: ["#f3f3f3", "#666666"],
  other: ["#eeeeee", "#888888"],
};

export interface Drawing {
  svg: string;
  width: number;
  height: number;
}

function textWidth(text: string, size: number): number {
  return text.length * size * CHAR_EM;
}

function boxSize(box: GraphBox): { width: number; height: number } {
  const title = box.kind === "group" ? `▸ ${box.title}` : box.title;
  const width = Math.max(textWidth(title, TITLE_SIZE), textWidth(box.detail, DETAIL_SIZE)) + 2 * PAD_X;
  return { width: Math.max(64, Math.ceil(width)), height: box.detail ? 40 : 26 };
}

function escapeXml(s: string): string {
  return s.replace(/[<>&"]/g, (c) => ({ "<": "&lt;", ">": "&gt;", "&": "&amp;", '"': "&quot;" })[c]!);
}

function r(v: number): string {
  return String(Math.round(v * 10) / 10);
}

/** A path through dagre's edge points, corners rounded with quadratic curves. */
function edgePath(points: readonly { x: number; y: number }[]): string {
  if (points.length < 3) return points.map((p, i) => `${i ? "L" : "M"}${r(p.x)},${r(p.y)}`).join(" ");
  let d = `M${r(points[0]!.x)},${r(points[0]!.y)}`;
  for (let i = 1; i < points.length - 1; i++) {
    const p = points[i]!;
    const n = points[i + 1]!;
    const mid = { x: (p.x + n.x) / 2, y: (p.y + n.y) / 2 };
    d += ` Q${r(p.x)},${r(p.y)} ${r(i === points.length - 2 ? n.x : mid.x)},${r(i === points.length - 2 ? n.y : mid.y)}`;
  }
  return d;
}

export function drawGraph(graph: ModelGraph): Drawing {
  const g = new dagre.graphlib.Graph({ compound: true, multigraph: false });
  // Clusters' borders take ranks of their own, half a rank separation apart: 40 leaves a
  // nested cluster's title room below its parent's.
  g.setGraph({ rankdir: "TB", nodesep: 22, ranksep: 40, edgesep: 12, marginx: 16, marginy: 16 });
  g.setDefaultEdgeLabel(() => ({}));
  for (const cluster of graph.clusters) {
    g.setNode(cluster.id, { width: 0, height: 0 });
    if (cluster.parent) g.setParent(cluster.id, cluster.parent);
  }
  for (const box of graph.boxes) {
    g.setNode(box.id, boxSize(box));
    if (box.parent) g.setParent(box.id, box.parent);
  }
  for (const edge of graph.edges) {
    g.setEdge(edge.from, edge.to, { width: textWidth(edge.label, LABEL_SIZE) + 8, height: LABEL_SIZE + 4, labelpos: "r", labeloffset: 6 });
  }
  dagre.layout(g);

  const { width = 0, height = 0 } = g.graph();
  const out: string[] = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${Math.ceil(width)}" height="${Math.ceil(height)}" viewBox="0 0 ${Math.ceil(width)} ${Math.ceil(height)}" font-family="${FONT}">`,
    `<title>${escapeXml(graph.name)}</title>`,
    `<defs><marker id="arrow" viewBox="0 0 10 10" refX="9" refY="5" markerWidth="7" markerHeight="7" orient="auto-start-reverse"><path d="M0,0 L10,5 L0,10 z" fill="#666666"/></marker></defs>`,
    `<rect width="${Math.ceil(width)}" height="${Math.ceil(height)}" fill="#ffffff"/>`,
  ];
  // Outer clusters first, so inner ones are drawn over them.
  const depth = (id: string | undefined): number => (id ? 1 + depth(graph.clusters.find((c) => c.id === id)?.parent) : 0);
  for (const cluster of [...graph.clusters].sort((a, b) => depth(a.id) - depth(b.id))) {
    const n = g.node(cluster.id);
    const [x, y] = [n.x! - n.width / 2, n.y! - n.height / 2];
    out.push(
      `<g class="cluster" data-group="${escapeXml(cluster.id)}" data-line="${cluster.line}">`,
      `<rect x="${r(x)}" y="${r(y)}" width="${r(n.width)}" height="${r(n.height)}" rx="6" fill="#000000" fill-opacity="0.035" stroke="#999999" stroke-dasharray="4 3"/>`,
      `<text x="${r(x + 8)}" y="${r(y + 12)}" font-size="${CLUSTER_TITLE_SIZE}" fill="#555555">▾ ${escapeXml(cluster.title)}</text>`,
      `</g>`,
    );
  }
  for (const edge of graph.edges) {
    const e = g.edge(edge.from, edge.to);
    out.push(`<path class="edge" d="${edgePath(e.points ?? [])}" fill="none" stroke="#666666" stroke-width="1.2" marker-end="url(#arrow)"/>`);
    if (e.x !== undefined && e.y !== undefined) {
      out.push(`<text class="shape" x="${r(e.x - (e.width ?? 0) / 2 + 4)}" y="${r(e.y + LABEL_SIZE / 2 - 1)}" font-size="${LABEL_SIZE}" fill="#333333">${escapeXml(edge.label)}</text>`);
    }
  }
  for (const box of graph.boxes) {
    const n = g.node(box.id);
    const [x, y] = [n.x! - n.width / 2, n.y! - n.height / 2];
    const [fill, stroke] = FILL[box.category];
    const attrs = [`class="box ${box.kind}"`, `data-line="${box.line}"`, ...(box.group ? [`data-group="${escapeXml(box.group)}"`] : [])];
    out.push(`<g ${attrs.join(" ")}>`);
    // A collapsed group looks like a stack of boxes.
    if (box.kind === "group") out.push(`<rect x="${r(x + 3)}" y="${r(y + 3)}" width="${r(n.width)}" height="${r(n.height)}" rx="5" fill="${fill}" stroke="${stroke}"/>`);
    out.push(`<rect x="${r(x)}" y="${r(y)}" width="${r(n.width)}" height="${r(n.height)}" rx="5" fill="${fill}" stroke="${stroke}" stroke-width="1.2"/>`);
    const title = box.kind === "group" ? `▸ ${box.title}` : box.title;
    const titleY = box.detail ? y + 16.5 : y + n.height / 2 + 4.5;
    out.push(`<text x="${r(n.x!)}" y="${r(titleY)}" font-size="${TITLE_SIZE}" font-weight="bold" text-anchor="middle" fill="#222222">${escapeXml(title)}</text>`);
    if (box.detail) out.push(`<text x="${r(n.x!)}" y="${r(y + 32)}" font-size="${DETAIL_SIZE}" text-anchor="middle" fill="#444444">${escapeXml(box.detail)}</text>`);
    out.push(`</g>`);
  }
  out.push(`</svg>`);
  return { svg: out.join("\n") + "\n", width, height };
}
