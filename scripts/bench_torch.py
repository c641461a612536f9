"""PyTorch reference for `npm run bench`: a network of models/ as d2l writes it
(scripts/torch_crosscheck.py), its BN layers the seed notebook's from-scratch BatchNorm
(`scratch`) or nn.BatchNorm (`builtin`), the seed's SGD step and its eval, on random data of the
model's input shape already in memory. Prints one JSON object. Development-time only: netc never
depends on PyTorch.

    /usr/bin/python3 scripts/bench_torch.py [--model lenet-bn] [--bn scratch|builtin] [--batch N]
        [--steps N] [--warmup N] [--eval-batch N] [--eval-batches N] [--threads N]

With `--epochs N` it instead trains the seed's loop on the real Fashion-MNIST (IDX files in
`--data`, default Debian's /usr/share/datasets/fashion-mnist) and reports the seed's metrics,
for comparing final accuracy with `netc train`.
"""
import argparse
import gzip
import json
import os
import time

import torch
from torch import nn

from torch_crosscheck import MODELS, BatchNorm  # d2l's networks; the seed's from-scratch BatchNorm


def with_bn(module, kind):
    """The network with every BN layer the seed's BatchNorm (`scratch`) or nn.BatchNorm (`builtin`)."""
    for name, child in module.named_children():
        if kind == "scratch" and isinstance(child, (nn.BatchNorm1d, nn.BatchNorm2d)):
            setattr(module, name, BatchNorm(child.num_features, num_dims=2 if isinstance(child, nn.BatchNorm1d) else 4))
        elif kind == "builtin" and isinstance(child, BatchNorm):
            features = child.gamma.shape[1]
            setattr(module, name, nn.BatchNorm1d(features) if child.gamma.dim() == 2 else nn.BatchNorm2d(features))
        else:
            with_bn(child, kind)
    return module


def read_idx(path):
    with (gzip.open(path) if path.endswith(".gz") else open(path, "rb")) as f:
        data = f.read()
    dims = data[3]
    shape = [int.from_bytes(data[4 + 4 * i: 8 + 4 * i], "big") for i in range(dims)]
    return torch.frombuffer(bytearray(data[4 + 4 * dims:]), dtype=torch.uint8).reshape(shape)


def load_split(directory, prefix):
    def find(name):
        for candidate in (name + ".gz", name):
            if os.path.exists(os.path.join(directory, candidate)):
                return os.path.join(directory, candidate)
        raise FileNotFoundError(os.path.join(directory, name))
    images = read_idx(find(f"{prefix}-images-idx3-ubyte")).float().div(255).unsqueeze(1)
    labels = read_idx(find(f"{prefix}-labels-idx1-ubyte")).long()
    return images, labels


def train_full(net, epochs, lr, batch, directory):
    """The seed's train(): Xavier init, SGD, per-epoch test accuracy, examples/sec of the steps."""
    X, y = load_split(directory, "train")
    Xt, yt = load_split(directory, "t10k")
    for m in net:
        if isinstance(m, (nn.Linear, nn.Conv2d)):
            nn.init.xavier_uniform_(m.weight)
    opt = torch.optim.SGD(net.parameters(), lr=lr)
    loss = nn.CrossEntropyLoss()
    seconds = 0.0
    for epoch in range(epochs):
        net.train()
        order = torch.randperm(X.shape[0])
        total_loss = correct = seen = 0.0
        for start in range(0, X.shape[0], batch):
            t0 = time.perf_counter()
            idx = order[start:start + batch]
            xb, yb = X[idx], y[idx]
            opt.zero_grad()
            y_hat = net(xb)
            l = loss(y_hat, yb)
            l.backward()
            opt.step()
            total_loss += float(l) * xb.shape[0]
            correct += float((y_hat.argmax(axis=1) == yb).sum())
            seen += xb.shape[0]
            seconds += time.perf_counter() - t0
        net.eval()
        with torch.no_grad():
            test_correct = sum(float((net(Xt[i:i + 1000]).argmax(axis=1) == yt[i:i + 1000]).sum()) for i in range(0, Xt.shape[0], 1000))
        print(f"epoch {epoch + 1}/{epochs}  loss {total_loss / seen:.3f}  train acc {correct / seen:.3f}  test acc {test_correct / Xt.shape[0]:.3f}", flush=True)
    print(f"loss {total_loss / seen:.3f}, train acc {correct / seen:.3f}, test acc {test_correct / Xt.shape[0]:.3f}")
    print(f"{seen * epochs / seconds:.1f} examples/sec on cpu ({torch.get_num_threads()} threads)")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--model", choices=list(MODELS), default="lenet-bn")
    ap.add_argument("--bn", choices=["scratch", "builtin"], default="scratch")
    ap.add_argument("--steps", type=int, default=60)
    ap.add_argument("--warmup", type=int, default=5)
    ap.add_argument("--batch", type=int, default=128)
    ap.add_argument("--eval-batch", type=int, default=1000)
    ap.add_argument("--eval-batches", type=int, default=10)
    ap.add_argument("--threads", type=int, default=0)
    ap.add_argument("--epochs", type=int, default=0)
    ap.add_argument("--lr", type=float, default=1.0)
    ap.add_argument("--data", default="/usr/share/datasets/fashion-mnist")
    args = ap.parse_args()
    if args.threads:
        torch.set_num_threads(args.threads)
    torch.manual_seed(0)
    build, chw, _source = MODELS[args.model]
    net = with_bn(build(), args.bn)
    if args.epochs:
        train_full(net, args.epochs, args.lr, args.batch, args.data)
        return
    for m in net.modules():
        if isinstance(m, (nn.Linear, nn.Conv2d)):
            nn.init.xavier_uniform_(m.weight)
    # A small rate: random labels, and only the speed matters.
    opt = torch.optim.SGD(net.parameters(), lr=0.01)
    loss = nn.CrossEntropyLoss()
    X = torch.rand(args.batch, *chw)
    y = torch.randint(0, 10, (args.batch,))

    def step():
        opt.zero_grad()
        y_hat = net(X)
        l = loss(y_hat, y)
        l.backward()
        opt.step()
        # The seed reads the metrics every step.
        return float(l) * X.shape[0], float((y_hat.argmax(axis=1) == y).sum())

    net.train()
    for _ in range(args.warmup):
        step()
    t0 = time.perf_counter()
    c0 = time.process_time()
    for _ in range(args.steps):
        step()
    train = args.steps * args.batch / (time.perf_counter() - t0)
    # Per second of CPU time (all threads): what a loaded machine does not take away.
    train_cpu = args.steps * args.batch / (time.process_time() - c0)

    net.eval()
    Xe = torch.rand(args.eval_batch, *chw)
    with torch.no_grad():
        net(Xe)
        t0 = time.perf_counter()
        n = 0
        for _ in range(args.eval_batches):
            float((net(Xe).argmax(axis=1) == 0).sum())
            n += Xe.shape[0]
        evaluate = n / (time.perf_counter() - t0)
    print(json.dumps({"torch": torch.__version__, "threads": torch.get_num_threads(), "model": args.model, "bn": args.bn, "batch": args.batch, "train": train, "trainCpu": train_cpu, "eval": evaluate}))


if __name__ == "__main__":
    main()
