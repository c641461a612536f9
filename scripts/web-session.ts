/**
 * Driving `netc serve`'s page in headless Chromium (the system's, through playwright-core: no
 * browser download), shared by the end-to-end test (test/web/e2e.test.ts) and the measurements
 * and screenshot of scripts/bench-web.mjs.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { chromium, type BrowserContext, type Page } from "playwright-core";
import { PNG } from "pngjs";

export const CHROMIUM = process.env["NETC_CHROMIUM"] ?? "/usr/bin/chromium";

/** Why the browser tests cannot run here, or undefined when they can. */
export function chromiumMissing(): string | undefined {
  return existsSync(CHROMIUM) ? undefined : `no Chromium at ${CHROMIUM} (apt-get install chromium, or set NETC_CHROMIUM)`;
}

// Flags that work in containers without a GPU or network, with nothing running in the background.
const FLAGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking", "--disable-component-update", "--disable-sync"];

export interface Session {
  context: BrowserContext;
  close(): Promise<void>;
}

/** Chromium with a fresh profile. */
export async function launchChromium(): Promise<Session> {
  const profile = mkdtempSync(join(tmpdir(), "netc-chromium-"));
  const context = await chromium.launchPersistentContext(profile, { executablePath: CHROMIUM, headless: true, args: FLAGS, viewport: { width: 1400, height: 900 } });
  return {
    context,
    async close() {
      await context.close();
      rmSync(profile, { recursive: true, force: true });
    },
  };
}

export interface ServeProcess {
  url: string;
  child: ChildProcess;
  stderr: () => string;
  stop(): Promise<void>;
}

/** `netc serve ARGS --port 0` from the built CLI; resolves with the URL it prints. */
export function startServe(args: string[], cwd = process.cwd()): Promise<ServeProcess> {
  const child = spawn(process.execPath, ["bin/netc.mjs", "serve", ...args, "--port", "0"], { cwd, stdio: ["ignore", "pipe", "pipe"] });
  let stdout = "";
  let stderr = "";
  child.stderr!.on("data", (d: Buffer) => (stderr += d));
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`netc serve printed no URL in 15 s: ${stderr}`)), 15_000);
    child.stdout!.on("data", (d: Buffer) => {
      stdout += d;
      const url = /^(http:\/\/127\.0\.0\.1:\d+\/)$/m.exec(stdout)?.[1];
      if (!url) return;
      clearTimeout(timer);
      resolve({
        url,
        child,
        stderr: () => stderr,
        stop: () => new Promise<void>((done) => (child.exitCode !== null ? done() : (child.once("exit", () => done()), child.kill("SIGINT")))),
      });
    });
    child.once("exit", (code) => reject(new Error(`netc serve exited (${code}): ${stderr}`)));
  });
}

/** Opens the page; resolves when it says it is ready, with the milliseconds from navigation to then. */
export async function openPage(context: BrowserContext, url: string): Promise<{ page: Page; readyMs: number }> {
  const page = await context.newPage();
  const errors: string[] = [];
  page.on("pageerror", (e) => errors.push(e.message));
  await page.goto(url);
  await page.waitForSelector("html[data-ready=true]", { timeout: 20_000 }).catch((e: Error) => {
    throw new Error(`${e.message}; page errors: ${errors.join("; ")}`);
  });
  const readyMs = await page.evaluate(() => performance.getEntriesByName("netc-ready")[0]!.startTime);
  return { page, readyMs };
}

/** Puts the cursor at the end of a 1-based line of the editor. */
export async function cursorToLineEnd(page: Page, line: number): Promise<void> {
  await page.locator(".cm-line").nth(line - 1).click();
  await page.keyboard.press("End");
}

/** The shape table's text. */
export function shapesText(page: Page): Promise<string> {
  return page.locator("#shapes").innerText();
}

/**
 * Types `text` and measures, in the page, from each key's event to the shape table's update
 * (milliseconds, one per key).
 */
export async function typeAndTime(page: Page, text: string): Promise<number[]> {
  await page.evaluate(() => {
    const w = window as unknown as { netcKeyTimes?: number[]; netcKeyAt: number };
    if (!w.netcKeyTimes) {
      document.addEventListener("keydown", (e) => (w.netcKeyAt = e.timeStamp), { capture: true });
      new MutationObserver(() => w.netcKeyTimes!.push(performance.now() - w.netcKeyAt)).observe(document.getElementById("shapes")!, { childList: true });
    }
    w.netcKeyTimes = [];
  });
  for (const ch of text) await page.keyboard.type(ch);
  return page.evaluate(() => (window as unknown as { netcKeyTimes: number[] }).netcKeyTimes);
}

export interface TrainSettings {
  epochs: number;
  batch?: number;
  lr?: number;
  /** `served` or `sample`. */
  data: string;
  limit?: number;
  threads?: number;
}

/** Fills in the Train panel and presses Start. */
export async function startTraining(page: Page, s: TrainSettings): Promise<void> {
  await page.click("button[data-tab=train]");
  await page.fill("#epochs", String(s.epochs));
  if (s.batch !== undefined) await page.fill("#batch", String(s.batch));
  if (s.lr !== undefined) await page.fill("#lr", String(s.lr));
  await page.fill("#limit", s.limit === undefined ? "" : String(s.limit));
  if (s.threads !== undefined) await page.fill("#threads", String(s.threads));
  await page.selectOption("#data", s.data);
  await page.click("#start");
}

/** Waits for the run's final lines (or an error), and returns them. */
export async function finalLines(page: Page, timeoutMs: number): Promise<string> {
  await page.waitForFunction(() => document.getElementById("final-lines")!.textContent !== "" || document.getElementById("train-status")!.classList.contains("error"), undefined, { timeout: timeoutMs });
  const error = await page.locator("#train-status.error").count();
  if (error) throw new Error(`training failed: ${await page.locator("#train-status").innerText()}`);
  return page.locator("#final-lines").innerText();
}

/** Distinct colours in a PNG: a blank (one-colour) screenshot has 1. */
export function distinctColours(png: Buffer): number {
  const { data } = PNG.sync.read(png);
  const seen = new Set<number>();
  for (let i = 0; i < data.length; i += 4) seen.add(data.readUInt32BE(i));
  return seen.size;
}
