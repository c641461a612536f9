import Module, { createRequire } from "node:module";

/**
 * Loads code written for VS Code's extension host (the extension, vscode-languageclient) in
 * plain Node: their `require("vscode")` gets `api`, and any other part of VS Code's API they
 * touch while loading (classes they extend) an empty class. Only what the tests call has to
 * work; VS Code itself is not here.
 */

type Resolve = (request: string, ...rest: unknown[]) => string;
const loader = Module as unknown as { _resolveFilename: Resolve; _cache: Record<string, unknown> };
const STUB = "vscode (test stub)";

export function vscodeRequire(api: Record<string, unknown>, from: string): (id: string) => unknown {
  const exports = new Proxy(api, { get: (target, key) => (key in target ? target[key as string] : typeof key === "symbol" ? undefined : class {}) });
  const resolve = loader._resolveFilename;
  const require = createRequire(from);
  return (id) => {
    // Node's require has no hook for a module that does not exist: its resolver is wrapped
    // while `id` loads (the modules keep what they required).
    loader._resolveFilename = function (this: unknown, request, ...rest) {
      return request === "vscode" ? STUB : resolve.call(this, request, ...rest);
    };
    loader._cache[STUB] = { id: STUB, filename: STUB, loaded: true, exports };
    try {
      return require(id);
    } finally {
      loader._resolveFilename = resolve;
    }
  };
}
