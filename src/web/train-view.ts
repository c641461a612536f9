/**
 * The Train panel: the settings of the model's `train` header (editable), Start and Stop, a
 * progress bar, the epoch lines, the seed's Animator plot growing as training runs, the seed's
 * final lines, and downloads of the checkpoint and the plot. Training runs in train-worker.ts.
 */
import uPlot from "uplot";
import type { Checked } from "../compile.js";
import { pyFixed, thousands } from "../numbers.js";
import { IDX_FILES } from "../runtime/fashion-mnist.js";
import type { MetricPoint } from "../runtime/plot.js";
import { runSubtitle } from "../train/lines.js";
import type { LoopSettings } from "../train/loop.js";
import { resolveSettings } from "../train-settings.js";
import { checkpointZip, download, plotPngBlob, plotSvgBlob } from "./downloads.js";
import type { DataSource, FromWorker, StartRequest, ToWorker } from "./protocol.js";

/** The elements of the panel, found by id in index.html. */
function element<T extends HTMLElement>(id: string): T {
  const found = document.getElementById(id);
  if (!found) throw new Error(`index.html has no #${id}`);
  return found as T;
}

// The seed's Animator: train loss '-', train acc 'm--', test acc 'g-.', in matplotlib's colours.
const SERIES: uPlot.Series[] = [
  {},
  { label: "train loss", stroke: "#1f77b4", width: 2, spanGaps: true, points: { show: false } },
  { label: "train acc", stroke: "#bf00bf", width: 2, dash: [7, 4], spanGaps: true, points: { show: false } },
  { label: "test acc", stroke: "#008000", width: 2, dash: [9, 3, 2, 3], spanGaps: true, points: { show: true, size: 7, fill: "#008000" } },
];

export class TrainView {
  private readonly lr = element<HTMLInputElement>("lr");
  private readonly epochs = element<HTMLInputElement>("epochs");
  private readonly batch = element<HTMLInputElement>("batch");
  private readonly seed = element<HTMLInputElement>("seed");
  private readonly bn = element<HTMLSelectElement>("bn");
  private readonly limit = element<HTMLInputElement>("limit");
  private readonly threads = element<HTMLInputElement>("threads");
  private readonly data = element<HTMLSelectElement>("data");
  private readonly dataUrl = element<HTMLInputElement>("data-url");
  private readonly start = element<HTMLButtonElement>("start");
  private readonly stop = element<HTMLButtonElement>("stop");
  private readonly status = element("train-status");
  /** The backend and the data of the run. */
  private readonly info = element("train-info");
  private readonly progress = element<HTMLProgressElement>("progress");
  private readonly progressText = element("progress-text");
  private readonly lines = element("epoch-lines");
  private readonly finalLines = element("final-lines");
  private readonly chartBox = element("chart");
  private readonly downloads = [element<HTMLButtonElement>("download-checkpoint"), element<HTMLButtonElement>("download-plot-svg"), element<HTMLButtonElement>("download-plot-png")];

  /** The training worker, and the threads its backend started with (fixed for its life). */
  private worker: { worker: Worker; threads: number } | undefined;
  private running = false;
  private checked: Checked | undefined;
  private header = "";
  private chart: uPlot | undefined;
  private points: MetricPoint[] = [];
  private run: { name: string; settings: LoopSettings; bn: "scratch" | "builtin"; backend: string; limited?: number } | undefined;
  private readonly sources = new Map<string, DataSource>();

  constructor(
    private readonly text: () => { text: string; fileName: string },
    private readonly assets: string,
  ) {
    this.threads.value = String(navigator.hardwareConcurrency || 1);
    this.start.addEventListener("click", () => this.begin());
    this.stop.addEventListener("click", () => this.post({ type: "stop" }));
    this.data.addEventListener("change", () => (this.dataUrl.hidden = this.data.value !== "url"));
    const [checkpoint, svg, png] = this.downloads as [HTMLButtonElement, HTMLButtonElement, HTMLButtonElement];
    checkpoint.addEventListener("click", () => this.post({ type: "checkpoint" }));
    svg.addEventListener("click", () => this.run && download(`${this.run.name}-plot.svg`, plotSvgBlob(this.points, this.plotOptions())));
    png.addEventListener("click", () => void (this.run && plotPngBlob(this.points, this.plotOptions()).then((b) => download(`${this.run!.name}-plot.png`, b))));
    new ResizeObserver(() => this.chart?.setSize(this.chartSize())).observe(this.chartBox);
  }

  /** Data the page can train on, under `label` in the menu; the first added is the default. */
  addSource(key: string, label: string, source: DataSource): void {
    this.sources.set(key, source);
    const option = document.createElement("option");
    option.value = key;
    option.textContent = label;
    this.data.insertBefore(option, this.data.querySelector('option[value="url"]'));
    if (this.sources.size === 1) this.data.value = key;
  }

  /** A new check of the text: the settings follow the `train` header, Start needs a model without errors. */
  update(checked: Checked): void {
    this.checked = checked;
    const header = JSON.stringify(checked.network.train);
    if (header !== this.header) {
      this.header = header;
      const settings = resolveSettings(checked.network.train, {});
      this.lr.value = String(settings.lr);
      this.epochs.value = String(settings.epochs);
      this.batch.value = String(settings.batch);
    }
    this.buttons();
  }

  private buttons(): void {
    const errors = this.checked?.diagnostics.some((d) => d.severity === "error") ?? true;
    this.start.disabled = this.running || errors;
    this.start.title = errors ? "the model has errors" : "";
    this.stop.disabled = !this.running;
    for (const b of this.downloads) b.disabled = this.running || !this.run;
  }

  private post(message: ToWorker): void {
    this.worker?.worker.postMessage(message);
  }

  private number(input: HTMLInputElement, name: string, integer: boolean): number {
    const n = Number(input.value);
    if (input.value.trim() === "" || !Number.isFinite(n) || n <= 0 || (integer && !Number.isInteger(n))) {
      input.focus();
      throw new Error(`${name} must be ${integer ? "a whole number of at least 1" : "a number above 0"}`);
    }
    return n;
  }

  private dataSource(): DataSource {
    if (this.data.value !== "url") return this.sources.get(this.data.value)!;
    const base = this.dataUrl.value.trim().replace(/\/?$/, "/");
    const url = (name: string) => new URL(`${name}.gz`, new URL(base, location.href)).href;
    return { name: base, files: Object.fromEntries(IDX_FILES.map((name) => [name, url(name)])) as DataSource["files"] };
  }

  private begin(): void {
    let request: StartRequest;
    try {
      const limit = this.limit.value.trim() === "" ? undefined : this.number(this.limit, "examples", true);
      request = {
        type: "start",
        ...this.text(),
        settings: { lr: this.number(this.lr, "lr", false), epochs: this.number(this.epochs, "epochs", true), batch: this.number(this.batch, "batch", true), seed: Number(this.seed.value) || 0 },
        bn: this.bn.value as "scratch" | "builtin",
        ...(limit !== undefined ? { limit } : {}),
        data: this.dataSource(),
        assets: this.assets,
        threads: this.number(this.threads, "threads", true),
      };
    } catch (e) {
      this.showStatus((e as Error).message, true);
      return;
    }
    if (this.worker?.threads !== request.threads) {
      this.worker?.worker.terminate();
      this.worker = { worker: this.createWorker(), threads: request.threads };
    }
    this.running = true;
    this.run = undefined;
    this.points = [];
    this.lines.textContent = "";
    this.finalLines.textContent = "";
    this.info.textContent = "";
    this.progress.value = 0;
    this.progressText.textContent = "";
    this.resetChart(request.settings.epochs);
    this.showStatus("starting…");
    this.buttons();
    this.post(request);
  }

  private createWorker(): Worker {
    const worker = new Worker(new URL("./train-worker.js", import.meta.url), { type: "module" });
    worker.onmessage = (event: MessageEvent<FromWorker>) => this.receive(event.data);
    worker.onerror = (event) => this.receive({ type: "error", message: event.message || "the training worker failed", hints: [] });
    return worker;
  }

  private receive(message: FromWorker): void {
    switch (message.type) {
      case "status":
        this.showStatus(message.text);
        break;
      case "data":
        this.info.textContent += `${message.text}\n`;
        break;
      case "started": {
        const count = message.trainCount;
        this.run = { name: this.checked?.network.name ?? "model", settings: message.settings, bn: this.bn.value as "scratch" | "builtin", backend: message.backend };
        if (this.limit.value.trim() !== "") this.run.limited = count;
        this.info.textContent = `training on ${message.description}\n${this.info.textContent}`;
        this.showStatus("training…");
        break;
      }
      case "step": {
        const s = message.info;
        const epochs = this.run?.settings.epochs ?? 1;
        this.progress.max = s.numBatches * epochs;
        this.progress.value = s.epoch * s.numBatches + s.batch + 1;
        this.progressText.textContent = `epoch ${s.epoch + 1}/${epochs}  batch ${s.batch + 1}/${s.numBatches}  loss ${pyFixed(s.trainLoss, 3)}  train acc ${pyFixed(s.trainAcc, 3)}  ${thousands(s.examplesPerSec)} examples/sec`;
        break;
      }
      case "point":
        this.points.push(message.point);
        this.drawChart();
        break;
      case "epoch":
        this.lines.textContent += `${message.line}\n`;
        break;
      case "end":
        this.running = false;
        this.finalLines.textContent = message.lines.join("\n");
        this.finalLines.classList.toggle("stopped", message.kind !== "done");
        this.showStatus(message.kind === "done" ? "done" : message.kind === "stopped" ? "stopped: the checkpoint holds the weights so far" : "diverged", message.kind === "diverged");
        this.buttons();
        break;
      case "checkpoint":
        void checkpointZip(`${message.name}-web`, message.files).then((zip) => download(`${message.name}-web.zip`, zip));
        break;
      case "error":
        this.running = false;
        this.showStatus([message.message, ...message.hints.map((h) => `hint: ${h}`)].join("\n"), true);
        this.buttons();
        break;
    }
  }

  private showStatus(text: string, error = false): void {
    this.status.textContent = text;
    this.status.classList.toggle("error", error);
  }

  private plotOptions() {
    const run = this.run!;
    return { title: run.name, epochs: run.settings.epochs, subtitle: runSubtitle(run.settings, run.bn, run.backend, run.limited) };
  }

  private chartSize(): { width: number; height: number } {
    const width = Math.max(240, this.chartBox.clientWidth);
    return { width, height: Math.round(Math.min(300, width * 0.5)) };
  }

  private resetChart(epochs: number): void {
    this.chart?.destroy();
    // The seed's xlim: [1, num_epochs] (from 0 for one epoch).
    const min = epochs > 1 ? 1 : 0;
    this.chart = new uPlot(
      {
        ...this.chartSize(),
        series: SERIES,
        scales: { x: { time: false, range: [min, Math.max(epochs, min + 1)] } },
        axes: [{ label: "epoch" }, {}],
        legend: { live: false },
        cursor: { drag: { x: false, y: false } },
      },
      [[], [], [], []],
      this.chartBox,
    );
  }

  /** The points as uPlot's aligned columns: a test point shares its x with the epoch's last train point. */
  private drawChart(): void {
    const byX = new Map<number, [number | null, number | null, number | null]>();
    for (const p of this.points) {
      const row = byX.get(p.x) ?? [null, null, null];
      if (p.trainLoss !== undefined) row[0] = p.trainLoss;
      if (p.trainAcc !== undefined) row[1] = p.trainAcc;
      if (p.testAcc !== undefined) row[2] = p.testAcc;
      byX.set(p.x, row);
    }
    const xs = [...byX.keys()].sort((a, b) => a - b);
    this.chart?.setData([xs, ...[0, 1, 2].map((i) => xs.map((x) => byX.get(x)![i]!))] as uPlot.AlignedData);
    // How many points are drawn, for the end-to-end test (the plot itself is a canvas).
    this.chartBox.dataset["points"] = String(this.points.length);
  }
}
