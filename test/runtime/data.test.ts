import { createHash } from "node:crypto";
import { existsSync } from "node:fs";
import { copyFile, mkdir, mkdtemp, readdir, readFile, writeFile } from "node:fs/promises";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { PassThrough } from "node:stream";
import { gunzipSync } from "node:zlib";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { UserError } from "../../src/errors.js";
import {
  batches,
  cacheDir,
  IDX_FILES,
  type IdxFile,
  loadFashionMnist,
  type LoadOptions,
  OFFICIAL_URL,
  shuffledIndices,
  SYSTEM_DIR,
} from "../../src/runtime/data.js";

const FIXTURE = new URL("../fixtures/fashion-mnist-small/", import.meta.url).pathname;
const fixture = (name: IdxFile) => join(FIXTURE, `${name}.gz`);

let tmp: string;
beforeEach(async () => {
  tmp = await mkdtemp(join(tmpdir(), "netc-data-"));
});

/** Options that search nothing on this machine but what the test sets up under `tmp`. */
function isolated(extra: LoadOptions = {}): LoadOptions {
  return { env: { HOME: join(tmp, "home") }, cwd: join(tmp, "cwd"), systemDirs: [], download: false, progress: null, ...extra };
}

async function copyFixtureTo(dir: string, transform?: (name: IdxFile, raw: Buffer) => Buffer | undefined) {
  await mkdir(dir, { recursive: true });
  for (const name of IDX_FILES) {
    const raw = gunzipSync(await readFile(fixture(name)));
    const out = transform?.(name, raw);
    if (out) await writeFile(join(dir, name), out);
    else await copyFile(fixture(name), join(dir, `${name}.gz`));
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

describe("loadFashionMnist on the shipped subset", () => {
  it("reads images scaled to [0,1] and labels", async () => {
    const data = await loadFashionMnist(isolated({ dir: FIXTURE }));
    expect(data.source).toBe(FIXTURE.replace(/\/$/, ""));
    expect(data.train.count).toBe(1000);
    expect(data.test.count).toBe(200);
    expect(data.train.images.length).toBe(1000 * 784);
    expect(Array.from(data.train.labels.subarray(0, 8))).toEqual([9, 0, 0, 3, 0, 2, 7, 2]);
    expect(Array.from(data.test.labels.subarray(0, 8))).toEqual([9, 2, 1, 1, 6, 1, 4, 6]);
    const raw = gunzipSync(await readFile(fixture("t10k-images-idx3-ubyte")));
    for (const i of [0, 400, 783, 784 * 199 + 500]) expect(data.test.images[i]).toBe(Math.fround(raw[16 + i]! / 255));
    expect(Math.max(...data.train.images.subarray(0, 784 * 10))).toBe(1);
    expect(Math.min(...data.train.images.subarray(0, 784 * 10))).toBe(0);
  });

  it("reads uncompressed files too", async () => {
    const dir = join(tmp, "plain");
    await copyFixtureTo(dir, (_, raw) => raw);
    const data = await loadFashionMnist(isolated({ dir }));
    expect(data.train.count).toBe(1000);
  });
});

describe("where loadFashionMnist looks", () => {
  it("uses NETC_DATA, then ./data/fashion-mnist, then the cache, then system dirs", async () => {
    const cwd = join(tmp, "cwd");
    const env = { HOME: join(tmp, "home"), XDG_CACHE_HOME: join(tmp, "xdg") };
    const sys = join(tmp, "sys");
    const opts = (e: Record<string, string>) => isolated({ env: { ...env, ...e }, cwd, systemDirs: [sys] });

    await copyFixtureTo(sys);
    expect((await loadFashionMnist(opts({}))).source).toBe(sys);
    await copyFixtureTo(join(tmp, "xdg/netc/fashion-mnist"));
    expect((await loadFashionMnist(opts({}))).source).toBe(join(tmp, "xdg/netc/fashion-mnist"));
    await copyFixtureTo(join(cwd, "data/fashion-mnist"));
    expect((await loadFashionMnist(opts({}))).source).toBe(join(cwd, "data/fashion-mnist"));
    await copyFixtureTo(join(tmp, "env"));
    expect((await loadFashionMnist(opts({ NETC_DATA: join(tmp, "env") }))).source).toBe(join(tmp, "env"));
    const explicit = await loadFashionMnist({ ...opts({ NETC_DATA: join(tmp, "env") }), dir: FIXTURE });
    expect(explicit.source).toBe(FIXTURE.replace(/\/$/, ""));
  });

  it("rejects a named directory that lacks files instead of looking elsewhere", async () => {
    await copyFixtureTo(join(tmp, "cwd/data/fashion-mnist"));
    const partial = join(tmp, "partial");
    await mkdir(partial);
    await copyFile(fixture("train-images-idx3-ubyte"), join(partial, "train-images-idx3-ubyte.gz"));
    await expectUserError(loadFashionMnist(isolated({ dir: partial })), "--data", partial, "t10k-labels-idx1-ubyte[.gz]");
    await expectUserError(loadFashionMnist(isolated({ env: { HOME: tmp, NETC_DATA: partial } })), "NETC_DATA");
  });

  it("puts the cache under XDG_CACHE_HOME or ~/.cache", () => {
    expect(cacheDir({ XDG_CACHE_HOME: "/x", HOME: "/h" })).toBe("/x/netc/fashion-mnist");
    expect(cacheDir({ XDG_CACHE_HOME: "relative", HOME: "/h" })).toBe("/h/.cache/netc/fashion-mnist");
    expect(cacheDir({ HOME: "/h" })).toBe("/h/.cache/netc/fashion-mnist");
  });

  it("names every way to provide the files when it finds none and may not download", async () => {
    const err = await expectUserError(loadFashionMnist(isolated()), "not found");
    const hints = err.hints.join("\n");
    for (const way of ["--data DIR", "NETC_DATA=", "./data/fashion-mnist", cacheDir({ HOME: join(tmp, "home") }),
      "apt-get install dataset-fashion-mnist", SYSTEM_DIR, OFFICIAL_URL, "NETC_DATA_URL"]) {
      expect(hints).toContain(way);
    }
  });
});

describe("damaged files", () => {
  const u32 = (n: number) => {
    const b = Buffer.alloc(4);
    b.writeUInt32BE(n);
    return b;
  };
  const cases: [string, IdxFile, (raw: Buffer) => Buffer, RegExp][] = [
    ["truncated images", "train-images-idx3-ubyte", (r) => r.subarray(0, 16 + 784 * 500 + 3), /truncated: holds 500 of the 1000 images/],
    ["a truncated header", "t10k-labels-idx1-ubyte", (r) => r.subarray(0, 6), /truncated: 6 bytes/],
    ["trailing bytes", "t10k-images-idx3-ubyte", (r) => Buffer.concat([r, Buffer.alloc(5)]), /5 unexpected bytes after the 200 images/],
    ["a bad magic number", "train-labels-idx1-ubyte", (r) => Buffer.concat([u32(0x803), r.subarray(4)]), /bad magic number 0x00000803, expected 0x00000801/],
    ["labels in the images file", "train-images-idx3-ubyte", (r) => Buffer.concat([u32(0x801), r.subarray(4)]), /bad magic number 0x00000801, expected 0x00000803/],
    ["wrong image size", "t10k-images-idx3-ubyte", (r) => Buffer.concat([r.subarray(0, 8), u32(32), u32(32), r.subarray(16)]), /images are 32×32, expected 28×28/],
    ["a label above 9", "t10k-labels-idx1-ubyte", (r) => Buffer.concat([r.subarray(0, 8 + 17), Buffer.from([12]), r.subarray(8 + 18)]), /label 12 at index 17 is outside 0-9/],
  ];
  for (const [what, target, damage, message] of cases) {
    it(`reports ${what}, naming the file`, async () => {
      const dir = join(tmp, "broken");
      await copyFixtureTo(dir, (name, raw) => (name === target ? damage(raw) : undefined));
      const err = await expectUserError(loadFashionMnist(isolated({ dir })), join(dir, target), message);
      expect(err.hints.join(" ")).toMatch(/replace the damaged file/);
    });
  }

  it("reports images and labels that disagree on the count", async () => {
    const dir = join(tmp, "mismatch");
    await copyFixtureTo(dir, (name, raw) =>
      name === "train-labels-idx1-ubyte" ? Buffer.concat([raw.subarray(0, 4), u32(999), raw.subarray(8, 8 + 999)]) : undefined,
    );
    await expectUserError(loadFashionMnist(isolated({ dir })), /train-images-idx3-ubyte\.gz holds 1000 images but .*train-labels-idx1-ubyte holds 999 labels/);
  });

  it("reports a damaged gzip stream", async () => {
    const dir = join(tmp, "badgz");
    await copyFixtureTo(dir);
    const gz = await readFile(fixture("t10k-images-idx3-ubyte"));
    await writeFile(join(dir, "t10k-images-idx3-ubyte.gz"), gz.subarray(0, gz.length / 2));
    await expectUserError(loadFashionMnist(isolated({ dir })), join(dir, "t10k-images-idx3-ubyte.gz"), /not a valid gzip file/);
  });
});

describe("downloading", () => {
  let server: Server;
  let requests: string[];
  let mode: "serve" | "404" | "stall";
  let base: string;
  const md5: Record<string, string> = {};

  beforeEach(async () => {
    for (const name of IDX_FILES) md5[name] = createHash("md5").update(await readFile(fixture(name))).digest("hex");
    requests = [];
    mode = "serve";
    server = createServer(async (req, res) => {
      requests.push(req.url!);
      const name = req.url!.replace(/^\/mirror\//, "").replace(/\.gz$/, "") as IdxFile;
      if (mode === "404" || !IDX_FILES.includes(name)) return res.writeHead(404).end();
      const body = await readFile(fixture(name));
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

  const opts = (extra: LoadOptions = {}): LoadOptions =>
    isolated({ env: { HOME: join(tmp, "home"), NETC_DATA_URL: base }, download: true, md5: md5 as Record<IdxFile, string>, ...extra });
  const cache = () => cacheDir({ HOME: join(tmp, "home") });

  it("downloads into the cache, verifies, and reuses the cache afterwards", async () => {
    const log = new PassThrough();
    let text = "";
    log.on("data", (d: Buffer) => (text += d));
    const data = await loadFashionMnist(opts({ progress: log }));
    expect(data.source).toBe(cache());
    expect(data.train.count).toBe(1000);
    expect(requests).toEqual(IDX_FILES.map((f) => `/mirror/${f}.gz`));
    expect(text).toContain(`Downloading ${base}/train-images-idx3-ubyte.gz`);
    expect((await readdir(cache())).sort()).toEqual(IDX_FILES.map((f) => `${f}.gz`).sort());

    await loadFashionMnist(opts());
    expect(requests.length).toBe(4);
  });

  it("fetches only the files the cache lacks", async () => {
    await mkdir(cache(), { recursive: true });
    await copyFile(fixture("train-images-idx3-ubyte"), join(cache(), "train-images-idx3-ubyte.gz"));
    await loadFashionMnist(opts());
    expect(requests).not.toContain("/mirror/train-images-idx3-ubyte.gz");
    expect(requests.length).toBe(3);
  });

  it("rejects a file whose checksum is wrong and saves nothing", async () => {
    const wrong = { ...md5, "train-labels-idx1-ubyte": "0".repeat(32) } as Record<IdxFile, string>;
    await expectUserError(loadFashionMnist(opts({ md5: wrong })), "train-labels-idx1-ubyte.gz: checksum mismatch", md5["train-labels-idx1-ubyte"]!);
    expect(await readdir(cache())).toEqual(["train-images-idx3-ubyte.gz"]);
  });

  it("gives up on an HTTP error, naming every other way to get the data", async () => {
    mode = "404";
    const err = await expectUserError(loadFashionMnist(opts()), "downloading", "HTTP 404");
    expect(err.hints.join("\n")).toMatch(/--data DIR[^]*NETC_DATA=[^]*apt-get install dataset-fashion-mnist/);
  });

  it("gives up when offline", async () => {
    await new Promise((ok) => server.close(ok)); // nothing listens on the port now
    await expectUserError(loadFashionMnist(opts()), "fetch failed (ECONNREFUSED)");
    expect(existsSync(join(cache(), "train-images-idx3-ubyte.gz"))).toBe(false);
  });

  it("gives up on a stalled transfer", async () => {
    mode = "stall";
    await expectUserError(loadFashionMnist(opts({ stallTimeoutMs: 200 })), "no data received for 0.2 s");
    expect(await readdir(cache())).toEqual([]);
  });
});

describe("shuffledIndices and batches", () => {
  it("gives a repeatable permutation per seed", () => {
    const a = shuffledIndices(1000, 7);
    expect(Array.from(a).sort((x, y) => x - y)).toEqual(Array.from({ length: 1000 }, (_, i) => i));
    expect(shuffledIndices(1000, 7)).toEqual(a);
    expect(shuffledIndices(1000, 8)).not.toEqual(a);
    expect(Array.from(a.subarray(0, 10))).not.toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
  });

  it("batches a split in the given order, the last batch short", async () => {
    const { test } = await loadFashionMnist(isolated({ dir: FIXTURE }));
    const order = shuffledIndices(test.count, 1);
    const all = [...batches(test, 64, order)];
    expect(all.map((b) => b.size)).toEqual([64, 64, 64, 8]);
    const second = all[1]!;
    const i = order[64 + 5]!;
    expect(second.labels[5]).toBe(test.labels[i]);
    expect(second.images.subarray(5 * 784, 6 * 784)).toEqual(test.images.subarray(i * 784, (i + 1) * 784));
    expect([...batches(test, 200)][0]!.labels).toEqual(test.labels);
  });
});

describe.skipIf(!existsSync(SYSTEM_DIR))("the full set from Debian's dataset-fashion-mnist", () => {
  it("loads 60000 training and 10000 test examples", async () => {
    const data = await loadFashionMnist({ dir: SYSTEM_DIR, download: false });
    expect([data.train.count, data.test.count]).toEqual([60000, 10000]);
    const counts = new Array(10).fill(0);
    for (const l of data.train.labels) counts[l]++;
    expect(counts).toEqual(new Array(10).fill(6000));
  });
});
