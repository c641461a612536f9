import { PassThrough } from "node:stream";
import fc from "fast-check";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  CompletionRequest,
  createProtocolConnection,
  DidChangeTextDocumentNotification,
  DidOpenTextDocumentNotification,
  HoverRequest,
  InitializedNotification,
  InitializeRequest,
  PublishDiagnosticsNotification,
  StreamMessageReader,
  StreamMessageWriter,
  type ProtocolConnection,
  type PublishDiagnosticsParams,
} from "vscode-languageserver-protocol/node";
import { startServer } from "../src/lsp/server.js";
import { corpus, netTexts } from "./fuzz/net-texts.js";

/**
 * The language server under fuzzed edits (a slice of `npm run fuzz`): every version's
 * diagnostics are published and every request is answered. And a burst of edits to a large
 * document is checked once, at its last version, not edit by edit.
 */

let client: ProtocolConnection;
let dispose: () => void;
const published: PublishDiagnosticsParams[] = [];
let wake: (() => void) | undefined;

beforeAll(async () => {
  const up = new PassThrough();
  const down = new PassThrough();
  const server = await startServer(new StreamMessageReader(up), new StreamMessageWriter(down), { bn: "scratch", version: "test" });
  client = createProtocolConnection(new StreamMessageReader(down), new StreamMessageWriter(up));
  client.onNotification(PublishDiagnosticsNotification.type, (p) => {
    published.push(p);
    wake?.();
  });
  client.listen();
  await client.sendRequest(InitializeRequest.type, { processId: null, rootUri: null, capabilities: {} });
  await client.sendNotification(InitializedNotification.type, {});
  dispose = () => {
    client.dispose();
    server.dispose();
  };
});
afterAll(() => dispose());

async function diagnostics(uri: string, version: number): Promise<PublishDiagnosticsParams> {
  for (;;) {
    const found = published.find((p) => p.uri === uri && p.version === version);
    if (found) return found;
    await new Promise<void>((resolve) => (wake = resolve));
  }
}

describe("language server under fuzzed edits", () => {
  it("publishes diagnostics for every version and answers hover and completion anywhere", async () => {
    const uri = "file:///fuzz/model.net";
    await client.sendNotification(DidOpenTextDocumentNotification.type, { textDocument: { uri, languageId: "netc", version: 0, text: "" } });
    const inputs = fc.sample(netTexts(corpus(), { pathologicalWeight: 0 }), { seed: 7, numRuns: 300 });
    for (const [i, { text }] of inputs.entries()) {
      const version = i + 1;
      await client.sendNotification(DidChangeTextDocumentNotification.type, { textDocument: { uri, version }, contentChanges: [{ text }] });
      const { diagnostics: found } = await diagnostics(uri, version);
      for (const d of found) expect(d.code).toMatch(/^NET\d{3}$/);
      const lines = text.split("\n");
      const line = i % lines.length;
      const position = { line, character: Math.floor((lines[line]!.length * (i % 5)) / 4) };
      await client.sendRequest(HoverRequest.type, { textDocument: { uri }, position });
      await client.sendRequest(CompletionRequest.type, { textDocument: { uri }, position });
    }
  }, 120_000);

  it("checks a burst of edits to a large document once, at the last version", async () => {
    const uri = "file:///fuzz/large.net";
    const text = `input 16x32x32\n${"conv 16 k3 p1 | relu\n".repeat(5000)}`;
    await client.sendNotification(DidOpenTextDocumentNotification.type, { textDocument: { uri, languageId: "netc", version: 1, text } });
    await diagnostics(uri, 1);
    // Ten edits sent at once: typing `x` after the first `relu`, then deleting it, and so on.
    for (let version = 2; version <= 11; version++) {
      const insert = version % 2 === 0;
      const range = { start: { line: 1, character: 20 }, end: { line: 1, character: insert ? 20 : 21 } };
      void client.sendNotification(DidChangeTextDocumentNotification.type, { textDocument: { uri, version }, contentChanges: [{ range, text: insert ? "x" : "" }] });
    }
    expect((await diagnostics(uri, 11)).diagnostics).toEqual([]);
    const checked = published.filter((p) => p.uri === uri).map((p) => p.version);
    // The first edit may be checked before the rest arrive; the ones queued behind it are not.
    expect(checked.length).toBeLessThanOrEqual(4);
    expect(checked.at(-1)).toBe(11);
  }, 60_000);
});
