import { execFileSync, spawn, spawnSync } from "node:child_process";
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { describe, expect, it } from "vitest";
import { commitEnv, skipWithoutPreCommit } from "./pre-commit.js";

/**
 * netc as its users get it: the tarball `npm pack` makes (what `npm publish` uploads), installed
 * into an empty project and run with `npx`. The slowest test of the suite (an `npm install`).
 */

const version = JSON.parse(readFileSync("package.json", "utf8")).version as string;

describe("the npm package", () => {
  const dir = mkdtempSync(join(tmpdir(), "netc-package-"));
  // The project that uses netc (made by the second test, used by the third).
  const project = join(dir, "project");

  it("holds the CLI's bundles, the browser page, the grammar, README and LICENSE; no sources, tests or source maps", () => {
    // The globally set-up build made dist/; packing must not rebuild it under the other tests' feet.
    const [pack] = JSON.parse(execFileSync("npm", ["pack", "--ignore-scripts", "--json", "--pack-destination", dir], { encoding: "utf8" }));
    expect(pack.filename).toBe(`netc-${version}.tgz`);
    const paths = (pack.files as { path: string }[]).map((f) => f.path);
    const shipped = /^(package\.json|README\.md|LICENSE|bin\/netc\.mjs|dist\/[\w-]+\.(mjs|wasm)|dist\/chunks\/[\w-]+\.mjs|dist\/web\/(chunks\/)?[\w.-]+\.(html|js|css)|dist\/web\/(tfjs\/)?[\w-]+\.wasm|dist\/web\/models\/[\w-]+\.(net|json)|dist\/web\/sample\/[\w-]+\.gz|grammar\/[\w.-]+)$/;
    expect(paths.filter((p) => !shipped.test(p))).toEqual([]);
    expect(paths).toEqual(
      expect.arrayContaining([
        "LICENSE",
        "README.md",
        "bin/netc.mjs",
        "dist/netc.mjs",
        "dist/netc-fmt.mjs",
        "dist/netc-lsp.mjs",
        "dist/prettier-plugin-netc.mjs",
        "dist/netc-kernels.wasm",
        "dist/netc-kernels-shared.wasm",
        "dist/web/index.html",
        "dist/web/app.js",
        "dist/web/train-worker.js",
        "dist/web/tfjs/tfjs-backend-wasm-threaded-simd.wasm",
        "dist/web/models/lenet-bn.net",
        "dist/web/sample/train-images-idx3-ubyte.gz",
        "grammar/netc.tmLanguage.json",
        "grammar/language-configuration.json",
      ]),
    );
  });

  it("installs into an empty project, where `npx netc` checks, formats and trains", { timeout: 300_000 }, () => {
    mkdirSync(join(project, "models"), { recursive: true });
    writeFileSync(join(project, "package.json"), JSON.stringify({ name: "uses-netc", private: true }));
    // From the tarball; its dependencies from npm's cache (filled by `npm ci`), the registry only for what is missing.
    execFileSync("npm", ["install", "--prefer-offline", "--no-audit", "--no-fund", join(dir, `netc-${version}.tgz`)], { cwd: project, stdio: "ignore" });
    const npx = (...args: string[]) => {
      const r = spawnSync("npx", ["--no", "--", "netc", ...args], { cwd: project, encoding: "utf8", env: { ...process.env, NO_COLOR: "1" } });
      return { code: r.status, stdout: r.stdout, stderr: r.stderr };
    };

    expect(npx("--version").stdout).toBe(`${version}\n`);

    copyFileSync("models/lenet.net", join(project, "models/lenet.net"));
    const shapes = npx("shapes", "models/lenet.net");
    expect(shapes.code).toBe(0);
    expect(shapes.stdout).toContain("Total params: 61,706");

    // A broken model among good ones, checked from the project's root as CI would.
    writeFileSync(join(project, "models/broken.net"), "input 1x28x28\nconv 6 k5 | relu\nlinear 10\n");
    const check = npx("check", "--format", "github");
    expect(check.code).toBe(1);
    expect(check.stdout).toBe("::error file=models/broken.net,line=3,col=1,endLine=3,endColumn=10,title=NET103::`linear` needs a flat input, but gets 6×24×24%0Ahint: insert `flatten` before it (6×24×24 → 3456)\n");
    expect(check.stderr).toBe("1 error in 2 files\n");

    writeFileSync(join(project, "models/broken.net"), "input 1x28x28\nconv 6 k5|relu\nflatten\nlinear 10\n");
    expect(npx("check").code).toBe(0);
    const fmtCheck = npx("fmt", "--check");
    expect([fmtCheck.code, fmtCheck.stdout]).toEqual([1, "models/broken.net\n"]);
    expect(npx("fmt", "--write").code).toBe(0);
    expect(readFileSync(join(project, "models/broken.net"), "utf8")).toBe("input 1x28x28\nconv 6 k5 | relu\nflatten\nlinear 10\n");

    // The Prettier plugin, as package.json's `exports` offers it.
    expect(execFileSync(process.execPath, ["--input-type=module", "-e", "const p = await import('netc/prettier'); console.log(Object.keys(p.languages ?? p.default.languages).length > 0)"], { cwd: project, encoding: "utf8" })).toBe("true\n");

    const train = npx("train", "models/lenet.net", "--limit", "100", "--epochs", "1", "--data", resolve("test/fixtures/fashion-mnist-small"), "--out", "runs/try");
    expect(train.stderr).not.toContain("error");
    expect(train.code).toBe(0);
    expect(train.stdout).toMatch(/loss [\d.]+, train acc [\d.]+, test acc [\d.]+/);
    expect(existsSync(join(project, "runs/try/checkpoint/weights.bin"))).toBe(true);

    expect(npx("draw", "models/lenet.net", "-o", "lenet.png").code).toBe(0);
    expect(readFileSync(join(project, "lenet.png")).subarray(1, 4).toString()).toBe("PNG");
  });

  it("serves the browser page from the installed package", async () => {
    // The installed bin itself (npx would stand between the test and the server's signals).
    const serve = spawn(process.execPath, ["node_modules/netc/bin/netc.mjs", "serve", "models/lenet.net", "--port", "0"], { cwd: project, stdio: ["ignore", "pipe", "pipe"] });
    try {
      const url = await new Promise<string>((done, fail) => {
        let out = "";
        serve.stdout.on("data", (d: Buffer) => (out += d) && /^http:\S+\/$/m.test(out) && done(/^(http:\S+\/)$/m.exec(out)![1]!));
        serve.once("exit", (code) => fail(new Error(`netc serve exited with ${code}`)));
      });
      const page = await fetch(url);
      expect(page.headers.get("content-type")).toBe("text/html; charset=utf-8");
      expect(await page.text()).toContain('<script type="module" src="app.js"></script>');
      expect(await (await fetch(new URL("model.net", url))).text()).toBe(readFileSync("models/lenet.net", "utf8"));
      expect((await fetch(new URL("train-worker.js", url))).status).toBe(200);
    } finally {
      serve.kill("SIGINT");
    }
  });

  it.skipIf(skipWithoutPreCommit)("runs as the README's local pre-commit hooks, which stop a commit of a broken model", () => {
    const readme = readFileSync("README.md", "utf8");
    const config = /```yaml\n(repos:\n {2}- repo: local\n[^`]*)```/.exec(readme)?.[1];
    expect(config).toContain("entry: npx netc check");
    writeFileSync(join(project, ".pre-commit-config.yaml"), config!);
    writeFileSync(join(project, ".gitignore"), "node_modules/\nruns/\n");
    const env = commitEnv();
    const run = (command: string, ...args: string[]) => spawnSync(command, args, { cwd: project, encoding: "utf8", env });
    execFileSync("git", ["init", "-q"], { cwd: project });
    expect(run("pre-commit", "install").status).toBe(0);

    writeFileSync(join(project, "models/broken.net"), "input 784\nlinear 10 | relu | linear\n");
    run("git", "add", "-A");
    const blocked = run("git", "commit", "-m", "models");
    expect(blocked.status).toBe(1);
    expect(blocked.stderr).toMatch(/netc check\.+Failed/);
    expect(blocked.stderr).toContain("models/broken.net:2:20: error: `linear` is missing its `features` argument [NET012]");

    writeFileSync(join(project, "models/broken.net"), "input 784\nlinear 10 | relu | linear 10\n");
    run("git", "add", "-A");
    const committed = run("git", "commit", "-m", "models");
    expect(committed.stderr).toMatch(/netc check\.+Passed/);
    expect(committed.status).toBe(0);
  });
});
