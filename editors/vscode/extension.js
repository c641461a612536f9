// The netc extension: the TextMate grammar (package.json) and a client for `netc lsp`, which
// provides diagnostics, hover (shapes), completion, go to definition and formatting.
const { existsSync, readFileSync } = require("node:fs");
const { homedir } = require("node:os");
const { join } = require("node:path");
const vscode = require("vscode");
const { LanguageClient, TransportKind } = require("vscode-languageclient/node");

/** @type {LanguageClient | undefined} */
let client;

/** How to start `netc lsp`: the setting, the workspace's netc, or `netc` on PATH (exported for the tests). */
function serverOptions() {
  const configured = vscode.workspace.getConfiguration("netc").get("server.path", "").replace(/^~(?=$|[\\/])/, homedir());
  const script = (path) => ({ module: path, args: ["lsp"], transport: TransportKind.stdio });
  const executable = (command) => ({ command, args: ["lsp"], transport: TransportKind.stdio, options: { shell: process.platform === "win32" } });
  if (configured) return /\.[cm]?js$/.test(configured) ? script(configured) : executable(configured);
  for (const folder of vscode.workspace.workspaceFolders ?? []) {
    const root = folder.uri.fsPath;
    const installed = join(root, "node_modules", ".bin", process.platform === "win32" ? "netc.cmd" : "netc");
    if (existsSync(installed)) return executable(installed);
    // The netc repository itself (after `npm install`, which builds dist/).
    const own = join(root, "bin", "netc.mjs");
    try {
      if (existsSync(own) && JSON.parse(readFileSync(join(root, "package.json"), "utf8")).name === "netc") return script(own);
    } catch {
      // not a package: keep looking
    }
  }
  return executable("netc");
}

function activate() {
  const run = serverOptions();
  client = new LanguageClient(
    "netc",
    "netc",
    { run, debug: run },
    {
      documentSelector: [{ language: "netc" }],
      initializationOptions: { bn: vscode.workspace.getConfiguration("netc").get("bn", "scratch") },
    },
  );
  return client.start();
}

function deactivate() {
  return client?.stop();
}

module.exports = { activate, deactivate, serverOptions };
