/**
 * `netc serve`'s HTTP server, on 127.0.0.1 only: the page's files (dist/web), the model file it
 * was given, the Fashion-MNIST files the usual lookup found (the browser cannot read them from
 * disk), and config.json telling the page about those two. Every URL it answers is decided when
 * it starts, from a list of the bundle's regular files: nothing else on disk is reachable, however
 * a path is spelt (`..`, encoded slashes, symlinks), and no directory is listed.
 */
import { createReadStream } from "node:fs";
import { lstat, readdir, readFile, realpath } from "node:fs/promises";
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { basename, extname, join, sep } from "node:path";
import type { FoundFiles } from "../runtime/datasets/load.js";
import { IDX_FILES } from "../runtime/fashion-mnist.js";

const TYPES: Record<string, string> = {
  ".html": "text/html; charset=utf-8",
  ".js": "text/javascript; charset=utf-8",
  ".css": "text/css; charset=utf-8",
  ".json": "application/json; charset=utf-8",
  ".map": "application/json; charset=utf-8",
  ".wasm": "application/wasm",
  ".net": "text/plain; charset=utf-8",
  ".gz": "application/gzip",
  ".svg": "image/svg+xml",
  ".png": "image/png",
};

export interface ServeOptions {
  /** The page's directory (dist/web). */
  root: string;
  port: number;
  /** The model file given on the command line. */
  model?: string;
  /** The Fashion-MNIST files found, with the directory they are in. */
  data?: FoundFiles;
}

export interface Serving {
  url: string;
  server: Server;
  close(): Promise<void>;
}

/** What a URL path serves: a file on disk, or bytes made when asked. */
type Route = { file: string } | { make: () => Promise<string | Uint8Array>; type: string };

/** The regular files below `root`, by URL path; symlinks and anything else are left out. */
async function bundleFiles(root: string): Promise<Map<string, Route>> {
  const routes = new Map<string, Route>();
  const base = await realpath(root);
  const walk = async (dir: string, prefix: string) => {
    for (const entry of await readdir(dir, { withFileTypes: true })) {
      const path = join(dir, entry.name);
      if (entry.isDirectory()) await walk(path, `${prefix}${entry.name}/`);
      else if (entry.isFile() && (await lstat(path)).isFile() && (await realpath(path)).startsWith(base + sep)) routes.set(`${prefix}${entry.name}`, { file: path });
    }
  };
  await walk(base, "/");
  return routes;
}

function serveConfig(options: ServeOptions) {
  return {
    ...(options.model ? { model: { name: basename(options.model), url: "model.net" } } : {}),
    ...(options.data ? { data: { name: options.data.dir, files: Object.fromEntries(IDX_FILES.map((f) => [f, `data/${basename(options.data!.files[f])}`])) } } : {}),
  };
}

async function routesFor(options: ServeOptions): Promise<Map<string, Route>> {
  const routes = await bundleFiles(options.root);
  const index = routes.get("/index.html");
  if (!index) throw new Error(`${options.root} holds no index.html (run \`npm run build\`)`);
  routes.set("/", index);
  routes.set("/config.json", { make: async () => JSON.stringify(serveConfig(options)), type: TYPES[".json"]! });
  // Read when asked, so a reload shows the file as it is now.
  if (options.model) routes.set("/model.net", { make: () => readFile(options.model!), type: TYPES[".net"]! });
  if (options.data) for (const file of Object.values(options.data.files)) routes.set(`/data/${basename(file)}`, { file });
  return routes;
}

/**
 * Headers of every answer. The page is cross-origin isolated (COOP and COEP), which lets tfjs's
 * WebAssembly backend run threads; nothing here may be read by other sites.
 */
const COMMON_HEADERS = {
  "Cross-Origin-Opener-Policy": "same-origin",
  "Cross-Origin-Embedder-Policy": "require-corp",
  "Cross-Origin-Resource-Policy": "same-origin",
  "X-Content-Type-Options": "nosniff",
  "Cache-Control": "no-cache",
};

function answer(res: ServerResponse, status: number, text: string): void {
  res.writeHead(status, { ...COMMON_HEADERS, "Content-Type": "text/plain; charset=utf-8" });
  res.end(`${text}\n`);
}

function handler(routes: Map<string, Route>, port: () => number) {
  return async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    // Only this machine's own names: a page elsewhere cannot rebind a host name to 127.0.0.1 and read these files.
    const host = req.headers.host ?? "";
    if (host !== `127.0.0.1:${port()}` && host !== `localhost:${port()}`) return answer(res, 421, "misdirected request");
    if (req.method !== "GET" && req.method !== "HEAD") {
      res.setHeader("Allow", "GET, HEAD");
      return answer(res, 405, "method not allowed");
    }
    // The path exactly as sent, without the query: looked up, never joined to a directory.
    const path = (req.url ?? "").split("?")[0]!;
    const route = routes.get(path);
    if (!route) return answer(res, 404, "not found");
    try {
      if ("file" in route) {
        const info = await lstat(route.file);
        res.writeHead(200, { ...COMMON_HEADERS, "Content-Type": TYPES[extname(route.file)] ?? "application/octet-stream", "Content-Length": info.size });
        if (req.method === "HEAD") return void res.end();
        createReadStream(route.file).on("error", () => res.destroy()).pipe(res);
      } else {
        const body = await route.make();
        res.writeHead(200, { ...COMMON_HEADERS, "Content-Type": route.type, "Content-Length": Buffer.byteLength(body) });
        res.end(req.method === "HEAD" ? undefined : body);
      }
    } catch (e) {
      answer(res, 500, `cannot read it: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
    }
  };
}

/** Starts serving on 127.0.0.1 (`port` 0: any free port). */
export async function serve(options: ServeOptions): Promise<Serving> {
  const routes = await routesFor(options);
  let port = options.port;
  const server = createServer((req, res) => void handler(routes, () => port)(req, res));
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(options.port, "127.0.0.1", () => {
      server.off("error", reject);
      resolve();
    });
  });
  port = (server.address() as AddressInfo).port;
  return {
    url: `http://127.0.0.1:${port}/`,
    server,
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}
