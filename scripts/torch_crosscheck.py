#!/usr/bin/env python3
"""Cross-check netc's models/*.net against PyTorch definitions from d2l.

Development-time only; not part of the package.  Run with

    /usr/bin/python3 scripts/torch_crosscheck.py            # all models
    /usr/bin/python3 scripts/torch_crosscheck.py resnet18   # some models

Each model below is written the way Dive into Deep Learning (d2l-zh, PyTorch
tab, chapters 6-7) writes it, for Fashion-MNIST (1 input channel, 10 classes).
LeNet-BN uses the seed notebook's own from-scratch BatchNorm class.

Below them, variants that use what no model file does (`nobias`, `bn` with
non-default `eps` and `momentum`), each with its netc source.

A (1, C, H, W) input is run through each network (eval mode, no grad) and a
JSON object is printed on stdout, keyed by the model file's stem or the
variant's name:

    {"source":  the variant's netc source (variants only),
     "params":  number of trainable parameters,
     "buffers": BN running statistics elements (running_mean + running_var for
                nn.BatchNorm*, moving_mean + moving_var for the scratch
                BatchNorm; num_batches_tracked is not counted),
     "output":  output shape,
     "macs":    multiply-adds for one example, as torchinfo counts them,
     "leaves":  [[class name, output shape], ...] for every leaf module call,
                in forward order}

Shapes include the batch dimension (1).  Note that d2l's Inception and
Residual apply ReLU through F.relu, so those ReLUs are not modules and do not
appear in "leaves"; likewise torch.cat and the residual sum are not modules.
"""

import json
import sys

import torch
from torch import nn
from torch.nn import functional as F


# --------------------------------------------------------------------------
# Seed notebook (d2l 7.5): batch normalization from scratch
# --------------------------------------------------------------------------

def batch_norm(X, gamma, beta, moving_mean, moving_var, eps, momentum):
    if not torch.is_grad_enabled():
        X_hat = (X - moving_mean) / torch.sqrt(moving_var + eps)
    else:
        match len(X.shape):
            case 2:
                mean = X.mean(dim=0)
                var = ((X - mean) ** 2).mean(dim=0)
            case 4:
                mean = X.mean(dim=(0, 2, 3), keepdim=True)
                var = ((X - mean) ** 2).mean(dim=(0, 2, 3), keepdim=True)
            case _:
                raise ValueError(f"Invalid X shape dims: {len(X.shape)}")
        X_hat = (X - mean) / torch.sqrt(var + eps)
        moving_mean = momentum * moving_mean + (1.0 - momentum) * mean
        moving_var = momentum * moving_var + (1.0 - momentum) * var
    Y = gamma * X_hat + beta
    return Y, moving_mean.data, moving_var.data


class BatchNorm(nn.Module):
    def __init__(self, num_features, num_dims):
        super(BatchNorm, self).__init__()
        shape = (1, num_features) if num_dims == 2 else (1, num_features, 1, 1)
        self.gamma = nn.Parameter(torch.ones(shape))
        self.beta = nn.Parameter(torch.zeros(shape))
        self.moving_mean = torch.zeros(shape)
        self.moving_var = torch.ones(shape)

    def forward(self, X):
        if self.moving_mean.device != X.device:
            self.moving_mean = self.moving_mean.to(X.device)
            self.moving_var = self.moving_var.to(X.device)
        Y, self.moving_mean, self.moving_var = batch_norm(
            X, self.gamma, self.beta, self.moving_mean, self.moving_var,
            eps=1e-5, momentum=0.9)
        return Y


# --------------------------------------------------------------------------
# d2l 6.6 LeNet
# --------------------------------------------------------------------------

def lenet():
    # d2l-zh once prepended a Reshape() to (-1, 1, 28, 28); a no-op here.
    return nn.Sequential(
        nn.Conv2d(1, 6, kernel_size=5, padding=2), nn.Sigmoid(),
        nn.AvgPool2d(kernel_size=2, stride=2),
        nn.Conv2d(6, 16, kernel_size=5), nn.Sigmoid(),
        nn.AvgPool2d(kernel_size=2, stride=2),
        nn.Flatten(),
        nn.Linear(16 * 5 * 5, 120), nn.Sigmoid(),
        nn.Linear(120, 84), nn.Sigmoid(),
        nn.Linear(84, 10))


# --------------------------------------------------------------------------
# Seed notebook / d2l 7.5: LeNet with (scratch) batch normalization
# --------------------------------------------------------------------------

def lenet_bn():
    return nn.Sequential(
        nn.Conv2d(1, 6, kernel_size=5), BatchNorm(6, num_dims=4), nn.Sigmoid(),
        nn.AvgPool2d(kernel_size=2, stride=2),
        nn.Conv2d(6, 16, kernel_size=5), BatchNorm(16, num_dims=4), nn.Sigmoid(),
        nn.AvgPool2d(kernel_size=2, stride=2),
        nn.Flatten(),
        nn.Linear(16 * 4 * 4, 120), BatchNorm(120, num_dims=2), nn.Sigmoid(),
        nn.Linear(120, 84), BatchNorm(84, num_dims=2), nn.Sigmoid(),
        nn.Linear(84, 10))


# --------------------------------------------------------------------------
# d2l 7.1 AlexNet
# --------------------------------------------------------------------------

def alexnet():
    return nn.Sequential(
        nn.Conv2d(1, 96, kernel_size=11, stride=4, padding=1), nn.ReLU(),
        nn.MaxPool2d(kernel_size=3, stride=2),
        nn.Conv2d(96, 256, kernel_size=5, padding=2), nn.ReLU(),
        nn.MaxPool2d(kernel_size=3, stride=2),
        nn.Conv2d(256, 384, kernel_size=3, padding=1), nn.ReLU(),
        nn.Conv2d(384, 384, kernel_size=3, padding=1), nn.ReLU(),
        nn.Conv2d(384, 256, kernel_size=3, padding=1), nn.ReLU(),
        nn.MaxPool2d(kernel_size=3, stride=2),
        nn.Flatten(),
        nn.Linear(6400, 4096), nn.ReLU(),
        nn.Dropout(p=0.5),
        nn.Linear(4096, 4096), nn.ReLU(),
        nn.Dropout(p=0.5),
        nn.Linear(4096, 10))


# --------------------------------------------------------------------------
# d2l 7.2 VGG
# --------------------------------------------------------------------------

def vgg_block(num_convs, in_channels, out_channels):
    layers = []
    for _ in range(num_convs):
        layers.append(nn.Conv2d(in_channels, out_channels,
                                kernel_size=3, padding=1))
        layers.append(nn.ReLU())
        in_channels = out_channels
    layers.append(nn.MaxPool2d(kernel_size=2, stride=2))
    return nn.Sequential(*layers)


def vgg(conv_arch):
    conv_blks = []
    in_channels = 1
    for (num_convs, out_channels) in conv_arch:
        conv_blks.append(vgg_block(num_convs, in_channels, out_channels))
        in_channels = out_channels
    return nn.Sequential(
        *conv_blks, nn.Flatten(),
        nn.Linear(out_channels * 7 * 7, 4096), nn.ReLU(), nn.Dropout(0.5),
        nn.Linear(4096, 4096), nn.ReLU(), nn.Dropout(0.5),
        nn.Linear(4096, 10))


def vgg11():
    conv_arch = ((1, 64), (1, 128), (2, 256), (2, 512), (2, 512))
    return vgg(conv_arch)


# --------------------------------------------------------------------------
# d2l 7.3 NiN
# --------------------------------------------------------------------------

def nin_block(in_channels, out_channels, kernel_size, strides, padding):
    return nn.Sequential(
        nn.Conv2d(in_channels, out_channels, kernel_size, strides, padding),
        nn.ReLU(),
        nn.Conv2d(out_channels, out_channels, kernel_size=1), nn.ReLU(),
        nn.Conv2d(out_channels, out_channels, kernel_size=1), nn.ReLU())


def nin():
    return nn.Sequential(
        nin_block(1, 96, kernel_size=11, strides=4, padding=0),
        nn.MaxPool2d(3, stride=2),
        nin_block(96, 256, kernel_size=5, strides=1, padding=2),
        nn.MaxPool2d(3, stride=2),
        nin_block(256, 384, kernel_size=3, strides=1, padding=1),
        nn.MaxPool2d(3, stride=2),
        nn.Dropout(0.5),
        nin_block(384, 10, kernel_size=3, strides=1, padding=1),
        nn.AdaptiveAvgPool2d((1, 1)),
        nn.Flatten())


# --------------------------------------------------------------------------
# d2l 7.4 GoogLeNet
# --------------------------------------------------------------------------

class Inception(nn.Module):
    # c1--c4 are the output channels of each path
    def __init__(self, in_channels, c1, c2, c3, c4, **kwargs):
        super(Inception, self).__init__(**kwargs)
        self.p1_1 = nn.Conv2d(in_channels, c1, kernel_size=1)
        self.p2_1 = nn.Conv2d(in_channels, c2[0], kernel_size=1)
        self.p2_2 = nn.Conv2d(c2[0], c2[1], kernel_size=3, padding=1)
        self.p3_1 = nn.Conv2d(in_channels, c3[0], kernel_size=1)
        self.p3_2 = nn.Conv2d(c3[0], c3[1], kernel_size=5, padding=2)
        self.p4_1 = nn.MaxPool2d(kernel_size=3, stride=1, padding=1)
        self.p4_2 = nn.Conv2d(in_channels, c4, kernel_size=1)

    def forward(self, x):
        p1 = F.relu(self.p1_1(x))
        p2 = F.relu(self.p2_2(F.relu(self.p2_1(x))))
        p3 = F.relu(self.p3_2(F.relu(self.p3_1(x))))
        p4 = F.relu(self.p4_2(self.p4_1(x)))
        return torch.cat((p1, p2, p3, p4), dim=1)


def googlenet():
    b1 = nn.Sequential(nn.Conv2d(1, 64, kernel_size=7, stride=2, padding=3),
                       nn.ReLU(),
                       nn.MaxPool2d(kernel_size=3, stride=2, padding=1))
    b2 = nn.Sequential(nn.Conv2d(64, 64, kernel_size=1),
                       nn.ReLU(),
                       nn.Conv2d(64, 192, kernel_size=3, padding=1),
                       nn.ReLU(),
                       nn.MaxPool2d(kernel_size=3, stride=2, padding=1))
    b3 = nn.Sequential(Inception(192, 64, (96, 128), (16, 32), 32),
                       Inception(256, 128, (128, 192), (32, 96), 64),
                       nn.MaxPool2d(kernel_size=3, stride=2, padding=1))
    b4 = nn.Sequential(Inception(480, 192, (96, 208), (16, 48), 64),
                       Inception(512, 160, (112, 224), (24, 64), 64),
                       Inception(512, 128, (128, 256), (24, 64), 64),
                       Inception(512, 112, (144, 288), (32, 64), 64),
                       Inception(528, 256, (160, 320), (32, 128), 128),
                       nn.MaxPool2d(kernel_size=3, stride=2, padding=1))
    b5 = nn.Sequential(Inception(832, 256, (160, 320), (32, 128), 128),
                       Inception(832, 384, (192, 384), (48, 128), 128),
                       nn.AdaptiveAvgPool2d((1, 1)),
                       nn.Flatten())
    return nn.Sequential(b1, b2, b3, b4, b5, nn.Linear(1024, 10))


# --------------------------------------------------------------------------
# d2l 7.6 ResNet-18
# --------------------------------------------------------------------------

class Residual(nn.Module):
    def __init__(self, input_channels, num_channels,
                 use_1x1conv=False, strides=1):
        super().__init__()
        self.conv1 = nn.Conv2d(input_channels, num_channels,
                               kernel_size=3, padding=1, stride=strides)
        self.conv2 = nn.Conv2d(num_channels, num_channels,
                               kernel_size=3, padding=1)
        if use_1x1conv:
            self.conv3 = nn.Conv2d(input_channels, num_channels,
                                   kernel_size=1, stride=strides)
        else:
            self.conv3 = None
        self.bn1 = nn.BatchNorm2d(num_channels)
        self.bn2 = nn.BatchNorm2d(num_channels)

    def forward(self, X):
        Y = F.relu(self.bn1(self.conv1(X)))
        Y = self.bn2(self.conv2(Y))
        if self.conv3:
            X = self.conv3(X)
        Y += X
        return F.relu(Y)


def resnet_block(input_channels, num_channels, num_residuals,
                 first_block=False):
    blk = []
    for i in range(num_residuals):
        if i == 0 and not first_block:
            blk.append(Residual(input_channels, num_channels,
                                use_1x1conv=True, strides=2))
        else:
            blk.append(Residual(num_channels, num_channels))
    return blk


def resnet18():
    b1 = nn.Sequential(nn.Conv2d(1, 64, kernel_size=7, stride=2, padding=3),
                       nn.BatchNorm2d(64), nn.ReLU(),
                       nn.MaxPool2d(kernel_size=3, stride=2, padding=1))
    b2 = nn.Sequential(*resnet_block(64, 64, 2, first_block=True))
    b3 = nn.Sequential(*resnet_block(64, 128, 2))
    b4 = nn.Sequential(*resnet_block(128, 256, 2))
    b5 = nn.Sequential(*resnet_block(256, 512, 2))
    return nn.Sequential(b1, b2, b3, b4, b5,
                         nn.AdaptiveAvgPool2d((1, 1)),
                         nn.Flatten(), nn.Linear(512, 10))


# --------------------------------------------------------------------------
# d2l 7.7 DenseNet
# --------------------------------------------------------------------------

def conv_block(input_channels, num_channels):
    return nn.Sequential(
        nn.BatchNorm2d(input_channels), nn.ReLU(),
        nn.Conv2d(input_channels, num_channels, kernel_size=3, padding=1))


class DenseBlock(nn.Module):
    def __init__(self, num_convs, input_channels, num_channels):
        super(DenseBlock, self).__init__()
        layer = []
        for i in range(num_convs):
            layer.append(conv_block(
                num_channels * i + input_channels, num_channels))
        self.net = nn.Sequential(*layer)

    def forward(self, X):
        for blk in self.net:
            Y = blk(X)
            # concatenate each block's input and output on the channel axis
            X = torch.cat((X, Y), dim=1)
        return X


def transition_block(input_channels, num_channels):
    return nn.Sequential(
        nn.BatchNorm2d(input_channels), nn.ReLU(),
        nn.Conv2d(input_channels, num_channels, kernel_size=1),
        nn.AvgPool2d(kernel_size=2, stride=2))


def densenet():
    b1 = nn.Sequential(
        nn.Conv2d(1, 64, kernel_size=7, stride=2, padding=3),
        nn.BatchNorm2d(64), nn.ReLU(),
        nn.MaxPool2d(kernel_size=3, stride=2, padding=1))
    num_channels, growth_rate = 64, 32
    num_convs_in_dense_blocks = [4, 4, 4, 4]
    blks = []
    for i, num_convs in enumerate(num_convs_in_dense_blocks):
        blks.append(DenseBlock(num_convs, num_channels, growth_rate))
        num_channels += num_convs * growth_rate
        if i != len(num_convs_in_dense_blocks) - 1:
            blks.append(transition_block(num_channels, num_channels // 2))
            num_channels = num_channels // 2
    # d2l-zh's PyTorch tab uses nn.AdaptiveMaxPool2d((1, 1)) here, while its
    # MXNet/TensorFlow tabs and d2l-en use global *average* pooling.  We follow
    # the latter, as models/densenet.net does (`gap`); shapes and parameter
    # counts are identical either way.
    return nn.Sequential(
        b1, *blks,
        nn.BatchNorm2d(num_channels), nn.ReLU(),
        nn.AdaptiveAvgPool2d((1, 1)),
        nn.Flatten(),
        nn.Linear(num_channels, 10))


# --------------------------------------------------------------------------
# Variants: options no model file uses (nobias, non-default eps and momentum)
# --------------------------------------------------------------------------

# Each is netc source and the PyTorch network it describes; the source goes into
# the output ("source") for the test to check.  netc's `momentum=m` is
# PyTorch's momentum=1-m.

LINEAR_NOBIAS = """\
input 4
linear 3 nobias
"""


def linear_nobias():
    return nn.Sequential(nn.Linear(4, 3, bias=False))


CONV_NOBIAS_BN = """\
input 3x12x12
conv 8 k3 nobias | bn eps=1e-3 momentum=0.8 | relu
conv 4 k5x3 s2 p1 nobias
flatten
linear 10 nobias | bn eps=1e-2 momentum=0.95
linear 2
"""


def conv_nobias_bn():
    return nn.Sequential(
        nn.Conv2d(3, 8, kernel_size=3, bias=False),
        nn.BatchNorm2d(8, eps=1e-3, momentum=0.2), nn.ReLU(),
        nn.Conv2d(8, 4, kernel_size=(5, 3), stride=2, padding=1, bias=False),
        nn.Flatten(),
        nn.Linear(4 * 4 * 5, 10, bias=False),
        nn.BatchNorm1d(10, eps=1e-2, momentum=0.05),
        nn.Linear(10, 2))


# --------------------------------------------------------------------------
# Measurement
# --------------------------------------------------------------------------

# name -> (builder, input shape C x H x W, netc source or None for models/NAME.net)
MODELS = {
    "lenet": (lenet, (1, 28, 28), None),
    "lenet-bn": (lenet_bn, (1, 28, 28), None),
    "alexnet": (alexnet, (1, 224, 224), None),
    "vgg11": (vgg11, (1, 224, 224), None),
    "nin": (nin, (1, 224, 224), None),
    "googlenet": (googlenet, (1, 96, 96), None),
    "resnet18": (resnet18, (1, 96, 96), None),
    "densenet": (densenet, (1, 96, 96), None),
    "linear-nobias": (linear_nobias, (4,), LINEAR_NOBIAS),
    "conv-nobias-bn": (conv_nobias_bn, (3, 12, 12), CONV_NOBIAS_BN),
}


def count_buffers(net):
    total = 0
    for m in net.modules():
        if isinstance(m, nn.modules.batchnorm._BatchNorm):
            total += m.running_mean.numel() + m.running_var.numel()
        elif isinstance(m, BatchNorm):
            total += m.moving_mean.numel() + m.moving_var.numel()
    return total


def measure(build, chw, source):
    torch.manual_seed(0)
    net = build()
    net.eval()

    leaves = []
    macs = 0

    def hook(module, inputs, output):
        nonlocal macs
        leaves.append([type(module).__name__, list(output.shape)])
        # torchinfo's rule: a convolution's parameters are used once per
        # output position, any other layer's once.
        params = sum(p.numel() for p in module.parameters(recurse=False))
        positions = output.shape[2] * output.shape[3] if isinstance(module, nn.Conv2d) else 1
        macs += params * positions

    handles = [m.register_forward_hook(hook)
               for m in net.modules() if len(list(m.children())) == 0]
    with torch.no_grad():
        Y = net(torch.rand(1, *chw))
    for h in handles:
        h.remove()

    return {
        **({"source": source} if source else {}),
        "params": sum(p.numel() for p in net.parameters() if p.requires_grad),
        "buffers": count_buffers(net),
        "output": list(Y.shape),
        "macs": macs,
        "leaves": leaves,
    }


def main(argv):
    names = argv or list(MODELS)
    unknown = [n for n in names if n not in MODELS]
    if unknown:
        sys.exit(f"unknown model(s): {', '.join(unknown)}; "
                 f"known: {', '.join(MODELS)}")
    result = {name: measure(*MODELS[name]) for name in names}
    json.dump(result, sys.stdout, indent=1)
    sys.stdout.write("\n")


if __name__ == "__main__":
    main(sys.argv[1:])
