/**
 * The graph view: `netc draw`'s drawing of the model (src/draw/), redrawn as the text changes
 * while the view is open. A click on a group's title, or on a collapsed group, toggles it; a
 * click on a layer puts the editor's cursor on its line.
 */
import type { Checked } from "../compile.js";

/** The drawing code and its layout library, loaded when the view is first opened. */
const loadDrawing = () => Promise.all([import("../draw/model-graph.js"), import("../draw/svg.js")]);
let drawing: ReturnType<typeof loadDrawing> | undefined;

/** Models with more layers than this start with their groups collapsed. */
const EXPANDED_LIMIT = 60;

export class GraphView {
  private checked: Checked | undefined;
  private drawn: Checked | undefined;
  /** The user's choice per group; the rest follow `collapseAll`. */
  private readonly toggled = new Map<string, boolean>();
  private collapseAll = false;
  private modelName = "";
  svg = "";

  constructor(
    private readonly container: HTMLElement,
    private readonly visible: () => boolean,
    goToLine: (line: number) => void,
  ) {
    container.addEventListener("click", (event) => {
      const target = event.target as Element;
      const group = target.closest<SVGElement>("g.cluster > text, g.box.group")?.closest<SVGElement>("[data-group]")?.dataset["group"];
      if (group) {
        this.toggled.set(group, !this.isCollapsed(group));
        void this.render();
        return;
      }
      const line = Number(target.closest<SVGElement>("g.box")?.dataset["line"]);
      if (line > 0) goToLine(line);
    });
  }

  private isCollapsed(id: string): boolean {
    return this.toggled.get(id) ?? this.collapseAll;
  }

  update(checked: Checked): void {
    this.checked = checked;
    if (checked.network.name !== this.modelName) {
      this.modelName = checked.network.name;
      this.toggled.clear();
      this.collapseAll = checked.shapes.rows.filter((r) => r.leaf).length > EXPANDED_LIMIT;
    }
    if (this.visible()) void this.render();
  }

  /** Draws the latest model, if not drawn yet. */
  show(): void {
    if (this.checked !== this.drawn) void this.render();
  }

  setAll(collapsed: boolean): void {
    this.collapseAll = collapsed;
    this.toggled.clear();
    void this.render();
  }

  private async render(): Promise<void> {
    const checked = this.checked;
    if (!checked) return;
    this.drawn = checked;
    const [{ modelGraph }, { drawGraph }] = await (drawing ??= loadDrawing());
    if (checked !== this.checked) return; // a newer text is drawn instead
    const graph = modelGraph(checked.network, checked.shapes, checked.source, { collapsed: (id) => this.isCollapsed(id) });
    this.svg = drawGraph(graph).svg;
    // The SVG is netc's own, every text in it escaped.
    this.container.innerHTML = this.svg;
  }
}
