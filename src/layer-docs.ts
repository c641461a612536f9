import { LAYERS } from "./layers/registry.js";
import type { ArgSpec } from "./layers/types.js";
import { argForm } from "./resolve.js";

/** The language reference's layer section, written from the registry (README and `netc layers`). */

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
