import { mkdtemp, readdir, readFile, writeFile, mkdir } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { beforeEach, describe, expect, it } from "vitest";
import { writeDirAtomic, writeFileAtomic } from "../../src/runtime/fsutil.js";

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), "netc-fsutil-"));
});

describe("writeFileAtomic", () => {
  it("creates and replaces a file, leaving no temp files", async () => {
    const f = join(dir, "a.json");
    await writeFileAtomic(f, "one");
    await writeFileAtomic(f, new Uint8Array([116, 119, 111]));
    expect(await readFile(f, "utf8")).toBe("two");
    expect(await readdir(dir)).toEqual(["a.json"]);
  });

  it("fails without touching anything when the directory is missing", async () => {
    await expect(writeFileAtomic(join(dir, "nope", "a"), "x")).rejects.toThrow(/ENOENT/);
    expect(await readdir(dir)).toEqual([]);
  });
});

describe("writeDirAtomic", () => {
  it("creates a directory from the fill callback", async () => {
    const ckpt = join(dir, "ckpt");
    await writeDirAtomic(ckpt, async (tmp) => {
      await writeFile(join(tmp, "weights.bin"), "w1");
      await writeFile(join(tmp, "meta.json"), "{}");
    });
    expect((await readdir(ckpt)).sort()).toEqual(["meta.json", "weights.bin"]);
    expect(await readdir(dir)).toEqual(["ckpt"]);
  });

  it("replaces an existing directory whole, dropping files the new one lacks", async () => {
    const ckpt = join(dir, "ckpt");
    await mkdir(ckpt);
    await writeFile(join(ckpt, "stale.bin"), "old");
    await writeDirAtomic(ckpt, (tmp) => writeFile(join(tmp, "weights.bin"), "new"));
    expect(await readdir(ckpt)).toEqual(["weights.bin"]);
    expect(await readdir(dir)).toEqual(["ckpt"]);
  });

  it("keeps the previous directory when fill fails, and cleans up", async () => {
    const ckpt = join(dir, "ckpt");
    await mkdir(ckpt);
    await writeFile(join(ckpt, "weights.bin"), "old");
    const failing = writeDirAtomic(ckpt, async (tmp) => {
      await writeFile(join(tmp, "weights.bin"), "half");
      throw new Error("disk full");
    });
    await expect(failing).rejects.toThrow("disk full");
    expect(await readFile(join(ckpt, "weights.bin"), "utf8")).toBe("old");
    expect(await readdir(dir)).toEqual(["ckpt"]);
  });
});
