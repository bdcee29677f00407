"""One Adam training step of the full-width MobileNetV2 + 1x1 heatmap head of update_bn_mobilenetv2.py
(the twin of io.github.bndoctor.testkit.FullMobileNetV2) at 3x96x96, batch 8, sigmoid + mean squared
error against random heatmaps, Adam 1e-3, for the training-step speed benchmark. Prints one line:
"ms/step=T params=N threads=K" (T: mean over STEPS steps after WARMUP warm-up steps).

usage: python3 train_step_mobilenetv2.py THREADS STEPS WARMUP
"""
import os
import sys
import time

import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from update_bn_mobilenetv2 import mobilenet_v2_heatmaps  # noqa: E402


def main():
    threads, steps, warm_up = int(sys.argv[1]), int(sys.argv[2]), int(sys.argv[3])
    torch.set_num_threads(threads)
    torch.manual_seed(1)
    model = mobilenet_v2_heatmaps()
    model.train()
    opt = torch.optim.Adam(model.parameters(), lr=1e-3)
    x = torch.rand(8, 3, 96, 96)
    y = torch.rand(8, 16, 3, 3)
    loss_fn = torch.nn.MSELoss()

    def step():
        opt.zero_grad()
        loss_fn(torch.sigmoid(model(x)), y).backward()
        opt.step()

    for _ in range(warm_up):
        step()
    start = time.perf_counter()
    for _ in range(steps):
        step()
    ms = 1000 * (time.perf_counter() - start) / steps
    params = sum(p.numel() for p in model.parameters()) + sum(
        m.running_mean.numel() + m.running_var.numel() for m in model.modules() if isinstance(m, torch.nn.BatchNorm2d))
    print(f"ms/step={ms:.1f} params={params} threads={torch.get_num_threads()}")


if __name__ == "__main__":
    main()
