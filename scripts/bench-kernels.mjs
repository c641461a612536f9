// `node scripts/bench-kernels.mjs`: time per call of netc's WebAssembly kernels against the
// compositions of tfjs ops they replace, on the wasm backend: the fused BN kernels at LeNet-BN's
// shapes (batch 128), then the convolution kernels at shapes from models/ (their batch sizes),
// each pass every way of reading its input it can take (one input plane, sliding windows,
// im2col, scattering for a narrow input gradient, Winograd's for a 3×3 or 5×5 kernel) and the one the kernels' rule picks
// (src/kernels/conv.ts, pathOf). Prints tables (milliseconds, median of ROUNDS rounds of REPS
// calls, fewer for calls over 5 ms; GFLOP/s).
// THREADS=1 by default; CONVS=0 or BN=0 skips a table; ONLY=name,… times only the
// convolutions whose names contain one of them.
import { build } from "esbuild";
import { buildKernels } from "./build-kernels.mjs";

const ROUNDS = Number(process.env.ROUNDS ?? 7);
const REPS = Number(process.env.REPS ?? 20);
const THREADS = Number(process.env.THREADS ?? 1);

await buildKernels();
const outdir = "node_modules/.cache/netc/bench-kernels";
// The backend as the runtime starts it: its threads (a worker pool for THREADS > 1), netc's kernels.
// The rule's choice comes from conv.ts's rulePath, a pure function (its bundle's own copy of the module is fine).
await build({ entryPoints: { backend: "src/runtime/backend.ts", conv: "src/kernels/conv.ts" }, outdir, outExtension: { ".js": ".mjs" }, bundle: true, platform: "node", format: "esm", packages: "external", logLevel: "warning" });
const { initBackend, stopBackend } = await import(`../${outdir}/backend.mjs`);
const { rulePath } = await import(`../${outdir}/conv.mjs`);
const backend = await initBackend("wasm", { threads: THREADS });
if (!backend.description.includes("netc kernels")) throw new Error(backend.description);
const { tf } = backend;

/** Median ms per call over ROUNDS rounds of REPS calls, fewer calls per round (at least one) for calls that take long. */
function time(f) {
  const t0 = performance.now();
  tf.tidy(() => { f(); }); // warm-up
  const reps = Math.max(1, Math.min(REPS, Math.round(100 / (performance.now() - t0))));
  for (let i = 0; i < 2; i++) tf.tidy(() => { f(); });
  const rounds = [];
  for (let r = 0; r < ROUNDS; r++) {
    const start = performance.now();
    for (let i = 0; i < reps; i++) tf.tidy(() => { f(); });
    rounds.push((performance.now() - start) / reps);
  }
  return rounds.sort((a, b) => a - b)[rounds.length >> 1];
}

const run = (name, inputs, attrs) => tf.engine().runKernel(name, inputs, attrs);

// What the training graph does today (src/layers/bn.ts from scratch, activation.ts, pool.ts).
function bnForwardOps(x, gamma, beta) {
  const axes = x.rank === 4 ? [0, 1, 2] : [0];
  const mean = tf.mean(x, axes);
  const centered = tf.sub(x, mean);
  const variance = tf.mean(tf.square(centered), axes);
  const invStd = tf.rsqrt(tf.add(variance, 1e-5));
  const xHat = tf.mul(centered, invStd);
  return { y: tf.add(tf.mul(gamma, xHat), beta), xHat, invStd };
}
function bnBackwardOps(dy, xHat, invStd, gamma) {
  const axes = dy.rank === 4 ? [0, 1, 2] : [0];
  const m = dy.size / dy.shape.at(-1);
  const dBeta = tf.sum(dy, axes);
  const dGamma = tf.sum(tf.mul(dy, xHat), axes);
  const scale = tf.div(tf.mul(gamma, invStd), m);
  return tf.mul(scale, tf.sub(tf.sub(tf.mul(dy, m), dBeta), tf.mul(xHat, dGamma)));
}

const cases = [
  { name: "conv1 bn+sigmoid+avgpool [128,24,24,6]", shape: [128, 24, 24, 6], pool: true },
  { name: "conv2 bn+sigmoid+avgpool [128,8,8,16]", shape: [128, 8, 8, 16], pool: true },
  { name: "fc1 bn+sigmoid [128,120]", shape: [128, 120], pool: false },
  { name: "fc2 bn+sigmoid [128,84]", shape: [128, 84], pool: false },
];

const rows = [];
for (const c of process.env.BN === "0" ? [] : cases) {
  const ch = c.shape.at(-1);
  const x = tf.randomNormal(c.shape, 0.5, 1.5, "float32", 1);
  const gamma = tf.randomNormal([ch], 1, 0.2, "float32", 2);
  const beta = tf.randomNormal([ch], 0, 0.2, "float32", 3);
  const pool = c.pool ? 2 : 0;
  const [y, mean, invStd] = run("NetcBnForward", { x, gamma, beta }, { eps: 1e-5, act: "sigmoid", pool });
  const dyShape = c.pool ? [c.shape[0], c.shape[1] / 2, c.shape[2] / 2, ch] : c.shape;
  const dy = tf.randomNormal(dyShape, 0, 0.1, "float32", 4);
  const { xHat, invStd: invStdOps } = bnForwardOps(x, gamma, beta);

  const fwdOps = time(() => {
    const s = tf.sigmoid(bnForwardOps(x, gamma, beta).y);
    return c.pool ? tf.avgPool(s, 2, 2, "valid") : s;
  });
  const fwdOurs = time(() => run("NetcBnForward", { x, gamma, beta }, { eps: 1e-5, act: "sigmoid", pool }));
  const bwdOps = time(() => {
    const dyUp = c.pool ? tf.image.resizeNearestNeighbor(tf.div(dy, 4), [c.shape[1], c.shape[2]]) : dy;
    const dz = tf.mul(dyUp, tf.mul(y, tf.sub(1, y)));
    return bnBackwardOps(dz, xHat, invStdOps, gamma);
  });
  const bwdOurs = time(() => run("NetcBnBackward", { dy, y, x, mean, invStd, gamma }, { act: "sigmoid", pool }));
  rows.push({ case: c.name, "fwd tfjs ops": fwdOps, "fwd netc": fwdOurs, "bwd tfjs ops": bwdOps, "bwd netc": bwdOurs });
  tf.dispose([x, gamma, beta, y, mean, invStd, dy, xHat, invStdOps]);
}

const fmt = (v) => (typeof v === "number" ? v.toFixed(3) : v);
const total = (key) => rows.reduce((s, r) => s + r[key], 0);
if (rows.length) {
  rows.push({ case: "total per step", ...Object.fromEntries(["fwd tfjs ops", "fwd netc", "bwd tfjs ops", "bwd netc"].map((k) => [k, total(k)])) });
  console.log(`BN, activation and pooling: ms per call, wasm backend, ${THREADS} thread(s), median of ${ROUNDS}×${REPS}`);
  console.table(rows.map((r) => Object.fromEntries(Object.entries(r).map(([k, v]) => [k, fmt(v)]))));
}

// Convolutions: [N, H, W, CI] ⊛ [KH, KW, CI, CO], stride, padding, from models/.
const convs = [
  { name: "lenet conv1", x: [128, 28, 28, 1], w: [5, 5, 1, 6], s: 1, p: 0 },
  { name: "lenet conv2", x: [128, 12, 12, 6], w: [5, 5, 6, 16], s: 1, p: 0 },
  { name: "d2l lenet conv1 (padded)", x: [256, 28, 28, 1], w: [5, 5, 1, 6], s: 1, p: 2 },
  { name: "vgg11 first (batch 4)", x: [4, 224, 224, 1], w: [3, 3, 1, 64], s: 1, p: 1 },
  { name: "resnet18 stem", x: [32, 96, 96, 1], w: [7, 7, 1, 64], s: 2, p: 3 },
  { name: "resnet18 3×3 64", x: [32, 24, 24, 64], w: [3, 3, 64, 64], s: 1, p: 1 },
  { name: "resnet18 3×3 128", x: [32, 12, 12, 128], w: [3, 3, 128, 128], s: 1, p: 1 },
  { name: "resnet18 3×3 256", x: [32, 6, 6, 256], w: [3, 3, 256, 256], s: 1, p: 1 },
  { name: "resnet18 3×3 512", x: [32, 3, 3, 512], w: [3, 3, 512, 512], s: 1, p: 1 },
  { name: "vgg11 3×3 512 (batch 4)", x: [4, 14, 14, 512], w: [3, 3, 512, 512], s: 1, p: 1 },
  { name: "alexnet conv3", x: [32, 12, 12, 256], w: [3, 3, 256, 384], s: 1, p: 1 },
  { name: "resnet18 3×3 s2", x: [32, 24, 24, 64], w: [3, 3, 64, 128], s: 2, p: 1 },
  { name: "densenet 3×3", x: [32, 24, 24, 128], w: [3, 3, 128, 32], s: 1, p: 1 },
  { name: "googlenet b2 3×3", x: [32, 24, 24, 64], w: [3, 3, 64, 192], s: 1, p: 1 },
  { name: "alexnet conv2", x: [32, 26, 26, 96], w: [5, 5, 96, 256], s: 1, p: 2 },
  { name: "resnet18 3×3 s2 128→256", x: [32, 12, 12, 128], w: [3, 3, 128, 256], s: 2, p: 1 },
  { name: "resnet18 3×3 s2 256→512", x: [32, 6, 6, 256], w: [3, 3, 256, 512], s: 2, p: 1 },
  { name: "vgg11 3×3 128→256 (batch 4)", x: [4, 56, 56, 128], w: [3, 3, 128, 256], s: 1, p: 1 },
  { name: "googlenet 5×5", x: [32, 12, 12, 16], w: [5, 5, 16, 32], s: 1, p: 2 },
  { name: "googlenet 1×1", x: [32, 12, 12, 192], w: [1, 1, 192, 64], s: 1, p: 0 },
  { name: "googlenet 1×1 256→128", x: [32, 12, 12, 256], w: [1, 1, 256, 128], s: 1, p: 0 },
  { name: "googlenet 3×3 128→192", x: [32, 12, 12, 128], w: [3, 3, 128, 192], s: 1, p: 1 },
  { name: "googlenet 3×3 160→320", x: [32, 6, 6, 160], w: [3, 3, 160, 320], s: 1, p: 1 },
  { name: "googlenet b5 3×3 160→320", x: [32, 3, 3, 160], w: [3, 3, 160, 320], s: 1, p: 1 },
  { name: "googlenet b5 5×5 32→128", x: [32, 3, 3, 32], w: [5, 5, 32, 128], s: 1, p: 2 },
  { name: "googlenet b4 5×5 24→64", x: [32, 6, 6, 24], w: [5, 5, 24, 64], s: 1, p: 2 },
  { name: "densenet b4 3×3 216→32", x: [32, 3, 3, 216], w: [3, 3, 216, 32], s: 1, p: 1 },
  { name: "nin last 3×3 384→10", x: [32, 5, 5, 384], w: [3, 3, 384, 10], s: 1, p: 1 },
  { name: "nin 5×5 (batch 8)", x: [8, 26, 26, 96], w: [5, 5, 96, 256], s: 1, p: 2 },
  { name: "vgg11 3×3 256", x: [8, 28, 28, 256], w: [3, 3, 256, 256], s: 1, p: 1 },
];
const convRows = [];
for (const c of process.env.CONVS === "0" ? [] : convs.filter((c) => !process.env.ONLY || process.env.ONLY.split(",").some((name) => c.name.includes(name)))) {
  const x = tf.randomNormal(c.x, 0, 1, "float32", 1);
  const w = tf.randomNormal(c.w, 0, 0.1, "float32", 2);
  const [oh, ow] = [1, 2].map((i) => Math.floor((c.x[i] + 2 * c.p - c.w[i - 1]) / c.s) + 1);
  const dy = tf.randomNormal([c.x[0], oh, ow, c.w[3]], 0, 0.1, "float32", 3);
  const gflop = (2 * c.x[0] * oh * ow * c.w.reduce((a, b) => a * b, 1)) / 1e9;
  const pad = c.p === 0 ? "valid" : [[0, 0], [c.p, c.p], [c.p, c.p], [0, 0]];
  const attrs = { strides: [c.s, c.s], padding: [c.p, c.p] };
  const passes = {
    fwd: { tfjs: () => tf.conv2d(x, w, c.s, pad), netc: (path) => run("NetcConv2D", { x, filter: w }, { ...attrs, ...path }) },
    dw: {
      tfjs: () => run("Conv2DBackpropFilter", { x, dy }, { strides: [c.s, c.s], pad, dataFormat: "NHWC", filterShape: c.w }),
      netc: (path) => run("NetcConv2DBackpropFilter", { x, dy }, { ...attrs, filterShape: c.w, ...path }),
    },
    dx: { tfjs: () => tf.conv2dTranspose(dy, w, c.x, c.s, pad), netc: (path) => run("NetcConv2DBackpropInput", { dy, filter: w }, { ...attrs, inputShape: c.x, ...path }) },
  };
  for (const [pass, f] of Object.entries(passes)) {
    const windowsPossible = pass !== "dx" || (c.s === 1 && c.p < c.w[0]);
    const planePossible = pass !== "dx" && c.s === 1 && c.x[3] === 1;
    const scatterPossible = pass === "dx" && c.w[1] * c.w[2] <= 32;
    const winogradPossible = windowsPossible && c.s === 1 && c.w[0] === c.w[1] && (c.w[0] === 3 || c.w[0] === 5) && c.w[2] % 4 === 0 && c.w[3] % 4 === 0;
    const tapsPossible = windowsPossible && c.w[0] * c.w[1] > 1 && c.p < c.w[0] && c.p < c.w[1];
    const ms = {
      tfjs: time(f.tfjs),
      "netc (its rule)": time(() => f.netc({})),
      plane: planePossible ? time(() => f.netc({ path: "plane" })) : NaN,
      windows: windowsPossible ? time(() => f.netc({ path: "windows" })) : NaN,
      im2col: time(() => f.netc({ path: "im2col" })),
      scatter: scatterPossible ? time(() => f.netc({ path: "scatter" })) : NaN,
      winograd: winogradPossible ? time(() => f.netc({ path: "winograd" })) : NaN,
      taps: tapsPossible ? time(() => f.netc({ path: "taps" })) : NaN,
    };
    const picks = rulePath({ fwd: "forward", dw: "filter gradient", dx: "input gradient" }[pass], c.x, c.w, attrs.strides, attrs.padding);
    convRows.push({ case: `${c.name} ${pass}`, ...Object.fromEntries(Object.entries(ms).map(([k, v]) => [k, Number.isNaN(v) ? "–" : `${v.toFixed(2)} (${(gflop / v * 1e3).toFixed(0)})`])), picks });
  }
  tf.dispose([x, w, dy]);
}
if (convRows.length) {
  console.log(`Convolutions: ms per call (GFLOP/s), wasm backend, ${THREADS} thread(s), median of ${ROUNDS}×${REPS}`);
  console.table(convRows);
}
stopBackend(backend);
