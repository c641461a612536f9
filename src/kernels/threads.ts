/**
 * Runs an entry point of a kernel module on several threads at once: the calling thread and
 * worker threads, each with its own instance of the module on the same shared memory (a
 * threaded tfjs-backend-wasm build's). Every entry point takes (block, thread index, thread
 * count) and does its share; a call returns when every thread has done its share.
 *
 * The threads meet through a control block of words in that memory: the caller writes the job,
 * bumps the generation word and wakes the workers (Atomics.notify); each worker runs its share
 * and counts itself done; the caller, after its own share, waits for the count. Workers sleep
 * in Atomics.wait between jobs, so they cost nothing while tfjs's own threads run, and they are
 * unref'd: they never keep the process alive.
 */
import { Worker } from "node:worker_threads";

/** Control block words. */
const GENERATION = 0;
const DONE = 1;
const ENTRY = 2;
const BLOCK = 3;
const THREADS = 4;
const FAILED = 5;
export const CONTROL_BYTES = 32;

// CommonJS, run with `eval`: no file to find next to the bundle.
const WORKER = `
const { workerData } = require("node:worker_threads");
const { module, memory, control, index, entries } = workerData;
const exports_ = new WebAssembly.Instance(module, { env: { memory } }).exports;
const words = new Int32Array(memory.buffer, control, ${CONTROL_BYTES / 4});
let seen = 0;
for (;;) {
  Atomics.wait(words, ${GENERATION}, seen);
  const generation = Atomics.load(words, ${GENERATION});
  if (generation === seen) continue;
  seen = generation;
  const entry = words[${ENTRY}];
  if (entry < 0) break;
  try {
    exports_[entries[entry]](words[${BLOCK}], index, words[${THREADS}]);
  } catch (e) {
    Atomics.store(words, ${FAILED}, 1);
  }
  if (Atomics.add(words, ${DONE}, 1) + 1 === words[${THREADS}] - 1) Atomics.notify(words, ${DONE});
}
`;

type Entry = (block: number, thread: number, threads: number) => void;

export class KernelPool {
  private readonly workers: Worker[] = [];
  private readonly words: Int32Array;

  /**
   * `control` is CONTROL_BYTES of the shared memory for this pool alone; `entries`, the names
   * of the entry points callable with `run`.
   */
  constructor(
    private readonly exports: Record<string, unknown>,
    module: WebAssembly.Module,
    memory: WebAssembly.Memory,
    control: number,
    readonly threads: number,
    private readonly entries: readonly string[],
  ) {
    this.words = new Int32Array(memory.buffer, control, CONTROL_BYTES / 4);
    this.words.fill(0);
    for (let index = 1; index < threads; index++) {
      const worker = new Worker(WORKER, { eval: true, workerData: { module, memory, control, index, entries } });
      worker.unref();
      this.workers.push(worker);
    }
  }

  /** Runs `entry` on every thread of the pool, or with `parallel` false on the calling thread only. */
  run(entry: string, block: number, parallel = true): void {
    const own = this.exports[entry] as Entry;
    if (!parallel || this.workers.length === 0) {
      own(block, 0, 1);
      return;
    }
    const w = this.words;
    const index = this.entries.indexOf(entry);
    if (index < 0) throw new Error(`netc kernels: ${entry} is not an entry point`);
    const count = this.threads;
    w[ENTRY] = index;
    w[BLOCK] = block;
    w[THREADS] = count;
    Atomics.store(w, DONE, 0);
    Atomics.store(w, FAILED, 0);
    Atomics.add(w, GENERATION, 1);
    Atomics.notify(w, GENERATION);
    try {
      own(block, 0, count);
    } finally {
      for (let done = Atomics.load(w, DONE); done < count - 1; done = Atomics.load(w, DONE)) Atomics.wait(w, DONE, done);
    }
    if (Atomics.load(w, FAILED)) throw new Error(`netc kernels: ${entry} failed on a worker thread`);
  }
}
