import { spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { check } from "../src/compile.js";
import { modelGraph, type ModelGraph } from "../src/draw/model-graph.js";
import { drawGraph } from "../src/draw/svg.js";
import { SourceFile } from "../src/source.js";

/** The model's graph: its boxes and shape-labelled edges, the layout, and `netc draw`. */

function graphOf(model: string, collapsed: (id: string) => boolean = () => false): ModelGraph {
  const checked = check(new SourceFile(model, readFileSync(model, "utf8")), { bn: "scratch" });
  return modelGraph(checked.network, checked.shapes, checked.source, { collapsed });
}

function netc(...args: string[]) {
  const r = spawnSync(process.execPath, ["bin/netc.mjs", ...args], { encoding: "utf8", env: { ...process.env, NO_COLOR: "1" } });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

describe("the model graph", () => {
  it("has one box per layer of LeNet-BN, in a chain whose edges carry the shapes", () => {
    const g = graphOf("models/lenet-bn.net");
    expect(g.boxes.map((b) => `${b.title} ${b.detail}`.trim())).toEqual([
      "input 1x28x28",
      "conv 6 k5", "bn", "sigmoid", "avgpool 2",
      "conv 16 k5", "bn", "sigmoid", "avgpool 2",
      "flatten",
      "linear 120", "bn", "sigmoid",
      "linear 84", "bn", "sigmoid",
      "linear 10",
      "output",
    ]);
    expect(g.edges.map((e) => e.label)).toEqual(["1×28×28", "6×24×24", "6×24×24", "6×24×24", "6×12×12", "16×8×8", "16×8×8", "16×8×8", "16×4×4", "256", "120", "120", "120", "84", "84", "84", "10"]);
    expect(g.boxes.find((b) => b.title === "flatten")!.line).toBe(6);
    expect(g.clusters).toEqual([]);
  });

  it("draws ResNet's residual branches side by side into the add, inside the block's cluster", () => {
    const g = graphOf("models/resnet18.net");
    const adds = g.boxes.filter((b) => b.kind === "merge");
    expect(adds).toHaveLength(8);
    const firstAdd = adds[0]!;
    const into = g.edges.filter((e) => e.to === firstAdd.id);
    expect(into.map((e) => e.label)).toEqual(["64×24×24", "64×24×24"]);
    // Both branches start from the same box (the maxpool before the block).
    const sources = into.map((e) => g.boxes.find((b) => b.id === e.from)!);
    expect(sources.map((b) => b.title)).toEqual(["bn", "identity"]);
    expect(firstAdd.parent).toBeDefined();
    expect(g.clusters.find((c) => c.id === firstAdd.parent)!.title).toBe("residual(c=64)");

    // In the layout, the two branches are columns side by side, between the split and the add.
    const svg = drawGraph(g).svg;
    const centre = (line: number, title: string) => {
      const m = new RegExp(`<g class="box layer" data-line="${line}">\\n<rect x="([\\d.]+)" y="([\\d.]+)" width="([\\d.]+)" height="([\\d.]+)"[^]*?>${title}</text>`).exec(svg)!;
      return { x: Number(m[1]) + Number(m[3]) / 2, y: Number(m[2]) + Number(m[4]) / 2 };
    };
    const conv = centre(10, "conv");
    const identity = centre(13, "identity");
    const add = /<g class="box merge" data-line="9">\n<rect x="[\d.]+" y="([\d.]+)"/.exec(svg)!;
    expect(Math.abs(conv.x - identity.x)).toBeGreaterThan(40);
    expect(identity.y).toBeGreaterThan(conv.y);
    expect(identity.y).toBeLessThan(Number(add[1]));
  });

  it("collapses a group into one box with its parameter count", () => {
    const g = graphOf("models/resnet18.net", () => true);
    const groups = g.boxes.filter((b) => b.kind === "group");
    expect(groups.map((b) => b.title)).toEqual(["repeat 2", "resnet_block(c=128)", "resnet_block(c=256)", "resnet_block(c=512)"]);
    expect(groups[0]!.detail).toBe("148,224 params");
    expect(g.clusters).toEqual([]);
    expect(g.edges.filter((e) => e.to === groups[1]!.id).map((e) => e.label)).toEqual(["64×24×24"]);
    // Every group is still known, to be expanded again.
    expect(g.groups.length).toBe(graphOf("models/resnet18.net").groups.length);
  });

  it("draws concat's four Inception paths into one box", () => {
    const g = graphOf("models/googlenet.net");
    const concat = g.boxes.find((b) => b.title === "concat")!;
    expect(g.edges.filter((e) => e.to === concat.id)).toHaveLength(4);
  });

  it("keeps drawing after a mistake, with unknown shapes as `?`", () => {
    const checked = check(new SourceFile("broken.net", "input 1x28x28\nconv 6 k5\nlinearr 10\nlinear 10\n"), { bn: "scratch" });
    const g = modelGraph(checked.network, checked.shapes, checked.source);
    expect(g.boxes.map((b) => b.title)).toEqual(["input", "conv", "linear", "output"]);
    expect(g.edges.map((e) => e.label)).toEqual(["1×28×28", "?", "?"]);
  });
});

describe("netc draw", () => {
  const dir = mkdtempSync(join(tmpdir(), "netc-draw-"));

  it("writes an SVG of the model, with the shapes on its edges", () => {
    const out = join(dir, "lenet.svg");
    const r = netc("draw", "models/lenet-bn.net", "-o", out);
    expect(r.code).toBe(0);
    expect(r.stderr).toMatch(/^drew lenet_bn \(16 layer boxes\) into \S+lenet\.svg, \d+×\d+\n$/);
    const svg = readFileSync(out, "utf8");
    expect(svg).toMatch(/^<svg xmlns="http:\/\/www.w3.org\/2000\/svg"/);
    expect(svg).toContain(">6×24×24</text>");
    expect(svg.match(/<g class="box layer"/g)).toHaveLength(16);
  });

  it("writes a PNG, and collapses groups when asked", () => {
    const out = join(dir, "resnet.png");
    const r = netc("draw", "models/resnet18.net", "--collapse", "-o", out);
    expect(r.code).toBe(0);
    expect(r.stderr).toContain("12 groups collapsed");
    expect(readFileSync(out).subarray(0, 8)).toEqual(Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]));
  });

  it("refuses a model with errors (exit 1) and an output it cannot name the format of (exit 2), writing nothing", () => {
    const broken = join(dir, "broken.net");
    writeFileSync(broken, "input 1x28x28\nconv 6 k5\nlinear 10\n");
    const r = netc("draw", broken, "-o", join(dir, "broken.svg"));
    expect(r.code).toBe(1);
    expect(r.stderr).toContain("error: `linear` needs a flat input");
    expect(existsSync(join(dir, "broken.svg"))).toBe(false);
    const pdf = netc("draw", "models/lenet.net", "-o", join(dir, "lenet.pdf"));
    expect(pdf.code).toBe(2);
    expect(pdf.stderr).toContain("error: cannot tell the drawing's format from");
    expect(existsSync(join(dir, "lenet.pdf"))).toBe(false);
  });
});
