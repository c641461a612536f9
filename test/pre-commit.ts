import { spawnSync } from "node:child_process";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

/** pre-commit (Debian's `pre-commit`): .ci/run installs it, so CI never skips its tests. */
export const skipWithoutPreCommit = spawnSync("pre-commit", ["--version"]).status !== 0 && !process.env.CI;

/** An environment for `pre-commit` and `git commit` in a temporary repository. */
export function commitEnv(path = process.env.PATH): NodeJS.ProcessEnv {
  return {
    ...process.env,
    PATH: path,
    PRE_COMMIT_HOME: mkdtempSync(join(tmpdir(), "netc-pre-commit-")),
    NO_COLOR: "1",
    GIT_AUTHOR_NAME: "netc test",
    GIT_AUTHOR_EMAIL: "test@example.com",
    GIT_COMMITTER_NAME: "netc test",
    GIT_COMMITTER_EMAIL: "test@example.com",
  };
}
