/**
 * The page `netc serve` opens: an editor for a `.net` model with its diagnostics and hover, the
 * shape table beside it, the model's graph, and training with a live plot. Every stage is the
 * CLI's own code: the front end checks the text once per change, and each view reads that.
 * The same files work published as a static site: without `netc serve`'s config.json the page
 * starts from its bundled models and trains on its bundled sample (or data at a URL).
 */
import type { Text } from "@codemirror/state";
import type { EditorView } from "@codemirror/view";
import { check } from "../compile.js";
import type { Analysis } from "../lsp/analysis.js";
import type { IdxFile } from "../runtime/fashion-mnist.js";
import { IDX_FILES } from "../runtime/fashion-mnist.js";
import { SourceFile } from "../source.js";
import "./style.css";
import { download } from "./downloads.js";
import { createEditor, formatText } from "./editor.js";
import { GraphView } from "./graph-view.js";
import { ShapesView } from "./shapes-view.js";
import { TrainView } from "./train-view.js";

/** What `netc serve` tells the page (config.json): the model file it was given and the data it found. */
export interface ServeConfig {
  model?: { name: string; url: string };
  data?: { name: string; files: Record<IdxFile, string> };
}

interface BundledModel {
  name: string;
  url: string;
}

function element<T extends HTMLElement>(id: string): T {
  return document.getElementById(id) as T;
}

async function json<T>(url: string): Promise<T | undefined> {
  const response = await fetch(url);
  return response.ok ? ((await response.json()) as T) : undefined;
}

async function textOf(url: string): Promise<string> {
  const response = await fetch(url);
  if (!response.ok) throw new Error(`cannot fetch ${url}: HTTP ${response.status}`);
  return response.text();
}

const BN = "scratch";

async function main(): Promise<void> {
  const assets = new URL(".", location.href).href;
  const [config, models] = await Promise.all([json<ServeConfig>("config.json").catch(() => undefined), json<BundledModel[]>("models/index.json")]);
  const choices: BundledModel[] = [...(config?.model ? [config.model] : []), ...(models ?? [])];
  // The seed's model unless netc serve was given one.
  const first = config?.model ?? choices.find((m) => m.name === "lenet-bn.net") ?? choices[0]!;
  let fileName = first.name;

  const status = element("status");
  const picker = element<HTMLSelectElement>("model");
  picker.replaceChildren(
    ...choices.map((m, i) => {
      const option = document.createElement("option");
      option.value = String(i);
      option.textContent = i === 0 && config?.model ? `${m.name} (the file given to netc serve)` : `models/${m.name}`;
      return option;
    }),
  );
  picker.value = String(choices.indexOf(first));

  let cached: { doc: Text; analysis: Analysis } | undefined;
  const analysis = (doc: Text): Analysis => {
    if (cached?.doc !== doc) cached = { doc, analysis: { uri: fileName, version: 0, checked: check(new SourceFile(fileName, doc.toString()), { bn: BN }) } };
    return cached.analysis;
  };
  const cursorLine = (view: EditorView) => view.state.doc.lineAt(view.state.selection.main.head).number;
  const goToLine = (line: number) => {
    const at = view.state.doc.line(Math.min(line, view.state.doc.lines));
    view.dispatch({ selection: { anchor: at.from }, scrollIntoView: true });
    view.focus();
  };

  const shapes = new ShapesView(element("shapes-summary"), element("shapes"), goToLine);
  const graphTab = element("tab-graph");
  const graph = new GraphView(element("graph"), () => !graphTab.hidden, goToLine);
  const train = new TrainView(() => ({ text: view.state.doc.toString(), fileName }), assets);
  if (config?.data) train.addSource("served", `${config.data.name} (served by netc serve)`, { name: config.data.name, files: absolute(config.data.files) });
  const sample = Object.fromEntries(IDX_FILES.map((f) => [f, `sample/${f}.gz`])) as Record<IdxFile, string>;
  train.addSource("sample", "the bundled sample (1,000 training, 200 test images)", { name: "the bundled sample", files: absolute(sample) });

  const refresh = (view: EditorView, docChanged: boolean) => {
    const { checked } = analysis(view.state.doc);
    if (docChanged) {
      shapes.update(checked, cursorLine(view));
      graph.update(checked);
      train.update(checked);
    } else {
      shapes.highlight(cursorLine(view));
    }
  };
  const format = async (view: EditorView) => {
    const text = view.state.doc.toString();
    try {
      const result = await formatText(text, view.state.selection.main.head);
      if (view.state.doc.toString() !== text) return; // edited meanwhile
      if (result.formatted !== text) view.dispatch({ changes: { from: 0, to: text.length, insert: result.formatted }, selection: { anchor: result.cursorOffset } });
      status.textContent = "formatted";
    } catch (e) {
      status.textContent = `not formatted: ${(e as Error).message}`;
    }
  };

  const view = createEditor(element("editor"), await textOf(first.url), { analysis, changed: refresh, format: (v) => void format(v) });
  refresh(view, true);

  picker.addEventListener("change", async () => {
    const chosen = choices[Number(picker.value)]!;
    const text = await textOf(chosen.url);
    fileName = chosen.name;
    cached = undefined;
    view.dispatch({ changes: { from: 0, to: view.state.doc.length, insert: text }, selection: { anchor: 0 } });
  });
  element("format").addEventListener("click", () => void format(view));
  element("download-net").addEventListener("click", () => download(fileName, new Blob([view.state.doc.toString()], { type: "text/plain" })));
  element("download-graph").addEventListener("click", () => download(fileName.replace(/\.net$/, "") + "-graph.svg", new Blob([graph.svg], { type: "image/svg+xml" })));
  element("expand-all").addEventListener("click", () => graph.setAll(false));
  element("collapse-all").addEventListener("click", () => graph.setAll(true));
  for (const button of document.querySelectorAll<HTMLButtonElement>("[data-style]")) {
    button.addEventListener("click", () => {
      shapes.style = button.dataset["style"] as "table" | "torch";
      for (const b of document.querySelectorAll<HTMLButtonElement>("[data-style]")) b.classList.toggle("active", b === button);
      shapes.update(analysis(view.state.doc).checked, cursorLine(view));
    });
  }
  for (const button of document.querySelectorAll<HTMLButtonElement>("[data-tab]")) {
    button.addEventListener("click", () => {
      for (const b of document.querySelectorAll<HTMLButtonElement>("[data-tab]")) {
        b.classList.toggle("active", b === button);
        element(`tab-${b.dataset["tab"]}`).hidden = b !== button;
      }
      if (button.dataset["tab"] === "graph") graph.show();
    });
  }
  // For the end-to-end test and the README's measurements: the page is ready to use.
  performance.mark("netc-ready");
  document.documentElement.dataset["ready"] = "true";
}

/** URLs relative to the page, made absolute (the worker resolves them against its own URL otherwise). */
function absolute(files: Record<IdxFile, string>): Record<IdxFile, string> {
  return Object.fromEntries(Object.entries(files).map(([name, url]) => [name, new URL(url, location.href).href])) as Record<IdxFile, string>;
}

main().catch((e: Error) => {
  document.body.textContent = `netc: the page failed to start: ${e.message}`;
});
