import { spawn, type ChildProcess } from "node:child_process";
import { once } from "node:events";
import { mkdirSync, mkdtempSync, symlinkSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { pathToFileURL } from "node:url";
import { describe, expect, it } from "vitest";
import {
  DidOpenTextDocumentNotification,
  ExitNotification,
  InitializeRequest,
  InitializedNotification,
  PublishDiagnosticsNotification,
  ShutdownRequest,
  createProtocolConnection,
  type MessageReader,
  type MessageWriter,
  type PublishDiagnosticsParams,
} from "vscode-languageserver-protocol/node";
import { vscodeRequire } from "./vscode-stub.js";

/**
 * `netc lsp` started as VS Code starts it: the extension's own choice of server
 * (editors/vscode/extension.js), launched by vscode-languageclient's own code, which adds its
 * arguments (`--stdio`, `--clientProcessId=PID`, ...) and forks or spawns the process. Each
 * session then runs initialize → didOpen → publishDiagnostics → shutdown → exit.
 */

const repository = resolve(".");
const settings: Record<string, string> = {};
let workspace = repository;
const vscode = {
  version: "1.91.0",
  workspace: {
    get workspaceFolders() {
      return [{ uri: { scheme: "file", fsPath: workspace } }];
    },
    getConfiguration: () => ({ get: (key: string, fallback: unknown) => settings[key] ?? fallback }),
  },
};
const load = vscodeRequire(vscode, import.meta.url);
type ServerOptions = { module?: string; command?: string; args: string[]; transport?: unknown; options?: object };
const extension = load("../editors/vscode/extension.js") as { serverOptions(): ServerOptions };
const client = load("vscode-languageclient/node") as {
  LanguageClient: { prototype: object };
  TransportKind: { stdio: number; ipc: number; pipe: number; socket: number };
};
const { TransportKind } = client;

interface Launched {
  reader: MessageReader;
  writer: MessageWriter;
  server: ChildProcess;
  stderr: () => string;
}

/**
 * The server started by LanguageClient.createMessageTransports, the method VS Code's client
 * starts servers with. The client is made without its constructor, which registers features on
 * a running VS Code; this method reads only the fields set here.
 */
async function launch(serverOptions: ServerOptions): Promise<Launched> {
  let stderr = "";
  const launcher = Object.assign(Object.create(client.LanguageClient.prototype), {
    _serverOptions: serverOptions,
    _forceDebug: false,
    _clientOptions: {},
    _outputChannel: { info() {}, error() {}, appendLine() {} },
    _stdioOptions: { stdout: () => {}, stderr: (s: NodeJS.ReadableStream) => s.on("data", (d) => (stderr += String(d))) },
  });
  const { reader, writer } = await launcher.createMessageTransports("utf-8");
  return { reader, writer, server: launcher.serverProcess, stderr: () => stderr };
}

const model = "input 1x28x28\nconv 6 k5 | relu\nlinearr 10\n";

/** initialize → didOpen → publishDiagnostics → shutdown → exit; the server's exit code. */
async function session({ reader, writer, server, stderr }: Launched): Promise<number | null> {
  const exited = once(server, "exit");
  const connection = createProtocolConnection(reader, writer);
  const published = new Promise<PublishDiagnosticsParams>((done) => connection.onNotification(PublishDiagnosticsNotification.type, done));
  connection.listen();
  try {
    const init = await connection.sendRequest(InitializeRequest.type, { processId: process.pid, rootUri: pathToFileURL(workspace).href, capabilities: {} });
    expect(init.serverInfo?.name, stderr()).toBe("netc");
    await connection.sendNotification(InitializedNotification.type, {});
    const uri = pathToFileURL(join(workspace, "model.net")).href;
    await connection.sendNotification(DidOpenTextDocumentNotification.type, { textDocument: { uri, languageId: "netc", version: 1, text: model } });
    const { diagnostics } = await published;
    expect(diagnostics.map((d) => [d.code, d.range.start.line, String(d.message).split("\n")[0]])).toEqual([["NET010", 2, "unknown layer `linearr`"]]);
    await connection.sendRequest(ShutdownRequest.type);
    await connection.sendNotification(ExitNotification.type);
    const [code] = await exited;
    return code as number | null;
  } finally {
    connection.dispose();
    server.kill();
  }
}

describe("the VS Code extension's launch modes", () => {
  it("in a netc checkout, it forks bin/netc.mjs as a Node module: `lsp --stdio --clientProcessId=PID`", async () => {
    workspace = repository;
    const options = extension.serverOptions();
    expect(options).toMatchObject({ module: join(repository, "bin", "netc.mjs"), args: ["lsp"] });
    const launched = await launch(options);
    expect(launched.server.spawnargs.slice(1)).toEqual([join(repository, "bin", "netc.mjs"), "lsp", "--stdio", `--clientProcessId=${process.pid}`]);
    expect(await session(launched)).toBe(0);
  });

  it("with netc installed in the workspace, it runs node_modules/.bin/netc as an executable: `lsp --stdio`", async () => {
    workspace = mkdtempSync(join(tmpdir(), "netc-workspace-"));
    const bin = join(workspace, "node_modules", ".bin");
    mkdirSync(bin, { recursive: true });
    symlinkSync(join(repository, "bin", "netc.mjs"), join(bin, "netc"));
    const options = extension.serverOptions();
    expect(options).toMatchObject({ command: join(bin, "netc"), args: ["lsp"] });
    const launched = await launch(options);
    expect(launched.server.spawnargs).toEqual([join(bin, "netc"), "lsp", "--stdio"]);
    expect(await session(launched)).toBe(0);
  });

  it("with netc.server.path set to a .mjs file, it forks that file", async () => {
    workspace = mkdtempSync(join(tmpdir(), "netc-workspace-"));
    settings["server.path"] = join(repository, "bin", "netc.mjs");
    try {
      const launched = await launch(extension.serverOptions());
      expect(launched.server.spawnargs.slice(1)).toEqual([settings["server.path"], "lsp", "--stdio", `--clientProcessId=${process.pid}`]);
      expect(await session(launched)).toBe(0);
    } finally {
      delete settings["server.path"];
    }
  });
});

describe("the other transports vscode-languageclient starts servers with", () => {
  const netc = join(repository, "bin", "netc.mjs");

  it.each([
    ["a Node module over node-ipc", { module: netc, args: ["lsp"], transport: TransportKind.ipc }, ["lsp", "--node-ipc", `--clientProcessId=${process.pid}`]],
    ["a Node module over a socket", { module: netc, args: ["lsp"], transport: { kind: TransportKind.socket, port: 0 } }, ["lsp", `--clientProcessId=${process.pid}`, /^--socket=\d+$/]],
    ["an executable over a pipe", { command: netc, args: ["lsp"], transport: TransportKind.pipe }, ["lsp", /^--pipe=\S+$/]],
  ])("%s", async (_, options, expected) => {
    workspace = repository;
    const launched = await launch(options);
    const args = launched.server.spawnargs.slice(launched.server.spawnargs.indexOf(netc) + 1);
    expect(args).toEqual(expected.map((a) => (typeof a === "string" ? a : expect.stringMatching(a))));
    expect(await session(launched)).toBe(0);
  });
});

describe("--clientProcessId", () => {
  it("the server exits when the client process it names has ended", async () => {
    const editor = spawn(process.execPath, ["-e", "setInterval(() => {}, 1000)"]);
    await once(editor, "spawn");
    // Its input stays open: only the client's end can stop it.
    const server = spawn(process.execPath, ["bin/netc.mjs", "lsp", "--stdio", "--clientProcessId", String(editor.pid)], { stdio: ["pipe", "pipe", "inherit"] });
    const exited = once(server, "exit");
    try {
      const early = await Promise.race([exited, new Promise((wait) => setTimeout(wait, 1500, "running"))]);
      expect(early).toBe("running");
      editor.kill();
      const [code] = await Promise.race([exited, new Promise<never>((_, fail) => setTimeout(() => fail(new Error("the server outlived its client by 10 s")), 10_000))]);
      // No shutdown request came first: exit code 1, as the protocol asks.
      expect(code).toBe(1);
    } finally {
      server.kill();
      editor.kill();
    }
  });
});
