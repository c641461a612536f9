import { LAYERS } from "./layers/registry.js";
import type { ArgSpec } from "./layers/types.js";
import { argForm } from "./resolve.js";
import { TRAIN_ARGS } from "./train-settings.js";

/** The language reference's layer section, written from the registry (README and `netc layers`); its `train` settings, from train-settings.ts. */

export function argLine(arg: ArgSpec): string {
  const spellings = [argForm(arg), ...(arg.short ? [`${arg.name}=N`] : []), ...(arg.type === "bool" && arg.default !== "true" ? [`${arg.name}=true`] : []), ...(arg.words ?? []).map((w) => `${arg.name}=${w}`)];
  const notes = [arg.required ? "required" : undefined, arg.default ? `default ${arg.default}` : undefined].filter(Boolean).join(", ");
  return `\`${spellings.join("` or `")}\`: ${arg.doc}${notes ? ` (${notes})` : ""}`;
}

export function layerReferenceMarkdown(): string {
  const rows = ["| layer | what it is | arguments |", "|---|---|---|"];
  for (const spec of LAYERS) {
    const names = [spec.name, ...(spec.aliases ?? [])].map((n) => `\`${n}\``).join(", ");
    const args = spec.args.length === 0 ? (spec.kind === "merge" ? "two or more `{ ... }` branches" : "none") : spec.args.map(argLine).join("<br>");
    rows.push(`| ${names} | ${spec.summary.replace(/\|/g, "\\|")}; e.g. \`${spec.example}\` | ${args.replace(/ \| /g, " \\| ")} |`);
  }
  return rows.join("\n");
}

export function layerReferenceText(): string {
  return LAYERS.map((spec) => {
    const aliases = spec.aliases?.length ? ` (also ${spec.aliases.join(", ")})` : "";
    const args = spec.args.map((a) => `    ${argLine(a).replace(/`/g, "")}`);
    return [`${spec.name}${aliases}: ${spec.summary.replace(/`/g, "")}`, `    e.g. ${spec.example}`, ...args].join("\n");
  }).join("\n");
}

/** The README's table of the `train` header's settings (each also a flag of `netc train`). */
export function trainReferenceMarkdown(): string {
  const rows = ["| setting | what it does | default |", "|---|---|---|"];
  for (const arg of TRAIN_ARGS) {
    const form = arg.type === "choice" ? `${arg.name}=${arg.choices!.join(" | ")}` : argForm(arg);
    rows.push(`| \`${form.replace(/ \| /g, " \\| ")}\` | ${arg.doc} | ${arg.default ?? (arg.type === "flag" ? "off" : "none")} |`);
  }
  return rows.join("\n");
}
