"""A backbone of seconds for whole fine-tunings in tests (no weights file)."""

from __future__ import annotations

import torch
from torch import nn
from torchvision.ops import StochasticDepth


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
