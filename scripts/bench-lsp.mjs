// How fast `netc lsp` re-checks a document while you type: a generated 500-line model is opened
// in the bundled server (spawned as an editor spawns it), then edited many times; each edit's
// time is from sending `didChange` to receiving the `publishDiagnostics` of that version.
// Run `npm run build` first. Writes bench/lsp.json.
import { spawn } from "node:child_process";
import { mkdirSync, writeFileSync } from "node:fs";
import {
  createProtocolConnection,
  DidChangeTextDocumentNotification,
  DidOpenTextDocumentNotification,
  ExitNotification,
  InitializedNotification,
  InitializeRequest,
  PublishDiagnosticsNotification,
  ShutdownRequest,
  StreamMessageReader,
  StreamMessageWriter,
} from "vscode-languageserver-protocol/node";

const edits = Number(process.env.EDITS ?? 200);

/** A 500-line model: blocks, comments, long chains; it checks without errors. */
function model(lines) {
  const out = ["# generated for scripts/bench-lsp.mjs", "model bench", "input 16x32x32", "", "block unit(c) {", "  conv c k3 p1 nobias | bn | relu", "  add {", "    conv c k3 p1 nobias | bn | relu", "    conv c k3 p1 nobias | bn", "  } {", "    identity", "  }", "  relu", "}", ""];
  let i = 0;
  while (out.length < lines - 2) {
    if (i % 10 === 0) out.push(`# section ${i / 10}`);
    out.push(i % 3 === 0 ? "unit 16" : "conv 16 k3 p1 nobias | bn | relu | dropout 0.1");
    i++;
  }
  out.push("gap | flatten", "linear 10");
  return out.join("\n") + "\n";
}

const text = model(500);
const uri = "file:///bench/model.net";
const server = spawn(process.execPath, ["bin/netc.mjs", "lsp", "--stdio"], { stdio: ["pipe", "pipe", "inherit"] });
const connection = createProtocolConnection(new StreamMessageReader(server.stdout), new StreamMessageWriter(server.stdin));
const waiting = new Map();
const published = new Map();
connection.onNotification(PublishDiagnosticsNotification.type, (p) => {
  published.set(p.version, p);
  waiting.get(p.version)?.(p);
});
connection.listen();
const diagnosticsOf = (version) => published.get(version) ?? new Promise((resolve) => waiting.set(version, resolve));

await connection.sendRequest(InitializeRequest.type, { processId: process.pid, rootUri: null, capabilities: {} });
await connection.sendNotification(InitializedNotification.type, {});
await connection.sendNotification(DidOpenTextDocumentNotification.type, { textDocument: { uri, languageId: "netc", version: 1, text } });
const opened = await diagnosticsOf(1);
if (opened.diagnostics.length > 0) throw new Error(`the benchmark model has problems: ${opened.diagnostics.map((d) => d.message).join("; ")}`);

// Typing in the middle of the file: `relu` → `relux` (an unknown layer) → `relu`, and so on.
const line = Math.floor(text.split("\n").length / 2);
const column = text.split("\n")[line].indexOf("relu") + 4;
const times = [];
for (let version = 2; version < edits + 2; version++) {
  const insert = version % 2 === 0;
  const range = { start: { line, character: column }, end: { line, character: insert ? column : column + 1 } };
  const t0 = process.hrtime.bigint();
  await connection.sendNotification(DidChangeTextDocumentNotification.type, { textDocument: { uri, version }, contentChanges: [{ range, text: insert ? "x" : "" }] });
  const p = await diagnosticsOf(version);
  times.push(Number(process.hrtime.bigint() - t0) / 1e6);
  if (p.diagnostics.length !== (insert ? 1 : 0)) throw new Error(`unexpected diagnostics at version ${version}`);
}
await connection.sendRequest(ShutdownRequest.type);
await connection.sendNotification(ExitNotification.type);
connection.dispose();

const sorted = [...times].sort((a, b) => a - b);
const pick = (q) => +sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))].toFixed(2);
const result = { lines: text.split("\n").length - 1, edits, medianMs: pick(0.5), p90Ms: pick(0.9), maxMs: pick(1) };
console.table([result]);
mkdirSync("bench", { recursive: true });
writeFileSync("bench/lsp.json", JSON.stringify({ date: new Date().toISOString(), ...result }, null, 2) + "\n");
