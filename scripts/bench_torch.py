"""PyTorch reference for `npm run bench`: the seed notebook's LeNet-BN (its own from-scratch
BatchNorm, or nn.BatchNorm for `builtin`), its SGD step and its eval, on data already in memory.
Prints one JSON object. Development-time only: netc never depends on PyTorch.

    /usr/bin/python3 scripts/bench_torch.py [--bn scratch|builtin] [--steps N] [--threads N]
"""
import argparse
import json
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


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--bn", choices=["scratch", "builtin"], default="scratch")
    ap.add_argument("--steps", type=int, default=60)
    ap.add_argument("--batch", type=int, default=128)
    ap.add_argument("--threads", type=int, default=0)
    args = ap.parse_args()
    if args.threads:
        torch.set_num_threads(args.threads)
    torch.manual_seed(0)
    net = lenet_bn_builtin() if args.bn == "builtin" else lenet_bn()
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
