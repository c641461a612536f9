"""Describes exported packages as netc's shape report describes their .net files: parameter and
buffer counts, and each layer's class and output shape for one example.

    /usr/bin/python3 test/export/describe_model.py PACKAGE_DIR...

Prints one JSON object keyed by directory. Buffers are counted as netc counts state: the
floating-point ones (BatchNorm's moving statistics; not PyTorch's integer num_batches_tracked).
"""
import importlib.util
import json
import sys

import torch


def describe(directory):
    spec = importlib.util.spec_from_file_location("model", f"{directory}/model.py")
    model_py = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(model_py)
    net = next(cls for cls in vars(model_py).values() if isinstance(cls, type) and hasattr(cls, "input_shape"))()
    layers = []
    for module in net.modules():
        if not list(module.children()):
            module.register_forward_hook(lambda m, _, y: layers.append([type(m).__name__, list(y.shape)]))
    net.eval()
    with torch.no_grad():
        net(torch.zeros(1, *net.input_shape))
    return {
        "params": sum(p.numel() for p in net.parameters()),
        "state": sum(b.numel() for b in net.buffers() if b.is_floating_point()),
        "layers": layers,
    }


print(json.dumps({directory: describe(directory) for directory in sys.argv[1:]}))
