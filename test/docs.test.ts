import { readFileSync } from "node:fs";
import { expect, it } from "vitest";
import { layerReferenceMarkdown, trainReferenceMarkdown } from "../src/layer-docs.js";

it("README's layer reference is the registry's (regenerate with `netc layers --markdown`)", () => {
  const readme = readFileSync("README.md", "utf8");
  const section = readme.slice(readme.indexOf("-->", readme.indexOf("<!-- layers:begin")) + 3, readme.indexOf("<!-- layers:end -->")).trim();
  expect(section).toBe(layerReferenceMarkdown());
});

it("README's table of training settings is train-settings.ts's (trainReferenceMarkdown() in src/layer-docs.ts)", () => {
  const readme = readFileSync("README.md", "utf8");
  const section = readme.slice(readme.indexOf("-->", readme.indexOf("<!-- train:begin")) + 3, readme.indexOf("<!-- train:end -->")).trim();
  expect(section).toBe(trainReferenceMarkdown());
});

it("the version netc reports is package.json's", async () => {
  const { VERSION } = await import("../src/version.js");
  expect(VERSION).toBe(JSON.parse(readFileSync("package.json", "utf8")).version);
});
