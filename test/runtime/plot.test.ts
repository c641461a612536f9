import { mkdtemp, readFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { type MetricPoint, plotSvg } from "../../src/runtime/plot.js";
import { writePlot } from "../../src/runtime/svg-files.js";

/** What the seed's train() records: 5 train points per epoch, test accuracy at each epoch's end. */
function seedLikeRun(epochs: number): MetricPoint[] {
  const points: MetricPoint[] = [];
  for (let e = 0; e < epochs; e++) {
    for (const f of [0.2, 0.4, 0.6, 0.8, 1]) {
      const t = e + f;
      points.push({ x: t, trainLoss: 0.25 + 0.6 * Math.exp(-t), trainAcc: 0.91 - 0.2 * Math.exp(-t) });
    }
    points.push({ x: e + 1, testAcc: 0.88 - 0.1 * Math.exp(-e) });
  }
  return points;
}

describe("plotSvg", () => {
  it("draws the three series, legend with latest values, title and epoch axis", () => {
    const svg = plotSvg(seedLikeRun(10), { title: "lenet-bn", epochs: 10, subtitle: "lr 1.0 · batch 128" });
    for (const series of ["train loss", "train acc", "test acc"]) {
      expect(svg).toContain(`<polyline data-series="${series}"`);
      expect(svg).toContain(`>${series}</text>`);
    }
    expect(svg.match(/data-series="train loss" points="([^"]*)"/)![1]!.split(" ")).toHaveLength(50);
    expect(svg).toContain(">lenet-bn</text>");
    expect(svg).toContain(">lr 1.0 · batch 128</text>");
    expect(svg).toContain(">epoch</text>");
    for (let e = 1; e <= 10; e++) expect(svg).toContain(`>${e}</text>`);
    expect(svg).toContain(">0.880</text>"); // test acc after the last epoch
    expect(svg).toContain('stroke-dasharray="7 4"'); // 'm--'
  });

  it("escapes the title and copes with no data yet", () => {
    const svg = plotSvg([], { title: "a<b & c", epochs: 3 });
    expect(svg).toContain(">a&lt;b &amp; c</text>");
    expect(svg).not.toContain("<polyline");
    expect(svg).not.toContain('class="legend"');
  });

  it("marks a lone point, which a line cannot show", () => {
    const svg = plotSvg([{ x: 1, trainLoss: 0.5 }], { title: "t", epochs: 1 });
    expect(svg).toMatch(/<circle [^>]*fill="#1f77b4"/);
  });
});

describe("writePlot", () => {
  it("writes plot.svg and a 1440×960 plot.png", async () => {
    const dir = await mkdtemp(join(tmpdir(), "netc-plot-"));
    const paths = await writePlot(dir, seedLikeRun(4), { title: "lenet-bn", epochs: 4 });
    expect(paths).toEqual({ svg: join(dir, "plot.svg"), png: join(dir, "plot.png") });
    expect(await readFile(paths.svg, "utf8")).toContain('data-series="test acc"');
    const png = await readFile(paths.png);
    expect(png.subarray(0, 8)).toEqual(Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]));
    expect(png.toString("ascii", 12, 16)).toBe("IHDR");
    expect([png.readUInt32BE(16), png.readUInt32BE(20)]).toEqual([1440, 960]);
    expect(png.length).toBeGreaterThan(20_000); // text and curves, not a blank canvas
  });
});
