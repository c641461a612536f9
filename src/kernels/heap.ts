/**
 * What netc's WebAssembly kernels need from tfjs-backend-wasm: its memory (the kernels are
 * instantiated on it, so they read and write tensors where tfjs keeps them), the heap address
 * of a tensor, and its allocator. It imports only tfjs's types (the page bundles it too).
 */
import type { DataType, KernelBackend, NamedAttrMap, NamedTensorInfoMap, TensorInfo } from "@tensorflow/tfjs";

export type Tf = typeof import("@tensorflow/tfjs");

/** The internals of tfjs-backend-wasm's backend object that the kernels use. */
export interface WasmBackend extends KernelBackend {
  wasm: {
    _malloc(bytes: number): number;
    _free(ptr: number): void;
    asm?: { memory?: unknown };
    wasmMemory?: unknown;
    tfjs?: { getThreadsCount(): number };
  };
  dataIdMap: { get(dataId: object): { memoryOffset: number } | undefined };
  makeOutput(shape: number[], dtype: DataType): TensorInfo;
}

export interface KernelArgs {
  inputs: NamedTensorInfoMap;
  backend: KernelBackend;
  attrs: NamedAttrMap;
}

export function backendMemory(backend: WasmBackend): WebAssembly.Memory {
  const memory = backend.wasm?.asm?.memory ?? backend.wasm?.wasmMemory;
  if (!(memory instanceof WebAssembly.Memory)) throw new Error("netc kernels: the wasm backend's WebAssembly.Memory was not found (tfjs-backend-wasm internals changed?)");
  return memory;
}

/** Whether the memory is a threaded build's (shared), which only a module importing a shared one can use. */
export function isShared(memory: WebAssembly.Memory): boolean {
  return typeof SharedArrayBuffer !== "undefined" && memory.buffer instanceof SharedArrayBuffer;
}

export function address(backend: WasmBackend, t: TensorInfo): number {
  const data = backend.dataIdMap.get(t.dataId);
  if (!data) throw new Error("netc kernels: a tensor is not on the wasm backend");
  const at = data.memoryOffset >>> 0;
  // tfjs does not check its allocator: a tensor it could not place sits at address 0, and
  // writing it would overwrite the heap's first bytes (the kernels' thread pool hung so).
  if (at === 0 && t.shape.every((d) => d > 0)) throw new Error(`netc kernels: the wasm backend is out of memory (a [${t.shape.join(", ")}] tensor could not be allocated)`);
  return at;
}

/**
 * The first 16-byte boundary at or after a heap address, as an unsigned number: past 2 GiB an
 * i32 from the heap's allocator reads as negative in JS, and so does `&` on any number, which
 * no typed array accepts as an offset.
 */
export function aligned16(raw: number): number {
  return (((raw >>> 0) + 15) & ~15) >>> 0;
}

/** Runs `body` with a 16-byte-aligned scratch block of tfjs's heap. */
export function withScratch<T>(backend: WasmBackend, bytes: number, body: (ptr: number) => T): T {
  const raw = backend.wasm._malloc(bytes + 16);
  if (!raw) throw new Error(`netc kernels: out of wasm memory (${bytes} bytes of scratch)`);
  try {
    return body(aligned16(raw));
  } finally {
    backend.wasm._free(raw);
  }
}

/**
 * A block of tfjs's heap kept from call to call and enlarged when a call needs more, so that a
 * training step allocates no scratch after the first.
 */
export class Arena {
  private raw = 0;
  private bytes = 0;

  constructor(private readonly backend: WasmBackend) {}

  /** A 16-byte-aligned block of at least `bytes`; valid until the next call. */
  get(bytes: number): number {
    if (bytes > this.bytes) {
      if (this.raw) this.backend.wasm._free(this.raw);
      this.raw = this.backend.wasm._malloc(bytes + 16);
      if (!this.raw) {
        this.bytes = 0;
        throw new Error(`netc kernels: out of wasm memory (${bytes} bytes of scratch)`);
      }
      this.bytes = bytes;
    }
    return aligned16(this.raw);
  }
}

export function register(tf: Tf, kernelName: string, backendName: string, run: (args: KernelArgs) => TensorInfo | TensorInfo[]): void {
  if (tf.getKernel(kernelName, backendName)) return;
  tf.registerKernel({
    kernelName,
    backendName,
    kernelFunc: ({ inputs, backend, attrs }) => run({ inputs, backend: backend as KernelBackend, attrs: attrs ?? {} }),
  });
}
