// `npm run fuzz` (through scripts/fuzz.mjs): feeds RUNS (default 100,000) mutated and generated
// model texts (test/fuzz/net-texts.ts) through the front end in this process, then through a
// running `netc lsp` (spawned as an editor spawns it, over stdio). Reports crashes (exceptions
// in-process; a server that exits, or an error answer), stack traces (in what the server writes
// to stderr or sends), answers over 1 s and memory growth. Writes bench/fuzz.json. Times are wall
// time and CPU time (the machine may be shared: CPU time is what an idle machine would take).
// Environment: RUNS, SEED, LSP=0 to skip the server.
import { spawn, type ChildProcess } from "node:child_process";
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import fc from "fast-check";
import {
  CompletionRequest,
  createProtocolConnection,
  DidChangeTextDocumentNotification,
  DidOpenTextDocumentNotification,
  DocumentFormattingRequest,
  ExitNotification,
  HoverRequest,
  InitializedNotification,
  InitializeRequest,
  PublishDiagnosticsNotification,
  ShutdownRequest,
  StreamMessageReader,
  StreamMessageWriter,
  type ProtocolConnection,
} from "vscode-languageserver-protocol/node";
import { throughFrontEnd } from "../test/fuzz/front-end.js";
import { corpus, netTexts, type FuzzInput } from "../test/fuzz/net-texts.js";

const runs = Number(process.env["RUNS"] ?? 100_000);
const seed = Number(process.env["SEED"] ?? 2025);
const SLOW_MS = 1000;
const CHUNK = 1000;
const files = corpus();
const arbitrary = netTexts(files);

interface Finding {
  index: number;
  what: string;
  /** Wall and CPU milliseconds, for an answer over 1 s. */
  ms?: number;
  cpuMs?: number;
  /** The input's first characters, for a look; rerun with SEED and the index to get it whole. */
  sample: string;
}

/** The inputs in chunks, each chunk seeded from SEED: input i is the same in every run. */
function* inputs(): Generator<[number, FuzzInput]> {
  for (let start = 0; start < runs; start += CHUNK) {
    const chunk = fc.sample(arbitrary, { seed: seed + start / CHUNK, numRuns: Math.min(CHUNK, runs - start) });
    for (let i = 0; i < chunk.length; i++) yield [start + i, chunk[i]!];
  }
}

const sample = (input: FuzzInput) => JSON.stringify(input.text.slice(0, 80));
const percentile = (sorted: number[], q: number) => +(sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] ?? 0).toFixed(2);
const mib = (bytes: number) => +(bytes / 2 ** 20).toFixed(1);
const gc = (globalThis as { gc?: () => void }).gc ?? (() => {});
const cpuMs = () => {
  const { user, system } = process.cpuUsage();
  return (user + system) / 1000;
};

/** Times: their sum, median, 99th percentile and maximum, and how many are over 1 s. */
function summary(times: number[]) {
  const sorted = [...times].sort((a, b) => a - b);
  const totalSeconds = +(sorted.reduce((a, b) => a + b, 0) / 1000).toFixed(1);
  return { totalSeconds, medianMs: percentile(sorted, 0.5), p99Ms: percentile(sorted, 0.99), maxMs: percentile(sorted, 1), overOneSecond: sorted.filter((t) => t > SLOW_MS).length };
}

async function inProcess() {
  const crashes: Finding[] = [];
  const slow: Finding[] = [];
  const wall: number[] = [];
  const cpu: number[] = [];
  let heapAfterWarmUp = 0;
  const t0 = performance.now();
  for (const [index, input] of inputs()) {
    if (index === 2000) {
      gc();
      heapAfterWarmUp = process.memoryUsage().heapUsed;
    }
    const [start, startCpu] = [performance.now(), cpuMs()];
    try {
      await throughFrontEnd(input, { format: index % 20 === 0 });
    } catch (e) {
      crashes.push({ index, what: (e as Error)?.stack ?? String(e), sample: sample(input) });
      // At once, too: a run that is stopped later still leaves its crashes behind.
      process.stderr.write(`in-process crash at #${index}: ${crashes.at(-1)!.what.split("\n").slice(0, 6).join("\n    ")}\n  input: ${sample(input)}\n`);
    }
    const [ms, msCpu] = [performance.now() - start, cpuMs() - startCpu];
    wall.push(ms);
    cpu.push(msCpu);
    if (ms > SLOW_MS) slow.push({ index, what: "in-process", ms: Math.round(ms), cpuMs: Math.round(msCpu), sample: sample(input) });
    if (index % 10_000 === 9_999) process.stderr.write(`in-process: ${index + 1} inputs, ${crashes.length} crashes, ${slow.length} over 1 s\n`);
  }
  gc();
  const heapAtEnd = process.memoryUsage().heapUsed;
  return {
    inputs: wall.length,
    seconds: +((performance.now() - t0) / 1000).toFixed(1),
    crashes: crashes.length,
    wall: summary(wall),
    cpu: summary(cpu),
    heapMiB: { afterWarmUp: mib(heapAfterWarmUp), atEnd: mib(heapAtEnd) },
    findings: [...crashes, ...slow].slice(0, 50),
  };
}

/** A `netc lsp` process and a client connection to it. */
class Server {
  readonly child: ChildProcess;
  readonly connection: ProtocolConnection;
  stderr = "";
  exited: number | null | undefined = undefined;
  private readonly published = new Map<number, () => void>();

  constructor() {
    this.child = spawn(process.execPath, ["bin/netc.mjs", "lsp", "--stdio"], { stdio: ["pipe", "pipe", "pipe"] });
    this.child.stderr!.on("data", (d) => (this.stderr += d));
    this.child.on("exit", (code) => (this.exited = code));
    this.connection = createProtocolConnection(new StreamMessageReader(this.child.stdout!), new StreamMessageWriter(this.child.stdin!));
    this.connection.onNotification(PublishDiagnosticsNotification.type, (p) => {
      if (p.version !== undefined) this.published.get(p.version)?.();
    });
    this.connection.onError(() => {});
    this.connection.listen();
  }

  async start(uri: string): Promise<void> {
    await this.connection.sendRequest(InitializeRequest.type, { processId: process.pid, rootUri: null, capabilities: {} });
    await this.connection.sendNotification(InitializedNotification.type, {});
    await this.connection.sendNotification(DidOpenTextDocumentNotification.type, { textDocument: { uri, languageId: "netc", version: 0, text: "" } });
  }

  /** Resolves when the diagnostics of `version` are published, or rejects after `ms`. */
  diagnostics(version: number, ms: number): Promise<void> {
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.published.delete(version);
        reject(new Error(`no diagnostics for version ${version} within ${ms} ms`));
      }, ms);
      this.published.set(version, () => {
        clearTimeout(timer);
        this.published.delete(version);
        resolve();
      });
    });
  }

  /** CPU milliseconds the server has used (Linux: /proc, 10 ms ticks). */
  cpuMs(): number {
    // A server that has exited has no /proc entry: its exit is what the caller reports.
    if (this.exited !== undefined) return 0;
    try {
      const fields = readFileSync(`/proc/${this.child.pid}/stat`, "utf8").split(") ")[1]!.split(" ");
      return (Number(fields[11]) + Number(fields[12])) * 10;
    } catch {
      return 0;
    }
  }

  rssMiB(): number {
    const status = readFileSync(`/proc/${this.child.pid}/status`, "utf8");
    return +(Number(/VmRSS:\s+(\d+)/.exec(status)?.[1] ?? 0) / 1024).toFixed(1);
  }

  async stop(): Promise<void> {
    if (this.exited !== undefined) return;
    await this.connection.sendRequest(ShutdownRequest.type).catch(() => {});
    await this.connection.sendNotification(ExitNotification.type).catch(() => {});
    await new Promise((resolve) => (this.exited !== undefined ? resolve(null) : this.child.on("exit", resolve)));
    this.connection.dispose();
  }
}

/** Where in a text to hover and complete: its 0-based line and character at a fraction of it. */
function position(text: string, fraction: number) {
  const offset = Math.floor(text.length * fraction);
  const before = text.slice(0, offset);
  const line = before.split("\n").length - 1;
  return { line, character: offset - (before.lastIndexOf("\n") + 1) };
}

async function throughServer() {
  const uri = "file:///fuzz/model.net";
  const crashes: Finding[] = [];
  const slow: Finding[] = [];
  const wall: number[] = [];
  const cpu: number[] = [];
  let restarts = 0;
  let server = new Server();
  await server.start(uri);
  let rssAfterWarmUp = 0;
  const t0 = performance.now();
  const timed = async <T>(index: number, input: FuzzInput, what: string, request: () => Promise<T>): Promise<void> => {
    const [start, startCpu] = [performance.now(), server.cpuMs()];
    try {
      await request();
    } catch (e) {
      crashes.push({ index, what: `${what}: ${(e as Error).message}`, sample: sample(input) });
    }
    const ms = performance.now() - start;
    const msCpu = server.exited === undefined ? server.cpuMs() - startCpu : 0;
    wall.push(ms);
    cpu.push(msCpu);
    if (ms > SLOW_MS) slow.push({ index, what, ms: Math.round(ms), cpuMs: msCpu, sample: sample(input) });
  };
  for (const [index, input] of inputs()) {
    if (index === 2000) rssAfterWarmUp = server.rssMiB();
    const version = index + 1;
    await timed(index, input, "diagnostics", async () => {
      const published = server.diagnostics(version, 10_000);
      await server.connection.sendNotification(DidChangeTextDocumentNotification.type, { textDocument: { uri, version }, contentChanges: [{ text: input.text }] });
      await published;
    });
    const at = position(input.text, (index % 7) / 6);
    await timed(index, input, "hover", () => server.connection.sendRequest(HoverRequest.type, { textDocument: { uri }, position: at }));
    await timed(index, input, "completion", () => server.connection.sendRequest(CompletionRequest.type, { textDocument: { uri }, position: at }));
    if (index % 50 === 0) await timed(index, input, "formatting", () => server.connection.sendRequest(DocumentFormattingRequest.type, { textDocument: { uri }, options: { tabSize: 2, insertSpaces: true } }));
    if (server.exited !== undefined) {
      crashes.push({ index, what: `the server exited (${server.exited})`, sample: sample(input) });
      restarts++;
      server.connection.dispose();
      server = new Server();
      await server.start(uri);
    }
    if (index % 10_000 === 9_999) process.stderr.write(`lsp: ${index + 1} inputs, ${crashes.length} crashes, ${slow.length} answers over 1 s\n`);
  }
  const rssAtEnd = server.rssMiB();
  const stderr = server.stderr;
  await server.stop();
  return {
    inputs: runs,
    requests: wall.length,
    seconds: +((performance.now() - t0) / 1000).toFixed(1),
    crashes: crashes.length,
    restarts,
    stackTraces: (stderr.match(/\n\s+at /g) ?? []).length,
    wall: summary(wall),
    cpu: summary(cpu),
    rssMiB: { afterWarmUp: rssAfterWarmUp, atEnd: rssAtEnd },
    stderr: stderr.slice(0, 2000),
    findings: [...crashes, ...slow].slice(0, 50),
  };
}

// IN_PROCESS=0 or LSP=0 runs one half alone (each takes a while on 100,000 inputs).
const front = process.env["IN_PROCESS"] === "0" ? null : await inProcess();
if (front) console.log("in-process:", JSON.stringify({ ...front, findings: front.findings.length }));
const lsp = process.env["LSP"] === "0" ? null : await throughServer();
if (lsp) console.log("lsp:", JSON.stringify({ ...lsp, findings: lsp.findings.length, stderr: lsp.stderr.length }));
for (const f of [...(front?.findings ?? []), ...(lsp?.findings ?? [])]) console.log(`#${f.index} ${f.what.split("\n").slice(0, 6).join("\n    ")}${f.ms ? ` (${f.ms} ms, ${f.cpuMs} ms CPU)` : ""}: ${f.sample}`);
mkdirSync("bench", { recursive: true });
writeFileSync("bench/fuzz.json", JSON.stringify({ date: new Date().toISOString(), runs, seed, inProcess: front, lsp }, null, 2) + "\n");
const failed = (front?.crashes ?? 0) + (lsp ? lsp.crashes + lsp.stackTraces : 0);
process.exitCode = failed > 0 ? 1 : 0;
