"""The exported model's logits for the test set, with its weights.safetensors, for comparing with netc.

    /usr/bin/python3 test/export/logits.py PACKAGE_DIR DATA_DIR COUNT OUT.safetensors

Reads the data with the package's own train.py, writes the first COUNT logits to OUT (through
model.py's write_safetensors) and prints {"correct": ..., "count": ...} over the whole test set.
Then, for comparing with netc's training mode, one training-mode forward on those COUNT images:
OUT also gets its mean cross-entropy ("train_loss") and every buffer after it ("buffer.NAME",
as floats).
"""
import json
import sys

import torch
from torch import nn

package, data, count, out = sys.argv[1], sys.argv[2], int(sys.argv[3]), sys.argv[4]
sys.path.insert(0, package)
import model  # noqa: E402
import train  # noqa: E402

net = train.Net()
model.load_weights(net, f"{package}/weights.safetensors")
net.eval()
_, _, images, labels = train.load_data(train.data_dir(data))
with torch.no_grad():
    logits = torch.cat([net(train.as_input(images[i:i + 1000], "cpu")) for i in range(0, labels.shape[0], 1000)])
net.train()
train_loss = nn.functional.cross_entropy(net(train.as_input(images[:count], "cpu")), labels[:count])
buffers = {f"buffer.{name}": b.float() for name, b in net.named_buffers()}
model.write_safetensors({"logits": logits[:count], "train_loss": train_loss.detach().reshape(1), **buffers}, out)
print(json.dumps({"correct": int((logits.argmax(axis=1) == labels).sum()), "count": labels.shape[0]}))
