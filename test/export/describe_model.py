"""Describes exported packages as netc's shape report describes their .net files: parameter and
buffer counts, and each layer's class and output shape per example.

    /usr/bin/python3 test/export/describe_model.py PACKAGE_DIR...

Prints one JSON object keyed by directory. Buffers are counted as netc counts state: the
floating-point ones (moving statistics), and an integer num_batches_tracked only where the
module reads it (momentum=None: the average of all batches so far).
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
            module.register_forward_hook(lambda m, _, y: layers.append([type(m).__name__, list(y.shape[1:])]))
    net.eval()
    # Two examples: a layer that normalizes with the batch's statistics in eval mode needs more than one.
    with torch.no_grad():
        net(torch.zeros(2, *net.input_shape))
    return {
        "params": sum(p.numel() for p in net.parameters()),
        "state": sum(b.numel() for m in net.modules() for name, b in m.named_buffers(recurse=False)
                     if b.is_floating_point() or (name == "num_batches_tracked" and m.momentum is None)),
        "layers": layers,
    }


print(json.dumps({directory: describe(directory) for directory in sys.argv[1:]}))
