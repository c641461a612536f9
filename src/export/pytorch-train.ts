/**
 * The exported package's train.py and README.md: the seed notebook's training loop, written to
 * run as a plain script and, unchanged, as one of many processes under `torchrun`.
 */
import type { TrainSettings } from "../train-settings.js";

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

export function trainPy(info: PackageInfo): string {
  const { lr, epochs, batch } = info.settings;
  return `"""Trains ${info.model} (${info.file}) as \`netc train\` does: the seed notebook's train(), with
Xavier-initialised weights, minibatch SGD on Fashion-MNIST and the test accuracy after each epoch.

    python3 train.py [--epochs N] [--lr X] [--batch N] [--data DIR] [--out DIR] [--weights FILE]
    torchrun --nproc_per_node=N train.py [...]

Under torchrun each process trains on its share of every batch (DistributedDataParallel: gloo on
CPU, NCCL on GPUs) and the metrics are summed over the processes; process 0 prints them and
writes the weights after each epoch. Exported by netc ${info.netcVersion}.
"""
import argparse
import gzip
import os
import time

import torch
import torch.distributed as dist
from torch import nn
from torch.nn import functional as F
from torch.nn.parallel import DistributedDataParallel
from torch.utils.data.distributed import DistributedSampler

from model import ${info.className} as Net, load_weights, save_weights

MODEL = "${info.model}"
# The model's \`train\` header, else netc's defaults (the seed's).
LR, EPOCHS, BATCH = ${lr}, ${epochs}, ${batch}


def make_optimizer(net, args):
    """The optimizer: the seed's plain SGD."""
    return torch.optim.SGD(net.parameters(), lr=args.lr)


def init_weights(m):
    if type(m) == nn.Linear or type(m) == nn.Conv2d:
        nn.init.xavier_uniform_(m.weight)


# Fashion-MNIST: the four IDX files (gzipped or not), looked for where netc looks.
IDX_FILES = ("train-images-idx3-ubyte", "train-labels-idx1-ubyte", "t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte")


def data_dir(named):
    """--data or NETC_DATA if given, else ./data/fashion-mnist, netc's cache, Debian's dataset-fashion-mnist."""
    def has_files(d):
        return all(os.path.isfile(os.path.join(d, f)) or os.path.isfile(os.path.join(d, f + ".gz")) for f in IDX_FILES)

    named = named or os.environ.get("NETC_DATA")
    if named:
        if not has_files(named):
            raise SystemExit(f"error: {named} does not hold the four Fashion-MNIST files ({', '.join(IDX_FILES)}, .gz or not)")
        return named
    xdg = os.environ.get("XDG_CACHE_HOME", "")
    cache = xdg if os.path.isabs(xdg) else os.path.join(os.path.expanduser("~"), ".cache")
    searched = ["data/fashion-mnist", os.path.join(cache, "netc", "fashion-mnist"), "/usr/share/datasets/fashion-mnist"]
    for d in searched:
        if has_files(d):
            return d
    raise SystemExit(f"error: Fashion-MNIST not found (looked in {', '.join(searched)}); pass --data DIR, "
                     "or run \`netc train\` once (it downloads the files into its cache)")


def read_idx(directory, name):
    path = next(p for p in (os.path.join(directory, name), os.path.join(directory, name + ".gz")) if os.path.isfile(p))
    with open(path, "rb") as f:
        data = f.read()
    if data[:2] == b"\\x1f\\x8b":
        data = gzip.decompress(data)
    dims = data[3]
    shape = [int.from_bytes(data[4 + 4 * i:8 + 4 * i], "big") for i in range(dims)]
    return torch.frombuffer(bytearray(data[4 + 4 * dims:]), dtype=torch.uint8).reshape(shape)


def load_split(directory, prefix, limit=None):
    images = read_idx(directory, f"{prefix}-images-idx3-ubyte")[:limit]
    labels = read_idx(directory, f"{prefix}-labels-idx1-ubyte")[:limit]
    return images, labels.long()


def as_input(images, device):
    """Bytes to the model's input: scaled to [0, 1] (ToTensor), resized bilinearly or flattened as netc does."""
    X = images.to(device).float().div(255).unsqueeze(1)
    shape = Net.input_shape
    if len(shape) == 1:
        return X.reshape(X.shape[0], -1)
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
    ap.add_argument("--data", help="directory with the four Fashion-MNIST IDX files")
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

    directory = data_dir(args.data)
    X, y = load_split(directory, "train", args.limit)
    X_test, y_test = load_split(directory, "t10k")

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
            Xb, yb = as_input(X[idx], device), y[idx].to(device)
            optimizer.zero_grad()
            y_hat = model(Xb)
            l = loss(y_hat, yb)
            l.backward()
            optimizer.step()
            with torch.no_grad():
                metric = [metric[0] + float(l) * yb.shape[0], metric[1] + accuracy(y_hat, yb), metric[2] + yb.shape[0]]
            epoch_seconds += time.perf_counter() - t0
        train_loss, correct, examples = summed(metric, device)
        test_correct, test_count = summed(evaluate_accuracy(net, X_test, y_test, device, rank, world), device)
        (epoch_seconds,) = summed([epoch_seconds], device, op="max")
        seconds += epoch_seconds
        train_l, train_acc, test_acc = train_loss / examples, correct / examples, test_correct / test_count
        if rank == 0:
            print(f"epoch {epoch + 1}/{args.epochs}  loss {train_l:.3f}  train acc {train_acc:.3f}  test acc {test_acc:.3f}  "
                  f"{examples / epoch_seconds:,.0f} examples/sec", flush=True)
            save_weights(net, os.path.join(out, "weights.safetensors"), {
                "model": MODEL, "epoch": epoch + 1, "test_acc": test_acc, "lr": args.lr, "epochs": args.epochs, "batch": args.batch, "seed": args.seed,
            })
    if rank == 0:
        # The seed's last two lines.
        print(f"loss {train_l:.3f}, train acc {train_acc:.3f}, test acc {test_acc:.3f}")
        print(f"{examples * args.epochs / seconds:.1f} examples/sec on {device}")
    if world > 1:
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

Data: the four Fashion-MNIST IDX files, found as netc finds them: \`--data DIR\`, \`$NETC_DATA\`,
\`./data/fashion-mnist\`, netc's cache (\`~/.cache/netc/fashion-mnist\`), Debian's
\`/usr/share/datasets/fashion-mnist\`. ${info.input.length === 3 && (info.input[1] !== 28 || info.input[2] !== 28) ? `Images are resized to ${info.input[1]}×${info.input[2]} bilinearly, as netc does.` : ""}

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
