/**
 * CIFAR-10, the binary version: five training batches and one test batch, each a run of
 * 3,073-byte records (the label, then 1,024 red, 1,024 green and 1,024 blue bytes, rows top to
 * bottom). Read from the extracted files or straight from the official archive, which the cache
 * keeps as downloaded.
 */
import { stat } from "node:fs/promises";
import { basename, join } from "node:path";
import { list } from "tar";
import { lookupDataset } from "../../datasets.js";
import type { Split } from "../data.js";
import { corrupt } from "../idx.js";
import { corruptHint, readMaybeGzipped } from "./idx.js";
import type { FoundFiles, NamedSource } from "./load.js";

const TRAIN_FILES = ["data_batch_1.bin", "data_batch_2.bin", "data_batch_3.bin", "data_batch_4.bin", "data_batch_5.bin"];
const TEST_FILE = "test_batch.bin";
const FILES = [...TRAIN_FILES, TEST_FILE];
/** The archive, and the folder its files are in (inside it, and where `tar xzf` puts them). */
export const ARCHIVE = "cifar-10-binary.tar.gz";
const FOLDER = "cifar-10-batches-bin";

const INFO = lookupDataset("cifar10")!;
const { height: H, width: W, channels: C } = INFO.shape;
const RECORD = 1 + C * H * W;

async function isFile(path: string): Promise<boolean> {
  return stat(path).then((s) => s.isFile(), () => false);
}

/** The six batch files in `dir` or `dir/cifar-10-batches-bin` by name, or the archive in `dir`. */
async function findBatches(dir: string): Promise<FoundFiles | { missing: string[] }> {
  for (const folder of [dir, join(dir, FOLDER)]) {
    const present = await Promise.all(FILES.map((f) => isFile(join(folder, f))));
    if (present.every(Boolean)) return { dir: folder, files: Object.fromEntries(FILES.map((f) => [f, join(folder, f)])) };
  }
  const archive = join(dir, ARCHIVE);
  return (await isFile(archive)) ? { dir, files: { [ARCHIVE]: archive } } : { missing: [`${ARCHIVE} (or ${FOLDER}/*.bin)`] };
}

/** The six batch files' bytes by name: read, or taken from the archive as it is. */
async function batchBytes(found: FoundFiles, hint: string): Promise<Map<string, Uint8Array>> {
  const archive = found.files[ARCHIVE];
  if (!archive) {
    const bytes = await Promise.all(FILES.map((f) => readMaybeGzipped(found.files[f]!, hint)));
    return new Map(FILES.map((f, i) => [f, bytes[i]!]));
  }
  const files = new Map<string, Uint8Array>();
  try {
    await list({
      file: archive,
      onReadEntry(entry) {
        const name = basename(entry.path);
        if (!FILES.includes(name) || entry.type !== "File") return;
        const chunks: Buffer[] = [];
        entry.on("data", (c: Buffer) => chunks.push(c));
        entry.on("end", () => files.set(name, Buffer.concat(chunks)));
      },
    });
  } catch (err) {
    throw corrupt(archive, `not a readable .tar.gz archive (${(err as Error).message})`, hint);
  }
  const missing = FILES.filter((f) => !files.has(f));
  if (missing.length > 0) throw corrupt(archive, `the archive lacks ${missing.map((f) => `${FOLDER}/${f}`).join(", ")}`, hint);
  return files;
}

/** Records → channels-last bytes and labels. */
function parseRecords(parts: { bytes: Uint8Array; file: string }[], hint: string): Split {
  let count = 0;
  for (const { bytes, file } of parts) {
    if (bytes.length === 0 || bytes.length % RECORD !== 0) {
      throw corrupt(file, `${bytes.length} bytes is not a whole number of ${RECORD}-byte records (a label and a ${C}×${H}×${W} image)`, hint);
    }
    count += bytes.length / RECORD;
  }
  const images = new Uint8Array(count * C * H * W);
  const labels = new Int32Array(count);
  let n = 0;
  for (const { bytes, file } of parts) {
    for (let r = 0; r < bytes.length; r += RECORD, n++) {
      const label = bytes[r]!;
      if (label >= INFO.classes) throw corrupt(file, `label ${label} of record ${r / RECORD} is outside 0-${INFO.classes - 1}`, hint);
      labels[n] = label;
      const out = n * C * H * W;
      for (let c = 0; c < C; c++) {
        const plane = r + 1 + c * H * W;
        for (let p = 0; p < H * W; p++) images[out + p * C + c] = bytes[plane + p]!;
      }
    }
  }
  return { images, labels, count, shape: INFO.shape };
}

export const CIFAR10: NamedSource = {
  info: INFO,
  urls: ["https://www.cs.toronto.edu/~kriz/"],
  downloads: { [ARCHIVE]: "c32a1d4ab5d03f1284b67883e8d87530" },
  systemDirs: [],
  needs: `the binary version: ${ARCHIVE}, or the ${FILES.join(", ")} extracted from it`,
  find: findBatches,
  async read(found, cache) {
    const hint = corruptHint(cache);
    const bytes = await batchBytes(found, hint);
    const archive = found.files[ARCHIVE];
    const source = (f: string) => (archive ? `${archive}:${FOLDER}/${f}` : found.files[f]!);
    const split = (files: string[]) => parseRecords(files.map((f) => ({ bytes: bytes.get(f)!, file: source(f) })), hint);
    return { train: split(TRAIN_FILES), test: split([TEST_FILE]), facts: INFO, from: archive ?? found.dir };
  },
};
