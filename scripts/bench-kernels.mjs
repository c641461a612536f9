// `node scripts/bench-kernels.mjs`: time per call of netc's WebAssembly kernels against the
// compositions of tfjs ops they replace, on the wasm backend at LeNet-BN's shapes (batch 128).
// Prints a table (milliseconds, median of ROUNDS rounds of REPS calls).
import { build } from "esbuild";
import { buildKernels } from "./build-kernels.mjs";

const ROUNDS = Number(process.env.ROUNDS ?? 7);
const REPS = Number(process.env.REPS ?? 20);

await buildKernels();
const outdir = "node_modules/.cache/netc/bench-kernels";
await build({ entryPoints: ["src/kernels/register.ts", "src/kernels/binaries.ts"], outdir, outExtension: { ".js": ".mjs" }, bundle: true, splitting: true, platform: "node", format: "esm", packages: "external", logLevel: "warning" });
const { registerNetcKernels } = await import(`../${outdir}/register.mjs`);
const { kernelBinaries } = await import(`../${outdir}/binaries.mjs`);

const tf = await import("@tensorflow/tfjs");
await import("@tensorflow/tfjs-backend-wasm");
tf.enableProdMode();
await tf.setBackend("wasm");
await tf.ready();
const status = registerNetcKernels(tf, kernelBinaries("dist/netc-kernels.wasm"));
if (!status.wasm) throw new Error(status.reason);

function time(f) {
  for (let i = 0; i < 3; i++) tf.tidy(() => { f(); }); // warm-up
  const rounds = [];
  for (let r = 0; r < ROUNDS; r++) {
    const t0 = performance.now();
    for (let i = 0; i < REPS; i++) tf.tidy(() => { f(); });
    rounds.push((performance.now() - t0) / REPS);
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
for (const c of cases) {
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
rows.push({ case: "total per step", ...Object.fromEntries(["fwd tfjs ops", "fwd netc", "bwd tfjs ops", "bwd netc"].map((k) => [k, total(k)])) });
console.log(`ms per call, wasm backend, median of ${ROUNDS}×${REPS}`);
console.table(rows.map((r) => Object.fromEntries(Object.entries(r).map(([k, v]) => [k, fmt(v)]))));
