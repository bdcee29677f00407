"""PyTorch's precise-BN recalibration (torch.optim.swa_utils.update_bn) on the same full-width
MobileNetV2 + 1x1 heatmap head as io.github.bndoctor.testkit.FullMobileNetV2 (no torchvision needed),
over the examples of a float32 .npy file of shape (n, 3, H, W), at one batch size, for the recalibrate
speed benchmark. Prints one line: "update_bn examples=N batch=B seconds=S" (S: update_bn alone); the
caller times the whole process and reads its peak RSS.

usage: python3 update_bn_mobilenetv2.py X.npy BATCH
"""
import sys
import time

import numpy as np
import torch
from torch import nn


def conv_bn(cin, cout, k, stride, groups=1, relu=True):
    layers = [nn.Conv2d(cin, cout, k, stride, k // 2, groups=groups, bias=False), nn.BatchNorm2d(cout)]
    if relu:
        layers.append(nn.ReLU6(inplace=True))
    return nn.Sequential(*layers)


class Block(nn.Module):
    def __init__(self, cin, cout, stride, t):
        super().__init__()
        hidden = cin * t
        layers = [] if t == 1 else [conv_bn(cin, hidden, 1, 1)]
        layers += [conv_bn(hidden, hidden, 3, stride, groups=hidden), conv_bn(hidden, cout, 1, 1, relu=False)]
        self.body = nn.Sequential(*layers)
        self.residual = stride == 1 and cin == cout

    def forward(self, x):
        y = self.body(x)
        return x + y if self.residual else y


def mobilenet_v2_heatmaps(heatmaps=16):
    stages = [(1, 16, 1, 1), (6, 24, 2, 2), (6, 32, 3, 2), (6, 64, 4, 2), (6, 96, 3, 1), (6, 160, 3, 2), (6, 320, 1, 1)]
    layers = [conv_bn(3, 32, 3, 2)]
    cin = 32
    for t, c, n, s in stages:
        for i in range(n):
            layers.append(Block(cin, c, s if i == 0 else 1, t))
            cin = c
    layers += [conv_bn(cin, 1280, 1, 1), nn.Conv2d(1280, heatmaps, 1, bias=True)]
    return nn.Sequential(*layers)


def main():
    x = torch.from_numpy(np.load(sys.argv[1]))
    batch = int(sys.argv[2])
    model = mobilenet_v2_heatmaps()
    loader = torch.utils.data.DataLoader(x, batch_size=batch)
    start = time.perf_counter()
    torch.optim.swa_utils.update_bn(loader, model)
    seconds = time.perf_counter() - start
    params = sum(p.numel() for p in model.parameters()) + sum(
        m.running_mean.numel() + m.running_var.numel() for m in model.modules() if isinstance(m, nn.BatchNorm2d))
    print(f"update_bn examples={len(x)} batch={batch} seconds={seconds:.3f} parameters={params}")


if __name__ == "__main__":
    main()
