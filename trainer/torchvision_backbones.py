"""torchvision backbones whose ImageNet weights come from a local file or a filled torch cache.

Lookalike never downloads: the weights are the file torchvision itself would have downloaded,
found in the torch hub cache (`$TORCH_HOME/hub/checkpoints`, `~/.cache/torch/hub/checkpoints`
by default; filled by any earlier `torchvision.models.resnet50(weights="DEFAULT")` on a
connected machine), or a state-dict file the user names (`backbone.weights`,
`--backbone-weights`).

The backbone's forward returns the pooled features that feed torchvision's classifier; the
classifier is kept beside it (`classify`) so the ImageNet file loads strictly and a tuned
backbone.pt rebuilds the same module.
"""

from __future__ import annotations

from pathlib import Path
from urllib.parse import urlparse

import torch
from torch import nn

from .backbone_weights import BackboneWeightsError, load_strict

# torchvision's ImageNet normalisation, (x / 255 - mean) / std, written for 0-255 pixels.
IMAGENET_SCALING = {"scale": 1.0, "mean": (123.675, 116.28, 103.53),
                    "std": (58.395, 57.12, 57.375)}

# Architecture -> width of the pooled features (checked against a forward pass by the tests).
FEATURE_DIMS = {
    "resnet18": 512, "resnet34": 512, "resnet50": 2048,
    "mobilenet_v3_small": 576, "mobilenet_v3_large": 960,
    "efficientnet_b0": 1280, "efficientnet_b1": 1280, "efficientnet_b2": 1408,
    "efficientnet_v2_s": 1280, "convnext_tiny": 768, "regnet_y_800mf": 784,
}


class TorchvisionBackbone(nn.Module):
    """A torchvision classifier split into `forward` (pooled features) and `classify`."""

    def __init__(self, arch: str, state: dict | None = None, source: Path | None = None) -> None:
        super().__init__()
        from torchvision.models import get_model

        net = get_model(arch, weights=None)
        if state is not None:
            load_strict(net, state, arch, source)
        self.arch = arch
        self.classifier = _split_classifier(net)
        self.net = net
        self.feature_dim = FEATURE_DIMS[arch]

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.net(x)

    def classify(self, x: torch.Tensor) -> torch.Tensor:
        """ImageNet-1k logits."""
        return self.classifier(self.forward(x))


def _split_classifier(net: nn.Module) -> nn.Module:
    """Take the classifier off `net` (it then ends at the pooled features) and return it."""
    fc = getattr(net, "fc", None)
    if isinstance(fc, nn.Linear):  # ResNet, RegNet
        net.fc = nn.Identity()
        return fc
    head = getattr(net, "classifier", None)
    if isinstance(head, nn.Sequential):  # MobileNetV3, EfficientNet, ConvNeXt
        first = next(i for i, m in enumerate(head) if isinstance(m, nn.Linear))
        # What comes before the first Linear (ConvNeXt's LayerNorm + Flatten) is part of the
        # features; dropout there only matters to ImageNet training.
        net.classifier = nn.Sequential(*(m for m in list(head)[:first]
                                         if not isinstance(m, nn.Dropout)))
        return nn.Sequential(*list(head)[first:])
    raise ValueError(f"cannot find the classifier of {type(net).__name__}")


def torch_cache_dir() -> Path:
    """Where torchvision keeps downloaded weights (honours TORCH_HOME)."""
    return Path(torch.hub.get_dir()) / "checkpoints"


def cache_file_names(arch: str) -> list[str]:
    """torchvision's file names for `arch`'s ImageNet weights, its default first."""
    from torchvision.models import get_model_weights

    enum = get_model_weights(arch)
    ordered = [enum.DEFAULT, *(w for w in enum if w is not enum.DEFAULT)]
    return [Path(urlparse(w.url).path).name for w in ordered]


def default_weights_url(arch: str) -> str:
    from torchvision.models import get_model_weights

    return get_model_weights(arch).DEFAULT.url


def find_weights(arch: str) -> Path:
    """The first of torchvision's ImageNet weights files for `arch` found in the torch cache.
    Never downloads."""
    cache = torch_cache_dir()
    for name in cache_file_names(arch):
        if (cache / name).is_file():
            return cache / name
    expected = cache / cache_file_names(arch)[0]
    raise BackboneWeightsError(
        expected, f"torchvision's ImageNet weights for {arch} are not in the torch cache, and "
        "Lookalike downloads nothing",
        f"Copy {default_weights_url(arch)} to that path (running "
        f"torchvision.models.{arch}(weights=\"DEFAULT\") once on a connected machine fills the "
        "cache), or give a local weights file with --backbone-weights FILE")


