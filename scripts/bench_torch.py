"""PyTorch reference for `npm run bench`: the seed notebook's LeNet-BN (its own from-scratch
BatchNorm, or nn.BatchNorm for `builtin`), its SGD step and its eval, on data already in memory.
Prints one JSON object. Development-time only: netc never depends on PyTorch.

    /usr/bin/python3 scripts/bench_torch.py [--bn scratch|builtin] [--steps N] [--threads N]

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

from torch_crosscheck import lenet_bn  # the seed's network with its from-scratch BatchNorm


def lenet_bn_builtin():
    # The seed's concise version, with PyTorch's own batch normalization.
    return nn.Sequential(
        nn.Conv2d(1, 6, kernel_size=5), nn.BatchNorm2d(6), nn.Sigmoid(), nn.AvgPool2d(kernel_size=2, stride=2),
        nn.Conv2d(6, 16, kernel_size=5), nn.BatchNorm2d(16), nn.Sigmoid(), nn.AvgPool2d(kernel_size=2, stride=2),
        nn.Flatten(),
        nn.Linear(256, 120), nn.BatchNorm1d(120), nn.Sigmoid(),
        nn.Linear(120, 84), nn.BatchNorm1d(84), nn.Sigmoid(),
        nn.Linear(84, 10),
    )


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
    ap.add_argument("--bn", choices=["scratch", "builtin"], default="scratch")
    ap.add_argument("--steps", type=int, default=60)
    ap.add_argument("--batch", type=int, default=128)
    ap.add_argument("--threads", type=int, default=0)
    ap.add_argument("--epochs", type=int, default=0)
    ap.add_argument("--lr", type=float, default=1.0)
    ap.add_argument("--data", default="/usr/share/datasets/fashion-mnist")
    args = ap.parse_args()
    if args.threads:
        torch.set_num_threads(args.threads)
    torch.manual_seed(0)
    net = lenet_bn_builtin() if args.bn == "builtin" else lenet_bn()
    if args.epochs:
        train_full(net, args.epochs, args.lr, args.batch, args.data)
        return
    for m in net:
        if isinstance(m, (nn.Linear, nn.Conv2d)):
            nn.init.xavier_uniform_(m.weight)
    opt = torch.optim.SGD(net.parameters(), lr=1.0)
    loss = nn.CrossEntropyLoss()
    X = torch.rand(args.batch, 1, 28, 28)
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
    for _ in range(5):
        step()
    t0 = time.perf_counter()
    for _ in range(args.steps):
        step()
    train = args.steps * args.batch / (time.perf_counter() - t0)

    net.eval()
    Xe = torch.rand(1000, 1, 28, 28)
    with torch.no_grad():
        net(Xe)
        t0 = time.perf_counter()
        n = 0
        for _ in range(10):
            float((net(Xe).argmax(axis=1) == 0).sum())
            n += Xe.shape[0]
        evaluate = n / (time.perf_counter() - t0)
    print(json.dumps({"torch": torch.__version__, "threads": torch.get_num_threads(), "bn": args.bn, "train": train, "eval": evaluate}))


if __name__ == "__main__":
    main()
