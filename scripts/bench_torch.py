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


def batch_norm(X, gamma, beta, moving_mean, moving_var, eps, momentum):
    # The seed's function, verbatim in substance.
    if not torch.is_grad_enabled():
        X_hat = (X - moving_mean) / torch.sqrt(moving_var + eps)
    else:
        if len(X.shape) == 2:
            mean = X.mean(dim=0)
            var = ((X - mean) ** 2).mean(dim=0)
        else:
            mean = X.mean(dim=(0, 2, 3), keepdim=True)
            var = ((X - mean) ** 2).mean(dim=(0, 2, 3), keepdim=True)
        X_hat = (X - mean) / torch.sqrt(var + eps)
        moving_mean = momentum * moving_mean + (1.0 - momentum) * mean
        moving_var = momentum * moving_var + (1.0 - momentum) * var
    Y = gamma * X_hat + beta
    return Y, moving_mean.data, moving_var.data


class BatchNorm(nn.Module):
    def __init__(self, num_features, num_dims):
        super().__init__()
        shape = (1, num_features) if num_dims == 2 else (1, num_features, 1, 1)
        self.gamma = nn.Parameter(torch.ones(shape))
        self.beta = nn.Parameter(torch.zeros(shape))
        self.moving_mean = torch.zeros(shape)
        self.moving_var = torch.ones(shape)

    def forward(self, X):
        Y, self.moving_mean, self.moving_var = batch_norm(X, self.gamma, self.beta, self.moving_mean, self.moving_var, eps=1e-5, momentum=0.9)
        return Y


def lenet_bn(builtin):
    bn4 = (lambda c: nn.BatchNorm2d(c)) if builtin else (lambda c: BatchNorm(c, 4))
    bn2 = (lambda c: nn.BatchNorm1d(c)) if builtin else (lambda c: BatchNorm(c, 2))
    return nn.Sequential(
        nn.Conv2d(1, 6, kernel_size=5), bn4(6), nn.Sigmoid(), nn.AvgPool2d(kernel_size=2, stride=2),
        nn.Conv2d(6, 16, kernel_size=5), bn4(16), nn.Sigmoid(), nn.AvgPool2d(kernel_size=2, stride=2),
        nn.Flatten(),
        nn.Linear(256, 120), bn2(120), nn.Sigmoid(),
        nn.Linear(120, 84), bn2(84), nn.Sigmoid(),
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
    net = lenet_bn(args.bn == "builtin")
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
