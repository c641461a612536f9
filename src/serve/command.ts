/** `netc serve [FILE]`: the browser page on 127.0.0.1, until Ctrl-C. Loaded by cli.ts on demand. */
import { UserError, isUserError } from "../errors.js";
import { locateFashionMnist, type FoundFiles } from "../runtime/datasets/load.js";
import { findInDist } from "../runtime/dist-files.js";
import { serve, type Serving } from "./server.js";

export interface ServeFlags {
  port: number;
  data?: string;
}

export interface ServeDeps {
  stdout?: NodeJS.WritableStream;
  stderr?: NodeJS.WritableStream;
  /** Where the page's files are (default: the package's dist/web). */
  root?: string;
  /** Searched after ./data/fashion-mnist and the cache (tests: none). */
  systemDirs?: string[];
}

/** Starts the server and returns it; the CLI keeps running while it listens. */
export async function serveCommand(file: string | undefined, flags: ServeFlags, deps: ServeDeps = {}): Promise<Serving> {
  const stdout = deps.stdout ?? process.stdout;
  const stderr = deps.stderr ?? process.stderr;
  const root = deps.root ?? findInDist("web");
  if (!root) throw new UserError("the page's files (dist/web) are missing", ["run `npm run build` in netc's directory"]);
  let data: FoundFiles | undefined;
  try {
    data = await locateFashionMnist({ ...(flags.data !== undefined ? { dir: flags.data } : {}), download: false, ...(deps.systemDirs ? { systemDirs: deps.systemDirs } : {}) });
  } catch (e) {
    // A directory the user named must hold the files; without one, the page has its sample.
    if (flags.data !== undefined || !isUserError(e)) throw e;
    stderr.write(`${e.message}: the page trains on its bundled sample (1,000 images) or on data at a URL\n  = hint: \`netc serve --data DIR\` serves the four files of DIR\n`);
  }
  let serving: Serving;
  try {
    serving = await serve({ root, port: flags.port, ...(file !== undefined ? { model: file } : {}), ...(data ? { data } : {}) });
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === "EADDRINUSE") throw new UserError(`port ${flags.port} is in use`, ["pass another with --port N (0 picks a free one)"], 2);
    if (code === "EACCES") throw new UserError(`port ${flags.port} needs privileges`, ["pass one above 1023 with --port N"], 2);
    throw e;
  }
  if (data) stderr.write(`serving Fashion-MNIST from ${data.dir}\n`);
  stdout.write(`${serving.url}\n`);
  stderr.write("netc serve: press Ctrl-C to stop\n");
  return serving;
}
