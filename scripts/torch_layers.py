#!/usr/bin/env python3
"""PyTorch reference values for netc's normalization layers.

Development-time only; not part of the package.  Regenerate the fixture with

    /usr/bin/python3 scripts/torch_layers.py > test/fixtures/torch-layers.json

(PyTorch 1.13, Debian's python3-torch, one thread).  test/torch-layers.test.ts
reads it, so `npm test` needs no Python.

Each case is one netc layer and the PyTorch module it stands for: nn.LayerNorm,
nn.GroupNorm, nn.InstanceNorm2d and nn.BatchNorm1d/2d with the options netc's
`bn` has, and, for `iternorm`, IterNorm as Huang et al. (CVPR 2019) define it,
written below from the paper's algorithm (PyTorch has no such module).  For
each, on fixed random inputs, the fixture records:

    "layer":   the netc layer as written, "input": its per-example shape (C×H×W or F)
    "class", "params", "buffers": the module's class, trainable parameter count
               and buffers by name (element counts)
    "weight", "bias": the affine parameters the module was given (PyTorch
               layout: C, or C×H×W for LayerNorm), when it has them
    "xs":      three training batches, N×C×H×W (or N×F), flattened
    "dy":      the gradient applied to the first batch's output
    "train":   in training mode on xs[0]: the output "y" and the gradients "dx",
               "dweight", "dbias" of sum(y·dy)
    "running": the buffers after the three batches, in training mode
    "eval":    the output on xs[0] in eval mode after them

Tensors are flat lists in PyTorch's order, rounded to 8 significant digits.
"""

import json
import sys

import torch
from torch import nn

torch.set_num_threads(1)
STEPS = 3


class IterNorm(nn.Module):
    """Iterative normalization (Huang, Zhou, Zhu, Liu, Shao; CVPR 2019), Algorithm 1.

    Per group of d = C/G channels over the m = N·H·W positions: the centred
    x − μ, Σ = εI + (x − μ)(x − μ)ᵀ/m, Σ_N = Σ/tr(Σ), P_0 = I,
    P_{k+1} = (3 P_k − P_k³ Σ_N)/2, W = P_T/√tr(Σ), y = γ·W(x − μ) + β.
    Training updates running_mean and running_wm (the whitening matrix) with
    momentum in PyTorch's convention; eval uses them.  Autograd gives the
    gradient.
    """

    def __init__(self, num_features, num_groups=1, T=5, eps=1e-5, momentum=0.1):
        super().__init__()
        self.G, self.T, self.eps, self.momentum = num_groups, T, eps, momentum
        self.d = num_features // num_groups
        self.weight = nn.Parameter(torch.ones(num_features))
        self.bias = nn.Parameter(torch.zeros(num_features))
        self.register_buffer("running_mean", torch.zeros(num_groups, self.d, 1))
        self.register_buffer("running_wm", torch.eye(self.d).expand(num_groups, self.d, self.d).clone())

    def forward(self, X):
        # N×C×… → G×d×m
        x = X.transpose(0, 1).reshape(self.G, self.d, -1)
        if self.training:
            mean = x.mean(-1, keepdim=True)
            xc = x - mean
            m = xc.shape[-1]
            eye = torch.eye(self.d, dtype=X.dtype).expand(self.G, self.d, self.d)
            sigma = self.eps * eye + xc @ xc.transpose(1, 2) / m
            trace = (sigma * eye).sum((1, 2), keepdim=True)
            sigma_n = sigma / trace
            P = eye
            for _ in range(self.T):
                P = 1.5 * P - 0.5 * torch.matrix_power(P, 3) @ sigma_n
            wm = P / trace.sqrt()
            with torch.no_grad():
                self.running_mean.mul_(1 - self.momentum).add_(self.momentum * mean)
                self.running_wm.mul_(1 - self.momentum).add_(self.momentum * wm)
        else:
            xc = x - self.running_mean
            wm = self.running_wm
        xn = (wm @ xc).reshape(X.shape[1], X.shape[0], *X.shape[2:]).transpose(0, 1)
        shape = [1, -1] + [1] * (X.dim() - 2)
        return xn * self.weight.reshape(shape) + self.bias.reshape(shape)


# (netc layer, per-example input shape, batch, the module)
CASES = [
    ("layernorm", [4, 3, 3], 3, lambda: nn.LayerNorm([4, 3, 3])),
    ("layernorm eps=1e-3", [6], 5, lambda: nn.LayerNorm(6, eps=1e-3)),
    ("groupnorm 2", [4, 3, 3], 3, lambda: nn.GroupNorm(2, 4)),
    ("groupnorm 3 eps=1e-3", [6], 5, lambda: nn.GroupNorm(3, 6, eps=1e-3)),
    ("instancenorm", [4, 3, 3], 3, lambda: nn.InstanceNorm2d(4)),
    ("instancenorm affine track momentum=0.8 eps=1e-3", [4, 3, 3], 3,
     lambda: nn.InstanceNorm2d(4, eps=1e-3, momentum=0.2, affine=True, track_running_stats=True)),
    ("bn affine=false", [4, 3, 3], 3, lambda: nn.BatchNorm2d(4, affine=False)),
    ("bn track=false", [4, 3, 3], 3, lambda: nn.BatchNorm2d(4, track_running_stats=False)),
    ("bn momentum=none", [4, 3, 3], 3, lambda: nn.BatchNorm2d(4, momentum=None)),
    ("bn affine=false momentum=none eps=1e-3", [6], 5, lambda: nn.BatchNorm1d(6, eps=1e-3, affine=False, momentum=None)),
    ("iternorm groups=2", [4, 3, 3], 3, lambda: IterNorm(4, num_groups=2)),
    ("iternorm iters=3 momentum=0.8", [4, 3, 3], 3, lambda: IterNorm(4, T=3, momentum=0.2)),
    ("iternorm", [6], 8, lambda: IterNorm(6)),
]


def flat(t):
    return [float(f"{v:.8g}") for v in t.detach().reshape(-1).tolist()]


def case(layer, shape, batch, make, generator):
    module = make()
    randn = lambda *size: torch.randn(*size, generator=generator)
    # Affine parameters away from their 1 and 0 initial values, so that layouts and terms show.
    if getattr(module, "weight", None) is not None:
        with torch.no_grad():
            module.weight.copy_(1 + 0.2 * randn(*module.weight.shape))
            module.bias.copy_(0.2 * randn(*module.bias.shape))
    # Each batch with its own per-channel offset and scale, as a layer's input has.
    channel = [1, shape[0]] + [1] * (len(shape) - 1)
    xs = [(randn(batch, *shape) * (1 + randn(*channel).abs()) + randn(*channel)) for _ in range(STEPS)]
    dy = randn(batch, *shape)
    out = {
        "layer": layer,
        "input": shape,
        "batch": batch,
        "class": type(module).__name__,
        "params": sum(p.numel() for p in module.parameters()),
        "buffers": {name: b.numel() for name, b in module.named_buffers()},
    }
    if getattr(module, "weight", None) is not None:
        out["weight"], out["bias"] = flat(module.weight), flat(module.bias)
    out["xs"] = [flat(x) for x in xs]
    out["dy"] = flat(dy)

    module.train()
    x = xs[0].clone().requires_grad_()
    y = module(x)
    (y * dy).sum().backward()
    out["train"] = {"y": flat(y), "dx": flat(x.grad)}
    if getattr(module, "weight", None) is not None:
        out["train"]["dweight"], out["train"]["dbias"] = flat(module.weight.grad), flat(module.bias.grad)
    with torch.no_grad():
        for x in xs[1:]:
            module(x)
        out["running"] = {name: flat(b) for name, b in module.named_buffers()}
        module.eval()
        out["eval"] = flat(module(xs[0]))
    return out


def main():
    generator = torch.Generator().manual_seed(9)
    cases = [case(*c, generator) for c in CASES]
    made = (f"/usr/bin/python3 scripts/torch_layers.py > test/fixtures/torch-layers.json (PyTorch {torch.__version__}, one thread); "
            "see the script's docstring for the fields")
    json.dump({"made": made, "torch": torch.__version__, "cases": cases}, sys.stdout, separators=(",", ":"))
    sys.stdout.write("\n")


if __name__ == "__main__":
    main()
