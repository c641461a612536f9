import { homedir } from "node:os";
import { isAbsolute, join } from "node:path";

/** netc's cache directory: `$XDG_CACHE_HOME/netc`, else `~/.cache/netc` (datasets, the wasm worker script). */
export function netcCache(env: Record<string, string | undefined> = process.env): string {
  // The XDG spec says to ignore a relative XDG_CACHE_HOME.
  const xdg = env.XDG_CACHE_HOME;
  const base = xdg && isAbsolute(xdg) ? xdg : join(env.HOME || homedir(), ".cache");
  return join(base, "netc");
}
