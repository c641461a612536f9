import type { KernelBackend, NamedAttrMap, TensorInfo } from "@tensorflow/tfjs";

type Tf = typeof import("@tensorflow/tfjs");

/**
 * The wasm backend has no Conv2DBackpropFilter kernel, so `tf.grad` through `tf.conv2d` fails
 * on it. The filter gradient is a correlation of x with dy dilated by the forward stride:
 *   dW[kh,kw,ci,co] = Σ_{n,oh,ow} x[n, oh·sh + kh − padTop, ow·sw + kw − padLeft, ci] · dy[n,oh,ow,co]
 * which is a Conv2D with batch = Cin, channels = N, filter = dy: transpose x to [Cin,H,W,N]
 * and dy to [OH,OW,N,Cout], convolve with dilation = stride, crop to [Cin,KH,KW,Cout] (extra
 * rows appear when the stride doesn't divide the padded extent), transpose to [KH,KW,Cin,Cout].
 * It composes the backend's own kernels on TensorInfos: tf.* ops inside a kernelFunc would
 * create engine tensors that the engine later disposes under our feet.
 */
export function registerWasmConv2DBackpropFilter(tf: Tf): void {
  if (tf.getKernel("Conv2DBackpropFilter", "wasm")) return;
  const kernel = (name: string) => {
    const k = tf.getKernel(name, "wasm");
    if (!k) throw new Error(`wasm backend lacks the ${name} kernel`);
    return (backend: KernelBackend, inputs: Record<string, TensorInfo>, attrs: NamedAttrMap) =>
      k.kernelFunc({ inputs, backend, attrs }) as TensorInfo;
  };
  const transpose = kernel("Transpose");
  const conv2d = kernel("Conv2D");
  const slice = kernel("Slice");

  tf.registerKernel({
    kernelName: "Conv2DBackpropFilter",
    backendName: "wasm",
    kernelFunc: ({ inputs, backend: untyped, attrs }) => {
      const backend = untyped as KernelBackend;
      const { x, dy } = inputs as { x: TensorInfo; dy: TensorInfo };
      const a = attrs as unknown as {
        strides: [number, number] | number;
        pad: "valid" | "same" | number | [[number, number], [number, number], [number, number], [number, number]];
        dataFormat: "NHWC" | "NCHW";
        dimRoundingMode?: "floor" | "round" | "ceil";
        filterShape: [number, number, number, number];
      };
      if (a.dataFormat === "NCHW") throw new Error("Conv2DBackpropFilter (wasm): only NHWC is supported");
      const info = tf.backend_util.computeConv2DInfo(
        x.shape as [number, number, number, number],
        a.filterShape,
        a.strides,
        1,
        a.pad,
        a.dimRoundingMode,
      );
      const { padInfo, strideHeight, strideWidth, filterHeight, filterWidth } = info;
      const xT = transpose(backend, { x }, { perm: [3, 1, 2, 0] });
      const dyT = transpose(backend, { x: dy }, { perm: [1, 2, 0, 3] });
      const corr = conv2d(backend, { x: xT, filter: dyT }, {
        strides: [1, 1],
        dilations: [strideHeight, strideWidth],
        pad: [[0, 0], [padInfo.top, padInfo.bottom], [padInfo.left, padInfo.right], [0, 0]],
        dataFormat: "NHWC",
      });
      const [cin, rh, rw, cout] = corr.shape as [number, number, number, number];
      const cropped =
        rh === filterHeight && rw === filterWidth
          ? corr
          : slice(backend, { x: corr }, { begin: [0, 0, 0, 0], size: [cin, filterHeight, filterWidth, cout] });
      const dW = transpose(backend, { x: cropped }, { perm: [1, 2, 0, 3] });
      for (const t of new Set([xT, dyT, corr, cropped])) backend.disposeData(t.dataId);
      return dW;
    },
  });
}
