#!/usr/bin/env python3
"""PyTorch's training steps for a small netc network: the reference that
test/train/torch-steps.test.ts holds netc's training graph to.

Development-time only; not part of the package.  Run with

    /usr/bin/python3 scripts/torch_train_steps.py > test/fixtures/torch-train-steps.json

The network below uses batch normalization with non-default eps and momentum
in each place netc lowers it differently (before an activation and a 2x2
average pooling, in a conv block, on flat features), layers with and without
bias, and a first layer whose statistics depend on the data alone.  PyTorch
runs it in float64 from float32 initial values, with the seed's training step
(mean cross-entropy, plain SGD), for a few batches.  Printed on stdout:

    {"source":  the network in netc,
     "lr":      learning rate,
     "batches": [{"images": N*H*W*C values (NHWC, netc's layout),
                  "labels": [...]}, ...],
     "initial": {netc weight name: {"shape": netc shape, "values": [...]}},
     "losses":  the loss of each step,
     "final":   the weights after the last step, as "initial"}

Weights are in netc's names and layouts: conv H*W*in*out, linear in*out.  Two
conventions differ and are converted here:
  - momentum: netc's `momentum=m` (moving = m*moving + (1-m)*batch, the seed's
    and d2l's) is PyTorch's momentum=1-m;
  - the moving variance: PyTorch's running_var averages the unbiased batch
    variance (n/(n-1) times the biased one, n values per channel), netc's the
    biased one, as the seed and Keras do.  Both start at 1 and every batch has
    the same n, so after k steps netc's = m^k + (PyTorch's - m^k)*(n-1)/n.
"""

import json
import sys

import torch
from torch import nn
from torch.nn import functional as F

SOURCE = """\
input 2x4x4
bn eps=1e-2 momentum=0.7 | sigmoid | avgpool 2
conv 4 k2 nobias | bn eps=0.05 momentum=0.6 | relu
flatten
linear 5 | bn eps=1e-3 momentum=0.8 | tanh
linear 3
"""

# netc's momentum for each BatchNorm below, in order.
MOMENTA = [0.7, 0.6, 0.8]


def network():
    return nn.Sequential(
        nn.BatchNorm2d(2, eps=1e-2, momentum=1 - MOMENTA[0]), nn.Sigmoid(),
        nn.AvgPool2d(2),
        nn.Conv2d(2, 4, kernel_size=2, bias=False),
        nn.BatchNorm2d(4, eps=0.05, momentum=1 - MOMENTA[1]), nn.ReLU(),
        nn.Flatten(),
        nn.Linear(4, 5), nn.BatchNorm1d(5, eps=1e-3, momentum=1 - MOMENTA[2]),
        nn.Tanh(),
        nn.Linear(5, 3))


LR = 0.5
STEPS = 5
BATCH = 8
# Per-channel offsets and spreads of the inputs, so no statistic is near 0.
OFFSETS = torch.tensor([2.0, -1.0]).view(1, 2, 1, 1)
SPREADS = torch.tensor([1.5, 0.5]).view(1, 2, 1, 1)

KINDS = {nn.BatchNorm2d: "bn", nn.BatchNorm1d: "bn", nn.Conv2d: "conv",
         nn.Linear: "linear"}


def float32s(t):
    # Nine significant digits give back the float32 exactly.
    return [float(format(v, ".9g")) for v in t.flatten().tolist()]


def float64s(t):
    return [float(format(v, ".12g")) for v in t.flatten().tolist()]


def netc_weights(net, values):
    """The network's parameters and BN statistics under netc's names and layouts."""
    out = {}
    bns = 0
    for index, module in enumerate(net):
        kind = KINDS.get(type(module))
        if kind is None:
            continue
        prefix = f"{index:02d}.{kind}."
        if kind == "bn":
            momentum = MOMENTA[bns]
            bns += 1
            out[prefix + "gamma"] = module.weight
            out[prefix + "beta"] = module.bias
            out[prefix + "moving_mean"] = module.running_mean
            out[prefix + "moving_var"] = netc_moving_var(module, momentum)
        elif kind == "conv":
            out[prefix + "weight"] = module.weight.permute(2, 3, 1, 0)
        else:
            out[prefix + "weight"] = module.weight.t()
        if kind != "bn" and module.bias is not None:
            out[prefix + "bias"] = module.bias
    return {name: {"shape": list(t.shape), "values": values(t.detach())}
            for name, t in out.items()}


def netc_moving_var(bn, momentum):
    steps = int(bn.num_batches_tracked)
    if steps == 0:
        return bn.running_var
    n = bn.values_per_channel
    decay = momentum ** steps
    return decay + (bn.running_var - decay) * (n - 1) / n


def main():
    torch.manual_seed(0)
    net = network()
    with torch.no_grad():
        for module in net:
            if isinstance(module, nn.modules.batchnorm._BatchNorm):
                # Not the default 1 and 0, so that their gradients show.
                module.weight.uniform_(0.5, 1.5)
                module.bias.uniform_(-0.5, 0.5)
    initial = netc_weights(net, float32s)
    net = net.double()

    def count(module, inputs, _output):
        module.values_per_channel = inputs[0].numel() // inputs[0].shape[1]
    for module in net:
        if isinstance(module, nn.modules.batchnorm._BatchNorm):
            module.register_forward_hook(count)

    batches, losses = [], []
    net.train()
    for _ in range(STEPS):
        images = (torch.randn(BATCH, 2, 4, 4) * SPREADS + OFFSETS).float()
        labels = torch.randint(0, 3, (BATCH,))
        batches.append({"images": float32s(images.permute(0, 2, 3, 1)),
                        "labels": labels.tolist()})
        loss = F.cross_entropy(net(images.double()), labels)
        net.zero_grad()
        loss.backward()
        with torch.no_grad():
            for p in net.parameters():
                p -= LR * p.grad
        losses.append(float(format(loss.item(), ".12g")))

    json.dump({"source": SOURCE, "lr": LR, "batches": batches,
               "initial": initial, "losses": losses,
               "final": netc_weights(net, float64s)}, sys.stdout)
    sys.stdout.write("\n")


if __name__ == "__main__":
    main()
