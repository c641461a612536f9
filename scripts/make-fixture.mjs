#!/usr/bin/env node
// Regenerates test/fixtures/fashion-mnist-small: the first 1000 training and 200 test examples
// of Fashion-MNIST as gzipped IDX files, cut from the full set (default: Debian's
// dataset-fashion-mnist). Usage: node scripts/make-fixture.mjs [SOURCE_DIR]
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { gunzipSync, gzipSync } from "node:zlib";

const src = process.argv[2] ?? "/usr/share/datasets/fashion-mnist";
const out = new URL("../test/fixtures/fashion-mnist-small/", import.meta.url).pathname;
const counts = { train: 1000, t10k: 200 };

function read(name) {
  for (const file of [join(src, name), join(src, `${name}.gz`)]) {
    if (!existsSync(file)) continue;
    const bytes = readFileSync(file);
    return bytes[0] === 0x1f && bytes[1] === 0x8b ? gunzipSync(bytes) : bytes;
  }
  throw new Error(`${name}[.gz] not found in ${src}`);
}

/** Keeps the first n items of an IDX file: rewrites the count, cuts the payload. */
function head(idx, n) {
  const dims = idx[3];
  const header = 4 + 4 * dims;
  let itemSize = 1;
  for (let d = 1; d < dims; d++) itemSize *= idx.readUInt32BE(4 + 4 * d);
  const cut = Buffer.from(idx.subarray(0, header + n * itemSize));
  cut.writeUInt32BE(n, 4);
  return cut;
}

mkdirSync(out, { recursive: true });
for (const [split, n] of Object.entries(counts)) {
  for (const kind of ["images-idx3-ubyte", "labels-idx1-ubyte"]) {
    const name = `${split}-${kind}`;
    // gzip's header carries no name or time here, so the output is reproducible byte for byte.
    writeFileSync(join(out, `${name}.gz`), gzipSync(head(read(name), n), { level: 9 }));
    console.log(`${name}.gz: ${n} items`);
  }
}
