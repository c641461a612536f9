#!/usr/bin/env python3
"""Reference values of torch.optim for netc's optimizer and schedule tests.

Development-time only; not part of the package.  Run with

    /usr/bin/python3 scripts/torch_optim_reference.py > test/fixtures/torch-optim.json

(PyTorch 1.13, one thread) and review the diff.  It prints one JSON object:

  "optimizers": for each case, torch.optim.SGD / Adam / AdamW run for four steps on two
      parameters with given gradients and a learning rate changed before every step (as a
      schedule does): the initial values, every step's gradients (null: the parameter has a
      gradient of zero, as netc's frozen biases do) and learning rate, the parameters after each
      step, and the optimizer's state at the end under netc's checkpoint names;
  "model": a small network (linear, batch norm from scratch, ReLU, linear) trained for three
      steps on given batches with softmax cross-entropy, for each optimizer: its initial
      parameters in netc's layout (a linear weight is in x out) and the parameters after each
      step;
  "schedules": StepLR and CosineAnnealingLR stepped once per epoch, the learning rate of
      each epoch.
"""

import json

import torch
from torch.nn import functional as F

torch.set_num_threads(1)
torch.manual_seed(13)


def values(t):
    return [float(v) for v in t.detach().reshape(-1).tolist()]


def make(settings, params, lr):
    kind = settings["optimizer"]
    if kind == "sgd":
        return torch.optim.SGD(params, lr=lr, momentum=settings["momentum"], nesterov=settings["nesterov"], weight_decay=settings["wd"])
    cls = torch.optim.Adam if kind == "adam" else torch.optim.AdamW
    return cls(params, lr=lr, betas=tuple(settings["betas"]), eps=settings["eps"], weight_decay=settings["wd"])


def settings(optimizer, momentum=0.0, nesterov=False, wd=0.0, betas=(0.9, 0.999), eps=1e-8):
    return {"optimizer": optimizer, "momentum": momentum, "nesterov": nesterov, "wd": wd, "betas": list(betas), "eps": eps}


OPTIMIZER_CASES = [
    ("sgd", settings("sgd")),
    ("sgd momentum", settings("sgd", momentum=0.9)),
    ("sgd nesterov weight decay", settings("sgd", momentum=0.9, nesterov=True, wd=5e-4)),
    ("sgd weight decay", settings("sgd", wd=1e-2)),
    ("adam", settings("adam")),
    ("adam weight decay, betas, eps", settings("adam", wd=1e-2, betas=(0.8, 0.99), eps=1e-6)),
    ("adamw", settings("adamw", wd=1e-2)),
    ("adamw strong decay", settings("adamw", wd=0.1, betas=(0.85, 0.995))),
]
LRS = [0.1, 0.05, 0.08, 0.01]


def optimizer_case(name, s):
    shapes = {"a": (3, 4), "b": (5,)}
    initial = {k: torch.randn(shape) for k, shape in shapes.items()}
    params = {k: v.clone().requires_grad_(True) for k, v in initial.items()}
    opt = make(s, list(params.values()), LRS[0])
    grads, after = [], []
    for step, lr in enumerate(LRS):
        for group in opt.param_groups:
            group["lr"] = lr
        step_grads = {}
        for k, p in params.items():
            # "b" has no gradient in the second step: zero in PyTorch, absent in netc.
            g = torch.zeros_like(p) if (k == "b" and step == 1) else torch.randn(p.shape)
            p.grad = g
            step_grads[k] = None if (k == "b" and step == 1) else values(g)
        opt.step()
        grads.append(step_grads)
        after.append({k: values(p) for k, p in params.items()})
    state = {}
    for k, p in params.items():
        for slot, t in opt.state[p].items():
            # Plain SGD keeps a momentum_buffer of None.
            if slot == "step":
                state["opt.step"] = float(t)
            elif t is not None:
                state[f"opt.{k}.{slot}"] = values(t)
    return {
        "name": name,
        "settings": s,
        "lrs": LRS,
        "initial": {k: {"shape": list(v.shape), "values": values(v)} for k, v in initial.items()},
        "grads": grads,
        "after": after,
        "state": state,
    }


MODEL_SOURCE = "model tiny\ninput 6\nlinear 5\nbn\nrelu\nlinear 3\n"
MODEL_LRS = [0.1, 0.05, 0.02]


def batch_norm_train(x, gamma, beta, eps=1e-5):
    # The seed notebook's BatchNorm in training mode, on a flat input.
    mean = x.mean(dim=0)
    var = ((x - mean) ** 2).mean(dim=0)
    return gamma * (x - mean) / torch.sqrt(var + eps) + beta


def model_reference():
    initial = {
        "00.linear.weight": torch.rand(6, 5) * 2 - 1,
        "00.linear.bias": torch.rand(5) * 0.8 - 0.4,
        "01.bn.gamma": torch.rand(5) + 0.5,
        "01.bn.beta": torch.rand(5) - 0.5,
        "03.linear.weight": torch.rand(5, 3) * 2 - 1,
        "03.linear.bias": torch.rand(3) * 0.8 - 0.4,
    }
    batches = [(torch.randn(8, 6), torch.randint(0, 3, (8,))) for _ in MODEL_LRS]
    cases = []
    for s in [settings("sgd", momentum=0.9, nesterov=True, wd=1e-3), settings("adam", wd=1e-2), settings("adamw", wd=0.1)]:
        p = {k: v.clone().requires_grad_(True) for k, v in initial.items()}
        opt = make(s, list(p.values()), MODEL_LRS[0])
        after = []
        for (x, y), lr in zip(batches, MODEL_LRS):
            for group in opt.param_groups:
                group["lr"] = lr
            opt.zero_grad()
            h = x @ p["00.linear.weight"] + p["00.linear.bias"]
            h = F.relu(batch_norm_train(h, p["01.bn.gamma"], p["01.bn.beta"]))
            logits = h @ p["03.linear.weight"] + p["03.linear.bias"]
            F.cross_entropy(logits, y).backward()
            opt.step()
            after.append({k: values(v) for k, v in p.items()})
        cases.append({"settings": s, "after": after})
    return {
        "source": MODEL_SOURCE,
        "lrs": MODEL_LRS,
        "initial": {k: {"shape": list(v.shape), "values": values(v)} for k, v in initial.items()},
        "batches": [{"x": values(x), "labels": [int(v) for v in y]} for x, y in batches],
        "cases": cases,
    }


def schedule_reference():
    def run(make_scheduler, epochs, lr=0.1):
        p = torch.zeros(1, requires_grad=True)
        opt = torch.optim.SGD([p], lr=lr)
        scheduler = make_scheduler(opt)
        lrs = []
        for _ in range(epochs):
            lrs.append(opt.param_groups[0]["lr"])
            opt.step()
            scheduler.step()
        return lrs

    return {
        "step": {"lr": 0.1, "epochs": 10, "step": 3, "gamma": 0.5, "lrs": run(lambda o: torch.optim.lr_scheduler.StepLR(o, step_size=3, gamma=0.5), 10)},
        "cosine": {"lr": 0.1, "epochs": 8, "lrs": run(lambda o: torch.optim.lr_scheduler.CosineAnnealingLR(o, T_max=8), 8)},
    }


if __name__ == "__main__":
    print(json.dumps({
        "torch": torch.__version__,
        "optimizers": [optimizer_case(name, s) for name, s in OPTIMIZER_CASES],
        "model": model_reference(),
        "schedules": schedule_reference(),
    }, indent=1))
