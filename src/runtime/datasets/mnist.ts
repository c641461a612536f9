/**
 * The IDX datasets: Fashion-MNIST and MNIST by name (four files of known names, 28×28, 10
 * classes, downloaded from their official homes), and any directory of IDX files: grey images of
 * any size, as many classes as the labels say.
 */
import { readdir, stat } from "node:fs/promises";
import { join } from "node:path";
import { UserError } from "../../errors.js";
import { lookupDataset, type NamedDataset } from "../../datasets.js";
import type { Split } from "../data.js";
import { IDX_FILES, parseSplit, type IdxFile } from "../fashion-mnist.js";
import { parseIdxSplit } from "../idx.js";
import { corruptHint, readMaybeGzipped } from "./idx.js";
import type { DirectoryRead, NamedSource } from "./load.js";

const ALL_IDX_FILES = `${IDX_FILES.map((f) => `${f}.gz`).join(", ")}; gzipped or not`;

export const FASHION_MNIST_URL = "http://fashion-mnist.s3-website.eu-central-1.amazonaws.com/";
/** Debian's `dataset-fashion-mnist` installs the files here. */
export const FASHION_MNIST_SYSTEM_DIR = "/usr/share/datasets/fashion-mnist";

/**
 * MD5 of the official `.gz` files (fashion-mnist's README; torchvision's MNIST resources).
 * Repackaged copies (Debian's are re-gzipped) differ as .gz but decompress to the same bytes,
 * so files found on disk are validated structurally rather than by checksum.
 */
const FASHION_MNIST_MD5: Record<IdxFile, string> = {
  "train-images-idx3-ubyte": "8d4fb7e6c68d591d4c3dfef9ec88bf0d",
  "train-labels-idx1-ubyte": "25c81989df183df01b3e8a0aad5dffbe",
  "t10k-images-idx3-ubyte": "bef4ecab320f06d8554ea6380940ec79",
  "t10k-labels-idx1-ubyte": "bb300cfdad3c16e7a12a480ee83cd310",
};
const MNIST_MD5: Record<IdxFile, string> = {
  "train-images-idx3-ubyte": "f68b3c2dcbeaaa9fbdd348bbdeb94873",
  "train-labels-idx1-ubyte": "d53e105ee54ea40749a09fcbcd1e9432",
  "t10k-images-idx3-ubyte": "9fb629c4189551a2d022fa330f9573f3",
  "t10k-labels-idx1-ubyte": "ec29112dd5afa0611ce80d1b7f02629c",
};

const gzNames = (md5: Record<IdxFile, string>) => Object.fromEntries(IDX_FILES.map((f) => [`${f}.gz`, md5[f]]));

async function isFile(path: string): Promise<boolean> {
  return stat(path).then((s) => s.isFile(), () => false);
}

async function firstFile(paths: string[]): Promise<string | undefined> {
  for (const p of paths) if (await isFile(p)) return p;
  return undefined;
}

/** A set with the four standard file names, 28×28 images and 10 classes. */
function mnistLike(info: NamedDataset, urls: readonly string[], md5: Record<IdxFile, string>, systemDirs: readonly string[], apt?: string): NamedSource {
  return {
    info,
    urls,
    downloads: gzNames(md5),
    systemDirs,
    needs: `the four IDX files (${ALL_IDX_FILES})`,
    ...(apt ? { apt } : {}),
    async find(dir) {
      const files: Partial<Record<IdxFile, string>> = {};
      const missing: string[] = [];
      for (const name of IDX_FILES) {
        const path = await firstFile([join(dir, name), join(dir, `${name}.gz`)]);
        if (path) files[name] = path;
        else missing.push(`${name}[.gz]`);
      }
      return missing.length > 0 ? { missing } : { dir, files };
    },
    async read({ files }, cache) {
      const read = (images: IdxFile, labels: IdxFile) => readSplit(files[images]!, files[labels]!, corruptHint(cache), parseSplit);
      const [train, test] = await Promise.all([read("train-images-idx3-ubyte", "train-labels-idx1-ubyte"), read("t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte")]);
      return { train, test, facts: info };
    },
  };
}

export const FASHION_MNIST = mnistLike(lookupDataset("fashion-mnist")!, [FASHION_MNIST_URL], FASHION_MNIST_MD5, [FASHION_MNIST_SYSTEM_DIR], "dataset-fashion-mnist");
// Yann LeCun's page, the official home, often refuses downloads now; torchvision's mirror is next.
export const MNIST = mnistLike(lookupDataset("mnist")!, ["http://yann.lecun.com/exdb/mnist/", "https://ossci-datasets.s3.amazonaws.com/mnist/"], MNIST_MD5, []);

/** An images file and a labels file, read and parsed as a split. */
async function readSplit(imagesFile: string, labelsFile: string, hint: string, parse: typeof parseIdxSplit): Promise<Split> {
  const [images, labels] = await Promise.all([readMaybeGzipped(imagesFile, hint), readMaybeGzipped(labelsFile, hint)]);
  return parse({ file: imagesFile, bytes: images }, { file: labelsFile, bytes: labels }, hint);
}

// A directory of IDX files under any prefix, e.g. EMNIST's `emnist-letters-train-images-idx3-ubyte`.
const ROLE = /(?:^|[-_.])(train|t10k|test)-(images|labels)-idx([13])-ubyte(?:\.gz)?$/;
const ROLES = { "train images": "train-images-idx3-ubyte", "train labels": "train-labels-idx1-ubyte", "test images": "t10k-images-idx3-ubyte", "test labels": "t10k-labels-idx1-ubyte" } as const;
type Role = keyof typeof ROLES;

/**
 * A directory of IDX files: grey images of any size, classes counted from the labels (the largest
 * label + 1). The files are found by the standard names' endings, so prefixed names work too.
 */
export async function readIdxDirectory(dir: string, how: string): Promise<DirectoryRead> {
  const names = await readdir(dir).catch((e: NodeJS.ErrnoException) => {
    throw new UserError(`${how} ${dir}: ${e.code === "ENOENT" ? "no such directory" : e.code === "ENOTDIR" ? "not a directory" : e.message}`, [`pass a directory that holds ${ALL_IDX_FILES}, or a dataset's name: fashion-mnist, mnist, cifar10`]);
  });
  const found = new Map<Role, string[]>();
  for (const name of names.sort()) {
    const m = ROLE.exec(name);
    if (!m || (m[2] === "images") !== (m[3] === "3")) continue;
    const role = `${m[1] === "train" ? "train" : "test"} ${m[2]}` as Role;
    found.set(role, [...(found.get(role) ?? []), name]);
  }
  const missing = (Object.keys(ROLES) as Role[]).filter((r) => !found.has(r));
  if (missing.length > 0) {
    throw new UserError(`${how} ${dir}: missing ${missing.map((r) => `${ROLES[r]}[.gz]`).join(", ")}`, [`the directory must hold IDX files of the training and test images and labels (${ALL_IDX_FILES}; a prefix such as \`emnist-letters-\` is fine)`]);
  }
  const ambiguous = [...found].filter(([, files]) => files.length > 1);
  if (ambiguous.length > 0) {
    const [role, files] = ambiguous[0]!;
    throw new UserError(`${how} ${dir}: several files could be the ${role}: ${files.join(", ")}`, ["keep one set of IDX files in the directory"]);
  }
  const path = (role: Role) => join(dir, found.get(role)![0]!);
  // The user's own files: none of them is in netc's cache.
  const hint = corruptHint(undefined);
  const [train, test] = await Promise.all([readSplit(path("train images"), path("train labels"), hint, parseIdxSplit), readSplit(path("test images"), path("test labels"), hint, parseIdxSplit)]);
  if (train.shape.height !== test.shape.height || train.shape.width !== test.shape.width) {
    throw new UserError(`${how} ${dir}: the training images are ${train.shape.height}×${train.shape.width} but the test images ${test.shape.height}×${test.shape.width}`);
  }
  let largest = 0;
  for (const labels of [train.labels, test.labels]) for (const l of labels) largest = Math.max(largest, l);
  return { train, test, facts: { title: `the IDX files in ${dir}`, shape: train.shape, classes: largest + 1 } };
}
