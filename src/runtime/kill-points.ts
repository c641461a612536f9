/**
 * A test hook for crash safety: with `NETC_KILL_AT=<point>[:<n>]` in the environment, the process
 * kills itself with SIGKILL the n-th time (default: the first) it passes `point`, so a test can
 * stop a run at an exact place — after a training step, or between the two renames that swap a
 * checkpoint in — and check what survives. Points: `step` (after each training step),
 * `file-written` (a temp file written, not yet renamed into place), `dir-filled` and `dir-aside`
 * (a new directory built; the old one moved aside, the new one not yet in place).
 */
const [target, nth] = (process.env["NETC_KILL_AT"] ?? "").split(":");
let remaining = Number(nth ?? 1);

export function killPoint(point: string): void {
  if (point !== target || --remaining > 0) return;
  process.kill(process.pid, "SIGKILL");
}
