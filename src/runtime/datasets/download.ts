/** Downloads into netc's cache: checked against the official MD5 before anything is saved. */
import { createHash } from "node:crypto";
import { mkdir } from "node:fs/promises";
import { join } from "node:path";
import { SingleBar } from "cli-progress";
import { UserError } from "../../errors.js";
import { writeFileAtomic } from "../fsutil.js";

export interface DownloadOptions {
  /** Where progress goes; null for silence. */
  progress: NodeJS.WritableStream | null;
  /** A download is abandoned after this long without receiving data. */
  stallTimeoutMs: number;
}

/** What a failed download says besides the reason: the dataset and every other way to get it. */
export interface DownloadContext {
  title: string;
  howToProvide: string[];
}

export function withSlash(url: string): string {
  return url.endsWith("/") ? url : `${url}/`;
}

/**
 * Fetches `name` from the first of `bases` (URLs of directories) that serves it, checks its MD5
 * and writes it atomically into `dir`. Nothing is saved unless the checksum matches.
 */
export async function downloadVerified(bases: readonly string[], name: string, md5: string, dir: string, opts: DownloadOptions, context: DownloadContext): Promise<void> {
  await mkdir(dir, { recursive: true });
  const failures: string[] = [];
  for (const base of bases) {
    const url = `${withSlash(base)}${name}`;
    opts.progress?.write(`Downloading ${url}\n`);
    let bytes: Buffer;
    try {
      bytes = await fetchWithProgress(url, opts.progress, opts.stallTimeoutMs);
    } catch (err) {
      failures.push(`downloading ${url} failed: ${describeFetchError(err)}`);
      continue;
    }
    const got = createHash("md5").update(bytes).digest("hex");
    if (got !== md5) {
      throw new UserError(`${url}: checksum mismatch (md5 ${got}, expected ${md5}); nothing was saved`, [
        "The download was damaged or the server sent a different file; try again, or provide the files yourself:",
        ...context.howToProvide.slice(1),
      ]);
    }
    await writeFileAtomic(join(dir, name), bytes);
    return;
  }
  throw new UserError(`${context.title} not found locally, and ${failures.join("; ")}`, context.howToProvide);
}

async function fetchWithProgress(url: string, progress: NodeJS.WritableStream | null, stallTimeoutMs: number): Promise<Buffer> {
  const abort = new AbortController();
  let timer = setTimeout(() => abort.abort(), stallTimeoutMs);
  const bar =
    progress && (progress as NodeJS.WriteStream).isTTY
      ? new SingleBar({
          stream: progress,
          format: "  [{bar}] {percentage}% | {done}/{size} MB | ETA {eta_formatted}",
          barCompleteChar: "█",
          barIncompleteChar: "░",
          hideCursor: true,
          clearOnComplete: false,
        })
      : null;
  try {
    const res = await fetch(url, { signal: abort.signal });
    if (!res.ok || !res.body) throw new Error(`HTTP ${res.status} ${res.statusText}`);
    const total = Number(res.headers.get("content-length")) || 0;
    const mb = (n: number) => (n / 1e6).toFixed(1);
    bar?.start(total || 1, 0, { done: mb(0), size: total ? mb(total) : "?" });
    const chunks: Buffer[] = [];
    let received = 0;
    for await (const chunk of res.body) {
      clearTimeout(timer);
      timer = setTimeout(() => abort.abort(), stallTimeoutMs);
      chunks.push(Buffer.from(chunk));
      received += chunk.length;
      bar?.update(Math.min(received, total || 1), { done: mb(received) });
    }
    if (total && received !== total) throw new Error(`connection closed after ${received} of ${total} bytes`);
    return Buffer.concat(chunks);
  } catch (err) {
    if (abort.signal.aborted) throw new Error(`no data received for ${stallTimeoutMs / 1000} s`);
    throw err;
  } finally {
    clearTimeout(timer);
    bar?.stop();
  }
}

/** fetch() reports network failures as "fetch failed"; the reason is in `cause`. */
function describeFetchError(err: unknown): string {
  const e = err as Error & { cause?: { code?: string; message?: string } };
  const cause = e.cause?.code ?? e.cause?.message;
  return cause ? `${e.message} (${cause})` : e.message;
}
