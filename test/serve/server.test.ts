import { spawnSync } from "node:child_process";
import { mkdirSync, mkdtempSync, symlinkSync, writeFileSync } from "node:fs";
import { request } from "node:http";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { IDX_FILES } from "../../src/runtime/fashion-mnist.js";
import { serve, type Serving } from "../../src/serve/server.js";

/**
 * `netc serve`'s server: what it answers, with which types and headers, and that nothing but the
 * page's files, the model and the data files is reachable, however the path is written.
 */

const FIXTURE = resolve("test/fixtures/fashion-mnist-small");
let root: string;
let serving: Serving;
let port: number;

/** A raw GET: the path goes out exactly as written (fetch would normalize `..` away). */
function get(path: string, headers: Record<string, string> = {}, method = "GET"): Promise<{ status: number; headers: Record<string, string | string[] | undefined>; body: Buffer }> {
  return new Promise((done, fail) => {
    const req = request({ host: "127.0.0.1", port, path, method, headers: { host: `127.0.0.1:${port}`, ...headers } }, (res) => {
      const chunks: Buffer[] = [];
      res.on("data", (c: Buffer) => chunks.push(c));
      res.on("end", () => done({ status: res.statusCode!, headers: res.headers, body: Buffer.concat(chunks) }));
    });
    req.on("error", fail);
    req.end();
  });
}

beforeAll(async () => {
  const base = mkdtempSync(join(tmpdir(), "netc-serve-"));
  root = join(base, "web");
  mkdirSync(join(root, "models"), { recursive: true });
  writeFileSync(join(root, "index.html"), "<!doctype html><title>netc</title>");
  writeFileSync(join(root, "app.js"), "export {};");
  writeFileSync(join(root, "kernels.wasm"), new Uint8Array([0, 97, 115, 109, 1, 0, 0, 0]));
  writeFileSync(join(root, "models", "lenet.net"), "model lenet\n");
  // Secrets beside the bundle, and links to them from inside it.
  writeFileSync(join(base, "secret.txt"), "secret");
  mkdirSync(join(base, "private"));
  writeFileSync(join(base, "private", "key.txt"), "secret");
  symlinkSync(join(base, "secret.txt"), join(root, "link.txt"));
  symlinkSync(join(base, "private"), join(root, "private"));
  const model = join(base, "mine.net");
  writeFileSync(model, "model mine\ninput 784\nlinear 10\n");
  const files = Object.fromEntries(IDX_FILES.map((f) => [f, join(FIXTURE, `${f}.gz`)])) as Record<(typeof IDX_FILES)[number], string>;
  serving = await serve({ root, port: 0, model, data: { dir: FIXTURE, files } });
  port = Number(new URL(serving.url).port);
});

afterAll(() => serving?.close());

describe("netc serve's server", () => {
  it("listens on 127.0.0.1 only", () => {
    expect(serving.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/$/);
    expect((serving.server.address() as { address: string }).address).toBe("127.0.0.1");
  });

  it("serves the page's files with their content types, cross-origin isolated", async () => {
    const index = await get("/");
    expect(index.status).toBe(200);
    expect(index.headers["content-type"]).toBe("text/html; charset=utf-8");
    expect(index.body.toString()).toContain("<title>netc</title>");
    expect(index.headers["cross-origin-opener-policy"]).toBe("same-origin");
    expect(index.headers["cross-origin-embedder-policy"]).toBe("require-corp");
    expect(index.headers["x-content-type-options"]).toBe("nosniff");
    expect((await get("/app.js")).headers["content-type"]).toBe("text/javascript; charset=utf-8");
    expect((await get("/kernels.wasm")).headers["content-type"]).toBe("application/wasm");
    const model = await get("/models/lenet.net");
    expect(model.headers["content-type"]).toBe("text/plain; charset=utf-8");
    expect(model.body.toString()).toBe("model lenet\n");
    const head = await get("/app.js", {}, "HEAD");
    expect(head.status).toBe(200);
    expect(head.headers["content-length"]).toBe("10");
    expect(head.body.length).toBe(0);
  });

  it("serves the model it was given, as it is now, and tells the page about it and the data", async () => {
    expect((await get("/model.net")).body.toString()).toBe("model mine\ninput 784\nlinear 10\n");
    const config = JSON.parse((await get("/config.json")).body.toString());
    expect(config.model).toEqual({ name: "mine.net", url: "model.net" });
    expect(config.data.name).toBe(FIXTURE);
    expect(config.data.files["train-images-idx3-ubyte"]).toBe("data/train-images-idx3-ubyte.gz");
  });

  it("serves the Fashion-MNIST files it found", async () => {
    const r = await get("/data/t10k-labels-idx1-ubyte.gz");
    expect(r.status).toBe(200);
    expect(r.headers["content-type"]).toBe("application/gzip");
    expect(r.body.subarray(0, 2)).toEqual(Buffer.from([0x1f, 0x8b]));
  });

  it.each([
    ["/../secret.txt"],
    ["/%2e%2e/secret.txt"],
    ["/models/..%2f..%2fsecret.txt"],
    ["/models%2flenet.net"],
    ["/models%5clenet.net"],
    ["/./index.html"],
    ["//index.html"],
    ["/link.txt"],
    ["/private/key.txt"],
    ["/data/../../secret.txt"],
    ["/data/secret.txt"],
    ["/models/"],
    ["/models"],
    ["/index.html%00.net"],
    ["/nonexistent.js"],
  ])("reaches nothing else: %s is 404, and says nothing of the file", async (path) => {
    const r = await get(path);
    expect(r.status).toBe(404);
    expect(r.body.toString()).toBe("not found\n");
  });

  it("lists no directory", async () => {
    const r = await get("/models/");
    expect(r.status).toBe(404);
    expect(r.body.toString()).not.toContain("lenet");
  });

  it("answers only this machine's host names, and only GET and HEAD", async () => {
    expect((await get("/", { host: `localhost:${port}` })).status).toBe(200);
    expect((await get("/", { host: "attacker.example" })).status).toBe(421);
    expect((await get("/", { host: `attacker.example:${port}` })).status).toBe(421);
    const post = await get("/", {}, "POST");
    expect(post.status).toBe(405);
    expect(post.headers["allow"]).toBe("GET, HEAD");
  });
});

describe("netc serve", () => {
  function netc(...args: string[]) {
    const r = spawnSync(process.execPath, ["bin/netc.mjs", ...args], { encoding: "utf8", env: { ...process.env, NO_COLOR: "1" }, timeout: 20_000 });
    return { code: r.status, stdout: r.stdout, stderr: r.stderr };
  }

  it("refuses a model file it cannot read, and a data directory without the files (no stack traces)", () => {
    const missing = netc("serve", "models/nonexistent.net", "--port", "0");
    expect(missing.code).toBe(2);
    expect(missing.stderr).toContain("cannot read models/nonexistent.net: no such file");
    const data = netc("serve", "--data", "models", "--port", "0");
    expect(data.code).toBe(1);
    expect(data.stderr).toMatch(/error: --data \S+models: missing train-images-idx3-ubyte\[\.gz\]/);
    expect(`${missing.stderr}${data.stderr}`).not.toMatch(/\n\s+at /);
  });

  it("says when the port is taken", () => {
    const r = netc("serve", "--port", String(port));
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(`error: port ${port} is in use`);
  });
});
