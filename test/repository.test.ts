import { execFileSync, spawnSync } from "node:child_process";
import { mkdirSync, mkdtempSync, readFileSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { delimiter, dirname, join, resolve } from "node:path";
import AjvDraft04 from "ajv-draft-04";
import addFormats from "ajv-formats";
import { describe, expect, it } from "vitest";
import { CODES, error, explanation, warning } from "../src/diagnostics.js";
import { renderGithubAnnotation } from "../src/render.js";
import { SourceFile } from "../src/source.js";
import { commitEnv, skipWithoutPreCommit } from "./pre-commit.js";

/** `.net` files in repositories: `netc check` and `netc fmt` over directories, CI output, the pre-commit hooks. */

const NETC = resolve("bin/netc.mjs");

function netc(cwd: string, ...args: string[]) {
  const r = spawnSync(process.execPath, [NETC, ...args], { cwd, encoding: "utf8", env: { ...process.env, NO_COLOR: "1" } });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

/** A new directory holding `files` (path → text), made a Git repository with `git: true`. */
function tree(files: Record<string, string>, { git = false } = {}): string {
  const root = mkdtempSync(join(tmpdir(), "netc-repo-"));
  for (const [path, text] of Object.entries(files)) {
    mkdirSync(dirname(join(root, path)), { recursive: true });
    writeFileSync(join(root, path), text);
  }
  if (git) execFileSync("git", ["init", "-q", root]);
  return root;
}

const GOOD = "input 1x28x28\nconv 6 k5 nobias | bn | relu | avgpool 2\nflatten\nlinear 10\n";
// One warning (NET200): the conv's bias is cancelled by `bn`.
const WARNS = "input 1x28x28\nconv 6 k5 | bn | relu | avgpool 2\nflatten\nlinear 10\n";
// Two errors: `linear` on an image (NET103, line 4) and an unknown layer (NET010, line 5).
const BROKEN = "model broken\ninput 1x28x28\nconv 6 k5 | sigmoid | avgpool 2\nlinear 120\nrelu | convv 3\n";

const checkedFiles = (cwd: string, ...args: string[]) => (JSON.parse(netc(cwd, "check", "--format", "json", ...args).stdout).files as { file: string }[]).map((f) => f.file);

describe("netc check over directories", () => {
  const repo = tree(
    {
      ".gitignore": "/build/\n*.draft.net\n",
      "top.net": GOOD,
      "models/a.net": GOOD,
      "models/deep/d.net": GOOD,
      "models/.gitignore": "!keep.draft.net\nscratch/\n",
      "models/keep.draft.net": GOOD,
      "models/x.draft.net": GOOD,
      "models/scratch/s.net": GOOD,
      "build/b.net": GOOD,
      "node_modules/pkg/p.net": GOOD,
      "models/README.md": "not a model\n",
    },
    { git: true },
  );

  it("finds the .net files Git sees, outside node_modules (nested .gitignore files, `!` patterns)", () => {
    const found = checkedFiles(repo);
    expect(found).toEqual(["models/a.net", "models/deep/d.net", "models/keep.draft.net", "top.net"]);
    // Git's own view of the same tree: tracked or untracked, not ignored.
    const git = execFileSync("git", ["ls-files", "--cached", "--others", "--exclude-standard"], { cwd: repo, encoding: "utf8" }).split("\n");
    expect(git.filter((f) => f.endsWith(".net") && !f.startsWith("node_modules/")).sort()).toEqual([...found].sort());
  });

  it("applies the .gitignore files above a directory it is given, up to the repository's root", () => {
    expect(checkedFiles(join(repo, "models"))).toEqual(["a.net", "deep/d.net", "keep.draft.net"]);
    expect(checkedFiles(repo, "models", "top.net")).toEqual(["models/a.net", "models/deep/d.net", "models/keep.draft.net", "top.net"]);
  });

  it("checks files named on the command line as they are, ignored or not, once each", () => {
    expect(checkedFiles(repo, "build/b.net", "models/x.draft.net", "models", "models/a.net")).toEqual([
      "build/b.net",
      "models/x.draft.net",
      "models/a.net",
      "models/deep/d.net",
      "models/keep.draft.net",
    ]);
  });

  it("says so, exit 2, when a directory holds no model files", () => {
    const empty = tree({ "notes.md": "# notes\n", "node_modules/x/y.net": GOOD });
    const none = netc(empty, "check");
    expect(none.code).toBe(2);
    expect(none.stderr).toContain("error: no .net files in the current directory");
    expect(none.stderr).toContain("hint: files that a .gitignore ignores, and node_modules, are skipped");
    expect(netc(repo, "check", "build").stderr).toContain("no .net files in build");
    expect(netc(empty, "fmt", "--check").code).toBe(2);
  });
});

describe("netc check --format github and sarif", () => {
  const repo = tree({ "models/good.net": GOOD, "models/warns.net": WARNS, "experiments/broken.net": BROKEN }, { git: true });

  it("prints one workflow command per mistake, on the mistake's lines, and exits 1", () => {
    const r = netc(repo, "check", "--format", "github");
    expect(r.code).toBe(1);
    expect(r.stdout.split("\n")).toEqual([
      "::error file=experiments/broken.net,line=4,col=1,endLine=4,endColumn=11,title=NET103::`linear` needs a flat input, but gets 6×12×12%0Ahint: insert `flatten` before it (6×12×12 → 864)",
      "::error file=experiments/broken.net,line=5,col=8,endLine=5,endColumn=13,title=NET010::unknown layer `convv`%0Ahint: a layer with a similar name exists: `conv`",
      "::warning file=models/warns.net,line=2,col=1,endLine=2,endColumn=10,title=NET200::the bias of this `conv` is cancelled by the `bn` after it%0Ahint: write `nobias` to drop the parameter (the output is the same; `bn`'s beta plays the bias's role)",
      "",
    ]);
    expect(r.stderr).toBe("2 errors, 1 warning in 3 files\n");
    // Warnings alone pass.
    const models = netc(join(repo, "models"), "check", "--format", "github");
    expect(models.code).toBe(0);
    expect(models.stdout).toMatch(/^::warning file=warns\.net,line=2,/);
  });

  it("escapes properties and messages as GitHub's runner reads them", () => {
    const source = new SourceFile("odd dir/a,b:c.net", "conv 6\n  k5\n");
    const text = renderGithubAnnotation(error("NET013", { start: 0, end: 4 }, "100% wrong\r\nhere", { hints: ["write a: b, c"] }), source, process.cwd());
    expect(text).toBe("::error file=odd dir/a%2Cb%3Ac.net,line=1,col=1,endLine=1,endColumn=5,title=NET013::100%25 wrong%0D%0Ahere%0Ahint: write a: b, c");
    // GitHub takes columns only within one line.
    const twoLines = renderGithubAnnotation(warning("NET200", { start: 5, end: 11 }, "spans lines"), source, process.cwd());
    expect(twoLines).toBe("::warning file=odd dir/a%2Cb%3Ac.net,line=1,endLine=2,title=NET200::spans lines");
  });

  it("writes SARIF 2.1.0 that the official schema accepts, with a rule per code and a located result per mistake", () => {
    const repo = tree({ "models/good.net": GOOD, "models/warns.net": WARNS, "experiments/broken.net": BROKEN, "experiments/with space.net": "input 784\nlinear 10 | relu | linear\n" });
    const r = netc(repo, "check", "--format", "sarif");
    expect(r.code).toBe(1);
    const log = JSON.parse(r.stdout);

    // The OASIS schema (errata 01, JSON Schema draft 04), formats such as `uri-reference` checked.
    const ajv = new AjvDraft04.default({ allErrors: true });
    addFormats.default(ajv);
    const validate = ajv.compile(JSON.parse(readFileSync("test/fixtures/sarif/sarif-schema-2.1.0.json", "utf8")));
    expect(validate(log), ajv.errorsText(validate.errors)).toBe(true);

    const [run] = log.runs;
    expect(run.tool.driver.name).toBe("netc");
    expect(run.tool.driver.version).toBe(JSON.parse(readFileSync("package.json", "utf8")).version);
    expect(run.tool.driver.rules.map((rule: { id: string }) => rule.id)).toEqual(Object.keys(CODES));
    for (const rule of run.tool.driver.rules) expect(rule.help.text).toBe(explanation(rule.id));
    expect(netc(repo, "explain", "NET103").stdout).toBe(`${run.tool.driver.rules.find((rule: { id: string }) => rule.id === "NET103").help.text}\n`);
    expect(run.originalUriBaseIds["%SRCROOT%"].uri).toBe(`file://${repo}/`);

    const results = run.results.map((res: { ruleId: string; ruleIndex: number; level: string; locations: { physicalLocation: { artifactLocation: unknown; region: unknown } }[] }) => ({
      rule: `${res.ruleId} ${run.tool.driver.rules[res.ruleIndex].id}`,
      level: res.level,
      ...res.locations[0]!.physicalLocation,
    }));
    expect(results).toEqual([
      { rule: "NET103 NET103", level: "error", artifactLocation: { uri: "experiments/broken.net", uriBaseId: "%SRCROOT%" }, region: { startLine: 4, startColumn: 1, endLine: 4, endColumn: 11 } },
      { rule: "NET010 NET010", level: "error", artifactLocation: { uri: "experiments/broken.net", uriBaseId: "%SRCROOT%" }, region: { startLine: 5, startColumn: 8, endLine: 5, endColumn: 13 } },
      { rule: "NET012 NET012", level: "error", artifactLocation: { uri: "experiments/with%20space.net", uriBaseId: "%SRCROOT%" }, region: { startLine: 2, startColumn: 20, endLine: 2, endColumn: 26 } },
      { rule: "NET200 NET200", level: "warning", artifactLocation: { uri: "models/warns.net", uriBaseId: "%SRCROOT%" }, region: { startLine: 2, startColumn: 1, endLine: 2, endColumn: 10 } },
    ]);
    expect(run.results[0].message.text).toBe("`linear` needs a flat input, but gets 6×12×12\nhint: insert `flatten` before it (6×12×12 → 864)");
    expect(run.results[3].relatedLocations).toEqual([
      { id: 0, message: { text: "its mean subtraction removes any per-channel constant" }, physicalLocation: { artifactLocation: { uri: "models/warns.net", uriBaseId: "%SRCROOT%" }, region: { startLine: 2, startColumn: 13, endLine: 2, endColumn: 15 } } },
    ]);

    // The schema does reject what code scanning would: a line 0, a level SARIF does not know.
    run.results[0].locations[0].physicalLocation.region.startLine = 0;
    run.results[1].level = "fatal";
    expect(validate(log)).toBe(false);
    expect(validate.errors!.map((e) => e.instancePath)).toEqual(expect.arrayContaining(["/runs/0/results/0/locations/0/physicalLocation/region/startLine", "/runs/0/results/1/level"]));
  });
});

describe("netc fmt over directories", () => {
  it("checks and rewrites the .net files below the current directory", () => {
    const repo = tree({ ".gitignore": "ignored/\n", "a.net": GOOD, "sub/messy.net": "input 784\nlinear 10|relu\n", "ignored/messy.net": "input 784\nlinear 10|relu\n" }, { git: true });
    const check = netc(repo, "fmt", "--check");
    expect(check.code).toBe(1);
    expect(check.stdout).toBe("sub/messy.net\n");
    const write = netc(repo, "fmt", "--write");
    expect(write.code).toBe(0);
    expect(write.stdout).toBe("sub/messy.net\n");
    expect(readFileSync(join(repo, "sub/messy.net"), "utf8")).toBe("input 784\nlinear 10 | relu\n");
    expect(readFileSync(join(repo, "ignored/messy.net"), "utf8")).toBe("input 784\nlinear 10|relu\n");
    expect(netc(repo, "fmt", "--check", ".").code).toBe(0);
  });

  it("without --check or --write, wants the files named (its output is their text)", () => {
    const r = netc(tree({ "a.net": GOOD }), "fmt");
    expect(r.code).toBe(2);
    expect(r.stderr).toContain("`netc fmt` prints the formatted text of the files it is given: name them");
  });
});

describe.skipIf(skipWithoutPreCommit)("the pre-commit hooks", () => {
  /**
   * The hooks of .pre-commit-hooks.yaml as a repository's local hooks: `language: node` would
   * make pre-commit `npm install` this repository; `system` runs the same entry with `netc`
   * on PATH, as the node environment puts it there.
   */
  function localConfig(): string {
    const hooks = readFileSync(".pre-commit-hooks.yaml", "utf8").replace(/^(\s*)language: node$/gm, "$1language: system");
    expect(hooks).toContain("language: system");
    return `repos:\n  - repo: local\n    hooks:\n${hooks.replace(/^(?=.)/gm, "      ")}`;
  }

  it("the manifest is valid", () => {
    expect(spawnSync("pre-commit", ["validate-manifest", ".pre-commit-hooks.yaml"], { encoding: "utf8" }).status).toBe(0);
  });

  it("block a commit of a broken model and of an unformatted one, and let the fixed one through", () => {
    const repo = tree({ "models/good.net": GOOD, "models/broken.net": BROKEN, ".pre-commit-config.yaml": localConfig() }, { git: true });
    const bin = mkdtempSync(join(tmpdir(), "netc-bin-"));
    symlinkSync(NETC, join(bin, "netc"));
    const env = commitEnv([bin, dirname(process.execPath), process.env.PATH].join(delimiter));
    const git = (...args: string[]) => spawnSync("git", args, { cwd: repo, encoding: "utf8", env });
    expect(spawnSync("pre-commit", ["install"], { cwd: repo, encoding: "utf8", env }).status).toBe(0);

    git("add", "-A");
    const broken = git("commit", "-m", "models");
    expect(broken.status).toBe(1);
    expect(broken.stdout + broken.stderr).toMatch(/netc check\.+Failed/);
    expect(broken.stdout + broken.stderr).toContain("models/broken.net:4:1: error: `linear` needs a flat input, but gets 6×12×12 [NET103]");
    expect(git("rev-parse", "--verify", "HEAD").status).not.toBe(0);

    // Fixed, but not in the canonical layout: the fmt hook rewrites it and stops the commit.
    writeFileSync(join(repo, "models/broken.net"), "model fixed\ninput 1x28x28\nconv 6 k5|sigmoid|avgpool 2\nflatten\nlinear 120\n");
    git("add", "-A");
    const unformatted = git("commit", "-m", "models");
    expect(unformatted.status).toBe(1);
    expect(unformatted.stdout + unformatted.stderr).toMatch(/netc check\.+Passed/);
    expect(unformatted.stdout + unformatted.stderr).toContain("files were modified by this hook");
    expect(readFileSync(join(repo, "models/broken.net"), "utf8")).toContain("conv 6 k5 | sigmoid | avgpool 2\n");

    git("add", "-A");
    const fixed = git("commit", "-m", "models");
    expect(fixed.stdout + fixed.stderr).toMatch(/netc fmt\.+Passed/);
    expect(fixed.status).toBe(0);
    expect(git("ls-files").stdout.split("\n")).toEqual(expect.arrayContaining(["models/good.net", "models/broken.net"]));
  });
});
