"""Whole fine-tunings of seconds in tests: a tiny backbone (no weights file), a trainer on 40
random pictures (or those pictures and its settings, for a trainer of another backbone), and a
stop after a number of steps."""

from __future__ import annotations

import numpy as np
import torch
from torch import nn
from torchvision.ops import StochasticDepth

from trainer.features import input_spec_for
from trainer.finetune import FinetuneTrainer
from trainer.progress import StopFlag
from trainer.training import HeadConfig


class TinyBackbone(nn.Module):
    """A conv (its random kernels see a flip) and a residual branch dropped at random in
    training, as torchvision's EfficientNet and ConvNeXt blocks are: draws from torch's global
    generator inside the network. Seconds for a whole fine-tuning, and no weights file."""

    feature_dim = 16

    def __init__(self) -> None:
        super().__init__()
        self.stem = nn.Conv2d(3, 16, 5, stride=2)
        self.branch = nn.Conv2d(16, 16, 3, padding=1)
        self.drop = StochasticDepth(0.5, "row")

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        y = torch.relu(self.stem(x))
        y = y + self.drop(self.branch(y))
        return y.mean(dim=(2, 3))


def tiny_finetune_inputs():
    """40 random 32-px photos in 4 classes, a 12-bit head config and Lite0's input at 32 px:
    enough for a FinetuneTrainer to take real steps in a second."""
    rng = np.random.default_rng(0)
    images = rng.integers(0, 256, (40, 32, 32, 3), dtype=np.uint8)
    labels = np.arange(40) % 4
    cfg = HeadConfig(long_bits=12, stages=(), long_steps=30, active_steps=12, merge_rounds=3,
                     frozen_steps=30, eval_every=10, patience=2, batch_size=8)
    return images, labels, cfg, input_spec_for("efficientnet_lite0", size=32, crop="none")


def tiny_finetuner(cfg: HeadConfig, augment: bool | str) -> FinetuneTrainer:
    """40 seeded random 32 px pictures of 4 labels (30 to fit, 10 to validate), TinyBackbone."""
    rng = np.random.default_rng(0)
    images = rng.integers(0, 256, (40, 32, 32, 3), dtype=np.uint8)
    torch.manual_seed(0)
    return FinetuneTrainer(images, np.arange(40) % 4, np.arange(30), np.arange(30, 40), cfg,
                           TinyBackbone(), input_spec_for("efficientnet_lite0", size=32,
                                                          crop="none"),
                           backbone_lr=1e-2, augment=augment)


def stop_fine_tuning_after(monkeypatch, steps: int) -> None:
    """The trainer's stop flag set once `steps` fine-tuning steps ran (as Ctrl-C would be)."""
    real_step = FinetuneTrainer.train_step
    done = []

    def counted(self):
        done.append(self.step)
        return real_step(self)

    monkeypatch.setattr(FinetuneTrainer, "train_step", counted)
    monkeypatch.setattr(StopFlag, "__call__", lambda self: len(done) >= steps)
