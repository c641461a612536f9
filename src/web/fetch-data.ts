/** Fashion-MNIST fetched over HTTP in the browser, parsed by the same code as on disk. */
import { UserError } from "../errors.js";
import type { Split } from "../runtime/data.js";
import { IDX_FILES, parseSplit, type IdxFile } from "../runtime/fashion-mnist.js";
import { isGzip } from "../runtime/idx.js";
import type { DataSource } from "./protocol.js";

export async function fetchBytes(url: string): Promise<Uint8Array<ArrayBuffer>> {
  let response: Response;
  try {
    response = await fetch(url);
  } catch (e) {
    throw new UserError(`cannot fetch ${url}: ${(e as Error).message}`, ["a URL on another site must allow this page to read it (CORS)"]);
  }
  if (!response.ok) throw new UserError(`cannot fetch ${url}: HTTP ${response.status} ${response.statusText}`);
  return new Uint8Array(await response.arrayBuffer());
}

async function gunzip(bytes: Uint8Array<ArrayBuffer>, url: string): Promise<Uint8Array<ArrayBuffer>> {
  try {
    const stream = new Blob([bytes]).stream().pipeThrough(new DecompressionStream("gzip"));
    return new Uint8Array(await new Response(stream).arrayBuffer());
  } catch (e) {
    throw new UserError(`${url}: not a valid gzip file (${(e as Error).message})`, [HINT]);
  }
}

const HINT = "replace the damaged file with an intact copy";

async function fetchIdx(source: DataSource, name: IdxFile) {
  const url = source.files[name];
  const bytes = await fetchBytes(url);
  return { file: url, bytes: isGzip(bytes) ? await gunzip(bytes, url) : bytes };
}

export async function fetchFashionMnist(source: DataSource): Promise<{ train: Split; test: Split }> {
  const [trainImages, trainLabels, testImages, testLabels] = await Promise.all(
    IDX_FILES.map((name) => fetchIdx(source, name)),
  );
  return { train: parseSplit(trainImages!, trainLabels!, HINT), test: parseSplit(testImages!, testLabels!, HINT) };
}
