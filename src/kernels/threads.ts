/**
 * Runs an entry point of a kernel module on several threads at once: the calling thread and
 * worker threads, each with its own instance of the module on the same shared memory (a
 * threaded tfjs-backend-wasm build's). Every entry point takes (block, thread index, thread
 * count) and takes units of work from a counter in the block until none is left, so any number
 * of threads, from one up, completes a job.
 *
 * That is what lets a call return without waiting for a thread the system has not run yet (on
 * a machine shared with other work, a woken thread can wait many milliseconds for a core): the
 * caller bumps the generation word and wakes the workers (Atomics.notify), does units itself,
 * then closes the job; a worker that joins (counts itself in) before the close takes part and is
 * waited for, one that comes later backs out. JOINED and DONE only grow, so a late worker's
 * counting cannot be mistaken for a later job's. Workers sleep in Atomics.wait between jobs, so
 * they cost nothing while tfjs's own threads run.
 *
 * The module imports nothing of Node's: the runtime gives the pool a way to start a worker
 * thread (binaries.ts, with Node's worker_threads); without one, every job runs on the caller.
 */

/** Control block words. */
const GENERATION = 0;
const CLOSED = 1;
const JOINED = 2;
const DONE = 3;
const ENTRY = 4;
const BLOCK = 5;
const THREADS = 6;
const FAILED = 7;
export const CONTROL_BYTES = 32;

/** What a worker thread of a pool is given. */
export interface WorkerData {
  module: WebAssembly.Module;
  memory: WebAssembly.Memory;
  control: number;
  index: number;
  entries: readonly string[];
}

/**
 * Starts a worker thread that runs WORKER_LOOP with `data` in scope (and does not keep the
 * process alive).
 */
export type StartWorker = (data: WorkerData) => void;

/** A worker thread's program: script text, with a WorkerData named `data` in scope. */
export const WORKER_LOOP = `
const { module, memory, control, index, entries } = data;
const exports_ = new WebAssembly.Instance(module, { env: { memory } }).exports;
const words = new Int32Array(memory.buffer, control, ${CONTROL_BYTES / 4});
let seen = 0;
for (;;) {
  Atomics.wait(words, ${GENERATION}, seen);
  const generation = Atomics.load(words, ${GENERATION});
  if (generation === seen) continue;
  seen = generation;
  Atomics.add(words, ${JOINED}, 1);
  // Closed already (or a later job's): back out without reading the job.
  if (Atomics.load(words, ${CLOSED}) - generation >= 0) {
    Atomics.add(words, ${DONE}, 1);
    Atomics.notify(words, ${DONE});
    continue;
  }
  try {
    exports_[entries[words[${ENTRY}]]](words[${BLOCK}], index, words[${THREADS}]);
  } catch (e) {
    Atomics.store(words, ${FAILED}, 1);
  }
  Atomics.add(words, ${DONE}, 1);
  Atomics.notify(words, ${DONE});
}
`;

type Entry = (block: number, thread: number, threads: number) => void;

export class KernelPool {
  private readonly words: Int32Array;

  /**
   * `control` is CONTROL_BYTES of the shared memory for this pool alone; `entries`, the names
   * of the entry points callable with `run`; `startWorker`, needed for more than one thread.
   */
  constructor(
    private readonly exports: Record<string, unknown>,
    module: WebAssembly.Module,
    memory: WebAssembly.Memory,
    control: number,
    readonly threads: number,
    private readonly entries: readonly string[],
    startWorker?: StartWorker,
  ) {
    if (threads > 1 && !startWorker) throw new Error("netc kernels: a pool of several threads needs a way to start them");
    this.words = new Int32Array(memory.buffer, control, CONTROL_BYTES / 4);
    this.words.fill(0);
    for (let index = 1; index < threads; index++) startWorker!({ module, memory, control, index, entries });
  }

  /** Runs `entry` with the pool's workers, or with `parallel` false on the calling thread only. */
  run(entry: string, block: number, parallel = true): void {
    const own = this.exports[entry] as Entry;
    if (!parallel || this.threads === 1) {
      own(block, 0, 1);
      return;
    }
    const w = this.words;
    const index = this.entries.indexOf(entry);
    if (index < 0) throw new Error(`netc kernels: ${entry} is not an entry point`);
    w[ENTRY] = index;
    w[BLOCK] = block;
    w[THREADS] = this.threads;
    Atomics.store(w, FAILED, 0);
    const generation = Atomics.add(w, GENERATION, 1) + 1;
    Atomics.notify(w, GENERATION);
    try {
      own(block, 0, this.threads);
    } finally {
      // Whoever joined before this is waited for; a worker joining later backs out.
      Atomics.store(w, CLOSED, generation);
      const joined = Atomics.load(w, JOINED);
      for (let done = Atomics.load(w, DONE); done - joined < 0; done = Atomics.load(w, DONE)) Atomics.wait(w, DONE, done);
    }
    if (Atomics.load(w, FAILED)) throw new Error(`netc kernels: ${entry} failed on a worker thread`);
  }
}
