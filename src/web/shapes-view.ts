/**
 * `netc shapes`'s output beside the editor, redrawn as the text changes: the table
 * (src/shape-table.ts, line for line what the command prints) with the rows of the cursor's line
 * highlighted, or the seed notebook's printout.
 */
import type { Checked } from "../compile.js";
import { thousands } from "../numbers.js";
import { table, torchStyle } from "../shape-table.js";

export type ShapesStyle = "table" | "torch";

export class ShapesView {
  private checked: Checked | undefined;
  style: ShapesStyle = "table";

  constructor(
    private readonly summary: HTMLElement,
    private readonly pre: HTMLElement,
    /** A click on a row: the editor goes to its line. */
    goToLine: (line: number) => void,
  ) {
    pre.addEventListener("click", (event) => {
      const row = (event.target as HTMLElement).closest<HTMLElement>("[data-line]");
      if (row) goToLine(Number(row.dataset["line"]));
    });
  }

  update(checked: Checked, cursorLine: number): void {
    this.checked = checked;
    const { shapes, network, source, diagnostics } = checked;
    const errors = diagnostics.filter((d) => d.severity === "error").length;
    const warnings = diagnostics.length - errors;
    const t = shapes.totals;
    const problems = [errors ? `${errors} error${errors === 1 ? "" : "s"}` : "", warnings ? `${warnings} warning${warnings === 1 ? "" : "s"}` : ""].filter(Boolean).join(", ");
    this.summary.textContent = [`${network.name}: ${thousands(t.trainable)} parameters`, `${thousands(t.macs)} mult-adds`, `output ${shapes.output ? shapes.output.join("×") : "?"}`, ...(problems ? [problems] : [])].join(" · ");
    this.summary.classList.toggle("has-errors", errors > 0);

    const text = this.style === "torch" ? torchStyle(shapes, 1) : table(network.name, shapes, source, 1);
    // The table's rows begin with their line number; the printout has one line per layer.
    const layerLines = shapes.rows.filter((r) => r.leaf).map((r) => source.position(r.span.start).line);
    const lineOf = (text: string, i: number) => (this.style === "torch" ? layerLines[i] : Number(/^ *(\d+)  /.exec(text)?.[1] ?? NaN));
    this.pre.replaceChildren(
      ...text.split("\n").map((line, i) => {
        const span = document.createElement("span");
        span.textContent = `${line}\n`;
        const at = lineOf(line, i);
        if (at !== undefined && !Number.isNaN(at)) {
          span.dataset["line"] = String(at);
          span.className = "row";
        }
        return span;
      }),
    );
    this.highlight(cursorLine);
  }

  /** Marks the rows of the layers on `line`, and scrolls the first into view. */
  highlight(line: number): void {
    if (!this.checked) return;
    let first: HTMLElement | undefined;
    for (const span of this.pre.querySelectorAll<HTMLElement>("span.row")) {
      const on = Number(span.dataset["line"]) === line;
      span.classList.toggle("current", on);
      if (on) first ??= span;
    }
    first?.scrollIntoView({ block: "nearest" });
  }
}
