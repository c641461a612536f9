import { once } from "node:events";
import { createConnection } from "node:net";
import type { Connection, InitializeResult, MessageReader, MessageWriter } from "vscode-languageserver";
import type { TextDocument } from "vscode-languageserver-textdocument";
import { UserError } from "../errors.js";
import type { BuildOptions } from "../layers/types.js";
import { analyze, type Analysis } from "./analysis.js";
import { complete, type CompletionOptions } from "./completion.js";
import { definition } from "./definition.js";
import { lspDiagnostics } from "./diagnostics.js";
import { formatDocument } from "./formatting.js";
import { hover } from "./hover.js";
import { CheckScheduler } from "./schedule.js";

/**
 * `netc lsp`: the Language Server Protocol over a pair of streams, with Microsoft's
 * vscode-languageserver doing the protocol. Every change re-checks the whole document (the front
 * end is fast enough: see scripts/bench-lsp.mjs) and publishes its diagnostics; hover,
 * completion, definition and formatting read the latest check. The protocol libraries load only
 * here, so `netc check` never pays for them.
 */

export interface ServerOptions extends BuildOptions {
  version: string;
}

type Input = NodeJS.ReadableStream | MessageReader;
type Output = NodeJS.WritableStream | MessageWriter;

// LSP's TextDocumentSyncKind.Incremental, as a number: the protocol module loads lazily.
const INCREMENTAL = 2;

/**
 * Starts a server on `input`/`output` and returns its connection. The `exit` notification exits
 * the process, as LSP servers do; so does the end of the input when it is a stream (stdio). The
 * tests drive it in-process through a MessageReader/MessageWriter pair, and never send `exit`.
 */
export async function startServer(input: Input, output: Output, options: ServerOptions): Promise<Connection> {
  const lsp = await import("vscode-languageserver/node");
  const { TextDocument: Documents } = await import("vscode-languageserver-textdocument");
  const connection = lsp.createConnection(lsp.ProposedFeatures.all, input as MessageReader, output as MessageWriter);
  const documents = new lsp.TextDocuments(Documents);
  const cache = new Map<string, Analysis>();
  let build: BuildOptions = { bn: options.bn };
  let completion: CompletionOptions = { snippets: false };

  const analysisOf = (doc: TextDocument): Analysis => {
    const cached = cache.get(doc.uri);
    if (cached && cached.version === doc.version) return cached;
    const fresh = analyze(doc.uri, doc.version, doc.getText(), build);
    cache.set(doc.uri, fresh);
    return fresh;
  };
  const withDocument = <T>(uri: string, f: (analysis: Analysis, doc: TextDocument) => T): T | null => {
    const doc = documents.get(uri);
    return doc ? f(analysisOf(doc), doc) : null;
  };

  connection.onInitialize((params): InitializeResult => {
    const bn = (params.initializationOptions as { bn?: unknown } | undefined)?.bn;
    if (bn === "scratch" || bn === "builtin") build = { bn };
    completion = { snippets: params.capabilities.textDocument?.completion?.completionItem?.snippetSupport === true };
    return {
      capabilities: {
        textDocumentSync: INCREMENTAL,
        hoverProvider: true,
        completionProvider: { triggerCharacters: [" ", "|", "="] },
        definitionProvider: true,
        documentFormattingProvider: true,
      },
      serverInfo: { name: "netc", version: options.version },
    };
  });

  const checks = new CheckScheduler((uri) => {
    const doc = documents.get(uri);
    if (!doc) return;
    const analysis = analysisOf(doc);
    void connection.sendDiagnostics({ uri: analysis.uri, version: analysis.version, diagnostics: lspDiagnostics(analysis) });
  });
  documents.onDidChangeContent((event) => checks.changed(event.document.uri));
  documents.onDidClose((event) => {
    checks.closed(event.document.uri);
    cache.delete(event.document.uri);
    void connection.sendDiagnostics({ uri: event.document.uri, diagnostics: [] });
  });
  connection.onExit(() => checks.dispose());
  // Nor after the connection is disposed (a client in-process ends it so): sending would throw.
  const disposeConnection = connection.dispose.bind(connection);
  connection.dispose = () => {
    checks.dispose();
    disposeConnection();
  };

  connection.onHover((p) => withDocument(p.textDocument.uri, (a, doc) => hover(a, doc.offsetAt(p.position))));
  connection.onCompletion((p) => withDocument(p.textDocument.uri, (a, doc) => complete(a, doc.offsetAt(p.position), completion)));
  connection.onDefinition((p) => withDocument(p.textDocument.uri, (a, doc) => definition(a, doc.offsetAt(p.position))));
  connection.onDocumentFormatting((p) => withDocument(p.textDocument.uri, (a) => formatDocument(a, p.options)) ?? []);

  documents.listen(connection);
  connection.listen();
  return connection;
}

/** How `netc lsp` talks to its client: the transports LSP clients start servers with. */
export type Transport = { kind: "stdio" } | { kind: "node-ipc" } | { kind: "socket"; port: number } | { kind: "pipe"; name: string };

/**
 * `netc lsp`: a server on `transport`. Nothing else may write to stdout. The client's process id
 * (`--clientProcessId`, or `processId` in the initialize request) is watched by
 * vscode-languageserver itself, which reads the argument from `process.argv` when it loads: the
 * server exits within seconds of its client's end.
 */
export async function runServer(transport: Transport, options: ServerOptions): Promise<void> {
  console.log = console.info = console.warn = console.error;
  const lsp = await import("vscode-languageserver/node");
  switch (transport.kind) {
    case "stdio":
      await startServer(process.stdin, process.stdout, options);
      return;
    case "node-ipc":
      await startServer(new lsp.IPCMessageReader(process), new lsp.IPCMessageWriter(process), options);
      return;
    case "socket":
    case "pipe": {
      // The client listens; the server connects (as vscode-jsonrpc's createServerSocketTransport).
      const [socket, where] = transport.kind === "socket" ? [createConnection(transport.port, "127.0.0.1"), `port ${transport.port}`] : [createConnection(transport.name), transport.name];
      await once(socket, "connect").catch((e: Error) => {
        throw new UserError(`cannot connect to the language client at ${where}: ${e.message}`, ["--socket and --pipe are for language clients, which listen there before they start the server; by hand, use --stdio"]);
      });
      await startServer(new lsp.SocketMessageReader(socket), new lsp.SocketMessageWriter(socket), options);
      return;
    }
  }
}
