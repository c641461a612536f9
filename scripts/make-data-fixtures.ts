// Generates the small synthetic datasets the tests train on, one per format netc reads (the real
// MNIST and CIFAR-10 are not installed here, and the fixtures must be small). Byte-for-byte
// reproducible: a seeded generator, gzip without names or times, a tar with fixed dates.
//
//   test/fixtures/mnist-small/     MNIST's four IDX files: digits drawn from a 5×7 font, 28×28,
//                                  shifted, thickened and noisy; 300 training and 100 test images
//   test/fixtures/letters-small/   a directory of IDX files under a prefix (as EMNIST names
//                                  them): the letters A-Z, 20×20, 26 classes
//   test/fixtures/cifar10-small/   cifar-10-binary.tar.gz as the official archive lays it out:
//                                  five training batches of 40 and a test batch of 80 colour
//                                  32×32 images, each class a colour and a shape
//
// Usage, from the repository's root: npm run fixtures:data
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { gzipSync } from "node:zlib";
import { create } from "tar";
import { mulberry32 } from "../src/runtime/data.js";

const root = "test/fixtures";

const random = mulberry32(13);
const int = (n: number) => Math.floor(random() * n);

// A 5×7 font: each glyph seven rows of five bits, most significant bit on the left.
const FONT: Record<string, number[]> = {
  0: [14, 17, 19, 21, 25, 17, 14], 1: [4, 12, 4, 4, 4, 4, 14], 2: [14, 17, 1, 2, 4, 8, 31], 3: [31, 2, 4, 2, 1, 17, 14],
  4: [2, 6, 10, 18, 31, 2, 2], 5: [31, 16, 30, 1, 1, 17, 14], 6: [6, 8, 16, 30, 17, 17, 14], 7: [31, 1, 2, 4, 8, 8, 8],
  8: [14, 17, 17, 14, 17, 17, 14], 9: [14, 17, 17, 15, 1, 2, 12],
  A: [14, 17, 17, 31, 17, 17, 17], B: [30, 17, 17, 30, 17, 17, 30], C: [14, 17, 16, 16, 16, 17, 14], D: [28, 18, 17, 17, 17, 18, 28],
  E: [31, 16, 16, 30, 16, 16, 31], F: [31, 16, 16, 30, 16, 16, 16], G: [14, 17, 16, 23, 17, 17, 15], H: [17, 17, 17, 31, 17, 17, 17],
  I: [14, 4, 4, 4, 4, 4, 14], J: [7, 2, 2, 2, 2, 18, 12], K: [17, 18, 20, 24, 20, 18, 17], L: [16, 16, 16, 16, 16, 16, 31],
  M: [17, 27, 21, 21, 17, 17, 17], N: [17, 17, 25, 21, 19, 17, 17], O: [14, 17, 17, 17, 17, 17, 14], P: [30, 17, 17, 30, 16, 16, 16],
  Q: [14, 17, 17, 17, 21, 18, 13], R: [30, 17, 17, 30, 20, 18, 17], S: [15, 16, 16, 14, 1, 1, 30], T: [31, 4, 4, 4, 4, 4, 4],
  U: [17, 17, 17, 17, 17, 17, 14], V: [17, 17, 17, 17, 17, 10, 4], W: [17, 17, 17, 21, 21, 21, 10], X: [17, 17, 10, 4, 10, 17, 17],
  Y: [17, 17, 10, 4, 4, 4, 4], Z: [31, 1, 2, 4, 8, 16, 31],
};

/** A glyph drawn into a side×side grey image: scaled, shifted, thick or thin, with some noise. */
function drawGlyph(glyph: number[], side: number, scale: number): Uint8Array {
  const image = new Uint8Array(side * side);
  const [w, h] = [5 * scale, 7 * scale];
  const top = Math.floor((side - h) / 2) + int(5) - 2;
  const left = Math.floor((side - w) / 2) + int(5) - 2;
  const ink = 170 + int(86);
  const thick = random() < 0.5;
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) {
      const on = (gx: number, gy: number) => gy >= 0 && gy < 7 && gx >= 0 && gx < 5 && (glyph[gy]! >> (4 - gx)) & 1;
      const gx = Math.floor(x / scale);
      const gy = Math.floor(y / scale);
      const lit = on(gx, gy) || (thick && on(Math.floor((x - 1) / scale), gy));
      const [py, px] = [top + y, left + x];
      if (lit && py >= 0 && py < side && px >= 0 && px < side) image[py * side + px] = ink;
    }
  }
  for (let i = 0; i < side; i++) image[int(side * side)] = 16 * int(6);
  return image;
}

function idx(dims: number[], bytes: ArrayLike<number>): Buffer {
  const header = Buffer.alloc(4 + 4 * dims.length);
  header.writeUInt32BE(0x800 + dims.length, 0);
  dims.forEach((d, i) => header.writeUInt32BE(d, 4 + 4 * i));
  // gzip's header carries no name or time here, so the output is reproducible byte for byte.
  return gzipSync(Buffer.concat([header, Buffer.from(Array.from(bytes))]), { level: 9 });
}

/** Balanced labels in a shuffled order. */
function labels(count: number, classes: number): number[] {
  const out = Array.from({ length: count }, (_, i) => i % classes);
  for (let i = count - 1; i > 0; i--) {
    const j = int(i + 1);
    [out[i], out[j]] = [out[j]!, out[i]!];
  }
  return out;
}

function writeIdxSet(dir: string, prefix: string, glyphs: string[], side: number, scale: number, counts: Record<string, number>): void {
  mkdirSync(dir, { recursive: true });
  for (const [split, count] of Object.entries(counts)) {
    const ys = labels(count, glyphs.length);
    const pixels = new Uint8Array(count * side * side);
    ys.forEach((y, i) => pixels.set(drawGlyph(FONT[glyphs[y]!]!, side, scale), i * side * side));
    writeFileSync(join(dir, `${prefix}${split}-images-idx3-ubyte.gz`), idx([count, side, side], pixels));
    writeFileSync(join(dir, `${prefix}${split}-labels-idx1-ubyte.gz`), idx([count], ys));
    console.log(`${join(dir, `${prefix}${split}-*`)}: ${count} images, ${side}×${side}, ${glyphs.length} classes`);
  }
}

writeIdxSet(join(root, "mnist-small"), "", "0123456789".split(""), 28, 3, { train: 300, t10k: 100 });
writeIdxSet(join(root, "letters-small"), "emnist-letters-", "ABCDEFGHIJKLMNOPQRSTUVWXYZ".split(""), 20, 2, { train: 260, test: 104 });

// CIFAR-10: each class a colour and a shape on a darker background, placed at random.
const COLOURS = [[230, 60, 60], [60, 200, 60], [70, 90, 230], [230, 210, 50], [200, 60, 220], [50, 210, 210], [240, 140, 40], [150, 150, 150], [120, 60, 30], [250, 250, 250]];
function cifarRecord(label: number): Uint8Array {
  const side = 32;
  const record = new Uint8Array(1 + 3 * side * side);
  record[0] = label;
  const [cx, cy] = [10 + int(12), 10 + int(12)];
  const shape = label % 5;
  const size = 6 + int(4);
  const inside = (x: number, y: number) => {
    const [dx, dy] = [x - cx, y - cy];
    if (shape === 0) return dx * dx + dy * dy <= size * size;
    if (shape === 1) return Math.abs(dx) <= size && Math.abs(dy) <= size;
    if (shape === 2) return Math.abs(dy) <= 2 && Math.abs(dx) <= size + 4;
    if (shape === 3) return Math.abs(dx) <= 2 && Math.abs(dy) <= size + 4;
    return Math.abs(dx) + Math.abs(dy) <= size;
  };
  const background = 20 + int(40);
  for (let c = 0; c < 3; c++) {
    for (let y = 0; y < side; y++) {
      for (let x = 0; x < side; x++) {
        const noise = random() < 0.05 ? 8 * (1 + int(2)) : 0;
        record[1 + c * side * side + y * side + x] = inside(x, y) ? COLOURS[label]![c]! - noise : background + noise;
      }
    }
  }
  return record;
}

const cifarDir = join(root, "cifar10-small");
mkdirSync(cifarDir, { recursive: true });
const staging = mkdtempSync(join(tmpdir(), "netc-cifar-"));
const folder = "cifar-10-batches-bin";
mkdirSync(join(staging, folder));
const batches = { "data_batch_1.bin": 40, "data_batch_2.bin": 40, "data_batch_3.bin": 40, "data_batch_4.bin": 40, "data_batch_5.bin": 40, "test_batch.bin": 80 };
for (const [name, count] of Object.entries(batches)) {
  writeFileSync(join(staging, folder, name), Buffer.concat(labels(count, 10).map((y) => cifarRecord(y))));
}
writeFileSync(join(staging, folder, "batches.meta.txt"), "airplane\nautomobile\nbird\ncat\ndeer\ndog\nfrog\nhorse\nship\ntruck\n\n");
const members = [folder, ...[...Object.keys(batches), "batches.meta.txt"].map((f) => `${folder}/${f}`)];
await create({ gzip: { level: 9 }, file: join(cifarDir, "cifar-10-binary.tar.gz"), cwd: staging, portable: true, mtime: new Date("2009-06-04T00:00:00Z"), noDirRecurse: true }, members);
rmSync(staging, { recursive: true });
console.log(`${join(cifarDir, "cifar-10-binary.tar.gz")}: ${Object.values(batches).join(" + ")} images, 3×32×32, 10 classes`);
