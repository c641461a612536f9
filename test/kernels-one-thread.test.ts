import type { Tensor4D } from "@tensorflow/tfjs";
import { expect, it } from "vitest";
import { kernelBinaries } from "../src/kernels/binaries.js";
import { CONV2D, CONV2D_BACKPROP_FILTER, registerConvKernels } from "../src/kernels/conv.js";
import { initBackend, stopBackend } from "../src/runtime/backend.js";

/**
 * The convolution kernels as the browser page runs them: on a threaded tfjs's shared memory,
 * given no way to start worker threads of their own, they run on the calling thread alone.
 */
it("without worker threads of their own, the convolution kernels run on the caller, with tfjs's results", async () => {
  const backend = await initBackend("wasm", { threads: 2 });
  const { tf } = backend;
  try {
    expect(backend.description).toMatch(/^wasm \(WebAssembly SIMD, 2 threads, netc kernels\)/);
    // Registered again before first use, as the page registers them: the module, no startWorker.
    const binaries = kernelBinaries();
    if (!("conv" in binaries) || !binaries.conv) throw new Error("dist/netc-conv.wasm not found (run `npm run build`)");
    registerConvKernels(tf, { module: binaries.conv.module });
    // Big enough to be split into units of work (a threaded pool would wake its workers).
    const x = tf.randomUniform([8, 20, 20, 16], -1, 1, "float32", 1) as Tensor4D;
    const filter = tf.randomUniform([3, 3, 16, 32], -1, 1, "float32", 2) as Tensor4D;
    const attrs = { strides: [2, 2], padding: [1, 1] };
    const y = tf.engine().runKernel(CONV2D, { x, filter }, { ...attrs, activation: "linear" }) as Tensor4D;
    const reference = tf.conv2d(x, filter, 2, [[0, 0], [1, 1], [1, 1], [0, 0]]);
    expect(tf.max(tf.abs(tf.sub(y, reference))).dataSync()[0]).toBeLessThan(1e-4);
    const dy = tf.randomUniform(y.shape, -1, 1, "float32", 3);
    const dW = tf.engine().runKernel(CONV2D_BACKPROP_FILTER, { x, dy }, { ...attrs, filterShape: filter.shape }) as Tensor4D;
    const dWReference = tf.grad((w) => tf.sum(tf.mul(tf.conv2d(x, w as Tensor4D, 2, [[0, 0], [1, 1], [1, 1], [0, 0]]), dy)))(filter);
    expect(tf.max(tf.abs(tf.sub(dW, dWReference))).dataSync()[0]).toBeLessThan(1e-3);
  } finally {
    stopBackend(backend);
  }
});
