import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";

/** The CLI as a user runs it: the bundled bin, real files, exit codes, stdout and stderr. */
function netc(...args: string[]) {
  const r = spawnSync(process.execPath, ["bin/netc.mjs", ...args], { encoding: "utf8", env: { ...process.env, NO_COLOR: "1" } });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

// The seed notebook's printout (cell 35), copied verbatim from shared/reference/seed-d2l-batch-norm.txt.
const seedPrintout = readFileSync(join(import.meta.dirname, "fixtures/seed-lenet-bn-shapes.txt"), "utf8");

describe("netc check", () => {
  it("passes every model in models/ without errors", () => {
    const r = netc("check", ...["lenet", "lenet-bn", "alexnet", "vgg11", "nin", "googlenet", "resnet18", "densenet"].map((m) => `models/${m}.net`));
    expect(r.stderr).not.toContain("error");
    expect(r.code).toBe(0);
  });

  it("reports three independent mistakes with line:col and carets, exit 1", () => {
    const r = netc("check", "test/diagnostics/three-mistakes.net");
    expect(r.code).toBe(1);
    expect(r.stderr).toContain("test/diagnostics/three-mistakes.net:4:1: error: unknown layer `convv`");
    expect(r.stderr).toContain("test/diagnostics/three-mistakes.net:5:9: error: `conv` has no option `q5`");
    expect(r.stderr).toContain("test/diagnostics/three-mistakes.net:7:1: error: `linear` is missing its `features` argument");
    expect(r.stderr).toContain("  | ^^^^^\n");
    expect(r.stderr).toContain("a layer with a similar name exists: `conv`");
    expect(r.stderr).toContain("3 errors in 1 file");
  });

  it("emits machine-readable JSON diagnostics", () => {
    const r = netc("check", "--format", "json", "test/diagnostics/three-mistakes.net", "models/lenet.net");
    expect(r.code).toBe(1);
    const json = JSON.parse(r.stdout);
    expect(json.version).toBe(1);
    expect(json.files.map((f: { file: string }) => f.file)).toEqual(["test/diagnostics/three-mistakes.net", "models/lenet.net"]);
    const [first] = json.files[0].diagnostics;
    expect(first).toMatchObject({ severity: "error", code: "NET010", message: "unknown layer `convv`", range: { start: { line: 4, column: 1, offset: expect.any(Number) }, end: { line: 4, column: 6 } } });
    expect(json.files[1].diagnostics).toEqual([]);
  });

  it("exits 2 on usage errors, never with a stack trace", () => {
    for (const args of [["check", "missing.net"], ["check", "--bogus", "models/lenet.net"], ["frobnicate"], ["shapes", "models"], ["shapes", "models/lenet.net", "--batch", "0"]]) {
      const r = netc(...args);
      expect(r.code, args.join(" ")).toBe(2);
      expect(r.stderr).not.toMatch(/\n\s+at /);
    }
    expect(netc("check", "missing.net").stderr).toContain("cannot read missing.net: no such file");
  });

  it("rejects binary and huge files with a clear error", () => {
    const dir = mkdtempSync(join(tmpdir(), "netc-"));
    writeFileSync(join(dir, "huge.net"), "relu\n".repeat(300_000));
    const huge = netc("check", join(dir, "huge.net"));
    expect(huge.code).toBe(1);
    expect(huge.stderr).toContain("limited to 1 MiB");
    const binary = netc("check", "test/diagnostics/binary.net");
    expect(binary.code).toBe(1);
    expect(binary.stderr).toContain("NUL bytes");
  });
});

describe("netc shapes", () => {
  it("--style torch prints the seed's 16 lines exactly", () => {
    const r = netc("shapes", "models/lenet-bn.net", "--style", "torch");
    expect(r.code).toBe(0);
    expect(seedPrintout.split("\n")).toHaveLength(17);
    expect(r.stdout).toBe(seedPrintout);
  });

  it("names built-in batch norm as PyTorch does", () => {
    const r = netc("shapes", "models/lenet-bn.net", "--style", "torch", "--bn", "builtin", "--batch", "256");
    expect(r.stdout.split("\n").slice(0, 2)).toEqual(["Conv2d output shape: \ttorch.Size([256, 6, 24, 24])", "BatchNorm2d output shape: \ttorch.Size([256, 6, 24, 24])"]);
    expect(r.stdout).toContain("BatchNorm1d output shape: \ttorch.Size([256, 120])");
  });

  it("names the normalization layers and counts their parameters and state as PyTorch does", () => {
    const dir = mkdtempSync(join(tmpdir(), "netc-norms-"));
    const file = join(dir, "norms.net");
    writeFileSync(
      file,
      [
        "input 1x28x28",
        "conv 6 k5 p2 nobias | layernorm | sigmoid | avgpool 2",
        "conv 16 k5 nobias | groupnorm 4 | sigmoid | avgpool 2",
        "conv 16 k3 p1 nobias | instancenorm affine track | relu",
        "conv 16 k3 p1 nobias | iternorm groups=4 | relu",
        "flatten",
        "linear 120 nobias | bn affine=false momentum=none | sigmoid",
        "linear 10",
        "",
      ].join("\n"),
    );
    const torch = netc("shapes", file, "--style", "torch", "--bn", "builtin");
    expect(torch.code).toBe(0);
    const names = torch.stdout.trim().split("\n").map((l) => l.split(" output shape: \t"));
    expect(names.filter(([name]) => /Norm/.test(name!))).toEqual([
      ["LayerNorm", "torch.Size([1, 6, 28, 28])"],
      ["GroupNorm", "torch.Size([1, 16, 10, 10])"],
      ["InstanceNorm2d", "torch.Size([1, 16, 5, 5])"],
      ["IterNorm", "torch.Size([1, 16, 5, 5])"],
      ["BatchNorm1d", "torch.Size([1, 120])"],
    ]);
    const json = JSON.parse(netc("shapes", file, "--format", "json").stdout);
    const norms = json.shapes.layers.filter((l: { layer: string }) => /norm|bn/.test(l.layer)).map((l: { layer: string; params: number; state: number }) => [l.layer, l.params, l.state]);
    // LayerNorm(6×28×28): weight and bias per element; IterNorm: running mean 16 + whitening 4×4×4; BN: running stats + batch count.
    expect(norms).toEqual([
      ["layernorm", 2 * 6 * 28 * 28, 0],
      ["groupnorm", 32, 0],
      ["instancenorm", 32, 32],
      ["iternorm", 32, 16 + 4 * 4 * 4],
      ["bn", 0, 241],
    ]);
  });

  it("prints a table whose totals match PyTorch and whose rows add up", () => {
    const r = netc("shapes", "models/lenet-bn.net");
    expect(r.code).toBe(0);
    expect(r.stdout).toContain("Total params: 44,878");
    expect(r.stdout).toContain("Non-trainable state (moving statistics, \"+N\" above): 452");
    const rows = r.stdout.split("\n").filter((l) => /^\s+\d+\s+\w+ \(/.test(l));
    expect(rows).toHaveLength(16);
    const params = rows.map((l) => l.match(/\]\s+([\d,]+|--)/)![1]!).map((p) => (p === "--" ? 0 : Number(p.replace(/,/g, ""))));
    expect(params.reduce((a, b) => a + b, 0)).toBe(44_878);
    expect(r.stderr).toContain("4 warnings");
  });

  it("--format json gives shapes and totals", () => {
    const r = netc("shapes", "models/resnet18.net", "--format", "json", "--batch", "2");
    const json = JSON.parse(r.stdout);
    expect(json.shapes.output).toEqual([2, 10]);
    expect(json.shapes.totals).toMatchObject({ params: 11_178_378, state: 7_808 });
    expect(json.shapes.layers[0]).toMatchObject({ layer: "conv", torch: "Conv2d", line: 36, output: [2, 64, 48, 48], params: 3_200 });
  });

  it("fails with located diagnostics and no table on a shape error", () => {
    const r = netc("shapes", "test/diagnostics/shape-linear.net");
    expect(r.code).toBe(1);
    expect(r.stdout).toBe("");
    expect(r.stderr).toContain("shape-linear.net:3:1: error: `linear` needs a flat input, but gets 6×12×12");
    expect(r.stderr).toContain("insert `flatten` before it (6×12×12 → 864)");
  });
});

describe("a reader that stops early", () => {
  it("ends netc quietly, as SIGPIPE would, without an internal error", () => {
    // `head -1` closes the pipe after one line; netc's writes past the pipe's buffer (64 KiB)
    // then fail with EPIPE.
    const dir = mkdtempSync(join(tmpdir(), "netc-pipe-"));
    const big = join(dir, "big.net");
    writeFileSync(big, "input 1x8x8\nrepeat 400 { conv 4 k3 p1 | relu }\nflatten | linear 10\n");
    const r = spawnSync("bash", ["-c", `"${process.execPath}" bin/netc.mjs shapes --format json "${big}" | head -1; echo "status \${PIPESTATUS[0]}" >&2`], { encoding: "utf8" });
    expect(r.stdout).toBe("{\n");
    expect(r.stderr).not.toContain("internal error");
    expect(r.stderr).toContain("status 141\n");
  });
});
