/** Running the bundled `netc` as a user does, for the tests of the commands that train or read runs. */
import { spawnSync } from "node:child_process";
import { Ajv } from "ajv";
import { readFileSync } from "node:fs";
import { expect } from "vitest";

export const DATA = "test/fixtures/fashion-mnist-small";
export const env = { ...process.env, NO_COLOR: "1" };

/** `netc ARGS…`; with `trace`, every TensorFlow.js import is reported on stderr (`imported @tensorflow/…`). */
export function netc(args: string[], opts: { trace?: boolean } = {}) {
  const preload = opts.trace ? ["--import", "./test/fixtures/import-trace/register.mjs"] : [];
  const r = spawnSync(process.execPath, [...preload, "bin/netc.mjs", ...args], { encoding: "utf8", env });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

export const noStack = (text: string) => expect(text).not.toMatch(/\n\s+at /);

/** A validator for one of the JSON schemas in docs/schemas/. */
export function schema(name: string) {
  return new Ajv({ allErrors: true }).compile(JSON.parse(readFileSync(`docs/schemas/${name}.schema.json`, "utf8")));
}
