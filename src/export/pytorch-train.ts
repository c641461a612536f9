/**
 * The exported package's train.py and README.md: the seed notebook's training loop, written to
 * run as a plain script and, unchanged, as one of many processes under `torchrun`.
 */
import { isDatasetName } from "../datasets.js";
import { preprocessSummary, updateSummary, type TrainSettings } from "../train-settings.js";

export interface PackageInfo {
  /** The model's name (`model lenet_bn`) and its class in model.py. */
  model: string;
  className: string;
  /** The `.net` file's name. */
  file: string;
  input: readonly number[];
  settings: TrainSettings;
  bn: "scratch" | "builtin";
  netcVersion: string;
  /** Whether the package holds trained weights (exported from a run directory). */
  trained: boolean;
}

/** A Python literal of a number, a list of numbers or a string. */
function py(value: number | boolean | string | readonly number[] | undefined): string {
  if (value === undefined) return "None";
  if (typeof value === "boolean") return value ? "True" : "False";
  if (typeof value === "string") return JSON.stringify(value);
  if (typeof value === "number") return String(value);
  return `(${value.map(String).join(", ")}${value.length === 1 ? "," : ""})`;
}

/** The settings as train.py's constants: torch.optim's arguments, netc's schedule, data and preprocessing. */
function settingsPy(s: TrainSettings): string {
  const optimizer =
    s.optimizer === "sgd"
      ? `{"name": "sgd", "momentum": ${py(s.momentum)}, "nesterov": ${py(s.nesterov)}, "weight_decay": ${py(s.wd)}}`
      : `{"name": "${s.optimizer}", "betas": ${py(s.betas)}, "eps": ${py(s.eps)}, "weight_decay": ${py(s.wd)}}`;
  return [
    `LR, EPOCHS, BATCH = ${s.lr}, ${s.epochs}, ${s.batch}`,
    `OPTIMIZER = ${optimizer}`,
    `SCHEDULE = {"name": "${s.schedule}", "step": ${py(s.step)}, "gamma": ${py(s.gamma)}, "warmup": ${py(s.warmup)}}`,
    `DATA = ${py(s.data)}${isDatasetName(s.data) ? "" : "  # a directory"}`,
    `NORMALIZE = ${py(s.normalize)}  # means then standard deviations, per channel or one of each for all`,
    `FLIP, CROP = ${py(s.flip)}, ${s.crop}`,
  ].join("\n");
}

export function trainPy(info: PackageInfo): string {
  const s = info.settings;
  const preprocess = preprocessSummary(s);
  return `"""Trains ${info.model} (${info.file}) as \`netc train\` does: the seed notebook's train(), with
Xavier-initialised weights and the test accuracy after each epoch; ${updateSummary(s)} on ${s.data}${preprocess ? ` (${preprocess})` : ""}.

    python3 train.py [--epochs N] [--lr X] [--batch N] [--data NAME|DIR] [--out DIR] [--weights FILE]
    torchrun --nproc_per_node=N train.py [...]

Under torchrun each process trains on its share of every batch (DistributedDataParallel: gloo on
CPU, NCCL on GPUs) and the metrics are summed over the processes; process 0 prints them and
writes the weights after each epoch. Exported by netc ${info.netcVersion}.
"""
import argparse
import gzip
import math
import os
import re
import tarfile
import time

import torch
import torch.distributed as dist
from torch import nn
from torch.nn import functional as F
from torch.nn.parallel import DistributedDataParallel
from torch.utils.data.distributed import DistributedSampler

from model import ${info.className} as Net, load_weights, save_weights

MODEL = "${info.model}"
# The settings netc trained with (the model's \`train\` header and the flags), else netc's defaults:
# the seed's plain SGD at lr 1.0 on Fashion-MNIST; PyTorch's where the seed has none.
${settingsPy(s)}


def make_optimizer(net, args):
    """The optimizer netc uses, as torch.optim has it (netc's is written to agree with it)."""
    kind = OPTIMIZER["name"]
    if kind == "sgd":
        return torch.optim.SGD(net.parameters(), lr=args.lr, momentum=OPTIMIZER["momentum"], nesterov=OPTIMIZER["nesterov"],
                               weight_decay=OPTIMIZER["weight_decay"])
    adam = torch.optim.Adam if kind == "adam" else torch.optim.AdamW
    return adam(net.parameters(), lr=args.lr, betas=OPTIMIZER["betas"], eps=OPTIMIZER["eps"], weight_decay=OPTIMIZER["weight_decay"])


def make_scheduler(optimizer, steps_per_epoch, epochs):
    """netc's learning-rate schedule, stepped after every step: a linear warmup over the first
    SCHEDULE["warmup"] epochs (from lr/S to lr over their S steps), then, once per epoch, constant,
    StepLR (times gamma every \`step\` epochs) or CosineAnnealingLR (to 0 over the epochs after the warmup)."""
    warmup = SCHEDULE["warmup"]
    if warmup >= epochs:
        raise SystemExit(f"error: a warmup of {warmup} epochs leaves none of the {epochs} to the schedule")

    def factor(step):
        epoch = step // steps_per_epoch
        if epoch < warmup:
            return (step + 1) / (warmup * steps_per_epoch)
        e = epoch - warmup
        if SCHEDULE["name"] == "step":
            return SCHEDULE["gamma"] ** (e // SCHEDULE["step"])
        if SCHEDULE["name"] == "cosine":
            return (1 + math.cos(math.pi * e / (epochs - warmup))) / 2
        return 1.0

    return torch.optim.lr_scheduler.LambdaLR(optimizer, factor)


def init_weights(m):
    if type(m) == nn.Linear or type(m) == nn.Conv2d:
        nn.init.xavier_uniform_(m.weight)


DATASETS = ("fashion-mnist", "mnist", "cifar10")
# IDX files under any prefix (EMNIST's \`emnist-letters-train-images-idx3-ubyte\`), as netc finds them.
IDX_ROLE = re.compile(r"(?:^|[-_.])(train|t10k|test)-(images|labels)-idx[13]-ubyte(?:\\.gz)?$")
CIFAR_FILES = [f"data_batch_{i}.bin" for i in range(1, 6)] + ["test_batch.bin"]
CIFAR_ARCHIVE, CIFAR_FOLDER = "cifar-10-binary.tar.gz", "cifar-10-batches-bin"


def cifar_source(directory):
    """Where CIFAR-10's binary batches are in \`directory\`: a folder of them, or the official archive."""
    for folder in (directory, os.path.join(directory, CIFAR_FOLDER)):
        if all(os.path.isfile(os.path.join(folder, f)) for f in CIFAR_FILES):
            return folder
    archive = os.path.join(directory, CIFAR_ARCHIVE)
    return archive if os.path.isfile(archive) else None


def idx_files(directory):
    """The IDX files of \`directory\` by role ("train images", ...), or None when one is missing."""
    found = {}
    for name in sorted(os.listdir(directory)) if os.path.isdir(directory) else []:
        m = IDX_ROLE.search(name)
        if m:
            found.setdefault(f"{'train' if m.group(1) == 'train' else 'test'} {m.group(2)}", os.path.join(directory, name))
    return found if len(found) == 4 else None


def data_dir(named):
    """--data (a dataset's name or a directory), else DATA; a name is looked for where netc looks."""
    data = named or DATA
    if data not in DATASETS:
        if not (cifar_source(data) or idx_files(data)):
            raise SystemExit(f"error: {data} holds neither IDX files nor CIFAR-10's binary batches")
        return data
    if data == "fashion-mnist" and os.environ.get("NETC_DATA"):
        return os.environ["NETC_DATA"]
    xdg = os.environ.get("XDG_CACHE_HOME", "")
    cache = xdg if os.path.isabs(xdg) else os.path.join(os.path.expanduser("~"), ".cache")
    searched = [os.path.join("data", data), os.path.join(cache, "netc", data)] + (["/usr/share/datasets/fashion-mnist"] if data == "fashion-mnist" else [])
    for d in searched:
        if (cifar_source(d) if data == "cifar10" else idx_files(d)):
            return d
    raise SystemExit(f"error: {data} not found (looked in {', '.join(searched)}); pass --data DIR, "
                     "or run \`netc train\` once (it downloads the files into its cache)")


def read_bytes(path):
    with open(path, "rb") as f:
        data = f.read()
    return gzip.decompress(data) if data[:2] == b"\\x1f\\x8b" else data


def read_idx(path):
    data = read_bytes(path)
    dims = data[3]
    shape = [int.from_bytes(data[4 + 4 * i:8 + 4 * i], "big") for i in range(dims)]
    return torch.frombuffer(bytearray(data[4 + 4 * dims:]), dtype=torch.uint8).reshape(shape)


def cifar_records(blobs):
    """Images (N, 3, 32, 32) and labels of 3,073-byte records: a label, then the red, green and blue planes."""
    records = torch.frombuffer(bytearray(b"".join(blobs)), dtype=torch.uint8).reshape(-1, 3073)
    return records[:, 1:].reshape(-1, 3, 32, 32).clone(), records[:, 0].long()


def load_data(directory, limit=None):
    """Training and test images (uint8, N×C×H×W) and labels."""
    source = cifar_source(directory)
    if source:
        if source.endswith(CIFAR_ARCHIVE):
            with tarfile.open(source) as tar:
                blobs = {os.path.basename(m.name): tar.extractfile(m).read() for m in tar.getmembers() if os.path.basename(m.name) in CIFAR_FILES}
        else:
            blobs = {f: read_bytes(os.path.join(source, f)) for f in CIFAR_FILES}
        X, y = cifar_records([blobs[f] for f in CIFAR_FILES[:5]])
        X_test, y_test = cifar_records([blobs["test_batch.bin"]])
    else:
        files = idx_files(directory)
        X, y = read_idx(files["train images"]).unsqueeze(1), read_idx(files["train labels"]).long()
        X_test, y_test = read_idx(files["test images"]).unsqueeze(1), read_idx(files["test labels"]).long()
    return X[:limit], y[:limit], X_test, y_test


def augment(images, generator):
    """netc's augmentation of training images, on their bytes: a random crop of the image padded
    with CROP zeros on every side (RandomCrop), then a random mirror (RandomHorizontalFlip)."""
    n, _, h, w = images.shape
    if CROP:
        padded = F.pad(images, (CROP, CROP, CROP, CROP))
        offsets = torch.randint(0, 2 * CROP + 1, (n, 2), generator=generator).tolist()
        images = torch.stack([padded[i, :, top:top + h, left:left + w] for i, (top, left) in enumerate(offsets)])
    if FLIP:
        mirrored = torch.rand(n, generator=generator) < 0.5
        images = torch.where(mirrored[:, None, None, None], images.flip(3), images)
    return images


def as_input(images, device):
    """Bytes to the model's input as netc makes it: scaled to [0, 1] (ToTensor), normalized per
    channel (Normalize), then resized bilinearly, or flattened in netc's order (H, W, C)."""
    X = images.to(device).float().div(255)
    if NORMALIZE:
        half, channels = len(NORMALIZE) // 2, X.shape[1]
        mean = torch.tensor(NORMALIZE[:half] * (channels if half == 1 else 1), device=device).reshape(1, -1, 1, 1)
        std = torch.tensor(NORMALIZE[half:] * (channels if half == 1 else 1), device=device).reshape(1, -1, 1, 1)
        X = (X - mean) / std
    shape = Net.input_shape
    if len(shape) == 1:
        return X.permute(0, 2, 3, 1).reshape(X.shape[0], -1)
    if tuple(shape[1:]) != tuple(X.shape[2:]):
        X = F.interpolate(X, size=shape[1:], mode="bilinear", align_corners=False)
    return X


def accuracy(y_hat, y):
    return float((y_hat.argmax(axis=1) == y).sum())


def evaluate_accuracy(net, images, labels, device, rank, world, batch=1000):
    """Correct predictions and examples of this process's share of the test set."""
    net.eval()
    correct = count = 0
    with torch.no_grad():
        share = torch.arange(rank, labels.shape[0], world)
        for start in range(0, share.shape[0], batch):
            idx = share[start:start + batch]
            y = labels[idx].to(device)
            correct += accuracy(net(as_input(images[idx], device)), y)
            count += y.shape[0]
    return correct, count


def summed(values, device, op="sum"):
    """Values added up (or their maximum) over all processes."""
    t = torch.tensor(values, dtype=torch.float64, device=device)
    if dist.is_initialized():
        dist.all_reduce(t, op=dist.ReduceOp.MAX if op == "max" else dist.ReduceOp.SUM)
    return t.tolist()


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\\n\\n")[0])
    ap.add_argument("--epochs", type=int, default=EPOCHS)
    ap.add_argument("--lr", type=float, default=LR)
    ap.add_argument("--batch", type=int, default=BATCH, help="examples per step, over all processes")
    ap.add_argument("--data", help=f"dataset ({', '.join(DATASETS)}) or directory of IDX files or CIFAR-10 batches (default: {DATA})")
    ap.add_argument("--limit", type=int, help="train on the first N training examples only")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--weights", help="start from these weights (a .safetensors file) instead of Xavier's")
    ap.add_argument("--out", help="directory for weights.safetensors (default: runs/MODEL-torch-TIME)")
    ap.add_argument("--device", default="auto", help="cpu, cuda, or auto (cuda when there is one)")
    ap.add_argument("--threads", type=int, help="CPU threads per process")
    args = ap.parse_args()
    if args.threads:
        torch.set_num_threads(args.threads)

    # torchrun sets WORLD_SIZE, RANK and LOCAL_RANK; a plain run is one process.
    world = int(os.environ.get("WORLD_SIZE", "1"))
    use_cuda = args.device == "cuda" or (args.device == "auto" and torch.cuda.is_available())
    if world > 1:
        dist.init_process_group("nccl" if use_cuda else "gloo")
    rank = dist.get_rank() if world > 1 else 0
    local_rank = int(os.environ.get("LOCAL_RANK", "0"))
    device = torch.device(f"cuda:{local_rank}" if use_cuda else "cpu")
    if use_cuda:
        torch.cuda.set_device(device)
    if args.batch % world:
        raise SystemExit(f"error: --batch {args.batch} does not split evenly over {world} processes")

    X, y, X_test, y_test = load_data(data_dir(args.data), args.limit)

    torch.manual_seed(args.seed)
    net = Net()
    if args.weights:
        load_weights(net, args.weights)
    else:
        net.apply(init_weights)
    net.to(device)
    model = DistributedDataParallel(net, device_ids=[local_rank] if use_cuda else None) if world > 1 else net
    optimizer = make_optimizer(net, args)
    loss = nn.CrossEntropyLoss()
    # Each process takes every world-th example of the epoch's shuffled order.
    sampler = DistributedSampler(range(y.shape[0]), num_replicas=world, rank=rank, shuffle=True, seed=args.seed)
    scheduler = make_scheduler(optimizer, math.ceil(len(sampler) / (args.batch // world)), args.epochs)
    scheduled = SCHEDULE["name"] != "constant" or SCHEDULE["warmup"] > 0
    generator = torch.Generator().manual_seed(args.seed * 1000 + rank)
    out = args.out or os.path.join("runs", f"{MODEL}-torch-{time.strftime('%Y%m%d-%H%M%S')}")
    if rank == 0:
        threads = f"{torch.get_num_threads()} thread{'s' if torch.get_num_threads() > 1 else ''}"
        how = f"{world} processes ({dist.get_backend()}), {threads} each" if world > 1 else threads
        print(f"training on {device} ({how})", flush=True)
        os.makedirs(out, exist_ok=True)

    seconds = 0.0
    for epoch in range(args.epochs):
        sampler.set_epoch(epoch)
        order = torch.tensor(list(sampler))
        metric = [0.0, 0.0, 0.0]  # summed loss, correct predictions, examples
        epoch_seconds = 0.0
        model.train()
        for start in range(0, order.shape[0], args.batch // world):
            t0 = time.perf_counter()
            idx = order[start:start + args.batch // world]
            Xb, yb = as_input(augment(X[idx], generator) if FLIP or CROP else X[idx], device), y[idx].to(device)
            optimizer.zero_grad()
            y_hat = model(Xb)
            l = loss(y_hat, yb)
            l.backward()
            optimizer.step()
            lr = optimizer.param_groups[0]["lr"]
            scheduler.step()
            with torch.no_grad():
                metric = [metric[0] + float(l) * yb.shape[0], metric[1] + accuracy(y_hat, yb), metric[2] + yb.shape[0]]
            epoch_seconds += time.perf_counter() - t0
        train_loss, correct, examples = summed(metric, device)
        test_correct, test_count = summed(evaluate_accuracy(net, X_test, y_test, device, rank, world), device)
        (epoch_seconds,) = summed([epoch_seconds], device, op="max")
        seconds += epoch_seconds
        train_l, train_acc, test_acc = train_loss / examples, correct / examples, test_correct / test_count
        if rank == 0:
            rate = f"  lr {lr:.4g}" if scheduled else ""
            print(f"epoch {epoch + 1}/{args.epochs}{rate}  loss {train_l:.3f}  train acc {train_acc:.3f}  test acc {test_acc:.3f}  "
                  f"{examples / epoch_seconds:,.0f} examples/sec", flush=True)
            save_weights(net, os.path.join(out, "weights.safetensors"), {
                "model": MODEL, "epoch": epoch + 1, "test_acc": test_acc, "lr": args.lr, "epochs": args.epochs, "batch": args.batch, "seed": args.seed,
            })
    if rank == 0:
        # The seed's last two lines.
        print(f"loss {train_l:.3f}, train acc {train_acc:.3f}, test acc {test_acc:.3f}")
        print(f"{examples * args.epochs / seconds:.1f} examples/sec on {device}")
    if world > 1:
        # Leave together: a process that tears its group down while process 0 is still saving
        # can leave process 0 waiting for ever in destroy_process_group (gloo, PyTorch 1.13).
        dist.barrier()
        dist.destroy_process_group()


if __name__ == "__main__":
    main()
`;
}

export function packageReadme(info: PackageInfo): string {
  const bnNote =
    info.bn === "scratch"
      ? "`bn` layers are the seed notebook's own `BatchNorm` (model.py): as in the seed, it normalizes with the moving statistics when gradients are off (`torch.no_grad()`), with the batch's otherwise."
      : "`bn` layers are `nn.BatchNorm2d`/`nn.BatchNorm1d` (netc's momentum 0.9 is PyTorch's 0.1). PyTorch updates its running variance with the unbiased batch variance, netc with the biased one.";
  return `# ${info.model} for PyTorch

Exported by netc ${info.netcVersion} from \`${info.file}\`${info.trained ? ", with the weights of a trained run" : ""}. Plain PyTorch: no other dependency.

| file | what |
| --- | --- |
| \`model.py\` | \`${info.className}\`, the network as \`${info.file}\` reads (its line numbers in the comments), a class per block; \`load_weights\`/\`save_weights\` for safetensors files |
| \`train.py\` | the seed notebook's training loop, on one process or many |
${info.trained ? "| `weights.safetensors` | the run's trained weights and moving statistics, in PyTorch's layout |\n" : ""}| \`model.net\` | the model's source, for bringing weights back to netc |

Input: float32 \`[N, ${info.input.join(", ")}]\`${info.input.length === 3 ? " (NCHW)" : ""}; output: logits.

## Train

\`\`\`
python3 train.py --epochs 1                     # one process
torchrun --nproc_per_node=2 train.py --epochs 1 # two processes (DistributedDataParallel)
\`\`\`

Where there is no \`torchrun\` command, \`python3 -m torch.distributed.run\` is the same. PyTorch
1.13's \`torchrun\` on Python 3.11 (Debian 12) stops with \`AttributeError: 'NoneType' object has no
attribute 'get'\` before starting the script (fixed in PyTorch 2.0); \`export PET_REDIRECTS=9:1 PET_TEE=9:1\`
(settings for a process that does not exist) sidesteps it. Over several
machines: \`torchrun --nnodes=2 --node_rank=R --master_addr=HOST --master_port=29500 --nproc_per_node=N train.py\`
on each. \`--batch\` is the batch of one step over all processes, each taking an equal share (so the
same settings train the same way on 1 or N processes, up to batch-norm statistics, which each
process computes over its share). Processes use gloo on CPUs, NCCL with \`--device cuda\` (the default
where CUDA is available); \`--threads N\` sets the CPU threads of each process (on a CPU other
work keeps busy, several threads want \`OMP_WAIT_POLICY=passive\`).

Training: ${updateSummary(info.settings)}, ${info.settings.epochs} epochs, batch ${info.settings.batch}, as netc
trained${info.trained ? " it" : ""}: the optimizer is torch.optim's (netc's agrees with it step for step), the schedule a
\`LambdaLR\` stepped after every step. The settings are the constants at the top of \`train.py\`;
\`--lr\`, \`--epochs\` and \`--batch\` override theirs.

Data: ${isDatasetName(info.settings.data) ? `\`${info.settings.data}\`, found as netc finds it (\`./data/${info.settings.data}\`, netc's cache \`~/.cache/netc/${info.settings.data}\`${info.settings.data === "fashion-mnist" ? ", `$NETC_DATA`, Debian's `/usr/share/datasets/fashion-mnist`" : ""})` : `the directory \`${info.settings.data}\``}, or
\`--data NAME|DIR\`: a dataset's name, or a directory of IDX files or CIFAR-10's binary batches.
Images are scaled to [0, 1]${info.settings.normalize ? `, normalized (${info.settings.normalize.join(", ")})` : ""}${info.settings.flip || info.settings.crop > 0 ? `, augmented (${[info.settings.crop > 0 ? `padded by ${info.settings.crop} and cropped at random` : "", info.settings.flip ? "mirrored at random" : ""].filter(Boolean).join(", ")})` : ""} and resized
bilinearly where the model's input is another size, as netc does.

Process 0 prints the same lines as \`netc train\` and writes \`weights.safetensors\` after each epoch
(into \`--out DIR\`, default \`runs/${info.model}-torch-<time>/\`). \`--weights FILE\` starts from saved weights${info.trained ? " (e.g. `--weights weights.safetensors` continues the netc run)" : ""}.

## Back to netc

\`\`\`
netc import-weights runs/${info.model}-torch-<time>/weights.safetensors model.net -o runs/${info.model}-from-torch
netc eval runs/${info.model}-from-torch
\`\`\`

${bnNote}
`;
}
