/**
 * The page's editor: CodeMirror 6 with the `.net` language, netc's diagnostics underlined as the
 * language server publishes them (src/lsp/diagnostics.ts), its hover (src/lsp/hover.ts) and
 * `netc fmt`'s formatter (the Prettier plugin, on Prettier's standalone build) on Shift-Alt-F.
 */
import { defaultKeymap, history, historyKeymap, indentWithTab } from "@codemirror/commands";
import { bracketMatching, indentOnInput } from "@codemirror/language";
import { linter, lintGutter, type Diagnostic as CmDiagnostic } from "@codemirror/lint";
import { EditorState, type Text } from "@codemirror/state";
import { drawSelection, EditorView, highlightActiveLine, highlightActiveLineGutter, hoverTooltip, keymap, lineNumbers } from "@codemirror/view";
import type { Position } from "vscode-languageserver";
import { lspDiagnostics } from "../lsp/diagnostics.js";
import { hover } from "../lsp/hover.js";
import type { Analysis } from "../lsp/analysis.js";
import { netcHighlighting, netcLanguage } from "./netc-language.js";

function offsetOf(doc: Text, p: Position): number {
  const line = doc.line(Math.min(p.line + 1, doc.lines));
  return Math.min(line.from + p.character, line.to);
}

/** Hover text is Markdown, rendered by marked (loaded on the first hover); raw HTML in it, from a model's comments, is shown as text. */
let markdown: Promise<import("marked").Marked> | undefined;
const loadMarkdown = async () => {
  const { Marked } = await import("marked");
  return new Marked({ renderer: { html: ({ text }) => text.replace(/[&<>]/g, (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;" })[c]!) } });
};

export interface EditorHooks {
  /** The analysis of the current text (the page checks once per change and shares it). */
  analysis(doc: Text): Analysis;
  /** After every change of the text or the cursor's line. */
  changed(view: EditorView, docChanged: boolean): void;
  /** Shift-Alt-F. */
  format(view: EditorView): void;
}

export function createEditor(parent: HTMLElement, text: string, hooks: EditorHooks): EditorView {
  const netcLint = linter(
    (view) =>
      lspDiagnostics(hooks.analysis(view.state.doc)).map(
        (d): CmDiagnostic => ({
          from: offsetOf(view.state.doc, d.range.start),
          to: offsetOf(view.state.doc, d.range.end),
          severity: d.severity === 1 ? "error" : "warning",
          source: `netc ${String(d.code)}`,
          message: typeof d.message === "string" ? d.message : d.message.value,
        }),
      ),
    { delay: 80 },
  );
  const netcHover = hoverTooltip(async (view, pos) => {
    const result = hover(hooks.analysis(view.state.doc), pos);
    // netc's hover is one Markdown string.
    if (!result?.range || typeof result.contents !== "object" || !("kind" in result.contents)) return null;
    const html = (await (markdown ??= loadMarkdown())).parse(result.contents.value, { async: false });
    return {
      pos: offsetOf(view.state.doc, result.range.start),
      end: offsetOf(view.state.doc, result.range.end),
      above: true,
      create() {
        const dom = document.createElement("div");
        dom.className = "netc-hover";
        dom.innerHTML = html;
        return { dom };
      },
    };
  });
  return new EditorView({
    parent,
    state: EditorState.create({
      doc: text,
      extensions: [
        lineNumbers(),
        highlightActiveLineGutter(),
        history(),
        drawSelection(),
        indentOnInput(),
        bracketMatching(),
        highlightActiveLine(),
        netcLanguage,
        netcHighlighting,
        lintGutter(),
        netcLint,
        netcHover,
        keymap.of([{ key: "Shift-Alt-f", run: (view) => (hooks.format(view), true) }, indentWithTab, ...defaultKeymap, ...historyKeymap]),
        EditorState.tabSize.of(2),
        EditorView.updateListener.of((update) => {
          const lineOf = (state: EditorState) => state.doc.lineAt(state.selection.main.head).number;
          if (update.docChanged || lineOf(update.startState) !== lineOf(update.state)) hooks.changed(update.view, update.docChanged);
        }),
      ],
    }),
  });
}

/** Formats with `netc fmt`'s Prettier plugin, keeping the cursor on its token. Loaded on first use. */
export async function formatText(text: string, cursorOffset: number): Promise<{ formatted: string; cursorOffset: number }> {
  const [prettier, plugin] = await Promise.all([import("prettier/standalone"), import("../format/plugin.js")]);
  return prettier.formatWithCursor(text, { parser: "netc", plugins: [plugin.default], cursorOffset });
}
