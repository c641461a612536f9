import { createHash } from "node:crypto";
import { existsSync } from "node:fs";
import { copyFile, mkdir, mkdtemp, readdir, readFile, writeFile } from "node:fs/promises";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { PassThrough } from "node:stream";
import { gunzipSync, gzipSync } from "node:zlib";
import { extract } from "tar";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { UserError } from "../../src/errors.js";
import { batches, shuffledIndices, mulberry32, type Split } from "../../src/runtime/data.js";
import { cacheDir, loadDataset, type LoadOptions } from "../../src/runtime/datasets/load.js";
import { FASHION_MNIST_SYSTEM_DIR, FASHION_MNIST_URL } from "../../src/runtime/datasets/mnist.js";
import { IDX_FILES, type IdxFile } from "../../src/runtime/fashion-mnist.js";

const FIXTURE = new URL("../fixtures/fashion-mnist-small/", import.meta.url).pathname;
const MNIST_FIXTURE = new URL("../fixtures/mnist-small/", import.meta.url).pathname;
const LETTERS_FIXTURE = new URL("../fixtures/letters-small/", import.meta.url).pathname;
const CIFAR_ARCHIVE = new URL("../fixtures/cifar10-small/cifar-10-binary.tar.gz", import.meta.url).pathname;
const fixture = (name: IdxFile, dir = FIXTURE) => join(dir, `${name}.gz`);

let tmp: string;
beforeEach(async () => {
  tmp = await mkdtemp(join(tmpdir(), "netc-data-"));
});

/** Options that search nothing on this machine but what the test sets up under `tmp`. */
function isolated(extra: LoadOptions = {}): LoadOptions {
  return { env: { HOME: join(tmp, "home") }, cwd: join(tmp, "cwd"), systemDirs: [], download: false, progress: null, ...extra };
}

async function copyFixtureTo(dir: string, transform?: (name: IdxFile, raw: Buffer) => Buffer | undefined, from = FIXTURE) {
  await mkdir(dir, { recursive: true });
  for (const name of IDX_FILES) {
    const raw = gunzipSync(await readFile(fixture(name, from)));
    const out = transform?.(name, raw);
    if (out) await writeFile(join(dir, name), out);
    else await copyFile(fixture(name, from), join(dir, `${name}.gz`));
  }
}

async function expectUserError(p: Promise<unknown>, ...parts: (string | RegExp)[]): Promise<UserError> {
  const err = await p.then(
    () => expect.unreachable("should have thrown"),
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(UserError);
  for (const part of parts) expect((err as UserError).message).toMatch(part);
  return err as UserError;
}

describe("Fashion-MNIST, MNIST and IDX directories", () => {
  it("reads images as bytes, channels last, and labels", async () => {
    const data = await loadDataset(FIXTURE);
    expect(data.source).toBe(FIXTURE.replace(/\/$/, ""));
    expect(data.title).toBe(`the IDX files in ${FIXTURE.replace(/\/$/, "")}`);
    expect(data.shape).toEqual({ channels: 1, height: 28, width: 28 });
    expect(data.classes).toBe(10);
    expect(data.train.count).toBe(1000);
    expect(data.test.count).toBe(200);
    expect(data.train.images.length).toBe(1000 * 784);
    expect(Array.from(data.train.labels.subarray(0, 8))).toEqual([9, 0, 0, 3, 0, 2, 7, 2]);
    expect(Array.from(data.test.labels.subarray(0, 8))).toEqual([9, 2, 1, 1, 6, 1, 4, 6]);
    const raw = gunzipSync(await readFile(fixture("t10k-images-idx3-ubyte")));
    for (const i of [0, 400, 783, 784 * 199 + 500]) expect(data.test.images[i]).toBe(raw[16 + i]);
  });

  it("reads uncompressed files too", async () => {
    const dir = join(tmp, "plain");
    await copyFixtureTo(dir, (_, raw) => raw);
    const data = await loadDataset(dir, isolated());
    expect(data.train.count).toBe(1000);
  });

  it("reads a directory of IDX files of any image size and class count, under a prefix", async () => {
    const data = await loadDataset(LETTERS_FIXTURE);
    expect(data.shape).toEqual({ channels: 1, height: 20, width: 20 });
    expect(data.classes).toBe(26);
    expect([data.train.count, data.test.count]).toEqual([260, 104]);
    expect(data.train.images.length).toBe(260 * 400);
  });

  it("takes a dataset's name as the dataset, and a relative path as a directory", async () => {
    const cwd = join(tmp, "cwd");
    await copyFixtureTo(join(cwd, "data/mnist"), undefined, MNIST_FIXTURE);
    const mnist = await loadDataset("mnist", isolated());
    expect([mnist.title, mnist.source, mnist.train.count, mnist.classes]).toEqual(["MNIST", join(cwd, "data/mnist"), 300, 10]);
    await copyFixtureTo(join(cwd, "mine"), undefined, MNIST_FIXTURE);
    expect((await loadDataset("mine", isolated())).source).toBe(join(cwd, "mine"));
  });

  it("refuses a directory that lacks files, or holds two candidates for one", async () => {
    const partial = join(tmp, "partial");
    await mkdir(partial);
    await copyFile(fixture("train-images-idx3-ubyte"), join(partial, "train-images-idx3-ubyte.gz"));
    const err = await expectUserError(loadDataset(partial), "--data", partial, "missing train-labels-idx1-ubyte[.gz], t10k-images-idx3-ubyte[.gz], t10k-labels-idx1-ubyte[.gz]");
    expect(err.hints.join(" ")).toContain("emnist-letters-");
    await expectUserError(loadDataset(join(tmp, "nope")), `--data ${join(tmp, "nope")}: no such directory`);
    const two = join(tmp, "two");
    await copyFixtureTo(two);
    await copyFile(fixture("train-labels-idx1-ubyte"), join(two, "emnist-train-labels-idx1-ubyte.gz"));
    await expectUserError(loadDataset(two), "several files could be the train labels: emnist-train-labels-idx1-ubyte.gz, train-labels-idx1-ubyte.gz");
  });
});

describe("where a named dataset is looked for", () => {
  it("uses NETC_DATA, then ./data/fashion-mnist, then the cache, then system dirs", async () => {
    const cwd = join(tmp, "cwd");
    const env = { HOME: join(tmp, "home"), XDG_CACHE_HOME: join(tmp, "xdg") };
    const sys = join(tmp, "sys");
    const opts = (e: Record<string, string>) => isolated({ env: { ...env, ...e }, cwd, systemDirs: [sys] });

    await copyFixtureTo(sys);
    expect((await loadDataset("fashion-mnist", opts({}))).source).toBe(sys);
    await copyFixtureTo(join(tmp, "xdg/netc/fashion-mnist"));
    expect((await loadDataset("fashion-mnist", opts({}))).source).toBe(join(tmp, "xdg/netc/fashion-mnist"));
    await copyFixtureTo(join(cwd, "data/fashion-mnist"));
    const local = await loadDataset("fashion-mnist", opts({}));
    expect([local.source, local.title]).toEqual([join(cwd, "data/fashion-mnist"), "Fashion-MNIST"]);
    await copyFixtureTo(join(tmp, "env"));
    expect((await loadDataset("fashion-mnist", opts({ NETC_DATA: join(tmp, "env") }))).source).toBe(join(tmp, "env"));
    // NETC_DATA is Fashion-MNIST's: MNIST is looked for in its own places.
    await expectUserError(loadDataset("mnist", isolated({ env: { ...env, NETC_DATA: join(tmp, "env") }, cwd })), "MNIST not found (looked in");
  });

  it("rejects a NETC_DATA directory that lacks files instead of looking elsewhere", async () => {
    await copyFixtureTo(join(tmp, "cwd/data/fashion-mnist"));
    const partial = join(tmp, "partial");
    await mkdir(partial);
    await expectUserError(loadDataset("fashion-mnist", isolated({ env: { HOME: tmp, NETC_DATA: partial } })), `NETC_DATA ${partial}: missing train-images-idx3-ubyte[.gz]`);
  });

  it("keeps each dataset in a cache folder of its own, under XDG_CACHE_HOME or ~/.cache", () => {
    expect(cacheDir("fashion-mnist", { XDG_CACHE_HOME: "/x", HOME: "/h" })).toBe("/x/netc/fashion-mnist");
    expect(cacheDir("mnist", { XDG_CACHE_HOME: "relative", HOME: "/h" })).toBe("/h/.cache/netc/mnist");
    expect(cacheDir("cifar10", { HOME: "/h" })).toBe("/h/.cache/netc/cifar10");
  });

  it("names every way to provide the files when it finds none and may not download", async () => {
    const err = await expectUserError(loadDataset("fashion-mnist", isolated()), "Fashion-MNIST not found");
    const hints = err.hints.join("\n");
    for (const way of ["--data DIR", "NETC_DATA=", "./data/fashion-mnist", cacheDir("fashion-mnist", { HOME: join(tmp, "home") }), "apt-get install dataset-fashion-mnist", FASHION_MNIST_SYSTEM_DIR, FASHION_MNIST_URL, "NETC_DATA_URL"]) {
      expect(hints).toContain(way);
    }
    const cifar = (await expectUserError(loadDataset("cifar10", isolated()), "CIFAR-10 not found")).hints.join("\n");
    for (const way of ["cifar-10-binary.tar.gz", "./data/cifar10", "https://www.cs.toronto.edu/~kriz/"]) expect(cifar).toContain(way);
    expect(cifar).not.toContain("NETC_DATA=");
  });
});

describe("damaged files", () => {
  const u32 = (n: number) => {
    const b = Buffer.alloc(4);
    b.writeUInt32BE(n);
    return b;
  };
  // Fashion-MNIST by name (found in ./data/fashion-mnist): its size and classes are known.
  const named = async (transform: (name: IdxFile, raw: Buffer) => Buffer | undefined) => {
    const dir = join(tmp, "cwd/data/fashion-mnist");
    await copyFixtureTo(dir, transform);
    return { dir, load: loadDataset("fashion-mnist", isolated()) };
  };
  const cases: [string, IdxFile, (raw: Buffer) => Buffer, RegExp][] = [
    ["truncated images", "train-images-idx3-ubyte", (r) => r.subarray(0, 16 + 784 * 500 + 3), /truncated: holds 500 of the 1000 images/],
    ["a truncated header", "t10k-labels-idx1-ubyte", (r) => r.subarray(0, 6), /truncated: 6 bytes/],
    ["trailing bytes", "t10k-images-idx3-ubyte", (r) => Buffer.concat([r, Buffer.alloc(5)]), /5 unexpected bytes after the 200 images/],
    ["a bad magic number", "train-labels-idx1-ubyte", (r) => Buffer.concat([u32(0x803), r.subarray(4)]), /bad magic number 0x00000803, expected 0x00000801/],
    ["labels in the images file", "train-images-idx3-ubyte", (r) => Buffer.concat([u32(0x801), r.subarray(4)]), /bad magic number 0x00000801, expected 0x00000803/],
    ["wrong image size", "t10k-images-idx3-ubyte", (r) => Buffer.concat([r.subarray(0, 8), u32(32), u32(32), Buffer.alloc(200 * 1024)]), /images are 32×32, expected 28×28/],
    ["a label above 9", "t10k-labels-idx1-ubyte", (r) => Buffer.concat([r.subarray(0, 8 + 17), Buffer.from([12]), r.subarray(8 + 18)]), /label 12 at index 17 is outside 0-9/],
  ];
  for (const [what, target, damage, message] of cases) {
    it(`reports ${what}, naming the file`, async () => {
      const { dir, load } = await named((name, raw) => (name === target ? damage(raw) : undefined));
      const err = await expectUserError(load, join(dir, target), message);
      expect(err.hints.join(" ")).toMatch(/replace the damaged file/);
    });
  }

  it("reports images and labels that disagree on the count", async () => {
    const dir = join(tmp, "mismatch");
    await copyFixtureTo(dir, (name, raw) => (name === "train-labels-idx1-ubyte" ? Buffer.concat([raw.subarray(0, 4), u32(999), raw.subarray(8, 8 + 999)]) : undefined));
    await expectUserError(loadDataset(dir), /train-images-idx3-ubyte\.gz holds 1000 images but .*train-labels-idx1-ubyte holds 999 labels/);
  });

  it("reports a damaged gzip stream", async () => {
    const dir = join(tmp, "badgz");
    await copyFixtureTo(dir);
    const gz = await readFile(fixture("t10k-images-idx3-ubyte"));
    await writeFile(join(dir, "t10k-images-idx3-ubyte.gz"), gz.subarray(0, gz.length / 2));
    await expectUserError(loadDataset(dir), join(dir, "t10k-images-idx3-ubyte.gz"), /not a valid gzip file/);
  });

  it("in a directory of IDX files, counts classes from the labels and refuses training and test images of different sizes", async () => {
    const dir = join(tmp, "own");
    await copyFixtureTo(dir, (name, raw) => (name === "t10k-labels-idx1-ubyte" ? Buffer.concat([raw.subarray(0, 8 + 17), Buffer.from([12]), raw.subarray(8 + 18)]) : undefined));
    expect((await loadDataset(dir)).classes).toBe(13);
    const sizes = join(tmp, "sizes");
    await copyFixtureTo(sizes, (name, raw) => (name === "t10k-images-idx3-ubyte" ? Buffer.concat([raw.subarray(0, 8), u32(14), u32(56), raw.subarray(16)]) : undefined));
    await expectUserError(loadDataset(sizes), "the training images are 28×28 but the test images 14×56");
  });
});

describe("CIFAR-10's binary version", () => {
  it("reads the official archive: five training batches and the test batch, channels last", async () => {
    const cwd = join(tmp, "cwd");
    await mkdir(join(cwd, "data/cifar10"), { recursive: true });
    await copyFile(CIFAR_ARCHIVE, join(cwd, "data/cifar10/cifar-10-binary.tar.gz"));
    const data = await loadDataset("cifar10", isolated());
    expect([data.title, data.classes, data.train.count, data.test.count]).toEqual(["CIFAR-10", 10, 200, 80]);
    expect(data.shape).toEqual({ channels: 3, height: 32, width: 32 });
    expect(data.source).toBe(join(cwd, "data/cifar10/cifar-10-binary.tar.gz"));

    // The same bytes as the records: label, then the red, green and blue planes.
    const extracted = join(tmp, "x");
    await mkdir(extracted);
    await extract({ file: CIFAR_ARCHIVE, cwd: extracted });
    const batch2 = await readFile(join(extracted, "cifar-10-batches-bin/data_batch_2.bin"));
    const record = 3; // the 4th record of batch 2 is training example 43
    expect(data.train.labels[43]).toBe(batch2[record * 3073]);
    for (const [y, x, c] of [[0, 0, 0], [5, 17, 1], [31, 31, 2]] as const) {
      expect(data.train.images[43 * 3072 + (y * 32 + x) * 3 + c]).toBe(batch2[record * 3073 + 1 + c * 1024 + y * 32 + x]);
    }

    // Extracted: the folder itself, or the directory that holds it.
    expect((await loadDataset(extracted)).train.labels).toEqual(data.train.labels);
    expect((await loadDataset(join(extracted, "cifar-10-batches-bin"))).test.labels).toEqual(data.test.labels);
  });

  it("reports a damaged batch or archive, naming it", async () => {
    const dir = join(tmp, "broken");
    await mkdir(dir);
    await extract({ file: CIFAR_ARCHIVE, cwd: dir });
    const batch = join(dir, "cifar-10-batches-bin/data_batch_3.bin");
    await writeFile(batch, (await readFile(batch)).subarray(0, 3073 * 2 + 10));
    await expectUserError(loadDataset(dir), batch, "6156 bytes is not a whole number of 3073-byte records");
    const archive = join(tmp, "archive");
    await mkdir(archive);
    await writeFile(join(archive, "cifar-10-binary.tar.gz"), gzipSync(Buffer.from("not a tar file at all")));
    await expectUserError(loadDataset(archive), join(archive, "cifar-10-binary.tar.gz"));
  });
});

describe("downloading", () => {
  let server: Server;
  let requests: string[];
  let mode: "serve" | "404" | "stall";
  let base: string;
  /** What the mirror serves: its files by name, the MNIST fixture's IDX files and the CIFAR archive. */
  const served = new Map<string, Buffer>();
  const md5: Record<string, string> = {};

  beforeEach(async () => {
    for (const name of IDX_FILES) served.set(`${name}.gz`, await readFile(fixture(name, MNIST_FIXTURE)));
    served.set("cifar-10-binary.tar.gz", await readFile(CIFAR_ARCHIVE));
    for (const [name, bytes] of served) md5[name] = createHash("md5").update(bytes).digest("hex");
    requests = [];
    mode = "serve";
    server = createServer((req, res) => {
      requests.push(req.url!);
      const body = served.get(req.url!.replace(/^\/mirror\//, ""));
      if (mode === "404" || !body) return res.writeHead(404).end();
      res.writeHead(200, { "content-length": body.length });
      if (mode === "stall") return res.write(body.subarray(0, 100)); // and never finish
      res.end(body);
    });
    await new Promise<void>((ok) => server.listen(0, "127.0.0.1", ok));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}/mirror`;
  });
  afterEach(async () => {
    server.closeAllConnections();
    if (server.listening) await new Promise((ok) => server.close(ok));
  });

  const opts = (extra: LoadOptions = {}): LoadOptions => isolated({ env: { HOME: join(tmp, "home"), NETC_DATA_URL: base }, download: true, md5, ...extra });
  const cache = (name: "mnist" | "cifar10" = "mnist") => cacheDir(name, { HOME: join(tmp, "home") });

  it("downloads into the dataset's cache folder, verifies, and reuses the cache afterwards", async () => {
    const log = new PassThrough();
    let text = "";
    log.on("data", (d: Buffer) => (text += d));
    const data = await loadDataset("mnist", opts({ progress: log }));
    expect(data.source).toBe(cache());
    expect(data.train.count).toBe(300);
    expect(requests).toEqual(IDX_FILES.map((f) => `/mirror/${f}.gz`));
    expect(text).toContain(`Downloading ${base}/train-images-idx3-ubyte.gz`);
    expect((await readdir(cache())).sort()).toEqual(IDX_FILES.map((f) => `${f}.gz`).sort());

    await loadDataset("mnist", opts());
    expect(requests.length).toBe(4);
  });

  it("downloads CIFAR-10's archive and reads it from the cache as it is", async () => {
    const data = await loadDataset("cifar10", opts());
    expect(requests).toEqual(["/mirror/cifar-10-binary.tar.gz"]);
    expect(await readdir(cache("cifar10"))).toEqual(["cifar-10-binary.tar.gz"]);
    expect([data.train.count, data.source]).toEqual([200, join(cache("cifar10"), "cifar-10-binary.tar.gz")]);
  });

  it("fetches only the files the cache lacks", async () => {
    await mkdir(cache(), { recursive: true });
    await copyFile(fixture("train-images-idx3-ubyte", MNIST_FIXTURE), join(cache(), "train-images-idx3-ubyte.gz"));
    await loadDataset("mnist", opts());
    expect(requests).not.toContain("/mirror/train-images-idx3-ubyte.gz");
    expect(requests.length).toBe(3);
  });

  it("rejects a file whose checksum is wrong and saves nothing", async () => {
    const wrong = { ...md5, "train-labels-idx1-ubyte.gz": "0".repeat(32) };
    await expectUserError(loadDataset("mnist", opts({ md5: wrong })), "train-labels-idx1-ubyte.gz: checksum mismatch", md5["train-labels-idx1-ubyte.gz"]!);
    expect(await readdir(cache())).toEqual(["train-images-idx3-ubyte.gz"]);
  });

  it("gives up on an HTTP error, naming every other way to get the data", async () => {
    mode = "404";
    const err = await expectUserError(loadDataset("fashion-mnist", opts()), "Fashion-MNIST not found locally, and downloading", "HTTP 404");
    expect(err.hints.join("\n")).toMatch(/--data DIR[^]*NETC_DATA=[^]*apt-get install dataset-fashion-mnist/);
  });

  it("gives up when offline", async () => {
    await new Promise((ok) => server.close(ok)); // nothing listens on the port now
    await expectUserError(loadDataset("mnist", opts()), "fetch failed (ECONNREFUSED)");
    expect(existsSync(join(cache(), "train-images-idx3-ubyte.gz"))).toBe(false);
  });

  it("gives up on a stalled transfer", async () => {
    mode = "stall";
    await expectUserError(loadDataset("mnist", opts({ stallTimeoutMs: 200 })), "no data received for 0.2 s");
    expect(await readdir(cache())).toEqual([]);
  });
});

describe("shuffling, batches and preprocessing", () => {
  it("gives a repeatable permutation per seed", () => {
    const a = shuffledIndices(1000, 7);
    expect(Array.from(a).sort((x, y) => x - y)).toEqual(Array.from({ length: 1000 }, (_, i) => i));
    expect(shuffledIndices(1000, 7)).toEqual(a);
    expect(shuffledIndices(1000, 8)).not.toEqual(a);
    expect(Array.from(a.subarray(0, 10))).not.toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
  });

  it("batches a split in the given order, the last batch short, pixels scaled to [0, 1]", async () => {
    const { test } = await loadDataset(FIXTURE);
    const order = shuffledIndices(test.count, 1);
    const all = [...batches(test, 64, order)];
    expect(all.map((b) => b.size)).toEqual([64, 64, 64, 8]);
    const second = all[1]!;
    const i = order[64 + 5]!;
    expect(second.labels[5]).toBe(test.labels[i]);
    const bytes = test.images.subarray(i * 784, (i + 1) * 784);
    expect(second.images.subarray(5 * 784, 6 * 784)).toEqual(Float32Array.from(bytes, (b) => b / 255));
    expect([...batches(test, 200)][0]!.labels).toEqual(test.labels);
  });

  // A 2-image, 2-channel, 3×4 split whose bytes say where they are: 100·y + 10·x + c.
  const tiny: Split = {
    shape: { channels: 2, height: 3, width: 4 },
    count: 2,
    labels: Int32Array.from([0, 1]),
    images: Uint8Array.from({ length: 48 }, (_, i) => {
      const [c, x, y] = [i % 2, Math.floor(i / 2) % 4, Math.floor(i / 8) % 3];
      return 100 * y + 10 * x + c + (i >= 24 ? 1 : 0);
    }),
  };
  const at = (images: Float32Array, y: number, x: number, c: number) => images[(y * 4 + x) * 2 + c]!;

  it("normalizes each channel as torchvision's Normalize: one mean and std for all, or one each", () => {
    const [one] = [...batches(tiny, 1, undefined, { normalize: [0.5, 0.25] })];
    expect(at(one!.images, 2, 3, 1)).toBeCloseTo((231 / 255 - 0.5) / 0.25, 6);
    const [each] = [...batches(tiny, 1, undefined, { normalize: [0.1, 0.2, 0.5, 0.25] })];
    expect(at(each!.images, 1, 2, 0)).toBeCloseTo((120 / 255 - 0.1) / 0.5, 6);
    expect(at(each!.images, 1, 2, 1)).toBeCloseTo((121 / 255 - 0.2) / 0.25, 6);
  });

  it("mirrors and crops with zero padding, as RandomHorizontalFlip and RandomCrop, from a seeded stream", () => {
    const draws = (values: number[]) => () => values.shift()!;
    // Crop: top and left offsets drawn in [0, 2·pad] (here 0 and 2 of [0, 2], i.e. −1 and +1), then the flip (0.9: no).
    const [shifted] = [...batches(tiny, 1, undefined, { crop: 1, flip: true, random: draws([0, 0.99, 0.9]) })];
    expect(at(shifted!.images, 1, 0, 0)).toBe(Math.fround(10 / 255)); // from (0, 1)
    expect(at(shifted!.images, 0, 2, 1)).toBe(0); // above the image: padding
    expect(at(shifted!.images, 2, 3, 0)).toBe(0); // right of it
    const [mirrored] = [...batches(tiny, 1, undefined, { crop: 1, flip: true, random: draws([0.5, 0.5, 0.1]) })];
    expect(at(mirrored!.images, 1, 0, 1)).toBe(Math.fround(131 / 255));
    expect(at(mirrored!.images, 2, 3, 0)).toBe(Math.fround(200 / 255));
    // Padding is a zero byte: normalized, it is (0 − mean)/std.
    const [padded] = [...batches(tiny, 1, undefined, { crop: 1, normalize: [0.5, 0.25], random: draws([0, 0]) })];
    expect(at(padded!.images, 0, 0, 0)).toBe(-2);

    const run = (seed: number) => [...batches(tiny, 2, undefined, { crop: 1, flip: true, random: mulberry32(seed) })][0]!.images;
    expect(run(3)).toEqual(run(3));
    expect([1, 2, 4, 5, 6].some((s) => run(s).join() !== run(3).join())).toBe(true);
  });
});

describe.skipIf(!existsSync(FASHION_MNIST_SYSTEM_DIR))("the full set from Debian's dataset-fashion-mnist", () => {
  it("loads 60000 training and 10000 test examples", async () => {
    const data = await loadDataset("fashion-mnist", { systemDirs: [FASHION_MNIST_SYSTEM_DIR], env: { HOME: tmp }, cwd: tmp, download: false });
    expect([data.train.count, data.test.count, data.source]).toEqual([60000, 10000, FASHION_MNIST_SYSTEM_DIR]);
    const counts = new Array(10).fill(0);
    for (const l of data.train.labels) counts[l]++;
    expect(counts).toEqual(new Array(10).fill(6000));
  });
});
