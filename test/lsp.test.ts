import { spawn } from "node:child_process";
import { readFileSync } from "node:fs";
import { PassThrough } from "node:stream";
import { pathToFileURL } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  CompletionRequest,
  DefinitionRequest,
  DidChangeTextDocumentNotification,
  DidCloseTextDocumentNotification,
  DidOpenTextDocumentNotification,
  DocumentFormattingRequest,
  ExitNotification,
  HoverRequest,
  InsertTextFormat,
  InitializeRequest,
  InitializedNotification,
  PublishDiagnosticsNotification,
  ShutdownRequest,
  StreamMessageReader,
  StreamMessageWriter,
  createProtocolConnection,
  type ClientCapabilities,
  type CompletionItem,
  type CompletionList,
  type Hover,
  type Location,
  type ProtocolConnection,
  type PublishDiagnosticsParams,
  type TextEdit,
} from "vscode-languageserver-protocol/node";
import { startServer } from "../src/lsp/server.js";

/** The language server driven as an editor drives it: a real client connection over streams. */

interface Client {
  connection: ProtocolConnection;
  /** The diagnostics published for `uri` at `version` (waits for them); no version: after a close. */
  diagnostics(uri: string, version: number | undefined): Promise<PublishDiagnosticsParams>;
  dispose(): void;
}

async function connect(connection: ProtocolConnection, dispose: () => void, capabilities: ClientCapabilities = {}): Promise<Client> {
  const published: PublishDiagnosticsParams[] = [];
  const waiting: (() => void)[] = [];
  connection.onNotification(PublishDiagnosticsNotification.type, (p) => {
    published.push(p);
    for (const wake of waiting.splice(0)) wake();
  });
  connection.listen();
  const init = await connection.sendRequest(InitializeRequest.type, { processId: null, rootUri: null, capabilities, initializationOptions: { bn: "scratch" } });
  expect(init.capabilities).toMatchObject({ hoverProvider: true, definitionProvider: true, documentFormattingProvider: true, completionProvider: {} });
  await connection.sendNotification(InitializedNotification.type, {});
  return {
    connection,
    async diagnostics(uri, version) {
      for (;;) {
        const found = published.find((p) => p.uri === uri && p.version === version);
        if (found) return found;
        await new Promise<void>((wake) => waiting.push(wake));
      }
    },
    dispose,
  };
}

/** A server in this process, on in-memory streams. */
async function inMemory(capabilities: ClientCapabilities = {}): Promise<Client> {
  const up = new PassThrough();
  const down = new PassThrough();
  const server = await startServer(new StreamMessageReader(up), new StreamMessageWriter(down), { bn: "scratch", version: "test" });
  const client = createProtocolConnection(new StreamMessageReader(down), new StreamMessageWriter(up));
  return connect(
    client,
    () => {
      client.dispose();
      server.dispose();
    },
    capabilities,
  );
}

const lenetBn = readFileSync("models/lenet-bn.net", "utf8");
const resnet = readFileSync("models/resnet18.net", "utf8");

function open(client: Client, uri: string, text: string, version = 1): Promise<void> {
  return client.connection.sendNotification(DidOpenTextDocumentNotification.type, { textDocument: { uri, languageId: "netc", version, text } });
}

function hoverText(h: Hover | null): string {
  const contents = h?.contents;
  return contents && typeof contents === "object" && "value" in contents ? contents.value : "";
}

function labels(result: CompletionItem[] | CompletionList | null): string[] {
  return (Array.isArray(result) ? result : (result?.items ?? [])).map((i) => i.label);
}

/** The 0-based position of the `nth` occurrence of `needle` in `text` (plus `delta` characters). */
function at(text: string, needle: string, delta = 0, nth = 1): { line: number; character: number } {
  let offset = -1;
  for (let i = 0; i < nth; i++) offset = text.indexOf(needle, offset + 1);
  if (offset < 0) throw new Error(`${needle} not found`);
  const before = text.slice(0, offset + delta);
  const line = before.split("\n").length - 1;
  return { line, character: before.length - (before.lastIndexOf("\n") + 1) };
}

describe("language server (in memory)", () => {
  let client: Client;
  beforeAll(async () => {
    client = await inMemory();
  });
  afterAll(() => client.dispose());

  it("publishes located diagnostics on open, and again after every change", async () => {
    const uri = "file:///work/broken.net";
    const text = "input 1x28x28\nconv 6 k5 | relu\nconvv 16 k5\nflatten\nlinear 10\n";
    await open(client, uri, text);
    const first = await client.diagnostics(uri, 1);
    expect(first.diagnostics).toHaveLength(1);
    expect(first.diagnostics[0]).toMatchObject({ code: "NET010", severity: 1, source: "netc", range: { start: { line: 2, character: 0 }, end: { line: 2, character: 5 } } });
    expect(first.diagnostics[0]!.message).toContain("unknown layer `convv`");
    expect(first.diagnostics[0]!.message).toContain("hint: a layer with a similar name exists: `conv`");

    // The editor sends the edit only: delete the extra `v`.
    await client.connection.sendNotification(DidChangeTextDocumentNotification.type, {
      textDocument: { uri, version: 2 },
      contentChanges: [{ range: { start: { line: 2, character: 4 }, end: { line: 2, character: 5 } }, text: "" }],
    });
    expect((await client.diagnostics(uri, 2)).diagnostics).toEqual([]);

    // A shape mistake: a linear layer straight after a conv.
    await client.connection.sendNotification(DidChangeTextDocumentNotification.type, {
      textDocument: { uri, version: 3 },
      contentChanges: [{ range: { start: { line: 3, character: 0 }, end: { line: 4, character: 0 } }, text: "" }],
    });
    const shape = (await client.diagnostics(uri, 3)).diagnostics;
    expect(shape.map((d) => d.code)).toEqual(["NET103"]);
    expect(shape[0]!.range).toEqual({ start: { line: 3, character: 0 }, end: { line: 3, character: 9 } });
  });

  it("reports syntax errors and warnings with ranges and related locations", async () => {
    const uri = "file:///work/warn.net";
    const text = "input 1x28x28\nconv 6 k5 | bn | relu\nconv 6 k3 }\n";
    await open(client, uri, text);
    const diagnostics = (await client.diagnostics(uri, 1)).diagnostics;
    const warning = diagnostics.find((d) => d.code === "NET200")!;
    expect(warning).toMatchObject({ severity: 2, range: { start: { line: 1, character: 0 }, end: { line: 1, character: 9 } } });
    expect(warning.relatedInformation?.[0]).toMatchObject({ location: { uri, range: { start: { line: 1, character: 12 } } } });
    expect(diagnostics.find((d) => d.code === "NET002")).toMatchObject({ severity: 1, range: { start: { line: 2, character: 10 }, end: { line: 2, character: 11 } } });
  });

  it("clears diagnostics when a document is closed", async () => {
    const uri = "file:///work/closing.net";
    await open(client, uri, "convv\n");
    expect((await client.diagnostics(uri, 1)).diagnostics.length).toBeGreaterThan(0);
    await client.connection.sendNotification(DidCloseTextDocumentNotification.type, { textDocument: { uri } });
    expect((await client.diagnostics(uri, undefined)).diagnostics).toEqual([]);
  });

  it("shows a layer's input and output shape, parameters and documentation on hover", async () => {
    const uri = "file:///work/lenet-bn.net";
    await open(client, uri, lenetBn);
    await client.diagnostics(uri, 1);
    const conv = hoverText(await client.connection.sendRequest(HoverRequest.type, { textDocument: { uri }, position: at(lenetBn, "conv 6 k5", 1) }));
    expect(conv).toContain("`1×28×28 → 6×24×24` · 156 parameters");
    expect(conv).toContain("2-D convolution");
    expect(conv).toContain("kernel size");
    const bn = hoverText(await client.connection.sendRequest(HoverRequest.type, { textDocument: { uri }, position: at(lenetBn, "bn", 0, 4) }));
    expect(bn).toContain("`120 → 120` · 240 parameters, +240 moving statistics");
    const arg = await client.connection.sendRequest(HoverRequest.type, { textDocument: { uri }, position: at(lenetBn, "k5") });
    expect(hoverText(arg)).toContain("`kN` or `kernel=N`: kernel size");
    expect(arg?.range).toEqual({ start: at(lenetBn, "k5"), end: at(lenetBn, "k5", 2) });
  });

  it("shows the normalization layers' shapes, counts, documentation and options on hover", async () => {
    const uri = "file:///work/norms.net";
    const text = readFileSync("test/format/normalization.expected", "utf8");
    await open(client, uri, text);
    // `linear 84 | bn`: the bias warning, nothing else.
    expect((await client.diagnostics(uri, 1)).diagnostics.map((d) => d.code)).toEqual(["NET200"]);
    const hover = async (needle: string, delta = 0) => hoverText(await client.connection.sendRequest(HoverRequest.type, { textDocument: { uri }, position: at(text, needle, delta) }));
    const layernorm = await hover("layernorm");
    expect(layernorm).toContain("`6×28×28 → 6×28×28` · 9,408 parameters");
    expect(layernorm).toContain("PyTorch `nn.LayerNorm`");
    expect(await hover("groupnorm")).toContain("`16×24×24 → 16×24×24` · 32 parameters");
    expect(await hover("instancenorm")).toContain("`16×12×12 → 16×12×12` · 32 parameters, +32 moving statistics");
    const iternorm = await hover("iternorm");
    expect(iternorm).toContain("`16×12×12 → 16×12×12` · 32 parameters, +80 moving statistics");
    expect(iternorm).toContain("its gradient is autodiff's");
    expect(await hover("bn affine=false")).toContain("`120 → 120`");
    expect(await hover("affine=false")).toContain("`affine=false`: no learned per-channel scale γ and shift β");
    expect(await hover("momentum=none")).toContain("`momentum=N` or `momentum=none`");
    expect(await hover("track=true")).toContain("`track` or `track=true`: keep moving statistics");
  });

  it("shows every distinct shape of a layer inside a block, and a block use's signature", async () => {
    const uri = "file:///work/resnet18.net";
    await open(client, uri, resnet);
    await client.diagnostics(uri, 1);
    // The first conv of `residual`, used by `repeat 2 { residual 64 }` and by each resnet_block.
    const inner = hoverText(await client.connection.sendRequest(HoverRequest.type, { textDocument: { uri }, position: at(resnet, "conv c k3 p1 | bn | relu") }));
    expect(inner).toContain("used 5×:");
    expect(inner).toContain("- `64×24×24 → 64×24×24` · 36,928 parameters (2×)");
    expect(inner).toContain("- `512×3×3 → 512×3×3`");
    const use = hoverText(await client.connection.sendRequest(HoverRequest.type, { textDocument: { uri }, position: at(resnet, "resnet_block 128") }));
    expect(use).toContain("block resnet_block(c)");
    expect(use).toContain("resnet_block(in, c, 2): halve H/W");
    expect(use).toContain("`64×24×24 → 128×12×12`");
    const def = hoverText(await client.connection.sendRequest(HoverRequest.type, { textDocument: { uri }, position: at(resnet, "residual_1x1(c, s=1)") }));
    expect(def).toContain("block residual_1x1(c, s=1)");
    expect(def).toContain("used 3×:");
  });

  it("completes layer names and blocks, then a layer's options", async () => {
    const uri = "file:///work/complete.net";
    const text = "input 1x28x28\nblock unit(c) {\n  conv c k3 \n}\nconv 6 k5 | \nunit 4 \n";
    await open(client, uri, text);
    await client.diagnostics(uri, 1);
    const complete = (position: { line: number; character: number }) => client.connection.sendRequest(CompletionRequest.type, { textDocument: { uri }, position });
    const start = labels(await complete({ line: 4, character: 12 }));
    expect(start).toEqual(expect.arrayContaining(["conv", "linear", "bn", "dense", "unit", "repeat"]));
    const options = labels(await complete({ line: 2, character: 12 }));
    expect(options).toEqual(expect.arrayContaining(["sN", "stride=", "pN", "padding=", "nobias", "c"]));
    expect(options).not.toContain("kN");
    expect(options).not.toContain("conv");
    expect(labels(await complete({ line: 5, character: 7 }))).toEqual(["c="]);
    // A bool option as the spelling that changes its default.
    const norms = "file:///work/complete-norms.net";
    await open(client, norms, "input 1x28x28\nconv 6 k5 | bn \nconv 6 k5 | instancenorm affine \n");
    await client.diagnostics(norms, 1);
    const completeIn = async (line: number, character: number) => labels(await client.connection.sendRequest(CompletionRequest.type, { textDocument: { uri: norms }, position: { line, character } }));
    expect(await completeIn(1, 15)).toEqual(expect.arrayContaining(["eps=", "momentum=", "affine=false", "track=false", "scratch", "builtin"]));
    const instancenorm = await completeIn(2, 32);
    expect(instancenorm).toEqual(expect.arrayContaining(["track", "momentum=", "eps="]));
    expect(instancenorm).not.toContain("affine");
    const header = labels(await complete({ line: 0, character: 0 }));
    expect(header).toEqual(expect.arrayContaining(["model", "input", "train", "block", "conv"]));
  });

  it("completes and explains the `train` header's settings, and reports their conflicts", async () => {
    const uri = "file:///work/train.net";
    const text = "model m\ninput 3x32x32\ntrain optimizer=adam momentum=0.9 data=cifar10 \nconv 6 k5 | gap | flatten\nlinear 10\n";
    await open(client, uri, text);
    const diagnostics = (await client.diagnostics(uri, 1)).diagnostics;
    expect(diagnostics.map((d) => d.code)).toEqual(["NET033"]);
    expect(diagnostics[0]!.range.start).toEqual(at(text, "momentum"));
    expect(diagnostics[0]!.message).toContain("`momentum` is an option of `sgd`, not of `adam`");

    const complete = async (position: { line: number; character: number }, source = text) => {
      await client.connection.sendNotification(DidChangeTextDocumentNotification.type, { textDocument: { uri, version: 2 + complete.calls++ }, contentChanges: [{ text: source }] });
      return labels(await client.connection.sendRequest(CompletionRequest.type, { textDocument: { uri }, position }));
    };
    complete.calls = 0;
    const options = await complete(at(text, "data=cifar10 ", 13));
    expect(options).toEqual(expect.arrayContaining(["lr=", "nesterov", "wd=", "betas=", "constant", "cosine", "normalize=", "flip", "crop="]));
    // Given already: the optimizer, momentum and data (none of their words or keys again).
    for (const given of ["sgd", "adamw", "momentum=", "mnist", "optimizer="]) expect(options).not.toContain(given);
    const typed = "model m\ntrain optimizer=a\n";
    expect(await complete(at(typed, "=a", 2), typed)).toEqual(["sgd", "adam", "adamw"]);
    const data = "model m\ntrain data=\n";
    expect(await complete(at(data, "data=", 5), data)).toEqual(["fashion-mnist", "mnist", "cifar10"]);

    await complete({ line: 0, character: 0 });
    const hoverAt = async (needle: string, delta = 0) => hoverText(await client.connection.sendRequest(HoverRequest.type, { textDocument: { uri }, position: at(text, needle, delta) }));
    const keyword = await hoverAt("train", 1);
    expect(keyword).toContain("**train**");
    expect(keyword).toContain("`adam lr 0.001, 10 epochs, batch 128, cifar10`");
    expect(keyword).toContain("`nesterov`: sgd: Nesterov momentum");
    expect(await hoverAt("optimizer=adam", 3)).toContain("`sgd | adam | adamw`: the update");
    const dataset = await hoverAt("cifar10", 2);
    expect(dataset).toContain("**CIFAR-10**: colour 32×32 photos");
    expect(dataset).toContain("images 3×32×32");
    expect(await hoverAt("momentum", 2)).toContain("`momentum=N`: sgd: momentum factor, with dampening 0 as torch.optim.SGD (default 0)");
  });

  it("goes to a block's definition from its use, and to a parameter's declaration", async () => {
    const uri = "file:///work/resnet18.net";
    const toBlock = (await client.connection.sendRequest(DefinitionRequest.type, { textDocument: { uri }, position: at(resnet, "resnet_block 256", 3) })) as Location;
    expect(toBlock).toEqual({ uri, range: { start: at(resnet, "resnet_block(c)"), end: at(resnet, "resnet_block(c)", "resnet_block".length) } });
    const toParam = (await client.connection.sendRequest(DefinitionRequest.type, { textDocument: { uri }, position: at(resnet, "p1 s=s", 5) })) as Location;
    expect(toParam.range.start).toEqual(at(resnet, "s=1)"));
  });

  it("formats a document through the formatter", async () => {
    const uri = "file:///work/messy.net";
    const messy = readFileSync("test/format/spacing.net", "utf8");
    await open(client, uri, messy);
    const edits = (await client.connection.sendRequest(DocumentFormattingRequest.type, { textDocument: { uri }, options: { tabSize: 2, insertSpaces: true } })) as TextEdit[];
    expect(edits).toHaveLength(1);
    expect(edits[0]!.newText).toBe(readFileSync("test/format/spacing.expected", "utf8"));
    expect(edits[0]!.range.start).toEqual({ line: 0, character: 0 });

    const broken = "file:///work/broken-syntax.net";
    await open(client, broken, "conv 6 k5 ||\n");
    expect(await client.connection.sendRequest(DocumentFormattingRequest.type, { textDocument: { uri: broken }, options: { tabSize: 2, insertSpaces: true } })).toEqual([]);
  });
});

describe("completion, for clients with and without snippets", () => {
  const text = "model m\ninput 1x28x28\nblock unit(c, s=2) {\n  conv c k3 \n}\n\nconv 6 k5 | \nunit 4 \n";
  const uri = "file:///work/snippets.net";
  const complete = async (client: Client, position: { line: number; character: number }, source = text) => {
    await open(client, uri, source);
    await client.diagnostics(uri, 1);
    const result = await client.connection.sendRequest(CompletionRequest.type, { textDocument: { uri }, position });
    await client.connection.sendNotification(DidCloseTextDocumentNotification.type, { textDocument: { uri } });
    return Array.isArray(result) ? result : (result?.items ?? []);
  };
  const item = (items: CompletionItem[], label: string) => items.find((i) => i.label === label);
  const snippetClient = { textDocument: { completion: { completionItem: { snippetSupport: true } } } };
  const plainClient = { textDocument: { completion: { completionItem: { snippetSupport: false } } } };

  it("a client without snippet support gets plain text to insert", async () => {
    for (const capabilities of [plainClient, {}]) {
      const client = await inMemory(capabilities);
      const conv = await complete(client, { line: 3, character: 12 });
      expect(item(conv, "sN")).toMatchObject({ filterText: "s", insertText: "s" });
      expect(item(conv, "padding=")).toMatchObject({ insertText: "padding=" });
      expect(item(conv, "padding=")?.insertTextFormat).toBeUndefined();
      const use = await complete(client, { line: 7, character: 7 });
      expect(item(use, "s=")).toMatchObject({ insertText: "s=" });
      expect(conv.concat(use).filter((i) => i.insertTextFormat === InsertTextFormat.Snippet || /\$/.test(i.insertText ?? ""))).toEqual([]);
      client.dispose();
    }
  });

  it("a client with snippet support gets the default value selected", async () => {
    const client = await inMemory(snippetClient);
    const conv = await complete(client, { line: 3, character: 12 });
    expect(item(conv, "padding=")).toMatchObject({ insertText: "padding=${1:0}", insertTextFormat: InsertTextFormat.Snippet });
    expect(item(conv, "pN")).toMatchObject({ insertText: "p${1:0}", insertTextFormat: InsertTextFormat.Snippet });
    const use = await complete(client, { line: 7, character: 7 });
    expect(item(use, "s=")).toMatchObject({ insertText: "s=${1:2}", insertTextFormat: InsertTextFormat.Snippet });
    // No default: an empty placeholder.
    expect(item(use, "c=")).toMatchObject({ insertText: "c=$1", insertTextFormat: InsertTextFormat.Snippet });
    client.dispose();
  });

  it("offers `model`, `input` and `train` only where a header may go, each once", async () => {
    const client = await inMemory(snippetClient);
    const keywords = async (position: { line: number; character: number }, source = text) =>
      (await complete(client, position, source)).filter((i) => ["model", "input", "train", "block", "repeat"].includes(i.label)).map((i) => i.label);
    // Before the layers, with `model` and `input` written: `train`, and the others always.
    expect(await keywords({ line: 5, character: 0 })).toEqual(["train", "block", "repeat"]);
    // After the first layer: no header.
    expect(await keywords({ line: 8, character: 0 })).toEqual(["block", "repeat"]);
    // Inside a block: layers only.
    expect(await keywords({ line: 3, character: 2 }, "input 1x28x28\nblock b {\n  relu\n  \n}\n")).toEqual(["repeat"]);
    // The header being typed counts neither as written nor as a layer.
    expect(await keywords({ line: 1, character: 3 }, "model m\ninp\nconv 6 k5\n")).toEqual(["input", "train", "block", "repeat"]);
    // A file without layers yet takes all three.
    expect(await keywords({ line: 0, character: 0 }, "\n")).toEqual(["model", "input", "train", "block", "repeat"]);
    client.dispose();
  });
});

describe("`netc lsp` over stdio", () => {
  it("serves an editor through the bundled CLI, and exits cleanly", async () => {
    const child = spawn(process.execPath, ["bin/netc.mjs", "lsp", "--stdio"], { stdio: ["pipe", "pipe", "inherit"] });
    const exited = new Promise<number | null>((resolve) => child.on("exit", resolve));
    const connection = createProtocolConnection(new StreamMessageReader(child.stdout), new StreamMessageWriter(child.stdin));
    const client = await connect(connection, () => connection.dispose());
    const uri = pathToFileURL("models/lenet-bn.net").href;
    const broken = lenetBn.replace("flatten", "");
    await open(client, uri, broken);
    const published = await client.diagnostics(uri, 1);
    expect(published.diagnostics.map((d) => [d.code, d.range.start.line])).toContainEqual(["NET103", 6]);
    const h = hoverText(await connection.sendRequest(HoverRequest.type, { textDocument: { uri }, position: at(broken, "avgpool", 0, 2) }));
    expect(h).toContain("`16×8×8 → 16×4×4`");
    await connection.sendRequest(ShutdownRequest.type);
    await connection.sendNotification(ExitNotification.type);
    expect(await exited).toBe(0);
    client.dispose();
  });
});
