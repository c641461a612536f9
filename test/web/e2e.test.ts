import { spawnSync } from "node:child_process";
import { readFileSync, writeFileSync, mkdtempSync, mkdirSync, createReadStream } from "node:fs";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { dirname, extname, join, resolve } from "node:path";
import { unzipSync } from "fflate";
import type { Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  chromiumMissing,
  cursorToLineEnd,
  distinctColours,
  finalLines,
  launchChromium,
  openPage,
  shapesText,
  startServe,
  startTraining,
  type ServeProcess,
  type Session,
} from "../../scripts/web-session.js";

/**
 * `netc serve`'s page in a real browser (headless Chromium): it loads, shows a mistake where it
 * is as it is typed, updates the shape table, hovers shapes, formats, draws the graph, and trains
 * on the bundled sample exactly as `netc train` does, to a checkpoint `netc eval` reads.
 */

const FIXTURE = "test/fixtures/fashion-mnist-small";
const missing = chromiumMissing();

function netc(...args: string[]) {
  const r = spawnSync(process.execPath, ["bin/netc.mjs", ...args], { encoding: "utf8", env: { ...process.env, NO_COLOR: "1" } });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

describe.skipIf(missing)(`the page in headless Chromium${missing ? ` (skipped: ${missing})` : ""}`, () => {
  let serve: ServeProcess;
  let session: Session;
  let page: Page;
  const dir = mkdtempSync(join(tmpdir(), "netc-web-"));
  const requested: string[] = [];
  const trainingCode = /\/(train-worker\.js|tfjs\/[\w-]+\.wasm)$/;

  beforeAll(async () => {
    serve = await startServe(["models/lenet-bn.net", "--data", FIXTURE]);
    session = await launchChromium();
    session.context.on("request", (r) => requested.push(r.url()));
    ({ page } = await openPage(session.context, serve.url));
  }, 60_000);

  afterAll(async () => {
    await session?.close();
    await serve?.stop();
  });

  it("loads the model given to netc serve, with netc shapes's table", async () => {
    expect(await page.locator(".cm-content").innerText()).toContain("model lenet_bn");
    const table = await shapesText(page);
    expect(table).toContain("Model: lenet_bn   input: [1, 1, 28, 28]");
    expect(table).toContain("Total params: 44,878");
    expect(table.trimEnd()).toBe(netc("shapes", "models/lenet-bn.net").stdout.trimEnd());
    expect(await page.locator("#shapes-summary").innerText()).toBe("lenet_bn: 44,878 parameters · 286,786 mult-adds · output 10 · 4 warnings");
  });

  it("underlines a mistake at its line as it is typed, and the table follows", async () => {
    await cursorToLineEnd(page, 6); // `flatten`
    await page.keyboard.type("x");
    const underline = page.locator(".cm-lintRange-error");
    await underline.waitFor();
    expect(await underline.innerText()).toBe("flattenx");
    // The underline is on line 6, the line the mistake is on.
    expect(await page.locator(".cm-line").nth(5).locator(".cm-lintRange-error").count()).toBe(1);
    await underline.hover();
    const tooltip = page.locator(".cm-tooltip-lint");
    await tooltip.waitFor();
    expect(await tooltip.innerText()).toContain("unknown layer `flattenx`");
    expect(await tooltip.innerText()).toContain("hint: a layer with a similar name exists: `flatten`");
    expect(await page.locator("#shapes-summary").innerText()).toContain("1 error");
    expect(await shapesText(page)).not.toContain("[1, 256]");
    expect(await page.locator("#start").isDisabled()).toBe(true);

    await page.keyboard.press("Backspace");
    await underline.waitFor({ state: "detached" });
    expect(await shapesText(page)).toContain("   6  flatten (Flatten)    [1, 256]");
    // The cursor's line is highlighted in the table.
    expect(await page.locator("#shapes .row.current").innerText()).toContain("flatten (Flatten)");
  });

  it("shows a layer's shapes on hover", async () => {
    await page.locator(".cm-line").nth(3).getByText("conv").hover();
    const hover = page.locator(".netc-hover");
    await hover.waitFor();
    expect(await hover.innerText()).toContain("1×28×28 → 6×24×24 · 156 parameters");
    await page.mouse.move(0, 0);
  });

  it("formats on Shift-Alt-F as netc fmt does", async () => {
    await cursorToLineEnd(page, 9);
    await page.keyboard.type("  |relu");
    await page.keyboard.press("Shift+Alt+F");
    await page.waitForFunction(() => document.querySelector(".cm-content")!.textContent!.includes("linear 10 | relu"));
    // Undone: typing may have been recorded as several steps.
    for (let i = 0; i < 10 && (await page.locator(".cm-content").innerText()).includes("relu"); i++) await page.keyboard.press("Control+z");
    expect(await page.locator(".cm-content").innerText()).not.toContain("relu");
  });

  it("draws the graph, and a click on a layer finds its line", async () => {
    await page.click("button[data-tab=graph]");
    await page.locator("#graph svg").waitFor();
    expect(await page.locator("#graph g.box.layer").count()).toBe(16);
    expect(await page.locator("#graph text.shape", { hasText: "6×24×24" }).count()).toBe(3);
    await page.locator("#graph g.box.layer", { hasText: "flatten" }).click();
    expect(await page.locator(".cm-activeLine").innerText()).toBe("flatten");
  });

  it("trains an epoch on the sample as netc train does, draws the plot, and saves a checkpoint netc eval reads", async () => {
    // TensorFlow.js and the training code load when Start is pressed, not before.
    expect(requested.filter((url) => trainingCode.test(url))).toEqual([]);
    await startTraining(page, { epochs: 1, data: "sample" });
    const lines = await finalLines(page, 90_000);
    const [accuracy, speed] = lines.split("\n");
    expect(speed).toMatch(/^\d+\.\d examples\/sec on wasm$/);
    expect((await page.locator("#epoch-lines").innerText()).trimEnd()).toMatch(/^epoch 1\/1  loss \d\.\d{3}  train acc \d\.\d{3}  test acc \d\.\d{3}  [\d,]+ examples\/sec$/);
    expect(await page.locator("#train-info").innerText()).toMatch(/^training on wasm \(WebAssembly SIMD, \d threads?, netc kernels\)\nFashion-MNIST from the bundled sample: 1,000 training examples, 200 test examples/);
    // The plot: the seed's Animator points (5 per epoch here, and the test accuracy).
    expect(Number(await page.locator("#chart").getAttribute("data-points"))).toBe(9);
    expect(requested.filter((url) => trainingCode.test(url)).map((url) => new URL(url).pathname)).toEqual(["/train-worker.js", "/tfjs/tfjs-backend-wasm-threaded-simd.wasm"]);
    const shot = await page.screenshot();
    writeFileSync(join(dir, "page.png"), shot);
    expect(distinctColours(shot)).toBeGreaterThan(50);

    // The same code trains in Node: the same numbers for the same data and seed.
    const cli = netc("train", "models/lenet-bn.net", "--data", FIXTURE, "--epochs", "1", "--out", join(dir, "cli-run"));
    expect(cli.code).toBe(0);
    expect(cli.stdout.split("\n").at(-3)).toBe(accuracy);

    const downloading = page.waitForEvent("download");
    await page.click("#download-checkpoint");
    const zip = await (await downloading).path();
    for (const [name, bytes] of Object.entries(unzipSync(readFileSync(zip)))) {
      mkdirSync(dirname(join(dir, name)), { recursive: true });
      writeFileSync(join(dir, name), bytes);
    }
    const evaluated = netc("eval", join(dir, "lenet_bn-web"), "--data", FIXTURE);
    expect(evaluated.code).toBe(0);
    expect(evaluated.stdout).toContain(`test acc ${/test acc (\d\.\d{3})/.exec(accuracy!)![1]}`);
  }, 120_000);
});

describe.skipIf(missing)(`the page published as static files${missing ? ` (skipped: ${missing})` : ""}`, () => {
  let server: Server;
  let session: Session;

  beforeAll(async () => {
    // A plain file server, as a course page's host would be: no config.json, no isolation headers.
    const root = resolve("dist/web");
    const types: Record<string, string> = { ".html": "text/html", ".js": "text/javascript", ".css": "text/css", ".json": "application/json", ".wasm": "application/wasm" };
    server = createServer((req, res) => {
      const path = join(root, decodeURIComponent(new URL(req.url!, "http://x").pathname));
      const file = path.endsWith("/") ? join(path, "index.html") : path;
      if (!file.startsWith(root)) return void res.writeHead(403).end();
      const stream = createReadStream(file);
      stream.on("open", () => res.writeHead(200, { "Content-Type": types[extname(file)] ?? "application/octet-stream" }));
      stream.on("error", () => res.writeHead(404).end());
      stream.pipe(res);
    });
    await new Promise<void>((done) => server.listen(0, "127.0.0.1", done));
    session = await launchChromium();
  }, 60_000);

  afterAll(async () => {
    await session?.close();
    server?.close();
  });

  it("starts from the bundled LeNet-BN, trains single-threaded on data at a URL or the bundled sample, and stops when asked", async () => {
    const { page } = await openPage(session.context, `http://127.0.0.1:${(server.address() as AddressInfo).port}/`);
    expect(await page.locator("#model option:checked").innerText()).toBe("models/lenet-bn.net");
    expect(await page.locator("#data option").allInnerTexts()).toEqual(["the bundled sample (1,000 training, 200 test images)", "Fashion-MNIST at a URL…"]);
    // The data from a URL the user gives: here the sample's, as another site would serve it.
    await page.selectOption("#data", "url");
    await page.fill("#data-url", `http://127.0.0.1:${(server.address() as AddressInfo).port}/sample`);
    await startTraining(page, { epochs: 1, data: "url", limit: 256 });
    expect(await finalLines(page, 90_000)).toMatch(/^loss \d\.\d{3}, train acc \d\.\d{3}, test acc \d\.\d{3}\n/);
    expect(await page.locator("#train-info").innerText()).toContain("1 thread (threads need a cross-origin isolated page");

    // Stop ends a run between two steps; the weights so far can be downloaded.
    await startTraining(page, { epochs: 20, data: "sample" });
    await page.locator("#epoch-lines", { hasText: "epoch 1/20" }).waitFor();
    await page.click("#stop");
    expect(await finalLines(page, 30_000)).toMatch(/^stopped at (epoch \d+, batch \d+|the end of epoch \d+)$/);
    expect(await page.locator("#download-checkpoint").isEnabled()).toBe(true);
    expect(await page.locator("#start").isEnabled()).toBe(true);
  }, 120_000);
});
